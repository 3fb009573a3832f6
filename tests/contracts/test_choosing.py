"""Which contract new work goes under: one rule for allocate(), the case page, the bulk
pages and the import, each in its own words, from the database or from contracts read once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from provider_portal.contracts.allocating import (
    BULK,
    FORM,
    IMPORT,
    SERVICE,
    NewProvider,
    allocation_choices,
    batch_contract,
    choose_contract,
    contract_for,
    contract_named,
    contracts_by_reference,
    current_among,
    current_contracts,
    form_contract,
    preselected,
    provider_contract_costs,
    unit_price,
)
from provider_portal.errors import ContractError
from provider_portal.models import ContractStatus

TODAY = date(2026, 11, 23)


@pytest.fixture
def contracts(make):  # type: ignore[no-untyped-def]
    """First: A (current; EP advice £1,000, £1,100 from October) and C (suspended).
    Second: B (current, no prices)."""
    first, second = make.provider("First"), make.provider("Second")
    current = {"start_on": date(2026, 4, 1), "end_on": date(2027, 3, 31)}
    a = make.contract(provider=first, reference="A", prices={"ep_advice": "1000"}, **current)
    make.price(a, "ep_advice", "1100", date(2026, 10, 1))
    b = make.contract(provider=second, reference="B", **current)
    c = make.contract(provider=first, reference="C", status=ContractStatus.SUSPENDED, **current)
    return {"first": first, "second": second, "a": a, "b": b, "c": c}


# --- one rule, every caller's words ------------------------------------------------------------


def _selects(statements: list[str]) -> int:
    return len([q for q in statements if q.lstrip().upper().startswith("SELECT")])


def _refusal(call):  # type: ignore[no-untyped-def]
    with pytest.raises(ContractError) as error:
        call()
    return str(error.value), error.value.field


@pytest.mark.parametrize(
    ("wording", "several", "unknown", "not_covering", "field"),
    [
        (
            SERVICE,
            "First has more than one current contract (A, D): choose one",
            "There is no contract Z-9",
            "",
            None,
        ),
        (
            FORM,
            "Select the contract: First has more than one current contract (A, D)",
            "Select a current contract",
            "",
            "contract",
        ),
        (
            BULK,
            "Select the contract this work goes under",
            "Select the contract this work goes under",
            "",
            "contract",
        ),
        (
            IMPORT,
            "First has more than one contract on 23 November 2026 (A, D). "
            "Enter the contract reference",
            "There is no contract Z-9",
            ", which does not cover the allocation date",
            "contract",
        ),
    ],
)
def test_each_caller_has_the_same_rule_in_its_own_words(
    make, contracts, wording, several, unknown, not_covering, field
):
    first, a, b, c = contracts["first"], contracts["a"], contracts["b"], contracts["c"]
    d = make.contract(
        provider=first, reference="D", start_on=date(2026, 4, 1), end_on=date(2027, 3, 31)
    )
    assert _refusal(lambda: choose_contract(first, TODAY, None, [a, d], wording=wording)) == (
        several,
        field,
    )
    assert _refusal(
        lambda: choose_contract(first, TODAY, None, [a], entered="Z-9", wording=wording)
    ) == (unknown, field)
    assert _refusal(lambda: choose_contract(first, date(2027, 4, 1), a, [], wording=wording)) == (
        "Contract A runs from 1 April 2026 to 31 March 2027" + not_covering,
        field,
    )
    assert _refusal(lambda: choose_contract(first, TODAY, c, [a], wording=wording)) == (
        "Contract C is suspended",
        field,
    )
    assert _refusal(lambda: choose_contract(first, TODAY, b, [a], wording=wording)) == (
        "Contract B is not with First",
        field,
    )
    assert choose_contract(first, TODAY, d, [a, d], wording=wording) is d
    assert choose_contract(first, TODAY, None, [], wording=wording) is None
    # Only the bulk page needs a choice made when the provider has one current contract.
    if wording is BULK:
        assert _refusal(lambda: choose_contract(first, TODAY, None, [a], wording=wording)) == (
            several,
            field,
        )
    else:
        assert choose_contract(first, TODAY, None, [a], wording=wording) is a


def test_a_chosen_contract_must_be_among_the_current_ones_read(make, contracts):
    """A contract that passes the checks but is not among those the caller read (it became
    current since) is not the one the person saw."""
    first, a = contracts["first"], contracts["a"]
    assert _refusal(lambda: choose_contract(first, TODAY, a, [], wording=BULK)) == (
        "Select the contract this work goes under",
        "contract",
    )


@pytest.mark.parametrize(
    "day",
    [date(2026, 3, 31), date(2026, 4, 1), TODAY, date(2027, 3, 31), date(2027, 4, 1)],
)
def test_contracts_in_memory_are_current_as_the_database_has_them(
    make, contracts, count_queries, day
):
    count_queries.clear()
    by_reference = contracts_by_reference()
    assert _selects(count_queries) == 2  # the contracts, and their turnaround targets
    assert by_reference["a"] is contracts["a"]
    for provider in (contracts["first"], contracts["second"]):
        assert current_among(by_reference.values(), provider, day) == current_contracts(
            provider, day
        )
    assert current_among(by_reference.values(), NewProvider("New"), day) == []


def test_an_import_decides_from_contracts_read_once(make, contracts, count_queries):
    first, a = contracts["first"], contracts["a"]
    by_reference = contracts_by_reference()
    assert first.name == "First"  # loaded before counting
    count_queries.clear()
    assert contract_named(by_reference, first, TODAY, "a") is a
    assert contract_named(by_reference, first, TODAY, None) is a  # C is suspended
    assert contract_named(by_reference, NewProvider("New Ltd"), TODAY, None) is None
    assert _refusal(lambda: contract_named(by_reference, NewProvider("New Ltd"), TODAY, "A")) == (
        "Contract A is not with New Ltd",
        "contract",
    )
    assert _refusal(lambda: contract_named(by_reference, first, TODAY, "nope")) == (
        "There is no contract nope",
        "contract",
    )
    assert _selects(count_queries) == 0


def test_allocate_reads_current_contracts_only_when_it_must(make, contracts, count_queries):
    first, a = contracts["first"], contracts["a"]
    assert (first.name, a.reference) == ("First", "A")  # loaded before counting
    count_queries.clear()
    assert contract_for(first, TODAY, a) is a
    assert contract_for(first, TODAY, None, current=[]) is None
    assert contract_for(first, TODAY, None, current=[a]) is a
    assert _selects(count_queries) == 0
    assert contract_for(first, TODAY) is a
    assert _selects(count_queries) == 1


def test_the_case_page_chooses_among_the_contracts_it_lists(make, contracts):
    first, second = contracts["first"], contracts["second"]
    a, b, c = contracts["a"], contracts["b"], contracts["c"]
    choices = allocation_choices(TODAY)
    assert form_contract(choices, first, TODAY, "") is a
    assert form_contract(choices, first, TODAY, str(a.id)) is a
    assert form_contract(choices, second, TODAY, "") is b
    assert _refusal(lambda: form_contract(choices, first, TODAY, str(b.id))) == (
        "Contract B is not with First",
        "contract",
    )
    for value in (str(c.id), "999999", "abc", "1" * 12):  # C is suspended: not listed
        assert _refusal(lambda v=value: form_contract(choices, first, TODAY, v)) == (
            "Select a current contract",
            "contract",
        )


def test_a_batch_goes_under_the_contract_confirmed(make, contracts):
    first, a, c = contracts["first"], contracts["a"], contracts["c"]
    options = provider_contract_costs(first, make.work_type("ep_advice"), 2, TODAY)
    [option] = options
    assert preselected(options, None) is option
    assert preselected(options, a.id) is option
    assert preselected(options, 999999) is None
    assert batch_contract(options, first, TODAY, a.id) is option
    for contract_id, message in (
        (None, "Select the contract this work goes under"),
        (999999, "Select the contract this work goes under"),
        (c.id, "Contract C is suspended"),
        (contracts["b"].id, "Contract B is not with First"),
    ):
        assert _refusal(lambda i=contract_id: batch_contract(options, first, TODAY, i)) == (
            message,
            "contract",
        )
    solo = make.provider("Solo")
    assert batch_contract([], solo, TODAY, None) is None
    assert preselected([], None) is None


def test_the_price_of_new_work(make, contracts):
    ep = make.work_type("ep_advice")
    assert unit_price(None, ep, TODAY) is None
    assert unit_price(contracts["a"], ep, TODAY) == Decimal("1100.00")
    assert unit_price(contracts["a"], ep, date(2026, 9, 30)) == Decimal("1000.00")
    assert unit_price(contracts["a"], make.work_type("plan_writing"), TODAY) is None
