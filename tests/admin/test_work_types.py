"""Administrators say which work types are advice under reg 8; the work's statutory dates
follow."""

from __future__ import annotations

from datetime import date

from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import Allocation, AuditEvent, CaseException, Role, WorkType
from provider_portal.papers.services import default_kinds


def _work_type(code: str) -> WorkType:
    db.session.expire_all()
    work_type = db.session.scalar(select(WorkType).where(WorkType.code == code))
    assert work_type is not None
    return work_type


def test_the_default_work_types_say_which_are_advice(client_for) -> None:
    admin = client_for(Role.ADMIN)
    rows = admin.page("/admin/work-types").select("#work-type-list tbody tr")
    shown = {
        tr.select("td")[1].get_text(strip=True): tr.select("td")[3].get_text(strip=True)
        for tr in rows
    }
    assert shown == {
        "ep_advice": "Yes",
        "health_advice": "Yes",
        "ot_advice": "Yes",
        "plan_writing": "No",
        "salt_advice": "Yes",
        "social_care_advice": "Yes",
    }


@freeze_time("2024-12-01 12:00:00")
def test_saying_work_is_advice_gives_its_allocations_a_statutory_date(make, client_for) -> None:
    plan = make.allocation(work_type="plan_writing", allocated_on=date(2024, 11, 1))
    advice = make.allocation(work_type="ep_advice", allocated_on=date(2024, 11, 1))
    db.session.add(
        CaseException(
            case=advice.case,
            applies_to="advice",
            allocation_id=advice.id,
            reason="missed_appointment",
            starts_on=date(2024, 11, 4),
            ends_on=date(2024, 11, 5),
        )
    )
    db.session.commit()
    assert plan.statutory_due_on is None
    admin = client_for(Role.ADMIN)
    work_type = _work_type("plan_writing")
    page = admin.page(f"/admin/work-types/{work_type.id}")
    assert page.select_one("input[name=is_advice][value=no]").has_attr("checked")
    nonce = page.select_one("input[name=nonce]")["value"]
    response = admin.post(f"/admin/work-types/{work_type.id}", {"is_advice": "yes", "nonce": nonce})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/work-types"
    assert _work_type("plan_writing").is_advice is True
    assert db.session.get(Allocation, plan.id).statutory_due_on == date(2024, 12, 13)
    # Sent again: answered as the first time, nothing recorded twice.
    again = admin.post(f"/admin/work-types/{work_type.id}", {"is_advice": "yes", "nonce": nonce})
    assert again.status_code == 303
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "work_type_changed")
    ).all()
    assert [(e.object_id, e.detail, e.actor_id) for e in events] == [
        (work_type.id, "is_advice=yes", admin.user.id)
    ]

    ep = _work_type("ep_advice")
    admin.post(f"/admin/work-types/{ep.id}", {"is_advice": "no", "nonce": new_nonce()})
    assert db.session.get(Allocation, advice.id).statutory_due_on is None
    admin.post(f"/admin/work-types/{ep.id}", {"is_advice": "yes", "nonce": new_nonce()})
    # Back to advice: 6 weeks, moved by its own exception (4 and 5 November).
    assert db.session.get(Allocation, advice.id).statutory_due_on == date(2024, 12, 15)


def test_the_answer_is_required(client_for) -> None:
    admin = client_for(Role.ADMIN)
    work_type = _work_type("ep_advice")
    response = admin.post(f"/admin/work-types/{work_type.id}", {"nonce": new_nonce()})
    assert response.status_code == 200
    page = admin.page(f"/admin/work-types/{work_type.id}")  # drawn again without errors
    assert page.title.get_text().startswith(work_type.name)
    text = response.get_data(as_text=True)
    assert "Select yes if this work is advice under regulation 8" in text
    assert "<title>Error: " in text
    assert _work_type("ep_advice").is_advice is True


def test_a_missing_work_type_is_404(client_for) -> None:
    admin = client_for(Role.ADMIN)
    assert admin.get("/admin/work-types/999999").status_code == 404


def test_administrator_sets_the_papers_a_work_type_takes_by_default(client_for) -> None:
    admin = client_for(Role.ADMIN)
    work_type = _work_type("ot_advice")
    url = f"/admin/work-types/{work_type.id}"
    page = admin.page(url)
    ticked = {box["value"] for box in page.select("input[name=paper_kinds][checked]")}
    assert ticked == {"request_for_assessment", "parental_views", "consent_to_share"}
    form = {"is_advice": "yes", "paper_kinds": ["school_evidence", "previous_reports"]}
    response = admin.post(url, {**form, "nonce": new_nonce()})
    assert response.status_code == 303
    assert default_kinds(work_type.id) == {"school_evidence", "previous_reports"}
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "work_type_paper_kinds_changed")
    )
    assert event.detail == "kinds=previous_reports,school_evidence"
    # A kind the portal does not know: an error on the field, nothing changed.
    refused = admin.post(url, {"is_advice": "yes", "paper_kinds": ["bank"], "nonce": new_nonce()})
    assert refused.status_code == 200
    summary = admin.soup(refused).select_one(".govuk-error-summary")
    assert "Select only the kinds of paper listed" in summary.get_text()
    assert default_kinds(work_type.id) == {"school_evidence", "previous_reports"}
