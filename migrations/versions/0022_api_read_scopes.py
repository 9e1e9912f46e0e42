"""Every API read gets a scope of its own (bookings:read, reminders:read, volunteers:read):
keys that could read bookings and their reminders through bookings:write keep that. A
volunteer's record is personal data: no key gets volunteers:read without an
administrator's choice (sessions:read keys now see volunteers on shifts by id).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 06:00:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

#: A scope of the earlier version, and the read scopes its routes need now.
SPLIT = {
    'bookings:write': ['bookings:read', 'reminders:read'],
}

api_keys = sa.table('api_keys', sa.column('id', sa.Integer), sa.column('scopes', sa.JSON))


def upgrade():
    connection = op.get_bind()
    for key_id, scopes in connection.execute(sa.select(api_keys.c.id, api_keys.c.scopes)):
        scopes = json.loads(scopes) if isinstance(scopes, str) else scopes
        kept = sorted({*scopes, *(added for old in scopes for added in SPLIT.get(old, []))})
        if kept != sorted(scopes):
            connection.execute(
                api_keys.update().where(api_keys.c.id == key_id).values(scopes=kept)
            )


def downgrade():
    connection = op.get_bind()
    new = {'bookings:read', 'reminders:read', 'volunteers:read', 'venues:write', 'wards:write'}
    for key_id, scopes in connection.execute(sa.select(api_keys.c.id, api_keys.c.scopes)):
        scopes = json.loads(scopes) if isinstance(scopes, str) else scopes
        connection.execute(
            api_keys.update().where(api_keys.c.id == key_id)
            .values(scopes=[scope for scope in scopes if scope not in new])
        )
