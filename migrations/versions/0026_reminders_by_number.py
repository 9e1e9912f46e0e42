"""Reminders by number and status: each batch a dispatcher claims asks which of its
numbers have a message on its way or waiting to be tried again, which without this index
read every pending row (a million and a half at national scale).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 10:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_reminders_to_e164_status', 'reminders', ['to_e164', 'status'])


def downgrade():
    op.drop_index('ix_reminders_to_e164_status', table_name='reminders')
