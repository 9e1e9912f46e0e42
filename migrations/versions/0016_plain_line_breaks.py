"""Line breaks stored as LF: text typed in a browser before, saved with CR LF, made plain.

Without it, opening such a record and saving it unchanged would change it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

#: The columns people fill in a text area, on the pages or through the API.
TYPED = {
    'residents': ['needs'],
    'sessions': ['description', 'cancel_reason'],
    'venues': ['access_notes'],
    'follow_ups': ['note'],
    'volunteer_profiles': ['availability_notes'],
    'wards': ['booking_counter'],
    'reminder_texts': ['body'],
}


def upgrade():
    for table, columns in TYPED.items():
        for column in columns:
            # Only rows holding a CR are written: a national database is not rewritten.
            op.execute(
                sa.text(
                    f"UPDATE {table} SET {column} = REPLACE(REPLACE({column}, :crlf, :lf), :cr, :lf) "
                    f"WHERE {column} LIKE :has_cr"
                ).bindparams(crlf="\r\n", lf="\n", cr="\r", has_cr="%\r%")
            )


def downgrade():
    pass  # LF is what every page and the API store now; nothing to undo
