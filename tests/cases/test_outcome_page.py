"""The case page's outcomes: the summary, the forms and their errors, the timeline, a stale
copy, and open work on a closed case flagged for the manager to withdraw."""

from __future__ import annotations

from datetime import date

from freezegun import freeze_time

from provider_portal.allocations.services import allocate
from provider_portal.errors import AllocationError
from provider_portal.extensions import db
from provider_portal.models import Case, Role

TODAY = "2024-12-01 10:00:00"
JULY_1, SEPTEMBER_1, OCTOBER_10 = ["1", "7", "2024"], ["1", "9", "2024"], ["10", "10", "2024"]


def _form(client, case_id: int, prefix: str, **fields: object) -> dict[str, object]:
    """The form as the page drew it (its nonce and version), with the person's answers."""
    soup = client.page(f"/cases/{case_id}")
    data: dict[str, object] = {
        field["name"]: field["value"]
        for field in soup.select(f"input[type=hidden][name^='{prefix}-']")
    }
    assert data, f"the page draws the {prefix} form"
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return data


def _day(value: date) -> list[str]:
    return [str(value.day), str(value.month), str(value.year)]


def _outcomes(soup) -> dict[str, str]:
    return {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(" ", strip=True)
        for row in soup.select("#outcome-list .govuk-summary-list__row")
    }


def _timeline(soup) -> dict[str, list[str]]:
    return {
        tr.select_one("th").get_text(" ", strip=True): [
            td.get_text(" ", strip=True) for td in tr.select("td")
        ]
        for tr in soup.select("#timeline tbody tr")
    }


def _post(client, case: Case, kind: str, prefix: str, **fields: object):
    return client.post(
        f"/cases/{case.id}/outcomes/{kind}", _form(client, case.id, prefix, **fields)
    )


@freeze_time(TODAY)
def test_each_outcome_through_the_page(make, client_for):
    manager_user = make.user(Role.MANAGER, name="Morgan Ellis")
    manager = client_for(manager_user)
    case = make.case(request_received_on=date(2024, 6, 1))
    soup = manager.page(f"/cases/{case.id}")
    assert _outcomes(soup)["Decision whether to issue a plan"] == (
        "Not recorded. A decision not to issue is due by 21 September 2024 (16 weeks)"
    )
    assert _timeline(soup)["Decision whether to issue a plan (16 weeks)"] == [
        "21 Sep 2024",
        "",
        "Overdue by 71 days",
    ]
    # Only the forms that make sense now.
    assert soup.select_one("#outcome-issue-decision") is None
    assert soup.select_one("#outcome-final-plan") is None

    steps = [
        ("assessment-decision", "assess", {"decision": "agreed", "decision_to_assess_on": JULY_1}),
        ("issue-decision", "issue", {"decision": "issue", "issue_decision_on": SEPTEMBER_1}),
        ("draft-plan", "draft", {"draft_plan_issued_on": _day(date(2024, 10, 1))}),
        ("final-plan", "final", {"final_plan_issued_on": OCTOBER_10, "family_agreed": "y"}),
    ]
    for kind, prefix, fields in steps:
        response = _post(manager, case, kind, prefix, **fields)
        assert response.status_code == 303, response.get_data(as_text=True)[:3000]
        assert response.headers["Location"] == f"/cases/{case.id}"

    soup = manager.page(f"/cases/{case.id}")
    assert _outcomes(soup) == {
        "Decision whether to assess": "Agreed to assess on 1 July 2024 Recorded by Morgan Ellis",
        "Decision whether to issue a plan": "Issue a plan on 1 September 2024 "
        "Recorded by Morgan Ellis",
        "Draft plan": "Sent on 1 October 2024 Recorded by Morgan Ellis",
        "Final plan": "Issued on 10 October 2024 The family agreed to a shorter comment period "
        "Recorded by Morgan Ellis",
    }
    assert "This case closed on 10 October 2024: final plan issued." in soup.select_one(
        "#case-closed"
    ).get_text(" ", strip=True)
    timeline = _timeline(soup)
    assert timeline["Decision whether to issue a plan (16 weeks) Issue a plan"] == [
        "21 Sep 2024",
        "1 Sep 2024",
        "On time",
    ]
    assert any("The family agreed to a shorter comment period" in label for label in timeline)
    # A closed case offers only the correction.
    assert [h.get_text(strip=True) for h in soup.select("h3[id^=outcome-]")] == [
        "Correct an outcome"
    ]
    assert "Remove the final plan issued" in soup.select_one("#outcome-remove + form").get_text()


@freeze_time(TODAY)
def test_mistakes_are_shown_on_their_fields_and_nothing_is_saved(make, client_for):
    manager = client_for(Role.MANAGER)
    case = make.case(request_received_on=date(2024, 6, 1), decision_to_assess_on=date(2024, 7, 1))
    soup = manager.page(f"/cases/{case.id}")
    # The ceased reason is its own question after the reasons, not a conditional reveal (which
    # would put aria-expanded on a radio).
    assert soup.select_one(".govuk-radios__conditional") is None
    assert soup.select("input[name=close-ceased_reason]")
    assert not soup.select("input[type=radio][data-aria-controls]")

    response = _post(manager, case, "close", "close", reason="ceased")
    assert response.status_code == 200
    page = manager.soup(response)
    assert page.title.get_text().startswith("Error: Case")
    summary = {
        a.get_text(strip=True): a["href"] for a in page.select(".govuk-error-summary__list a")
    }
    assert summary == {
        "Enter the date the case closed": "#close-closed_on-day",
    }
    response = _post(
        manager, case, "close", "close", reason="ceased", closed_on=_day(date(2024, 6, 30))
    )
    summary = {
        a.get_text(strip=True): a["href"]
        for a in manager.soup(response).select(".govuk-error-summary__list a")
    }
    assert summary == {
        "Select why the case ceased": "#close-ceased_reason",
        "The closing must be on or after the decision whether to assess (1 July 2024)": (
            "#close-closed_on-day"
        ),
    }
    response = _post(manager, case, "draft-plan", "draft", draft_plan_issued_on=["31", "2", "2024"])
    assert "Date the draft plan was sent must be a real date" in response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Case, case.id)
    assert (saved.closed_on, saved.closed_reason, saved.draft_plan_issued_on) == (None, None, None)
    # Not a form of this page.
    assert manager.post(f"/cases/{case.id}/outcomes/reopen", {}).status_code == 404


