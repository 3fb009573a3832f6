"""Over the demo's data: no message ever carries a child's name, date of birth or school; and
the demo's notifications are believable (dated by their events, recent ones unread, no email
waiting to go)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from provider_portal.extensions import db
from provider_portal.formatting import long_date, short_date
from provider_portal.models import (
    Allocation,
    Case,
    Notification,
    OutboxMessage,
    Provider,
    Role,
    User,
)
from provider_portal.models.notifications import OUTBOX_SENT
from provider_portal.notifications.kinds import KINDS
from provider_portal.notifications.messages import render_message
from provider_portal.notifications.services import work_fields

NOW = "2024-11-28 10:00:00"


def _seed(app: Flask) -> str:
    with freeze_time(NOW):
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_the_demo_tells_people_believably_and_never_names_a_child(app: Flask) -> None:
    """One seed (it takes a while) for every check over the demo's data."""
    assert "notifications" in _seed(app)
    _no_message_names_the_child(app)
    _the_check_would_catch_a_leak()
    _the_demo_notifications_are_believable()
    before = db.session.scalar(select(func.count()).select_from(Notification))
    assert "already in place" in _seed(app)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == before


def _personal(case: Case) -> list[re.Pattern[str]]:
    """What a message must never say about the child: names, birth date, school, contacts."""
    born = case.date_of_birth
    words = [case.first_name, case.last_name, case.setting, case.parent_carer_name]
    words += [case.senco_name]
    dates = [
        long_date(born),
        short_date(born),
        born.strftime("%d/%m/%Y"),
        f"{born.day}/{born.month}/{born.year}",
        born.isoformat(),
    ]
    return [re.compile(rf"\b{re.escape(text)}\b") for text in words + dates if text]


def _leaks(case: Case, subject: str, body: str) -> list[str]:
    return [pattern.pattern for pattern in _personal(case) if pattern.search(subject + body)]


def _no_message_names_the_child(app: Flask) -> None:
    cases = {case.case_ref: case for case in db.session.scalars(select(Case))}
    messages = list(db.session.scalars(select(OutboxMessage)))
    assert len(messages) > 500
    with app.test_request_context():
        for message in messages:
            fields = json.loads(message.personalisation)
            subject, body = render_message(message.template, fields)
            case = cases[fields["case_ref"]]
            assert case.case_ref in subject
            assert not _leaks(case, subject, body), (message.template, subject, body)

        # Every kind, for every piece of the demo's work, whether or not the demo did it.
        allocations = db.session.scalars(
            select(Allocation).options(
                joinedload(Allocation.case),
                joinedload(Allocation.work_type),
                joinedload(Allocation.provider),
            )
        ).all()
        assert len(allocations) > 250
        for allocation in allocations:
            for key, kind in KINDS.items():
                fields = work_fields(allocation, kind.side) | {"returned_on": "1 August 2024"}
                subject, body = render_message(key, fields)
                assert not _leaks(allocation.case, subject, body), (key, subject, body)


def _the_check_would_catch_a_leak() -> None:
    case = db.session.scalars(select(Case).where(Case.setting.is_not(None))).first()
    assert case is not None
    born = case.date_of_birth
    for leak in (case.first_name, case.setting, long_date(born), born.strftime("%d/%m/%Y")):
        assert _leaks(case, "Case", f"About {leak}.")


def _the_demo_notifications_are_believable() -> None:
    now = datetime(2024, 11, 28, 10, tzinfo=UTC)
    # From the start of the day a week ago (London is on GMT in November).
    week_ago = datetime(2024, 11, 21, tzinfo=UTC)
    notifications = list(db.session.scalars(select(Notification)))
    assert 500 < len(notifications) < 3000
    # Dated by their events, over the demo's four months, never in the future.
    moments = [n.created_at for n in notifications]
    assert min(moments) < now - timedelta(days=90) and max(moments) <= now
    assert len({m.date() for m in moments}) > 60
    # The last week's are unread; the older ones are read.
    for notification in notifications:
        assert (notification.read_at is None) == (notification.created_at >= week_ago)
    unread = [n for n in notifications if n.read_at is None]
    assert 0 < len(unread) < 200
    # Every person told is on the right side: managers and the providers' people, no monitor.
    told = set(
        db.session.scalars(select(User.role).join(Notification, Notification.user_id == User.id))
    )
    assert told == {Role.MANAGER, Role.PROVIDER_ADMIN, Role.PRACTITIONER}
    # No email waits to be sent.
    statuses = set(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == {OUTBOX_SENT}
    # Northbrook's team mailbox has its copies.
    northbrook = db.session.scalars(
        select(Provider).where(Provider.team_mailbox.is_not(None))
    ).one()
    copies = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.to_address == northbrook.team_mailbox)
    )
    assert copies and copies > 100
