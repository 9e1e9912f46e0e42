"""The scheduler leader's lease: one scheduler of many runs the jobs that must run once,
and another takes over within a minute when it stops.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 09:20:00

"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    leases = op.create_table(
        'scheduler_leases',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('until_dt', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases')),
    )
    # Long run out: the first scheduler to ask leads.
    op.bulk_insert(leases, [{'name': 'leader', 'holder': '', 'until_dt': datetime(2000, 1, 1)}])


def downgrade():
    op.drop_table('scheduler_leases')
