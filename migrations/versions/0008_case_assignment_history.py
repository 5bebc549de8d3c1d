"""everyone a case was assigned to

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-25 23:00:00

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_assignment",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_case_assignment_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_case_assignment_user_id_user")
        ),
        sa.PrimaryKeyConstraint("complaint_id", "user_id", name=op.f("pk_case_assignment")),
    )
    with op.batch_alter_table("case_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_assignment_user_id"), ["user_id"], unique=False)

    # Earlier assignments are read back from the timeline, where each one was recorded.
    conn = op.get_bind()
    seen: dict[tuple[int, int], object] = {}
    rows = conn.execute(
        sa.text(
            "SELECT complaint_id, data, created_at FROM case_event "
            "WHERE kind = 'assigned' ORDER BY id"
        )
    )
    for complaint_id, data, created_at in rows:
        if isinstance(data, str):
            data = json.loads(data)
        user_id = (data or {}).get("to")
        if isinstance(user_id, int):
            seen.setdefault((complaint_id, user_id), created_at)
    current = conn.execute(
        sa.text("SELECT id, assignee_id, received_at FROM complaint WHERE assignee_id IS NOT NULL")
    )
    for complaint_id, user_id, received_at in current:
        seen.setdefault((complaint_id, user_id), received_at)
    if seen:
        # Plain SQL: each database hands back and takes its own timestamp form unchanged.
        conn.execute(
            sa.text(
                "INSERT INTO case_assignment (complaint_id, user_id, assigned_at) "
                "VALUES (:c, :u, :at)"
            ),
            [{"c": c, "u": u, "at": at} for (c, u), at in seen.items()],
        )


def downgrade():
    with op.batch_alter_table("case_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_assignment_user_id"))
    op.drop_table("case_assignment")
