"""The league table: one row per provider (and per practitioner), over a range of months, as
of a date, on the monitoring pack's definitions.

The pack's own aggregates (pack.figures.returns_by_days and events, monthly.cohort_counts_by)
run once, split by provider and practitioner, so a provider's row is the pack's figures for
that provider: cohort (allocated, returned, outstanding), flow (declined, withdrawn, the two
on-time measures, turnaround), and the same nearest-rank percentiles. Quality (first time
right, send-backs and their reasons, the rubric) and cost per accepted output are one more
aggregate each. The number of queries does not depend on the number of providers or rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from provider_portal.contracts.pricing import PRICE, count_if
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    Contract,
    Provider,
    User,
    WorkType,
)
from provider_portal.reports.monthly.queries import MonthlyRow, cohort_counts_by
from provider_portal.reports.pack.figures import (
    FlowRow,
    Returned,
    check_range,
    events,
    flow_row,
    in_range,
    merge_returns,
    returns_by_days,
    sent_back_by,
)
from provider_portal.reports.pack.quality import (
    Grouping,
    SendBackReasons,
    rubric_summary_by,
    sendback_reasons_by,
)
from provider_portal.reports.scope import EVERYTHING
from provider_portal.reports.spend.queries import money_sum, round_pence
from provider_portal.reports.sql import percent
from provider_portal.timescales import add_months, month_start, today

ALL_PROVIDERS = "All providers"
# Fewer providers than this and a median would give another provider's figures away (with
# two, the median and your own figure make the other's): no medians are shown.
MIN_COMPARED = 3
TOP_REASONS = 3
CSV_HEADER = (
    "provider",
    "allocated",
    "returned",
    "outstanding",
    "declined",
    "withdrawn",
    "on_time_statutory_percent",
    "on_time_contract_percent",
    "mean_days",
    "median_days",
    "p90_days",
    "first_time_right_percent",
    "sendbacks_per_100",
    "cost_per_accepted_output",
)
_TENTH = Decimal("0.1")

# (provider id, practitioner id or None): the keys every aggregate is split by.
Key = tuple[int, int | None]
KEYS = (Allocation.provider_id, Allocation.assigned_to_id)


@dataclass(frozen=True)
class ReasonCount:
    label: str
    count: int


@dataclass(frozen=True)
class Counts:
    """What one provider or practitioner (or everyone) adds up to; rows are made from these."""

    allocated: int = 0  # cohort: allocated in the months, not withdrawn or declined by as_of
    returned: int = 0  # cohort: of those, come back by as_of
    returns: Mapping[int, Returned] = field(default_factory=dict)  # first returns by days
    accepted: int = 0
    declined: int = 0
    withdrawn: int = 0
    first_time_right: int = 0  # accepted with no request for amendment
    costed: int = 0  # accepted with a price
    cost: Decimal = Decimal("0.00")
    sendbacks: int = 0
    # Times each reason was given, by (its place in the list, its id, its label).
    reasons: Mapping[tuple[int, int, str], int] = field(default_factory=dict)
    rubric_points: int = 0
    rubric_scores: int = 0
    this_month: int = 0  # allocated in the as-of date's month, up to it

    def __add__(self, other: Counts) -> Counts:
        reasons = dict(self.reasons)
        for label, count in other.reasons.items():
            reasons[label] = reasons.get(label, 0) + count
        return Counts(
            allocated=self.allocated + other.allocated,
            returned=self.returned + other.returned,
            returns=merge_returns([self.returns, other.returns]),
            accepted=self.accepted + other.accepted,
            declined=self.declined + other.declined,
            withdrawn=self.withdrawn + other.withdrawn,
            first_time_right=self.first_time_right + other.first_time_right,
            costed=self.costed + other.costed,
            cost=self.cost + other.cost,
            sendbacks=self.sendbacks + other.sendbacks,
            reasons=reasons,
            rubric_points=self.rubric_points + other.rubric_points,
            rubric_scores=self.rubric_scores + other.rubric_scores,
            this_month=self.this_month + other.this_month,
        )


@dataclass(frozen=True)
class LeagueRow:
    """One provider's (or practitioner's, or everyone's) figures over the months."""

    name: str
    provider_id: int | None  # None for the All providers row
    practitioner_id: int | None  # set on a practitioner's row
    counts: Counts
    flow: FlowRow  # the pack's flow total for the same work
    capacity: int | None = None  # stated monthly capacity of the provider's current contracts

    @property
    def allocated(self) -> int:
        return self.counts.allocated

    @property
    def returned(self) -> int:
        return self.counts.returned

    @property
    def outstanding(self) -> int:
        return self.counts.allocated - self.counts.returned

    @property
    def declined(self) -> int:
        return self.flow.declined

    @property
    def withdrawn(self) -> int:
        return self.flow.withdrawn

    @property
    def on_time_statutory_percent(self) -> Decimal | None:
        return self.flow.on_time_statutory_percent

    @property
    def on_time_contract_percent(self) -> Decimal | None:
        return self.flow.on_time_percent

    @property
    def mean_days(self) -> Decimal | None:
        return self.flow.mean_days

    @property
    def median_days(self) -> int | None:
        return self.flow.median_days

    @property
    def p90_days(self) -> int | None:
        return self.flow.p90_days

    @property
    def first_time_right_percent(self) -> Decimal | None:
        return percent(self.counts.first_time_right, self.flow.accepted)

    @property
    def sendbacks_per_100(self) -> Decimal | None:
        return percent(self.counts.sendbacks, self.flow.returned)

    @property
    def top_reasons(self) -> list[ReasonCount]:
        # Most often given first, ties in the list's order: as the pack's reasons table.
        ranked = sorted(self.counts.reasons.items(), key=lambda item: (-item[1], item[0]))
        return [ReasonCount(label, count) for (_, _, label), count in ranked[:TOP_REASONS]]

    @property
    def rubric_average(self) -> Decimal | None:
        """The mean section score (2 met, 1 partly, 0 not met) where a rubric was recorded."""
        if self.counts.rubric_scores == 0:
            return None
        average = Decimal(self.counts.rubric_points) / Decimal(self.counts.rubric_scores)
        return average.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def cost_per_accepted_output(self) -> Decimal | None:
        if self.counts.costed == 0:
            return None
        return round_pence(self.counts.cost / self.counts.costed)

    @property
    def allocated_this_month(self) -> int:
        return self.counts.this_month

    def as_csv(self) -> tuple[object, ...]:
        return (
            self.name,
            self.allocated,
            self.returned,
            self.outstanding,
            self.declined,
            self.withdrawn,
            *(
                "" if value is None else value
                for value in (
                    self.on_time_statutory_percent,
                    self.on_time_contract_percent,
                    self.mean_days,
                    self.median_days,
                    self.p90_days,
                    self.first_time_right_percent,
                    self.sendbacks_per_100,
                    self.cost_per_accepted_output,
                )
            ),
        )


