"""The allocation import's optional contract column: which contract each row goes under."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.imports.allocations import import_allocations
from provider_portal.imports.rows import RowError
from provider_portal.models import Allocation, ContractStatus
from tests.imports.files import ALLOCATION_HEADER, table

HEADER = ALLOCATION_HEADER + ",contract"


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.fixture
def contracts(make):  # type: ignore[no-untyped-def]
    """Acme: ACME-1 (April 2024 to March 2025) and ACME-2 (from October 2024), so one current
    contract in September 2024 and two from October; an ended ACME-OLD. Other: OTHER-1."""
    for ref in ("EHC1", "EHC2", "EHC3"):
        make.case(case_ref=ref)
    acme = make.provider(name="Acme Psychology")
    other = make.provider(name="Other Therapy")
    one = make.contract(
        provider=acme,
        reference="ACME-1",
        start_on=date(2024, 4, 1),
        end_on=date(2025, 3, 31),
        prices={"ep_advice": "1000"},
    )
    two = make.contract(
        provider=acme, reference="ACME-2", start_on=date(2024, 10, 1), end_on=date(2025, 9, 30)
    )
    make.contract(
        provider=acme,
        reference="ACME-OLD",
        start_on=date(2023, 4, 1),
        end_on=date(2025, 3, 31),
        status=ContractStatus.ENDED,
    )
    make.contract(provider=other, reference="OTHER-1")
    return {"one": one, "two": two}


def _contracts_by_case() -> dict[str, str | None]:
    db.session.expire_all()
    return {
        a.case.case_ref: (a.contract.reference if a.contract else None)
        for a in db.session.scalars(select(Allocation))
    }


def test_contract_column_sets_the_contract(tmp_path, contracts) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(
            tmp_path,
            HEADER,
            "EHC1,Acme Psychology,ep_advice,2024-11-04,,,,acme-2",  # any case, any spacing
            "EHC2,Acme Psychology,ep_advice,2024-11-04,,,, Acme-1 ",
            # Blank cell, September: Acme's only current contract then is ACME-1.
            "EHC3,Acme Psychology,ep_advice,2024-09-02,,,,",
        ),
        actor=None,
    )
    assert result.errors == []
    assert _contracts_by_case() == {"EHC1": "ACME-2", "EHC2": "ACME-1", "EHC3": "ACME-1"}


def test_without_the_column_the_only_current_contract_is_used(tmp_path, contracts) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(tmp_path, ALLOCATION_HEADER, "EHC1,Acme Psychology,ep_advice,2024-09-02,,,"),
        actor=None,
    )
    assert result.errors == []
    assert _contracts_by_case() == {"EHC1": "ACME-1"}


def test_a_provider_without_contracts_imports_uncosted(tmp_path, make, contracts) -> None:  # type: ignore[no-untyped-def]
    make.provider(name="Solo Ltd")
    result = import_allocations(
        table(tmp_path, HEADER, "EHC1,Solo Ltd,ep_advice,2024-09-02,,,,"), actor=None
    )
    assert result.errors == []
    assert _contracts_by_case() == {"EHC1": None}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("EHC2,Acme Psychology,ep_advice,2024-11-04,,,,NOPE-9", "There is no contract NOPE-9"),
        (
            "EHC2,Acme Psychology,ep_advice,2024-11-04,,,,other-1",
            "Contract OTHER-1 is not with Acme Psychology",
        ),
        ("EHC2,Acme Psychology,ep_advice,2024-11-04,,,,ACME-OLD", "Contract ACME-OLD is ended"),
        (
            "EHC2,Acme Psychology,ep_advice,2024-09-30,,,,ACME-2",
            "Contract ACME-2 runs from 1 October 2024 to 30 September 2025, "
            "which does not cover the allocation date",
        ),
        (
            "EHC2,Acme Psychology,ep_advice,2024-10-01,,,,",
            "Acme Psychology has more than one contract on 1 October 2024 (ACME-1, ACME-2). "
            "Enter the contract reference",
        ),
    ],
)
def test_contract_errors_and_nothing_is_imported(tmp_path, contracts, row, message) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(tmp_path, HEADER, "EHC1,Acme Psychology,ep_advice,2024-11-04,,,,ACME-1", row),
        actor=None,
    )
    assert result.errors == [RowError(3, "contract", message)]
    assert _contracts_by_case() == {}


def test_several_contracts_without_the_column(tmp_path, contracts) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(tmp_path, ALLOCATION_HEADER, "EHC1,Acme Psychology,ep_advice,2024-10-01,,,"),
        actor=None,
    )
    assert [(e.line, e.column) for e in result.errors] == [(2, "contract")]
    assert _contracts_by_case() == {}


def test_a_provider_to_be_created_has_no_contract(tmp_path, contracts) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(tmp_path, HEADER, "EHC1,New Psychology,ep_advice,2024-11-04,,,,ACME-1"),
        actor=None,
        create_missing_providers=True,
    )
    assert result.errors == [RowError(2, "contract", "Contract ACME-1 is not with New Psychology")]


def test_a_contract_reference_that_is_too_long(tmp_path, contracts) -> None:  # type: ignore[no-untyped-def]
    result = import_allocations(
        table(tmp_path, HEADER, "EHC1,Acme Psychology,ep_advice,2024-11-04,,,," + "X" * 51),
        actor=None,
    )
    assert result.errors == [RowError(2, "contract", "Contract must be 50 characters or fewer")]


def _statements(count_queries, tmp_path, lines) -> int:  # type: ignore[no-untyped-def]
    count_queries.clear()
    result = import_allocations(table(tmp_path, *lines), actor=None)
    assert result.errors == []
    count = len(count_queries)
    db.session.execute(Allocation.__table__.delete())
    db.session.commit()
    return count


def test_the_contract_column_adds_no_statements_per_row(
    tmp_path, make, contracts, count_queries
) -> None:  # type: ignore[no-untyped-def]
    """Contracts are looked up once for the whole file: a row naming its contract costs no
    more statements than a row for a provider with no contract at all, whose allocation
    the service looks up contracts for itself, as every row did before the column."""
    make.provider(name="Solo Ltd")
    for n in range(4, 7):
        make.case(case_ref=f"EHC{n}")
    refs = [f"EHC{n}" for n in range(1, 7)]

    def per_row(provider: str, contract: str) -> int:
        rows = [f"{ref},{provider},ep_advice,2024-11-04,,,,{contract}" for ref in refs]
        three = _statements(count_queries, tmp_path, [HEADER, *rows[:3]])
        six = _statements(count_queries, tmp_path, [HEADER, *rows])
        assert (six - three) % 3 == 0
        return (six - three) // 3

    named = per_row("Acme Psychology", "acme-2")
    uncontracted = per_row("Solo Ltd", "")
    assert named <= uncontracted
