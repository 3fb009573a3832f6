"""How a case ends, in one place: the outcome vocabularies and what "open on a date" means.

A case is open on a date when its request had been received by then and, on that date, it had
neither a final plan issued nor been closed without one. Closing without a plan happens for
five reasons: the council refused to assess (reg 5), decided not to issue a plan (reg 10), the
family withdrew the request, the child moved out of the area (SEN2 "Exported"), or the case
ceased (the young person reached 25, died, or another reason). A case leaves the board, the
backlog, the forecast and the cost to clear from the day it closed, and its retention period
runs from that day.

Every query that asks "which cases were open?" builds on case_open_on; every reader that asks
"when did it close?" uses closing_date.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, case, or_

from provider_portal.models import Case

# The decision whether to assess (reg 5).
AGREED = "agreed"
REFUSED = "refused"
ASSESSMENT_DECISIONS: dict[str, str] = {
    AGREED: "Agreed to assess",
    REFUSED: "Refused to assess",
}

# The decision whether to issue a plan (reg 10).
ISSUE = "issue"
NOT_ISSUE = "not_issue"
ISSUE_DECISIONS: dict[str, str] = {
    ISSUE: "Issue a plan",
    NOT_ISSUE: "Not issue a plan",
}

# Why a case closed without a final plan.
REFUSED_TO_ASSESS = "refused_to_assess"
NOT_ISSUING = "not_issuing"
WITHDRAWN_BY_FAMILY = "withdrawn_by_family"
MOVED_AWAY = "moved_away"
CEASED = "ceased"
CLOSED_REASONS: dict[str, str] = {
    REFUSED_TO_ASSESS: "Refused to assess",
    NOT_ISSUING: "Decided not to issue a plan",
    WITHDRAWN_BY_FAMILY: "Withdrawn by the family",
    MOVED_AWAY: "Moved out of the area",
    CEASED: "Ceased",
}
# The reasons a person records directly; the two decisions close a case through their own form.
OTHER_CLOSED_REASONS = (WITHDRAWN_BY_FAMILY, MOVED_AWAY, CEASED)
CEASED_REASONS: dict[str, str] = {
    "age_25": "Young person reached 25",
    "died": "Died",
    "other": "Other reason",
}

# The type of the child's setting, which decides when a phase transfer falls.
SETTING_TYPES: dict[str, str] = {
    "early_years": "Early years",
    "infant": "Infant school",
    "junior": "Junior school",
    "primary": "Primary school",
    "middle": "Middle school",
    "secondary": "Secondary school",
    "all_through": "All-through school",
    "special": "Special school",
    "post_16": "Post-16",
}


def closing_date(final_plan_issued_on: date | None, closed_on: date | None) -> date | None:
    """The day a case stopped being open: its final plan, or its closing without one."""
    if final_plan_issued_on is not None:
        return final_plan_issued_on
    return closed_on


def is_open_on(
    request_received_on: date,
    final_plan_issued_on: date | None,
    closed_on: date | None,
    as_of: date,
) -> bool:
    """Whether a case was open on as_of (the rule case_open_on writes in SQL)."""
    closed = closing_date(final_plan_issued_on, closed_on)
    return request_received_on <= as_of and (closed is None or closed > as_of)


def not_closed_by(as_of: date) -> ColumnElement[bool]:
    """On as_of, neither a final plan issued nor closed without one (the request date aside)."""
    return and_(
        or_(Case.final_plan_issued_on.is_(None), Case.final_plan_issued_on > as_of),
        or_(Case.closed_on.is_(None), Case.closed_on > as_of),
    )


def case_open_on(as_of: date) -> ColumnElement[bool]:
    """Received by as_of and open on as_of."""
    return and_(Case.request_received_on <= as_of, not_closed_by(as_of))


def closing_date_column() -> ColumnElement[date]:
    """closing_date in SQL: the final plan date, else the date it closed without one."""
    return case(
        (Case.final_plan_issued_on.is_not(None), Case.final_plan_issued_on),
        else_=Case.closed_on,
    )
