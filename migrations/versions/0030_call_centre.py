"""The joint call centre: its operators (a new role), its log of calls, and a kana index
for looking callers up in every ward.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 08:21:32.521636

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

ROLES = ("admin", "coordinator", "ward_staff", "volunteer", "integration")


def _roles_check(roles):
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_user_role"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_users_user_role"), "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"
        )


def upgrade():
    _roles_check(ROLES + ("operator",))
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("caller_e164", sa.String(length=20), nullable=True),
        sa.Column(
            "topic",
            sa.Enum(
                "phone_use",
                "online_procedures",
                "booking",
                "other",
                name="call_topic",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "answered",
                "booked",
                "passed",
                name="call_outcome",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("is_resolved", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("handled_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome != 'booked' OR resident_id IS NOT NULL",
            name=op.f("ck_calls_booked_has_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_calls_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["course_enrolments.id"],
            name=op.f("fk_calls_enrolment_id_course_enrolments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["users.id"],
            name=op.f("fk_calls_handled_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name=op.f("fk_calls_operator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_calls_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["ward_id"], ["wards.id"], name=op.f("fk_calls_ward_id_wards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calls_passed_waiting",
            ["ward_id"],
            unique=False,
            postgresql_where=sa.text("outcome = 'passed' AND handled_dt IS NULL"),
            sqlite_where=sa.text("outcome = 'passed' AND handled_dt IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_calls_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(
            "ix_calls_ward_id_received_dt", ["ward_id", "received_dt"], unique=False
        )

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_residents_kana_key",
            ["kana_key"],
            unique=False,
            postgresql_ops={"kana_key": "varchar_pattern_ops"},
        )


def downgrade():
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_residents_kana_key", postgresql_ops={"kana_key": "varchar_pattern_ops"}
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_ward_id_received_dt")
        batch_op.drop_index(batch_op.f("ix_calls_resident_id"))
        batch_op.drop_index(
            "ix_calls_passed_waiting",
            postgresql_where=sa.text("outcome = 'passed' AND handled_dt IS NULL"),
            sqlite_where=sa.text("outcome = 'passed' AND handled_dt IS NULL"),
        )

    op.drop_table("calls")
    # An operator's account stays (the audit log names it), closed, as another role.
    op.execute("UPDATE users SET role = 'volunteer', is_active = false WHERE role = 'operator'")
    _roles_check(ROLES)
