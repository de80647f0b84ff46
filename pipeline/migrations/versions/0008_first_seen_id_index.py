"""the first-seen index carries the mention id, so PostgreSQL finds a period's newest mention from the index alone

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index('ix_mentions_first_seen', table_name='mentions')
    op.create_index('ix_mentions_first_seen', 'mentions', ['first_seen_at', 'id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_mentions_first_seen', table_name='mentions')
    op.create_index('ix_mentions_first_seen', 'mentions', ['first_seen_at'], unique=False)
