"""The Notifications page: newest first, a page at a time, read only when followed or when
the person says so; only the person's own; and the unread count in every page's header."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.allocations import services as work
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Notification, Role, User
from provider_portal.pagination import PAGE_SIZE
from tests.factories import Factory

NOW = datetime(2024, 9, 2, 11, 30, tzinfo=UTC)


def _notify(
    user: User, allocation: Allocation, kind: str, minutes_ago: int = 0, read: bool = False
) -> Notification:
    notification = Notification(
        user_id=user.id,
        kind=kind,
        allocation_id=allocation.id,
        created_at=NOW - timedelta(minutes=minutes_ago),
        read_at=NOW if read else None,
    )
    db.session.add(notification)
    db.session.commit()
    return notification


def _rows(soup):  # type: ignore[no-untyped-def]
    return soup.select("#notifications tbody tr")


def _unread(client) -> str:  # type: ignore[no-untyped-def]
    link = client.page("/cases" if not client.user.is_provider_user else "/provider/allocations")
    return link.select_one("#header-notifications").get_text(" ", strip=True)


@freeze_time(NOW)
def test_the_page_lists_the_persons_notifications_newest_first(make: Factory, client_for) -> None:
    manager = client_for(Role.MANAGER)
    first = make.allocation(case=make.case("EHC-FIRST"))
    second = make.allocation(case=make.case("EHC-SECOND"), work_type="plan_writing")
    _notify(manager.user, first, "work_taken_on", minutes_ago=90, read=True)
    _notify(manager.user, second, "work_returned", minutes_ago=5)
    _notify(make.user(Role.MANAGER), first, "question_asked")  # someone else's

    soup = manager.page("/notifications")
    rows = [[cell.get_text(" ", strip=True) for cell in row.select("td")] for row in _rows(soup)]
    assert rows == [
        [
            "Work returned for review : case EHC-SECOND",
            "Case EHC-SECOND: Draft EHC plan",
            "2 September 2024 at 12:25pm",
            "New",
        ],
        [
            "Work accepted by the provider : case EHC-FIRST",
            "Case EHC-FIRST: Educational psychology advice",
            "2 September 2024 at 11:00am",
            "",
        ],
    ]
    # Neither the child's name nor date of birth is on the page.
    text = soup.get_text()
    for case in (first.case, second.case):
        assert case.last_name not in text and "2015" not in text
    # Opening the page marked nothing read.
    assert (
        db.session.scalar(select(Notification.read_at).where(Notification.kind == "work_returned"))
        is None
    )


@freeze_time(NOW)
def test_the_page_goes_a_page_at_a_time(make: Factory, client_for) -> None:
    practitioner = client_for(Role.PRACTITIONER)
    allocation = make.allocation(provider=practitioner.user.provider)
    for minutes in range(PAGE_SIZE + 3):
        _notify(practitioner.user, allocation, "work_assigned", minutes_ago=minutes)
    first = practitioner.page("/notifications")
    assert len(_rows(first)) == PAGE_SIZE
    assert first.select_one(".govuk-pagination__next a")["href"] == "/notifications?page=2"
    second = practitioner.page("/notifications?page=2")
    assert len(_rows(second)) == 3
    assert second.select_one(".govuk-pagination__prev a")


@freeze_time(NOW)
def test_following_a_notification_marks_it_read_and_goes_to_the_work(
    make: Factory, client_for
) -> None:
    p_admin = client_for(Role.PROVIDER_ADMIN)
    allocation = make.allocation(provider=p_admin.user.provider)
    followed = _notify(p_admin.user, allocation, "work_allocated")
    other = _notify(p_admin.user, allocation, "work_sent_back")

    response = p_admin.post(f"/notifications/{followed.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/provider/allocations/{allocation.id}"
    p_admin.page(response.headers["Location"])
    db.session.refresh(followed)
    db.session.refresh(other)
    assert followed.read_at is not None and other.read_at is None

    manager = client_for(Role.MANAGER)
    council = _notify(manager.user, allocation, "work_returned")
    response = manager.post(f"/notifications/{council.id}")
    assert response.headers["Location"] == f"/allocations/{allocation.id}"


@freeze_time(NOW)
def test_another_persons_notification_is_not_found(make: Factory, client_for) -> None:
    allocation = make.allocation()
    theirs = _notify(make.user(Role.MANAGER), allocation, "work_returned")
    manager = client_for(Role.MANAGER)
    assert manager.post(f"/notifications/{theirs.id}").status_code == 404
    assert manager.post("/notifications/999999").status_code == 404
    assert manager.get(f"/notifications/{theirs.id}").status_code == 405
    db.session.refresh(theirs)
    assert theirs.read_at is None


@freeze_time(NOW)
def test_work_taken_away_keeps_its_text_but_the_link_obeys_the_work_page(
    make: Factory, client_for
) -> None:
    practitioner = client_for(Role.PRACTITIONER)
    provider = practitioner.user.provider
    allocation = make.allocation(
        case=make.case("EHC-GONE"), provider=provider, assigned_to_id=practitioner.user.id
    )
    note = _notify(practitioner.user, allocation, "work_assigned")
    work.assign(allocation, make.user(Role.PRACTITIONER, provider), actor=None)
    db.session.commit()

    row = _rows(practitioner.page("/notifications"))[0]
    assert "Case EHC-GONE: Educational psychology advice" in row.get_text()
    response = practitioner.post(f"/notifications/{note.id}")
    assert response.status_code == 303
    assert practitioner.get(response.headers["Location"]).status_code == 404


@freeze_time(NOW)
def test_mark_all_as_read_and_the_header_count(make: Factory, client_for) -> None:
    p_admin = client_for(Role.PROVIDER_ADMIN)
    allocation = make.allocation(provider=p_admin.user.provider)
    assert _unread(p_admin) == "Notifications"
    for kind in ("work_allocated", "work_sent_back", "work_withdrawn"):
        _notify(p_admin.user, allocation, kind)
    _notify(p_admin.user, allocation, "work_accepted", read=True)
    header = p_admin.page("/notifications").select_one("#header-notifications")
    assert header.select_one(".portal-count-badge").get_text() == "3"
    assert header.select_one(".govuk-visually-hidden").get_text(strip=True) == "(3 unread)"
    # Someone else's unread notifications are not counted.
    _notify(make.user(Role.PROVIDER_ADMIN, p_admin.user.provider), allocation, "work_allocated")
    assert "3 unread" in _unread(p_admin)

    assert p_admin.post("/notifications/read", csrf=False).status_code == 400
    response = p_admin.post("/notifications/read")
    assert response.status_code == 303 and response.headers["Location"] == "/notifications"
    soup = p_admin.page("/notifications")
    assert "marked as read" in soup.select_one(".govuk-notification-banner").get_text()
    assert not soup.select("#notifications .govuk-tag")
    assert _unread(p_admin) == "Notifications"
    assert (
        len(list(db.session.scalars(select(Notification).where(Notification.read_at.is_(None)))))
        == 1
    )


@freeze_time(NOW)
def test_the_header_count_is_one_query(make: Factory, client_for, count_queries) -> None:
    manager = client_for(Role.MANAGER)
    allocation = make.allocation()
    for _ in range(5):
        _notify(manager.user, allocation, "work_returned")
    count_queries.clear()
    manager.page("/allocations")
    counts = [s for s in count_queries if "FROM notification" in s]
    assert len(counts) == 1 and "count(" in counts[0].lower()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROVIDER_ADMIN, Role.PRACTITIONER])
@freeze_time(NOW)
def test_the_page_does_not_grow_its_queries(make: Factory, client_for, count_queries, role) -> None:
    client = client_for(role)
    provider = client.user.provider or make.provider()

    def add(n: int) -> None:
        for _ in range(n):
            _notify(client.user, make.allocation(provider=provider), "work_withdrawn")

    add(2)
    count_queries.clear()
    client.page("/notifications")
    small = len(count_queries)
    add(20)
    count_queries.clear()
    client.page("/notifications")
    assert len(count_queries) == small


@freeze_time(NOW)
def test_an_event_in_a_request_reaches_the_page(make: Factory, client_for) -> None:
    """End to end: the provider's administrator declines, the allocating manager sees it."""
    manager = client_for(Role.MANAGER)
    p_admin = client_for(Role.PROVIDER_ADMIN)
    allocation = make.allocation(
        case=make.case("EHC-DECLINED"),
        provider=p_admin.user.provider,
        allocated_by_id=manager.user.id,
        allocated_on=date(2024, 9, 1),
    )
    response = p_admin.post(
        f"/provider/allocations/{allocation.id}/decline", {"decline-reason": "No capacity"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.refresh(allocation)
    assert allocation.status is AllocationStatus.DECLINED
    rows = _rows(manager.page("/notifications"))
    assert [row.select_one("button").contents[0] for row in rows] == [
        "Work declined by the provider"
    ]
    assert _rows(p_admin.page("/notifications")) == []
