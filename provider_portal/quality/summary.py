"""The quality checks counted by day (QualityScoreDay), kept as they are written.

The pack's rubric over 24 months would otherwise join every score (some 380,000 at 100,000
cases) to its check for the check's date. The counts are kept in the same transaction as the
checks, by the ORM: after each flush, every check and score the flush added or deleted adds
or takes away its count, in one statement. Checks and scores are written once and never
edited (a check goes with its work's acceptance), and an edit is refused rather than
followed. Code that writes checks or scores with SQL statements instead of the ORM (the demo
generator) calls rebuild() in the same transaction. `flask report check-summaries` compares
the counts with the rows they come from (summaries.differences).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, event, func, literal, select, union_all
from sqlalchemy.orm import Session, UOWTransaction

from provider_portal.models import Allocation, QualityCheck, QualityScore, QualityScoreDay
from provider_portal.models.quality import CHECKS_ROW
from provider_portal.models.work import NO_CONTRACT
from provider_portal.summaries import Summary, add_counts, rebuild_summary

# (checked_on, provider_id, contract_id, section, score)
DayKey = tuple[date, int, int, str, int]


def source() -> Any:
    """The counts worked out from the checks and scores themselves: what the table holds."""
    contract = func.coalesce(Allocation.contract_id, NO_CONTRACT)
    scores = (
        select(
            QualityCheck.checked_on,
            Allocation.provider_id,
            contract,
            QualityScore.section,
            QualityScore.score,
            func.count(),
        )
        .select_from(QualityScore)
        .join(QualityCheck, QualityCheck.id == QualityScore.quality_check_id)
        .join(Allocation, Allocation.id == QualityCheck.allocation_id)
        .group_by(
            QualityCheck.checked_on,
            Allocation.provider_id,
            contract,
            QualityScore.section,
            QualityScore.score,
        )
    )
    checks = (
        select(
            QualityCheck.checked_on,
            Allocation.provider_id,
            contract,
            literal(CHECKS_ROW),
            literal(0),
            func.count(),
        )
        .select_from(QualityCheck)
        .join(Allocation, Allocation.id == QualityCheck.allocation_id)
        .group_by(QualityCheck.checked_on, Allocation.provider_id, contract)
    )
    return union_all(scores, checks)


SUMMARY = Summary("quality_score_day", QualityScoreDay, source)


def rebuild() -> None:
    """Count every check again (after checks or scores were written without the ORM)."""
    rebuild_summary(SUMMARY)


def _work(connection: Connection, allocation_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{allocation id: (provider id, contract id or NO_CONTRACT)}, in one statement."""
    wanted = sorted(set(allocation_ids))
    if not wanted:
        return {}
    rows = connection.execute(
        select(Allocation.id, Allocation.provider_id, Allocation.contract_id).where(
            Allocation.id.in_(wanted)
        )
    )
    return {row[0]: (row[1], row[2] if row[2] is not None else NO_CONTRACT) for row in rows}


def _check_of(
    connection: Connection, score: QualityScore, checks: dict[int, QualityCheck]
) -> tuple[date, int]:
    """The day and work of a score's check: from the checks of the same flush, the score's
    loaded check, or (a score added to a check written before) the database."""
    check = checks.get(score.quality_check_id) or score.__dict__.get("check")
    if check is not None:
        return check.checked_on, check.allocation_id
    row = connection.execute(
        select(QualityCheck.checked_on, QualityCheck.allocation_id).where(
            QualityCheck.id == score.quality_check_id
        )
    ).one()
    return row[0], row[1]


def _refuse_edits(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    for item in session.dirty:
        if isinstance(item, QualityCheck | QualityScore) and session.is_modified(item):
            raise ValueError(
                "A quality check and its scores are written once and never changed "
                "(their counts by day, quality_score_day, follow additions and deletions)"
            )


def _count_changes(session: Session, _context: UOWTransaction) -> None:
    """After a flush: add the counts of the checks and scores it added, take away those of
    the ones it deleted, in one statement on the flush's connection."""
    changed = [
        (sign, item)
        for sign, items in ((1, session.new), (-1, session.deleted))
        for item in items
        if isinstance(item, QualityCheck | QualityScore)
    ]
    if not changed:
        return
    connection = session.connection()
    checks = {item.id: item for _, item in changed if isinstance(item, QualityCheck)}
    changes: list[tuple[int, date, int, str, int]] = []  # (+1 or -1, day, work, section, score)
    for sign, item in changed:
        if isinstance(item, QualityCheck):
            changes.append((sign, item.checked_on, item.allocation_id, CHECKS_ROW, 0))
        else:
            changes.append((sign, *_check_of(connection, item, checks), item.section, item.score))
    work = _work(connection, (allocation_id for _, _, allocation_id, _, _ in changes))
    counts: Counter[DayKey] = Counter()
    for sign, day, allocation_id, section, score in changes:
        provider_id, contract_id = work[allocation_id]
        counts[(day, provider_id, contract_id, section, score)] += sign
    add_counts(connection, SUMMARY, {key: (n,) for key, n in counts.items()})


def listen() -> None:
    """Keep the counts with every session's flushes (called once, when the app is made)."""
    if not event.contains(Session, "after_flush", _count_changes):
        event.listen(Session, "before_flush", _refuse_edits)
        event.listen(Session, "after_flush", _count_changes)
