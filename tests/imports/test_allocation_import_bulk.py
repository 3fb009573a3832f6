"""The allocation import writes in bulk what the allocation services would have written.

Each test imports a log on one set of cases (A1, A2, …) and replays the same rows through the
services (allocate, record_return, accept, withdraw, decline) on a second set (B1, B2, …), then
compares the two, column by column and message by message.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.allocations.services import accept, allocate, decline, record_return, withdraw
from provider_portal.contracts.allocating import contracts_by_reference
from provider_portal.errors import AllocationError
from provider_portal.extensions import db
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.rows import CONCURRENT_CHANGE, RowError, cases_by_ref
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    AuditEvent,
    Case,
    ContractTurnaround,
    Notification,
    OutboxMessage,
    Provider,
    Role,
    User,
)
from provider_portal.tabular import parse_date
from tests.imports.files import table

HEADER = (
    "case_ref,provider,work_type,allocated_on,due_on,returned_on,accepted_on,contract,"
    "withdrawn_on,withdrawal_reason,declined_on,decline_reason"
)
COLUMNS = HEADER.split(",")


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.fixture
def world(make) -> User:  # type: ignore[no-untyped-def]
    """Cases A1-A6 and B1-B6 alike; Acme with ACME-1 (a price rise in December and its own
    EP advice target) and ACME-2 from October; Other Therapy with no contract; and the
    manager who imports."""
    for prefix in "AB":
        for n in range(1, 7):
            make.case(case_ref=f"{prefix}{n}")
    acme = make.provider(name="Acme Psychology")
    make.provider(name="Other Therapy")
    one = make.contract(
        provider=acme,
        reference="ACME-1",
        start_on=date(2024, 4, 1),
        end_on=date(2025, 3, 31),
        prices={"ep_advice": "1000", "plan_writing": "900"},
    )
    make.price(one, "ep_advice", "1100", date(2024, 12, 1))
    db.session.add(ContractTurnaround(contract=one, work_type=make.work_type("ep_advice"), days=30))
    db.session.commit()
    make.contract(
        provider=acme,
        reference="ACME-2",
        start_on=date(2024, 10, 1),
        end_on=date(2025, 9, 30),
        prices={"ep_advice": "1200"},
    )
    return make.user(Role.MANAGER)  # type: ignore[no-any-return]


def _line(case: str, provider: str, work_type: str, allocated_on: str, **cells: str) -> str:
    values = {"case_ref": case, "provider": provider, "work_type": work_type}
    values["allocated_on"] = allocated_on
    values.update(cells)
    return ",".join(values.get(column, "") for column in COLUMNS)


def _lines(prefix: str, rows: list[tuple[Any, ...]]) -> list[str]:
    return [_line(f"{prefix}{case}", *rest[:3], **rest[3]) for case, *rest in rows]


# One of each thing a log can say, a later piece of work listed before the earlier one it
# follows, and a return after the due date given.
HISTORY: list[tuple[Any, ...]] = [
    (2, "Acme Psychology", "ep_advice", "2024-11-01", {"contract": "ACME-2"}),
    (1, "Acme Psychology", "ep_advice", "2024-09-02", {}),
    (1, "acme psychology", "salt_advice", "2024-09-02",
     {"due_on": "2024-10-01", "returned_on": "2024-10-20"}),
    (2, "Acme Psychology", "ep_advice", "2024-09-03",
     {"returned_on": "2024-10-01", "accepted_on": "2024-10-04"}),
    (3, "Acme Psychology", "plan_writing", "2024-10-15",
     {"contract": "acme-1", "withdrawn_on": "2024-11-01", "withdrawal_reason": "Family moved"}),
    (3, "Acme Psychology", "plan_writing", "2024-11-05",
     {"contract": "ACME-1", "returned_on": "2024-11-20", "withdrawn_on": "2024-12-01",
      "withdrawal_reason": "No longer needed"}),
    (4, "Other Therapy", "ep_advice", "2024-09-10",
     {"declined_on": "2024-09-12", "decline_reason": "No capacity"}),
    (4, "Other Therapy", "ep_advice", "2024-09-15", {}),
    (5, "Acme Psychology", "ep_advice", "2024-12-02", {"contract": "ACME-1"}),
    (6, "Acme Psychology", "ot_advice", "2024-09-30", {"returned_on": "2024-10-30"}),
]  # fmt: skip


def _replay(prefix: str, rows: list[tuple[Any, ...]], actor: User) -> list[tuple[int, str]]:
    """The rows through the allocation services as the import used to run them, oldest first;
    the (line, message) of each row they refused."""
    # Read as the import used to read them (with their exceptions), so the services flush
    # exactly as often and leave the same version numbers.
    cases = cases_by_ref(f"{prefix}{row[0]}" for row in rows)
    providers = {p.name.casefold(): p for p in db.session.scalars(select(Provider))}
    contracts = contracts_by_reference()
    refused = []
    numbered = [(line, row) for line, row in enumerate(rows, start=2)]
    for line, (case, provider, work_type, allocated_on, cells) in sorted(
        numbered, key=lambda item: (item[1][3], item[0])
    ):
        day = {name: parse_date(value) for name, value in cells.items() if name.endswith("_on")}
        contract = cells.get("contract")
        try:
            allocation = allocate(
                cases[f"{prefix}{case}"],
                providers[provider.casefold()],
                _work_type(work_type),
                actor=actor,
                allocated_on=parse_date(allocated_on),
                due_on=day.get("due_on"),
                contract=contracts[contract.casefold()] if contract else None,
            )
            if day.get("returned_on"):
                record_return(allocation, actor=actor, returned_on=day["returned_on"])
            if day.get("accepted_on"):
                accept(allocation, actor=actor, accepted_on=day["accepted_on"])
            if day.get("withdrawn_on"):
                reason = cells["withdrawal_reason"]
                withdraw(allocation, reason, actor=actor, withdrawn_on=day["withdrawn_on"])
            if day.get("declined_on"):
                reason = cells["decline_reason"]
                decline(allocation, reason, actor=actor, declined_on=day["declined_on"])
        except AllocationError as error:
            refused.append((line, str(error)))
    return refused


def _work_type(code: str) -> Any:
    from provider_portal.models import WorkType

    return db.session.scalar(select(WorkType).where(WorkType.code == code))


def _allocations(prefix: str) -> list[Allocation]:
    return list(
        db.session.scalars(
            select(Allocation)
            .join(Case)
            .where(Case.case_ref.startswith(prefix))
            .order_by(Allocation.id)
        )
    )


def _columns(allocation: Allocation) -> dict[str, Any]:
    """Every column but the ids that differ between the two sets of cases."""
    return {
        column.key: getattr(allocation, column.key)
        for column in Allocation.__table__.columns
        if column.key not in ("id", "case_id")
    }


def _audit(allocations: list[Allocation]) -> list[tuple[Any, ...]]:
    """The allocations' audit rows, with the allocation and case ids as positions."""
    position = {allocation.id: n for n, allocation in enumerate(allocations)}
    cases = {allocation.case_id: allocation.case.case_ref[1:] for allocation in allocations}
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "allocation")
        .where(AuditEvent.object_id.in_(position))
        .order_by(AuditEvent.id)
    )
    rows = []
    for event in events:
        detail = event.detail
        if detail is not None:
            case_id = event.case_id
            detail = detail.replace(f"case={case_id} ", f"case=#{cases[case_id]} ")
        rows.append(
            (
                event.action,
                position[event.object_id],  # type: ignore[index]
                cases[event.case_id],  # type: ignore[index]
                event.provider_id,
                event.actor_id,
                event.ip_address,
                event.occurred_at,
                detail,
            )
        )
    return rows


