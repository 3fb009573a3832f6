"""Delivering the outbox over SMTP to a real server (aiosmtpd): what arrives, retries and their
back-off, refusals for good, deactivated people, senders that died, and a server that stops."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from provider_portal.extensions import db
from provider_portal.models import OutboxMessage
from provider_portal.models.notifications import (
    OUTBOX_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_SENT,
)
from provider_portal.notifications.messages import render_message
from provider_portal.notifications.sender import (
    DEACTIVATED,
    MAX_ATTEMPTS,
    STALE_AFTER,
    DeliveryReport,
    deliver_pending,
    retry_wait,
)
from tests.factories import Factory
from tests.mail_server import Mailbox, _Controller
from tests.notifications.queued import aware, messages, person, queue


def test_each_message_arrives_with_its_subject_and_body(make: Factory, mail_server: Mailbox):
    allocation = queue(make, 2, team_mailbox="team@provider.example")
    before = datetime.now(UTC)

    report = deliver_pending()

    assert report == DeliveryReport(sent=3, retrying=0, failed=0)
    rows = messages()
    arrived = {str(m["To"]): m for m in mail_server.wait_for(3)}
    assert set(arrived) == {row.to_address for row in rows}
    for row in rows:
        subject, body = render_message(row.template, json.loads(row.personalisation))
        email = arrived[row.to_address]
        assert str(email["Subject"]) == subject
        assert f"case {allocation.case.case_ref}" in subject
        assert Mailbox.body(email).replace("\r\n", "\n").strip() == body.strip()
        assert allocation.case.first_name not in Mailbox.body(email)
        assert row.status == OUTBOX_SENT and row.attempts == 1 and row.failure_reason is None
        assert row.sent_at is not None and aware(row.sent_at) >= before - timedelta(seconds=1)
    assert deliver_pending() == DeliveryReport()  # sent once: nothing is due now


def test_only_messages_that_are_due_go(make: Factory, mail_server: Mailbox):
    queue(make, 2)
    later, due = messages()
    later.next_attempt_at = datetime.now(UTC) + timedelta(minutes=5)
    db.session.commit()

    assert deliver_pending().sent == 1
    assert [str(m["To"]) for m in mail_server.wait_for(1)] == [due.to_address]
    assert deliver_pending(now=datetime.now(UTC) + timedelta(minutes=6)).sent == 1
    assert len(mail_server.wait_for(2)) == 2


def test_limit_sends_no_more_than_asked(make: Factory, mail_server: Mailbox):
    queue(make, 5)
    assert deliver_pending(limit=2).sent == 2
    assert [m.status for m in messages()].count(OUTBOX_SENT) == 2
    assert deliver_pending().sent == 3


def test_waits_double_after_each_failure_up_to_six_hours():
    assert [retry_wait(n) for n in range(1, 6)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert retry_wait(9) == timedelta(minutes=256)
    assert retry_wait(10) == retry_wait(40) == timedelta(hours=6)


def test_no_server_means_try_again_later_then_give_up(make: Factory, no_mail_server: None):
    queue(make)
    now = datetime.now(UTC)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        report = deliver_pending(now=now)
        assert report == DeliveryReport(retrying=1), f"attempt {attempt}"
        (row,) = messages()
        assert row.status == OUTBOX_PENDING and row.attempts == attempt
        assert row.failure_reason == "The mail server refused the connection"
        waits.append(aware(row.next_attempt_at) - now)
        # Not due a moment before its time.
        assert deliver_pending(now=now + waits[-1] - timedelta(seconds=1)) == DeliveryReport()
        now += waits[-1]
    assert waits == [timedelta(minutes=2**n) for n in range(MAX_ATTEMPTS - 1)]

    assert deliver_pending(now=now) == DeliveryReport(failed=1)
    (row,) = messages()
    assert row.status == OUTBOX_FAILED and row.attempts == MAX_ATTEMPTS
    assert row.failure_reason == (
        "Not sent after 10 attempts. The last: The mail server refused the connection"
    )
    assert deliver_pending(now=now + timedelta(days=1)) == DeliveryReport()


class Picky(Mailbox):
    """A mailbox that refuses some recipients, for good or for now, echoing the address as
    real servers do."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__()
        self.answers = answers
        self.connections = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        answer = self.answers.get(address)
        if answer:
            return answer.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def picky_server(app: Flask) -> Any:
    mailbox = Picky({})
    controller = _Controller(mailbox)
    controller.start()
    saved = (app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"])
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False)
    try:
        yield mailbox
    finally:
        app.config.update(MAIL_SERVER=saved[0], MAIL_PORT=saved[1], MAIL_USE_TLS=saved[2])
        controller.stop()


