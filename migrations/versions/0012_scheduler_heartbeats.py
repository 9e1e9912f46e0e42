"""Scheduler heartbeats: when each scheduler process last ran its jobs (for /readyz).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 08:30:27.950498

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_heartbeats',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('started_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_heartbeats'))
    )


def downgrade():
    op.drop_table('scheduler_heartbeats')
