"""The clocks where people see them: phase transfers on the board and the timeline agree, and an
advice item's statutory due date follows its exceptions everywhere it is shown."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.allocations.services import allocate, record_return
from provider_portal.cases.board.bulk import provider_load
from provider_portal.cases.board.queries import transfer_deadline_column
from provider_portal.cases.recording.services import record_exception
from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import Allocation, AllocationStatus, Case, Role
from provider_portal.outcomes import SETTING_TYPES
from provider_portal.timescales import academic_year, phase_transfer

TODAY = "2024-12-01 12:00:00"  # academic year 2024/25


@pytest.mark.parametrize("as_of", [date(2024, 12, 1), date(2025, 8, 31), date(2025, 9, 1)])
def test_the_boards_sql_and_phase_transfer_agree(make, as_of: date) -> None:
    """Every setting type (none, one not known, each known one) in every year group."""
    cases = []
    for setting_type in [None, "village_school", *SETTING_TYPES]:
        for nc_year in range(-2, 15):
            cases.append(
                make.case(
                    setting_type=setting_type,
                    reception_year=academic_year(as_of) - nc_year,
                )
            )
    query = select(Case.id, transfer_deadline_column(as_of))
    deadlines = {case_id: deadline for case_id, deadline in db.session.execute(query)}
    disagreements = []
    for case in cases:
        transfer = phase_transfer(case.reception_year, as_of, case.setting_type)
        expected = transfer.deadline if transfer else None
        if deadlines[case.id] != expected:
            disagreements.append((case.setting_type, case.reception_year, deadlines[case.id]))
    assert disagreements == []
    # 4 untyped, 4 of a type not known, and 12 across the known types.
    assert sum(1 for deadline in deadlines.values() if deadline is not None) == 20


def _timeline(soup) -> dict[str, list[str]]:
    rows = {}
    for tr in soup.select("#timeline tbody tr"):
        label = tr.select_one("th").get_text(" ", strip=True)
        rows[label] = [td.get_text(" ", strip=True) for td in tr.select("td")]
    return rows


@freeze_time(TODAY)
def test_a_year_2_child_in_a_primary_school_is_no_transfer_on_the_board_or_timeline(
    make, client_for
) -> None:
    year_2 = academic_year(date(2024, 12, 1)) - 2
    infant = make.case(
        case_ref="INF",
        reception_year=year_2,
        setting_type="infant",
        request_received_on=date(2024, 6, 1),
    )
    primary = make.case(
        case_ref="PRI",
        reception_year=year_2,
        setting_type="primary",
        request_received_on=date(2024, 6, 1),
    )
    manager = client_for(Role.MANAGER)
    soup = manager.page("/cases/backlog?flags=phase_transfer")
    refs = [a.get_text() for a in soup.select("#board-table tbody tr td:nth-of-type(2) a")]
    assert refs == ["INF"]
    assert "Phase transfer into Year 3: plan finalised" in " ".join(
        _timeline(manager.page(f"/cases/{infant.id}"))
    )
    assert not any(
        label.startswith("Phase transfer")
        for label in _timeline(manager.page(f"/cases/{primary.id}"))
    )


@freeze_time(TODAY)
def test_allocate_sets_the_statutory_date_for_advice_only(make) -> None:
    case = make.case()
    provider = make.provider("Northbrook")
    advice = allocate(case, provider, make.work_type("ep_advice"), actor=None)
    plan = allocate(case, provider, make.work_type("plan_writing"), actor=None)
    db.session.commit()
    assert (advice.allocated_on, advice.statutory_due_on) == (date(2024, 12, 1), date(2025, 1, 12))
    assert plan.statutory_due_on is None
    assert plan.due_on == date(2025, 1, 12)  # the contract's (here the work type's) turnaround


@freeze_time(TODAY)
def test_an_advice_exception_moves_the_statutory_date_everywhere_it_is_shown(
    make, client_for
) -> None:
    provider = make.provider("Northbrook")
    case = make.case(request_received_on=date(2024, 6, 1))
    allocation = make.allocation(
        case=case, provider=provider, allocated_on=date(2024, 11, 1), due_on=date(2024, 12, 6)
    )
    assert allocation.statutory_due_on == date(2024, 12, 13)
    manager = client_for(Role.MANAGER)
    response = manager.post(
        f"/cases/{case.id}/exceptions",
        {
            "exception-nonce": new_nonce(),
            "exception-reason": "missed_appointment",
            "exception-allocation": str(allocation.id),
            "exception-starts_on": ["18", "11", "2024"],
            "exception-ends_on": ["24", "11", "2024"],
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    # 18 to 24 November: 7 days.
    assert db.session.get(Allocation, allocation.id).statutory_due_on == date(2024, 12, 20)

    timeline = _timeline(manager.page(f"/cases/{case.id}"))
    label = (
        "Educational psychology advice from Northbrook Due: 6 weeks (reg 8); "
        "contract due 6 Dec 2024; Exception: Failed to keep an appointment (reg 8(2)(c))"
    )
    assert timeline[label] == ["20 Dec 2024", "", "Due in 19 days"]

    board = manager.page("/cases/backlog")
    work = board.select_one("#board-table .portal-work-list").get_text(" ", strip=True)
    assert "With Northbrook, due 20 Dec (contract due 6 Dec)" in work

    cells = [
        td.get_text(" ", strip=True)
        for td in manager.page(f"/cases/{case.id}").select("#allocation-table tbody tr td")
    ]
    assert cells[3:5] == ["20 Dec 2024", "6 Dec 2024"]

    practitioner = client_for(Role.PROVIDER_ADMIN, provider=provider)
    listed = practitioner.page("/provider/allocations").select_one("#allocation-list tbody tr")
    assert [td.get_text(" ", strip=True) for td in listed.select("td")][3:5] == [
        "20 Dec 2024",
        "6 Dec 2024",
    ]


@freeze_time(TODAY)
def test_an_open_ended_advice_exception_runs_until_the_advice_comes_back(make) -> None:
    actor = make.user(Role.MANAGER)
    case = make.case(request_received_on=date(2024, 6, 1))
    allocation = make.allocation(case=case, allocated_on=date(2024, 11, 1))
    with freeze_time("2024-11-10 12:00:00"):
        record_exception(
            case,
            reason="advice_absent_from_area",
            allocation=allocation,
            starts_on=date(2024, 11, 4),
            ends_on=None,
            parent_told_on=None,
            note=None,
            actor=actor,
            nonce=new_nonce(),
        )
        db.session.commit()
    # 4 to 10 November so far: 7 days.
    assert allocation.statutory_due_on == date(2024, 12, 20)
    record_return(allocation, actor=None, returned_on=date(2024, 11, 30))
    db.session.commit()
    # Back on 30 November: 4 to 30 November, 27 days.
    assert allocation.status is AllocationStatus.RETURNED
    assert allocation.statutory_due_on == date(2025, 1, 9)


@freeze_time(TODAY)
def test_the_coronavirus_exception_is_not_offered_for_a_new_recording(make, client_for) -> None:
    case = make.case(request_received_on=date(2024, 6, 1))
    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/cases/{case.id}")
    offered = [option["value"] for option in soup.select("input[name=exception-reason]")]
    assert "coronavirus_2020" not in offered and "school_holiday" in offered
    response = manager.post(
        f"/cases/{case.id}/exceptions",
        {
            "exception-nonce": new_nonce(),
            "exception-reason": "coronavirus_2020",
            "exception-allocation": "",
            "exception-starts_on": ["1", "7", "2024"],
        },
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, case.id).exceptions == []


@freeze_time(TODAY)
def test_a_providers_late_work_is_counted_by_the_boards_date(make) -> None:
    """Advice past the contract's 30 days but inside reg 8's 6 weeks is not yet late; other work
    is late by the contract's date."""
    provider = make.provider("Northbrook")
    make.allocation(provider=provider, allocated_on=date(2024, 10, 25), due_on=date(2024, 11, 24))
    make.allocation(provider=provider, allocated_on=date(2024, 10, 1))  # due 12 November
    make.allocation(
        provider=provider,
        work_type="plan_writing",
        allocated_on=date(2024, 10, 25),
        due_on=date(2024, 11, 24),
    )
    load = provider_load(provider, date(2024, 12, 1))
    assert (load.total, load.overdue) == (3, 2)
