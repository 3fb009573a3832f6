"""Reading the audit trail: the filtered list, its export, and who has seen a child's record.

Nothing here writes: the trail is append-only (the database refuses UPDATE and DELETE) and
provider_portal.audit is the one way to add to it.

An event concerns a case if it says so (case_id), or if its object is the case, one of the
case's allocations or one of their documents. The object test keeps rows written before
case_id existed, and by code paths that do not pass it yet, in the case's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased

from provider_portal.extensions import db
from provider_portal.formatting import LONDON
from provider_portal.models import Allocation, AuditEvent, Case, Document, Provider, Role, User
from provider_portal.pagination import Page, paginate_rows

# The export is built in memory; past this the person is asked to narrow the filters.
MAX_EXPORT_ROWS = 100_000
# Looking at a child's record: the case page, an allocation page, or one of its documents.
SEEN_ACTIONS = ("case_viewed", "allocation_viewed", "document_downloaded")
# The person filter's value for events no person caused (retention, the command line).
SYSTEM = "system"

CSV_HEADER = (
    "occurred_at_utc",
    "actor_id",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "case_ref",
    "provider",
    "ip_address",
    "detail",
)


def london_day_start(day: date) -> datetime:
    """The UTC instant at which a Europe/London calendar day begins."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def action_label(action: str) -> str:
    """case_viewed -> Case viewed."""
    return action.replace("_", " ").capitalize()


def person_label(name: str, role: Role, provider_name: str | None) -> str:
    """A person with their role and, for provider staff, their organisation."""
    where = f", {provider_name}" if provider_name else ""
    return f"{name} ({role.label}{where})"


@dataclass(frozen=True)
class AuditFilters:
    """What the audit list is narrowed to; every field optional."""

    actor: int | str | None = None  # a user id, SYSTEM, or anyone
    case_id: int | None = None
    provider_id: int | None = None
    action: str | None = None
    first_day: date | None = None  # Europe/London days, both inclusive
    last_day: date | None = None
    nothing: bool = False  # a filter that can match nothing (an unknown case reference)

    def describe(self) -> str:
        """The filters as key=value pairs for the export's own audit row (ids, no names)."""
        parts = [
            f"{key}={value}"
            for key, value in (
                ("person", self.actor),
                ("case", self.case_id),
                ("provider", self.provider_id),
                ("action", self.action),
                ("from", self.first_day),
                ("to", self.last_day),
            )
            if value is not None
        ]
        return " ".join(parts) or "all"


