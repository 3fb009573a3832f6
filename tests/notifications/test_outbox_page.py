"""The administrator's email outbox: newest first, by status, "Send again", nobody else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, OutboxMessage, Role
from provider_portal.models.notifications import (
    OUTBOX_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_SENT,
)
from provider_portal.notifications.sender import DeliveryReport, deliver_pending
from tests.factories import Factory
from tests.mail_server import Mailbox
from tests.notifications.queued import aware, messages, queue

URL = "/admin/outbox"


def _rows(soup) -> list[list[str]]:
    table = soup.find(id="outbox-list")
    if table is None:
        return []
    return [
        [" ".join(cell.get_text().split()) for cell in row.find_all("td")]
        for row in table.tbody.find_all("tr")
    ]


def _world(make: Factory) -> list[OutboxMessage]:
    """Four messages queued a minute apart, one in each status (the last to a team mailbox)."""
    with freeze_time("2026-03-02 09:00:00"):
        allocation = queue(make, 3, team_mailbox="team@northbrook.example")
    rows = messages()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for i, (row, status) in enumerate(
        zip(rows, (OUTBOX_SENT, OUTBOX_FAILED, OUTBOX_SENDING, OUTBOX_PENDING), strict=True)
    ):
        row.created_at = start + timedelta(minutes=i)
        row.status = status
    rows[0].attempts, rows[0].sent_at = 1, start + timedelta(minutes=5)
    rows[1].attempts, rows[1].failure_reason = 1, "The mail server refused the recipient (550)"
    allocation.provider.name = "Northbrook Psychology"
    db.session.commit()
    return rows


def test_the_outbox_lists_every_message_newest_first(make: Factory, client_for):
    sent, failed, sending, pending = _world(make)
    admin = client_for(Role.ADMIN)

    soup = admin.page(URL)

    assert soup.h1.get_text(strip=True) == "Email outbox"
    assert soup.find(id="outbox-count").get_text(strip=True) == "4 emails"
    rows = _rows(soup)
    assert [row[2] for row in rows] == [
        "Team mailbox of Northbrook Psychology",
        sending.user.name,
        failed.user.name,
        sent.user.name,
    ]
    assert rows[3][:7] == [
        "2 Mar 2026 09:00 GMT",
        "New work allocated",
        sent.user.name,
        "Sent",
        "1",
        "",
        "2 Mar 2026 09:05 GMT",
    ]
    assert rows[2][3:6] == ["Failed", "1", "The mail server refused the recipient (550)"]
    assert [row[3] for row in rows[:2]] == ["Pending", "Sending"]
    # A button only on the failed message; no address anywhere on the page.
    buttons = soup.find(id="outbox-list").find_all("button")
    assert [b.get_text(" ", strip=True) for b in buttons] == [f"Send again email {failed.id}"]
    assert "@" not in soup.find(id="main-content").get_text()


def test_the_filter_shows_one_status_with_the_counts(make: Factory, client_for):
    sent, failed, sending, pending = _world(make)
    admin = client_for(Role.ADMIN)

    soup = admin.page(f"{URL}?status=failed")

    choices = [" ".join(li.get_text().split()) for li in soup.find(id="outbox-filter")("li")]
    assert choices == ["All (4)", "Pending (1)", "Sending (1)", "Sent (1)", "Failed (1)"]
    assert soup.find(id="outbox-filter").find(attrs={"aria-current": "page"}).get_text() == (
        "Failed (1)"
    )
    assert [row[2] for row in _rows(soup)] == [failed.user.name]
    assert [row[2] for row in _rows(admin.page(f"{URL}?status=sent"))] == [sent.user.name]
    # A status that does not exist is no filter at all.
    assert len(_rows(admin.page(f"{URL}?status=lost"))) == 4


def test_the_outbox_goes_fifty_to_a_page(make: Factory, client_for):
    queue(make, 51)
    admin = client_for(Role.ADMIN)
    first = admin.page(f"{URL}?status=pending")
    assert len(_rows(first)) == 50
    assert first.find("a", rel="next")["href"] == f"{URL}?status=pending&page=2"
    assert len(_rows(admin.page(f"{URL}?status=pending&page=2"))) == 1


def test_send_again_queues_a_failed_message_and_it_goes(
    make: Factory, client_for, mail_server: Mailbox
):
    sent, failed, sending, pending = _world(make)
    admin = client_for(Role.ADMIN)
    before = datetime.now(UTC)

    response = admin.post(f"{URL}/{failed.id}/send-again")

    assert response.status_code == 303
    assert response.headers["Location"] == f"{URL}?status=failed"
    row = db.session.get(OutboxMessage, failed.id)
    assert row is not None
    db.session.refresh(row)
    assert row.status == OUTBOX_PENDING and row.attempts == 0
    assert aware(row.next_attempt_at) >= before - timedelta(seconds=1)
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outbox_message_resent")
    ).one()
    assert (audit.object_type, audit.object_id, audit.actor_id) == (
        "outbox_message",
        failed.id,
        admin.user.id,
    )
    banner = admin.page(f"{URL}?status=failed").find(class_="govuk-notification-banner")
    assert "will be sent again" in banner.get_text()

    # The next delivery sends it (and the pending one); sent and sending stay as they are.
    assert deliver_pending() == DeliveryReport(sent=2)
    assert sorted(str(m["To"]) for m in mail_server.wait_for(2)) == sorted(
        [failed.to_address, pending.to_address]
    )


def test_send_again_twice_changes_nothing_the_second_time(make: Factory, client_for):
    _, failed, _, _ = _world(make)
    admin = client_for(Role.ADMIN)
    assert admin.post(f"{URL}/{failed.id}/send-again").status_code == 303
    again = admin.post(f"{URL}/{failed.id}/send-again", follow_redirects=True)
    assert "This email has already been queued to send again." in again.get_data(as_text=True)
    count = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outbox_message_resent")
    ).all()
    assert len(count) == 1


def test_send_again_for_no_such_message_is_404(make: Factory, client_for):
    admin = client_for(Role.ADMIN)
    assert admin.post(f"{URL}/999999/send-again").status_code == 404


def test_send_again_needs_the_csrf_token(make: Factory, client_for):
    _, failed, _, _ = _world(make)
    admin = client_for(Role.ADMIN)
    assert admin.post(f"{URL}/{failed.id}/send-again", csrf=False).status_code == 400
    assert messages()[1].status == OUTBOX_FAILED


@pytest.mark.parametrize("role", [Role.MANAGER, Role.MONITOR, Role.PROVIDER_ADMIN])
def test_nobody_but_administrators_sees_or_resends(make: Factory, client_for, role: Role):
    _, failed, _, _ = _world(make)
    other = client_for(role)
    assert other.get(URL).status_code == 403
    assert other.post(f"{URL}/{failed.id}/send-again").status_code == 403
    assert messages()[1].status == OUTBOX_FAILED


def test_signed_out_people_are_sent_to_sign_in(make: Factory, client):
    _, failed, _, _ = _world(make)
    assert client.get(URL).status_code == 302
    assert client.post(f"{URL}/{failed.id}/send-again").status_code == 302
    assert messages()[1].status == OUTBOX_FAILED


def test_the_accounts_page_links_to_the_outbox(client_for):
    soup = client_for(Role.ADMIN).page("/admin/users")
    assert soup.find("a", href=URL).get_text() == "email outbox"
