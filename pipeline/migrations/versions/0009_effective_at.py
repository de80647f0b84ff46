"""periods read by index: a generated effective_at column (publication, else first seen) indexed
with the business, the label, the source and the dismissal; and an index for dismissed mentions

Revision ID: 0009_effective_at
Revises: 0008
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009_effective_at'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # A generated column fills itself for every stored row (PostgreSQL stores it, SQLite computes it
    # when read and stores it in the index): no backfill to run, no writer to trust.
    # SQLite can add only a VIRTUAL generated column to a table; PostgreSQL before 18 only STORED.
    stored = op.get_bind().dialect.name == 'postgresql'
    op.add_column('mentions', sa.Column('effective_at', sa.DateTime(timezone=True),
                                         sa.Computed('coalesce(published_at, first_seen_at)', persisted=stored),
                                         nullable=True))
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
    op.drop_column('mentions', 'effective_at')
