"""Each person's choices: how email about each kind of notification reaches them.

A person chooses for the kinds on their side of the work (the council's managers and
administrators: the council's kinds; a provider's people: the provider's). Monitors are told
of nothing, so they have no choices. A row of NotificationPreference is kept only where the
choice differs from the kind's default. Sign-in and account security mail is always sent and
is not a choice (kinds.SECURITY_MAIL).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select

from provider_portal import audit
from provider_portal.errors import AccountError
from provider_portal.extensions import db
from provider_portal.models import Role, User
from provider_portal.models.notifications import DELIVERIES, NotificationPreference
from provider_portal.notifications.kinds import COUNCIL, KINDS, PROVIDER, Kind

# The council's people who are told of events (events.recipients): managers, and
# administrators may stand in for them.
COUNCIL_CHOOSERS = frozenset({Role.ADMIN, Role.MANAGER})


def kinds_for(role: Role) -> list[Kind]:
    """The kinds a person in this role can choose about, in the order KINDS lists them."""
    if role.is_provider:
        side = PROVIDER
    elif role in COUNCIL_CHOOSERS:
        side = COUNCIL
    else:
        return []
    return [kind for kind in KINDS.values() if kind.side == side and not kind.mandatory]


def current_choices(user: User) -> dict[str, str]:
    """The person's delivery for each of their kinds (the default where they chose none);
    one query."""
    kinds = kinds_for(user.role)
    rows = db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.delivery).where(
            NotificationPreference.user_id == user.id
        )
    )
    chosen = {kind: delivery for kind, delivery in rows}
    return {kind.key: chosen.get(kind.key, kind.default) for kind in kinds}


def save_choices(user: User, chosen: Mapping[str, str]) -> list[str]:
    """Save the person's choices (the caller commits) and audit what changed; returns the
    kinds changed. Every kind of theirs must be given one of DELIVERIES."""
    kinds = kinds_for(user.role)
    if set(chosen) != {kind.key for kind in kinds}:
        raise AccountError("Choose how you want email about each kind of notification")
    if any(value not in DELIVERIES for value in chosen.values()):
        raise AccountError("Choose immediately, in a daily digest or off")
    before = current_choices(user)
    changed = [kind.key for kind in kinds if chosen[kind.key] != before[kind.key]]
    if not changed:
        return []
    db.session.execute(
        delete(NotificationPreference).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind.in_(changed)
        )
    )
    for kind in kinds:
        if kind.key in changed and chosen[kind.key] != kind.default:
            db.session.add(
                NotificationPreference(user_id=user.id, kind=kind.key, delivery=chosen[kind.key])
            )
    audit.record(
        "notification_choices_changed",
        "user",
        user.id,
        detail=" ".join(f"{key}={chosen[key]}" for key in changed),
        actor=user,
    )
    return changed
