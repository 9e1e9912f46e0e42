"""Consent per contact (a proxy who replied 停止 gets nothing more) and the replies inbox.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 15:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proxy_opted_out_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('proxy_opted_out_source', sa.Enum('staff', 'sms', 'voice', name='proxy_opt_out_source', native_enum=False, create_constraint=True, length=20), nullable=True))
    op.create_table('replies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('received_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('sms', 'voice', 'none', name='reminder_channel', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('from_e164', sa.String(length=20), nullable=False),
    sa.Column('body', sa.String(length=320), nullable=False),
    sa.Column('outcome', sa.Enum('confirmed', 'cancelled', 'already_cancelled', 'ambiguous', 'stopped', 'no_booking', 'not_understood', name='reply_outcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reminder_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('resident_ids', sa.JSON(), nullable=False),
    sa.Column('handled_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_replies_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminders.id'], name=op.f('fk_replies_reminder_id_reminders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_replies_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replies'))
    )
    op.create_index('ix_replies_ward_id_waiting', 'replies', ['ward_id', 'handled_dt', 'received_dt'], unique=False)


def downgrade():
    op.drop_index('ix_replies_ward_id_waiting', table_name='replies')
    op.drop_table('replies')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_constraint('proxy_opt_out_source', type_='check')
        batch_op.drop_column('proxy_opted_out_source')
        batch_op.drop_column('proxy_opted_out_dt')
