"""Reminder failure codes: why the last try did not certainly send, for /metrics.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_code', sa.String(length=30), nullable=True))
    op.create_index(
        'ix_reminders_failure_code', 'reminders', ['failure_code', 'status'], unique=False,
        postgresql_where=sa.text('failure_code IS NOT NULL'),
        sqlite_where=sa.text('failure_code IS NOT NULL'),
    )


def downgrade():
    op.drop_index(
        'ix_reminders_failure_code', table_name='reminders',
        postgresql_where=sa.text('failure_code IS NOT NULL'),
        sqlite_where=sa.text('failure_code IS NOT NULL'),
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_column('failure_code')
