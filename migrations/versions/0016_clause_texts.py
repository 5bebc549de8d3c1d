"""clause_text, guided_question_text: the ordinance's official text in each language

Revision ID: 0016
Revises: 0015

English stays in ``clause`` and ``guided_question`` (the source, and the fallback a reader
sees when their language has no text). Each edit of a translation is a new revision row, so
the history of the wording is kept as it is for English clause versions.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clause_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clause_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("full_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_clause_text_revision_positive")),
        sa.ForeignKeyConstraint(
            ["clause_id"],
            ["clause.id"],
            name=op.f("fk_clause_text_clause_id_clause"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_clause_text_created_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clause_text")),
        sa.UniqueConstraint("clause_id", "language", "revision", name="uq_clause_text_revision"),
    )
    with op.batch_alter_table("clause_text", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clause_text_clause_id"), ["clause_id"], unique=False)

    op.create_table(
        "guided_question_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_guided_question_text_revision_positive")),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["guided_question.id"],
            name=op.f("fk_guided_question_text_question_id_guided_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_guided_question_text_created_by_id_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guided_question_text")),
        sa.UniqueConstraint(
            "question_id", "language", "revision", name="uq_guided_question_text_revision"
        ),
    )
    with op.batch_alter_table("guided_question_text", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guided_question_text_question_id"), ["question_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("guided_question_text", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guided_question_text_question_id"))
    op.drop_table("guided_question_text")
    with op.batch_alter_table("clause_text", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_text_clause_id"))
    op.drop_table("clause_text")
