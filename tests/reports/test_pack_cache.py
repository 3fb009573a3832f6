"""The pack is computed once for its page and charts, and never served out of date."""

from __future__ import annotations

import contextvars
from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from provider_portal.contracts.services import set_price
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, ContractPrice, Role
from provider_portal.reports.pack import cache, figures
from provider_portal.reports.pack.cache import cached_pack, data_marker, forget_packs
from provider_portal.reports.pack.charts import CHARTS, ChartData, pack_chart_svg
from provider_portal.reports.pack.figures import build_pack
from provider_portal.reports.scope import Scope
from tests.job_runners import redis_url
from tests.reports.test_pack import build_dataset

TODAY = "2025-04-15 10:00:00"
AS_OF = date(2025, 4, 15)
FEB, APR = date(2025, 2, 1), date(2025, 4, 1)
QUERY = "contract=CON-A&start=2025-02&end=2025-04"


@pytest.fixture
def data(make):
    return build_dataset(make)


def _chart(client, name: str) -> bytes:
    response = client.get(f"/reports/pack/chart/{name}.svg?{QUERY}")
    assert response.status_code == 200
    return response.data


def _computed(name: str, contract) -> bytes:
    """The chart drawn from a pack computed afresh, whatever is kept."""
    return pack_chart_svg(name, build_pack(Scope(contract=contract), FEB, APR, AS_OF))


def _aggregates(statements: list[str]) -> int:
    """The statements that read the work itself, other than the data marker."""
    return sum(1 for s in statements if "FROM allocation" in s and "sum(allocation.id)" not in s)


def _return_some_open_work(data) -> None:
    """One of the contract's open pieces of work comes back (the version counter moves)."""
    open_work = db.session.scalars(
        select(Allocation).where(
            Allocation.status == AllocationStatus.ALLOCATED,
            Allocation.contract_id == data.contract.id,
        )
    ).first()
    assert open_work is not None
    open_work.status = AllocationStatus.RETURNED
    open_work.returned_on = date(2025, 4, 14)
    db.session.commit()


def _assert_charts_drawn_without_reading_the_work(monitor, count_queries, contract) -> None:
    """Each chart comes back as drawn from a fresh pack, with no aggregate over the work."""
    for name in CHARTS:
        count_queries.clear()
        svg = _chart(monitor, name)
        assert _aggregates(count_queries) == 0, name
        assert svg == _computed(name, contract)


@freeze_time(TODAY)
def test_the_charts_reuse_the_pages_computation(data, client_for, count_queries):
    monitor = client_for(Role.MONITOR)
    forget_packs()
    count_queries.clear()
    _chart(monitor, "spend")
    cold = _aggregates(count_queries)
    assert cold >= 5  # the pack's own aggregates: cohort, flow, forecast, backlog, spend

    forget_packs()
    assert monitor.get(f"/reports/pack?{QUERY}").status_code == 200
    _assert_charts_drawn_without_reading_the_work(monitor, count_queries, data.contract)


@freeze_time(TODAY)
def test_a_chart_asked_for_again_is_not_drawn_again(data, client_for, monkeypatch):
    monitor = client_for(Role.MONITOR)
    forget_packs()
    drawn: list[str] = []
    real = cache.pack_chart_svg

    def counting(chart, pack):
        drawn.append(chart)
        return real(chart, pack)

    monkeypatch.setattr(cache, "pack_chart_svg", counting)
    first = {name: _chart(monitor, name) for name in CHARTS}
    again = {name: _chart(monitor, name) for name in CHARTS}
    assert again == first
    assert sorted(drawn) == sorted(CHARTS)  # each drawn once
    forget_packs()
    _chart(monitor, "spend")
    assert drawn.count("spend") == 2  # forgotten with its pack


@freeze_time(TODAY)
def test_a_changed_allocation_shows_in_the_next_chart(data, client_for):
    """Under a frozen clock updated_at cannot move: the version counter still does."""
    monitor = client_for(Role.MONITOR)
    before = {name: _chart(monitor, name) for name in CHARTS}
    _return_some_open_work(data)

    after = {name: _chart(monitor, name) for name in CHARTS}
    assert after["allocated-returned"] != before["allocated-returned"]
    assert after["backlog"] != before["backlog"]
    for name in CHARTS:
        assert after[name] == _computed(name, data.contract), name


@freeze_time(TODAY)
def test_a_new_price_shows_in_the_next_spend_chart(data, client_for, make):
    """A price row reprices the work in one bulk UPDATE, which bumps no version counter."""
    monitor = client_for(Role.MONITOR)
    before = _chart(monitor, "spend")
    set_price(data.contract, make.work_type("ep_advice"), Decimal("1500"), FEB, actor=None)
    db.session.commit()
    after = _chart(monitor, "spend")
    assert after != before
    assert after == _computed("spend", data.contract)