def test_a_refused_recipient_fails_for_good_and_a_busy_one_is_tried_again(
    make: Factory, picky_server: Picky, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    queue(make, 3)
    refused, busy, fine = messages()
    picky_server.answers = {
        refused.to_address: "550 5.1.1 <{address}>: Recipient address rejected",
        busy.to_address: "451 4.7.1 <{address}>: Greylisted, try again later",
    }

    assert deliver_pending() == DeliveryReport(sent=1, retrying=1, failed=1)

    refused, busy, fine = messages()
    assert refused.status == OUTBOX_FAILED and refused.attempts == 1
    assert refused.failure_reason == (
        "The mail server refused the recipient (550 5.1.1 <[address]>: Recipient address rejected)"
    )
    assert busy.status == OUTBOX_PENDING and busy.attempts == 1
    assert busy.failure_reason is not None and busy.failure_reason.startswith(
        "The mail server did not take the recipient yet (451"
    )
    assert fine.status == OUTBOX_SENT
    assert [str(m["To"]) for m in picky_server.settle()] == [fine.to_address]
    # Neither the reasons nor the logs hold an address; the logs name the message and person.
    for row in (refused, busy):
        assert "@" not in (row.failure_reason or "")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("provider_portal")]
    assert ours and not [line for line in ours if "@" in line]
    assert f"outbox message {refused.id} to user {refused.user_id} failed" in "\n".join(ours)

    picky_server.answers = {}
    assert deliver_pending(now=datetime.now(UTC) + timedelta(minutes=1)).sent == 1
    assert len(picky_server.settle()) == 2


def test_one_connection_serves_a_run_until_something_goes_wrong(make: Factory, picky_server: Picky):
    queue(make, 6)
    refused = messages()[2]
    picky_server.answers = {refused.to_address: "550 5.1.1 No such mailbox"}
    assert deliver_pending() == DeliveryReport(sent=5, failed=1)
    assert len(picky_server.settle()) == 5
    # The refusal drops the connection: the next message opens a new one.
    assert picky_server.connections == 2


def test_a_message_refused_by_the_server_fails_for_good(make: Factory, mail_server: Mailbox):
    queue(make)
    mail_server.refuse = True  # 554 after the message is sent
    assert deliver_pending() == DeliveryReport(failed=1)
    (row,) = messages()
    assert row.status == OUTBOX_FAILED
    assert row.failure_reason == "The mail server refused the message (554 Transaction failed)"


def test_nothing_goes_to_someone_deactivated_since_it_was_queued(
    make: Factory, mail_server: Mailbox
):
    queue(make, 2)
    gone, stays = messages()
    person(gone).active = False
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=1, failed=1)
    gone, stays = messages()
    assert gone.status == OUTBOX_FAILED and gone.attempts == 0 and gone.sent_at is None
    assert gone.failure_reason == DEACTIVATED
    assert [str(m["To"]) for m in mail_server.settle()] == [stays.to_address]


def test_a_message_whose_template_cannot_be_written_fails(make: Factory, mail_server: Mailbox):
    queue(make)
    (row,) = messages()
    row.template = "no_such_kind"
    db.session.commit()
    assert deliver_pending() == DeliveryReport(failed=1)
    (row,) = messages()
    assert row.failure_reason == (
        "The message could not be written from its template (TemplateNotFound)"
    )
    assert mail_server.settle() == []


def test_a_claim_left_by_a_sender_that_died_is_taken_over(make: Factory, mail_server: Mailbox):
    queue(make, 2)
    abandoned, working = messages()
    now = datetime.now(UTC)
    abandoned.status = working.status = OUTBOX_SENDING
    abandoned.claim_token, abandoned.claimed_at = "a" * 32, now - STALE_AFTER - timedelta(1)
    working.claim_token, working.claimed_at = "b" * 32, now - STALE_AFTER + timedelta(minutes=1)
    db.session.commit()

    assert deliver_pending(now=now) == DeliveryReport(sent=1)
    abandoned, working = messages()
    assert abandoned.status == OUTBOX_SENT and abandoned.claim_token != "a" * 32
    assert working.status == OUTBOX_SENDING and working.claim_token == "b" * 32
    assert [str(m["To"]) for m in mail_server.settle()] == [abandoned.to_address]


