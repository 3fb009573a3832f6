"""The one way to record an audit event; it commits with the change it describes.

A request that only reads (GET, HEAD: database.read_request()) changes nothing, so its audit
rows cannot commit with a change: they are kept aside and written once the response is
built, before it is sent, in a short write transaction of their own (write_pending). If that
write fails, the person gets the error page instead of what they asked for: nothing about a
child leaves the portal unaudited.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from flask import g, has_request_context, request
from flask_login import current_user

from provider_portal.bulk import insert_rows
from provider_portal.database import immediate_transactions, read_request
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, User
from provider_portal.models.types import utcnow


def _who(actor: User | None) -> dict[str, int | str | None]:
    """The acting person and their address, as every audit row names them."""
    actor_id = None
    ip_address = None
    if actor is not None:
        actor_id = actor.id
    elif has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    if has_request_context():
        ip_address = request.remote_addr
    return {"actor_id": actor_id, "ip_address": ip_address}


def record(
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    detail: str | None = None,
    actor: User | None = None,
    case_id: int | None = None,
    provider_id: int | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits); in a request that
    only reads, keep it for write_pending() instead."""
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        case_id=case_id,
        provider_id=provider_id,
        occurred_at=utcnow(),  # when it was seen, though it may be written a moment later
        **_who(actor),
    )
    if read_request():
        g.setdefault("pending_audit", []).append(event)
    else:
        db.session.add(event)
    return event


def write_pending() -> None:
    """After a request that only reads: write the audit rows it recorded, in a transaction of
    their own that takes the write lock (waiting its turn, up to the busy timeout).

    The request's read transaction ends first: on SQLite a transaction that has read a
    snapshot cannot start writing once another connection has committed. Raises if the rows
    cannot be written, so the response is not sent.
    """
    events: list[AuditEvent] = g.pop("pending_audit", [])
    if not events:
        return
    db.session.rollback()  # the read transaction: a request that only reads changed nothing
    with immediate_transactions():
        try:
            db.session.add_all(events)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


@dataclass(frozen=True)
class Entry:
    """One audit row of many written at once (see record_all): record()'s arguments but the
    actor."""

    action: str
    object_type: str | None = None
    object_id: int | None = None
    detail: str | None = None
    case_id: int | None = None
    provider_id: int | None = None


def record_all(entries: Iterable[Entry], actor: User | None = None) -> None:
    """The audit rows, in order, as record() would write each, in one multi-row INSERT.

    For imports that create thousands of records at once; runs in the current transaction
    (the caller commits).
    """
    if read_request():
        for entry in entries:
            record(**vars(entry), actor=actor)
        return
    who = _who(actor)
    rows = [
        {
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "detail": entry.detail,
            "case_id": entry.case_id,
            "provider_id": entry.provider_id,
            **who,
        }
        for entry in entries
    ]
    insert_rows(AuditEvent.__table__, rows)


def record_list_view(
    list_name: str,
    page: int,
    *,
    searched: Iterable[str] = (),
    provider_id: int | None = None,
    **filters: str | int | Collection[str] | None,
) -> AuditEvent:
    """Add an audit row for a view of a list that shows children's names (its page or its
    htmx fragment): which list and page, and the shape of its filters.

    A search box is recorded only as used ("q=yes"), never what was typed in it. A chosen
    filter (a status, a work type's code) is recorded as chosen, so pass only values the route
    has checked against its choices; the provider a list is limited to also goes on the row,
    for the audit page's provider filter. Empty filters are left out.
    """
    parts = [f"list={list_name}", *(f"{box}=yes" for box in searched)]
    if provider_id is not None:
        parts.append(f"provider={provider_id}")
    for name, value in filters.items():
        if isinstance(value, Collection) and not isinstance(value, str):
            value = ",".join(sorted(value))
        if value not in (None, ""):
            parts.append(f"{name}={value}")
    parts.append(f"page={page}")
    return record("list_viewed", detail=" ".join(parts), provider_id=provider_id)
