"""`flask notifications send-due`: the day's reminders then the digests, each step committed,
a second run that day adding nothing, today as the London date, and delivery when there is no
queue worker to do it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import (
    AllocationStatus,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Role,
)
from provider_portal.models.notifications import DELIVER_DAILY, OUTBOX_PENDING
from provider_portal.notifications.services import work_fields
from tests.factories import Factory
from tests.mail_server import Mailbox


@pytest.fixture(autouse=True)
def deliveries(
    mail_server: Mailbox, monkeypatch: pytest.MonkeyPatch, app: Flask
) -> Iterator[Mailbox]:
    """A real SMTP server that the command delivers to when there is no queue worker."""
    monkeypatch.delitem(app.config, "REDIS_URL", raising=False)
    yield mail_server


def pending() -> int:
    query = select(func.count()).where(OutboxMessage.status == OUTBOX_PENDING)
    return db.session.scalar(query) or 0


def send_due(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["notifications", "send-due", *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output


def rows() -> tuple[int, int]:
    count = select(func.count())
    return (
        db.session.scalar(count.select_from(Notification)) or 0,
        db.session.scalar(count.select_from(OutboxMessage)) or 0,
    )


@pytest.mark.parametrize("bad", ["2024-13-01", "05/09/2024", "yesterday", "2024-9-5", "1066-10-14"])
def test_a_bad_date_is_refused(app: Flask, make: Factory, deliveries: Mailbox, bad: str) -> None:
    make.user(Role.PROVIDER_ADMIN, make.allocation(due_on=date(2024, 9, 1)).provider)
    code, output = send_due(app, "--as-of", bad)
    assert code == 2
    assert deliveries.settle() == []
    assert "Error: Invalid value for --as-of: Enter " in output
    assert rows() == (0, 0)


def test_the_command_queues_reminders_then_digests_and_a_second_run_adds_nothing(
    app: Flask, make: Factory, deliveries: Mailbox
) -> None:
    provider = make.provider(team_mailbox="team@provider.example")
    admin = make.user(Role.PROVIDER_ADMIN, provider)
    daily = make.user(Role.PROVIDER_ADMIN, provider)
    db.session.add(NotificationPreference(user_id=daily.id, kind="overdue", delivery=DELIVER_DAILY))
    manager = make.user(Role.MANAGER)
    make.allocation(provider=provider, due_on=date(2024, 9, 1))
    make.allocation(provider=provider, due_on=date(2024, 9, 10))
    make.allocation(
        provider=provider,
        status=AllocationStatus.RETURNED,
        returned_on=date(2024, 8, 1),
        allocated_by_id=manager.id,
        unanswered_question_at=datetime(2024, 8, 30, 9, 0, tzinfo=UTC),
    )

    code, output = send_due(app, "--as-of", "2024-09-05")
    assert code == 0, output
    assert output.splitlines() == [
        "Work due in 7 days: 2 notifications",
        "Work overdue: 2 notifications",
        "Returned work waiting for review: 1 notification",
        "Provider question waiting for an answer: 1 notification",
        "Daily summaries: 1 email",
        "Sent 8, will retry 0, failed 0.",
    ]
    # Emails: due soon to admin, daily and the team; overdue to admin and the team (daily's
    # waits for the digest); the two council reminders; the digest.
    assert rows() == (6, 8)
    # Delivered before the command exited, each once.
    assert len(deliveries.settle()) == 8 and pending() == 0
    addresses = db.session.scalars(select(OutboxMessage.to_address))
    assert sorted(addresses) == sorted(
        [admin.email, daily.email, "team@provider.example"]
        + [admin.email, "team@provider.example"]
        + [manager.email] * 2
        + [daily.email]
    )

    code, output = send_due(app, "--as-of", "2024-09-05")
    assert code == 0
    assert output.splitlines() == [
        "Work due in 7 days: 0 notifications",
        "Work overdue: 0 notifications",
        "Returned work waiting for review: 0 notifications",
        "Provider question waiting for an answer: 0 notifications",
        "Daily summaries: 0 emails",
        "Sent 0, will retry 0, failed 0.",
    ]
    assert rows() == (6, 8)
    assert len(deliveries.settle()) == 8


@pytest.mark.parametrize(
    ("moment", "due_on", "overdue"),
    [
        # Summer: 23:30 UTC on 31 July is 00:30 on 1 August in London, day 1 overdue.
        ("2024-07-31 23:30:00", date(2024, 7, 31), 1),
        # Winter: 23:30 UTC on 30 March is 23:30 in London, still the due date.
        ("2024-03-30 23:30:00", date(2024, 3, 30), 0),
        # The night the clocks go forward: 00:30 UTC on 31 March is 00:30 GMT, day 1.
        ("2024-03-31 00:30:00", date(2024, 3, 30), 1),
        # The night the clocks go back: 23:30 UTC on 26 October is 00:30 BST on the 27th.
        ("2024-10-26 23:30:00", date(2024, 10, 26), 1),
    ],
)
def test_today_is_the_london_date(
    app: Flask, make: Factory, moment: str, due_on: date, overdue: int
) -> None:
    provider = make.provider()
    make.user(Role.PROVIDER_ADMIN, provider)
    make.allocation(provider=provider, due_on=due_on)
    with freeze_time(moment):
        code, output = send_due(app)
    assert code == 0, output
    assert f"Work overdue: {overdue} notification" in output


@freeze_time("2024-07-31 23:30:00")
def test_due_in_seven_days_counts_from_the_london_date(app: Flask, make: Factory) -> None:
    provider = make.provider()
    make.user(Role.PROVIDER_ADMIN, provider)
    # 8 August is 7 days after 1 August (London), 8 after 31 July (UTC).
    make.allocation(provider=provider, due_on=date(2024, 8, 8))
    code, output = send_due(app)
    assert code == 0
    assert "Work due in 7 days: 1 notification" in output


def test_with_a_queue_worker_the_command_leaves_delivery_to_it(
    app: Flask,
    make: Factory,
    deliveries: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    worker_id: str,
) -> None:
    # A Redis database of this test worker's own (gw0 -> 1, gw1 -> 2; 1 without xdist).
    number = int(worker_id.removeprefix("gw")) + 1 if worker_id.startswith("gw") else 1
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:6379/{number}")
    make.user(Role.PROVIDER_ADMIN, make.allocation(due_on=date(2024, 9, 1)).provider)
    code, _ = send_due(app, "--as-of", "2024-09-05")
    assert code == 0
    # Queued for the worker, which is not running here: nothing sent by the command.
    assert pending() == 1 and deliveries.settle() == []


def test_the_command_delivers_mail_left_pending_even_with_nothing_new(
    app: Flask, make: Factory, deliveries: Mailbox
) -> None:
    # Mail left pending by an earlier run (a mail server that was down) goes out too.
    person = make.user(Role.MANAGER)
    db.session.add(
        OutboxMessage(
            user_id=person.id,
            to_address=person.email,
            template="work_returned",
            personalisation=json.dumps(work_fields(make.allocation(), "council")),
        )
    )
    db.session.commit()
    code, _ = send_due(app, "--as-of", "2024-09-05")
    assert code == 0 and pending() == 0
    assert [m["To"] for m in deliveries.settle()] == [person.email]
