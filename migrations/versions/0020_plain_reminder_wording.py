"""Reminder wording as plain words with named places (「{日時}」), one row per message and
kind, instead of Jinja templates that staff had to edit as code.

A ward's own Jinja text is turned into plain words for each kind of its message by
filling it in with the places' names, as for a course and a two-way sender, then naming
what only those say (「2」と返信か, 全日程を, the course part) as places. A text that cannot
be filled in that way, or leaves a place that is not one of ours, is dropped (the
standard wording is used, and the ward can write its own again).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 03:00:00.000000

"""
import re
from collections import namedtuple

from alembic import op
import sqlalchemy as sa
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

KINDS = {
    'sms_resident.txt': ('two_days_before', 'morning'),
    'voice_resident.txt': ('two_days_before', 'morning'),
    'sms_notice.txt': ('promoted', 'cancelled', 'moved'),
    'voice_notice.txt': ('promoted', 'cancelled', 'moved'),
    'sms_volunteer.txt': ('day_before',),
}
Ward = namedtuple('Ward', 'name_ja booking_phone')
PLACES = dict(
    ward=Ward('{区名}', '{区の電話}'), day='{日時}', start='', title='{名前}', venue='{会場}',
    ward_phone='{区の電話}', two_way=True, course='{回}', when_spoken='{日時}',
    ward_phone_spoken='{区の電話}', role='{役割}',
)
#: What a course or a two-way sender alone made the old texts say, as places now.
NAMED = [('「2」と返信か', '{返信}'), ('講座の全日程の', '{全日程}'), ('全日程を', '{全日程}'),
         ('の{回}', '{回}'), ('{名前}{会場}', '{名前} {会場}')]
ALLOWED = {'区名', '日時', '名前', '会場', '回', '区の電話', '全日程', '返信', '役割'}


def plain(template, kind):
    words = template.render(kind=kind, **PLACES).strip()
    for said, place in NAMED:
        words = words.replace(said, place)
    if not set(re.findall(r'\{([^{}]*)\}', words)) <= ALLOWED or set('{}') & set(re.sub(r'\{[^{}]*\}', '', words)):
        raise ValueError(words)
    return words


def upgrade():
    texts = sa.table('reminder_texts', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('kind', sa.String), sa.column('body', sa.Text),
                     sa.column('ward_id', sa.Integer), sa.column('updated_dt', sa.DateTime(timezone=True)),
                     sa.column('updated_by_id', sa.Integer))
    with op.batch_alter_table('reminder_texts') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=30), nullable=True))
        batch_op.drop_constraint('uq_reminder_texts_ward_id_name', type_='unique')
    connection = op.get_bind()
    sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    for row in connection.execute(sa.select(texts)).all():
        connection.execute(sa.delete(texts).where(texts.c.id == row.id))
        try:
            template = sandbox.from_string(row.body)
            words = {kind: plain(template, kind) for kind in KINDS.get(row.name, ())}
        except Exception:  # a text that cannot be made plain: the standard one is used
            continue
        for kind, body in words.items():
            connection.execute(sa.insert(texts).values(
                ward_id=row.ward_id, name=row.name, kind=kind, body=body,
                updated_dt=row.updated_dt, updated_by_id=row.updated_by_id))
    with op.batch_alter_table('reminder_texts') as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=30), nullable=False)
        batch_op.create_unique_constraint(op.f('uq_reminder_texts_ward_id_name_kind'), ['ward_id', 'name', 'kind'])


def downgrade():
    # The plain words cannot become the old templates again: the standard wording is used.
    op.execute('DELETE FROM reminder_texts')
    with op.batch_alter_table('reminder_texts') as batch_op:
        batch_op.drop_constraint('uq_reminder_texts_ward_id_name_kind', type_='unique')
        batch_op.drop_column('kind')
        batch_op.create_unique_constraint(op.f('uq_reminder_texts_ward_id_name'), ['ward_id', 'name'])
