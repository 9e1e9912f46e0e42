"""Outbox rows about a loan smartphone: no session, a deadline of their own.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 07:59:23.254020

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loan_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deadline_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('session_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index('ix_reminders_loan_id', ['loan_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_reminders_loan_id_loans'), 'loans', ['loan_id'], ['id'],
            ondelete='CASCADE',
        )
        batch_op.create_check_constraint(
            'deadline_known', sa.text("session_id IS NOT NULL OR deadline_dt IS NOT NULL")
        )


def downgrade():
    op.execute("DELETE FROM reminders WHERE session_id IS NULL")
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reminders_deadline_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reminders_loan_id_loans'), type_='foreignkey')
        batch_op.drop_index('ix_reminders_loan_id')
        batch_op.alter_column('session_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('deadline_dt')
        batch_op.drop_column('loan_id')
