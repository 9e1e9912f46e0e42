"""Each ward's cache version: a random token replaced in the transaction of any change to
what its pages show, so a cached page is found only while it is still true.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 09:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wards') as batch_op:
        batch_op.add_column(
            sa.Column('cache_version', sa.String(length=16), nullable=False, server_default='')
        )
    wards = sa.table('wards', sa.column('id', sa.Integer), sa.column('cache_version', sa.String))
    connection = op.get_bind()
    for (ward_id,) in connection.execute(sa.select(wards.c.id)):
        # Random, not counted from zero: a rebuilt database never meets a page cached
        # (in Redis) for the one before it.
        connection.execute(
            wards.update().where(wards.c.id == ward_id).values(cache_version=secrets.token_hex(8))
        )


def downgrade():
    with op.batch_alter_table('wards') as batch_op:
        batch_op.drop_column('cache_version')
