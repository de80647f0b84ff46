"""full-text search on PostgreSQL finds words written between < and >: its parser read them as an
HTML tag and left them out of the index; the mentions holding such brackets are indexed again

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

"""
from typing import Sequence, Union

from alembic import op

from pipeline.dialect import reindex_bracketed_words

# revision identifiers, used by Alembic.
revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    reindex_bracketed_words(op.get_bind())


def downgrade() -> None:
    """Downgrade schema: nothing to undo (the index only holds more words)."""