@dataclass(frozen=True)
class ProviderLeague:
    """A provider's row and, for those allowed to see them, its practitioners' rows."""

    row: LeagueRow
    practitioners: list[LeagueRow]


@dataclass(frozen=True)
class League:
    first_month: date
    last_month: date
    as_of: date
    work_type: WorkType | None
    providers: list[ProviderLeague]
    total: LeagueRow

    @property
    def rows(self) -> list[LeagueRow]:
        """Each provider's row, then All providers (the CSV's rows)."""
        return [p.row for p in self.providers] + [self.total]

    def provider(self, provider_id: int) -> LeagueRow | None:
        return next((p.row for p in self.providers if p.row.provider_id == provider_id), None)


def _flow(counts: Counts) -> FlowRow:
    return flow_row(None, counts.returns, counts.accepted, counts.declined, counts.withdrawn)


def _filters(work_type: WorkType | None) -> list[ColumnElement[bool]]:
    return [Allocation.work_type_id == work_type.id] if work_type is not None else []


def _accepted(
    filters: Sequence[ColumnElement[bool]], first_month: date, last_month: date, as_of: date
) -> dict[Key, tuple[int, int, Decimal]]:
    """{key: (first time right, costed, cost)} for the work accepted in the months."""
    query = (
        select(
            *KEYS,
            count_if(~sent_back_by(as_of)),
            count_if(PRICE.is_not(None)),
            func.sum(PRICE),
        )
        .where(*in_range(Allocation.accepted_on, first_month, last_month, as_of), *filters)
        .group_by(*KEYS)
    )
    return {
        (p, a): (int(right or 0), int(costed or 0), money_sum(cost))
        for p, a, right, costed, cost in db.session.execute(query)
    }


def _sendbacks_and_reasons(
    filters: Sequence[ColumnElement[bool]], first_month: date, last_month: date, as_of: date
) -> dict[Key, SendBackReasons]:
    """{key: the send-backs made in the months and their reasons}: the pack's own table
    (pack.quality), grouped by provider and practitioner."""
    found = sendback_reasons_by(Grouping(KEYS, filters), EVERYTHING, first_month, last_month, as_of)
    return {(p, a): table for (p, a), table in found.items()}


def _rubric(
    filters: Sequence[ColumnElement[bool]], first_month: date, last_month: date, as_of: date
) -> dict[Key, tuple[int, int]]:
    """{key: (points, sections scored)} for the quality checks recorded in the months, from
    the pack's rubric summary (pack.quality), grouped by provider and practitioner."""
    found = rubric_summary_by(Grouping(KEYS, filters), EVERYTHING, first_month, last_month, as_of)
    return {
        (p, a): (
            sum(2 * s.met + s.partly_met for s in summary.sections),
            sum(s.met + s.partly_met + s.not_met for s in summary.sections),
        )
        for (p, a), summary in found.items()
    }


