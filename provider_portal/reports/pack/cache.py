"""The pack computed once per scope, months and as-of date, for its page, downloads and charts.

The page shows three charts, each a separate request; without this each recomputed the whole
pack. A pack is kept in the process, keyed by what it was asked for and by a marker of the
data it was computed from (data_marker), so the next request for the same pack reuses it,
and any change to the work, cases, contracts, prices, turnarounds, variations, types of
work, send-backs, send-back reasons or quality checks gives a new marker, and so a fresh
computation: a kept pack is never out of date.

The charts drawn from a kept pack are kept with it (cached_chart), so a chart is drawn once
per pack, not once per request.

Only a few packs are kept (the most recently used); each server process keeps its own.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select, true

from provider_portal.contracts.pricing import count_if
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    Case,
    Contract,
    ContractPrice,
    ContractTurnaround,
    ContractVariation,
    QualityCheck,
    QualityScore,
    SendBack,
    SendBackReason,
    WorkType,
    sendback_reason_link,
)
from provider_portal.reports.pack.charts import CHARTS, pack_chart_svg
from provider_portal.reports.pack.figures import Pack, build_pack
from provider_portal.reports.scope import Scope

KEEP = 8  # packs kept per process: a few monitors looking at a few packs at once

_LOCK = threading.Lock()
_kept: OrderedDict[tuple[Any, ...], Pack] = OrderedDict()
# The charts drawn from a kept pack, by the pack's key and the chart's name; dropped with it.
_drawn: dict[tuple[Any, ...], bytes] = {}


def data_marker() -> str:
    """A digest that changes whenever anything a pack is computed from changes, in one query.

    Work and cases by their row count, the sum of their ids (one row deleted and another
    added), the latest updated_at and the sum of their version counters (the ORM bumps both
    on every change, so a change shows even under a frozen clock); work also by the sum of
    its prices, which reprice's bulk update changes without a version. Contracts likewise;
    prices, turnarounds, variations and types of work (small tables, added to far more than
    edited) by their count, highest id and figures. Send-backs, their reasons and quality
    checks (added with the work's change, never edited) by count and ids weighted by their
    values; the reasons' list by count, retirements, order and the words of every label.
    """
    per_table: list[tuple[Any, list[Any]]] = [
        (
            Allocation,
            [
                func.count(),
                func.sum(Allocation.id),
                func.max(Allocation.updated_at),
                func.sum(Allocation.version),
                func.sum(Allocation.unit_price),
            ],
        ),
        (
            Case,
            [func.count(), func.sum(Case.id), func.max(Case.updated_at), func.sum(Case.version)],
        ),
        (Contract, [func.count(), func.max(Contract.updated_at), func.sum(Contract.version)]),
        (
            ContractPrice,
            [
                func.count(),
                func.max(ContractPrice.id),
                func.sum(ContractPrice.unit_price),
                # Weighted by id, so two prices swapped in one edit still change it.
                func.sum(ContractPrice.unit_price * ContractPrice.id),
            ],
        ),
        (
            ContractTurnaround,
            [
                func.count(),
                func.max(ContractTurnaround.id),
                func.sum(ContractTurnaround.days * ContractTurnaround.work_type_id),
                func.sum(ContractTurnaround.days * ContractTurnaround.id),
            ],
        ),
        (
            ContractVariation,
            [
                func.count(),
                func.max(ContractVariation.id),
                func.sum(ContractVariation.amount),
                func.sum(ContractVariation.amount * ContractVariation.id),
            ],
        ),
        # Send-backs and quality checks are added, not edited (a check goes with its work).
        (SendBack, [func.count(), func.max(SendBack.id), func.sum(SendBack.id)]),
        (
            sendback_reason_link,
            [
                func.count(),
                func.sum(sendback_reason_link.c.reason_id * sendback_reason_link.c.sendback_id),
            ],
        ),
        (
            QualityCheck,
            [func.count(), func.max(QualityCheck.id), func.sum(QualityCheck.allocation_id)],
        ),
        (
            QualityScore,
            [func.count(), func.sum(QualityScore.score * QualityScore.quality_check_id)],
        ),
        # Reasons' words and retirement show in the table.
        (
            SendBackReason,
            [
                func.count(),
                func.max(SendBackReason.created_at),
                count_if(SendBackReason.retired_on.is_not(None)),
                func.sum(SendBackReason.display_order * SendBackReason.id),
                # Tens of short labels, word for word (in scan order: another order costs only a
                # recomputation, never a stale pack).
                func.aggregate_strings(SendBackReason.label + "|" + SendBackReason.applies_to, "/"),
            ],
        ),
        (
            WorkType,
            [
                func.count(),
                func.sum(WorkType.turnaround_days * WorkType.id),
                count_if(WorkType.is_advice.is_(True)),
            ],
        ),
    ]
    # One scan of each table: its aggregates together in a one-row subquery, the subqueries
    # side by side.
    parts = [
        select(*(a.label(f"m{i}") for i, a in enumerate(aggregates)))
        .select_from(table)
        .subquery(f"marker_{n}")
        for n, (table, aggregates) in enumerate(per_table)
    ]
    query = select(*(c for part in parts for c in part.c)).select_from(parts[0])
    for part in parts[1:]:
        query = query.join(part, true())
    row = db.session.execute(query).one()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()


def _key(scope: Scope, first_month: date, last_month: date, as_of: date) -> tuple[Any, ...]:
    contract = scope.contract.id if scope.contract is not None else None
    provider = scope.provider.id if scope.provider is not None else None
    return (contract, provider, first_month, last_month, as_of, data_marker())


def _pack_for(key: tuple[Any, ...], scope: Scope, first: date, last: date, as_of: date) -> Pack:
    with _LOCK:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is not None:
        # The scope's contract and provider belong to this request's session, not the first's.
        return replace(kept, scope=scope)
    pack = build_pack(scope, first, last, as_of)
    with _LOCK:
        _kept[key] = pack
        while len(_kept) > KEEP:
            dropped, _ = _kept.popitem(last=False)
            for chart in CHARTS:
                _drawn.pop((*dropped, chart), None)
    return pack


def cached_pack(scope: Scope, first_month: date, last_month: date, as_of: date) -> Pack:
    """build_pack's pack, reused while the data it came from is unchanged."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    key = _key(scope, first_month, last_month, as_of)
    return _pack_for(key, scope, first_month, last_month, as_of)


def cached_chart(
    chart: str, scope: Scope, first_month: date, last_month: date, as_of: date
) -> bytes:
    """One of the pack's charts as SVG, drawn once from the kept pack and kept with it: the
    same data marker decides when both are out of date."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    key = _key(scope, first_month, last_month, as_of)
    with _LOCK:
        drawn = _drawn.get((*key, chart))
    if drawn is not None:
        return drawn
    svg = pack_chart_svg(chart, _pack_for(key, scope, first_month, last_month, as_of))
    with _LOCK:
        if key in _kept:  # not already pushed out by other packs
            _drawn[(*key, chart)] = svg
    return svg


def forget_packs() -> None:
    """Drop every kept pack and chart (for tests that time or count a cold computation)."""
    with _LOCK:
        _kept.clear()
        _drawn.clear()
