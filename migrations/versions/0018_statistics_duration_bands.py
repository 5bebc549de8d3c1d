"""statistics: duration counts by band, and partial indexes on open cases by deadline

Revision ID: 0018
Revises: 0015

``stat_duration_band`` sums the duration counts of ``stat_duration_count`` by band (an hour of
minutes to acknowledge, a day of hours to close), so that a percentile over every period reads
a few hundred rows. It is filled here from the duration counts, so that the two agree
whatever state those are in: current (and so still current after the upgrade, with no
``stats rebuild``), or waiting for a rebuild, which recounts both.

Three partial indexes hold the open cases the dashboard counts as of now (awaiting
acknowledgement, investigated with the clock running, waiting on the complainant), each by
the moment it compares with now.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OPEN = "status IN ('submitted', 'triage', 'investigation', 'review')"
PARTIAL_INDEXES = (
    ("ix_complaint_ack_pending", "ack_due_at", "status = 'submitted'"),
    (
        "ix_complaint_investigation_running",
        "investigation_due_at",
        "status = 'investigation' AND waiting_since IS NULL",
    ),
    ("ix_complaint_waiting", "waiting_since", f"{OPEN} AND waiting_since IS NOT NULL"),
)
# amount // width rounded down, as the app computes it (SQL integer division truncates).
FILL_BANDS = """
INSERT INTO stat_duration_band (period, measure, urgent, band, n)
SELECT period, measure, urgent, band, SUM(n) FROM (
    SELECT period, measure, urgent, n,
           CASE WHEN amount >= 0 THEN amount / {width}
                ELSE -(({width} - 1 - amount) / {width}) END AS band
    FROM stat_duration_count WHERE measure = '{measure}'
) AS banded
GROUP BY period, measure, urgent, band
"""


def upgrade():
    op.create_table(
        "stat_duration_band",
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("band", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "period", "measure", "urgent", "band", name=op.f("pk_stat_duration_band")
        ),
    )
    for measure, width in (("ack", 60), ("close", 24)):
        op.execute(FILL_BANDS.format(measure=measure, width=width))
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        for name, column, where in PARTIAL_INDEXES:
            batch_op.create_index(
                name,
                [column, "received_at"],
                unique=False,
                postgresql_where=sa.text(where),
                sqlite_where=sa.text(where),
            )


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        for name, _column, _where in reversed(PARTIAL_INDEXES):
            batch_op.drop_index(name)
    op.drop_table("stat_duration_band")
