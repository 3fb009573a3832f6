"""Each piece of work's statutory due date (advice, reg 8), kept on the allocation.

A small module of its own so that everything that changes the date (allocating, returning,
recording an advice exception, saying a work type is advice) can reach it without the rest of
the allocation services.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from provider_portal.models import Allocation, CaseException, WorkType
from provider_portal.timescales import advice_statutory_due, today


def statutory_due(
    work_type: WorkType,
    allocated_on: date,
    exceptions: Sequence[CaseException] = (),
    returned_on: date | None = None,
) -> date | None:
    """The statutory due date of work of this type asked for on allocated_on; None unless advice.

    Advice is due 6 weeks from the request for advice (reg 8), moved by the days its own advice
    exceptions cover (timescales.advice_statutory_due); an exception with no end date counts up
    to the day the advice came back, or while it is out, up to today.
    """
    if not work_type.is_advice:
        return None
    periods = [(e.starts_on, e.ends_on) for e in exceptions if e.starts_on is not None]
    return advice_statutory_due(allocated_on, periods, returned_on or today())


def refresh_statutory_due(allocation: Allocation) -> None:
    """Work out the allocation's statutory due date again from its advice exceptions."""
    own = [
        e
        for e in allocation.case.exceptions
        if e.applies_to == "advice" and e.allocation_id == allocation.id
    ]
    allocation.statutory_due_on = statutory_due(
        allocation.work_type, allocation.allocated_on, own, allocation.returned_on
    )
