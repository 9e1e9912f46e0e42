"""Figure snapshots: each metric counted for all wards, which the dashboard reads.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 06:57:44.630574

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('figure_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('sessions_held', 'consultations_held', 'volunteers_trained', 'attendances', 'participants', 'online_procedure_share', 'volunteer_hours', 'shift_fill_rate', 'resident_no_show_rate', 'volunteer_no_show_rate', 'reminder_reach', 'online_completion_rate', 'divide_resolution_rate', name='metric', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('computed_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_snapshots')),
    sa.UniqueConstraint('metric', 'first_year', 'last_year', name=op.f('uq_figure_snapshots_metric_first_year_last_year'))
    )
    op.create_table('figure_cells',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('breakdown', sa.String(length=20), nullable=False),
    sa.Column('numerator', sa.Double(), nullable=False),
    sa.Column('denominator', sa.Double(), nullable=False),
    sa.Column('count', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['figure_snapshots.id'], name=op.f('fk_figure_cells_snapshot_id_figure_snapshots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_figure_cells_ward_id_wards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_cells'))
    )
    with op.batch_alter_table('figure_cells', schema=None) as batch_op:
        batch_op.create_index('ix_figure_cells_snapshot_id_ward_id', ['snapshot_id', 'ward_id'], unique=False)



def downgrade():
    with op.batch_alter_table('figure_cells', schema=None) as batch_op:
        batch_op.drop_index('ix_figure_cells_snapshot_id_ward_id')

    op.drop_table('figure_cells')
    op.drop_table('figure_snapshots')
