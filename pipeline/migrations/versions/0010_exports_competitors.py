"""web users may hold a token for the read-only JSON API (`mentionwatch user token NAME`), kept as its
SHA-256; a business may be a competitor of another (`competitors:`), stored and never alerted

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('web_users', sa.Column('api_token_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_web_users_api_token', 'web_users', ['api_token_hash'], unique=True)
    op.add_column('businesses', sa.Column('competitor', sa.Boolean(), server_default=sa.text('false'),
                                          nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('businesses') as batch:
        batch.drop_column('competitor')
    op.drop_index('ix_web_users_api_token', table_name='web_users')
    with op.batch_alter_table('web_users') as batch:
        batch.drop_column('api_token_hash')
