"""Quality figures for the pack (and the league table): why work was sent back, and the rubric.

Both read the rows kept when it happened, strictly as of the date:
- Reasons for sending work back: the SendBack rows with requested_on in the months and on or
  before the as-of date, for work in the scope. A reason's count is the send-backs that gave
  it; its share is that count over all those send-backs (one send-back can give several
  reasons, so the shares can add up to more than 100%). Send-backs that gave none (the
  import, the CLI, history from before reasons were kept) count in the total only.
- Quality rubric: the QualityCheck rows with checked_on in the months and on or before the
  as-of date; per section how many checks scored it and how many met, partly met or not met
  it, and the average score (2 met, 1 partly met, 0 not met). The rubric average is the mean
  of every score.

Each is one SQL aggregate, grouped by a key when the caller wants one row per provider (the
`*_by` functions), so the number of queries never grows with the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal_column, null, select, union_all
from sqlalchemy.orm import QueryableAttribute

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    QualityCheck,
    QualityScore,
    QualityScoreDay,
    SendBack,
    SendBackReason,
    sendback_reason_link,
)
from provider_portal.models.quality import CHECKS_ROW
from provider_portal.quality.rubric import MET, NOT_MET, PARTLY_MET, SECTION_CODES, section_title
from provider_portal.reports.scope import Scope
from provider_portal.reports.sql import percent
from provider_portal.timescales import add_months

TOP_REASONS = 3
_HUNDREDTH = Decimal("0.01")
# The key of the one group when the caller asks for no grouping.
WHOLE_SCOPE = 0


@dataclass(frozen=True)
class ReasonCount:
    """One reason: how many send-backs gave it, and their share of all send-backs."""

    reason_id: int
    label: str
    applies_to: str  # 'plan' or 'advice'
    retired: bool
    sendbacks: int
    share: Decimal | None  # percent of the send-backs in the table, one decimal place
    display_order: int = 0  # the reason's place in the administrator's list (breaks ties)


@dataclass(frozen=True)
class SendBackReasons:
    rows: list[ReasonCount]  # most often given first, then in the list's order
    sendbacks: int  # every send-back in the scope and months, up to the as-of date
    without_reason: int  # of those, send-backs that gave no reason

    def top(self, n: int = TOP_REASONS) -> list[ReasonCount]:
        """The reasons given most often (ties in the list's order)."""
        return self.rows[:n]


@dataclass(frozen=True)
class RubricSection:
    section: str  # the rubric's code, "A" to "K"
    label: str  # "Section A: Views, interests and aspirations"
    checks: int
    met: int
    partly_met: int
    not_met: int
    average: Decimal | None  # mean score out of 2, two decimal places


@dataclass(frozen=True)
class RubricSummary:
    sections: list[RubricSection]  # every section of the rubric, in order
    checks: int  # quality checks in the scope and months, up to the as-of date
    average: Decimal | None  # mean of every score recorded, out of 2


def mean(total: int, count: int) -> Decimal | None:
    """total / count to two decimal places, halves up; None when nothing was counted."""
    if count == 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def _between(column: Any, first_month: date, last_month: date, as_of: date) -> list[Any]:
    return [
        column >= first_month.replace(day=1),
        column < add_months(last_month.replace(day=1), 1),
        column <= as_of,
    ]


# What the figures are grouped by: nothing (one group, WHOLE_SCOPE), one column of the
# allocation (Allocation.provider_id, say), or several (the league table's provider and
# practitioner), whose values then make a tuple.
Column = ColumnElement[Any] | QueryableAttribute[Any]
GroupBy = Column | Sequence[Column] | None


@dataclass(frozen=True)
class Grouping:
    """How the *_by figures split the work in their scope: by key (see GroupBy), over the
    allocations that also meet any further filters (the league table's type of work)."""

    key: GroupBy = None
    filters: Sequence[ColumnElement[bool]] = ()


def _key_columns(key: GroupBy) -> tuple[list[Any], list[Any]]:
    """The labelled key columns to select, and those to group by (none for one group)."""
    if key is None:
        return [literal_column(str(WHOLE_SCOPE)).label("key0")], []
    columns = list(key) if isinstance(key, Sequence) else [key]
    labelled = [column.label(f"key{i}") for i, column in enumerate(columns)]
    return labelled, labelled


def _group_key(row: Any, key: GroupBy) -> Any:
    """A result row's group: its one key value, or the tuple of several."""
    if key is not None and isinstance(key, Sequence):
        return tuple(row[: len(key)])
    return row[0]


def sendback_reasons_by(
    grouping: Grouping,
    scope: Scope,
    first_month: date,
    last_month: date,
    as_of: date,
) -> dict[Any, SendBackReasons]:
    """{group: SendBackReasons} for the send-backs of work in the scope, split by the
    grouping. One aggregate."""
    key = grouping.key
    wanted = [*_between(SendBack.requested_on, first_month, last_month, as_of)]
    wanted += [*scope.allocation_filters(), *grouping.filters]
    keyed, group = _key_columns(key)

    def base(*columns: Any) -> Any:
        return (
            select(*keyed, *columns)
            .select_from(SendBack)
            .join(Allocation, Allocation.id == SendBack.allocation_id)
            .where(*wanted)
        )

    link = sendback_reason_link.c
    reason = SendBackReason
    given = (
        base(
            link.reason_id.label("reason_id"),
            func.count().label("n"),
            reason.label.label("label"),
            reason.applies_to.label("applies_to"),
            reason.retired_on.label("retired_on"),
            reason.display_order.label("display_order"),
        )
        .join(sendback_reason_link, link.sendback_id == SendBack.id)
        .join(reason, reason.id == link.reason_id)
        .group_by(
            *group,
            link.reason_id,
            reason.label,
            reason.applies_to,
            reason.retired_on,
            reason.display_order,
        )
    )
    # Every send-back (reason_id -1), and those giving no reason (-2), with no reason's columns.
    nothing = (null(), null(), null(), null())
    every = base(literal_column("-1"), func.count(), *nothing).group_by(*group)
    none_given = (
        base(literal_column("-2"), func.count(), *nothing)
        .where(~exists().where(link.sendback_id == SendBack.id))
        .group_by(*group)
    )
    found: dict[Any, list[Any]] = {}
    for row in db.session.execute(union_all(given, every, none_given)):
        found.setdefault(_group_key(row, key), []).append(row)
    tables: dict[Any, SendBackReasons] = {}
    for group_key, rows in found.items():
        totals = {int(row.reason_id): int(row.n) for row in rows if int(row.reason_id) < 0}
        total = totals.get(-1, 0)
        given_rows = sorted(
            (row for row in rows if int(row.reason_id) > 0),
            key=lambda row: (-int(row.n), row.display_order, int(row.reason_id)),
        )
        tables[group_key] = SendBackReasons(
            [
                ReasonCount(
                    reason_id=int(row.reason_id),
                    label=row.label,
                    applies_to=row.applies_to,
                    retired=row.retired_on is not None,
                    sendbacks=int(row.n),
                    share=percent(int(row.n), total),
                    display_order=int(row.display_order),
                )
                for row in given_rows
            ],
            total,
            totals.get(-2, 0),
        )
    return tables


NO_SENDBACKS = SendBackReasons([], 0, 0)


def sendback_reasons(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> SendBackReasons:
    """The pack's "Reasons for sending work back" table for its scope, months and date."""
    found = sendback_reasons_by(Grouping(), scope, first_month, last_month, as_of)
    return found.get(WHOLE_SCOPE, NO_SENDBACKS)


def top_reasons(
    scope: Scope, first_month: date, last_month: date, as_of: date, n: int = TOP_REASONS
) -> list[ReasonCount]:
    """The reasons given most often in the scope (the league table's "top three")."""
    return sendback_reasons(scope, first_month, last_month, as_of).top(n)


def _rubric(by_section: Mapping[str, tuple[int, int, int, int, int]], checks: int) -> RubricSummary:
    sections = []
    for code in [*SECTION_CODES, *sorted(set(by_section) - set(SECTION_CODES))]:
        scored, met, partly, not_met, total = by_section.get(code, (0, 0, 0, 0, 0))
        sections.append(
            RubricSection(
                code, section_title(code), scored, met, partly, not_met, mean(total, scored)
            )
        )
    scores = sum(row[0] for row in by_section.values())
    score_total = sum(row[4] for row in by_section.values())
    return RubricSummary(sections, checks, mean(score_total, scores))


def rubric_summary_by(
    grouping: Grouping,
    scope: Scope,
    first_month: date,
    last_month: date,
    as_of: date,
) -> dict[Any, RubricSummary]:
    """{group: RubricSummary} for the quality checks of work in the scope, split by the
    grouping. One aggregate."""
    key = grouping.key
    limits = [*scope.allocation_filters(), *grouping.filters]
    wanted = [*_between(QualityCheck.checked_on, first_month, last_month, as_of), *limits]
    keyed, group = _key_columns(key)

    def reading(table: Any, *columns: Any) -> Any:
        query = select(*keyed, *columns).select_from(table)
        if key is not None or limits:
            # Only a grouping, a scope or a filter needs the allocation's columns: with none,
            # the checks alone say what was scored.
            query = query.join(Allocation, Allocation.id == QualityCheck.allocation_id)
        return query.where(*wanted)

    # How many of each score each section had: counted by score, split into met, partly met
    # and not met here, so no per-row CASE.
    per_score = reading(
        QualityScore.__table__.join(
            QualityCheck.__table__, QualityCheck.id == QualityScore.quality_check_id
        ),
        QualityScore.section.label("section"),
        QualityScore.score.label("score"),
        func.count().label("n"),
    ).group_by(*group, QualityScore.section, QualityScore.score)
    # The checks themselves (section NULL): a check counts even before its scores are read.
    checks = reading(
        QualityCheck.__table__, null().label("section"), null().label("score"), func.count()
    ).group_by(*group)
    found: dict[Any, Tally] = {}
    width = len(keyed)
    for row in db.session.execute(union_all(per_score, checks)):
        section, value, n = row[width:]
        _tally(found.setdefault(_group_key(row, key), {}), section, value, n)
    return {group_key: _tallied(by_section) for group_key, by_section in found.items()}


# Per section (None for the checks themselves): (scored, met, partly met, not met, total).
Tally = dict[str | None, tuple[int, int, int, int, int]]


def _tally(by_section: Tally, section: str | None, value: Any, n: Any) -> None:
    """Add n scores of `value` in `section` (or, section None, n checks) to the tally."""
    scored, met, partly, not_met, total = by_section.get(section, (0, 0, 0, 0, 0))
    n = int(n)
    if section is not None:
        value = int(value)
        met += n if value == MET else 0
        partly += n if value == PARTLY_MET else 0
        not_met += n if value == NOT_MET else 0
        total += value * n
    by_section[section] = (scored + n, met, partly, not_met, total)


def _tallied(by_section: Tally) -> RubricSummary:
    return _rubric(
        {code: row for code, row in by_section.items() if code is not None},
        by_section.get(None, (0, 0, 0, 0, 0))[0],
    )


def rubric_summary(scope: Scope, first_month: date, last_month: date, as_of: date) -> RubricSummary:
    """The pack's "Quality rubric" summary for its scope, months and date: rubric_summary_by's
    figures for one group, read from the checks counted by day (QualityScoreDay, kept as
    they are written: quality.summary) rather than from every score."""
    day = QualityScoreDay
    counts = (
        select(day.section, day.score, func.sum(day.count))
        .where(
            *_between(day.checked_on, first_month, last_month, as_of),
            *scope.filters_on(day.contract_id, day.provider_id),
        )
        .group_by(day.section, day.score)
    )
    by_section: Tally = {}
    for section, value, n in db.session.execute(counts):
        _tally(by_section, None if section == CHECKS_ROW else section, value, n)
    return _tallied(by_section)


def rubric_average(
    scope: Scope, first_month: date, last_month: date, as_of: date
) -> Decimal | None:
    """The mean rubric score (out of 2) in the scope, or None where none was recorded."""
    return rubric_summary(scope, first_month, last_month, as_of).average
