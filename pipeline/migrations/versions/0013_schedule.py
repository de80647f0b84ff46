"""each source's next check: workers on PostgreSQL enqueue the sources whose time has come

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('sources') as batch:
        batch.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_sources_next_check', 'sources', ['next_check_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_sources_next_check', table_name='sources')
    with op.batch_alter_table('sources') as batch:
        batch.drop_column('next_check_at')
