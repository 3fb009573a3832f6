"""The audit page: filters, Europe/London days, pages, the htmx swap and who may see it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role
from tests.audit_log.support import event, stored_document, utc

# Events in 2023 keep clear of the sign-in rows the tests' own clients write today.
IN_2023 = "date_from=1&date_from=1&date_from=2023&date_to=31&date_to=12&date_to=2023"


def _rows(soup) -> list[list[str]]:
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in soup.select("#audit-table tbody tr")
    ]


def _count(soup) -> str:
    return soup.select_one("#audit-count").get_text(" ", strip=True)


def _dates(name: str, value: date) -> str:
    return f"{name}={value.day}&{name}={value.month}&{name}={value.year}"


@pytest.fixture
def admin(client_for):
    return client_for(Role.ADMIN)


def test_newest_first_with_names_cases_and_providers_joined(make, admin):
    provider = make.provider("Northbrook Psychology")
    manager = make.user(Role.MANAGER, name="Mina Manager")
    practitioner = make.user(Role.PRACTITIONER, provider=provider, name="Pat Practitioner")
    case = make.case(case_ref="EHC-0042")
    allocation = make.allocation(case=case, provider=provider)
    document = stored_document(allocation)
    event(
        "case_viewed",
        utc(2023, 1, 10, 9),
        manager,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        ip_address="10.0.0.1",
    )
    # Rows written without case_id or provider_id still show both, through their object.
    event(
        "allocation_viewed",
        utc(2023, 1, 11, 9),
        practitioner,
        object_type="allocation",
        object_id=allocation.id,
        ip_address="10.0.0.2",
    )
    event(
        "document_downloaded",
        utc(2023, 1, 12, 9),
        manager,
        object_type="document",
        object_id=document.id,
        detail="version=1",
    )
    event("demo_generated", utc(2023, 1, 13, 9), None, detail="cases=10")

    soup = admin.page(f"/audit?{IN_2023}")
    assert _count(soup).startswith("4 events")
    assert _rows(soup) == [
        ["13 Jan 2023 09:00:00 GMT", "System", "Demo generated cases=10", "", "", "", ""],
        [
            "12 Jan 2023 09:00:00 GMT",
            "Mina Manager (Commissioning manager)",
            "Document downloaded version=1",
            f"Document {document.id}",
            "EHC-0042",
            "Northbrook Psychology",
            "",
        ],
        [
            "11 Jan 2023 09:00:00 GMT",
            "Pat Practitioner (Practitioner, Northbrook Psychology)",
            "Allocation viewed",
            f"Allocation {allocation.id}",
            "EHC-0042",
            "Northbrook Psychology",
            "10.0.0.2",
        ],
        [
            "10 Jan 2023 09:00:00 GMT",
            "Mina Manager (Commissioning manager)",
            "Case viewed",
            f"Case {case.id}",
            "EHC-0042",
            "",
            "10.0.0.1",
        ],
    ]
    link = soup.select("#audit-table tbody tr")[3].select_one("a")
    assert link["href"] == f"/cases/{case.id}"


def test_filter_by_person_and_by_the_system(make, admin):
    one = make.user(Role.MANAGER, name="Ann One")
    two = make.user(Role.MANAGER, name="Bob Two")
    event("case_viewed", utc(2023, 3, 1), one)
    event("case_viewed", utc(2023, 3, 2), two)
    event("case_anonymised", utc(2023, 3, 3), None)

    soup = admin.page(f"/audit?{IN_2023}&person={one.id}")
    assert [r[1] for r in _rows(soup)] == ["Ann One (Commissioning manager)"]
    options = [o.get_text(strip=True) for o in soup.select("#person option")]
    assert "Ann One (Commissioning manager)" in options
    assert options[:2] == ["Anyone", "The system (no person)"]

    soup = admin.page(f"/audit?{IN_2023}&person=system")
    assert [r[2] for r in _rows(soup)] == ["Case anonymised"]
    # An unknown person is ignored, as on the other list pages, not an error.
    soup = admin.page(f"/audit?{IN_2023}&person=999999")
    assert len(_rows(soup)) == 3


def test_filter_by_case_reference(make, admin):
    provider = make.provider()
    case = make.case(case_ref="EHC-0100")
    other = make.case(case_ref="EHC-0101")
    allocation = make.allocation(case=case, provider=provider)
    document = stored_document(allocation)
    other_allocation = make.allocation(case=other, provider=provider)
    event(
        "case_dates_recorded",
        utc(2023, 4, 1),
        case_id=case.id,
        object_type="case",
        object_id=case.id,
    )
    event("case_viewed", utc(2023, 4, 2), object_type="case", object_id=case.id)
    event("allocation_created", utc(2023, 4, 3), object_type="allocation", object_id=allocation.id)
    event("document_uploaded", utc(2023, 4, 4), object_type="document", object_id=document.id)
    event("case_viewed", utc(2023, 4, 5), object_type="case", object_id=other.id, case_id=other.id)
    event(
        "allocation_created",
        utc(2023, 4, 6),
        object_type="allocation",
        object_id=other_allocation.id,
    )
    # A user's id that happens to equal the case id is not about the case.
    event("user_created", utc(2023, 4, 7), object_type="user", object_id=case.id)

    soup = admin.page(f"/audit?{IN_2023}&case_ref=EHC-0100")
    assert [r[2] for r in _rows(soup)] == [
        "Document uploaded",
        "Allocation created",
        "Case viewed",
        "Case dates recorded",
    ]
    assert {r[4] for r in _rows(soup)} == {"EHC-0100"}
    # Typed in lower case, with spaces around it.
    soup = admin.page(f"/audit?{IN_2023}&case_ref=+ehc-0100+")
    assert len(_rows(soup)) == 4

    soup = admin.page(f"/audit?{IN_2023}&case_ref=NOPE-1")
    assert soup.title.get_text().startswith("Error: ")
    assert "There is no case with that reference" in soup.select_one(".govuk-error-summary").text
    assert soup.select_one(".govuk-error-summary a")["href"] == "#case_ref"
    assert not soup.select("#audit-table")


def test_filter_by_provider(make, admin):
    north = make.provider("North")
    south = make.provider("South")
    north_admin = make.user(Role.PROVIDER_ADMIN, provider=north, name="Nia North")
    allocation = make.allocation(provider=north)
    event("allocation_viewed", utc(2023, 5, 1), object_type="allocation", object_id=allocation.id)
    event("sign_in", utc(2023, 5, 2), north_admin, object_type="user", object_id=north_admin.id)
    event("bulk_allocation", utc(2023, 5, 3), provider_id=north.id)
    event("provider_created", utc(2023, 5, 4), object_type="provider", object_id=north.id)
    event("bulk_allocation", utc(2023, 5, 5), provider_id=south.id)
    event("case_viewed", utc(2023, 5, 6))

    soup = admin.page(f"/audit?{IN_2023}&provider={north.id}")
    assert [r[2] for r in _rows(soup)] == [
        "Provider created",
        "Bulk allocation",
        "Sign in",
        "Allocation viewed",
    ]
    options = [o.get_text(strip=True) for o in soup.select("#provider option")]
    assert options == ["Any provider", "North", "South"]


def test_filter_by_action_offers_the_actions_in_use(make, admin):
    event("case_viewed", utc(2023, 6, 1))
    event("case_viewed", utc(2023, 6, 2))
    event("report_exported", utc(2023, 6, 3))

    soup = admin.page(f"/audit?{IN_2023}&action=case_viewed")
    assert [r[2] for r in _rows(soup)] == ["Case viewed", "Case viewed"]
    values = [o["value"] for o in soup.select("#action option")]
    assert values[0] == ""
    assert {"case_viewed", "report_exported"} <= set(values)
    assert values[1:] == sorted(set(values[1:]))  # distinct, in order


@pytest.mark.parametrize(
    ("day", "inside", "outside"),
    [
        # 31 March 2024: the clocks go forward at 01:00 GMT; the London day is 23 hours long,
        # from 00:00 UTC to 23:00 UTC.
        (
            date(2024, 3, 31),
            [utc(2024, 3, 31, 0, 0), utc(2024, 3, 31, 22, 59, 59)],
            [utc(2024, 3, 30, 23, 59, 59), utc(2024, 3, 31, 23, 0)],
        ),
        # 27 October 2024: the clocks go back; the London day is 25 hours long, from
        # 23:00 UTC the day before to 00:00 UTC the day after.
        (
            date(2024, 10, 27),
            [utc(2024, 10, 26, 23, 0), utc(2024, 10, 27, 23, 59, 59)],
            [utc(2024, 10, 26, 22, 59, 59), utc(2024, 10, 28, 0, 0)],
        ),
        # A summer day: 23:00 UTC the day before to 23:00 UTC.
        (
            date(2024, 7, 1),
            [utc(2024, 6, 30, 23, 0), utc(2024, 7, 1, 22, 59, 59)],
            [utc(2024, 6, 30, 22, 59, 59), utc(2024, 7, 1, 23, 0)],
        ),
    ],
)
def test_dates_are_whole_london_days_across_the_clock_changes(admin, day, inside, outside):
    for moment in inside:
        event("inside", moment)
    for moment in outside:
        event("outside", moment)
    soup = admin.page(f"/audit?{_dates('date_from', day)}&{_dates('date_to', day)}")
    assert [r[2] for r in _rows(soup)] == ["Inside", "Inside"]


def test_times_are_shown_in_london_time(admin):
    event("spring", utc(2024, 3, 31, 0, 30))  # still GMT
    event("summer", utc(2024, 3, 31, 23, 30))  # 00:30 BST on 1 April
    soup = admin.page(
        "/audit?date_from=30&date_from=3&date_from=2024&date_to=1&date_to=4&date_to=2024"
    )
    assert [r[0] for r in _rows(soup)] == ["1 Apr 2024 00:30:00 BST", "31 Mar 2024 00:30:00 GMT"]
    assert soup.select_one("#audit-table time")["datetime"] == "2024-03-31T23:30:00+00:00"


def test_a_range_of_days_includes_both_ends(admin):
    event("before", utc(2024, 5, 31, 22, 59))  # 31 May 23:59 BST
    event("first", utc(2024, 5, 31, 23, 0))  # 1 June 00:00 BST
    event("last", utc(2024, 6, 3, 22, 59))  # 3 June 23:59 BST
    event("after", utc(2024, 6, 3, 23, 0))  # 4 June 00:00 BST
    soup = admin.page(
        f"/audit?{_dates('date_from', date(2024, 6, 1))}&{_dates('date_to', date(2024, 6, 3))}"
    )
    assert [r[2] for r in _rows(soup)] == ["Last", "First"]
    only_from = admin.page(f"/audit?{_dates('date_from', date(2024, 6, 1))}")
    assert "Before" not in [r[2] for r in _rows(only_from)]
    only_to = admin.page(f"/audit?{_dates('date_to', date(2024, 6, 3))}")
    assert [r[2] for r in _rows(only_to)] == ["Last", "First", "Before"]


@pytest.mark.parametrize(
    ("query", "message", "href"),
    [
        (
            "date_from=31&date_from=4&date_from=2024",
            "The start date must be a real date",
            "#date_from-day",
        ),
        (
            "date_from=&date_from=4&date_from=2024",
            "The start date must be a real date",
            "#date_from-day",
        ),
        ("date_to=1&date_to=1&date_to=0001", "The end date must be a real date", "#date_to-day"),
        ("date_to=31&date_to=12&date_to=9999", "The end date must be a real date", "#date_to-day"),
        (
            "date_from=2&date_from=1&date_from=2024&date_to=1&date_to=1&date_to=2024",
            "The end date must be the same as or after the start date",
            "#date_to-day",
        ),
        # A hand-made link with one box only: an error, never a crash.
        ("date_from=2024", "The start date must be a real date", "#date_from-day"),
    ],
)
def test_dates_that_are_not_real_are_errors(admin, query, message, href):
    soup = admin.page(f"/audit?{query}")
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.select_one(".govuk-error-summary")
    assert message in summary.get_text(" ", strip=True)
    assert summary.select_one("a")["href"] == href
    assert soup.select_one(href.replace("#", "#", 1)) is not None  # the link's target exists
    assert not soup.select("#audit-table")
    assert admin.get(f"/audit.csv?{query}").status_code == 400


def test_fifty_a_page_newest_first(admin):
    for n in range(120):
        event(f"event_{n:03d}", utc(2023, 2, 1) + timedelta(minutes=n))
    first = admin.page(f"/audit?{IN_2023}")
    assert len(_rows(first)) == 50
    assert _rows(first)[0][2] == "Event 119"
    last = admin.page(f"/audit?{IN_2023}&page=3")
    assert [r[2] for r in _rows(last)][-1] == "Event 000"
    assert len(_rows(last)) == 20
    next_link = first.select_one(".govuk-pagination__next a")["href"]
    assert "page=2" in next_link and "date_from=2023" in next_link


def test_htmx_swaps_only_the_results(admin):
    event("case_viewed", utc(2023, 7, 1))
    response = admin.get(f"/audit?{IN_2023}", htmx=True)
    assert "HX-Request" in response.headers["Vary"]
    soup = admin.page(f"/audit?{IN_2023}", htmx=True)
    assert [r[2] for r in _rows(soup)] == ["Case viewed"]
    # The export link carries the same filters.
    assert "date_from=2023" in soup.select_one("#audit-export")["href"]

    # Errors come back inside the fragment too, with their own summary.
    soup = admin.page("/audit?date_from=31&date_from=2&date_from=2024", htmx=True)
    assert "The start date must be a real date" in soup.select_one(".govuk-error-summary").text

    page = admin.page("/audit")
    form = page.select_one("form[role=search]")
    assert form["method"] == "get" and form["action"] == "/audit"
    assert form["hx-get"] == "/audit" and form["hx-push-url"] == "true"
    assert form["hx-target"] == "#audit-results"
    assert page.select_one("#audit-results") is not None


def test_only_administrators_see_the_page_and_the_link(make, client_for, admin):
    assert admin.page("/audit").select_one('a[href="/audit"]') is not None
    for role in (Role.MANAGER, Role.MONITOR, Role.PROVIDER_ADMIN, Role.PRACTITIONER):
        client = client_for(role)
        assert client.get("/audit").status_code == 403
        assert client.get("/audit.csv").status_code == 403
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        assert 'href="/audit"' not in home


def test_no_route_changes_the_audit_trail(app, admin):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit_log."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    for method in ("post", "delete", "put", "patch"):
        response = getattr(admin.http, method)("/audit", headers={"X-CSRFToken": admin.token()})
        assert response.status_code == 405


def test_query_count_does_not_grow_with_events(make, admin, count_queries):
    def add(n: int) -> None:
        provider = make.provider()
        for i in range(n):
            user = make.user(Role.PRACTITIONER, provider=provider)
            case = make.case()
            allocation = make.allocation(case=case, provider=provider)
            event(
                "case_viewed",
                utc(2023, 8, 1, 0, i),
                user,
                object_type="case",
                object_id=case.id,
                case_id=case.id,
            )
            event(
                "allocation_viewed",
                utc(2023, 8, 1, 1, i),
                user,
                object_type="allocation",
                object_id=allocation.id,
            )

    add(2)
    count_queries.clear()
    admin.page(f"/audit?{IN_2023}")
    small = len(count_queries)
    add(30)
    count_queries.clear()
    admin.page(f"/audit?{IN_2023}")
    assert len(count_queries) == small
    assert small <= 12
    assert db.session.scalar(select(AuditEvent.id).limit(1)) is not None
