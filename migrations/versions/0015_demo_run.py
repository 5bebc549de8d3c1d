"""demo_run: the cases each demo-data run made

Revision ID: 0015
Revises: 0014

``flask demo-data`` refuses to add synthetic cases to a database that holds real ones; this
table is how it tells them apart. Each run takes one block of complaint ids.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demo_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("first_complaint_id", sa.Integer(), nullable=False),
        sa.Column("last_complaint_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "last_complaint_id >= first_complaint_id", name=op.f("ck_demo_run_demo_run_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_run")),
    )


def downgrade() -> None:
    op.drop_table("demo_run")