def _capacity(as_of: date) -> dict[int, int]:
    """{provider id: stated monthly capacity of its contracts running on as_of}."""
    query = (
        select(Contract.provider_id, func.sum(Contract.stated_monthly_capacity))
        .where(
            Contract.start_on <= as_of,
            Contract.end_on >= as_of,
            Contract.stated_monthly_capacity.is_not(None),
        )
        .group_by(Contract.provider_id)
    )
    return {provider_id: int(total or 0) for provider_id, total in db.session.execute(query)}


def _by_key(found: Mapping[tuple[Any, ...], Any], at: int = 1) -> dict[Key, list[Any]]:
    """Rows keyed (month, provider, practitioner…) regrouped by (provider, practitioner)."""
    grouped: dict[Key, list[Any]] = {}
    for key, value in found.items():
        grouped.setdefault((key[at], key[at + 1]), []).append(value)
    return grouped


def key_counts(
    first_month: date,
    last_month: date,
    as_of: date,
    work_type: WorkType | None = None,
    this_month: bool = True,
) -> dict[Key, Counts]:
    """Everything the table counts, per (provider, practitioner): a fixed number of queries
    (one fewer without the work allocated in the as-of date's month)."""
    check_range(first_month, last_month)
    filters = _filters(work_type)
    cohort = _by_key(cohort_counts_by(KEYS, first_month, last_month, as_of, work_type=work_type))
    in_month = (
        cohort_counts_by(KEYS, month_start(as_of), month_start(as_of), as_of, work_type=work_type)
        if this_month
        else {}
    )
    returns = _by_key(returns_by_days(filters, first_month, last_month, as_of, KEYS))
    happened = events(filters, first_month, last_month, as_of, KEYS)
    accepted = _accepted(filters, first_month, last_month, as_of)
    sent_back = _sendbacks_and_reasons(filters, first_month, last_month, as_of)
    rubric = _rubric(filters, first_month, last_month, as_of)

    event_counts: dict[tuple[str, Key], int] = {}
    for (kind, _month, provider_id, practitioner_id), n in happened.items():
        slot = (kind, (provider_id, practitioner_id))
        event_counts[slot] = event_counts.get(slot, 0) + n
    allocated_now = {(k[1], k[2]): row.allocated for k, row in in_month.items()}

    keys: set[Key] = set(cohort) | set(returns) | set(accepted) | set(sent_back) | set(rubric)
    keys |= {key for _kind, key in event_counts} | set(allocated_now)
    found: dict[Key, Counts] = {}
    for key in keys:
        cohort_rows: list[MonthlyRow] = cohort.get(key, [])
        right, costed, cost = accepted.get(key, (0, 0, Decimal("0.00")))
        points, scores = rubric.get(key, (0, 0))
        found[key] = Counts(
            allocated=sum(r.allocated for r in cohort_rows),
            returned=sum(r.returned for r in cohort_rows),
            returns=merge_returns(returns.get(key, [])),
            accepted=event_counts.get(("accepted", key), 0),
            declined=event_counts.get(("declined", key), 0),
            withdrawn=event_counts.get(("withdrawn", key), 0),
            first_time_right=right,
            costed=costed,
            cost=cost,
            sendbacks=sent_back[key].sendbacks if key in sent_back else 0,
            reasons={
                (r.display_order, r.reason_id, r.label): r.sendbacks
                for r in (sent_back[key].rows if key in sent_back else [])
            },
            rubric_points=points,
            rubric_scores=scores,
            this_month=allocated_now.get(key, 0),
        )
    return found


