"""Replies keep what the person was told back and the bookings it could have meant.

Staff following up an unclear reply see what the resident already read, and which
bookings it may have been about.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 19:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('replies') as batch_op:
        batch_op.add_column(sa.Column('told', sa.String(length=320), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('booking_ids', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table('replies') as batch_op:
        batch_op.drop_column('booking_ids')
        batch_op.drop_column('told')
