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
    CaseAssignment,
    Channel,
    ClosureReason,
    Complaint,
    ContactMethod,
    Disposition,
    ReferenceCounter,
    Status,
)
from complaints_app.models.demo_run import DemoRun
from complaints_app.models.federal_request import (
    FederalRequest,
    RequestForm,
    RequestKind,
    RequestOutcome,
)
from complaints_app.models.session_grant import GrantKind, SessionGrant
from complaints_app.models.user import (
    AccountChange,
    AccountEvent,
    AccountEventKind,
    AccountLink,
    ChangeKind,
    ChangeStatus,
    Organisation,
    RecoveryCode,
    Role,
    User,
)

__all__ = [
    "OPEN_STATUSES",
    "AccountChange",
    "AccountEvent",
    "AccountEventKind",
    "AccountLink",
    "ActorKind",
    "Agency",
    "Allegation",
    "Attachment",
    "AuditChainHead",
    "CaseAssignment",
    "CaseEvent",
    "ChangeKind",
    "ChangeStatus",
    "Channel",
    "Clause",
    "ClosureReason",
    "Complaint",
    "ContactMethod",
    "DemoRun",
    "Disposition",
    "EventKind",
    "FederalRequest",
    "GrantKind",
    "GuidedQuestion",
    "Organisation",
    "RecoveryCode",
    "ReferenceCounter",
    "RequestForm",
    "RequestKind",
    "RequestOutcome",
    "Role",
    "SessionGrant",
    "Status",
    "User",
    "Visibility",
]
