"""agencies: web users belong to a client; outbox messages record their Slack workspace

Revision ID: 0014_user_client
Revises: 0013
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('web_users') as batch:
        batch.add_column(sa.Column('client', sa.String(length=200), nullable=True))
    with op.batch_alter_table('alert_messages') as batch:
        batch.add_column(sa.Column('workspace', sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('alert_messages') as batch:
        batch.drop_column('workspace')
    with op.batch_alter_table('web_users') as batch:
        batch.drop_column('client')
