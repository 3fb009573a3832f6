"""The one way to record an audit event; it commits with the change it describes."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from flask import has_request_context, request
from flask_login import current_user

from provider_portal.bulk import insert_rows
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, User


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
    """Add an audit row to the current transaction (the caller commits)."""
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        case_id=case_id,
        provider_id=provider_id,
        **_who(actor),
    )
    db.session.add(event)
    return event


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
