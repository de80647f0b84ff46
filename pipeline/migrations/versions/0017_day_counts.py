"""day counts: mention_days and mention_aspect_days, mentions (complaints per aspect) per business,
UTC day and label (aspect), kept by triggers like the hourly tables of 0012, so that a year of
trends reads some 1,100 day rows and a few hours a day instead of 26,000 hour rows; and indexes
on a source's runs and rating readings by time, so that a week's report reads that week

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The UTC day a mention happened on, as 'YYYY-MM-DD' (SQLite keeps times as UTC text).
SQLITE_DAY = "substr(coalesce({row}.published_at, {row}.first_seen_at), 1, 10)"
PG_DAY = "to_char(coalesce({row}.published_at, {row}.first_seen_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"

SQLITE_ADD = ("INSERT INTO mention_days (business_id, day, label, mentions) "
              "SELECT new.business_id, " + SQLITE_DAY.format(row="new") + ", coalesce(new.label, 'neutral'), 1 "
              "WHERE new.dismissed_at IS NULL "
              "ON CONFLICT (business_id, day, label) DO UPDATE SET mentions = mentions + 1;")
SQLITE_REMOVE = ("UPDATE mention_days SET mentions = mentions - 1 WHERE old.dismissed_at IS NULL "
                 "AND business_id = old.business_id AND day = " + SQLITE_DAY.format(row="old") + " "
                 "AND label = coalesce(old.label, 'neutral');")
SQLITE_ASPECTS = "(SELECT DISTINCT value FROM json_each({row}.aspects) WHERE json_type({row}.aspects) = 'array')"
SQLITE_ADD_ASPECTS = ("INSERT INTO mention_aspect_days (business_id, day, aspect, mentions) "
                      "SELECT new.business_id, " + SQLITE_DAY.format(row="new") + ", value, 1 FROM "
                      + SQLITE_ASPECTS.format(row="new") + " WHERE new.dismissed_at IS NULL AND new.label = 'negative' "
                      "ON CONFLICT (business_id, day, aspect) DO UPDATE SET mentions = mentions + 1;")
SQLITE_REMOVE_ASPECTS = ("UPDATE mention_aspect_days SET mentions = mentions - 1 WHERE old.dismissed_at IS NULL "
                         "AND old.label = 'negative' AND business_id = old.business_id "
                         "AND day = " + SQLITE_DAY.format(row="old") + " AND aspect IN "
                         + SQLITE_ASPECTS.format(row="old") + ";")
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS mention_days_ai AFTER INSERT ON mentions BEGIN {SQLITE_ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS mention_days_ad AFTER DELETE ON mentions BEGIN {SQLITE_REMOVE} END",
    "CREATE TRIGGER IF NOT EXISTS mention_days_au AFTER UPDATE OF business_id, published_at, first_seen_at, "
    f"label, dismissed_at ON mentions BEGIN {SQLITE_REMOVE} {SQLITE_ADD} END",
    f"CREATE TRIGGER IF NOT EXISTS mention_aspect_days_ai AFTER INSERT ON mentions BEGIN {SQLITE_ADD_ASPECTS} END",
    f"CREATE TRIGGER IF NOT EXISTS mention_aspect_days_ad AFTER DELETE ON mentions BEGIN {SQLITE_REMOVE_ASPECTS} END",
    "CREATE TRIGGER IF NOT EXISTS mention_aspect_days_au AFTER UPDATE OF business_id, published_at, first_seen_at, "
    f"label, dismissed_at, aspects ON mentions BEGIN {SQLITE_REMOVE_ASPECTS} {SQLITE_ADD_ASPECTS} END",
]
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION mention_days_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.dismissed_at IS NULL THEN "
    "UPDATE mention_days SET mentions = mentions - 1 WHERE business_id = OLD.business_id "
    "AND day = " + PG_DAY.format(row="OLD") + " AND label = coalesce(OLD.label, 'neutral'); END IF; "
    "IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.dismissed_at IS NULL THEN "
    "INSERT INTO mention_days (business_id, day, label, mentions) VALUES (NEW.business_id, "
    + PG_DAY.format(row="NEW") + ", coalesce(NEW.label, 'neutral'), 1) "
    "ON CONFLICT (business_id, day, label) DO UPDATE SET mentions = mention_days.mentions + 1; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER mention_days_sync AFTER INSERT OR DELETE OR UPDATE OF business_id, published_at, "
    "first_seen_at, label, dismissed_at ON mentions FOR EACH ROW EXECUTE FUNCTION mention_days_sync()",
    "CREATE OR REPLACE FUNCTION mention_aspect_days_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.dismissed_at IS NULL AND OLD.label = 'negative' "
    "AND json_typeof(OLD.aspects) = 'array' THEN "
    "UPDATE mention_aspect_days SET mentions = mentions - 1 WHERE business_id = OLD.business_id "
    "AND day = " + PG_DAY.format(row="OLD") + " AND aspect IN "
    "(SELECT json_array_elements_text(OLD.aspects)); END IF; "
    "IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.dismissed_at IS NULL AND NEW.label = 'negative' "
    "AND json_typeof(NEW.aspects) = 'array' THEN "
    "INSERT INTO mention_aspect_days (business_id, day, aspect, mentions) SELECT DISTINCT NEW.business_id, "
    + PG_DAY.format(row="NEW") + ", json_array_elements_text(NEW.aspects), 1 "
    "ON CONFLICT (business_id, day, aspect) DO UPDATE SET mentions = mention_aspect_days.mentions + 1; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER mention_aspect_days_sync AFTER INSERT OR DELETE OR UPDATE OF business_id, published_at, "
    "first_seen_at, label, dismissed_at, aspects ON mentions FOR EACH ROW EXECUTE FUNCTION mention_aspect_days_sync()",
]


def upgrade() -> None:
    """Upgrade schema."""
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table('mention_days',
                    sa.Column('business_id', sa.Integer(), nullable=False),
                    sa.Column('day', sa.String(length=10), nullable=False),
                    sa.Column('label', sa.String(length=10), nullable=False),
                    sa.Column('mentions', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('business_id', 'day', 'label'))
    op.create_table('mention_aspect_days',
                    sa.Column('business_id', sa.Integer(), nullable=False),
                    sa.Column('day', sa.String(length=10), nullable=False),
                    sa.Column('aspect', sa.String(length=100), nullable=False),
                    sa.Column('mentions', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('business_id', 'day', 'aspect'))
    # Filled from the hourly counts 0012 keeps (a day is the first ten characters of its hours):
    # thousands of rows rather than every mention.
    for table, key in (("mention_days", "label"), ("mention_aspect_days", "aspect")):
        source = table.replace("_days", "_hours")
        op.execute(f"INSERT INTO {table} (business_id, day, {key}, mentions) "
                   f"SELECT business_id, substr(hour, 1, 10), {key}, sum(mentions) FROM {source} "
                   f"GROUP BY business_id, substr(hour, 1, 10), {key} HAVING sum(mentions) != 0")
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    # A run per source every few minutes adds a run row (and a rating reading for review sites):
    # the report's failures and ratings of a week read that week, not every row of the source.
    op.create_index('ix_source_runs_source_finished', 'source_runs', ['source_id', 'finished_at'], unique=False)
    op.create_index('ix_aggregate_ratings_source_recorded', 'aggregate_ratings', ['source_id', 'recorded_at'],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_aggregate_ratings_source_recorded', table_name='aggregate_ratings')
    op.drop_index('ix_source_runs_source_finished', table_name='source_runs')
    if op.get_bind().dialect.name == 'postgresql':
        for name in ("mention_days_sync", "mention_aspect_days_sync"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON mentions")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in ("mention_days_ai", "mention_days_ad", "mention_days_au", "mention_aspect_days_ai",
                     "mention_aspect_days_ad", "mention_aspect_days_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('mention_aspect_days')
    op.drop_table('mention_days')
