"""web inbox: users, sessions, indexes for the inbox and the filters, full-text search

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from pipeline.dialect import create_fulltext, drop_fulltext
from pipeline.models import INBOX_CONDITION

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('web_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)
    op.create_index('ix_mentions_inbox', 'mentions', ['urgent', 'id'], unique=False,
                    sqlite_where=sa.text(INBOX_CONDITION), postgresql_where=sa.text(INBOX_CONDITION))
    op.create_index('ix_mentions_label_id', 'mentions', ['label', 'id'], unique=False)
    op.create_index('ix_mentions_source_type_id', 'mentions', ['source_type', 'id'], unique=False)
    op.create_index('ix_mentions_first_seen', 'mentions', ['first_seen_at'], unique=False)
    create_fulltext(op.get_bind())


def downgrade() -> None:
    """Downgrade schema."""
    drop_fulltext(op.get_bind())
    for index in ('ix_mentions_first_seen', 'ix_mentions_source_type_id', 'ix_mentions_label_id', 'ix_mentions_inbox'):
        op.drop_index(index, table_name='mentions')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))
    op.drop_table('web_sessions')
    op.drop_table('web_users')
