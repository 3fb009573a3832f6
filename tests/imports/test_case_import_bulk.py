"""The cases import writes in bulk what the ORM would have written: version numbers and update
times only where something changed, and a case someone else changed meanwhile is not
overwritten."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import select, update

from provider_portal.extensions import db
from provider_portal.imports import cases as case_import
from provider_portal.imports import rows
from provider_portal.imports.cases import import_cases
from provider_portal.imports.rows import CONCURRENT_CHANGE, RowError
from provider_portal.models import Case, CaseException
from tests.imports.files import CASE_HEADER, table

HEADER = CASE_HEADER + ",setting,timescale_exception"


def _case(case_ref: str) -> Case:
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.case_ref == case_ref))
    assert case is not None
    return case


def test_only_cases_that_change_get_a_new_version_and_update_time(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 09:00:00"):
        make.case(case_ref="EHC1", first_name="Alex", last_name="Smith", setting="Oak School")
        make.case(case_ref="EHC2", first_name="Sam", last_name="Jones", setting="Elm School")
    with freeze_time("2025-03-01 12:00:00"):
        result = import_cases(
            table(
                tmp_path,
                HEADER,
                "EHC1,Alex,Smith,2015-03-14,2024-05-01,Oak School,",
                "EHC2,Sam,Jones,2015-03-14,2024-05-01,Ash Academy,",
                "EHC3,Kai,Khan,2016-01-02,2024-06-03,,",
            ),
            actor=None,
        )
    assert result.summary == "Imported 3 cases: 1 new, 2 updated"
    unchanged, changed, new = _case("EHC1"), _case("EHC2"), _case("EHC3")
    morning, noon = (datetime(2025, 3, 1, hour, tzinfo=UTC) for hour in (9, 12))
    assert (unchanged.version, unchanged.updated_at, unchanged.setting) == (
        1,
        morning,
        "Oak School",
    )
    assert (changed.version, changed.updated_at, changed.setting) == (2, noon, "Ash Academy")
    assert (changed.created_at, new.created_at, new.updated_at) == (morning, noon, noon)
    assert (new.version, new.looked_after, new.family_agreed_early_final) == (1, False, False)


def test_exceptions_are_added_to_new_and_existing_cases_once(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    lines = (
        "EHC1,Alex,Smith,2015-03-14,2024-05-01,,exceptional_personal_circumstances",
        "EHC2,Sam,Jones,2015-03-14,2024-05-01,,absent_from_area",
    )
    with freeze_time("2025-03-01 12:00:00"):
        assert import_cases(table(tmp_path, HEADER, *lines), actor=None).ok
        assert import_cases(table(tmp_path, HEADER, *lines), actor=None).ok
    db.session.expire_all()
    recorded = db.session.execute(
        select(Case.case_ref, CaseException.reason, CaseException.note)
        .join(CaseException)
        .order_by(Case.case_ref)
    ).all()
    assert [tuple(row) for row in recorded] == [
        ("EHC1", "exceptional_personal_circumstances", "Recorded by import"),
        ("EHC2", "absent_from_area", "Recorded by import"),
    ]


def test_a_case_changed_by_someone_else_meanwhile_fails_the_whole_import(
    tmp_path: Path, make, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1", first_name="Alex")

    def read_then_someone_saves(refs):  # type: ignore[no-untyped-def]
        found = rows.cases_by_ref(refs)
        # EHC1 moves on a version after the import has read it, as if someone else saved it
        # (in the import's own transaction: SQLite's writers queue, so the clash is this one).
        db.session.execute(
            update(Case)
            .values(first_name="Theirs", version=Case.version + 1)
            .execution_options(synchronize_session=False)
        )
        return found

    monkeypatch.setattr(case_import, "cases_by_ref", read_then_someone_saves)
    result = import_cases(
        table(
            tmp_path,
            HEADER,
            "EHC0,Sam,Jones,2015-01-01,2024-08-15,,",
            "EHC1,Mine,Smith,2015-01-01,2024-08-15,,",
        ),
        actor=None,
    )
    assert result.errors == [RowError(None, "", CONCURRENT_CHANGE)]
    assert _case("EHC1").first_name == "Alex"  # the import wrote nothing
    assert db.session.scalar(select(Case).where(Case.case_ref == "EHC0")) is None
