"""Digital training for ward staff: training dates, staff's places and completion, and
the two metrics targets are set for (literacy completion, DX leaders).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 08:59:00.070137

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

METRICS = ('sessions_held', 'consultations_held', 'volunteers_trained', 'attendances',
           'participants', 'online_procedure_share', 'volunteer_hours', 'shift_fill_rate',
           'resident_no_show_rate', 'volunteer_no_show_rate', 'reminder_reach',
           'online_completion_rate', 'divide_resolution_rate', 'course_completion')
NEW = ('staff_literacy', 'dx_leaders')


def _metrics_check(metrics):
    """The tables that name a metric accept exactly ``metrics``."""
    for table in ('targets', 'survey_figures', 'figure_snapshots'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_metric'), type_='check')
            batch_op.create_check_constraint(
                op.f(f'ck_{table}_metric'),
                "metric IN (" + ", ".join(f"'{m}'" for m in metrics) + ")",
            )


def upgrade():
    _metrics_check(METRICS + NEW)
    op.create_table('staff_trainings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course', sa.Enum('literacy', 'dx_leader', 'specialist', name='staff_course', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('starts_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('cancelled_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity BETWEEN 1 AND 1000', name=op.f('ck_staff_trainings_capacity_range')),
    sa.CheckConstraint('ends_dt > starts_dt', name=op.f('ck_staff_trainings_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_staff_trainings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_staff_trainings_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_trainings'))
    )
    with op.batch_alter_table('staff_trainings', schema=None) as batch_op:
        batch_op.create_index('ix_staff_trainings_starts_dt', ['starts_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_trainings_ward_id'), ['ward_id'], unique=False)

    op.create_table('staff_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('enrolled', 'attended', 'absent', 'cancelled', name='staff_enrolment_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'attended') = (completed_on IS NOT NULL)", name=op.f('ck_staff_enrolments_completed_when_attended')),
    sa.ForeignKeyConstraint(['training_id'], ['staff_trainings.id'], name=op.f('fk_staff_enrolments_training_id_staff_trainings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_enrolments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_enrolments'))
    )
    with op.batch_alter_table('staff_enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_staff_enrolments_user_id_status', ['user_id', 'status'], unique=False)
        batch_op.create_index('uq_staff_enrolments_training_user', ['training_id', 'user_id'], unique=True, postgresql_where=sa.text("status != 'cancelled'"), sqlite_where=sa.text("status != 'cancelled'"))



def downgrade():
    new = ", ".join(f"'{m}'" for m in NEW)
    op.execute("DELETE FROM figure_cells WHERE snapshot_id IN "
               f"(SELECT id FROM figure_snapshots WHERE metric IN ({new}))")
    op.execute(f"DELETE FROM figure_snapshots WHERE metric IN ({new})")
    op.execute(f"DELETE FROM targets WHERE metric IN ({new})")
    _metrics_check(METRICS)
    with op.batch_alter_table('staff_enrolments', schema=None) as batch_op:
        batch_op.drop_index('uq_staff_enrolments_training_user', postgresql_where=sa.text("status != 'cancelled'"), sqlite_where=sa.text("status != 'cancelled'"))
        batch_op.drop_index('ix_staff_enrolments_user_id_status')

    op.drop_table('staff_enrolments')
    with op.batch_alter_table('staff_trainings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_trainings_ward_id'))
        batch_op.drop_index('ix_staff_trainings_starts_dt')

    op.drop_table('staff_trainings')
