"""Which work a money or monitoring report covers: one contract, one provider, or all."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from provider_portal.models import Allocation, Contract, Provider


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
        if self.contract is not None:
            return [Allocation.contract_id == self.contract.id]
        if self.provider is not None:
            return [Allocation.provider_id == self.provider.id]
        return []

    def contract_filters(self) -> list[ColumnElement[bool]]:
        """WHERE clauses limiting Contract rows to the scope."""
        if self.contract is not None:
            return [Contract.id == self.contract.id]
        if self.provider is not None:
            return [Contract.provider_id == self.provider.id]
        return []

    @property
    def label(self) -> str:
        if self.contract is not None:
            return f"Contract {self.contract.reference} ({self.contract.provider.name})"
        if self.provider is not None:
            return self.provider.name
        return "All providers"
