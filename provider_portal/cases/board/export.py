"""The board's cases on a date as rows for a file, so a council can check its backlog against
its case management system (`flask report backlog`).

The cases and their order are the board's own (queries.ordered_board_query with no filters);
the clock, the priority and its reasons come from the same timescales functions the board's
rows use. Only what identifies a case in the council's own system goes out: the case
reference and request date, never the child's name or date of birth. Two queries whatever the
size of the backlog: the cases, then the work open on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select

from provider_portal.cases.board.queries import BoardFilters, ordered_board_query
from provider_portal.contracts.pricing import committed_on
from provider_portal.extensions import db
from provider_portal.models import Allocation, Case, Provider, WorkType
from provider_portal.timescales import (
    case_clock,
    phase_transfer,
    priority_rank,
    priority_reasons,
)

CSV_HEADER = (
    "case_ref",
    "request_received_on",
    "weeks_since_request",
    "priority",
    "reasons",
    "open_work",
)


@dataclass(frozen=True)
class BacklogRow:
    case_ref: str
    request_received_on: date
    weeks_since_request: int
    priority: int  # 1 looked after, 2 phase transfer soon, 3 the rest (the board's groups)
    reasons: str  # the board's reasons, "; " between them
    open_work: str  # each piece of work open on the date, "; " between them

    def as_csv(self) -> tuple[str, str, int, int, str, str]:
        return (
            self.case_ref,
            self.request_received_on.isoformat(),
            self.weeks_since_request,
            self.priority,
            self.reasons,
            self.open_work,
        )


def _open_work(on_board: Select[Any], as_of: date) -> dict[int, list[str]]:
    """The work open on as_of (allocated by then, and not yet accepted, withdrawn or declined)
    of each case on the board, oldest first, in one query."""
    query = (
        select(
            Allocation.case_id,
            WorkType.name,
            Provider.name,
            Allocation.allocated_on,
            Allocation.returned_on,
        )
        .join(WorkType, WorkType.id == Allocation.work_type_id)
        .join(Provider, Provider.id == Allocation.provider_id)
        .where(committed_on(as_of), Allocation.case_id.in_(on_board))
        .order_by(Allocation.case_id, Allocation.allocated_on, Allocation.id)
    )
    found: dict[int, list[str]] = {}
    for case_id, work_type, provider, allocated_on, returned_on in db.session.execute(query):
        if returned_on is not None and returned_on <= as_of:
            state = f"returned {returned_on.isoformat()}, not yet accepted"
        else:
            state = f"with the provider since {allocated_on.isoformat()}"
        found.setdefault(case_id, []).append(f"{work_type}: {provider} ({state})")
    return found


def backlog_rows(as_of: date) -> list[BacklogRow]:
    """One row per case on the board on as_of, in the board's order."""
    board = ordered_board_query(BoardFilters(), as_of)
    query = board.with_only_columns(
        Case.id,
        Case.case_ref,
        Case.request_received_on,
        Case.looked_after,
        Case.reception_year,
        Case.setting_type,
    )
    cases = db.session.execute(query).all()
    work = _open_work(board.with_only_columns(Case.id).order_by(None), as_of) if cases else {}
    rows = []
    for case_id, case_ref, requested, looked_after, reception_year, setting_type in cases:
        # Open on as_of by the board's own filter: no plan yet, whatever came later.
        clock = case_clock(requested, None, as_of)
        transfer = phase_transfer(reception_year, as_of, setting_type)
        rows.append(
            BacklogRow(
                case_ref=case_ref,
                request_received_on=requested,
                weeks_since_request=clock.weeks_since_request,
                priority=priority_rank(looked_after, transfer) + 1,
                reasons="; ".join(priority_reasons(looked_after, transfer, clock.days_overdue)),
                open_work="; ".join(work.get(case_id, [])),
            )
        )
    return rows
