"""periods read by index: an effective_at column (publication, else first seen) kept by triggers,
indexed with the business, the label, the source and the dismissal; an index for dismissed
mentions; and mention_hours, mentions per business, UTC hour and label kept by triggers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# effective_at is a plain column kept by the database, not a generated one: SQLite (before 3.41)
# reads a generated column's value from the table even when an index holds it, so a period's
# counts would visit every row; and it can add only VIRTUAL generated columns to a table.
SQLITE_HOUR = "substr(coalesce({row}.published_at, {row}.first_seen_at), 1, 13)"
SQLITE_ADD = ("INSERT INTO mention_hours (business_id, hour, label, mentions) "
              "SELECT new.business_id, " + SQLITE_HOUR.format(row="new") + ", coalesce(new.label, 'neutral'), 1 "
              "WHERE new.dismissed_at IS NULL "
              "ON CONFLICT (business_id, hour, label) DO UPDATE SET mentions = mentions + 1;")
SQLITE_REMOVE = ("UPDATE mention_hours SET mentions = mentions - 1 WHERE old.dismissed_at IS NULL "
                 "AND business_id = old.business_id AND hour = " + SQLITE_HOUR.format(row="old") + " "
                 "AND label = coalesce(old.label, 'neutral');")
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS mentions_effective_ai AFTER INSERT ON mentions BEGIN "
    "UPDATE mentions SET effective_at = coalesce(new.published_at, new.first_seen_at) WHERE id = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS mentions_effective_au AFTER UPDATE OF published_at, first_seen_at, effective_at "
    "ON mentions WHEN new.effective_at IS NOT coalesce(new.published_at, new.first_seen_at) BEGIN "
    "UPDATE mentions SET effective_at = coalesce(new.published_at, new.first_seen_at) WHERE id = new.id; END",
    f"CREATE TRIGGER IF NOT EXISTS mention_hours_ai AFTER INSERT ON mentions BEGIN {SQLITE_ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS mention_hours_ad AFTER DELETE ON mentions BEGIN {SQLITE_REMOVE} END",
    "CREATE TRIGGER IF NOT EXISTS mention_hours_au AFTER UPDATE OF business_id, published_at, first_seen_at, "
    f"label, dismissed_at ON mentions BEGIN {SQLITE_REMOVE} {SQLITE_ADD} END",
]
# Complaints (negative mentions, not dismissed) per aspect and hour: one row per aspect named.
SQLITE_ASPECTS = "(SELECT DISTINCT value FROM json_each({row}.aspects) WHERE json_type({row}.aspects) = 'array')"
SQLITE_ADD_ASPECTS = ("INSERT INTO mention_aspect_hours (business_id, hour, aspect, mentions) "
                      "SELECT new.business_id, " + SQLITE_HOUR.format(row="new") + ", value, 1 FROM "
                      + SQLITE_ASPECTS.format(row="new") + " WHERE new.dismissed_at IS NULL AND new.label = 'negative' "
                      "ON CONFLICT (business_id, hour, aspect) DO UPDATE SET mentions = mentions + 1;")
SQLITE_REMOVE_ASPECTS = ("UPDATE mention_aspect_hours SET mentions = mentions - 1 WHERE old.dismissed_at IS NULL "
                         "AND old.label = 'negative' AND business_id = old.business_id "
                         "AND hour = " + SQLITE_HOUR.format(row="old") + " AND aspect IN "
                         + SQLITE_ASPECTS.format(row="old") + ";")
SQLITE_TRIGGERS += [
    f"CREATE TRIGGER IF NOT EXISTS mention_aspect_hours_ai AFTER INSERT ON mentions BEGIN {SQLITE_ADD_ASPECTS} END",
    f"CREATE TRIGGER IF NOT EXISTS mention_aspect_hours_ad AFTER DELETE ON mentions BEGIN {SQLITE_REMOVE_ASPECTS} END",
    "CREATE TRIGGER IF NOT EXISTS mention_aspect_hours_au AFTER UPDATE OF business_id, published_at, first_seen_at, "
    f"label, dismissed_at, aspects ON mentions BEGIN {SQLITE_REMOVE_ASPECTS} {SQLITE_ADD_ASPECTS} END",
]
PG_HOUR = "to_char(coalesce({row}.published_at, {row}.first_seen_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION mentions_effective() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.effective_at := coalesce(NEW.published_at, NEW.first_seen_at); RETURN NEW; END $$",
    "CREATE TRIGGER mentions_effective BEFORE INSERT OR UPDATE ON mentions "
    "FOR EACH ROW EXECUTE FUNCTION mentions_effective()",
    "CREATE OR REPLACE FUNCTION mention_hours_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.dismissed_at IS NULL THEN "
    "UPDATE mention_hours SET mentions = mentions - 1 WHERE business_id = OLD.business_id "
    "AND hour = " + PG_HOUR.format(row="OLD") + " AND label = coalesce(OLD.label, 'neutral'); END IF; "
    "IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.dismissed_at IS NULL THEN "
    "INSERT INTO mention_hours (business_id, hour, label, mentions) VALUES (NEW.business_id, "
    + PG_HOUR.format(row="NEW") + ", coalesce(NEW.label, 'neutral'), 1) "
    "ON CONFLICT (business_id, hour, label) DO UPDATE SET mentions = mention_hours.mentions + 1; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER mention_hours_sync AFTER INSERT OR DELETE OR UPDATE OF business_id, published_at, "
    "first_seen_at, label, dismissed_at ON mentions FOR EACH ROW EXECUTE FUNCTION mention_hours_sync()",
    "CREATE OR REPLACE FUNCTION mention_aspect_hours_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.dismissed_at IS NULL AND OLD.label = 'negative' "
    "AND json_typeof(OLD.aspects) = 'array' THEN "
    "UPDATE mention_aspect_hours SET mentions = mentions - 1 WHERE business_id = OLD.business_id "
    "AND hour = " + PG_HOUR.format(row="OLD") + " AND aspect IN "
    "(SELECT json_array_elements_text(OLD.aspects)); END IF; "
    "IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.dismissed_at IS NULL AND NEW.label = 'negative' "
    "AND json_typeof(NEW.aspects) = 'array' THEN "
    "INSERT INTO mention_aspect_hours (business_id, hour, aspect, mentions) SELECT DISTINCT NEW.business_id, "
    + PG_HOUR.format(row="NEW") + ", json_array_elements_text(NEW.aspects), 1 "
    "ON CONFLICT (business_id, hour, aspect) DO UPDATE SET mentions = mention_aspect_hours.mentions + 1; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER mention_aspect_hours_sync AFTER INSERT OR DELETE OR UPDATE OF business_id, published_at, "
    "first_seen_at, label, dismissed_at, aspects ON mentions FOR EACH ROW EXECUTE FUNCTION mention_aspect_hours_sync()",
]


def upgrade() -> None:
    """Upgrade schema."""
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.add_column('mentions', sa.Column('effective_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE mentions SET effective_at = coalesce(published_at, first_seen_at)")
    op.create_table('mention_hours',
                    sa.Column('business_id', sa.Integer(), nullable=False),
                    sa.Column('hour', sa.String(length=13), nullable=False),
                    sa.Column('label', sa.String(length=10), nullable=False),
                    sa.Column('mentions', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('business_id', 'hour', 'label'))
    op.create_table('mention_aspect_hours',
                    sa.Column('business_id', sa.Integer(), nullable=False),
                    sa.Column('hour', sa.String(length=13), nullable=False),
                    sa.Column('aspect', sa.String(length=100), nullable=False),
                    sa.Column('mentions', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('business_id', 'hour', 'aspect'))
    hour = PG_HOUR.format(row="mentions") if postgres else SQLITE_HOUR.format(row="mentions")
    op.execute(f"INSERT INTO mention_hours (business_id, hour, label, mentions) "
               f"SELECT business_id, {hour}, coalesce(label, 'neutral'), count(*) FROM mentions "
               f"WHERE dismissed_at IS NULL GROUP BY business_id, {hour}, coalesce(label, 'neutral')")
    if postgres:
        aspects = ("(SELECT id, business_id, published_at, first_seen_at, json_array_elements_text(aspects) AS aspect "
                   "FROM mentions WHERE dismissed_at IS NULL AND label = 'negative' "
                   "AND json_typeof(aspects) = 'array') AS mentions")
    else:
        aspects = ("(SELECT DISTINCT mentions.id, business_id, published_at, first_seen_at, j.value AS aspect "
                   "FROM mentions, json_each(mentions.aspects) AS j WHERE dismissed_at IS NULL AND label = 'negative' "
                   "AND json_type(mentions.aspects) = 'array') AS mentions")
    op.execute(f"INSERT INTO mention_aspect_hours (business_id, hour, aspect, mentions) "
               f"SELECT business_id, {hour}, aspect, count(DISTINCT id) FROM {aspects} GROUP BY business_id, {hour}, aspect")
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    op.create_index('ix_mentions_business_effective', 'mentions',
                    ['business_id', 'effective_at', 'label', 'source_id', 'dismissed_at'], unique=False)
    # Partial, so that a period's "dismissed_at IS NULL" is not served by it instead of the period index.
    op.create_index('ix_mentions_business_dismissed', 'mentions', ['business_id', 'dismissed_at'], unique=False,
                    sqlite_where=sa.text('dismissed_at IS NOT NULL'),
                    postgresql_where=sa.text('dismissed_at IS NOT NULL'))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_mentions_business_dismissed', table_name='mentions')
    op.drop_index('ix_mentions_business_effective', table_name='mentions')
    if op.get_bind().dialect.name == 'postgresql':
        for name in ("mentions_effective", "mention_hours_sync", "mention_aspect_hours_sync"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON mentions")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in ("mentions_effective_ai", "mentions_effective_au", "mention_hours_ai", "mention_hours_ad",
                     "mention_hours_au", "mention_aspect_hours_ai", "mention_aspect_hours_ad", "mention_aspect_hours_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('mention_aspect_hours')
    op.drop_table('mention_hours')
    op.drop_column('mentions', 'effective_at')
