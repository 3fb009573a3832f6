"""Administrators keep the list of send-back reasons: add, change, retire, reinstate."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, AuditEvent, Role, SendBackReason
from provider_portal.quality.reasons import DEFAULT_REASONS

LIST = "/admin/send-back-reasons"


def _reason(label: str, applies_to: str | None = None) -> SendBackReason:
    """The reason with these words (for this kind of work: the same words may serve both)."""
    db.session.expire_all()
    query = select(SendBackReason).where(SendBackReason.label == label)
    if applies_to is not None:
        query = query.where(SendBackReason.applies_to == applies_to)
    reason = db.session.scalar(query)
    assert reason is not None
    return reason


def _events(action: str) -> list[tuple[int | None, str | None]]:
    return [
        (e.object_id, e.detail)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    ]


def _errors(soup) -> list[tuple[str, str]]:
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None, "no error summary"
    return [(" ".join(a.get_text().split()), a["href"]) for a in summary.select("a")]


def test_the_list_shows_every_reason_plans_first(client_for):
    admin = client_for(Role.ADMIN)
    rows = admin.page(LIST).select("#reason-list tbody tr")
    shown = [[td.get_text(" ", strip=True) for td in tr.select("td")[:4]] for tr in rows]
    expected = [
        [label, "Plans" if applies == "plan" else "Advice", str(order), "Offered"]
        for order, (_code, label, applies) in enumerate(DEFAULT_REASONS, start=1)
    ]
    assert shown == expected


@freeze_time("2024-10-01 09:00:00")
def test_adding_a_reason_offers_it_when_work_is_sent_back(make, client_for):
    admin = client_for(Role.ADMIN)
    assert admin.page(f"{LIST}/new").select_one("input[name=label]") is not None
    form = {"label": "  Plan not  in plain English ", "applies_to": "plan", "display_order": "8"}
    response = admin.post(f"{LIST}/new", form)
    assert response.status_code == 303
    assert response.headers["Location"] == LIST
    reason = _reason("Plan not in plain English")
    assert (reason.applies_to, reason.display_order, reason.code) == (
        "plan",
        8,
        "plan_not_in_plain_english",
    )
    assert _events("sendback_reason_added") == [
        (reason.id, "code=plan_not_in_plain_english applies_to=plan")
    ]
    allocation = make.allocation(
        work_type="plan_writing", status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 1)
    )
    manager = client_for(Role.MANAGER)
    labels = [
        label.get_text(strip=True)
        for label in manager.page(f"/allocations/{allocation.id}").select(
            "input[name=amend-reasons] + label"
        )
    ]
    assert labels[-1] == "Plan not in plain English"
    # The same words again for the same work: refused; for advice they are another reason.
    again = admin.post(f"{LIST}/new", {**form, "label": "plan not in plain english"})
    assert again.status_code == 200
    assert _errors(admin.soup(again)) == [
        ("There is already a reason ‘plan not in plain english’ for this work", "#label")
    ]
    advice = admin.post(f"{LIST}/new", {**form, "applies_to": "advice"})
    assert advice.status_code == 303
    assert _reason("Plan not in plain English", "plan").code == "plan_not_in_plain_english"
    codes = set(db.session.scalars(select(SendBackReason.code)))
    assert "plan_not_in_plain_english_2" in codes


@pytest.mark.parametrize(
    ("changes", "message", "href"),
    [
        ({"label": ""}, "Enter the reason", "#label"),
        ({"label": "x" * 201}, "The reason must be 200 characters or fewer", "#label"),
        ({"applies_to": ""}, "Select whether the reason is for plans or advice", "#applies_to"),
        (
            {"applies_to": "both"},
            "Select whether the reason is for plans or advice",
            "#applies_to",
        ),
        (
            {"display_order": ""},
            "Enter the order as a whole number from 0 to 999",
            "#display_order",
        ),
        (
            {"display_order": "1000"},
            "Enter the order as a whole number from 0 to 999",
            "#display_order",
        ),
        (
            {"display_order": "²"},
            "Enter the order as a whole number from 0 to 999",
            "#display_order",
        ),
    ],
)
def test_validation_errors_save_nothing(client_for, changes, message, href):
    admin = client_for(Role.ADMIN)
    before = len(DEFAULT_REASONS)
    form = {"label": "Too long", "applies_to": "advice", "display_order": "3", **changes}
    response = admin.post(f"{LIST}/new", form)
    assert response.status_code == 200
    soup = admin.soup(response)
    assert _errors(soup) == [(message, href)]
    assert soup.title.get_text().startswith("Error: ")
    assert len(db.session.scalars(select(SendBackReason)).all()) == before


def test_changing_a_reason(client_for):
    admin = client_for(Role.ADMIN)
    reason = _reason("Placement wording")
    url = f"{LIST}/{reason.id}"
    page = admin.page(url)
    assert page.select_one("input[name=label]")["value"] == "Placement wording"
    assert page.select_one("input[name=applies_to][value=plan]").has_attr("checked")
    assert page.select_one("input[name=display_order]")["value"] == "7"
    form = {"label": "Placement wording is unclear", "applies_to": "plan", "display_order": "2"}
    response = admin.post(url, form)
    assert response.status_code == 303
    changed = _reason("Placement wording is unclear")
    assert (changed.id, changed.code, changed.display_order) == (reason.id, "placement_wording", 2)
    assert _events("sendback_reason_changed") == [(reason.id, "fields=label,display_order")]
    # Taking another reason's words for the same work is refused.
    clash = admin.post(url, {**form, "label": "Outcomes are not SMART"})
    assert clash.status_code == 200
    assert "There is already a reason" in clash.get_data(as_text=True)
    assert admin.get(f"{LIST}/999999").status_code == 404


@freeze_time("2024-10-01 09:00:00")
def test_retiring_and_reinstating(make, client_for):
    admin = client_for(Role.ADMIN)
    reason = _reason("Late evidence was not considered")
    allocation = make.allocation(
        work_type="ep_advice", status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 1)
    )
    manager = client_for(Role.MANAGER)

    def offered() -> list[str]:
        page = manager.page(f"/allocations/{allocation.id}")
        return [label.get_text(strip=True) for label in page.select("input + label")]

    assert "Late evidence was not considered" in offered()
    response = admin.post(f"{LIST}/{reason.id}/retire", {})
    assert response.status_code == 303
    assert _reason("Late evidence was not considered").retired_on == date(2024, 10, 1)
    row = admin.page(LIST).select_one(f"#reason-{reason.id}")
    assert "Retired 1 Oct 2024" in " ".join(row.get_text(" ").split())
    assert "Late evidence was not considered" not in offered()
    edit = admin.page(f"{LIST}/{reason.id}")
    assert "retired on 1 October 2024" in edit.select_one("#retired-note").get_text()
    # Retiring twice records once; the row is kept, never deleted.
    admin.post(f"{LIST}/{reason.id}/retire", {})
    assert _events("sendback_reason_retired") == [(reason.id, "code=late_evidence")]
    response = admin.post(f"{LIST}/{reason.id}/reinstate", {})
    assert response.status_code == 303
    assert _reason("Late evidence was not considered").retired_on is None
    assert "Late evidence was not considered" in offered()
    assert _events("sendback_reason_reinstated") == [(reason.id, "code=late_evidence")]
    assert admin.post(f"{LIST}/999999/retire", {}).status_code == 404


@pytest.mark.parametrize("role", [Role.MANAGER, Role.MONITOR, Role.PROVIDER_ADMIN])
def test_only_administrators_keep_the_list(make, client_for, role):
    provider = make.provider() if role.is_provider else None
    someone = client_for(role, provider=provider)
    reason = _reason("Outcomes are not SMART")
    assert someone.get(LIST).status_code == 403
    assert someone.post(f"{LIST}/{reason.id}/retire", {}).status_code == 403
    form = {"label": "Sneaky", "applies_to": "plan", "display_order": "1"}
    assert someone.post(f"{LIST}/new", form).status_code == 403
    assert _reason("Outcomes are not SMART").retired_on is None
    assert db.session.scalar(select(SendBackReason).where(SendBackReason.label == "Sneaky")) is None
