"""Sending work back: one or more current reasons for its kind of work, and the comment."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.allocations.services import request_amendment
from provider_portal.errors import QualityError
from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationStatus,
    Role,
    SendBack,
    SendBackReason,
)
from provider_portal.quality.reasons import DEFAULT_REASONS
from provider_portal.quality.services import chosen_reasons

ADVICE_LABELS = [label for _code, label, applies in DEFAULT_REASONS if applies == "advice"]
PLAN_LABELS = [label for _code, label, applies in DEFAULT_REASONS if applies == "plan"]


def _returned(make, work_type: str = "plan_writing", provider=None) -> Allocation:
    return make.allocation(
        provider=provider,
        work_type=work_type,
        status=AllocationStatus.RETURNED,
        returned_on=date(2024, 8, 30),
    )


def _offered(page) -> list[str]:
    return [
        " ".join(label.get_text().split())
        for label in page.select("input[name=amend-reasons] + label")
    ]


def _sendbacks() -> int:
    return db.session.scalar(select(func.count()).select_from(SendBack)) or 0


def _errors(soup) -> list[tuple[str, str]]:
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None, "no error summary"
    return [(" ".join(a.get_text().split()), a["href"]) for a in summary.select("a")]


@pytest.mark.parametrize(
    ("work_type", "labels"),
    [("plan_writing", PLAN_LABELS), ("ep_advice", ADVICE_LABELS), ("ot_advice", ADVICE_LABELS)],
)
def test_the_reasons_offered_are_those_for_the_kind_of_work(make, client_for, work_type, labels):
    allocation = _returned(make, work_type)
    manager = client_for(Role.MANAGER)
    page = manager.page(f"/allocations/{allocation.id}")
    assert _offered(page) == labels
    legend = page.select_one("#amend-reasons").find_parent("fieldset").legend
    assert "Why is the work being sent back?" in legend.get_text()


@freeze_time("2024-09-02 10:00:00")
def test_at_least_one_reason_is_required(make, client_for):
    allocation = _returned(make)
    manager = client_for(Role.MANAGER)
    url = f"/allocations/{allocation.id}/amendment"
    response = manager.post(url, {"amend-comment": "Section F is vague"})
    assert response.status_code == 200
    soup = manager.soup(response)
    assert _errors(soup) == [("Select at least one reason", "#amend-reasons")]
    assert soup.title.get_text().startswith("Error: ")
    # What was typed is kept.
    assert soup.select_one("textarea[name=amend-comment]").get_text() == "Section F is vague"
    assert _sendbacks() == 0
    assert db.session.get(Allocation, allocation.id).status is AllocationStatus.RETURNED


@freeze_time("2024-09-02 10:00:00")
def test_reasons_and_comment_are_recorded(make, client_for):
    allocation = _returned(make)
    manager = client_for(Role.MANAGER)
    chosen = [make.reason("outcomes_not_smart"), make.reason("placement_wording")]
    response = manager.post(
        f"/allocations/{allocation.id}/amendment",
        {"amend-comment": "Quantify the hours", "amend-reasons": [str(r.id) for r in chosen]},
    )
    assert response.status_code == 303
    sendback = db.session.scalars(select(SendBack)).one()
    assert sendback.allocation_id == allocation.id
    assert sendback.requested_on == date(2024, 9, 2)
    assert sendback.comment == "Quantify the hours"
    assert sendback.requested_by_id == manager.user.id
    assert [r.code for r in sendback.reasons] == ["outcomes_not_smart", "placement_wording"]
    db.session.expire_all()
    assert db.session.get(Allocation, allocation.id).status is AllocationStatus.AMENDMENT_REQUESTED


@pytest.mark.parametrize("refused", ["retired", "other_kind", "unknown", "not_a_number"])
def test_a_reason_not_offered_is_refused(make, client_for, refused):
    allocation = _returned(make)
    retired = make.reason("views_missing")
    retired.retired_on = date(2024, 8, 1)
    db.session.commit()
    manager = client_for(Role.MANAGER)
    assert "Parental or child's views are missing" not in _offered(
        manager.page(f"/allocations/{allocation.id}")
    )
    posted = {
        "retired": str(retired.id),
        "other_kind": str(make.reason("late_evidence").id),
        "unknown": "999999",
        "not_a_number": "views_missing",
    }[refused]
    response = manager.post(
        f"/allocations/{allocation.id}/amendment",
        {
            "amend-comment": "x",
            "amend-reasons": [str(make.reason("outcomes_not_smart").id), posted],
        },
    )
    assert response.status_code == 200
    assert _errors(manager.soup(response)) == [("Select only the reasons listed", "#amend-reasons")]
    assert _sendbacks() == 0


def test_the_service_refuses_retired_and_missing_reasons(make):
    allocation = _returned(make, "ep_advice")
    with pytest.raises(QualityError, match="Select at least one reason"):
        chosen_reasons(allocation, [])
    late = make.reason("late_evidence")
    assert chosen_reasons(allocation, [late.id]) == [late]
    late.retired_on = date(2024, 1, 1)
    db.session.commit()
    with pytest.raises(QualityError, match="Select only the reasons listed"):
        chosen_reasons(allocation, [late.id])
    with pytest.raises(QualityError, match="Select only the reasons listed"):
        chosen_reasons(allocation, [make.reason("outcomes_not_smart").id])


@freeze_time("2024-09-02 10:00:00")
def test_through_htmx_the_review_panel_comes_back(make, client_for):
    allocation = _returned(make)
    manager = client_for(Role.MANAGER)
    url = f"/allocations/{allocation.id}/amendment"
    refused = manager.post(url, {"amend-comment": "x"}, htmx=True)
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    assert "<html" not in body and "Select at least one reason" in body
    reason = make.reason("needs_provision_mismatch")
    response = manager.post(
        url, {"amend-comment": "Match B to F", "amend-reasons": str(reason.id)}, htmx=True
    )
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "Work sent back to the provider for amendment" in body
    assert "Needs and provision do not match" in body and "Match B to F" in body
    assert _sendbacks() == 1


def test_the_allocation_page_lists_every_send_back(make, client_for):
    provider = make.provider("Clearwater")
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = _returned(make, provider=provider)
    allocation.assigned_to_id = practitioner.id
    db.session.commit()
    manager_user = make.user(Role.MANAGER)
    sends = [
        ("2024-09-02", "Outcomes are vague", ["outcomes_not_smart"]),
        ("2024-09-20", "Still no hours", ["provision_not_specific", "placement_wording"]),
    ]
    for day, comment, codes in sends:
        with freeze_time(f"{day} 10:00:00"):
            manager, provider_user = client_for(manager_user), client_for(practitioner)
            response = manager.post(
                f"/allocations/{allocation.id}/amendment",
                {
                    "amend-comment": comment,
                    "amend-reasons": [str(make.reason(code).id) for code in codes],
                },
            )
            assert response.status_code == 303
            # The provider sees the reasons of the latest request on their work page.
            page = provider_user.page(f"/provider/allocations/{allocation.id}")
            shown = [li.get_text(strip=True) for li in page.select("#amendment-reasons li")]
            assert shown == [make.reason(code).label for code in codes]
            assert comment in page.select_one("#amendment-comment").get_text()
            db.session.get(Allocation, allocation.id).status = AllocationStatus.RETURNED
            db.session.commit()
    manager = client_for(manager_user)
    rows = manager.page(f"/allocations/{allocation.id}").select("#sendback-table tbody tr")
    assert [[" ".join(td.get_text(" ").split()) for td in tr.select("td")] for tr in rows] == [
        ["2 September 2024", "Outcomes are not SMART", "Outcomes are vague"],
        [
            "20 September 2024",
            "Provision is not specific or quantified Placement wording",
            "Still no hours",
        ],
    ]


def test_a_send_back_without_reasons_still_shows(make, client_for):
    """The import, the CLI and migrated history give no reasons."""
    allocation = _returned(make)
    with freeze_time("2024-09-03"):
        request_amendment(allocation, "From the import", actor=None)
    db.session.commit()
    manager = client_for(Role.MANAGER)
    row = manager.page(f"/allocations/{allocation.id}").select_one("#sendback-table tbody tr")
    assert "None recorded" in row.get_text()
    assert db.session.scalar(select(func.count()).select_from(SendBackReason)) == len(
        DEFAULT_REASONS
    )


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROVIDER_ADMIN])
def test_the_work_pages_read_every_send_back_in_fixed_queries(
    make, client_for, count_queries, role
):
    """However often the work was sent back, and with however many reasons."""
    provider = make.provider()
    allocation = _returned(make, provider=provider)
    reasons = db.session.scalars(
        select(SendBackReason).where(SendBackReason.applies_to == "plan")
    ).all()
    client = client_for(role, provider=provider if role.is_provider else None)
    url = (
        f"/allocations/{allocation.id}"
        if not role.is_provider
        else f"/provider/allocations/{allocation.id}"
    )

    def send_back(times: int) -> int:
        for i in range(times):
            allocation.status = AllocationStatus.RETURNED
            request_amendment(allocation, f"Round {i}", actor=None, reasons=reasons[: 1 + i % 4])
        db.session.commit()
        client.page(url)  # warm: the first view of a page records who saw it
        count_queries.clear()
        client.page(url)
        return len(count_queries)

    assert send_back(1) == send_back(12)
