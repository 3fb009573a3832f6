"""The one way to record an audit event; it commits with the change it describes."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, User


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
    actor_id = None
    ip_address = None
    if actor is not None:
        actor_id = actor.id
    elif has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    if has_request_context():
        ip_address = request.remote_addr
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        ip_address=ip_address,
        case_id=case_id,
        provider_id=provider_id,
    )
    db.session.add(event)
    return event
