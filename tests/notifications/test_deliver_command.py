"""`flask notifications deliver`: sends what is due, says what happened, and exits."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import TestConfig
from provider_portal import create_app
from provider_portal.extensions import db
from provider_portal.models.notifications import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_SENT
from tests.factories import Factory
from tests.mail_server import Mailbox
from tests.notifications.queued import messages, person, queue


def _deliver(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["notifications", "deliver", *args])


def test_it_sends_what_is_due_and_says_so(app: Flask, make: Factory, mail_server: Mailbox):
    queue(make, 2)
    result = _deliver(app)
    assert (result.exit_code, result.output) == (0, "Sent 2, will retry 0, failed 0.\n")
    assert len(mail_server.wait_for(2)) == 2
    assert [row.status for row in messages()] == [OUTBOX_SENT, OUTBOX_SENT]
    again = _deliver(app)
    assert (again.exit_code, again.output) == (0, "Sent 0, will retry 0, failed 0.\n")


def test_it_succeeds_even_when_messages_fail(app: Flask, make: Factory, no_mail_server: None):
    queue(make, 2)
    gone, _ = messages()
    person(gone).active = False
    db.session.commit()
    result = _deliver(app)
    assert (result.exit_code, result.output) == (0, "Sent 0, will retry 1, failed 1.\n")
    assert [row.status for row in messages()] == [OUTBOX_FAILED, OUTBOX_PENDING]


def test_limit_sends_at_most_that_many(app: Flask, make: Factory, mail_server: Mailbox):
    queue(make, 3)
    result = _deliver(app, "--limit", "1")
    assert (result.exit_code, result.output) == (0, "Sent 1, will retry 0, failed 0.\n")
    assert _deliver(app, "--limit", "0").exit_code == 2  # a usage error: nothing sent
    assert [row.status for row in messages()].count(OUTBOX_SENT) == 1


def test_it_fails_when_the_database_cannot_be_reached(tmp_path: Path):
    class Unreachable(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.sqlite'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    portal = create_app(Unreachable)
    with portal.app_context():  # the command runs in the context it finds
        result = portal.test_cli_runner().invoke(args=["notifications", "deliver"])
    assert result.exit_code == 1
    assert "The database cannot be reached, so nothing was sent" in result.output
