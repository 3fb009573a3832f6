"""Importing an allocation log through the allocation services, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.rows import CONCURRENT_CHANGE, RowError
from provider_portal.models import Allocation, AllocationStatus, AuditEvent, Provider
from provider_portal.tabular import read_table
from tests.imports.files import ALLOCATION_HEADER, table, write_xlsx


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.fixture
def cases(make):  # type: ignore[no-untyped-def]
    return [make.case(case_ref="EHC1"), make.case(case_ref="EHC2")]


@pytest.fixture
def acme(make) -> Provider:  # type: ignore[no-untyped-def]
    return make.provider(name="Acme Psychology")


def _allocations() -> list[Allocation]:
    db.session.expire_all()
    return list(db.session.scalars(select(Allocation).order_by(Allocation.id)))


def _providers() -> list[str]:
    return list(db.session.scalars(select(Provider.name).order_by(Provider.name)))


def test_allocations_are_recorded_with_their_return_and_acceptance(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC1,acme psychology,ep_advice,2024-09-02,,,",
            "EHC1,ACME PSYCHOLOGY,Speech and language therapy advice,"
            "02/09/2024,01/10/2024,20/09/2024,",
            "EHC2,Acme Psychology,EP_ADVICE,2024-09-03,,2024-10-01,2024-10-04",
        ),
        actor=None,
    )
    assert result.errors == []
    assert result.summary == "Imported 3 allocations"
    rows = [
        (
            a.case.case_ref,
            a.provider.name,
            a.work_type.code,
            a.status,
            a.allocated_on,
            a.due_on,
            a.returned_on,
            a.accepted_on,
        )
        for a in _allocations()
    ]
    assert rows == [
        (
            "EHC1",
            "Acme Psychology",
            "ep_advice",
            AllocationStatus.ALLOCATED,
            date(2024, 9, 2),
            date(2024, 10, 14),
            None,
            None,
        ),
        (
            "EHC1",
            "Acme Psychology",
            "salt_advice",
            AllocationStatus.RETURNED,
            date(2024, 9, 2),
            date(2024, 10, 1),
            date(2024, 9, 20),
            None,
        ),
        (
            "EHC2",
            "Acme Psychology",
            "ep_advice",
            AllocationStatus.ACCEPTED,
            date(2024, 9, 3),
            date(2024, 10, 15),
            date(2024, 10, 1),
            date(2024, 10, 4),
        ),
    ]
    actions = [
        (e.action, e.actor_id)
        for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]
    assert actions == [
        ("allocation_created", None),
        ("allocation_created", None),
        ("allocation_returned", None),
        ("allocation_created", None),
        ("allocation_returned", None),
        ("allocation_accepted", None),
        ("allocations_imported", None),
    ]
    summary = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "allocations_imported")
    )
    assert summary is not None and summary.detail == "rows=3 created=3 providers_created=0"


def test_unknown_provider_is_a_row_error(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC1,Acme Psychology,ep_advice,2024-09-02,,,",
            "EHC2,Brand New Therapy,ot_advice,2024-09-02,,,",
        ),
        actor=None,
    )
    assert result.errors == [
        RowError(
            3,
            "provider",
            "There is no provider called Brand New Therapy. Check the name, "
            "or choose to create providers that do not exist yet",
        )
    ]
    assert _allocations() == []
    assert _providers() == ["Acme Psychology"]


def test_create_missing_providers(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC1,Brand New Therapy,ot_advice,2024-09-02,,,",
            "EHC2,BRAND NEW THERAPY,ot_advice,2024-09-02,,,",
            "EHC2,Acme Psychology,ep_advice,2024-09-02,,,",
        ),
        actor=None,
        create_missing_providers=True,
    )
    assert result.summary == "Imported 3 allocations and created 1 provider"
    assert _providers() == ["Acme Psychology", "Brand New Therapy"]
    assert [a.provider.name for a in _allocations()] == [
        "Brand New Therapy",
        "Brand New Therapy",
        "Acme Psychology",
    ]
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider_created"))
    assert created is not None and created.detail == "via=import"


def test_created_providers_are_rolled_back_when_a_row_fails(tmp_path, make, cases, acme) -> None:  # type: ignore[no-untyped-def]
    make.allocation(case=cases[0], provider=acme, work_type="ep_advice")
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC2,Brand New Therapy,ot_advice,2024-09-02,,,",
            "EHC1,Brand New Therapy,ep_advice,2024-09-05,,,",
        ),
        actor=None,
        create_missing_providers=True,
    )
    assert result.errors == [
        RowError(
            3,
            "",
            "Case EHC1 already has educational psychology advice allocated to Acme Psychology",
        )
    ]
    assert _providers() == ["Acme Psychology"]
    assert len(_allocations()) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_open_allocation_of_the_same_work_type_in_the_same_file(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC1,Acme Psychology,ep_advice,2024-09-02,,,",
            "EHC1,Acme Psychology,ep_advice,2024-09-10,,,",
        ),
        actor=None,
    )
    assert result.errors == [
        RowError(
            3,
            "",
            "Case EHC1 already has educational psychology advice allocated to Acme Psychology",
        )
    ]
    assert _allocations() == []


def test_rows_replay_oldest_first(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC1,Acme Psychology,ep_advice,2024-11-01,,,",
            "EHC1,Acme Psychology,ep_advice,2024-06-03,,2024-07-01,2024-07-08",
        ),
        actor=None,
    )
    assert result.errors == []
    assert [(a.allocated_on, a.status) for a in _allocations()] == [
        (date(2024, 6, 3), AllocationStatus.ACCEPTED),
        (date(2024, 11, 1), AllocationStatus.ALLOCATED),
    ]


def test_the_same_row_twice(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    row = "EHC1,Acme Psychology,ep_advice,2024-06-03,,2024-07-01,2024-07-08"
    result = import_allocations(
        table(tmp_path, ALLOCATION_HEADER, row, row.replace("Acme", "ACME")), actor=None
    )
    assert result.errors == [RowError(3, "", "This allocation is also on line 2")]
    assert _allocations() == []


def test_importing_the_same_log_again_is_refused(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    lines = (ALLOCATION_HEADER, "EHC1,Acme Psychology,ep_advice,2024-06-03,,2024-07-01,2024-07-08")
    assert import_allocations(table(tmp_path, *lines), actor=None).ok
    again = import_allocations(table(tmp_path, *lines), actor=None)
    assert again.errors == [RowError(2, "", "This allocation has already been recorded")]
    assert len(_allocations()) == 1


def test_inactive_provider(tmp_path, make, cases) -> None:  # type: ignore[no-untyped-def]
    make.provider(name="Closed Ltd", active=False)
    result = import_allocations(
        table(tmp_path, ALLOCATION_HEADER, "EHC1,Closed Ltd,ep_advice,2024-06-03,,,"), actor=None
    )
    assert result.errors == [RowError(2, "", "Closed Ltd is not taking work")]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("EHC404,Acme Psychology,ep_advice,2024-09-02,,,", "case_ref", "There is no case EHC404"),
        (
            "EHC1,Acme Psychology,dentistry,2024-09-02,,,",
            "work_type",
            "Work type must be one of ep_advice, health_advice, ot_advice, plan_writing, "
            "salt_advice, social_care_advice",
        ),
        ("EHC1,Acme Psychology,ep_advice,,,,", "allocated_on", "Enter the allocation date"),
        (
            "EHC1,Acme Psychology,ep_advice,31/09/2024,,,",
            "allocated_on",
            "Allocation date must be a real date",
        ),
        (
            "EHC1,Acme Psychology,ep_advice,2025-03-02,,,",
            "allocated_on",
            "Allocation date must be today or in the past",
        ),
        (
            "EHC1,Acme Psychology,ep_advice,2024-09-02,2024-09-01,,",
            "due_on",
            "Due date must be on or after the allocation date",
        ),
        (
            "EHC1,Acme Psychology,ep_advice,2024-09-02,,2024-09-01,",
            "returned_on",
            "Return date must be on or after the allocation date",
        ),
        (
            "EHC1,Acme Psychology,ep_advice,2024-09-02,,,2024-09-30",
            "accepted_on",
            "Enter the return date, or leave the acceptance date blank",
        ),
        (
            "EHC1,Acme Psychology,ep_advice,2024-09-02,,2024-09-30,2024-09-29",
            "accepted_on",
            "Acceptance date must be on or after the return date",
        ),
        (
            "EHC1,Acme Psychology,ep_advice,2024-09-02,,2025-03-02,",
            "returned_on",
            "Return date must be today or in the past",
        ),
        ("EHC1,,ep_advice,2024-09-02,,,", "provider", "Enter the provider"),
    ],
)
def test_row_rules(tmp_path, cases, acme, line: str, column: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(tmp_path, ALLOCATION_HEADER, "EHC2,Acme Psychology,ep_advice,2024-09-02,,,", line),
        actor=None,
    )
    assert result.errors == [RowError(3, column, message)]
    assert _allocations() == []


def test_returned_today_is_allowed(tmp_path, cases, acme) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(
            tmp_path,
            ALLOCATION_HEADER,
            "EHC1,Acme Psychology,ep_advice,2025-03-01,,2025-03-01,2025-03-01",
        ),
        actor=None,
    )
    assert result.ok
    assert _allocations()[0].status is AllocationStatus.ACCEPTED


def test_missing_columns(tmp_path, cases) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(tmp_path, "case_ref,provider,date", "EHC1,Acme,2024-09-02"), actor=None
    )
    assert [(e.line, e.column) for e in result.errors] == [
        (1, "work_type"),
        (1, "allocated_on"),
    ]
    assert result.ignored == ["date"]


def test_xlsx_allocation_log_with_date_cells(tmp_path, cases, acme, make) -> None:  # type: ignore[no-untyped-def]
    actor = make.user(__import__("provider_portal.models", fromlist=["Role"]).Role.MANAGER)
    path = write_xlsx(
        tmp_path,
        [
            ["Case_Ref", "Provider", "Work_Type", "Allocated_On", "Returned_On"],
            [
                "EHC1",
                "Acme Psychology",
                "Occupational therapy advice",
                date(2024, 9, 2),
                date(2024, 9, 30),
            ],
        ],
    )
    result = import_allocations(read_table(path), actor=actor)
    assert result.summary == "Imported 1 allocation"
    allocation = _allocations()[0]
    assert (allocation.work_type.code, allocation.returned_on, allocation.allocated_by_id) == (
        "ot_advice",
        date(2024, 9, 30),
        actor.id,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "allocations_imported"))
    assert event is not None and event.actor_id == actor.id


def test_a_provider_created_by_someone_else_meanwhile_fails_the_whole_import(
    tmp_path, cases, acme, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from provider_portal.imports import allocations as allocation_import

    # As if Acme Psychology was added by someone else after the import looked providers up.
    monkeypatch.setattr(allocation_import, "_provider_lookup", lambda: {})
    result = import_allocations(
        table(tmp_path, ALLOCATION_HEADER, "EHC1,Acme Psychology,ep_advice,2024-09-02,,,"),
        actor=None,
        create_missing_providers=True,
    )
    assert result.errors == [RowError(None, "", CONCURRENT_CHANGE)]
    assert _providers() == ["Acme Psychology"]
    assert _allocations() == []
