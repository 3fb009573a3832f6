"""The pack computed once per scope, months and as-of date, for its page, downloads and charts.

The page shows three charts, each a separate request; without this each recomputed the whole
pack. A pack is kept in the process, keyed by what it was asked for and by a marker of the
data it was computed from (data_marker), so the next request for the same pack reuses it,
and any change to the work, cases, contracts, prices, turnarounds, variations, types of
work, send-backs, send-back reasons or quality checks gives a new marker, and so a fresh
computation: a kept pack is never out of date.

The charts drawn from a kept pack are kept with it (cached_chart), so a chart is drawn once
per pack, not once per request.

Only a few packs are kept (the most recently used); each server process keeps its own. A page
and its charts are separate requests, which a server with several workers (or several
servers) answers in different processes: so, with REDIS_URL set, the figures the charts are
drawn from (charts.ChartData, as JSON) are also put in Redis under the same key for
SHARED_SECONDS, and a process without the pack draws its chart from them rather than
computing the pack again. Redis that does not answer within SHARED_TIMEOUT_SECONDS is passed
by: the chart is then computed here, as without Redis.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import date
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from provider_portal.changes import changes_counted
from provider_portal.redis_clients import redis_client
from provider_portal.reports.pack.charts import CHARTS, ChartData, pack_chart_svg
from provider_portal.reports.pack.figures import Pack, build_marked_pack, build_pack
from provider_portal.reports.scope import Scope
from provider_portal.settings import setting

KEEP = 8  # packs kept per process: a few monitors looking at a few packs at once
# How long Redis keeps a pack's chart figures for the other processes, and how long a request
# waits for Redis before drawing without it.
SHARED_SECONDS = 15 * 60
SHARED_TIMEOUT_SECONDS = 0.5

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_kept: OrderedDict[tuple[Any, ...], Pack] = OrderedDict()
# The charts drawn here, by the pack's key and the chart's name, the most recently used last.
_drawn: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


def data_marker() -> str:
    """A digest that changes whenever anything a pack is computed from changes, in one query
    of a few rows.

    It is the count of committed transactions that wrote to the work, cases, contracts,
    prices, turnarounds, variations, types of work, send-backs, send-back reasons or quality
    checks (changes.changes_counted, kept by every transaction that writes to them), as
    seen in the reader's snapshot: a pack read in the same snapshot is of exactly that data.
    """
    return hashlib.sha256(f"changes:{changes_counted()}".encode()).hexdigest()


def _asked(scope: Scope, first_month: date, last_month: date, as_of: date) -> tuple[Any, ...]:
    """What a pack was asked for: its key without the data marker."""
    contract = scope.contract.id if scope.contract is not None else None
    provider = scope.provider.id if scope.provider is not None else None
    return (contract, provider, first_month, last_month, as_of)


def _key(
    scope: Scope, first_month: date, last_month: date, as_of: date, marker: str | None = None
) -> tuple[Any, ...]:
    return (*_asked(scope, first_month, last_month, as_of), marker or data_marker())


def _keep(key: tuple[Any, ...], pack: Pack) -> None:
    with _LOCK:
        _kept[key] = pack
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    _share(key, ChartData.from_pack(pack))


def _pack_for(key: tuple[Any, ...], scope: Scope, first: date, last: date, as_of: date) -> Pack:
    with _LOCK:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is not None:
        # The scope's contract and provider belong to this request's session, not the first's.
        return replace(kept, scope=scope)
    pack = build_pack(scope, first, last, as_of)
    _keep(key, pack)
    return pack


def cached_pack(scope: Scope, first_month: date, last_month: date, as_of: date) -> Pack:
    """build_pack's pack, reused while the data it came from is unchanged."""
    return marked_pack(scope, first_month, last_month, as_of)[0]


def marked_pack(scope: Scope, first_month: date, last_month: date, as_of: date) -> tuple[Pack, str]:
    """cached_pack's pack and the data marker it was computed under, for the page to put in
    its charts' URLs (cached_chart's marker)."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    asked = _asked(scope, first_month, last_month, as_of)
    with _LOCK:
        any_kept = any(key[:-1] == asked for key in _kept)
    if any_kept:
        key = (*asked, data_marker())
        return _pack_for(key, scope, first_month, last_month, as_of), key[-1]
    # Nothing kept here for what was asked, so no marker to compare before computing: it is
    # read with the pack instead, in the pack's first lane (build_marked_pack), where on
    # PostgreSQL it takes as long as the second lane's extra work, not 50 ms more.
    pack, marker = build_marked_pack(scope, first_month, last_month, as_of, data_marker)
    _keep((*asked, marker), pack)
    return pack, marker


def cached_chart(
    chart: str,
    scope: Scope,
    first_month: date,
    last_month: date,
    as_of: date,
    marker: str | None = None,
) -> bytes:
    """One of the pack's charts as SVG, drawn once from the kept pack (or the figures another
    process shared) and kept: the same data marker decides when both are out of date.

    With the marker of the pack a page showed (marked_pack), the chart is drawn from that
    pack's figures without asking the database for the marker again, so it always agrees with
    the table beside it; when neither this process nor Redis still has them, the chart is
    worked out as without a marker.
    """
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    key = _key(scope, first_month, last_month, as_of, marker)
    with _LOCK:
        drawn = _drawn.get((*key, chart))
        kept = _kept.get(key)
    if drawn is not None:
        return drawn
    data = ChartData.from_pack(kept) if kept is not None else _shared(key)
    if data is None and marker is not None:
        return cached_chart(chart, scope, first_month, last_month, as_of)
    if data is None:
        data = ChartData.from_pack(_pack_for(key, scope, first_month, last_month, as_of))
    svg = pack_chart_svg(chart, data)
    with _LOCK:
        _drawn[(*key, chart)] = svg
        while len(_drawn) > KEEP * len(CHARTS):
            _drawn.popitem(last=False)
    return svg


def forget_packs() -> None:
    """Drop every pack and chart this process keeps (for tests that time or count a cold
    computation); what it shared in Redis stays there."""
    with _LOCK:
        _kept.clear()
        _drawn.clear()


# --- Shared with the other processes through Redis -------------------------------------------


def _redis() -> Redis | None:
    url = setting("REDIS_URL") or ""
    return redis_client(url, SHARED_TIMEOUT_SECONDS) if url else None


def _shared_name(key: tuple[Any, ...]) -> str:
    """The Redis key for a pack's chart figures: a digest of what it was asked for and of the
    data marker, so no two packs share one and a change to the data gives a new one."""
    return "portal:pack-charts:" + hashlib.sha256(repr(key).encode()).hexdigest()


def _share(key: tuple[Any, ...], data: ChartData) -> None:
    client = _redis()
    if client is None:
        return
    try:
        client.set(_shared_name(key), data.to_json(), ex=SHARED_SECONDS)
    except (RedisError, OSError) as error:
        log.warning(
            "pack chart figures not shared: Redis did not answer (%s)", type(error).__name__
        )


def _shared(key: tuple[Any, ...]) -> ChartData | None:
    client = _redis()
    if client is None:
        return None
    try:
        found = client.get(_shared_name(key))
    except (RedisError, OSError) as error:
        log.warning("pack charts not read: Redis did not answer (%s)", type(error).__name__)
        return None
    if found is None:
        return None
    try:
        return ChartData.from_json(found if isinstance(found, str) else found.decode())
    except (ValueError, KeyError, TypeError):
        # Not what _share wrote (a key of the same name from elsewhere): computed here instead.
        log.warning("pack charts not read: the shared figures could not be read")
        return None
