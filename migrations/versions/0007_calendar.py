"""Calendar feed tokens, .ics imports waiting for confirmation, and the imported UID of sessions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 13:13:37.918454

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_imports_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_calendar_imports_venue_id_venues')),
    sa.ForeignKeyConstraint(['ward_id'], ['wards.id'], name=op.f('fk_calendar_imports_ward_id_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_imports'))
    )
    op.create_table('calendar_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('feed', sa.Enum('volunteer', 'coordinator', name='feed_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_tokens_token_hash'))
    )
    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.create_index('uq_calendar_tokens_live', ['user_id', 'feed'], unique=True, postgresql_where=sa.text('revoked_dt IS NULL'), sqlite_where=sa.text('revoked_dt IS NULL'))

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_uid', sa.String(length=300), nullable=True))
        batch_op.create_index('uq_sessions_ward_id_import_uid', ['ward_id', 'import_uid'], unique=True)



def downgrade():
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_sessions_ward_id_import_uid')
        batch_op.drop_column('import_uid')

    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.drop_index('uq_calendar_tokens_live', postgresql_where=sa.text('revoked_dt IS NULL'), sqlite_where=sa.text('revoked_dt IS NULL'))

    op.drop_table('calendar_tokens')
    op.drop_table('calendar_imports')
