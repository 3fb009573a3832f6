"""The daily digest: one email a day for each person who chose it, listing what waited (label,
case reference and link only), then marked as sent; a second run that day sends nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.mail import portal_link
from provider_portal.models import (
    Allocation,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Role,
    User,
)
from provider_portal.models.notifications import DELIVER_DAILY, DIGEST_SENT, DIGEST_WAITING
from provider_portal.notifications.digests import DIGEST_LINES, send_digests
from provider_portal.notifications.messages import render_message
from provider_portal.notifications.services import notify
from tests.factories import Factory


def daily(user: User, *kinds: str) -> None:
    for kind in kinds:
        db.session.add(NotificationPreference(user_id=user.id, kind=kind, delivery=DELIVER_DAILY))
    db.session.commit()


def digests() -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.template == "digest")
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def send(as_of: date) -> int:
    sent = send_digests(as_of)
    db.session.commit()
    return sent


def waiting(user: User) -> int:
    query = select(func.count()).where(
        Notification.user_id == user.id, Notification.digest == DIGEST_WAITING
    )
    return db.session.scalar(query) or 0


@pytest.fixture
def work(make: Factory) -> Allocation:
    return make.allocation()


def test_a_person_who_chose_daily_gets_one_digest_a_day(make: Factory, work: Allocation) -> None:
    person = make.user(Role.PROVIDER_ADMIN, work.provider)
    at_once = make.user(Role.PROVIDER_ADMIN, work.provider)
    daily(person, "work_allocated", "overdue")
    notify("work_allocated", [person, at_once], allocation=work)
    notify("overdue", [person, at_once], allocation=work, dedupe="overdue:1:0")
    db.session.commit()
    # Nothing by email yet for the person who chose daily.
    assert [m.user_id for m in db.session.scalars(select(OutboxMessage))] == [at_once.id] * 2

    assert send(date(2024, 9, 5)) == 1
    [digest] = digests()
    assert (digest.user_id, digest.to_address, digest.dedupe_key) == (
        person.id,
        person.email,
        f"digest:{person.id}:2024-09-05",
    )
    fields = json.loads(digest.personalisation)
    assert fields["updates"] == 2 and fields["more"] == 0
    assert [(line["label"], line["case_ref"]) for line in fields["lines"]] == [
        ("New work allocated", work.case.case_ref),
        ("Work overdue", work.case.case_ref),
    ]
    assert all(
        line["link"].endswith(f"/provider/allocations/{work.id}") for line in fields["lines"]
    )
    assert waiting(person) == 0
    statuses = db.session.scalars(
        select(Notification.digest).where(Notification.user_id == person.id)
    )
    assert set(statuses) == {DIGEST_SENT}


def test_a_second_run_that_day_sends_nothing_and_later_news_waits_a_day(
    make: Factory, work: Allocation
) -> None:
    person = make.user(Role.MANAGER)
    daily(person, "work_returned")
    notify("work_returned", [person], allocation=work)
    db.session.commit()
    assert send(date(2024, 9, 5)) == 1
    assert send(date(2024, 9, 5)) == 0

    notify("work_returned", [person], allocation=work)
    db.session.commit()
    assert send(date(2024, 9, 5)) == 0
    assert waiting(person) == 1
    assert send(date(2024, 9, 6)) == 1
    assert waiting(person) == 0
    assert [m.dedupe_key for m in digests()] == [
        f"digest:{person.id}:2024-09-05",
        f"digest:{person.id}:2024-09-06",
    ]
    # The council's people are sent to the council's page for the work.
    fields = json.loads(digests()[0].personalisation)
    assert fields["lines"][0]["link"].endswith(f"/allocations/{work.id}")
    assert "/provider/" not in fields["lines"][0]["link"]


def test_nobody_without_waiting_notifications_gets_a_digest(
    make: Factory, work: Allocation
) -> None:
    person = make.user(Role.MANAGER)
    notify("work_returned", [person], allocation=work)
    db.session.commit()
    assert send(date(2024, 9, 5)) == 0 and digests() == []


def test_an_inactive_person_gets_no_digest(make: Factory, work: Allocation) -> None:
    person = make.user(Role.MANAGER)
    daily(person, "work_returned")
    notify("work_returned", [person], allocation=work)
    person.active = False
    db.session.commit()
    assert send(date(2024, 9, 5)) == 0 and digests() == []


def test_each_person_gets_their_own(make: Factory, work: Allocation) -> None:
    people = [make.user(Role.MANAGER) for _ in range(3)]
    for person in people:
        daily(person, "work_returned")
    notify("work_returned", people, allocation=work)
    db.session.commit()
    assert send(date(2024, 9, 5)) == 3
    assert sorted(m.user_id for m in digests()) == sorted(p.id for p in people)


def test_a_long_digest_lists_fifty_and_links_to_the_rest(make: Factory, work: Allocation) -> None:
    person = make.user(Role.PROVIDER_ADMIN, work.provider)
    daily(person, "overdue")
    for week in range(DIGEST_LINES + 5):
        notify("overdue", [person], allocation=work, dedupe=f"overdue:{work.id}:{week}")
    db.session.commit()
    assert send(date(2024, 9, 5)) == 1
    fields = json.loads(digests()[0].personalisation)
    assert (len(fields["lines"]), fields["more"], fields["updates"]) == (DIGEST_LINES, 5, 55)
    assert fields["notifications_link"] == portal_link("/notifications")
    assert waiting(person) == 0


def test_the_digest_reads_as_a_list_without_any_childs_details(
    make: Factory, work: Allocation
) -> None:
    person = make.user(Role.PROVIDER_ADMIN, work.provider)
    daily(person, "work_allocated", "overdue")
    notify("work_allocated", [person], allocation=work)
    notify("overdue", [person], allocation=work, dedupe="overdue:1:0")
    db.session.commit()
    send(date(2024, 9, 5))
    subject, body = render_message("digest", json.loads(digests()[0].personalisation))
    ref = work.case.case_ref
    link = portal_link(f"/provider/allocations/{work.id}")
    assert subject == "Your daily summary: 2 updates"
    assert f"* New work allocated, case {ref}: {link}\n* Work overdue, case {ref}: {link}\n" in body
    assert "more" not in body
    case = work.case
    for personal in (case.first_name, case.last_name, str(case.date_of_birth.year)):
        assert personal not in subject + body
    assert "{{" not in body and "\n\n\n" not in body


def test_a_long_digest_says_how_many_more() -> None:
    line = {"label": "Work overdue", "case_ref": "EHC1", "link": "http://localhost/x"}
    fields = {
        "updates": 51,
        "lines": [line],
        "more": 50,
        "notifications_link": "http://localhost/notifications",
    }
    subject, body = render_message("digest", fields)
    assert subject == "Your daily summary: 51 updates"
    assert body.endswith("And 50 more: see your notifications:\n\nhttp://localhost/notifications\n")
    one = render_message("digest", fields | {"updates": 1, "more": 0})
    assert one[0] == "Your daily summary: 1 update"
    assert "\n\n\n" not in one[1]


def test_the_queries_do_not_grow_with_the_number_of_people(
    make: Factory, work: Allocation, count_queries: list[str]
) -> None:
    statements = []
    for n, as_of in ((5, date(2024, 9, 5)), (50, date(2024, 9, 6))):
        people = [make.user(Role.MANAGER) for _ in range(n)]
        for person in people:
            daily(person, "work_returned")
        notify("work_returned", people, allocation=work)
        db.session.commit()
        count_queries.clear()
        assert send(as_of) == n
        statements.append(len(count_queries))
    assert statements[0] == statements[1] <= 6
