"""Messages in the outbox, queued as the portal queues them (notify()), for the sender's tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import Allocation, OutboxMessage, Role, User
from provider_portal.notifications.services import notify
from tests.factories import Factory


def queue(make: Factory, people: int = 1, *, team_mailbox: str | None = None) -> Allocation:
    """Work allocated to a new provider with this many people, each told by email at once
    (and the provider's team mailbox, when it has one)."""
    provider = make.provider(team_mailbox=team_mailbox)
    allocation = make.allocation(provider=provider)
    users = [make.user(Role.PROVIDER_ADMIN, provider) for _ in range(people)]
    notify("work_allocated", users, allocation=allocation, team_mailbox=True)
    db.session.commit()
    return allocation


def messages() -> list[OutboxMessage]:
    """Every outbox row, fresh from the database, in id order."""
    db.session.commit()  # a new transaction: what other connections committed since
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def person(message: OutboxMessage) -> User:
    user = db.session.get(User, message.user_id)
    assert user is not None
    return user


def aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime, whichever database gave it."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
