"""Small factories for the objects most tests need, and signed-in clients per role."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select

from provider_portal.allocations.clock import statutory_due
from provider_portal.auth.two_factor.keys import is_sealed, seal
from provider_portal.auth.two_factor.services import new_recovery_codes
from provider_portal.contracts.pricing import reprice
from provider_portal.contracts.queries import price_on
from provider_portal.extensions import db, limiter
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    Case,
    Contract,
    ContractPrice,
    ContractStatus,
    Provider,
    Role,
    SendBackReason,
    User,
    WorkType,
)
from provider_portal.models.types import utcnow
from provider_portal.timescales import due_date
from tests.helpers import TEST_PASSWORD, PortalClient

_counter = itertools.count(1)
_HASH: dict[str, str] = {}


# The portal verifies a password at the cost written in its stored hash, and at the portal's
# cost (hash_password, tested in tests/accounts/test_passwords.py) each of the suite's 700-odd
# sign-ins took 0.1 s of CPU: a third of the whole run. Test users get an argon2id hash at the
# lowest cost instead; signing in still goes through the same verify.
_LIGHT_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def password_hash() -> str:
    """The shared test password, hashed once."""
    if "value" not in _HASH:
        _HASH["value"] = _LIGHT_HASHER.hash(TEST_PASSWORD)
    return _HASH["value"]


class Factory:
    """make.provider(), make.user(Role.MANAGER), make.case(), make.allocation(...)."""

    def provider(self, name: str | None = None, **kwargs: Any) -> Provider:
        provider = Provider(name=name or f"Provider {next(_counter)}", **kwargs)
        db.session.add(provider)
        db.session.commit()
        return provider

    def user(
        self,
        role: Role,
        provider: Provider | None = None,
        email: str | None = None,
        totp: bool = False,
        **kwargs: Any,
    ) -> User:
        """A user with the test password; totp=True gives them a confirmed authenticator
        secret (encrypted in user.totp_secret; plain_totp_secret(user) reads it) as if they
        had set up two-factor sign-in. A plain totp_secret passed in is stored encrypted."""
        if role.is_provider and provider is None:
            provider = self.provider()
        if totp:
            kwargs.setdefault("totp_secret", pyotp.random_base32())
            kwargs.setdefault("totp_confirmed_at", utcnow())
        if kwargs.get("totp_secret") and not is_sealed(kwargs["totp_secret"]):
            # Stored encrypted, as the portal stores it; tests read it with plain_totp_secret.
            kwargs["totp_secret"] = seal(kwargs["totp_secret"])
        n = next(_counter)
        user = User(
            email=email or f"{role.value}{n}@example.test",
            name=kwargs.pop("name", f"{role.label} {n}"),
            role=role,
            provider=provider,
            password_hash=password_hash(),
            **kwargs,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def recovery_codes(self, user: User) -> list[str]:
        """Give the user a fresh set of recovery codes; the plain codes are returned."""
        codes = new_recovery_codes(user)
        db.session.commit()
        return codes

    def case(self, case_ref: str | None = None, **kwargs: Any) -> Case:
        n = next(_counter)
        values: dict[str, Any] = {
            "case_ref": case_ref or f"EHC{n:05d}",
            "first_name": "Alex",
            "last_name": f"Testchild{n}",
            "date_of_birth": date(2015, 3, 14),
            "request_received_on": date(2024, 5, 1),
        }
        values.update(kwargs)
        case = Case(**values)
        db.session.add(case)
        db.session.commit()
        return case

    def work_type(self, code: str = "ep_advice") -> WorkType:
        work_type = db.session.scalar(select(WorkType).where(WorkType.code == code))
        assert work_type is not None
        return work_type

    def reason(self, code: str = "outcomes_not_smart") -> SendBackReason:
        """One of the send-back reasons every database starts with."""
        reason = db.session.scalar(select(SendBackReason).where(SendBackReason.code == code))
        assert reason is not None
        return reason

    def allocation(
        self,
        case: Case | None = None,
        provider: Provider | None = None,
        work_type: WorkType | str = "ep_advice",
        allocated_on: date = date(2024, 8, 1),
        status: AllocationStatus = AllocationStatus.ALLOCATED,
        **kwargs: Any,
    ) -> Allocation:
        wt = self.work_type(work_type) if isinstance(work_type, str) else work_type
        contract = kwargs.get("contract")
        if contract is not None and "unit_price" not in kwargs:
            # As allocate() does: the contract's price for the work on the allocation date.
            kwargs["unit_price"] = price_on(contract, wt, allocated_on)
        allocation = Allocation(
            case=case or self.case(),
            provider=provider or self.provider(),
            work_type=wt,
            allocated_on=allocated_on,
            due_on=kwargs.pop("due_on", due_date(allocated_on, wt.turnaround_days)),
            # As allocate() does: advice is due 6 weeks from the request for it (reg 8).
            statutory_due_on=kwargs.pop("statutory_due_on", statutory_due(wt, allocated_on)),
            status=status,
            **kwargs,
        )
        db.session.add(allocation)
        db.session.commit()
        return allocation

    def contract(
        self,
        provider: Provider | None = None,
        reference: str | None = None,
        value: str = "850000",
        start_on: date = date(2024, 4, 1),
        end_on: date = date(2026, 3, 31),
        prices: dict[str, str] | None = None,
        prices_from: date | None = None,
        **kwargs: Any,
    ) -> Contract:
        """An active contract; prices maps work type codes to unit prices from prices_from
        (the start date unless given). Other keyword arguments set targets or status."""
        contract = Contract(
            reference=reference or f"CON-{next(_counter):04d}",
            title=kwargs.pop("title", "EHC needs assessment advice"),
            provider=provider or self.provider(),
            start_on=start_on,
            end_on=end_on,
            original_value=Decimal(value),
            status=kwargs.pop("status", ContractStatus.ACTIVE),
            **kwargs,
        )
        db.session.add(contract)
        for code, price in (prices or {}).items():
            db.session.add(
                ContractPrice(
                    contract=contract,
                    work_type=self.work_type(code),
                    effective_from=prices_from or start_on,
                    unit_price=Decimal(price),
                )
            )
        db.session.commit()
        return contract

    def price(
        self, contract: Contract, work_type: str, unit_price: str, effective_from: date
    ) -> ContractPrice:
        price = ContractPrice(
            contract=contract,
            work_type=self.work_type(work_type),
            effective_from=effective_from,
            unit_price=Decimal(unit_price),
        )
        db.session.add(price)
        db.session.flush()
        reprice(contract.id, price.work_type_id)
        db.session.commit()
        return price


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> None:
    """Like the database, the rate limiter's counts start empty in every test: the suite
    signs in from one address far more often than SIGN_IN_RATE_LIMIT allows."""
    limiter.reset()


@pytest.fixture
def make() -> Factory:
    return Factory()


@pytest.fixture
def client_for(app: Flask, make: Factory) -> Callable[..., PortalClient]:
    """client_for(Role.MANAGER) or client_for(user): a client already signed in."""

    def build(who: Role | User, provider: Provider | None = None) -> PortalClient:
        user = who if isinstance(who, User) else make.user(who, provider=provider)
        portal = PortalClient(app)
        portal.sign_in(user)
        portal.user = user  # type: ignore[attr-defined]
        return portal

    return build