@freeze_time(TODAY)
def test_a_stale_copy_is_refused(make, client_for):
    case = make.case(request_received_on=date(2024, 6, 1))
    manager, other = client_for(Role.MANAGER), client_for(Role.MANAGER)
    stale = _form(
        other,
        case.id,
        "close",
        reason="withdrawn_by_family",
        closed_on=_day(date(2024, 8, 1)),
    )
    response = _post(
        manager,
        case,
        "assessment-decision",
        "assess",
        decision="agreed",
        decision_to_assess_on=_day(date(2024, 7, 1)),
    )
    assert response.status_code == 303
    response = other.post(f"/cases/{case.id}/outcomes/close", stale)
    assert response.status_code == 200
    assert "Someone else changed this case" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).closed_on is None


@freeze_time(TODAY)
def test_a_closed_case_shows_why_and_flags_its_open_work(make, client_for):
    manager = client_for(Role.MANAGER)
    case = make.case(request_received_on=date(2024, 6, 1), decision_to_assess_on=date(2024, 7, 1))
    open_work = make.allocation(
        case=case, provider=make.provider("Northbrook"), allocated_on=date(2024, 8, 1)
    )
    response = _post(
        manager, case, "close", "close", reason="moved_away", closed_on=_day(date(2024, 11, 4))
    )
    assert response.status_code == 303

    soup = manager.page(f"/cases/{case.id}")
    assert _outcomes(soup)["Closed without a plan"].startswith(
        "Moved out of the area on 4 November 2024"
    )
    warning = soup.select_one("#withdraw-work").get_text(" ", strip=True)
    assert "This case closed on 4 November 2024 (moved out of the area)" in warning
    assert "withdraw its open work" in warning
    assert soup.select_one("#withdraw-work a")["href"] == f"/allocations/{open_work.id}"
    timeline = _timeline(soup)
    assert timeline["Case closed: Moved out of the area"] == ["", "4 Nov 2024", "Closed"]
    assert timeline["Final plan issued (20 weeks)"][2] == "Not needed: case closed"
    (advice,) = [k for k in timeline if k.startswith("Educational psychology advice from")]
    assert timeline[advice][2] == "Not needed: case closed"
    # No new work on it; the work still open is flagged on its own page too.
    assert soup.select_one("#no-allocation") is not None
    allocation_page = manager.page(f"/allocations/{open_work.id}")
    assert "This case closed on 4 November 2024 (moved out of the area): withdraw this work." in (
        allocation_page.select_one("#case-closed-withdraw").get_text(" ", strip=True)
    )
    assert open_work.status.value == "allocated"  # flagged, never withdrawn by itself
    try:
        allocate(case, make.provider("Clearwater"), make.work_type("plan_writing"), actor=None)
    except AllocationError as error:
        assert "closed on 4 November 2024 without a plan" in error.message
    else:
        raise AssertionError("work was allocated on a closed case")


@freeze_time(TODAY)
def test_correcting_a_refusal_reopens_the_case(make, client_for):
    manager = client_for(Role.MANAGER)
    case = make.case(request_received_on=date(2024, 6, 1))
    response = _post(
        manager,
        case,
        "assessment-decision",
        "assess",
        decision="refused",
        decision_to_assess_on=_day(date(2024, 7, 1)),
    )
    assert response.status_code == 303
    soup = manager.page(f"/cases/{case.id}")
    assert "Refused to assess" in _outcomes(soup)["Closed without a plan"]
    assert _timeline(soup)["Decision whether to assess (6 weeks) Refused to assess"][2] == "On time"
    response = manager.post(f"/cases/{case.id}/outcomes/remove", _form(manager, case.id, "remove"))
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Case, case.id)
    assert (saved.assessment_decision, saved.closed_on, saved.closed_reason) == (None, None, None)
    assert manager.page(f"/cases/{case.id}").select_one("#outcome-assessment-decision")


def test_the_case_list_says_which_cases_closed(make, client_for):
    make.case(case_ref="OPEN-1", request_received_on=date(2024, 1, 1))
    make.case(
        case_ref="PLAN-1",
        request_received_on=date(2024, 1, 2),
        final_plan_issued_on=date(2024, 5, 1),
    )
    make.case(
        case_ref="GONE-1",
        request_received_on=date(2024, 1, 3),
        closed_on=date(2024, 3, 1),
        closed_reason="moved_away",
    )
    soup = client_for(Role.MANAGER).page("/cases")
    states = {
        tr.select_one("td a").get_text(): tr.select_one(".portal-case-state")
        for tr in soup.select("#case-table tbody tr")
    }
    assert {ref: tag.get_text() if tag else None for ref, tag in states.items()} == {
        "OPEN-1": None,
        "PLAN-1": "Plan issued",
        "GONE-1": "Closed",
    }
