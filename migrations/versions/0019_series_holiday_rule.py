"""A series skips, moves or holds a date on a public holiday, instead of only skipping.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('series') as batch_op:
        batch_op.add_column(sa.Column('holiday_rule', sa.Enum('skip', 'move', 'hold', name='holiday_rule', native_enum=False, create_constraint=True, length=8), nullable=False, server_default='skip'))
    op.execute("UPDATE series SET holiday_rule = CASE WHEN skips_holidays THEN 'skip' ELSE 'hold' END")
    with op.batch_alter_table('series') as batch_op:
        batch_op.alter_column('holiday_rule', server_default=None)
        batch_op.drop_column('skips_holidays')


def downgrade():
    with op.batch_alter_table('series') as batch_op:
        batch_op.add_column(sa.Column('skips_holidays', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE series SET skips_holidays = (holiday_rule <> 'hold')")
    with op.batch_alter_table('series') as batch_op:
        batch_op.alter_column('skips_holidays', server_default=None)
        batch_op.drop_constraint(op.f('ck_series_holiday_rule'), type_='check')
        batch_op.drop_column('holiday_rule')
