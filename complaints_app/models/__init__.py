"""Every model, imported here so that Alembic and the app see the whole schema."""

from complaints_app.models.case_event import (
    ActorKind,
    AuditChainHead,
    CaseEvent,
    EventKind,
    Visibility,
)
from complaints_app.models.clause import Clause, GuidedQuestion
from complaints_app.models.complaint import (
    OPEN_STATUSES,
    Agency,
    Allegation,
    Attachment,
    Channel,
    ClosureReason,
    Complaint,
    ContactMethod,
    Disposition,
    ReferenceCounter,
    Status,
)
from complaints_app.models.federal_request import (
    FederalRequest,
    RequestForm,
    RequestKind,
    RequestOutcome,
)
from complaints_app.models.user import (
    AccountEvent,
    AccountEventKind,
    Organisation,
    RecoveryCode,
    Role,
    User,
)

__all__ = [
    "OPEN_STATUSES",
    "AccountEvent",
    "AccountEventKind",
    "ActorKind",
    "Agency",
    "Allegation",
    "Attachment",
    "AuditChainHead",
    "CaseEvent",
    "Channel",
    "Clause",
    "ClosureReason",
    "Complaint",
    "ContactMethod",
    "Disposition",
    "EventKind",
    "FederalRequest",
    "GuidedQuestion",
    "Organisation",
    "RecoveryCode",
    "ReferenceCounter",
    "RequestForm",
    "RequestKind",
    "RequestOutcome",
    "Role",
    "Status",
    "User",
    "Visibility",
]
