"""SQLite: effective_at written with the row, the trigger's UPDATE only for rows that lack it

The trigger of 0012 re-wrote every inserted mention (a second write of the row and of each of its
indexes) to set effective_at; the writer now sends it with the row, and the trigger sets it only
when it is missing or wrong (a row written by anything else). PostgreSQL's BEFORE trigger sets the
value in the row being inserted and costs no second write: it is unchanged.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

EFFECTIVE = "coalesce(new.published_at, new.first_seen_at)"
UPDATE = f"UPDATE mentions SET effective_at = {EFFECTIVE} WHERE id = new.id; END"


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == 'postgresql':
        return
    op.execute("DROP TRIGGER IF EXISTS mentions_effective_ai")
    op.execute("CREATE TRIGGER mentions_effective_ai AFTER INSERT ON mentions "
               f"WHEN new.effective_at IS NOT {EFFECTIVE} BEGIN {UPDATE}")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == 'postgresql':
        return
    op.execute("DROP TRIGGER IF EXISTS mentions_effective_ai")
    op.execute(f"CREATE TRIGGER mentions_effective_ai AFTER INSERT ON mentions BEGIN {UPDATE}")