@freeze_time(TODAY)
def test_each_as_of_date_has_its_own_pack(data):
    scope = Scope(contract=data.contract)
    for as_of in (date(2025, 3, 31), AS_OF, date(2025, 4, 20), AS_OF):
        kept = cached_pack(scope, FEB, APR, as_of)
        fresh = build_pack(scope, FEB, APR, as_of)
        assert kept.as_of == as_of
        assert (kept.cohort, kept.flow, kept.backlog, kept.spend) == (
            fresh.cohort,
            fresh.flow,
            fresh.backlog,
            fresh.spend,
        )


@freeze_time(TODAY)
def test_the_marker_moves_with_every_input_and_only_then(data, make):
    first = data_marker()
    assert data_marker() == first
    make.allocation(provider=data.provider, contract=data.contract, allocated_on=AS_OF)
    second = data_marker()
    assert second != first
    data.contract.monthly_volume = 9
    db.session.commit()
    assert data_marker() != second


def test_the_marker_moves_when_two_prices_are_swapped(data):
    prices = list(db.session.scalars(select(ContractPrice).order_by(ContractPrice.id)))
    different = [(a, b) for a in prices for b in prices if a.unit_price != b.unit_price]
    assert different, "the data set needs two different prices"
    first, second = different[0]
    before = data_marker()
    first.unit_price, second.unit_price = second.unit_price, first.unit_price
    db.session.commit()
    assert data_marker() != before


# --- shared between processes through Redis ------------------------------------------------------


@pytest.fixture
def shared_redis(app, job_redis, monkeypatch):
    """The suite app with REDIS_URL at this test worker's own Redis, emptied."""
    url = redis_url(job_redis)
    Redis.from_url(url).flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    return Redis.from_url(url)


@freeze_time(TODAY)
def test_the_chart_figures_survive_json_whole(data):
    pack = build_pack(Scope(contract=data.contract), FEB, APR, AS_OF)
    figures = ChartData.from_pack(pack)
    assert figures.spend and figures.backlog and figures.cohort
    assert ChartData.from_json(figures.to_json()) == figures
    for name in CHARTS:
        assert pack_chart_svg(name, ChartData.from_json(figures.to_json())) == _computed(
            name, data.contract
        )


@freeze_time(TODAY)
def test_another_process_draws_the_charts_from_the_figures_the_page_shared(
    data, client_for, count_queries, shared_redis
):
    monitor = client_for(Role.MONITOR)
    forget_packs()
    assert monitor.get(f"/reports/pack?{QUERY}").status_code == 200
    (name,) = shared_redis.keys("portal:pack-charts:*")
    assert 0 < shared_redis.ttl(name) <= cache.SHARED_SECONDS
    # Another worker keeps nothing of this pack: its charts come from Redis, not the database.
    forget_packs()
    _assert_charts_drawn_without_reading_the_work(monitor, count_queries, data.contract)


@freeze_time(TODAY)
def test_shared_figures_are_never_used_for_changed_data(
    data, client_for, count_queries, shared_redis
):
    monitor = client_for(Role.MONITOR)
    assert monitor.get(f"/reports/pack?{QUERY}").status_code == 200
    _return_some_open_work(data)
    forget_packs()
    count_queries.clear()
    svg = _chart(monitor, "backlog")
    assert _aggregates(count_queries) >= 5  # computed again, from the changed data
    assert svg == _computed("backlog", data.contract)
    assert len(shared_redis.keys("portal:pack-charts:*")) == 2


@freeze_time(TODAY)
@pytest.mark.parametrize("unusable", ["refused", "not figures"])
def test_charts_are_drawn_here_when_the_shared_figures_cannot_be_had(
    data, client_for, count_queries, shared_redis, monkeypatch, app, unusable
):
    monitor = client_for(Role.MONITOR)
    assert monitor.get(f"/reports/pack?{QUERY}").status_code == 200
    if unusable == "refused":
        monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    else:
        for name in shared_redis.keys("portal:pack-charts:*"):
            shared_redis.set(name, b"{not json")
    forget_packs()
    count_queries.clear()
    svg = _chart(monitor, "spend")
    assert _aggregates(count_queries) >= 5
    assert svg == _computed("spend", data.contract)


# --- the page's chart URLs carry the marker of the pack it shows ------------------------------


