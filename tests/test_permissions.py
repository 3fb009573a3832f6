"""Every route declares a policy, and every route answers every role as the table says."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from flask import Flask

from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, Notification, OutboxMessage, Role, User
from provider_portal.models.notifications import JOB_DONE, BackgroundJob
from provider_portal.permissions import POLICIES
from tests.files import PDF_BYTES
from tests.helpers import PortalClient
from tests.papers import shared_paper

# Who asks: the roles, with provider P's users and a user of another provider Q.
WHO = ["anonymous", "admin", "manager", "monitor", "p_admin", "p_practitioner", "q_admin"]
COUNCIL_ONLY = {
    "admin": 200,
    "manager": 200,
    "monitor": 403,
    "p_admin": 403,
    "p_practitioner": 403,
    "q_admin": 403,
    "anonymous": 302,
}
REPORTS = {**COUNCIL_ONLY, "monitor": 200}
PROVIDER_OWN = {
    "admin": 403,
    "manager": 403,
    "monitor": 403,
    "p_admin": 200,
    "p_practitioner": 200,
    "q_admin": 404,
    "anonymous": 302,
}
PROVIDER_LIST = {**PROVIDER_OWN, "q_admin": 200}
PROVIDER_ADMIN_OWN = {**PROVIDER_OWN, "p_practitioner": 403}
ADMIN_ONLY = {**COUNCIL_ONLY, "manager": 403}
# Button-only forms act on an empty POST: the administrator's changes are undone by the row
# after (deactivate, then reactivate), so the rest of the table sees the same world.
ADMIN_ACTS = {**ADMIN_ONLY, "admin": 303}
TEAM_OWN = {**PROVIDER_OWN, "p_practitioner": 403}
TEAM_LIST = {**TEAM_OWN, "q_admin": 200}
TEAM_ACTS = {**TEAM_OWN, "p_admin": 303}
SIGNED_IN = {**{w: 200 for w in WHO}, "anonymous": 302}

# (endpoint, method) -> {who: status}. POSTs carry a valid CSRF token and an empty form, so
# allowed roles see the form again with errors (200) and nothing changes.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("auth.home", "GET"): {w: 302 for w in WHO},
    ("auth.sign_in", "GET"): {**{w: 302 for w in WHO}, "anonymous": 200},
    ("auth.sign_in", "POST"): {**{w: 302 for w in WHO}, "anonymous": 200},
    ("auth.sign_out", "POST"): {**{w: 303 for w in WHO}, "anonymous": 302},
    # The second sign-in step and setting up two-factor: nobody here is part way through
    # signing in, so the signed in are sent home and the rest to sign in.
    ("auth.two_factor", "GET"): {w: 302 for w in WHO},
    ("auth.two_factor", "POST"): {w: 302 for w in WHO},
    ("auth.recovery_code", "GET"): {w: 302 for w in WHO},
    ("auth.recovery_code", "POST"): {w: 302 for w in WHO},
    ("auth.set_up_two_factor", "GET"): {w: 302 for w in WHO},
    ("auth.set_up_two_factor", "POST"): {w: 302 for w in WHO},
    # Everyone's own two-factor page; new recovery codes only once two-factor is on.
    ("auth.account_two_factor", "GET"): {**{w: 200 for w in WHO}, "anonymous": 302},
    ("auth.account_two_factor", "POST"): {**{w: 200 for w in WHO}, "anonymous": 302},
    ("auth.replace_recovery_codes", "POST"): {w: 302 for w in WHO},
    ("cases.index", "GET"): COUNCIL_ONLY,
    # The search box is posted; an empty search goes to the list's shareable URL.
    ("cases.index", "POST"): {**COUNCIL_ONLY, "admin": 303, "manager": 303},
    ("cases.board", "GET"): COUNCIL_ONLY,
    ("cases.board", "POST"): {**COUNCIL_ONLY, "admin": 303, "manager": 303},
    ("cases.bulk_check", "POST"): COUNCIL_ONLY,
    # An empty form keeps the selection as it was and goes back to the board.
    ("cases.board_selection", "POST"): {**COUNCIL_ONLY, "admin": 303, "manager": 303},
    # The home pages: the council's, and each provider's own.
    ("home.manager", "GET"): COUNCIL_ONLY,
    ("provider.home", "GET"): PROVIDER_LIST,
    ("home.accessibility", "GET"): {w: 200 for w in WHO},
    ("cases.bulk_confirm", "POST"): {**COUNCIL_ONLY, "admin": 400, "manager": 400},
    ("cases.show", "GET"): COUNCIL_ONLY,
    ("cases.allocate_work", "POST"): COUNCIL_ONLY,
    # The empty form has no nonce: it was not sent from the case page (a 400, nothing saved).
    ("cases.record_outcome", "POST"): {**COUNCIL_ONLY, "admin": 400, "manager": 400},
    ("cases.record_case_exception", "POST"): COUNCIL_ONLY,
    # Case papers (paper_id is on P's case and shared with P's allocation): adding one with
    # an empty form shows its errors; sharing with open work that has it already changes
    # nothing; un-sharing is a change, undone by the sharing after it.
    ("cases.add_case_paper", "POST"): COUNCIL_ONLY,
    ("cases.download_case_paper", "GET"): COUNCIL_ONLY,
    ("cases.unshare_case_paper", "POST"): {**COUNCIL_ONLY, "admin": 303, "manager": 303},
    ("cases.share_case_paper", "POST"): {**COUNCIL_ONLY, "admin": 303, "manager": 303},
    # Family letters: the empty form comes back with its errors; letter_id is on P's case.
    ("cases.produce_family_letter", "POST"): COUNCIL_ONLY,
    ("cases.download_family_letter", "GET"): COUNCIL_ONLY,
    ("cases.letter_sent_by", "GET"): COUNCIL_ONLY,
    ("cases.letter_sent_by", "POST"): COUNCIL_ONLY,
    ("cases.new_case", "GET"): COUNCIL_ONLY,
    ("cases.new_case", "POST"): COUNCIL_ONLY,
    ("cases.edit_case", "GET"): COUNCIL_ONLY,
    ("cases.edit_case", "POST"): COUNCIL_ONLY,
    ("cases.edit_contacts", "GET"): COUNCIL_ONLY,
    # Every contact is optional, so the empty form is only refused for its missing nonce.
    ("cases.edit_contacts", "POST"): {**COUNCIL_ONLY, "admin": 400, "manager": 400},
    ("cases.import_cases", "GET"): COUNCIL_ONLY,
    ("cases.import_cases", "POST"): COUNCIL_ONLY,
    # The columns step needs the header row the upload step sent: without it, a 400.
    ("cases.import_columns", "POST"): {**COUNCIL_ONLY, "admin": 400, "manager": 400},
    # The manager's own import; anyone else's is not found.
    ("cases.import_progress", "GET"): {**COUNCIL_ONLY, "admin": 404},
    ("allocations.index", "GET"): COUNCIL_ONLY,
    ("allocations.show", "GET"): COUNCIL_ONLY,
    ("allocations.accept_work", "POST"): COUNCIL_ONLY,
    ("allocations.send_back", "POST"): COUNCIL_ONLY,
    ("allocations.download", "GET"): COUNCIL_ONLY,
    ("allocations.withdraw_work", "POST"): COUNCIL_ONLY,
    # Question threads: the council answers; P's users ask on P's work, Q's get a 404.
    ("allocations.answer", "POST"): COUNCIL_ONLY,
    ("provider.ask", "POST"): PROVIDER_OWN,
    ("provider.allocations", "GET"): PROVIDER_LIST,
    ("provider.show", "GET"): PROVIDER_OWN,
    ("provider.upload", "POST"): PROVIDER_OWN,
    # P's allocation has a document, so P's users can return it: the one change allowed here.
    ("provider.return_work", "POST"): {**PROVIDER_OWN, "p_admin": 303, "p_practitioner": 303},
    ("provider.download", "GET"): PROVIDER_OWN,
    ("provider.download_paper", "GET"): PROVIDER_OWN,
    # The provider's answer and assignment: P's administrator only (P's allocation is already
    # accepted, so the empty form comes back with an error and nothing changes).
    ("provider.accept_allocation", "POST"): PROVIDER_ADMIN_OWN,
    ("provider.decline_allocation", "POST"): PROVIDER_ADMIN_OWN,
    ("provider.assign_allocation", "POST"): PROVIDER_ADMIN_OWN,
    ("reports.index", "GET"): REPORTS,
    ("reports.monthly", "GET"): REPORTS,
    ("reports.monthly_csv", "GET"): REPORTS,
    ("reports.compliance", "GET"): REPORTS,
    ("reports.compliance_csv", "GET"): REPORTS,
    ("reports.compliance_chart", "GET"): REPORTS,
    ("reports.pack", "GET"): REPORTS,
    ("reports.pack_csv", "GET"): REPORTS,
    ("reports.pack_xlsx", "GET"): REPORTS,
    ("reports.pack_chart", "GET"): REPORTS,
    ("reports.providers", "GET"): REPORTS,
    ("reports.providers_csv", "GET"): REPORTS,
    ("reports.providers_stages_csv", "GET"): REPORTS,
    ("reports.providers_chart", "GET"): REPORTS,
    ("reports.spend", "GET"): REPORTS,
    ("reports.spend_csv", "GET"): REPORTS,
    ("reports.foi", "GET"): REPORTS,
    ("reports.foi_csv", "GET"): REPORTS,
    ("reports.sen2", "GET"): REPORTS,
    ("reports.sen2_csv", "GET"): REPORTS,
    ("reports.sen2_validation_csv", "GET"): REPORTS,
    # Contracts: monitoring reads them; administrators and managers let and change them
    # (contract_id is P's contract; the empty POSTs come back with errors, changing nothing).
    ("contracts.index", "GET"): REPORTS,
    ("contracts.show", "GET"): REPORTS,
    ("contracts.new", "GET"): COUNCIL_ONLY,
    ("contracts.new", "POST"): COUNCIL_ONLY,
    ("contracts.edit", "GET"): COUNCIL_ONLY,
    ("contracts.edit", "POST"): COUNCIL_ONLY,
    ("contracts.new_price", "GET"): COUNCIL_ONLY,
    ("contracts.new_price", "POST"): COUNCIL_ONLY,
    ("contracts.new_variation", "GET"): COUNCIL_ONLY,
    ("contracts.new_variation", "POST"): COUNCIL_ONLY,
    ("contracts.turnarounds", "GET"): COUNCIL_ONLY,
    ("contracts.turnarounds", "POST"): COUNCIL_ONLY,
    # The audit trail: administrators only.
    ("audit_log.index", "GET"): {**COUNCIL_ONLY, "manager": 403},
    ("audit_log.export", "GET"): {**COUNCIL_ONLY, "manager": 403},
    # A person's own account. The links here carry a made-up token: the one generic 404.
    ("accounts.accept_invitation", "GET"): {w: 404 for w in WHO},
    ("accounts.accept_invitation", "POST"): {w: 404 for w in WHO},
    ("accounts.forgotten_password", "GET"): {w: 200 for w in WHO},
    ("accounts.forgotten_password", "POST"): {w: 200 for w in WHO},
    ("accounts.password_reset_sent", "GET"): {w: 200 for w in WHO},
    ("accounts.reset_password", "GET"): {w: 404 for w in WHO},
    ("accounts.reset_password", "POST"): {w: 404 for w in WHO},
    ("accounts.change_password", "GET"): SIGNED_IN,
    ("accounts.change_password", "POST"): SIGNED_IN,
    # Administration of accounts and providers (user_id is P's practitioner, provider_id P).
    ("admin.users", "GET"): ADMIN_ONLY,
    ("admin.invite_user", "GET"): ADMIN_ONLY,
    ("admin.invite_user", "POST"): ADMIN_ONLY,
    ("admin.user", "GET"): ADMIN_ONLY,
    ("admin.deactivate_user", "GET"): ADMIN_ONLY,
    ("admin.deactivate_user", "POST"): ADMIN_ACTS,
    ("admin.reactivate_user", "POST"): ADMIN_ACTS,
    ("admin.resend_invitation", "POST"): ADMIN_ACTS,  # has a password: a notice, no change
    ("admin.reset_two_factor", "GET"): ADMIN_ONLY,
    ("admin.reset_two_factor", "POST"): ADMIN_ACTS,
    ("admin.providers", "GET"): ADMIN_ONLY,
    ("admin.add_provider", "GET"): ADMIN_ONLY,
    ("admin.add_provider", "POST"): ADMIN_ONLY,
    ("admin.provider", "GET"): ADMIN_ONLY,
    ("admin.deactivate_provider", "GET"): ADMIN_ONLY,
    ("admin.deactivate_provider", "POST"): ADMIN_ACTS,
    ("admin.reactivate_provider", "POST"): ADMIN_ACTS,
    ("admin.work_types", "GET"): ADMIN_ONLY,
    ("admin.work_type", "GET"): ADMIN_ONLY,
    ("admin.work_type", "POST"): ADMIN_ONLY,
    ("admin.sendback_reasons", "GET"): ADMIN_ONLY,
    ("admin.add_sendback_reason", "GET"): ADMIN_ONLY,
    ("admin.add_sendback_reason", "POST"): ADMIN_ONLY,
    ("admin.sendback_reason", "GET"): ADMIN_ONLY,
    ("admin.sendback_reason", "POST"): ADMIN_ONLY,
    ("admin.retire_sendback_reason", "POST"): ADMIN_ACTS,
    ("admin.reinstate_sendback_reason", "POST"): ADMIN_ACTS,
    ("admin.letter_templates_list", "GET"): ADMIN_ONLY,
    ("admin.letter_template_edit", "GET"): ADMIN_ONLY,
    ("admin.letter_template_edit", "POST"): ADMIN_ONLY,
    # The email outbox (message_id is a failed message to P's administrator): sending it
    # again is a change, allowed to administrators only.
    ("admin.outbox", "GET"): ADMIN_ONLY,
    ("admin.send_outbox_message_again", "POST"): ADMIN_ACTS,
    # A provider administrator's own team: Q's administrator gets 404 for P's practitioner.
    ("admin.team", "GET"): TEAM_LIST,
    ("admin.invite_practitioner", "GET"): TEAM_LIST,
    ("admin.invite_practitioner", "POST"): TEAM_LIST,
    ("admin.team_member", "GET"): TEAM_OWN,
    ("admin.deactivate_team_member", "GET"): TEAM_OWN,
    ("admin.deactivate_team_member", "POST"): TEAM_ACTS,
    ("admin.reactivate_team_member", "POST"): TEAM_ACTS,
    ("admin.resend_team_invitation", "POST"): TEAM_ACTS,
    # The team mailbox: each provider administrator their own organisation's. The empty form
    # removes a mailbox that was never set: nothing changes.
    ("admin.team_mailbox", "GET"): TEAM_LIST,
    ("admin.team_mailbox", "POST"): {**TEAM_LIST, "p_admin": 303, "q_admin": 303},
    # Everyone's own notifications. notification_id is the manager's: anyone else's is 404.
    ("notifications.index", "GET"): SIGNED_IN,
    ("notifications.mark_all", "POST"): {**{w: 303 for w in WHO}, "anonymous": 302},
    ("notifications.open_notification", "POST"): {
        **{w: 404 for w in WHO},
        "manager": 303,
        "anonymous": 302,
    },
    # The empty form misses every choice (200 with errors); a monitor has none to make.
    ("notifications.settings", "GET"): SIGNED_IN,
    ("notifications.settings", "POST"): {**SIGNED_IN, "monitor": 303},
}
PUBLIC_FILES = {
    "static",
    "assets.govuk_assets",
    "assets.vendor",
    "assets.brand_css",
    "assets.council_logo",
}


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return found


def test_every_endpoint_declares_a_known_policy(app):
    for endpoint, view in app.view_functions.items():
        policy = getattr(view, "policy", None)
        assert policy in POLICIES, f"{endpoint} has no declared policy"


def test_every_route_is_in_the_expectations_table(app):
    routes = {r for r in _routes(app) if r[0] not in PUBLIC_FILES}
    assert routes == set(EXPECTED), (
        f"missing from table: {routes - set(EXPECTED)}; stale: {set(EXPECTED) - routes}"
    )


def test_file_routes_are_the_only_public_ones(app):
    public = {e for e, v in app.view_functions.items() if v.policy == "public"}
    assert public == PUBLIC_FILES | {
        "auth.sign_in",
        "auth.two_factor",
        "auth.recovery_code",
        "auth.set_up_two_factor",
        "accounts.accept_invitation",
        "accounts.forgotten_password",
        "accounts.password_reset_sent",
        "accounts.reset_password",
        "home.accessibility",
    }


@pytest.fixture
def world(app, make, client_for):
    """Provider P's case, allocation (accepted by P, assigned to P's practitioner) and document;
    users for every role."""
    p = make.provider("Provider P")
    q = make.provider("Provider Q")
    case = make.case()
    p_practitioner = make.user(Role.PRACTITIONER, provider=p)
    allocation = make.allocation(
        case=case,
        provider=p,
        provider_accepted_on=date(2024, 8, 2),
        assigned_to_id=p_practitioner.id,
    )
    p_admin = make.user(Role.PROVIDER_ADMIN, provider=p)
    uploader = client_for(p_admin)
    response = uploader.post(
        f"/provider/allocations/{allocation.id}/documents",
        {"upload-document": (io.BytesIO(PDF_BYTES), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    from sqlalchemy import select

    from provider_portal.models import Document, FamilyLetter

    document = db.session.scalar(select(Document))
    letter = FamilyLetter(
        case_id=case.id,
        kind="work_accepted",
        allocation_id=allocation.id,
        title="Who is preparing your child's advice",
        body="Dear parent or carer,",
        produced_on=date(2024, 8, 3),
        sent_by="post",
    )
    db.session.add(letter)
    db.session.commit()
    users = {
        "admin": make.user(Role.ADMIN),
        "manager": make.user(Role.MANAGER),
        "monitor": make.user(Role.MONITOR),
        "p_admin": p_admin,
        "p_practitioner": p_practitioner,
        "q_admin": make.user(Role.PROVIDER_ADMIN, provider=q),
    }
    paper = shared_paper(allocation, users["manager"])
    notification = Notification(
        user_id=users["manager"].id, kind="work_returned", allocation_id=allocation.id
    )
    db.session.add(notification)
    message = OutboxMessage(
        user_id=p_admin.id, to_address=p_admin.email, template="work_allocated", status="failed"
    )
    db.session.add(message)
    db.session.commit()
    ids = {
        "case_id": case.id,
        "allocation_id": allocation.id,
        "document_id": document.id,
        "paper_id": paper.id,
        "user_id": users["p_practitioner"].id,
        "provider_id": p.id,
        "token": "not-a-real-token",
        "contract_id": make.contract(provider=p, reference="CON-P").id,
        "chart": "backlog",
        "work_type_id": make.work_type("ep_advice").id,
        "reason_id": make.reason("outcomes_not_smart").id,
        "kind": "remove",
        "letter_id": letter.id,
        "fmt": "pdf",
        "letter_kind": "work_accepted",
        "notification_id": notification.id,
        "message_id": message.id,
        "job_id": _finished_import(users["manager"]),
    }
    return users, ids, allocation


def _finished_import(user: User) -> int:
    job = BackgroundJob(
        kind="import_cases",
        status=JOB_DONE,
        started_by_id=user.id,
        result=json.dumps({"outcome": "imported", "summary": "Imported 1 case: 1 new, 0 updated"}),
    )
    db.session.add(job)
    db.session.commit()
    return job.id


def _url(app: Flask, endpoint: str, ids: dict[str, int]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: v for k, v in ids.items() if k in rule.arguments})


@pytest.mark.parametrize("who", WHO)
def test_access_matrix(app, world, who):
    users, ids, allocation = world
    client = PortalClient(app)
    if who != "anonymous":
        client.sign_in(users[who])
    failures = []
    # Sign-out last: it ends the session the other requests use.
    for (endpoint, method), expected in sorted(
        EXPECTED.items(), key=lambda i: i[0][0] == "auth.sign_out"
    ):
        url = _url(app, endpoint, ids)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, {})
        if response.status_code != expected[who]:
            failures.append(
                f"{method} {endpoint}: {response.status_code}, expected {expected[who]}"
            )
    assert not failures, "\n".join(failures)
    db.session.refresh(allocation)
    expected_status = (
        AllocationStatus.RETURNED if who.startswith("p_") else AllocationStatus.ALLOCATED
    )
    assert allocation.status is expected_status  # denied roles changed nothing


def test_other_provider_gets_identical_404_for_real_and_missing_ids(app, world, client_for):
    users, ids, _ = world
    q = client_for(users["q_admin"])
    real = q.get(f"/provider/allocations/{ids['allocation_id']}")
    missing = q.get("/provider/allocations/999999")
    assert real.status_code == missing.status_code == 404

    def normalised(response):  # the nonce and token differ per request by design
        text = re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))
        # The token (in hx-headers, HTML-escaped, and in the sign-out form) carries a
        # timestamp: two requests in different seconds get different ones.
        text = re.sub(r"X-CSRFToken(\"|&#34;): (\"|&#34;)[^\"&]+", "", text)
        return re.sub(r'(id|name)="csrf_token"[^>]*value="[^"]+"', "", text)

    assert normalised(real) == normalised(missing)
    assert q.get(f"/provider/documents/{ids['document_id']}").status_code == 404
    paper_url = f"/provider/allocations/{ids['allocation_id']}/papers/{ids['paper_id']}"
    assert q.get(paper_url).status_code == 404


def test_anonymous_htmx_request_gets_401_with_redirect(client, world):
    response = client.get("/cases", htmx=True)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/sign-in"


def test_post_without_csrf_token_is_refused(client_for, world):
    users, ids, allocation = world
    manager = client_for(users["manager"])
    response = manager.post(
        f"/allocations/{ids['allocation_id']}/amendment", {"amend-comment": "x"}, csrf=False
    )
    assert response.status_code == 400
    response = manager.post(
        f"/allocations/{ids['allocation_id']}/amendment",
        {"amend-comment": "x"},
        htmx=True,
        csrf=False,
    )
    assert response.status_code == 400


def test_htmx_post_with_csrf_header_is_accepted(client_for, make):
    case = make.case()
    provider = make.provider()
    manager = client_for(Role.MANAGER)
    response = manager.post(
        f"/cases/{case.id}/allocations",
        {"work_type": "ep_advice", "provider": str(provider.id)},
        htmx=True,
    )
    assert response.status_code == 200
    assert "allocated to" in response.get_data(as_text=True)
