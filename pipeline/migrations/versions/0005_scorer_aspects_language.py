"""learned scorer: each mention's aspects, language, the model's probability and VADER's compound

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('probability', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('vader_compound', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('aspects', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_column('aspects')
        batch_op.drop_column('language')
        batch_op.drop_column('vader_compound')
        batch_op.drop_column('probability')
