"""An index on shifts by session and status, for joins from sessions (figures, rosters).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 14:20:29.343885

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('ix_shifts_session_id_status', ['session_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_session_id_status')

