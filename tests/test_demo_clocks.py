"""The demo's cases carry setting types that match their settings' names, its advice carries
its statutory date, and its Year 2 transfers are only the children in infant schools."""

from __future__ import annotations

from datetime import date

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.cases.board.queries import transfer_deadline_column
from provider_portal.extensions import db
from provider_portal.models import Allocation, Case, WorkType
from provider_portal.timescales import academic_year

TYPE_BY_WORD = {
    "Nursery": "early_years",
    "Primary": "primary",
    "Infant": "infant",
    "Junior": "junior",
    "Special": "special",
    "College": "post_16",
}


@freeze_time("2024-11-28 10:00:00")
def test_the_demo_cases_and_advice_carry_the_clocks(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    for setting, setting_type in db.session.execute(
        select(Case.setting, Case.setting_type).distinct()
    ):
        if setting is None:
            assert setting_type is None
            continue
        expected = next((t for word, t in TYPE_BY_WORD.items() if word in setting), None)
        if setting == "The Willows School":
            expected = "special"
        assert setting_type == (expected or "secondary"), setting

    advice = db.session.execute(
        select(Allocation.allocated_on, Allocation.statutory_due_on, WorkType.is_advice).join(
            WorkType, WorkType.id == Allocation.work_type_id
        )
    ).all()
    assert advice and all(
        due == (date.fromordinal(on.toordinal() + 42) if is_advice else None)
        for on, due, is_advice in advice
    )

    # Year 2 children (Reception in 2022) whose board deadline is a transfer: infant schools only.
    as_of = date(2024, 11, 28)
    year_2 = academic_year(as_of) - 2
    transferring = db.session.execute(
        select(Case.setting_type, func.count())
        .where(Case.reception_year == year_2, transfer_deadline_column(as_of).is_not(None))
        .group_by(Case.setting_type)
    ).all()
    assert {setting_type for setting_type, _count in transferring} <= {"infant"}
