"""replies are claimed once per review and text, and one at a time per review

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

"""
import hashlib
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: claim, in_flight, attempt_at, attempts; existing rows claimed as the code would."""
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('in_flight', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    # Before the constraints: each review's newest sent reply holds its text's claim, and its newest
    # pending one (an outcome never recorded) is the one on its way; older ones are history.
    bind = op.get_bind()
    rows = bind.execute(sa.text("select id, mention_id, text, status from replies where status in ('sent', 'pending') "
                                "order by mention_id, id desc")).all()
    claimed: set[tuple[int, str]] = set()
    flying: set[int] = set()
    answered: set[int] = set()
    for row_id, mention_id, text, status in rows:
        claim = hashlib.sha256(text.strip().encode()).hexdigest()
        values: dict[str, object] = {}
        if status == 'sent' and mention_id not in answered and (mention_id, claim) not in claimed:
            values['claim'] = claim
            answered.add(mention_id)
        elif status == 'pending' and mention_id not in flying and (mention_id, claim) not in claimed:
            values.update(claim=claim, in_flight=mention_id)
            flying.add(mention_id)
        if values:
            claimed.add((mention_id, str(values['claim'])))
            sets = ", ".join(f"{k} = :{k}" for k in values)
            bind.execute(sa.text(f"update replies set {sets} where id = :id"), {**values, 'id': row_id})
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_replies_mention_claim', ['mention_id', 'claim'])
        batch_op.create_unique_constraint('uq_replies_in_flight', ['in_flight'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_constraint('uq_replies_in_flight', type_='unique')
        batch_op.drop_constraint('uq_replies_mention_claim', type_='unique')
        batch_op.drop_column('attempts')
        batch_op.drop_column('attempt_at')
        batch_op.drop_column('in_flight')
        batch_op.drop_column('claim')
