"""notify_many(): notify()'s rules for many events at once, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Notification, OutboxMessage, Role
from provider_portal.notifications.services import Notice, notify_many
from tests.factories import Factory


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_one_refused_notice_writes_nothing(make: Factory) -> None:
    allocation = make.allocation()
    admin = make.user(Role.PROVIDER_ADMIN, allocation.provider)
    stranger = make.user(Role.PROVIDER_ADMIN, make.provider())
    with pytest.raises(ValueError):
        notify_many(
            [
                Notice("overdue", [admin], allocation, dedupe="overdue:a"),
                Notice("overdue", [stranger], allocation, dedupe="overdue:b"),
            ]
        )
    db.session.commit()
    assert (_count(Notification), _count(OutboxMessage)) == (0, 0)


def test_the_same_key_twice_in_one_call_is_written_once(make: Factory) -> None:
    allocation = make.allocation()
    allocation.provider.team_mailbox = "team@provider.example"
    admin = make.user(Role.PROVIDER_ADMIN, allocation.provider)
    notice = Notice("overdue", [admin], allocation, team_mailbox=True, dedupe="overdue:1:0")
    other = Notice("overdue", [admin], allocation, team_mailbox=True, dedupe="overdue:1:1")
    assert notify_many([notice, notice, other]) == [1, 0, 1]
    db.session.commit()
    assert (_count(Notification), _count(OutboxMessage)) == (2, 4)
