"""Typed SQLAlchemy models, one module per part of the domain."""

from provider_portal.models.accounts import (
    ROLE_LABELS,
    AccountToken,
    Provider,
    RecoveryCode,
    Role,
    User,
)
from provider_portal.models.audit import AuditEvent
from provider_portal.models.cases import BoardSelection, Case, CaseException, ImportMapping
from provider_portal.models.contracts import (
    Contract,
    ContractPrice,
    ContractStatus,
    ContractTurnaround,
    ContractVariation,
)
from provider_portal.models.notifications import (
    BackgroundJob,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from provider_portal.models.papers import (
    LETTER_KINDS,
    PAPER_KINDS,
    SENT_BY,
    AllocationMessage,
    AllocationPaper,
    CasePaper,
    FamilyLetter,
    LetterTemplate,
    WorkTypePaperKind,
)
from provider_portal.models.quality import (
    REASON_APPLIES_TO,
    QualityCheck,
    QualityScore,
    QualityScoreDay,
    SendBack,
    SendBackReason,
    sendback_reason_link,
)
from provider_portal.models.submissions import FormSubmission
from provider_portal.models.work import (
    OPEN_STATUSES,
    Allocation,
    AllocationDay,
    AllocationStatus,
    CohortDay,
    DataChanges,
    Document,
    WorkType,
)

# The work types every installation starts with (created by a data migration).
DEFAULT_WORK_TYPES = (
    ("ep_advice", "Educational psychology advice", 42),
    ("plan_writing", "Draft EHC plan", 42),
    ("ot_advice", "Occupational therapy advice", 42),
    ("salt_advice", "Speech and language therapy advice", 42),
    ("health_advice", "Health advice", 42),
    ("social_care_advice", "Social care advice", 42),
)

__all__ = [
    "BackgroundJob",
    "BoardSelection",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "AccountToken",
    "AllocationMessage",
    "AllocationPaper",
    "CasePaper",
    "FamilyLetter",
    "LETTER_KINDS",
    "LetterTemplate",
    "PAPER_KINDS",
    "SENT_BY",
    "WorkTypePaperKind",
    "RecoveryCode",
    "DEFAULT_WORK_TYPES",
    "OPEN_STATUSES",
    "ROLE_LABELS",
    "Allocation",
    "AllocationDay",
    "CohortDay",
    "DataChanges",
    "AllocationStatus",
    "AuditEvent",
    "Case",
    "CaseException",
    "Contract",
    "ContractPrice",
    "ContractStatus",
    "ContractTurnaround",
    "ContractVariation",
    "Document",
    "FormSubmission",
    "ImportMapping",
    "Provider",
    "QualityCheck",
    "QualityScore",
    "QualityScoreDay",
    "REASON_APPLIES_TO",
    "SendBack",
    "SendBackReason",
    "sendback_reason_link",
    "Role",
    "User",
    "WorkType",
]
