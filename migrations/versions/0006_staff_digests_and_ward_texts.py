"""Staff digests (the morning mail of follow-up calls due) and wards' own reminder texts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:56:40.631753

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_staff_digests_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_digests')),
    sa.UniqueConstraint('ward_id', 'kind', 'day', name=op.f('uq_staff_digests_ward_id_kind_day'))
    )
    op.create_table('reminder_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_reminder_texts_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_reminder_texts_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_texts')),
    sa.UniqueConstraint('ward_id', 'name', name=op.f('uq_reminder_texts_ward_id_name'))
    )


def downgrade():
    op.drop_table('reminder_texts')
    op.drop_table('staff_digests')
