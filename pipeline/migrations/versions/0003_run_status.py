"""runs.status: running, finished or interrupted (stopped by SIGINT/SIGTERM); config ids of
businesses and sources (history that survives a rename)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('runs', schema=None) as batch_op:
        # Runs recorded before this column existed ran to their end (or were killed, which
        # their missing finished_at still says).
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='finished'))
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('config_id', sa.String(length=200), nullable=True))
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('config_id', sa.String(length=1000), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('config_id')
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_column('config_id')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('status')