def _chart_urls(monitor) -> dict[str, str]:
    soup = monitor.page(f"/reports/pack?{QUERY}")
    return {
        name: soup.select_one(f"#pack-chart-{name} img")["src"].replace("&amp;", "&")
        for name in CHARTS
    }


def _markers(statements: list[str]) -> int:
    # Not the SQLite lanes' own reads of the count, to know they read the same data.
    return sum(1 for s in statements if "FROM data_changes" in s and "lanes_agree" not in s)


@freeze_time(TODAY)
def test_the_pages_charts_are_drawn_without_asking_for_the_marker_again(
    data, client_for, count_queries
):
    monitor = client_for(Role.MONITOR)
    forget_packs()
    urls = _chart_urls(monitor)
    for name, url in urls.items():
        assert f"v={data_marker()}" in url
        count_queries.clear()
        response = monitor.get(url)
        assert response.status_code == 200
        assert (_markers(count_queries), _aggregates(count_queries)) == (0, 0), name
        assert response.data == _computed(name, data.contract)


@freeze_time(TODAY)
@pytest.mark.parametrize("marker", ["0" * 64, "not-a-marker", "A" * 64])
def test_a_marker_no_pack_was_computed_under_is_passed_by(data, client_for, count_queries, marker):
    monitor = client_for(Role.MONITOR)
    forget_packs()
    count_queries.clear()
    response = monitor.get(f"/reports/pack/chart/spend.svg?{QUERY}&v={marker}")
    assert response.status_code == 200
    assert _markers(count_queries) == 1 and _aggregates(count_queries) >= 5
    assert response.data == _computed("spend", data.contract)


@freeze_time(TODAY)
def test_a_page_shown_before_a_change_keeps_charts_that_agree_with_its_tables(data, client_for):
    monitor = client_for(Role.MONITOR)
    urls = _chart_urls(monitor)
    shown = _computed("backlog", data.contract)
    _return_some_open_work(data)
    # The page's own chart: the figures of the tables it sits beside.
    assert monitor.get(urls["backlog"]).data == shown
    # Asked for without the page's marker: today's figures.
    changed = _chart(monitor, "backlog")
    assert changed != shown and changed == _computed("backlog", data.contract)


@freeze_time(TODAY)
def test_a_pack_not_kept_reads_its_marker_once_with_its_figures(data, client_for, count_queries):
    """With nothing kept for what was asked, the marker is read with the pack (in its first
    lane on PostgreSQL), once; the same page again is then served from what was kept."""
    monitor = client_for(Role.MONITOR)
    forget_packs()
    count_queries.clear()
    _chart_urls(monitor)
    assert _markers(count_queries) == 1
    assert _aggregates(count_queries) >= 5
    count_queries.clear()
    _chart_urls(monitor)
    assert (_markers(count_queries), _aggregates(count_queries)) == (1, 0)


def _a_penny_more(engine: Engine, allocation_id: int) -> None:
    """Someone else's change to a price, committed on their own connection and session."""
    with Session(engine) as elsewhere:
        work = elsewhere.get_one(Allocation, allocation_id)
        work.unit_price = (work.unit_price or Decimal(0)) + Decimal("0.01")
        elsewhere.commit()


@freeze_time(TODAY)
def test_a_change_made_while_the_pack_is_read_shows_on_the_next_page(data, client_for, monkeypatch):
    """Someone reprices a piece of work while the pack is being read. The page shows the pack
    as the data stood when it began, under that data's marker (so the change cannot be taken
    as already in it), and the next page works the pack out again, with the change."""
    monitor = client_for(Role.MONITOR)
    forget_packs()
    before = data_marker()
    priced = db.session.scalar(
        select(Allocation.id).where(
            Allocation.contract_id == data.contract.id, Allocation.unit_price.is_not(None)
        )
    )
    db.session.rollback()
    assert priced is not None
    real = figures.sendback_reasons
    changed: list[bool] = []

    def reasons_while_someone_reprices(*args):  # read after the marker, in its snapshot
        if not changed:
            contextvars.Context().run(_a_penny_more, db.engine, priced)  # outside this request
            changed.append(True)
        return real(*args)

    monkeypatch.setattr(figures, "sendback_reasons", reasons_while_someone_reprices)
    first = _chart_urls(monitor)
    assert changed == [True]
    assert all(f"v={before}" in url for url in first.values())
    after = data_marker()
    db.session.rollback()
    assert after != before
    second = _chart_urls(monitor)
    assert all(f"v={after}" in url for url in second.values())
    assert monitor.get(second["spend"]).data == _computed("spend", data.contract)
    assert monitor.get(second["spend"]).data != monitor.get(first["spend"]).data