def _total(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for item in counts:
        total = total + item
    return total


def league_table(
    first_month: date,
    last_month: date,
    as_of: date,
    work_type: WorkType | None = None,
    practitioners: bool = False,
) -> League:
    """Every provider's row (each active provider, and any other with figures), by name,
    with its practitioners' rows when asked, then All providers."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    found = key_counts(first_month, last_month, as_of, work_type)
    by_provider: dict[int, list[tuple[int | None, Counts]]] = {}
    for (provider_id, practitioner_id), counts in found.items():
        by_provider.setdefault(provider_id, []).append((practitioner_id, counts))
    providers = db.session.execute(
        select(Provider.id, Provider.name)
        .where(or_(Provider.active, Provider.id.in_(list(by_provider))))
        .order_by(Provider.name)
    ).all()
    capacity = _capacity(as_of)
    names: dict[int, str] = {}
    if practitioners:
        people = {a for items in by_provider.values() for a, _c in items if a is not None}
        names = dict(
            db.session.execute(select(User.id, User.name).where(User.id.in_(list(people)))).all()
        )
    rows: list[ProviderLeague] = []
    for provider_id, name in providers:
        items = by_provider.get(provider_id, [])
        counts = _total(c for _a, c in items)
        row = LeagueRow(name, provider_id, None, counts, _flow(counts), capacity.get(provider_id))
        people_rows = []
        if practitioners:
            people_rows = sorted(
                (
                    LeagueRow(
                        names.get(a, "Not assigned") if a is not None else "Not assigned",
                        provider_id,
                        a,
                        c,
                        _flow(c),
                    )
                    for a, c in items
                ),
                key=lambda r: (r.practitioner_id is None, r.name),
            )
        rows.append(ProviderLeague(row, people_rows))
    everyone = _total(found.values())
    total = LeagueRow(
        ALL_PROVIDERS, None, None, everyone, _flow(everyone), sum(capacity.values()) or None
    )
    return League(first_month, last_month, as_of, work_type, rows, total)


# The columns of the comparison: (label, kind of figure, how a row gives it). The kind says
# how the page shows it: a count, a percentage, days, a score of 2, or money.
COMPARED: list[tuple[str, str, Callable[[LeagueRow], Decimal | int | None]]] = [
    ("Allocated", "count", lambda r: r.allocated),
    ("Returned", "count", lambda r: r.returned),
    ("Outstanding", "count", lambda r: r.outstanding),
    ("Declined", "count", lambda r: r.declined),
    ("Withdrawn", "count", lambda r: r.withdrawn),
    ("On time (statutory)", "percent", lambda r: r.on_time_statutory_percent),
    ("On time (contract)", "percent", lambda r: r.on_time_contract_percent),
    ("Mean days to return", "days", lambda r: r.mean_days),
    ("Median days to return", "days", lambda r: r.median_days),
    ("90th percentile days to return", "days", lambda r: r.p90_days),
    ("First time right", "percent", lambda r: r.first_time_right_percent),
    ("Send-backs per 100 returns", "count", lambda r: r.sendbacks_per_100),
    ("Rubric average (of 2)", "score", lambda r: r.rubric_average),
    ("Cost per accepted output", "money", lambda r: r.cost_per_accepted_output),
]


def median_of(values: Iterable[Decimal | int | None]) -> Decimal | None:
    """The median of the values given (the mean of the two middle ones for an even number),
    to one decimal place; None when there are none."""
    present = [Decimal(v) for v in values if v is not None]
    if not present:
        return None
    return Decimal(statistics.median(present)).quantize(_TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Comparison:
    """One provider's figures beside the median across providers, column by column."""

    first_month: date
    last_month: date
    as_of: date
    providers_compared: int

    @property
    def has_medians(self) -> bool:
        return self.providers_compared >= MIN_COMPARED

    # (label, kind, own figure, median across providers)
    lines: list[tuple[str, str, Decimal | int | None, Decimal | None]]


def how_you_compare(
    provider_id: int, first_month: date, last_month: date, as_of: date
) -> Comparison:
    """The provider's own row and, for each column, the median across the providers with
    work in the months (none with fewer than MIN_COMPARED of them); no other provider's
    figures leave this function."""
    found = key_counts(first_month, last_month, as_of, this_month=False)
    by_provider: dict[int, Counts] = {}
    for (key_provider, _practitioner), counts in found.items():
        by_provider[key_provider] = by_provider.get(key_provider, Counts()) + counts
    rows = {
        key_provider: LeagueRow("", key_provider, None, counts, _flow(counts))
        for key_provider, counts in by_provider.items()
    }
    own = rows.get(provider_id) or LeagueRow("", provider_id, None, Counts(), _flow(Counts()))
    active = [row for row in rows.values() if row.allocated or row.flow.returned]
    enough = len(active) >= MIN_COMPARED
    lines = [
        (label, kind, value(own), median_of(value(row) for row in active) if enough else None)
        for label, kind, value in COMPARED
    ]
    return Comparison(first_month, last_month, as_of, len(active), lines)


def last_complete_months(on: date, months: int = 12) -> tuple[date, date]:
    """The first and last of the `months` whole months before the month of `on`."""
    this_month = month_start(on)
    return add_months(this_month, -months), add_months(this_month, -1)


def compared_with_others(provider_id: int) -> Comparison:
    """How the provider compares over the last 12 complete months, as of today."""
    now = today()
    return how_you_compare(provider_id, *last_complete_months(now), now)


def csv_rows(league: League) -> list[tuple[object, ...]]:
    """The rows as the CSV carries them: each provider, then All providers."""
    return [row.as_csv() for row in league.rows]
