"""Adding a case by hand and changing its details: the age limit, the setting type and a year
group anchored to the day it was recorded."""

from __future__ import annotations

from datetime import date

from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Case, Role

TODAY = "2024-12-01 12:00:00"


def _date(value: date) -> list[str]:
    return [str(value.day), str(value.month), str(value.year)]


def _form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "case-case_ref": "EHC9001",
        "case-first_name": "  Alex ",
        "case-last_name": "Smith",
        "case-date_of_birth": _date(date(2017, 5, 2)),
        "case-request_received_on": _date(date(2024, 6, 1)),
        "case-year_group": "Year 2",
        "case-setting": "Oakfield Primary School",
        "case-setting_type": "primary",
        "case-looked_after": "no",
    }
    values.update({f"case-{name}": value for name, value in overrides.items()})
    return values


def _nonce(page) -> str:
    return page.select_one("input[name=case-nonce]")["value"]


@freeze_time(TODAY)
def test_adding_a_case_with_its_setting_type(client_for) -> None:
    manager = client_for(Role.MANAGER)
    assert manager.page("/cases").select_one("#add-case")["href"] == "/cases/new"
    page = manager.page("/cases/new")
    offered = [o["value"] for o in page.select("select[name=case-setting_type] option")]
    assert offered[0] == "" and "special" in offered and "all_through" in offered
    response = manager.post("/cases/new", {**_form(), "case-nonce": _nonce(page)})
    assert response.status_code == 303
    case = db.session.scalar(select(Case).where(Case.case_ref == "EHC9001"))
    assert case is not None
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert (case.first_name, case.setting_type, case.year_group) == ("Alex", "primary", "Year 2")
    # Year 2 in 2024/25, recorded today: Reception in 2022, anchored to today.
    assert (case.reception_year, case.year_group_as_of) == (2022, date(2024, 12, 1))
    shown = manager.page(f"/cases/{case.id}")
    assert "Primary school" in shown.select_one(".govuk-summary-list").get_text()
    # A Year 2 child in a primary school moves on to Year 3 in the same school: no transfer.
    labels = [th.get_text(" ", strip=True) for th in shown.select("#timeline tbody th")]
    assert not any(label.startswith("Phase transfer") for label in labels)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_created"))
    assert event.case_id == case.id and event.actor_id == manager.user.id


@freeze_time(TODAY)
def test_a_young_person_of_25_on_the_request_date_is_refused(client_for) -> None:
    manager = client_for(Role.MANAGER)
    nonce = _nonce(manager.page("/cases/new"))
    response = manager.post(
        "/cases/new",
        {
            **_form(date_of_birth=_date(date(1999, 6, 1)), year_group=""),
            "case-nonce": nonce,
        },
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The young person must be under 25 on the date the request was received" in text
    assert "<title>Error: " in text
    assert db.session.scalar(select(Case)) is None
    # A day younger is fine (the same nonce was not used up by the refused attempt).
    response = manager.post(
        "/cases/new",
        {
            **_form(date_of_birth=_date(date(1999, 6, 2)), year_group=""),
            "case-nonce": nonce,
        },
    )
    assert response.status_code == 303


@freeze_time(TODAY)
def test_other_problems_are_shown_on_their_fields(make, client_for) -> None:
    make.case(case_ref="EHC9001")
    manager = client_for(Role.MANAGER)
    page = manager.page("/cases/new")
    response = manager.post(
        "/cases/new",
        {
            **_form(
                year_group="Year 20",
                setting_type="village",
                request_received_on=_date(date(2024, 12, 2)),
            ),
            "case-nonce": _nonce(page),
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Select the type of setting" in text
    response = manager.post(
        "/cases/new",
        {
            **_form(year_group="Year 20", request_received_on=_date(date(2024, 12, 2))),
            "case-nonce": _nonce(page),
        },
    )
    text = response.get_data(as_text=True)
    assert "A case with this reference already exists" in text
    assert "The request date must be today or in the past" in text
    assert "Year group must be Nursery, Reception or Year 1 to Year 14" in text


@freeze_time(TODAY)
def test_changing_details_keeps_a_year_group_anchored_to_when_it_was_recorded(
    make, client_for
) -> None:
    # "Year 5", recorded in July 2024, means Year 6 now: a primary school's Year 7 transfer.
    case = make.case(
        year_group="Year 5",
        year_group_as_of=date(2024, 7, 10),
        reception_year=2018,
        setting_type=None,
    )
    manager = client_for(Role.MANAGER)
    assert manager.page(f"/cases/{case.id}").select_one("#change-details") is not None
    page = manager.page(f"/cases/{case.id}/details")
    assert page.select_one("input[name=case-year_group]")["value"] == "Year 5"
    form = _form(year_group="Year 5", setting_type="special")
    form.pop("case-case_ref")
    data = {
        **form,
        "case-nonce": _nonce(page),
        "case-version": page.select_one("input[name=case-version]")["value"],
    }
    assert manager.post(f"/cases/{case.id}/details", data).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Case, case.id)
    # The same words again: still as of July, still Year 6 now.
    assert (saved.reception_year, saved.year_group_as_of) == (2018, date(2024, 7, 10))
    assert saved.setting_type == "special"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_details_changed"))
    assert event.detail == (
        "fields=last_name,date_of_birth,request_received_on,setting,setting_type"
    )
    # A stale copy is refused and the form shows the saved case.
    stale = manager.post(
        f"/cases/{case.id}/details", {**data, "case-nonce": _nonce(manager.page("/cases/new"))}
    )
    assert stale.status_code == 200
    assert "Someone else changed this case" in stale.get_data(as_text=True)
    # A new year group is anchored to today.
    page = manager.page(f"/cases/{case.id}/details")
    data = {
        **form,
        "case-year_group": "Year 6",
        "case-nonce": _nonce(page),
        "case-version": page.select_one("input[name=case-version]")["value"],
    }
    assert manager.post(f"/cases/{case.id}/details", data).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Case, case.id)
    assert (saved.reception_year, saved.year_group_as_of) == (2018, date(2024, 12, 1))
