"""An allocation log's withdrawn and declined work: status, dates, reasons, who recorded it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.imports.allocations import import_allocations
from provider_portal.models import Allocation, AllocationStatus, AuditEvent, Role
from tests.imports.files import table

HEADER = (
    "case_ref,provider,work_type,allocated_on,returned_on,accepted_on,"
    "withdrawn_on,withdrawal_reason,declined_on,decline_reason"
)


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.fixture(autouse=True)
def _world(make):  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    make.case(case_ref="EHC2")
    make.provider(name="Acme Psychology")


def _allocations() -> list[Allocation]:
    db.session.expire_all()
    return list(db.session.scalars(select(Allocation).order_by(Allocation.allocated_on)))


def _import(tmp_path: Path, *lines: str, actor=None):  # type: ignore[no-untyped-def]
    return import_allocations(table(tmp_path, HEADER, *lines), actor=actor)


def test_withdrawn_and_declined_work_ends_with_its_date_reason_and_recorder(
    tmp_path: Path, make
) -> None:  # type: ignore[no-untyped-def]
    manager = make.user(Role.MANAGER)
    result = _import(
        tmp_path,
        "EHC1,Acme Psychology,ep_advice,2024-09-02,,,2024-09-10,Family moved away,,",
        "EHC2,Acme Psychology,ep_advice,2024-09-03,,,,,2024-09-04,No capacity",
        # Declined, then given again to the same provider: replayed in date order.
        "EHC2,Acme Psychology,ep_advice,2024-09-20,2024-10-01,,,,,",
        "EHC1,Acme Psychology,ot_advice,2024-09-02,2024-09-20,,2024-09-25,Not needed after all,,",
        actor=manager,
    )
    assert result.errors == []
    assert result.summary == "Imported 4 allocations"
    ended = [
        (
            a.case.case_ref,
            a.work_type.code,
            a.status,
            a.closed_on,
            a.withdrawn_on,
            a.withdrawn_reason,
            a.withdrawn_by_id,
            a.declined_on,
            a.decline_reason,
            a.declined_by_id,
        )
        for a in _allocations()
        if not a.is_open
    ]
    withdrawn = AllocationStatus.WITHDRAWN
    assert ended == [
        ("EHC1", "ep_advice", withdrawn, date(2024, 9, 10), date(2024, 9, 10),
         "Family moved away", manager.id, None, None, None),
        ("EHC1", "ot_advice", withdrawn, date(2024, 9, 25), date(2024, 9, 25),
         "Not needed after all", manager.id, None, None, None),
        ("EHC2", "ep_advice", AllocationStatus.DECLINED, date(2024, 9, 4), None, None, None,
         date(2024, 9, 4), "No capacity", manager.id),
    ]  # fmt: skip
    assert [a.status for a in _allocations() if a.is_open] == [AllocationStatus.RETURNED]
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions.count("allocation_withdrawn") == 2
    assert actions.count("allocation_declined") == 1
    assert actions[-1] == "allocations_imported"


@pytest.mark.parametrize(
    ("ending", "column", "message"),
    [
        (
            ",,,Family moved away,,",
            "withdrawn_on",
            "Enter the withdrawal date, or leave withdrawal_reason blank",
        ),
        (
            ",,2024-09-10,,,",
            "withdrawal_reason",
            "Enter the withdrawal reason, or leave withdrawn_on blank",
        ),
        (
            ",,,,,No capacity",
            "declined_on",
            "Enter the date declined, or leave decline_reason blank",
        ),
        (
            ",,,,2024-09-04,",
            "decline_reason",
            "Enter the decline reason, or leave declined_on blank",
        ),
        (
            ",,2024-09-01,Too early,,",
            "withdrawn_on",
            "Withdrawal date must be on or after the allocation date",
        ),
        (
            ",,,,2024-09-01,Too early",
            "declined_on",
            "Date declined must be on or after the allocation date",
        ),
        (
            ",,2025-03-02,Tomorrow,,",
            "withdrawn_on",
            "Withdrawal date must be today or in the past",
        ),
        (
            ",,2024-09-10,Moved,2024-09-04,No capacity",
            "declined_on",
            "Work cannot be both withdrawn and declined: leave one blank",
        ),
        (
            "2024-09-20,,,,2024-09-04,No capacity",
            "declined_on",
            "Work that was declined was never returned: leave returned_on and accepted_on blank",
        ),
        (
            "2024-09-20,2024-09-21,2024-09-25,Moved,,",
            "withdrawn_on",
            "Accepted work cannot be withdrawn: leave withdrawn_on or accepted_on blank",
        ),
        (
            "2024-09-20,,2024-09-19,Moved,,",
            "withdrawn_on",
            "Withdrawal date must be on or after the return date",
        ),
        (
            ",,31/09/2024,Moved,,",
            "withdrawn_on",
            "Withdrawal date must be a real date",
        ),
    ],
)
def test_endings_that_do_not_add_up_are_refused(
    tmp_path: Path, ending: str, column: str, message: str
) -> None:
    result = _import(tmp_path, f"EHC1,Acme Psychology,ep_advice,2024-09-02,{ending}")
    assert [(e.line, e.column, e.message) for e in result.errors] == [(2, column, message)]
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 0


def test_a_withdrawal_reason_over_the_limit(tmp_path: Path) -> None:
    reason = "x" * 2001
    result = _import(tmp_path, f"EHC1,Acme Psychology,ep_advice,2024-09-02,,,2024-09-10,{reason},,")
    assert [(e.column, e.message) for e in result.errors] == [
        ("withdrawal_reason", "Withdrawal reason must be 2000 characters or fewer")
    ]
