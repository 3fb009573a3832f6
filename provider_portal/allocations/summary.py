"""The work counted by day (AllocationDay) and the cohort's counts (CohortDay), kept as
allocations are written.

Each allocation adds a row's worth to the counts of the days things happened to it
(contribution): the day it was allocated, accepted, declined or withdrawn, the day it stopped
being outstanding (ENDED) and the day its spend stopped being committed (SETTLED), each with
its price. The pack's flow events, burn-down and spend add these up over a range of days
(reports.day_counts) instead of reading every allocation. Each also adds to the cohort's
counts (cohort_contribution): the days it joined its month's cohort, left it (withdrawn or
declined), came back, and both; the pack's cohort and the monthly report add those up
(monthly.queries.counted_cohort).

Kept in the same transaction as the work, by the ORM: before a flush the changed allocations'
stored values are read (one statement); after it their values and the new allocations' are
read (one statement) and the difference between what they added then and what they add now
is added to the counts (one statement for each table). New allocations add
their contribution; deleted ones take theirs away. The statements that change allocations
without the ORM keep the counts themselves: repricing writes its contract's and work type's
counts again (rebuild_for), the allocation import adds the rows it inserts (add_rows), and
the demo generator counts everything again (rebuild). `flask report check-summaries` compares
the counts with the allocations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    case,
    cast,
    event,
    extract,
    func,
    inspect,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session, UOWTransaction

from provider_portal.contracts.pricing import financial_year_of
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationDay, AllocationStatus, CohortDay
from provider_portal.models.work import (
    ACCEPTED,
    ALLOCATED,
    CAME_BACK,
    CAME_BACK_LEFT,
    DECLINED,
    ENDED,
    JOINED,
    LEFT,
    NO_CONTRACT,
    SETTLED,
    WITHDRAWN,
)
from provider_portal.reports.running import earliest
from provider_portal.summaries import Key, Summary, add_counts, rebuild_summary
from provider_portal.timescales import financial_year

# The allocation's columns its contribution depends on.
FIELDS = (
    "status",
    "provider_id",
    "contract_id",
    "work_type_id",
    "unit_price",
    "allocated_on",
    "accepted_on",
    "declined_on",
    "withdrawn_on",
    "returned_on",
)
ZERO = Decimal("0.00")
# What a key's row holds besides its key: (count, amount, priced) for the day counts, (count,)
# for the cohort's.
Measures = tuple[Any, ...]
# Days an event kind is dated by, and the two "stopped" kinds by the earliest of theirs.
ON_ITS_DAY = ((ACCEPTED, "accepted_on"), (DECLINED, "declined_on"), (WITHDRAWN, "withdrawn_on"))
STOPPED = (
    (ENDED, ("returned_on", "withdrawn_on", "declined_on")),
    (SETTLED, ("accepted_on", "withdrawn_on", "declined_on")),
)


def contribution(values: Mapping[str, Any]) -> list[tuple[Key, Measures]]:
    """What one allocation (its FIELDS) adds: (kind, day, provider, contract, work type,
    financial year of allocation) and its measures (1, its price, 1; or 1, 0, 0 when it has no
    price), once for each kind that has a day."""
    allocated = values["allocated_on"]
    contract = values["contract_id"] if values["contract_id"] is not None else NO_CONTRACT
    who = (values["provider_id"], contract, values["work_type_id"], financial_year(allocated))
    price = values["unit_price"]
    days: list[tuple[str, date]] = [(ALLOCATED, allocated)]
    days += [(kind, values[field]) for kind, field in ON_ITS_DAY if values[field] is not None]
    for kind, fields in STOPPED:
        stopped = [values[field] for field in fields if values[field] is not None]
        if stopped:
            days.append((kind, max(min(stopped), allocated)))
    measures = (1, price, 1) if price is not None else (1, ZERO, 0)
    return [((kind, day, *who), measures) for kind, day in days]


def source(*where: ColumnElement[bool]) -> Any:
    """The counts worked out from the allocations (those `where` chooses): what the table
    holds. The same days as contribution(), in SQL."""
    contract = func.coalesce(Allocation.contract_id, NO_CONTRACT)
    price = Allocation.unit_price
    # (kind, its day, the column that must not be NULL for it to have one)
    parts: list[tuple[str, Any, Any]] = [(ALLOCATED, Allocation.allocated_on, None)]
    parts += [(kind, getattr(Allocation, field), None) for kind, field in ON_ITS_DAY]
    for kind, fields in STOPPED:
        stopped = earliest(*(getattr(Allocation, field) for field in fields))
        later = case((stopped < Allocation.allocated_on, Allocation.allocated_on), else_=stopped)
        parts.append((kind, later, stopped))
    selects = []
    for kind, day, stopped in parts:
        which = day if stopped is None else stopped
        selects.append(
            select(
                literal(kind).label("kind"),
                day.label("day"),
                Allocation.provider_id.label("provider_id"),
                contract.label("contract_id"),
                Allocation.work_type_id.label("work_type_id"),
                cast(financial_year_of(Allocation.allocated_on), Integer).label("allocated_year"),
                price.label("price"),
            ).where(which.is_not(None), *where)
        )
    each = union_all(*selects).subquery("each")
    grouping = (
        each.c.kind,
        each.c.day,
        each.c.provider_id,
        each.c.contract_id,
        each.c.work_type_id,
        each.c.allocated_year,
    )
    priced = func.sum(case((each.c.price.is_not(None), 1), else_=0))
    total = func.coalesce(func.sum(each.c.price), 0)
    return select(*grouping, func.count(), total, priced).group_by(*grouping)


SUMMARY = Summary("allocation_day", AllocationDay, source)


# --- The cohort's counts (CohortDay) --------------------------------------------------------

LEAVING = ((AllocationStatus.WITHDRAWN, "withdrawn_on"), (AllocationStatus.DECLINED, "declined_on"))


def cohort_contribution(values: Mapping[str, Any]) -> list[tuple[Key, Measures]]:
    """What one allocation (its FIELDS) adds to the cohort's counts: (month allocated, kind,
    day, provider, contract, work type) and a count of 1, once for each kind that has a day.

    It joins its month's cohort on its allocation day. It leaves it when its status says
    withdrawn or declined, on that day, or on its allocation day when there is no such date
    or an earlier one (monthly.queries.allocated_as_of: such work never counts). It came back
    on its first return (its allocation day if earlier), and both happened on the later of the
    two days: so on any date, allocated less left is the work counted, and returned less
    returned-and-left the returns among it."""
    allocated = values["allocated_on"]
    contract = values["contract_id"] if values["contract_id"] is not None else NO_CONTRACT
    who = (values["provider_id"], contract, values["work_type_id"])
    month = allocated.year * 100 + allocated.month
    left = next(
        (
            max(values[field] or allocated, allocated)
            for status, field in LEAVING
            if values["status"] == status
        ),
        None,
    )
    returned = max(values["returned_on"], allocated) if values["returned_on"] else None
    days = [(JOINED, allocated)]
    if left is not None:
        days.append((LEFT, left))
    if returned is not None:
        days.append((CAME_BACK, returned))
    if left is not None and returned is not None:
        days.append((CAME_BACK_LEFT, max(left, returned)))
    return [((month, kind, day, *who), (1,)) for kind, day in days]


def cohort_source(*where: ColumnElement[bool]) -> Any:
    """The cohort's counts worked out from the allocations (those `where` chooses): the same
    days as cohort_contribution(), in SQL."""
    allocated = Allocation.allocated_on
    month = cast(extract("year", allocated) * 100 + extract("month", allocated), Integer)

    def not_before_allocation(day: Any) -> Any:
        return case((day < allocated, allocated), else_=day)

    left_on = case(
        *(
            (Allocation.status == status, func.coalesce(getattr(Allocation, field), allocated))
            for status, field in LEAVING
        ),
        else_=None,
    )
    left = not_before_allocation(left_on)
    returned = not_before_allocation(Allocation.returned_on)
    both = case((left < returned, returned), else_=left)
    parts: list[tuple[str, Any, Any]] = [
        (JOINED, allocated, allocated.is_not(None)),
        (LEFT, left, left_on.is_not(None)),
        (CAME_BACK, returned, Allocation.returned_on.is_not(None)),
        (CAME_BACK_LEFT, both, left_on.is_not(None) & Allocation.returned_on.is_not(None)),
    ]
    each = union_all(
        *(
            select(
                month.label("allocated_month"),
                literal(kind).label("kind"),
                day.label("day"),
                Allocation.provider_id.label("provider_id"),
                func.coalesce(Allocation.contract_id, NO_CONTRACT).label("contract_id"),
                Allocation.work_type_id.label("work_type_id"),
            ).where(present, *where)
            for kind, day, present in parts
        )
    ).subquery("each")
    grouping = [each.c[c.name] for c in CohortDay.__table__.primary_key.columns]
    return select(*grouping, func.count()).group_by(*grouping)


COHORT = Summary("cohort_day", CohortDay, cohort_source)


# The tables kept from the allocations, each with what one allocation adds to it.
KEPT = ((SUMMARY, contribution), (COHORT, cohort_contribution))


def _changes(
    contribute: Callable[[Mapping[str, Any]], list[tuple[Key, Measures]]],
    removed: Iterable[Mapping[str, Any]],
    added: Iterable[Mapping[str, Any]],
) -> dict[Key, tuple[Any, ...]]:
    """A table's changes when the `removed` allocations' values give way to the `added`: the
    difference in its measures for each key `contribute` names."""
    changes: dict[Key, list[Any]] = {}
    for sign, group in ((-1, removed), (1, added)):
        for values in group:
            for key, measures in contribute(values):
                total = changes.setdefault(key, [0] * len(measures))
                for i, measure in enumerate(measures):
                    total[i] += sign * measure
    return {key: tuple(total) for key, total in changes.items() if any(total)}


def _add_changes(
    connection: Connection,
    removed: Sequence[Mapping[str, Any]],
    added: Sequence[Mapping[str, Any]],
) -> None:
    for summary, contribute in KEPT:
        add_counts(connection, summary, _changes(contribute, removed, added))


def add_rows(rows: Iterable[Mapping[str, Any]]) -> None:
    """Count allocations inserted without the ORM (their column values), in the caller's
    transaction."""
    _add_changes(db.session.connection(), (), list(rows))


def rebuild() -> None:
    """Count every allocation again (after they were written without the ORM)."""
    rebuild_summary(SUMMARY)
    rebuild_summary(COHORT)


def rebuild_for(contract_id: int, work_type_id: int) -> None:
    """Count again the work of one contract and work type (after repricing it: prices are
    not in the cohort's counts, so only the day counts)."""
    rebuild_summary(
        SUMMARY,
        where=[
            AllocationDay.contract_id == contract_id,
            AllocationDay.work_type_id == work_type_id,
        ],
        source_where=[
            Allocation.contract_id == contract_id,
            Allocation.work_type_id == work_type_id,
        ],
    )


# --- With the ORM's flushes ------------------------------------------------------------------

STORED = "allocation_day_stored"


# The relationships whose change sets a FIELDS column only during the flush.
RELATED = ("provider", "contract", "work_type")


def _changed(session: Session) -> list[Allocation]:
    return [
        item
        for item in session.dirty
        if isinstance(item, Allocation)
        and item.id is not None
        and any(inspect(item).attrs[name].history.has_changes() for name in FIELDS + RELATED)
    ]


def _values_stored(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    columns = [getattr(Allocation, field) for field in FIELDS]
    rows = session.connection().execute(
        select(Allocation.id, *columns).where(Allocation.id.in_(sorted(ids)))
    )
    return {row[0]: dict(zip(FIELDS, row[1:], strict=True)) for row in rows}


def _read_before(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Before a flush: the stored values of the allocations it will change or delete."""
    ids = [item.id for item in _changed(session)]
    ids += [item.id for item in session.deleted if isinstance(item, Allocation)]
    session.info[STORED] = _values_stored(session, ids)


def _count_after(session: Session, _context: UOWTransaction) -> None:
    """After a flush: add to the counts what its new, changed and deleted allocations change."""
    before: dict[int, dict[str, Any]] = session.info.pop(STORED, {})
    new = [item for item in session.new if isinstance(item, Allocation)]
    if not new and not before:
        return
    deleted = {item.id for item in session.deleted if isinstance(item, Allocation)}
    now = _values_stored(
        session, [item_id for item_id in before if item_id not in deleted] + [i.id for i in new]
    )
    added = [now[item_id] for item_id in sorted(now)]
    removed = [before[item_id] for item_id in sorted(before)]
    _add_changes(session.connection(), removed, added)


def listen() -> None:
    """Keep the counts with every session's flushes (called once, when the app is made)."""
    if not event.contains(Session, "after_flush", _count_after):
        event.listen(Session, "before_flush", _read_before)
        event.listen(Session, "after_flush", _count_after)
