"""organisations and advocates: contact, lead advocate, how a client consented

Revision ID: 0013
Revises: 0012

An organisation gets the email address the office writes to about its cases; an advocate
account can be its organisation's lead; an advocate's filing records how and on which day the
client agreed. Two new event kinds: an admin moving a case to another organisation (case
timeline) and making or unmaking a lead advocate (account events).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_EVENT_KINDS = (
    "submitted",
    "status_changed",
    "assigned",
    "clause_changed",
    "allegation_changed",
    "note",
    "message_to_complainant",
    "message_from_complainant",
    "attachment_added",
    "attachment_downloaded",
    "case_viewed",
    "contact_revealed",
    "merged",
    "legal_hold",
    "purged",
)
NEW_EVENT_KINDS = (*OLD_EVENT_KINDS, "organisation_changed")

OLD_ACCOUNT_KINDS = (
    "created",
    "role_changed",
    "deactivated",
    "reactivated",
    "password_reset",
    "password_changed",
    "two_factor_enrolled",
    "two_factor_replaced",
    "two_factor_reset",
    "recovery_code_used",
    "reset_requested",
    "reset_completed",
    "approval_requested",
    "approved",
    "refused",
)
NEW_ACCOUNT_KINDS = (*OLD_ACCOUNT_KINDS, "lead_changed")

CONSENT_METHODS = ("in_person", "phone", "video", "writing")


def _kinds(name: str, kinds: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*kinds, name=name, native_enum=False, create_constraint=True)


def _set_kinds(table: str, name: str, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    # The kinds are a CHECK constraint (a non-native enum): replace it by name.
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_kinds(name, old),
            type_=_kinds(name, new),
            existing_nullable=False,
        )


def upgrade():
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_lead", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "consent_method",
                sa.Enum(
                    *CONSENT_METHODS,
                    name="consent_method",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("consent_given_on", sa.Date(), nullable=True))
    _set_kinds("case_event", "event_kind", OLD_EVENT_KINDS, NEW_EVENT_KINDS)
    _set_kinds("account_event", "account_event_kind", OLD_ACCOUNT_KINDS, NEW_ACCOUNT_KINDS)


def downgrade():
    # Events of kinds the older schema cannot hold are removed; `audit verify` then reports
    # those chains as shortened, which is what happened.
    for table, kinds in (("case_event", OLD_EVENT_KINDS), ("account_event", OLD_ACCOUNT_KINDS)):
        rows = sa.table(table, sa.column("kind", sa.String))
        op.execute(rows.delete().where(rows.c.kind.not_in(kinds)))
    _set_kinds("account_event", "account_event_kind", NEW_ACCOUNT_KINDS, OLD_ACCOUNT_KINDS)
    _set_kinds("case_event", "event_kind", NEW_EVENT_KINDS, OLD_EVENT_KINDS)
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("consent_given_on")
        batch_op.drop_constraint(batch_op.f("ck_complaint_consent_method"), type_="check")
        batch_op.drop_column("consent_method")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("is_lead")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("contact_email")
