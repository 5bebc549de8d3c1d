"""server-side session grants (staff sign-in and tracked cases)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "session_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=80), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("staff", "track", name="grant_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'staff') = (user_id IS NOT NULL) AND (kind = 'track') = "
            "(complaint_id IS NOT NULL)",
            name=op.f("ck_session_grant_grant_has_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_session_grant_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_session_grant_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_grant")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_session_grant_token_hash")),
    )
    with op.batch_alter_table("session_grant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_grant_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_grant_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_session_grant_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("session_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_grant_user_id"))
        batch_op.drop_index(batch_op.f("ix_session_grant_expires_at"))
        batch_op.drop_index(batch_op.f("ix_session_grant_complaint_id"))

    op.drop_table("session_grant")
