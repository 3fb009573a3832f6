"""A case import's outcome columns: reading them, and the rules that keep a case's record whole.

Each outcome comes as a pair, the outcome and its date (decision_to_assess and decision_on,
issue_decision and issue_decision_on, closed_reason and closed_on); one without the other is a
row error, since the portal cannot say when a case closed, or why. The two decisions that close
a case must agree with its closing reason: a refusal to assess is closed as refused_to_assess,
a decision not to issue as not_issuing. The dates follow the statutory order (request,
decision to assess, decision to issue, draft plan, final plan) and a case closes on or after
all of them. Nothing is derived silently: a row that contradicts itself is refused with a
message saying what to change.

A rule is checked when the file has one of the columns it is about, against the case as it
will be after the import (the file's values over what is already recorded): a file of closing
dates is not blamed for a decision recorded on the case page, but it cannot close a case that
already has a final plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from provider_portal.imports.columns import normalise
from provider_portal.imports.rows import LABELS, Problems, read_date, read_text
from provider_portal.models import Case, User
from provider_portal.outcomes import (
    AGREED,
    CEASED,
    CEASED_REASONS,
    CLOSED_REASONS,
    ISSUE_DECISIONS,
    NOT_ISSUE,
    NOT_ISSUING,
    REFUSED,
    REFUSED_TO_ASSESS,
    SETTING_TYPES,
)
from provider_portal.tabular import Row, cell_text

# The import's column -> the case's attribute it sets.
ATTRIBUTES = {
    "decision_to_assess": "assessment_decision",
    "decision_on": "decision_to_assess_on",
    "issue_decision": "issue_decision",
    "issue_decision_on": "issue_decision_on",
    "draft_plan_sent_on": "draft_plan_issued_on",
    "final_plan_issued_on": "final_plan_issued_on",
    "closed_reason": "closed_reason",
    "closed_on": "closed_on",
    "ceased_reason": "ceased_reason",
}
# Outcome dates in statutory order; each on or after the ones before it.
ORDERED_DATES = ("decision_on", "issue_decision_on", "draft_plan_sent_on", "final_plan_issued_on")
# Who recorded each outcome: the attributes that make it, and the attribute naming the person.
RECORDED_BY = {
    "decision_recorded_by_id": ("assessment_decision", "decision_to_assess_on"),
    "issue_decision_recorded_by_id": ("issue_decision", "issue_decision_on"),
    "draft_plan_recorded_by_id": ("draft_plan_issued_on",),
    "final_plan_recorded_by_id": ("final_plan_issued_on",),
    "closed_by_id": ("closed_on", "closed_reason", "ceased_reason"),
}
_YES = frozenset({"yes", "y", "true", "1", "agreed"})
_NO = frozenset({"no", "n", "false", "0", "refused"})


def _choices(vocabulary: dict[str, str]) -> dict[str, str]:
    """A vocabulary's codes and labels, normalised, -> its code."""
    lookup = {normalise(label): code for code, label in vocabulary.items()}
    lookup.update({normalise(code): code for code in vocabulary})
    return lookup


_SETTING_TYPES = _choices(SETTING_TYPES)
_ISSUE_DECISIONS = _choices(ISSUE_DECISIONS)
_CLOSED_REASONS = _choices(CLOSED_REASONS)
_CEASED_REASONS = _choices(CEASED_REASONS)


def past_date(row: Row, column: str, problems: Problems, now: date) -> date | None:
    """A date that has already happened, or None after recording why it is not one."""
    value = read_date(row, column, problems)
    if value is not None and value > now:
        problems.add(row.line, column, f"{LABELS[column]} must be today or in the past")
        return None
    return value


def _coded(row: Row, column: str, lookup: dict[str, str], problems: Problems) -> str | None:
    """A code from its vocabulary (the code or its label, any case or punctuation)."""
    text = read_text(row, column, problems)
    if text is None:
        return None
    code = lookup.get(normalise(text))
    if code is None:
        codes = sorted(set(lookup.values()), key=list(lookup.values()).index)
        problems.add(
            row.line, column, f"{LABELS[column]} must be blank or one of {', '.join(codes)}"
        )
    return code


def setting_type(row: Row, problems: Problems) -> str | None:
    return _coded(row, "setting_type", _SETTING_TYPES, problems)


def _decision_to_assess(row: Row, problems: Problems) -> str | None:
    text = cell_text(row.get("decision_to_assess"))
    if text is None:
        return None
    if text.casefold() in _YES:
        return AGREED
    if text.casefold() in _NO:
        return REFUSED
    problems.add(row.line, "decision_to_assess", "Decision to assess must be blank, yes or no")
    return None


def read_outcomes(
    row: Row, headers: Sequence[str], problems: Problems, received: date | None, now: date
) -> dict[str, Any]:
    """The outcome columns the file has, as the case's attributes; dates in the past and not
    before the request."""
    values: dict[str, Any] = {}
    readers = {
        "decision_to_assess": lambda: _decision_to_assess(row, problems),
        "issue_decision": lambda: _coded(row, "issue_decision", _ISSUE_DECISIONS, problems),
        "closed_reason": lambda: _coded(row, "closed_reason", _CLOSED_REASONS, problems),
        "ceased_reason": lambda: _coded(row, "ceased_reason", _CEASED_REASONS, problems),
    }
    for column, attribute in ATTRIBUTES.items():
        if column not in headers or column == "final_plan_issued_on":
            continue  # the final plan date is read with the case's other dates
        reader = readers.get(column)
        if reader is not None:
            values[attribute] = reader()
            continue
        value = past_date(row, column, problems, now)
        if value is not None and received is not None and value < received:
            problems.add(row.line, column, f"{LABELS[column]} must be on or after the request date")
        values[attribute] = value
    return values


