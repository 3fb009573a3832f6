"""The count of changes to the report tables (provider_portal.changes): one for each
committed transaction that wrote to any of them, however it wrote (the ORM, bulk statements,
on the session's own connection), none for a transaction rolled back or one that wrote
elsewhere, and two writers at once both counted."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from provider_portal import changes
from provider_portal.changes import REPORT_TABLES, SHARDS, changes_counted
from provider_portal.database import immediate_transactions
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AuditEvent,
    Case,
    ContractPrice,
    DataChanges,
    SendBack,
    WorkType,
)

RANDOM_STEP = changes.step


@pytest.fixture(autouse=True)
def one_a_transaction(monkeypatch):
    """Each transaction adds 1, not a random number, so the tests can count them."""
    monkeypatch.setattr(changes, "step", lambda: 1)


def _counted() -> int:
    found = changes_counted()
    db.session.rollback()  # a fresh snapshot for the next look
    return found


def test_each_transaction_that_writes_a_report_table_counts_once(app, make):
    allocation = make.allocation()  # the factory commits: counted
    before = _counted()
    allocation.unit_price = Decimal("10.00")
    allocation.case.last_name = "Changed"
    db.session.add(SendBack(allocation=allocation, requested_on=date(2024, 9, 1)))
    db.session.flush()
    allocation.unit_price = Decimal("11.00")
    db.session.commit()  # three tables, two flushes, one transaction
    assert _counted() == before + 1

    # Bulk statements, through the session and on its connection.
    db.session.execute(update(WorkType).values(turnaround_days=WorkType.turnaround_days))
    db.session.commit()
    assert _counted() == before + 2
    contract_id, work_type_id = make.contract().id, make.work_type().id
    db.session.connection().execute(
        insert(ContractPrice.__table__).values(
            contract_id=contract_id,
            work_type_id=work_type_id,
            effective_from=date(2030, 1, 1),
            unit_price=Decimal("1.00"),
        )
    )
    db.session.commit()
    assert _counted() == before + 5  # the contract's provider, the contract, then the price


def test_nothing_is_counted_without_a_committed_write_to_a_report_table(app, make):
    allocation = make.allocation()
    before = _counted()
    allocation.unit_price = Decimal("99.00")
    db.session.flush()
    db.session.rollback()
    assert _counted() == before
    db.session.add(AuditEvent(action="login", detail="not a report table"))
    db.session.commit()
    assert _counted() == before
    db.session.scalars(select(Case)).all()
    db.session.commit()
    assert _counted() == before


def test_a_savepoint_rolled_back_takes_its_count_and_a_later_write_counts_again(app, make):
    allocation = make.allocation()
    before = _counted()
    savepoint = db.session.begin_nested()
    allocation.unit_price = Decimal("5.00")
    db.session.flush()
    savepoint.rollback()
    db.session.commit()
    assert _counted() == before  # nothing written in the end
    savepoint = db.session.begin_nested()
    allocation.unit_price = Decimal("6.00")
    db.session.flush()
    savepoint.rollback()
    allocation.case.last_name = "Written after the savepoint"
    db.session.commit()
    assert _counted() == before + 1


def test_every_report_table_is_a_table_and_the_count_stays_on_its_shards(app):
    tables = set(db.metadata.tables)
    assert REPORT_TABLES <= tables
    assert "data_changes" not in REPORT_TABLES
    shards = db.session.scalars(select(DataChanges.shard)).all()
    assert all(0 <= shard < SHARDS for shard in shards)


def test_two_writers_at_once_are_both_counted(app, make):
    allocation = make.allocation()
    case_id, allocation_id = allocation.case_id, allocation.id
    before = _counted()
    first_wrote, errors = threading.Event(), []

    def write(number: int) -> None:
        try:
            # On SQLite each takes the write lock as it begins, as a web request's does.
            with app.app_context(), immediate_transactions(), Session(db.engine) as session:
                if number == 0:
                    session.get_one(Allocation, allocation_id).unit_price = Decimal("7.00")
                    session.flush()
                    first_wrote.set()
                    threading.Event().wait(0.2)  # the second writes meanwhile (or waits)
                else:
                    first_wrote.wait(5)
                    session.get_one(Case, case_id).last_name = "Second writer"
                    session.flush()
                session.commit()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert _counted() == before + 2


def test_each_transaction_adds_a_random_amount(app, make, monkeypatch):
    """So that a database restored from a backup and written to again does not come back to a
    count it had with other data."""
    monkeypatch.setattr(changes, "step", RANDOM_STEP)
    allocation = make.allocation()
    seen = [_counted()]
    for price in ("1.00", "2.00", "3.00"):
        allocation.unit_price = Decimal(price)
        db.session.commit()
        seen.append(_counted())
    added = [after - before for before, after in zip(seen, seen[1:], strict=False)]
    assert all(0 < amount < 2**31 for amount in added)
    assert len(set(added)) == len(added)