class _SamePort(_Controller):
    """An SMTP server on a given port: the same server's address after a restart."""

    def __init__(self, handler: Any, port: int) -> None:
        self._socket = socket.create_server(("127.0.0.1", port))
        Controller.__init__(self, handler, hostname="127.0.0.1", port=port)


class Stalling(Mailbox):
    """Accepts `before` messages, then holds the next one unanswered until it is stopped."""

    def __init__(self, before: int) -> None:
        super().__init__()
        self.before = before
        self.stalled = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(self.messages) >= self.before:
            self.stalled.set()
            await asyncio.sleep(60)
        return await super().handle_DATA(server, session, envelope)


def test_the_server_stopping_part_way_loses_and_repeats_nothing(make: Factory, app: Flask):
    queue(make, 20)
    stalling = Stalling(before=8)
    controller = _Controller(stalling)
    controller.start()
    port = controller.port
    saved = (app.config["MAIL_SERVER"], app.config["MAIL_PORT"])
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    reports: list[DeliveryReport] = []
    start = datetime.now(UTC)

    def run() -> None:
        with app.app_context():
            reports.append(deliver_pending(now=start))

    try:
        sender = threading.Thread(target=run)
        sender.start()
        assert stalling.stalled.wait(20), "the sender never reached the ninth message"
        controller.stop()  # mid-conversation: the ninth message is never answered
        sender.join(60)
        assert reports == [DeliveryReport(sent=8, retrying=12)]
        rows = messages()
        assert [row.status for row in rows] == [OUTBOX_SENT] * 8 + [OUTBOX_PENDING] * 12
        assert {row.attempts for row in rows[8:]} == {1}
        assert rows[8].failure_reason == "The mail server closed the connection"
        assert {row.failure_reason for row in rows[9:]} == {
            "The mail server refused the connection"
        }
        assert len(stalling.messages) == 8

        # Back on the same address; nothing goes before the back-off has passed.
        back = Mailbox()
        restarted = _SamePort(back, port)
        restarted.start()
        try:
            assert deliver_pending(now=start + timedelta(seconds=30)) == DeliveryReport()
            assert deliver_pending(now=start + timedelta(minutes=1)) == DeliveryReport(sent=12)
            arrived = [str(m["To"]) for m in stalling.messages + back.wait_for(12)]
        finally:
            restarted.stop()
    finally:
        app.config.update(MAIL_SERVER=saved[0], MAIL_PORT=saved[1])
    assert sorted(arrived) == sorted(row.to_address for row in messages())
    assert {row.status for row in messages()} == {OUTBOX_SENT}


def test_two_senders_at_once_send_each_message_exactly_once(
    make: Factory, mail_server: Mailbox, app: Flask
):
    queue(make, 50)
    rows = messages()
    assert len(rows) == 50
    barrier = threading.Barrier(2)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait()
                reports.append(deliver_pending())
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    senders = [threading.Thread(target=run) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(120)
    assert not errors, errors

    assert sum(r.sent for r in reports) == 50 and not any(r.retrying or r.failed for r in reports)
    arrived = [str(m["To"]) for m in mail_server.wait_for(50)]
    assert sorted(arrived) == sorted(row.to_address for row in rows)  # each exactly once
    assert {row.status for row in messages()} == {OUTBOX_SENT}
    assert db.session.query(OutboxMessage).filter_by(attempts=1).count() == 50


class TakenOver(Mailbox):
    """While a message is being sent, another sender takes it over (as after STALE_AFTER)."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.app.app_context():
            db.session.execute(
                sa.update(OutboxMessage).values(claim_token="c" * 32, claimed_at=datetime.now(UTC))
            )
            db.session.commit()
        return await super().handle_DATA(server, session, envelope)


def test_an_outcome_is_recorded_only_under_the_senders_own_claim(
    make: Factory, app: Flask, caplog: pytest.LogCaptureFixture
):
    queue(make)
    mailbox = TakenOver(app)
    controller = _Controller(mailbox)
    controller.start()
    saved = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        assert deliver_pending() == DeliveryReport(sent=1)
    finally:
        app.config.update(MAIL_SERVER=saved[0], MAIL_PORT=saved[1])
        controller.stop()
    (row,) = messages()
    # The other sender's claim stands: this one's "sent" was not written over it.
    assert (row.status, row.claim_token, row.sent_at) == (OUTBOX_SENDING, "c" * 32, None)
    assert f"outbox message {row.id}: its claim was taken over by another sender" in caplog.text
