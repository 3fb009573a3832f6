"""Which work a money or monitoring report covers: one contract, one provider, or all.

The report pages offer the contracts and providers from choosable_contracts and
choosable_providers, and read the choice back with read_scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload

from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import Allocation, Contract, Provider

# How a page's URL names the contract: the pack by reference, the spend page by id.
ContractKey = Literal["id", "reference"]


@dataclass(frozen=True)
class Scope:
    """A contract, or a provider (all its contracts and uncontracted work), or everything."""

    contract: Contract | None = None
    provider: Provider | None = None

    def __post_init__(self) -> None:
        if self.contract is not None and self.provider is not None:
            raise ValueError("a scope is a contract or a provider, not both")

    def allocation_filters(self) -> list[ColumnElement[bool]]:
        """WHERE clauses limiting Allocation rows to the scope."""
        return self.filters_on(Allocation.contract_id, Allocation.provider_id)

    def contract_filters(self) -> list[ColumnElement[bool]]:
        """WHERE clauses limiting Contract rows to the scope."""
        return self.filters_on(Contract.id, Contract.provider_id)

    def filters_on(self, contract_id: Any, provider_id: Any) -> list[ColumnElement[bool]]:
        """WHERE clauses limiting to the scope any rows with a contract and a provider column
        (a summary table's, say)."""
        if self.contract is not None:
            return [contract_id == self.contract.id]
        if self.provider is not None:
            return [provider_id == self.provider.id]
        return []

    def portable(self) -> Callable[[], Scope]:
        """A way to this scope from another session (a report lane's, reports.together), as a
        session's objects belong to it: its contract or provider copied into that session as
        loaded here, without reading it again (the caller's thread waits meanwhile)."""
        contract, provider = self.contract, self.provider

        def load() -> Scope:
            if contract is not None:
                return Scope(contract=db.session.merge(contract, load=False))
            if provider is not None:
                return Scope(provider=db.session.merge(provider, load=False))
            return EVERYTHING

        return load

    @property
    def label(self) -> str:
        if self.contract is not None:
            return f"Contract {self.contract.reference} ({self.contract.provider.name})"
        if self.provider is not None:
            return self.provider.name
        return "All providers"


EVERYTHING = Scope()  # all contracts, providers and uncontracted work


class ScopeError(ReportError):
    """The contract or provider chosen cannot make a scope; `errors` holds a message for each
    input at fault (both can be), `field` and `message` the first of them."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field)
        self.errors = errors


def read_scope(contract: str = "", provider: str = "", contract_key: ContractKey = "id") -> Scope:
    """The scope chosen by a contract (its id or reference, as `contract_key` says) or a
    provider (its id); neither for everything. Raises ScopeError for an unknown contract or
    provider, or for both at once."""
    errors: dict[str, str] = {}
    chosen_contract = _contract(contract, contract_key) if contract else None
    if contract and chosen_contract is None:
        errors["contract"] = "Select a contract from the list"
    provider_id = _id(provider)
    chosen_provider = db.session.get(Provider, provider_id) if provider_id is not None else None
    if provider and chosen_provider is None:
        errors["provider"] = "Select a provider from the list"
    if chosen_contract is not None and chosen_provider is not None:
        errors["contract"] = "Choose a contract or a provider, not both"
    if errors:
        raise ScopeError(errors)
    return Scope(contract=chosen_contract, provider=chosen_provider)


def _id(text: str) -> int | None:
    """A database id from a URL, or None for anything that cannot be one."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _contract(key: str, contract_key: ContractKey) -> Contract | None:
    if contract_key == "reference":
        return db.session.scalar(
            select(Contract).where(Contract.reference == key).options(joinedload(Contract.provider))
        )
    contract_id = _id(key)
    if contract_id is None:
        return None
    return db.session.get(Contract, contract_id, options=[joinedload(Contract.provider)])


def choosable_contracts() -> list[Contract]:
    """Every contract by reference, with its provider, for a report's list of contracts."""
    return list(
        db.session.scalars(
            select(Contract).options(joinedload(Contract.provider)).order_by(Contract.reference)
        )
    )


def choosable_providers(active_only: bool = False) -> list[Provider]:
    """The providers by name (only those taking work, if asked), for a report's list."""
    query = select(Provider).order_by(Provider.name)
    if active_only:
        query = query.where(Provider.active)
    return list(db.session.scalars(query))


def provider_by_name(name: str) -> Provider | None:
    """The provider with this name, whatever its case or surrounding spaces."""
    return db.session.scalar(
        select(Provider).where(func.lower(Provider.name) == name.strip().lower())
    )
