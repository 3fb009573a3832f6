"""A report's choice of scope, read one way for the pack and the spend page (reports.scope)."""

from __future__ import annotations

import pytest

from provider_portal.errors import ReportError
from provider_portal.models import Role
from provider_portal.reports.scope import (
    Scope,
    ScopeError,
    choosable_contracts,
    choosable_providers,
    provider_by_name,
    read_scope,
)

NOT_BOTH = "Choose a contract or a provider, not both"
NO_CONTRACT = "Select a contract from the list"
NO_PROVIDER = "Select a provider from the list"


@pytest.fixture
def chosen(make):
    acme = make.provider("Acme")
    beta = make.provider("Beta", active=False)
    return {
        "acme": acme,
        "beta": beta,
        "con_b": make.contract(provider=beta, reference="CON-B"),
        "con_a": make.contract(provider=acme, reference="CON-A"),
    }


def test_blank_is_everything(chosen):
    assert read_scope() == Scope()
    assert read_scope("", "", "reference") == Scope()


def test_a_contract_by_id_or_by_reference(chosen):
    con_a = chosen["con_a"]
    assert read_scope(str(con_a.id)) == Scope(contract=con_a)
    assert read_scope("CON-A", contract_key="reference") == Scope(contract=con_a)
    assert read_scope(str(con_a.id)).label == "Contract CON-A (Acme)"


def test_a_provider_by_id_listed_or_not(chosen):
    assert read_scope(provider=str(chosen["acme"].id)) == Scope(provider=chosen["acme"])
    assert read_scope(provider=str(chosen["beta"].id)) == Scope(provider=chosen["beta"])


@pytest.mark.parametrize(
    ("contract", "provider", "key", "errors"),
    [
        ("CON-A", "", "id", {"contract": NO_CONTRACT}),
        ("999999", "", "id", {"contract": NO_CONTRACT}),
        ("con-a", "", "reference", {"contract": NO_CONTRACT}),
        ("", "999999", "id", {"provider": NO_PROVIDER}),
        ("", "Acme", "id", {"provider": NO_PROVIDER}),
        ("", "²", "id", {"provider": NO_PROVIDER}),
        ("", "9" * 30, "id", {"provider": NO_PROVIDER}),
        ("NOPE", "999999", "reference", {"contract": NO_CONTRACT, "provider": NO_PROVIDER}),
        ("CON-A", "ACME", "reference", {"contract": NOT_BOTH}),
    ],
)
def test_mistakes_name_each_input_at_fault(chosen, contract, provider, key, errors):
    provider = provider.replace("ACME", str(chosen["acme"].id))
    with pytest.raises(ScopeError) as caught:
        read_scope(contract, provider, key)
    assert caught.value.errors == errors
    assert isinstance(caught.value, ReportError)
    first_field, first_message = next(iter(errors.items()))
    assert (caught.value.field, caught.value.message) == (first_field, first_message)


def test_the_lists_offered(chosen):
    assert [c.reference for c in choosable_contracts()] == ["CON-A", "CON-B"]
    assert [p.name for p in choosable_providers()] == ["Acme", "Beta"]
    assert [p.name for p in choosable_providers(active_only=True)] == ["Acme"]
    assert provider_by_name("  aCME ") == chosen["acme"]
    assert provider_by_name("Acm") is None


def test_pack_shows_every_mistake_in_the_choice(chosen, client_for):
    monitor = client_for(Role.MONITOR)
    query = "contract=NOPE&provider=999999&start=2025-02&end=2025-04"
    summary = monitor.page(f"/reports/pack?{query}").select_one(".govuk-error-summary")
    assert NO_CONTRACT in summary.get_text() and NO_PROVIDER in summary.get_text()
    assert monitor.get(f"/reports/pack.xlsx?{query}").status_code == 400


@pytest.mark.parametrize("provider", ["²", "9" * 30])
def test_pack_answers_a_provider_that_cannot_be_an_id_with_its_form(chosen, client_for, provider):
    monitor = client_for(Role.MONITOR)
    soup = monitor.page(f"/reports/pack?provider={provider}&start=2025-02&end=2025-04")
    assert NO_PROVIDER in soup.select_one(".govuk-error-summary").get_text()
    response = monitor.get(f"/reports/pack.csv?provider={provider}&start=2025-02&end=2025-04")
    assert response.status_code == 400


def _queries(count_queries, client, url: str) -> int:
    count_queries.clear()
    client.page(url)
    return len(count_queries)


@pytest.mark.parametrize(
    ("url", "scoped"),
    [
        ("/reports/spend", "contract={con_a}"),
        ("/reports/spend", "provider={acme}"),
        ("/reports/monthly?start=2025-01&end=2025-03", "provider={acme}"),
        ("/reports/pack?start=2025-01&end=2025-03", "provider={acme}"),
    ],
)
def test_the_chosen_scope_comes_from_the_list_already_read(
    chosen, client_for, count_queries, url, scoped
):
    """Reading the choice back finds the contract or provider the form's list loaded."""
    client = client_for(Role.MANAGER)
    ids = {"con_a": chosen["con_a"].id, "acme": chosen["acme"].id}
    everything = _queries(count_queries, client, url)
    separator = "&" if "?" in url else "?"
    one = _queries(count_queries, client, url + separator + scoped.format(**ids))
    assert one == everything
