"""form_draft: the sealed answers of complaint forms being filled in step by step

Revision ID: 0017
Revises: 0015

The resident's form asks one topic per page; the answers between pages are kept here,
sealed, under a keyed hash of the key in the browser's signed session.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=80), nullable=False),
        sa.Column("answers_ct", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_draft")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_form_draft_key_hash")),
    )
    op.create_index(op.f("ix_form_draft_updated_at"), "form_draft", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_form_draft_updated_at"), table_name="form_draft")
    op.drop_table("form_draft")
