"""A coordinator's calendar address keeps what it shows (wards, kinds, topics, venues), so
the choice can change without a new address.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calendar_tokens') as batch_op:
        batch_op.add_column(sa.Column('filters', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('calendar_tokens') as batch_op:
        batch_op.drop_column('filters')
