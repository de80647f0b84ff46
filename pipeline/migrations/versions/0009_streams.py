"""shared streams: a cursor per network, and the gaps a stream left unread

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('stream_cursors',
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('network')
    )
    op.create_table('stream_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('listing', sa.String(length=40), nullable=False),
    sa.Column('unread_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unread_to', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_stream_gaps_recorded_at', 'stream_gaps', ['recorded_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_stream_gaps_recorded_at', table_name='stream_gaps')
    op.drop_table('stream_gaps')
    op.drop_table('stream_cursors')
