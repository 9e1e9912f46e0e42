"""Surveys that measure the outcome: each resident asked (the follow-up, the yearly
sample) with their answers, outbox rows that ask them, and the satisfaction metric.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 11:30:24.280294

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

METRICS = ('sessions_held', 'consultations_held', 'volunteers_trained', 'attendances',
           'participants', 'online_procedure_share', 'volunteer_hours', 'shift_fill_rate',
           'resident_no_show_rate', 'volunteer_no_show_rate', 'reminder_reach',
           'online_completion_rate', 'divide_resolution_rate', 'course_completion',
           'staff_literacy', 'dx_leaders')
NEW = ('satisfaction',)


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
    op.create_table('survey_asks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('follow_up', 'yearly', name='survey_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('asked_on', sa.Date(), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.Column('link_token', sa.String(length=20), nullable=False),
    sa.Column('used_online', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('outcome', sa.Enum('answered', 'no_answer', 'declined', name='survey_outcome', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('via', sa.Enum('call', 'link', 'staff', name='survey_via', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('answered_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('satisfaction BETWEEN 1 AND 5', name=op.f('ck_survey_asks_satisfaction_range')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_survey_asks_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_survey_asks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_survey_asks_follow_up_id_follow_ups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_survey_asks_resident_id_residents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_survey_asks_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_asks')),
    sa.UniqueConstraint('follow_up_id', name=op.f('uq_survey_asks_follow_up_id')),
    sa.UniqueConstraint('kind', 'fiscal_year', 'resident_id', name=op.f('uq_survey_asks_kind_fiscal_year_resident_id')),
    sa.UniqueConstraint('link_token', name=op.f('uq_survey_asks_link_token'))
    )
    with op.batch_alter_table('survey_asks', schema=None) as batch_op:
        batch_op.create_index('ix_survey_asks_ward_id_fiscal_year', ['ward_id', 'fiscal_year'], unique=False)
        batch_op.create_index('ix_survey_asks_open_created_dt', ['created_dt'], unique=False, postgresql_where=sa.text('outcome IS NULL'), sqlite_where=sa.text('outcome IS NULL'))

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_open_due_on', ['due_on'], unique=False, postgresql_where=sa.text('answer IS NULL'), sqlite_where=sa.text('answer IS NULL'))

    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_ask_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_reminders_survey_ask_id', ['survey_ask_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reminders_survey_ask_id_survey_asks'), 'survey_asks', ['survey_ask_id'], ['id'], ondelete='CASCADE')



def downgrade():
    new = ", ".join(f"'{m}'" for m in NEW)
    op.execute("DELETE FROM figure_cells WHERE snapshot_id IN "
               f"(SELECT id FROM figure_snapshots WHERE metric IN ({new}))")
    op.execute(f"DELETE FROM figure_snapshots WHERE metric IN ({new})")
    op.execute(f"DELETE FROM targets WHERE metric IN ({new})")
    _metrics_check(METRICS)
    op.execute("DELETE FROM reminders WHERE survey_ask_id IS NOT NULL")
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reminders_survey_ask_id_survey_asks'), type_='foreignkey')
        batch_op.drop_index('ix_reminders_survey_ask_id')
        batch_op.drop_column('survey_ask_id')

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_open_due_on', postgresql_where=sa.text('answer IS NULL'), sqlite_where=sa.text('answer IS NULL'))

    with op.batch_alter_table('survey_asks', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_asks_open_created_dt', postgresql_where=sa.text('outcome IS NULL'), sqlite_where=sa.text('outcome IS NULL'))
        batch_op.drop_index('ix_survey_asks_ward_id_fiscal_year')

    op.drop_table('survey_asks')
