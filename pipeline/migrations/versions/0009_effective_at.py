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
    op.add_column('mentions', sa.Column('effective_at', sa.DateTime(timezone=True),
                                         sa.Computed('coalesce(published_at, first_seen_at)'), nullable=True))
    op.create_index('ix_mentions_business_effective', 'mentions',
                    ['business_id', 'effective_at', 'label', 'source_id', 'dismissed_at'], unique=False)
    op.create_index('ix_mentions_business_dismissed', 'mentions', ['business_id', 'dismissed_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_mentions_business_dismissed', table_name='mentions')
    op.drop_index('ix_mentions_business_effective', table_name='mentions')
    op.drop_column('mentions', 'effective_at')