@dataclass
class _Outcomes:
    """A case's outcomes as they will be after the import, by the import's column names."""

    line: int
    present: set[str]
    state: dict[str, Any]
    problems: Problems

    def about(self, *columns: str) -> bool:
        """Whether the file has any of these columns (only then is their rule checked)."""
        return any(column in self.present for column in columns)

    def add(self, column: str, message: str) -> None:
        self.problems.add(self.line, column, message)


def _pair(outcomes: _Outcomes, outcome: str, when: str, missing_outcome: str) -> None:
    """An outcome and its date come together."""
    if not outcomes.about(outcome, when):
        return
    has_outcome = outcomes.state[outcome] is not None
    has_date = outcomes.state[when] is not None
    if has_outcome and not has_date:
        outcomes.add(when, f"Enter the {LABELS[when].lower()}, or leave {outcome} blank")
    elif has_date and not has_outcome:
        outcomes.add(outcome, f"{missing_outcome}, or leave {when} blank")


def _closing_agrees(outcomes: _Outcomes) -> None:
    """The decisions that close a case and the reason it closed say the same thing."""
    state = outcomes.state
    reason = state["closed_reason"]
    closing_decisions = (
        ("decision_to_assess", REFUSED, REFUSED_TO_ASSESS, "no"),
        ("issue_decision", NOT_ISSUE, NOT_ISSUING, "not_issue"),
    )
    for column, decided, closes_as, written in closing_decisions:
        if not outcomes.about(column, "closed_reason"):
            continue
        if reason == closes_as and state[column] != decided:
            outcomes.add(column, f"A case closed as {closes_as} needs {column} {written}")
        elif state[column] == decided and reason != closes_as:
            outcomes.add(
                "closed_reason",
                f"{column} {written} closes the case: enter closed_reason {closes_as} and "
                "closed_on",
            )
    if outcomes.about("closed_reason", "ceased_reason"):
        if reason == CEASED and state["ceased_reason"] is None:
            outcomes.add("ceased_reason", "Enter why the case ceased: " + ", ".join(CEASED_REASONS))
        elif state["ceased_reason"] is not None and reason != CEASED:
            outcomes.add(
                "ceased_reason", "Leave ceased_reason blank unless closed_reason is ceased"
            )
    if outcomes.about("closed_reason", "final_plan_issued_on") and reason is not None:
        if state["final_plan_issued_on"] is not None:
            outcomes.add(
                "closed_reason",
                "A case with a final plan is not closed without one: leave closed_reason blank",
            )


def _nothing_after_refusals(outcomes: _Outcomes) -> None:
    """No plan steps after a refusal to assess, no plan after a decision not to issue."""
    state = outcomes.state
    later = {
        "decision_to_assess": (REFUSED, "no", ("issue_decision", "draft_plan_sent_on")),
        "issue_decision": (NOT_ISSUE, "not_issue", ("draft_plan_sent_on",)),
    }
    for column, (decided, written, steps) in later.items():
        if state[column] != decided:
            continue
        for step in (*steps, "final_plan_issued_on"):
            if state[step] is not None and outcomes.about(column, step):
                outcomes.add(step, f"Leave {step} blank: {column} is {written}")


def _in_statutory_order(outcomes: _Outcomes) -> None:
    """Each outcome date on or after the ones before it; the closing date after them all."""
    state = outcomes.state
    latest: str | None = None
    for column in ORDERED_DATES:
        if state[column] is None:
            continue
        if latest is not None and state[column] < state[latest] and outcomes.about(column, latest):
            outcomes.add(
                column, f"{LABELS[column]} must be on or after the {LABELS[latest].lower()}"
            )
        if latest is None or state[column] >= state[latest]:
            latest = column
    closed_on = state["closed_on"]
    if closed_on is None:
        return
    for column in ORDERED_DATES[:-1]:
        if (
            state[column] is not None
            and closed_on < state[column]
            and outcomes.about("closed_on", column)
        ):
            outcomes.add(
                "closed_on", f"Closed date must be on or after the {LABELS[column].lower()}"
            )
            return


def check_outcomes(
    line: int, values: dict[str, Any], case: Case | None, headers: Sequence[str], problems: Problems
) -> None:
    """Record every way the case's outcomes, after the import, contradict each other."""
    state = {
        column: values[attribute]
        if attribute in values
        else (getattr(case, attribute) if case is not None else None)
        for column, attribute in ATTRIBUTES.items()
    }
    outcomes = _Outcomes(line, set(headers) & set(ATTRIBUTES), state, problems)
    _pair(outcomes, "decision_to_assess", "decision_on", "Enter the decision to assess (yes or no)")
    _pair(outcomes, "issue_decision", "issue_decision_on", "Enter the issue decision")
    _pair(outcomes, "closed_reason", "closed_on", "Enter why the case closed")
    _closing_agrees(outcomes)
    _nothing_after_refusals(outcomes)
    _in_statutory_order(outcomes)


def stamp_recorders(case: Case, before: dict[str, Any], actor: User | None) -> None:
    """Each outcome the import set or changed is recorded by the importing person."""
    for recorder, attributes in RECORDED_BY.items():
        if any(getattr(case, name) != before.get(name) for name in attributes):
            recorded = any(getattr(case, name) is not None for name in attributes)
            setattr(case, recorder, actor.id if actor is not None and recorded else None)


def outcome_state(case: Case | None) -> dict[str, Any]:
    """The outcome attributes as they stand, to compare after the import."""
    names = {name for attributes in RECORDED_BY.values() for name in attributes}
    return {name: getattr(case, name) if case is not None else None for name in names}
