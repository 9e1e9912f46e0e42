"""Courses: a series booked as one; each resident's enrolment, and the bookings it holds;
and their completion as a metric targets may be set for.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

METRICS = ('sessions_held', 'consultations_held', 'volunteers_trained', 'attendances',
           'participants', 'online_procedure_share', 'volunteer_hours', 'shift_fill_rate',
           'resident_no_show_rate', 'volunteer_no_show_rate', 'reminder_reach',
           'online_completion_rate', 'divide_resolution_rate')


def _metrics_check(metrics):
    """The tables that name a metric accept exactly ``metrics``."""
    for table in ('targets', 'survey_figures', 'figure_snapshots'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_metric'), type_='check')
            batch_op.create_check_constraint(
                op.f(f'ck_{table}_metric'), "metric IN (" + ", ".join(f"'{m}'" for m in metrics) + ")"
            )


def upgrade():
    _metrics_check(METRICS + ('course_completion',))
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_course', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('course_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('enrolled', 'waitlisted', 'cancelled', name='enrolment_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('source', sa.Enum('phone', 'counter', 'web', 'walk_in', name='booking_source', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('queued_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_course_enrolments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_course_enrolments_resident_id_residents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_course_enrolments_series_id_series'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_course_enrolments_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_enrolments'))
    )
    op.create_index('ix_course_enrolments_series_id_status_queued_dt', 'course_enrolments', ['series_id', 'status', 'queued_dt'], unique=False)
    op.create_index(op.f('ix_course_enrolments_ward_id'), 'course_enrolments', ['ward_id'], unique=False)
    op.create_index('uq_course_enrolments_series_resident', 'course_enrolments', ['series_id', 'resident_id'], unique=True, postgresql_where=sa.text("status != 'cancelled'"), sqlite_where=sa.text("status != 'cancelled'"))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_bookings_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bookings_enrolment_id_course_enrolments'), 'course_enrolments', ['enrolment_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bookings_enrolment_id_course_enrolments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bookings_enrolment_id'))
        batch_op.drop_column('enrolment_id')
    op.drop_index('uq_course_enrolments_series_resident', table_name='course_enrolments', postgresql_where=sa.text("status != 'cancelled'"), sqlite_where=sa.text("status != 'cancelled'"))
    op.drop_index(op.f('ix_course_enrolments_ward_id'), table_name='course_enrolments')
    op.drop_index('ix_course_enrolments_series_id_status_queued_dt', table_name='course_enrolments')
    op.drop_table('course_enrolments')
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('is_course')
    op.execute("DELETE FROM figure_cells WHERE snapshot_id IN (SELECT id FROM figure_snapshots WHERE metric = 'course_completion')")
    op.execute("DELETE FROM figure_snapshots WHERE metric = 'course_completion'")
    op.execute("DELETE FROM targets WHERE metric = 'course_completion'")
    _metrics_check(METRICS)
