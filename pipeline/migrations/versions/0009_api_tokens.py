"""web users may hold a token for the read-only JSON API (`mentionwatch user token NAME`), kept as its SHA-256

Revision ID: 0009_api_tokens
Revises: 0008
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009_api_tokens'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('web_users', sa.Column('api_token_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_web_users_api_token', 'web_users', ['api_token_hash'], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_web_users_api_token', table_name='web_users')
    with op.batch_alter_table('web_users') as batch:
        batch.drop_column('api_token_hash')
