"""api budgets: each platform API's rate-limit state at its last answer, and requests made today

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'api_budgets',
        sa.Column('api', sa.String(length=40), nullable=False),
        sa.Column('limit', sa.Integer(), nullable=True),
        sa.Column('remaining', sa.Integer(), nullable=True),
        sa.Column('window', sa.String(length=20), nullable=True),
        sa.Column('resets_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('requests_today', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('api'),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('api_budgets')
