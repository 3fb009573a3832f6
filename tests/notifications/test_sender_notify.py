"""Delivering the outbox through GOV.UK Notify (a fake of its API on a loopback port): the
request Notify gets, its refusals for good and for now, and a Notify that cannot be reached."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from provider_portal.models.notifications import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_SENT
from provider_portal.notifications.messages import render_message
from provider_portal.notifications.sender import DeliveryReport, deliver_pending
from tests.factories import Factory
from tests.notifications.fake_notify import TEMPLATE_ID, FakeNotify
from tests.notifications.queued import aware, messages, queue

OWN_TEMPLATE = "7d1c4f0e-6a36-4d5c-9b89-2f4a6d8e1c55"


def test_each_message_goes_to_notify_with_its_subject_body_and_reference(
    make: Factory, notify_api: FakeNotify
):
    queue(make, 2, team_mailbox="team@provider.example")

    assert deliver_pending() == DeliveryReport(sent=3)

    rows = messages()
    assert notify_api.refused_tokens == 0  # every request carried a token signed with the key
    assert [r["reference"] for r in notify_api.requests] == [str(row.id) for row in rows]
    for row, sent in zip(rows, notify_api.requests, strict=True):
        subject, body = render_message(row.template, json.loads(row.personalisation))
        assert sent == {
            "email_address": row.to_address,
            "template_id": TEMPLATE_ID,
            "personalisation": {"subject": subject, "body": body},
            "reference": str(row.id),
        }
        assert row.status == OUTBOX_SENT and row.attempts == 1
    assert deliver_pending() == DeliveryReport()


def test_a_kind_with_the_councils_own_template_gets_its_fields_too(
    make: Factory, notify_api: FakeNotify, app: Flask
):
    app.config["NOTIFY_TEMPLATE_IDS"] = json.dumps({"work_allocated": OWN_TEMPLATE})
    allocation = queue(make)
    (row,) = messages()

    assert deliver_pending().sent == 1

    (sent,) = notify_api.requests
    assert sent["template_id"] == OWN_TEMPLATE
    fields = json.loads(row.personalisation)
    subject, body = render_message(row.template, fields)
    assert sent["personalisation"] == {**fields, "subject": subject, "body": body}
    assert sent["personalisation"]["case_ref"] == allocation.case.case_ref


def test_a_wrong_api_key_is_refused_for_good(make: Factory, notify_api: FakeNotify, app: Flask):
    app.config["NOTIFY_API_KEY"] = (
        "portal_test-0c2e5bc5-4e1f-4bd0-9a3f-3a1bd9e6e0a1-00000000-0000-0000-0000-000000000000"
    )
    queue(make)
    assert deliver_pending() == DeliveryReport(failed=1)
    assert notify_api.refused_tokens == 1 and notify_api.requests == []
    (row,) = messages()
    assert row.failure_reason == (
        "GOV.UK Notify refused the message (403 Invalid token: API key not found)"
    )


def test_a_bad_request_fails_for_good_without_the_address_in_its_reason(
    make: Factory, notify_api: FakeNotify
):
    queue(make)
    (row,) = messages()
    notify_api.answers = [400]
    notify_api.echo = f"({row.to_address})"

    assert deliver_pending() == DeliveryReport(failed=1)

    (row,) = messages()
    assert row.status == OUTBOX_FAILED and row.attempts == 1
    assert row.failure_reason == (
        "GOV.UK Notify refused the message (400 Can't send to this recipient using a "
        "team-only API key ([address]))"
    )
    assert deliver_pending(now=datetime.now(UTC) + timedelta(days=1)) == DeliveryReport()


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (500, "Internal server error"),
        (429, "Exceeded rate limit for key type LIVE of 3000 requests per 60 s"),
    ],
)
def test_a_server_error_or_too_many_requests_is_tried_again(
    make: Factory, notify_api: FakeNotify, status: int, words: str
):
    queue(make)
    notify_api.answers = [status]
    start = datetime.now(UTC)

    assert deliver_pending(now=start) == DeliveryReport(retrying=1)

    (row,) = messages()
    assert row.status == OUTBOX_PENDING and row.attempts == 1
    assert row.failure_reason == f"GOV.UK Notify did not take the message ({status} {words})"
    assert aware(row.next_attempt_at) == start + timedelta(minutes=1)
    assert notify_api.requests == []

    assert deliver_pending(now=start + timedelta(minutes=1)) == DeliveryReport(sent=1)
    assert [r["reference"] for r in notify_api.requests] == [str(row.id)]
    assert messages()[0].attempts == 2


def test_notify_out_of_reach_is_tried_again(
    make: Factory, notify_api: FakeNotify, app: Flask, refused_port: int
):
    app.config["NOTIFY_BASE_URL"] = f"http://127.0.0.1:{refused_port}"
    queue(make)
    assert deliver_pending() == DeliveryReport(retrying=1)
    (row,) = messages()
    assert row.failure_reason == "GOV.UK Notify did not take the message (503 Request failed)"


def test_an_unknown_backend_sends_nothing(make: Factory, app: Flask):
    queue(make)
    app.config["MAIL_BACKEND"] = "carrier-pigeon"
    try:
        with pytest.raises(ValueError, match="MAIL_BACKEND must be smtp or notify"):
            deliver_pending()
    finally:
        app.config["MAIL_BACKEND"] = "smtp"
    assert [row.status for row in messages()] == [OUTBOX_PENDING]
