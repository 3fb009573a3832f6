"""How you compare: a provider's own figures beside the median provider, on its home page,
and never another provider's figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time

from provider_portal.models import AllocationStatus, Role
from provider_portal.reports.providers.figures import how_you_compare, median_of
from tests.reports.test_providers import build_league, rubric, send_back

TODAY = "2025-04-15 10:00:00"


@pytest.fixture
def data(make):
    found = build_league(make)
    # A third provider, so that the medians give no provider's figures away.
    west = make.provider("West")
    for day, back in ((6, 11), (7, 39)):
        work = make.allocation(
            provider=west,
            allocated_on=date(2024, 11, day),
            returned_on=date(2024, 11, day) + timedelta(days=back),
            accepted_on=date(2025, 1, 10),
            status=AllocationStatus.ACCEPTED,
        )
    send_back(work, date(2024, 12, 20), "views_missing")
    rubric(work, date(2025, 1, 10), 0, 0)
    found["west"] = west
    return found


def _lines(comparison) -> dict[str, tuple[object, object]]:
    return {label: (own, median) for label, _kind, own, median in comparison.lines}


def test_own_figures_and_the_median_of_each(data):
    comparison = how_you_compare(
        data["north"].id, date(2024, 4, 1), date(2025, 3, 1), date(2025, 4, 15)
    )
    lines = _lines(comparison)
    assert comparison.providers_compared == 3
    # North 4 allocated, South 2, West 2: the median is 2.
    assert lines["Allocated"] == (4, Decimal("2.0"))
    # Median days to return: North 20, South 50, West 11 and 39 (nearest rank: 11).
    assert lines["Median days to return"] == (20, Decimal("20.0"))
    # First time right: North 33.3%, South 100%, West 50%.
    assert lines["First time right"] == (Decimal("33.3"), Decimal("50.0"))
    assert lines["Cost per accepted output"] == (Decimal("900.00"), Decimal("900.00"))
    assert lines["Rubric average (of 2)"] == (Decimal("1.33"), Decimal("0.7"))


def test_median_of_against_statistics():
    assert median_of([3, None, 1, 2]) == Decimal("2.0")
    assert median_of([1, 2]) == Decimal("1.5")
    assert median_of([None]) is None


def test_with_two_providers_no_medians(make):
    data = build_league(make)
    comparison = how_you_compare(
        data["south"].id, date(2024, 4, 1), date(2025, 3, 1), date(2025, 4, 15)
    )
    assert not comparison.has_medians
    assert all(median is None for _label, _kind, _own, median in comparison.lines)
    assert _lines(comparison)["Allocated"] == (2, None)


@freeze_time(TODAY)
@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.PRACTITIONER])
def test_home_page_shows_own_row_and_medians_only(data, client_for, role):
    client = client_for(role, provider=data["south"])
    soup = client.page("/provider/home")
    section = soup.select_one("#how-you-compare")
    assert section is not None
    text = section.get_text(" ", strip=True)
    assert "South's figures for April 2024 to March 2025, as of 15 April 2025" in text
    rows = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td")]
        for tr in section.select("tbody tr")
    }
    assert rows["Allocated"] == ["2", "2.0"]
    assert rows["Cost per accepted output"] == ["–none", "£900.00"]
    assert rows["First time right"] == ["100.0%", "50.0%"]
    # Nothing of another provider: not its name, nor a figure only it has and that is not
    # the median (North's 4 allocated, its 33.3% first time right and 1.33 rubric average).
    page = soup.get_text(" ", strip=True)
    assert "North" not in page and "West" not in page
    assert "33.3" not in text and "1.33" not in text
    assert [r[0] for r in rows.values()].count("4") == 0


@freeze_time(TODAY)
@pytest.mark.parametrize("htmx", [False, True])
def test_the_work_list_does_not_compute_it(data, client_for, htmx):
    """It is on the home page only: the work list and its filtered results leave it out."""
    soup = client_for(Role.PROVIDER_ADMIN, provider=data["north"]).page(
        "/provider/allocations?status=returned", htmx=htmx
    )
    assert soup.select_one("#how-you-compare") is None
