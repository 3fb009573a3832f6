"""A contract says whether the quality rubric is scored when plan writing is accepted."""

from __future__ import annotations

from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Contract, Role
from tests.contracts.test_pages import NEW_CONTRACT, TODAY, _edit_data, _errors


@freeze_time(TODAY)
def test_a_new_contract_scores_the_rubric_unless_told_not_to(make, client_for):
    provider = make.provider("Lakeside EP")
    manager = client_for(Role.MANAGER)
    page = manager.page("/contracts/new")
    assert page.select_one("input[name=quality_check][value=yes]").has_attr("checked")
    for reference, answer in (("SEND-Q-1", "yes"), ("SEND-Q-2", "no")):
        data = {**NEW_CONTRACT, "reference": reference, "provider": str(provider.id)}
        response = manager.post("/contracts/new", {**data, "quality_check": answer})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    checks = dict(db.session.execute(select(Contract.reference, Contract.quality_check)).all())
    assert checks == {"SEND-Q-1": True, "SEND-Q-2": False}
    contract = db.session.scalar(select(Contract).where(Contract.reference == "SEND-Q-2"))
    summary = manager.page(f"/contracts/{contract.id}").select_one("#target-list").get_text()
    assert "Not scored" in summary


@freeze_time(TODAY)
def test_an_answer_not_offered_is_refused(make, client_for):
    provider = make.provider("Lakeside EP")
    manager = client_for(Role.MANAGER)
    data = {**NEW_CONTRACT, "provider": str(provider.id), "quality_check": "maybe"}
    response = manager.post("/contracts/new", data)
    assert response.status_code == 200
    assert _errors(manager.soup(response)) == [
        (
            "Select yes if the quality rubric is scored when accepting plans",
            "#quality_check",
        )
    ]
    assert db.session.scalar(select(Contract)) is None


@freeze_time(TODAY)
def test_editing_turns_the_rubric_off_and_on(make, client_for):
    contract = make.contract(reference="SEND-EP-01")
    manager = client_for(Role.MANAGER)
    for answer, expected in (("no", False), ("yes", True)):
        data = _edit_data(manager.page(f"/contracts/{contract.id}/edit"))
        assert data["quality_check"] == ("no" if expected else "yes")
        response = manager.post(f"/contracts/{contract.id}/edit", {**data, "quality_check": answer})
        assert response.status_code == 303
        db.session.expire_all()
        assert db.session.get(Contract, contract.id).quality_check is expected
    details = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "contract_updated")
    ).all()
    assert details == ["fields=quality_check status=active"] * 2