def test_every_column_is_what_the_services_would_have_written(tmp_path: Path, world) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(table(tmp_path, HEADER, *_lines("A", HISTORY)), actor=world)
    assert result.errors == []
    assert result.created == len(HISTORY)
    assert _replay("B", HISTORY, world) == []
    db.session.commit()
    db.session.expire_all()

    imported, replayed = _allocations("A"), _allocations("B")
    assert len(imported) == len(replayed) == len(HISTORY)
    for mine, theirs in zip(imported, replayed, strict=True):
        assert (mine.case.case_ref[1:], _columns(mine)) == (
            theirs.case.case_ref[1:],
            _columns(theirs),
        )
    assert _audit(imported) == _audit(replayed)
    # The comparison covers the cases that matter: prices, targets, every ending, recorders.
    statuses = {a.status for a in imported}
    assert statuses == set(AllocationStatus) - {AllocationStatus.AMENDMENT_REQUESTED}
    assert {a.unit_price for a in imported} >= {None, 900, 1000, 1100, 1200}
    assert {a.allocated_by_id for a in imported} == {world.id}
    assert {a.version for a in imported} == {1, 2}


def test_each_refusal_is_the_services_own(tmp_path: Path, world, make) -> None:  # type: ignore[no-untyped-def]
    make.provider(name="Gone Ltd", active=False)
    acme = db.session.scalar(select(Provider).where(Provider.name == "Acme Psychology"))
    for prefix in "AB":
        cases = {c.case_ref: c for c in db.session.scalars(select(Case))}
        # Work already open in the database, and a case closed without a plan in November.
        make.allocation(case=cases[f"{prefix}1"], provider=acme, work_type="ot_advice")
        cases[f"{prefix}5"].closed_on = date(2024, 11, 1)
        cases[f"{prefix}5"].closed_reason = "withdrawn_by_family"
    db.session.commit()
    refused_rows: list[tuple[Any, ...]] = [
        (1, "Acme Psychology", "ot_advice", "2024-09-02", {}),
        # Work opened by an earlier row of the file, and a later row once it has closed.
        (2, "Acme Psychology", "ep_advice", "2024-09-02", {}),
        (2, "Other Therapy", "ep_advice", "2024-09-20", {}),
        (3, "Other Therapy", "ep_advice", "2024-09-03", {"returned_on": "2024-09-10",
                                                         "accepted_on": "2024-09-11"}),
        (3, "Acme Psychology", "ep_advice", "2024-09-12", {}),
        # A provider not taking work: its row makes nothing, so the next one is no clash.
        (4, "Gone Ltd", "ep_advice", "2024-09-02", {}),
        (4, "Other Therapy", "ep_advice", "2024-09-03", {}),
        (5, "Other Therapy", "ep_advice", "2024-10-31", {}),
        (5, "Other Therapy", "plan_writing", "2024-11-01", {}),
    ]  # fmt: skip
    result = import_allocations(table(tmp_path, HEADER, *_lines("A", refused_rows)), actor=world)
    expected = sorted(
        (line, message.replace("Case B", "Case A"))
        for line, message in _replay("B", refused_rows, world)
    )
    db.session.rollback()
    assert [(error.line, error.message) for error in result.errors] == expected
    assert [line for line, _ in expected] == [2, 4, 7, 10]
    assert "Gone Ltd is not taking work" in expected[2][1]
    assert "closed on 1 November 2024 without a plan" in expected[3][1]
    assert len(_allocations("A")) == 1  # only the one there before: all or nothing


def test_imported_history_sends_no_notifications(tmp_path: Path, world) -> None:  # type: ignore[no-untyped-def]
    assert import_allocations(table(tmp_path, HEADER, *_lines("A", HISTORY)), actor=world).ok
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_work_opened_by_someone_else_meanwhile_fails_the_whole_import(
    tmp_path: Path, world, make, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from provider_portal.imports import allocations as allocation_import

    acme = db.session.scalar(select(Provider).where(Provider.name == "Acme Psychology"))
    case = db.session.scalar(select(Case).where(Case.case_ref == "A2"))
    make.allocation(case=case, provider=acme, work_type="ep_advice")
    # As if that allocation was made after the import looked for open work: the partial
    # unique index on open work refuses the insert.
    monkeypatch.setattr(
        allocation_import, "_recorded_allocations", lambda ids: allocation_import._Recorded()
    )
    result = import_allocations(table(tmp_path, HEADER, *_lines("A", HISTORY)), actor=world)
    assert result.errors == [RowError(None, "", CONCURRENT_CHANGE)]
    assert len(_allocations("A")) == 1
    actions = db.session.scalars(select(AuditEvent.action))
    assert "allocations_imported" not in set(actions)
