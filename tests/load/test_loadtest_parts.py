"""The parts of the load test (loadtest/) that can break without anyone running it: reading a
page's form as Locust posts it, and the people and work it makes in its copy of the data set."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import select

from loadtest.accounts import ACCOUNTS, WORK_EACH, make_people
from loadtest.pages import unpack
from loadtest.run import ROOT
from loadtest.signin import hidden_fields
from provider_portal.auth.two_factor.keys import reveal
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Role, User
from tests.factories import Factory
from tests.helpers import PortalClient


def test_the_review_form_read_from_the_page_accepts_the_work(make: Factory, client_for) -> None:
    allocation = make.allocation(status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 2))
    db.session.commit()
    manager: PortalClient = client_for(Role.MANAGER)
    url = f"/allocations/{allocation.id}"
    page = manager.get(url).get_data(as_text=True)
    fields = hidden_fields(page, f"{url}/accept")
    assert fields is not None and set(fields) == {"accept-csrf_token"}
    assert hidden_fields(page, "/nowhere") is None
    response = manager.post(f"{url}/accept", fields, csrf=False)
    assert response.status_code == 303
    db.session.refresh(allocation)
    assert allocation.status is AllocationStatus.ACCEPTED


def test_the_people_each_get_their_own_work_and_a_working_second_factor(
    app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    providers = [make.provider(), make.provider()]
    returned = [
        make.allocation(status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 2))
        for _ in range(3)
    ]
    sent_back = [
        make.allocation(
            provider=providers[n % 2],
            status=AllocationStatus.AMENDMENT_REQUESTED,
            returned_on=date(2024, 9, 2),
        )
        for n in range(5)
    ]
    make.allocation(provider=providers[0])  # not taken on: nobody's to return
    db.session.commit()

    plan = make_people()

    people = plan["people"]
    assert {kind: len(group) for kind, group in people.items()} == {
        "manager": ACCOUNTS[Role.MANAGER],
        "provider": ACCOUNTS[Role.PROVIDER_ADMIN],
        "monitor": ACCOUNTS[Role.MONITOR],
    }
    reviews = [a for person in people["manager"] for a in person["review"]]
    assert sorted(reviews) == sorted(a.id for a in returned) and WORK_EACH >= len(reviews)
    work = [a for person in people["provider"] for a in person["work"]]
    assert sorted(work) == sorted(a.id for a in sent_back)  # each once, to one person
    for person in people["provider"]:
        for allocation_id in person["work"]:
            assert db.session.get(Allocation, allocation_id).provider_id == person["provider_id"]
    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_(plan["account_ids"])))
    }
    assert len(users) == sum(ACCOUNTS.values())
    for group in people.values():
        for person in group:
            assert reveal(users[person["id"]].totp_secret) == person["totp"]
    # A person signs in with the password and a code from the secret the plan gives them.
    person = people["monitor"][0]
    portal = PortalClient(app)
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    response = portal.sign_in(users[person["id"]], person["password"], person["totp"])
    assert response.headers["Location"] == "/reports/"
    assert portal.get("/reports/").status_code == 200


def test_another_version_is_unpacked_from_git_with_its_own_migrations(tmp_path) -> None:
    """`loadtest.pages --vs REV` serves REV's own files: unpacked whole from git (HEAD here),
    with the migrations whose head its data set copy is moved to."""
    commit = unpack("HEAD", tmp_path / "other")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert commit == head
    assert (tmp_path / "other" / "provider_portal" / "__init__.py").is_file()
    assert (tmp_path / "other" / "loadtest" / "app.py").is_file()
    assert ScriptDirectory(str(tmp_path / "other" / "migrations")).get_heads() == (
        ScriptDirectory(str(ROOT / "migrations")).get_heads()
    )
    with pytest.raises(subprocess.CalledProcessError):
        unpack("no-such-version", tmp_path / "none")
