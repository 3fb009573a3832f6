"""The backlog board: open cases out of timescale (or soon to be), in statutory priority order.

The ordering is the one documented in provider_portal.timescales and is done in SQL, so a
page of 50 costs the same whatever the size of the backlog:
  1. looked-after children;
  2. children whose phase-transfer deadline falls within the window, soonest deadline first;
  3. then by how far past 20 weeks the case is (oldest request first), then by case id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.sql import Subquery

from provider_portal.cases.services import contains, matching
from provider_portal.extensions import db
from provider_portal.formatting import day_and_month
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    Case,
    WorkType,
)
from provider_portal.outcomes import not_closed_by
from provider_portal.pagination import PAGE_SIZE, Page, PageIds, count_of, page_statement, paginate
from provider_portal.timescales import (
    DUE_SOON_WEEKS,
    FINAL_PLAN_DAYS,
    PHASE_TRANSFER_WINDOW_WEEKS,
    TRANSFERS_BY_SETTING_TYPE,
    PhaseTransfer,
    age_on,
    case_clock,
    current_nc_year,
    issue_decision_due,
    phase_transfer,
    phase_transfer_sql_rules,
    priority_reasons,
    today,
    year_group_label,
)

# Work the council took back or the provider turned down: the case still needs it done.
NOT_TAKEN = (AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED)
# Overdue bands offered as filters: (value, label, lowest days overdue, highest days overdue).
OVERDUE_BANDS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("due_soon", "Not yet overdue", None, 0),
    ("under_4", "Up to 4 weeks overdue", 1, 28),
    ("4_to_12", "4 to 12 weeks overdue", 29, 84),
    ("12_to_26", "12 to 26 weeks overdue", 85, 182),
    ("over_26", "More than 26 weeks overdue", 183, None),
)
FLAGS = {"looked_after": "Looked after", "phase_transfer": "Phase transfer deadline soon"}
# "Not yet allocated for" this value: no work of any type taken (the manager home links here).
NOTHING_ALLOCATED = "nothing"
# The work types every row shows, allocated or not; others appear once they are allocated.
ALWAYS_SHOWN = ("ep_advice", "plan_writing")


@dataclass(frozen=True)
class BoardFilters:
    """What the manager chose; every value has already been checked against the allowed set."""

    q: str = ""
    unallocated: str = ""  # a work type code
    flags: frozenset[str] = frozenset()
    setting: str = ""
    band: str = ""
    provider_id: int | None = None
    window_weeks: int = DUE_SOON_WEEKS


@dataclass
class WorkStatus:
    work_type: str
    text: str
    tag_class: str


@dataclass
class BoardRow:
    case: Case
    age: int
    year_group: str | None
    weeks_since_request: int
    days_since_request: int
    days_overdue: int
    reasons: list[str]
    work: list[WorkStatus] = field(default_factory=list)
    # The 16-week decision (reg 10(1)), while neither a decision nor a draft is recorded.
    issue_decision_due: date | None = None


def transfer_deadline_column(as_of: date) -> ColumnElement[date | None]:
    """The phase-transfer deadline of each case in SQL (NULL when not transferring).

    The rule phase_transfer applies, by reception year and setting type: a case with no
    setting type (or one not known) follows the year group alone.
    """
    untyped = or_(
        Case.setting_type.is_(None), Case.setting_type.not_in(tuple(TRANSFERS_BY_SETTING_TYPE))
    )
    arms = []
    for rule in phase_transfer_sql_rules(as_of):
        typed = Case.setting_type.in_(rule.setting_types)
        applies = or_(typed, untyped) if rule.untyped else typed
        arms.append(
            (
                and_(Case.reception_year == rule.reception_year, applies),
                literal(rule.deadline, Date),
            )
        )
    return case(*arms, else_=null())


def priority_rank_column(as_of: date, window_weeks: int) -> ColumnElement[int]:
    deadline = transfer_deadline_column(as_of)
    window_end = as_of + timedelta(weeks=window_weeks)
    return case(
        (Case.looked_after.is_(True), 0),
        (deadline <= window_end, 1),
        else_=2,
    )


def open_on(as_of: date) -> ColumnElement[bool]:
    """Open on as_of (provider_portal.outcomes): a case leaves the board from the day it closed.

    No final plan is ever dated after today (recording refuses it), so on today's board "no
    final plan" is the same condition; saying it lets the database use ix_case_open_by_request,
    the partial index of cases without one.
    """
    if as_of >= today():
        return and_(Case.final_plan_issued_on.is_(None), not_closed_by(as_of))
    return not_closed_by(as_of)


def board_query(filters: BoardFilters, as_of: date) -> Select[Case]:
    """Open cases past 20 weeks or within the window of it, with the chosen filters."""
    # Final plan due = request + 140 days; "due within N weeks" = due on or before as_of + N weeks.
    latest_request = as_of + timedelta(weeks=filters.window_weeks) - timedelta(days=FINAL_PLAN_DAYS)
    if filters.window_weeks == 0:
        # "Only overdue": past 20 weeks as the backlog counts it (reports.backlog), due before
        # as_of. A case due that very day is not yet overdue (the "Not yet overdue" band).
        latest_request -= timedelta(days=1)
    query = matching(
        select(Case).where(open_on(as_of), Case.request_received_on <= latest_request),
        filters.q,
    )
    if filters.unallocated == NOTHING_ALLOCATED:
        query = query.where(
            ~exists().where(Allocation.case_id == Case.id, Allocation.status.not_in(NOT_TAKEN))
        )
    elif filters.unallocated:
        query = query.where(
            ~exists().where(
                Allocation.case_id == Case.id,
                Allocation.status.not_in(NOT_TAKEN),
                Allocation.work_type_id
                == select(WorkType.id)
                .where(WorkType.code == filters.unallocated)
                .scalar_subquery(),
            )
        )
    if "looked_after" in filters.flags:
        query = query.where(Case.looked_after.is_(True))
    if "phase_transfer" in filters.flags:
        deadline = transfer_deadline_column(as_of)
        query = query.where(deadline <= as_of + timedelta(weeks=PHASE_TRANSFER_WINDOW_WEEKS))
    if filters.setting:
        query = query.where(func.lower(Case.setting).like(contains(filters.setting), escape="\\"))
    for value, _label, low, high in OVERDUE_BANDS:
        if filters.band != value:
            continue
        # days overdue = as_of - (request + 140): a band of days is a band of request dates.
        if low is not None:
            query = query.where(
                Case.request_received_on <= as_of - timedelta(days=FINAL_PLAN_DAYS + low)
            )
        if high is not None:
            query = query.where(
                Case.request_received_on >= as_of - timedelta(days=FINAL_PLAN_DAYS + high)
            )
    if filters.provider_id:
        query = query.where(
            exists().where(
                Allocation.case_id == Case.id,
                Allocation.provider_id == filters.provider_id,
                Allocation.status.in_(OPEN_STATUSES),
            )
        )
    return query


def _ordered(query: Select[Case], as_of: date) -> Select[Case]:
    rank = priority_rank_column(as_of, PHASE_TRANSFER_WINDOW_WEEKS)
    deadline = transfer_deadline_column(as_of)
    return query.order_by(
        rank,
        case((rank == 1, deadline), else_=null()).asc().nulls_last(),
        Case.request_received_on,
        Case.id,
    )


def board_groups(filters: BoardFilters, as_of: date) -> list[Select[int, int, date | None, date]]:
    """The board's three groups, each in its own order: looked-after children, then
    phase-transfer deadlines within the window (soonest first), then everyone else; each
    oldest request first. Columns: id, rank, deadline, request date.

    Each group has its own cheap way to its first rows: few children are looked after, the
    deadlines fall in a few reception years (ix_case_open_by_reception_year holds all the group
    reads), and the rest come in request order from ix_case_open_by_request. The deadline's
    CASE is written once in each group that needs it (a subquery's column), not in its filter
    and its order apart: the statement is sent and parsed on every page.
    """
    base = board_query(filters, as_of)
    window_end = as_of + timedelta(weeks=PHASE_TRANSFER_WINDOW_WEEKS)
    soon_years = [
        rule.reception_year
        for rule in phase_transfer_sql_rules(as_of)
        if rule.deadline <= window_end
    ]
    not_looked_after = Case.looked_after.is_not(True)

    def with_deadline(query: Select[Case]) -> Subquery:
        return query.with_only_columns(
            Case.id, transfer_deadline_column(as_of).label("deadline"), Case.request_received_on
        ).subquery()

    transfers = with_deadline(base.where(not_looked_after, Case.reception_year.in_(soon_years)))
    others = with_deadline(base.where(not_looked_after))
    return [
        base.where(Case.looked_after.is_(True)).with_only_columns(
            Case.id, literal(0, Integer).label("rank"), cast(null(), Date).label("deadline"),
            Case.request_received_on,
        ).order_by(Case.request_received_on, Case.id),
        select(
            transfers.c.id, literal(1, Integer).label("rank"), transfers.c.deadline,
            transfers.c.request_received_on,
        ).where(transfers.c.deadline <= window_end).order_by(
            transfers.c.deadline, transfers.c.request_received_on, transfers.c.id
        ),
        select(
            others.c.id, literal(2, Integer).label("rank"), cast(null(), Date).label("deadline"),
            others.c.request_received_on,
        ).where(or_(others.c.deadline.is_(None), others.c.deadline > window_end)).order_by(
            others.c.request_received_on, others.c.id
        ),
    ]  # fmt: skip


def _page_ids(
    filters: BoardFilters, as_of: date, offset: int, limit: int
) -> Select[int, int, date | None, date]:
    """The ids of one page of the board, in the board's order, without sorting every case,
    with the columns that order is by (pagination.PageIds).

    The page is among the first offset + limit of each of the board_groups, one after the
    other. _ordered() says the same order for the whole board; the board's tests hold the two
    to it.
    """
    wanted = offset + limit
    firsts = [
        select(*first.c).select_from(first)
        for first in (group.limit(wanted).subquery() for group in board_groups(filters, as_of))
    ]
    board = union_all(*firsts).subquery()
    return (
        select(board.c.id, board.c.rank, board.c.deadline, board.c.request_received_on)
        .order_by(board.c.rank, board.c.deadline, board.c.request_received_on, board.c.id)
        .limit(limit)
        .offset(offset)
    )


def ordered_board_query(filters: BoardFilters, as_of: date) -> Select[Case]:
    """The board's cases in the board's order (the page and `flask report backlog`)."""
    return _ordered(board_query(filters, as_of), as_of)


def due_dates(allocation: Allocation) -> str:
    """When open work is due: the statutory date (advice, reg 8) with the contract's beside it."""
    contract_due = day_and_month(allocation.due_on)
    if allocation.statutory_due_on is None:
        return f"contract due {contract_due}"
    return f"due {day_and_month(allocation.statutory_due_on)} (contract due {contract_due})"


def _work_statuses(case_: Case, work_types: list[WorkType]) -> list[WorkStatus]:
    latest: dict[int, Allocation] = {}
    for allocation in sorted(case_.allocations, key=lambda a: (a.allocated_on, a.id)):
        if allocation.status not in NOT_TAKEN:
            latest[allocation.work_type_id] = allocation
    statuses = []
    for work_type in work_types:
        current = latest.get(work_type.id)
        if current is None:
            if work_type.code in ALWAYS_SHOWN:
                statuses.append(WorkStatus(work_type.name, "Not allocated", "govuk-tag--grey"))
            continue
        if current.status is AllocationStatus.ALLOCATED:
            text = f"With {current.provider.name}, {due_dates(current)}"
        elif current.status is AllocationStatus.AMENDMENT_REQUESTED:
            text = f"Being amended by {current.provider.name}"
        else:
            text = current.status.label
        statuses.append(WorkStatus(work_type.name, text, current.status.tag_class))
    return statuses


def board_row(case_: Case, as_of: date, work_types: list[WorkType]) -> BoardRow:
    """Everything one row shows, from the case and the statutory clock."""
    clock = case_clock(case_.request_received_on, case_.final_plan_issued_on, as_of)
    transfer: PhaseTransfer | None = phase_transfer(case_.reception_year, as_of, case_.setting_type)
    year_group = (
        year_group_label(current_nc_year(case_.reception_year, as_of))
        if case_.reception_year is not None
        else case_.year_group
    )
    return BoardRow(
        case=case_,
        age=age_on(case_.date_of_birth, as_of),
        year_group=year_group,
        weeks_since_request=clock.weeks_since_request,
        days_since_request=clock.days_since_request,
        days_overdue=clock.days_overdue,
        reasons=priority_reasons(case_.looked_after, transfer, clock.days_overdue),
        work=_work_statuses(case_, work_types),
        issue_decision_due=None
        if case_.issue_decision_on is not None or case_.draft_plan_issued_on is not None
        else issue_decision_due(case_.request_received_on),
    )


@dataclass(frozen=True)
class _Statements:
    """The board's statements for one choice of filters on one date."""

    query: Select[Case]  # in the board's order, with its loaders
    count: Select[Any]
    page_ids: PageIds | None

    def page(self, number: int) -> Select[Case]:
        return page_statement(self.query, number, PAGE_SIZE, self.page_ids)


def _statements(filters: BoardFilters, as_of: date, grouped: bool) -> _Statements:
    query = _ordered(board_query(filters, as_of), as_of).options(
        # A row names each allocation's work type from the work types the page passes in
        # (_work_statuses), so they are not loaded again; its provider comes joined.
        selectinload(Case.allocations).options(
            joinedload(Allocation.provider, innerjoin=True), lazyload(Allocation.work_type)
        )
    )
    page_ids: PageIds | None = None
    if grouped:

        def page_ids(offset: int, limit: int) -> Select[int, int, date | None, date]:
            return _page_ids(filters, as_of, offset, limit)

    return _Statements(query, count_of(query), page_ids)


# Building the board's statements, and SQLAlchemy's key for its cache of their SQL, took a
# quarter of a board request's time in Python (the phase-transfer rules alone are some 80
# conditions). They depend only on the filters, the date and today's date, so each process
# keeps the latest few, and each one's pages. With words typed in the search or setting box
# they are built afresh each time: what was typed may be a child's name, and is not kept
# after the request.
KEPT_STATEMENTS = 32
KEPT_PAGES = 128


@lru_cache(maxsize=KEPT_STATEMENTS)
def _kept_statements(filters: BoardFilters, as_of: date, on: date, grouped: bool) -> _Statements:
    return _statements(filters, as_of, grouped)


@lru_cache(maxsize=KEPT_PAGES)
def _kept_page(
    filters: BoardFilters, as_of: date, on: date, grouped: bool, number: int
) -> Select[Case]:
    return _kept_statements(filters, as_of, on, grouped).page(number)


def board_page(
    filters: BoardFilters, as_of: date, page: int, work_types: list[WorkType]
) -> Page[BoardRow]:
    """One page of the board: a count, the page of cases, their allocations; nothing per row.

    work_types are every work type (the page has read them already for its forms).
    """
    by_id = sorted(work_types, key=lambda wt: wt.id)
    # SQLite's planner sorts each group in full (measured slower at 100,000 cases than one
    # sort of the board): there the page's ids come from the board's own order.
    grouped = db.session.get_bind().dialect.name == "postgresql"
    if filters.q or filters.setting:
        built = _statements(filters, as_of, grouped)
        statement = built.page
    else:
        # open_on() reads today's date as well as as_of.
        on = today()
        built = _kept_statements(filters, as_of, on, grouped)

        def statement(number: int) -> Select[Case]:
            return _kept_page(filters, as_of, on, grouped, number)

    return paginate(built.query, page, count=built.count, statement=statement).map(
        lambda case_: board_row(case_, as_of, by_id)
    )
