"""Targets per metric, ward (or all wards) and fiscal years; survey figures entered by staff.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:00:05.519087

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('sessions_held', 'consultations_held', 'volunteers_trained', 'attendances', 'participants', 'online_procedure_share', 'volunteer_hours', 'shift_fill_rate', 'resident_no_show_rate', 'volunteer_no_show_rate', 'reminder_reach', 'online_completion_rate', 'divide_resolution_rate', name='metric', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('respondents', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('respondents >= 0', name=op.f('ck_survey_figures_respondents_not_negative')),
    sa.CheckConstraint('value >= 0 AND value <= 100', name=op.f('ck_survey_figures_percent')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_survey_figures_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_survey_figures_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_figures')),
    sa.UniqueConstraint('ward_id', 'metric', 'month', name=op.f('uq_survey_figures_ward_id_metric_month'))
    )
    op.create_table('targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('sessions_held', 'consultations_held', 'volunteers_trained', 'attendances', 'participants', 'online_procedure_share', 'volunteer_hours', 'shift_fill_rate', 'resident_no_show_rate', 'volunteer_no_show_rate', 'reminder_reach', 'online_completion_rate', 'divide_resolution_rate', name='metric', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('last_year >= first_year', name=op.f('ck_targets_years_in_order')),
    sa.CheckConstraint('value >= 0', name=op.f('ck_targets_value_not_negative')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_targets_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_targets_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets'))
    )
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.create_index('uq_targets_all_wards', ['metric', 'first_year', 'last_year'], unique=True, postgresql_where=sa.text('ward_id IS NULL'), sqlite_where=sa.text('ward_id IS NULL'))
        batch_op.create_index('uq_targets_ward', ['metric', 'ward_id', 'first_year', 'last_year'], unique=True, postgresql_where=sa.text('ward_id IS NOT NULL'), sqlite_where=sa.text('ward_id IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_index('uq_targets_ward', postgresql_where=sa.text('ward_id IS NOT NULL'), sqlite_where=sa.text('ward_id IS NOT NULL'))
        batch_op.drop_index('uq_targets_all_wards', postgresql_where=sa.text('ward_id IS NULL'), sqlite_where=sa.text('ward_id IS NULL'))

    op.drop_table('targets')
    op.drop_table('survey_figures')