def _about_work(whose: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """Rows whose object is one of these allocations (whose is a condition on Allocation) or
    one of their documents."""
    allocations = select(Allocation.id).where(whose)
    documents = (
        select(Document.id).join(Allocation, Document.allocation_id == Allocation.id).where(whose)
    )
    return [
        and_(AuditEvent.object_type == "allocation", AuditEvent.object_id.in_(allocations)),
        and_(AuditEvent.object_type == "document", AuditEvent.object_id.in_(documents)),
    ]


def concerns_case(case_id: int) -> ColumnElement[bool]:
    """Audit rows about this case, its allocations or their documents (index-friendly)."""
    return or_(
        AuditEvent.case_id == case_id,
        and_(AuditEvent.object_type == "case", AuditEvent.object_id == case_id),
        *_about_work(Allocation.case_id == case_id),
    )


def concerns_provider(provider_id: int) -> ColumnElement[bool]:
    """Audit rows about this provider or its work, or caused by its people."""
    return or_(
        AuditEvent.provider_id == provider_id,
        and_(AuditEvent.object_type == "provider", AuditEvent.object_id == provider_id),
        *_about_work(Allocation.provider_id == provider_id),
        AuditEvent.actor_id.in_(select(User.id).where(User.provider_id == provider_id)),
    )


def conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses for the filters; they only touch audit_event and subqueries."""
    where: list[ColumnElement[bool]] = []
    if filters.nothing:
        where.append(false())
    if filters.actor == SYSTEM:
        where.append(AuditEvent.actor_id.is_(None))
    elif isinstance(filters.actor, int):
        where.append(AuditEvent.actor_id == filters.actor)
    if filters.case_id is not None:
        where.append(concerns_case(filters.case_id))
    if filters.provider_id is not None:
        where.append(concerns_provider(filters.provider_id))
    if filters.action:
        where.append(AuditEvent.action == filters.action)
    if filters.first_day is not None:
        where.append(AuditEvent.occurred_at >= london_day_start(filters.first_day))
    if filters.last_day is not None:
        # Up to the start of the next London day: 23 or 25 hours on the days the clocks change.
        next_day = filters.last_day + timedelta(days=1)
        where.append(AuditEvent.occurred_at < london_day_start(next_day))
    return where


@dataclass(frozen=True)
class AuditRow:
    """One audit event with the names it refers to, ready to show or export."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    actor_email: str | None
    actor_role: Role | None
    actor_provider: str | None
    action: str
    object_type: str | None
    object_id: int | None
    case_id: int | None
    case_ref: str | None
    provider: str | None
    ip_address: str | None
    detail: str | None

    @property
    def who(self) -> str:
        if self.actor_id is None:
            return "System"
        if self.actor_name is None or self.actor_role is None:
            return f"User {self.actor_id}"
        return person_label(self.actor_name, self.actor_role, self.actor_provider)

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def object_label(self) -> str:
        if self.object_type is None:
            return ""
        kind = self.object_type.replace("_", " ").capitalize()
        return f"{kind} {self.object_id}" if self.object_id is not None else kind

    def as_csv(self) -> tuple[object, ...]:
        return (
            self.occurred_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            self.actor_id if self.actor_id is not None else "",
            one_line(self.actor_email),
            one_line(self.action),
            one_line(self.object_type),
            self.object_id if self.object_id is not None else "",
            one_line(self.case_ref),
            one_line(self.provider),
            one_line(self.ip_address),
            one_line(self.detail),
        )


def one_line(value: str | None) -> str:
    """One event, one CSV line: line breaks shown as \\r and \\n rather than kept.

    csv.writer with a "\\n" line terminator leaves a lone carriage return unquoted, which
    spreadsheets read as the end of the row.
    """
    if not value:
        return ""
    return value.replace("\r", "\\r").replace("\n", "\\n")


def _rows_query(filters: AuditFilters) -> Select[*tuple[Any, ...]]:
    """Events newest first, each joined (not looked up one by one) to the names it needs."""
    actor = aliased(User, name="actor")
    actor_provider = aliased(Provider, name="actor_provider")
    event_provider = aliased(Provider, name="event_provider")
    allocation = aliased(Allocation, name="object_allocation")
    document = aliased(Document, name="object_document")
    document_allocation = aliased(Allocation, name="document_allocation")
    case_key = func.coalesce(
        AuditEvent.case_id,
        sql_case((AuditEvent.object_type == "case", AuditEvent.object_id)),
        allocation.case_id,
        document_allocation.case_id,
    )
    provider_key = func.coalesce(
        AuditEvent.provider_id,
        sql_case((AuditEvent.object_type == "provider", AuditEvent.object_id)),
        allocation.provider_id,
        document_allocation.provider_id,
    )
    return (
        select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            AuditEvent.actor_id,
            actor.name,
            actor.email,
            actor.role,
            actor_provider.name,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            Case.id,
            Case.case_ref,
            event_provider.name,
            AuditEvent.ip_address,
            AuditEvent.detail,
        )
        .select_from(AuditEvent)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(actor_provider, actor_provider.id == actor.provider_id)
        .outerjoin(
            allocation,
            and_(AuditEvent.object_type == "allocation", allocation.id == AuditEvent.object_id),
        )
        .outerjoin(
            document,
            and_(AuditEvent.object_type == "document", document.id == AuditEvent.object_id),
        )
        .outerjoin(document_allocation, document_allocation.id == document.allocation_id)
        .outerjoin(Case, Case.id == case_key)
        .outerjoin(event_provider, event_provider.id == provider_key)
        .where(*conditions(filters))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def _audit_row(values: Any) -> AuditRow:
    (
        event_id,
        occurred_at,
        actor_id,
        actor_name,
        actor_email,
        actor_role,
        actor_provider,
        action,
        object_type,
        object_id,
        case_id,
        case_ref,
        provider,
        ip_address,
        detail,
    ) = values
    return AuditRow(
        id=event_id,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_name=actor_name,
        actor_email=actor_email,
        actor_role=actor_role,
        actor_provider=actor_provider,
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        case_ref=case_ref,
        provider=provider,
        ip_address=ip_address,
        detail=detail,
    )


def _count_query(filters: AuditFilters) -> Select[int]:
    """Counting audit_event alone: the joins of the rows query add no rows and cost time."""
    return select(func.count(AuditEvent.id)).where(*conditions(filters))


def count_events(filters: AuditFilters) -> int:
    return db.session.scalar(_count_query(filters)) or 0


def audit_page(filters: AuditFilters, page: int = 1) -> Page[AuditRow]:
    """One page of events, newest first: two queries whatever the page holds."""
    rows = paginate_rows(_rows_query(filters), page, count=_count_query(filters))
    return rows.map(_audit_row)


def export_rows(filters: AuditFilters) -> Iterator[tuple[object, ...]]:
    """Every matching event as a CSV row (CSV_HEADER), newest first."""
    result = db.session.execute(_rows_query(filters).execution_options(yield_per=1000))
    for values in result:
        yield _audit_row(values).as_csv()


# --- choices for the filters -------------------------------------------------------------


def people() -> list[tuple[int, str]]:
    """Everyone who has an account (deactivated too: the trail outlives them), by name."""
    rows = db.session.execute(
        select(User.id, User.name, User.role, Provider.name)
        .outerjoin(Provider, Provider.id == User.provider_id)
        .order_by(func.lower(User.name), User.id)
    )
    return [(user_id, person_label(name, role, provider)) for user_id, name, role, provider in rows]


def providers() -> list[tuple[int, str]]:
    """Every provider, inactive ones too."""
    return [
        (provider_id, name)
        for provider_id, name in db.session.execute(
            select(Provider.id, Provider.name).order_by(Provider.name)
        )
    ]


def actions_in_use() -> list[str]:
    """The distinct actions the trail holds, in one SELECT DISTINCT."""
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def case_id_for_ref(case_ref: str) -> int | None:
    """The case with this reference: an exact match first, else one ignoring case."""
    term = case_ref.strip()
    if not term:
        return None
    matches = db.session.execute(
        select(Case.id, Case.case_ref).where(func.lower(Case.case_ref) == term.lower()).limit(10)
    ).all()
    exact = [case_id for case_id, ref in matches if ref == term]
    if exact:
        return exact[0]
    return matches[0][0] if len(matches) == 1 else None


# --- who has seen a child's record -------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """A person who looked at a case, and when they last did."""

    user_id: int
    name: str
    role: Role
    provider_name: str | None
    last_seen: datetime

    @property
    def role_and_organisation(self) -> str:
        return f"{self.role.label}, {self.provider_name}" if self.provider_name else self.role.label


def seen_by(case_id: int, viewing: AuditEvent | None = None) -> list[Viewer]:
    """Distinct people who viewed the case, an allocation page of it or one of its documents,
    with the last time each did, latest first: one grouped query.

    `viewing` is the view being recorded now, by a page that only reads: its row is written
    after the page is built (audit.write_pending), so its viewer is put first here."""
    last_seen = func.max(AuditEvent.occurred_at)
    rows = db.session.execute(
        select(User.id, User.name, User.role, Provider.name, last_seen)
        .select_from(AuditEvent)
        .join(User, User.id == AuditEvent.actor_id)
        .outerjoin(Provider, Provider.id == User.provider_id)
        .where(AuditEvent.action.in_(SEEN_ACTIONS), concerns_case(case_id))
        .group_by(User.id, User.name, User.role, Provider.name)
        .order_by(last_seen.desc(), User.id)
    )
    viewers = [
        Viewer(user_id=user_id, name=name, role=role, provider_name=provider, last_seen=seen)
        for user_id, name, role, provider, seen in rows
    ]
    if viewing is None or viewing.actor_id is None:
        return viewers
    earlier = next((v for v in viewers if v.user_id == viewing.actor_id), None)
    if earlier is None:
        user = db.session.get(User, viewing.actor_id)
        assert user is not None
        earlier = Viewer(
            user_id=user.id,
            name=user.name,
            role=user.role,
            provider_name=user.provider.name if user.provider else None,
            last_seen=viewing.occurred_at,
        )
    now = replace(earlier, last_seen=viewing.occurred_at)
    return [now, *(v for v in viewers if v.user_id != viewing.actor_id)]
