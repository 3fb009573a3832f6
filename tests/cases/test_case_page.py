"""The case page: the statutory timeline and recording exceptions (outcomes: test_outcome_page)."""

from __future__ import annotations

from datetime import date

from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import CaseException, Role


def _timeline(soup):
    rows = {}
    for tr in soup.select("#timeline tbody tr"):
        label = tr.select_one("th").get_text(" ", strip=True)
        rows[label] = [td.get_text(" ", strip=True) for td in tr.select("td")]
    return rows


@freeze_time("2024-12-01 10:00:00")
def test_timeline_marks_each_milestone(make, client_for):
    case = make.case(
        request_received_on=date(2024, 6, 1),
        decision_to_assess_on=date(2024, 7, 20),  # due 13 July: 7 days late
        reception_year=2018,  # Year 6 in 2024/25: transfers to Year 7
    )
    make.allocation(
        case=case,
        provider=make.provider("Northbrook"),
        allocated_on=date(2024, 9, 1),
        returned_on=date(2024, 10, 10),
        status="returned",
    )
    manager = client_for(Role.MANAGER)
    timeline = _timeline(manager.page(f"/cases/{case.id}"))
    assert timeline["Request received"] == ["", "1 Jun 2024", "Received"]
    assert timeline["Decision whether to assess (6 weeks)"] == [
        "13 Jul 2024",
        "20 Jul 2024",
        "Late by 7 days",
    ]
    advice = "Educational psychology advice from Northbrook"
    assert timeline[f"{advice} Due: 6 weeks (reg 8); contract due 13 Oct 2024"] == [
        "13 Oct 2024",
        "10 Oct 2024",
        "On time",
    ]
    assert timeline["Draft plan issued (aim: week 14)"] == ["7 Sep 2024", "", "Overdue by 85 days"]
    assert timeline["Final plan issued (20 weeks)"] == ["19 Oct 2024", "", "Overdue by 43 days"]
    assert timeline["Phase transfer into Year 7: plan finalised"] == [
        "15 Feb 2025",
        "",
        "Due in 76 days",
    ]


@freeze_time("2024-12-01 10:00:00")
def test_record_exceptions(make, client_for):
    case = make.case(request_received_on=date(2024, 6, 1))
    allocation = make.allocation(
        case=case, provider=make.provider("Northbrook"), allocated_on=date(2024, 7, 10)
    )
    manager = client_for(Role.MANAGER)
    response = manager.post(
        f"/cases/{case.id}/exceptions",
        {
            "exception-nonce": new_nonce(),
            "exception-reason": "school_holiday",
            "exception-allocation": "",
            "exception-starts_on": ["12", "7", "2024"],
            "exception-ends_on": ["3", "9", "2024"],
            "exception-parent_told_on": ["15", "7", "2024"],
            "exception-note": "School closed for the summer",
        },
    )
    assert response.status_code == 303
    response = manager.post(
        f"/cases/{case.id}/exceptions",
        {
            "exception-nonce": new_nonce(),
            "exception-reason": "missed_appointment",
            "exception-allocation": "",
            "exception-starts_on": ["1", "8", "2024"],
        },
    )
    assert "Select the advice this exception applies to" in response.get_data(as_text=True)
    response = manager.post(
        f"/cases/{case.id}/exceptions",
        {
            "exception-nonce": new_nonce(),
            "exception-reason": "missed_appointment",
            "exception-allocation": str(allocation.id),
            "exception-starts_on": ["1", "8", "2024"],
            "exception-ends_on": ["1", "7", "2024"],
        },
    )
    assert "The end date must be on or after the start date" in response.get_data(as_text=True)
    ledger = db.session.scalars(select(CaseException)).all()
    assert [(e.applies_to, e.reason, e.starts_on, e.ends_on, e.parent_told_on) for e in ledger] == [
        ("final_plan", "school_holiday", date(2024, 7, 12), date(2024, 9, 3), date(2024, 7, 15))
    ]
    soup = manager.page(f"/cases/{case.id}")
    row = soup.select_one("#exception-table tbody tr").get_text(" ", strip=True)
    assert "School or college closed (reg 10(4)(a))" in row
    assert "12 Jul 2024 to 3 Sep 2024" in row
    timeline = _timeline(soup)
    assert any("Exception: School or college closed" in label for label in timeline)


def test_empty_exception_form_shows_errors(make, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    soup_text = manager.post(f"/cases/{case.id}/exceptions", {}).get_data(as_text=True)
    assert "Select the reason for the exception" in soup_text
    assert "Enter the date the exception starts" in soup_text
    assert 'href="#exception-reason"' in soup_text
