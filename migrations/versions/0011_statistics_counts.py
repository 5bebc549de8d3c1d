"""statistics: counts per reporting period kept beside the cases, an index by receipt time

Revision ID: 0011
Revises: 0010

The counts start empty and unused (no ``stat_basis`` row): the statistics read the cases
directly until ``flask --app wsgi stats rebuild`` fills them, or until the first case is filed
on a database that holds none. From then on every change to a case updates them in the same
transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KEY = sa.String(length=20)


def upgrade():
    op.create_table(
        "stat_complaint_count",
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("status", KEY, nullable=False),
        sa.Column("agency", KEY, nullable=False),
        sa.Column("channel", KEY, nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "period", "status", "agency", "channel", "urgent", name=op.f("pk_stat_complaint_count")
        ),
    )
    op.create_table(
        "stat_allegation_count",
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("status", KEY, nullable=False),
        sa.Column("agency", KEY, nullable=False),
        sa.Column("channel", KEY, nullable=False),
        sa.Column("clause_code", sa.String(length=10), nullable=False),
        sa.Column("disposition", KEY, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "period",
            "status",
            "agency",
            "channel",
            "clause_code",
            "disposition",
            name=op.f("pk_stat_allegation_count"),
        ),
    )
    op.create_table(
        "stat_clause_complaint_count",
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("clause_code", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "period", "clause_code", name=op.f("pk_stat_clause_complaint_count")
        ),
    )
    op.create_table(
        "stat_duration_count",
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "period", "measure", "urgent", "amount", name=op.f("pk_stat_duration_count")
        ),
    )
    op.create_table(
        "stat_basis",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reporting_start", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_basis")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_received_times",
            ["received_at", "urgent", "acknowledged_at", "closed_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_received_times")
    op.drop_table("stat_basis")
    op.drop_table("stat_duration_count")
    op.drop_table("stat_clause_complaint_count")
    op.drop_table("stat_allegation_count")
    op.drop_table("stat_complaint_count")
