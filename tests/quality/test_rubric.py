"""The quality rubric scored when the council accepts plan writing under a contract that asks."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.allocations.services import accept
from provider_portal.errors import AllocationError, QualityError
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    AuditEvent,
    QualityCheck,
    QualityScore,
    Role,
)
from provider_portal.quality.rubric import SECTION_CODES, SECTIONS

ALL_MET = {f"accept-section_{code}": "2" for code in SECTION_CODES}


def _returned(make, work_type: str = "plan_writing", quality_check: bool | None = True):
    provider = make.provider()
    contract = (
        make.contract(provider=provider, quality_check=quality_check)
        if quality_check is not None
        else None
    )
    return make.allocation(
        provider=provider,
        contract=contract,
        work_type=work_type,
        status=AllocationStatus.RETURNED,
        returned_on=date(2024, 8, 30),
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _rubric_legends(page) -> list[str]:
    return [
        " ".join(legend.get_text().split())
        for legend in page.select("form[action$='/accept'] legend")
    ]


def test_the_sections_run_a_to_k_with_h_in_two_parts() -> None:
    assert SECTION_CODES == ("A", "B", "C", "D", "E", "F", "G", "H1", "H2", "I", "J", "K")
    assert SECTIONS[0].label == "Views, interests and aspirations"
    assert SECTIONS[5].label == "Special educational provision"


@freeze_time("2024-09-05 10:00:00")
def test_plan_writing_under_a_contract_that_asks_is_scored_on_acceptance(make, client_for):
    allocation = _returned(make)
    manager = client_for(Role.MANAGER)
    page = manager.page(f"/allocations/{allocation.id}")
    legends = _rubric_legends(page)
    assert len(legends) == 12
    assert legends[0] == "Section A: Views, interests and aspirations"
    labels = [
        label.get_text(strip=True) for label in page.select("input[name=accept-section_F] + label")
    ]
    assert labels == ["Met", "Partly met", "Not met"]
    scores = {**ALL_MET, "accept-section_F": "1", "accept-section_H2": "0"}
    response = manager.post(f"/allocations/{allocation.id}/accept", scores)
    assert response.status_code == 303
    check = db.session.scalars(select(QualityCheck)).one()
    assert (check.allocation_id, check.checked_on, check.checked_by_id) == (
        allocation.id,
        date(2024, 9, 5),
        manager.user.id,
    )
    recorded = {score.section: score.score for score in check.scores}
    assert recorded == {**dict.fromkeys(SECTION_CODES, 2), "F": 1, "H2": 0}
    db.session.expire_all()
    accepted = db.session.get(Allocation, allocation.id)
    assert accepted.status is AllocationStatus.ACCEPTED
    assert accepted.accepted_on == date(2024, 9, 5)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quality_checked"))
    assert event.object_id == allocation.id and "F:1" in event.detail
    # The allocation page shows what was recorded.
    rows = manager.page(f"/allocations/{allocation.id}").select("#quality-scores tbody tr")
    shown = {tr.select("td")[0].get_text(strip=True): tr.select("td")[1].get_text() for tr in rows}
    assert len(shown) == 12
    assert shown["Section F: Special educational provision"] == "Partly met"
    assert shown["Section H2: Other social care provision"] == "Not met"
    assert shown["Section A: Views, interests and aspirations"] == "Met"


@pytest.mark.parametrize("htmx", [False, True])
def test_every_section_is_required_and_a_refusal_saves_nothing(make, client_for, htmx):
    allocation = _returned(make)
    manager = client_for(Role.MANAGER)
    partial = {key: value for key, value in ALL_MET.items() if not key.endswith("_C")}
    partial["accept-section_K"] = "3"  # not a score
    response = manager.post(f"/allocations/{allocation.id}/accept", partial, htmx=htmx)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert ("<html" in body) is not htmx
    assert "Select whether section C is met, partly met or not met" in body
    assert "Select whether section K is met, partly met or not met" in body
    assert 'href="#accept-section_C"' in body
    if not htmx:
        soup = manager.soup(response)
        assert soup.title.get_text().startswith("Error: ")
        # The answers given are kept.
        assert soup.select_one("input[name=accept-section_A][value='2']").has_attr("checked")
    assert _count(QualityCheck) == 0 and _count(QualityScore) == 0
    assert db.session.get(Allocation, allocation.id).status is AllocationStatus.RETURNED


@pytest.mark.parametrize(
    ("work_type", "quality_check"),
    [("ep_advice", True), ("plan_writing", False), ("plan_writing", None)],
    ids=["advice", "contract-says-no", "no-contract"],
)
def test_not_asked_for_advice_or_when_the_contract_does_not(
    make, client_for, work_type, quality_check
):
    allocation = _returned(make, work_type, quality_check)
    manager = client_for(Role.MANAGER)
    assert _rubric_legends(manager.page(f"/allocations/{allocation.id}")) == []
    response = manager.post(f"/allocations/{allocation.id}/accept", {})
    assert response.status_code == 303
    assert db.session.get(Allocation, allocation.id).status is AllocationStatus.ACCEPTED
    assert _count(QualityCheck) == 0


@freeze_time("2024-09-05 10:00:00")
def test_the_check_is_saved_with_the_acceptance_or_not_at_all(make):
    allocation = _returned(make)
    incomplete = dict.fromkeys(SECTION_CODES[:-1], 2)
    with pytest.raises(QualityError):
        accept(allocation, actor=None, scores=incomplete)
    db.session.rollback()
    assert db.session.get(Allocation, allocation.id).status is AllocationStatus.RETURNED
    with pytest.raises(QualityError):
        accept(allocation, actor=None, scores={**dict.fromkeys(SECTION_CODES, 2), "A": 5})
    db.session.rollback()
    assert _count(QualityCheck) == 0
    # A refused acceptance (a date before the return) leaves no check behind either.
    with pytest.raises(AllocationError):
        accept(
            allocation,
            actor=None,
            accepted_on=date(2024, 8, 1),
            scores=dict.fromkeys(SECTION_CODES, 2),
        )
    db.session.rollback()
    assert _count(QualityCheck) == 0
    accept(allocation, actor=None, scores=dict.fromkeys(SECTION_CODES, 1))
    db.session.commit()
    assert _count(QualityCheck) == 1 and _count(QualityScore) == 12


def test_the_import_and_cli_accept_without_a_rubric(make):
    allocation = _returned(make)
    accept(allocation, actor=None, accepted_on=date(2024, 9, 1))
    db.session.commit()
    assert db.session.get(Allocation, allocation.id).status is AllocationStatus.ACCEPTED
    assert _count(QualityCheck) == 0
