"""The provider home: new work to accept, work due this week and work sent back, for the
person's own organisation only (and a practitioner's own work), each linking to its list."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time

from provider_portal.models import AllocationStatus, Role
from tests.helpers import PortalClient

TODAY = "2024-07-03"  # a Wednesday: the week runs to Sunday 7 July


def _work(make, provider, ref: str, due: date, **kwargs):
    return make.allocation(
        case=make.case(case_ref=ref),
        provider=provider,
        work_type="plan_writing",
        allocated_on=kwargs.pop("allocated_on", date(2024, 6, 20)),
        due_on=due,
        statutory_due_on=None,
        **kwargs,
    )


@pytest.fixture
def organisations(make):
    """Provider P's work, and provider Q's work of every kind P's page counts."""
    p, q = make.provider("Provider P"), make.provider("Provider Q")
    practitioner = make.user(Role.PRACTITIONER, provider=p)
    accepted = {"provider_accepted_on": date(2024, 6, 21)}
    _work(make, p, "P-NEW-1", date(2024, 7, 20))
    _work(make, p, "P-NEW-DUE", date(2024, 7, 5), assigned_to_id=practitioner.id)
    _work(make, p, "P-DUE-SUN", date(2024, 7, 7), **accepted)
    _work(make, p, "P-DUE-LATER", date(2024, 7, 8), **accepted)
    _work(make, p, "P-OVERDUE", date(2024, 7, 2), **accepted)
    _work(
        make,
        p,
        "P-SENT-BACK",
        date(2024, 7, 4),
        status=AllocationStatus.AMENDMENT_REQUESTED,
        returned_on=date(2024, 6, 30),
        assigned_to_id=practitioner.id,
        **accepted,
    )
    _work(make, p, "P-RETURNED", date(2024, 7, 4), status=AllocationStatus.RETURNED, **accepted)
    _work(make, p, "P-DECLINED", date(2024, 7, 4), status=AllocationStatus.DECLINED)
    _work(make, q, "Q-NEW", date(2024, 7, 4))
    _work(make, q, "Q-SENT-BACK", date(2024, 7, 4), status=AllocationStatus.AMENDMENT_REQUESTED)
    return p, q, practitioner


def _counts(page: BeautifulSoup) -> dict[str, int]:
    return {
        tag["id"].removeprefix("count-"): int(tag.get_text()) for tag in page.select("[id^=count-]")
    }


def _short(page: BeautifulSoup, key: str) -> list[str]:
    return [a.get_text() for a in page.select(f"#list-{key} a")]


def _listed(client: PortalClient, page: BeautifulSoup, key: str) -> list[str]:
    target = client.page(page.select_one(f"#link-{key}")["href"])
    return sorted(
        row.select_one("a").get_text() for row in target.select("#allocation-list tbody tr")
    )


@freeze_time(TODAY)
def test_provider_administrator_sees_their_organisations_work(organisations, client_for):
    p, _q, _ = organisations
    admin = client_for(Role.PROVIDER_ADMIN, provider=p)
    page = admin.page("/provider/home")
    expected = {
        "to-accept": ["P-NEW-1", "P-NEW-DUE"],
        "due-this-week": ["P-DUE-SUN", "P-NEW-DUE", "P-SENT-BACK"],
        "sent-back": ["P-SENT-BACK"],
    }
    assert _counts(page) == {key: len(refs) for key, refs in expected.items()}
    for key, refs in expected.items():
        assert sorted(_short(page, key)) == refs, key
        assert _listed(admin, page, key) == refs, key
    # Soonest due first, each linking to the work.
    assert _short(page, "due-this-week") == ["P-SENT-BACK", "P-NEW-DUE", "P-DUE-SUN"]
    first = page.select_one("#list-due-this-week a")["href"]
    assert admin.page(first).select_one("h1")
    assert "Q-" not in page.select_one("main").text


@freeze_time(TODAY)
def test_a_practitioner_sees_only_the_work_assigned_to_them(organisations, client_for):
    _p, _q, practitioner = organisations
    client = client_for(practitioner)
    page = client.page("/provider/home")
    assert _counts(page) == {"to-accept": 1, "due-this-week": 2, "sent-back": 1}
    assert _listed(client, page, "due-this-week") == ["P-NEW-DUE", "P-SENT-BACK"]


@freeze_time(TODAY)
def test_the_other_provider_sees_only_its_own(organisations, client_for):
    _p, q, _ = organisations
    client = client_for(Role.PROVIDER_ADMIN, provider=q)
    page = client.page("/provider/home")
    assert _counts(page) == {"to-accept": 1, "due-this-week": 2, "sent-back": 1}
    assert sorted(_short(page, "due-this-week")) == ["Q-NEW", "Q-SENT-BACK"]
    assert "P-" not in page.select_one("main").text


@freeze_time(TODAY)
def test_the_short_lists_stop_at_five_and_the_count_does_not(make, client_for):
    p = make.provider("Provider P")
    for i in range(7):
        _work(make, p, f"P-NEW-{i}", date(2024, 7, 10 + i))
    admin = client_for(Role.PROVIDER_ADMIN, provider=p)
    page = admin.page("/provider/home")
    assert _counts(page)["to-accept"] == 7
    assert _short(page, "to-accept") == [f"P-NEW-{i}" for i in range(5)]
    assert len(_listed(admin, page, "to-accept")) == 7
    assert page.select_one("#list-sent-back").get_text(strip=True) == (
        "Nothing has been sent back for amendment."
    )


def test_provider_users_start_at_their_home_page(make, app):
    p = make.provider("Provider P")
    for role in (Role.PROVIDER_ADMIN, Role.PRACTITIONER):
        client = PortalClient(app)
        assert client.sign_in(make.user(role, provider=p)).headers["Location"] == "/provider/home"
        page = client.page("/provider/home")
        assert page.find("a", string="See all your work")["href"] == "/provider/allocations"


@freeze_time(TODAY)
def test_the_provider_list_says_which_filter_it_shows(organisations, client_for):
    p, _q, _ = organisations
    admin = client_for(Role.PROVIDER_ADMIN, provider=p)
    page = admin.page("/provider/allocations?answer=awaiting")
    assert "new work waiting for you to accept or decline" in page.select_one("#work-filter").text
    assert page.select_one("form.portal-filters input[name=answer]")["value"] == "awaiting"
    page = admin.page("/provider/allocations?due=this_week")
    assert "work due from today to Sunday" in page.select_one("#work-filter").text
    assert admin.page("/provider/allocations?due=soon").select_one("#work-filter") is None
