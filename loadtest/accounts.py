"""The load test's people, made in its own copy of the data set: managers, provider
administrators and contract monitors, each with a password and a confirmed authenticator
secret (sealed as the portal seals it), and for each the work it will act on.

Work is shared out so no two simulated people touch the same allocation: every write the run
makes is then expected exactly once, and a conflict can only mean a lost or doubled write.

    python -m loadtest.accounts people.json     (DATABASE_URL names the copy)
"""

from __future__ import annotations

import json
import secrets
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import func, select

from provider_portal.accounts.services import create_user
from provider_portal.auth.two_factor.keys import seal
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Case, Provider, Role, User
from provider_portal.models.types import utcnow

# How many accounts of each kind: one per simulated person (locustfile.MIX), so that no two
# share an authenticator code, which the portal refuses to accept twice.
ACCOUNTS = {Role.MANAGER: 20, Role.PROVIDER_ADMIN: 20, Role.MONITOR: 10}
# Allocations each person may act on: more than a 60-second run can use.
WORK_EACH = 60
SAMPLE = 2_000  # case and allocation ids the readers pick from


def _account(role: Role, number: int, provider: Provider | None) -> dict[str, Any]:
    password = secrets.token_urlsafe(18)
    secret = pyotp.random_base32()
    email = f"load-{role.value}-{number}@loadtest.invalid"
    user = create_user(
        email, f"Load test {number}", role, provider, password=password, actor=None, via="loadtest"
    )
    user.totp_secret = seal(secret)
    user.totp_confirmed_at = utcnow()
    db.session.flush()
    return {"id": user.id, "email": email, "password": password, "totp": secret}


def _ids(query: Any) -> list[int]:
    return list(db.session.scalars(query))


def make_people() -> dict[str, Any]:
    """Create the accounts and share out the work; commit; the plan as plain JSON values."""
    providers = list(db.session.scalars(select(Provider).order_by(Provider.id)))
    returned = _ids(
        select(Allocation.id)
        .where(Allocation.status == AllocationStatus.RETURNED)
        .order_by(Allocation.id)
        .limit(ACCOUNTS[Role.MANAGER] * WORK_EACH)
    )
    people: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for number in range(ACCOUNTS[Role.MANAGER]):
        person = _account(Role.MANAGER, number, None)
        person["review"] = returned[number * WORK_EACH : (number + 1) * WORK_EACH]
        people["manager"].append(person)
    for number in range(ACCOUNTS[Role.MONITOR]):
        people["monitor"].append(_account(Role.MONITOR, number, None))
    for number in range(ACCOUNTS[Role.PROVIDER_ADMIN]):
        provider = providers[number % len(providers)]
        person = _account(Role.PROVIDER_ADMIN, number, provider)
        person["provider_id"] = provider.id
        people["provider"].append(person)
    # Each provider's work the council sent back for amendment (taken on, so it can go
    # straight to upload and return), dealt out among its accounts.
    for provider in providers:
        mine = [p for p in people["provider"] if p["provider_id"] == provider.id]
        work = _ids(
            select(Allocation.id)
            .where(
                Allocation.provider_id == provider.id,
                Allocation.status == AllocationStatus.AMENDMENT_REQUESTED,
            )
            .order_by(Allocation.id)
            .limit(len(mine) * WORK_EACH)
        )
        for index, person in enumerate(mine):
            person["work"] = work[index :: len(mine)]
    step = max(1, int(db.session.scalar(select(func.count()).select_from(Case)) or 1) // SAMPLE)
    plan = {
        "people": people,
        "cases": _ids(select(Case.id).where(Case.id % step == 0).limit(SAMPLE)),
        "allocations": _ids(select(Allocation.id).where(Allocation.id % step == 0).limit(SAMPLE)),
        "account_ids": [p["id"] for group in people.values() for p in group],
    }
    db.session.commit()
    return plan


def main() -> None:
    from loadtest.app import app

    with app.app_context():
        existing = db.session.scalar(
            select(func.count()).select_from(User).where(User.email.like("load-%"))
        )
        if existing:
            raise SystemExit("this database already has load test accounts: use a fresh copy")
        plan = make_people()
    Path(sys.argv[1]).write_text(json.dumps(plan))


if __name__ == "__main__":
    main()
