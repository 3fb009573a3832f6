"""The audit page and its CSV export: read only; nothing here edits or deletes a row."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.audit_log import bp
from provider_portal.audit_log.forms import AuditFilterForm
from provider_portal.audit_log.queries import (
    SYSTEM,
    AuditFilters,
    action_label,
    actions_in_use,
    audit_page,
    case_id_for_ref,
    people,
    providers,
)
from provider_portal.audit_log.services import export_trail
from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.forms import options
from provider_portal.permissions import requires
from provider_portal.timescales import today
from provider_portal.web import attachment, page_number, render, to_id, wants_fragment


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.person.choices = options(
        [("", "Anyone"), (SYSTEM, "The system (no person)")]
        + [(str(user_id), label) for user_id, label in people()]
    )
    form.provider.choices = options(
        [("", "Any provider")] + [(str(provider_id), name) for provider_id, name in providers()]
    )
    form.action.choices = options(
        [("", "Any action")] + [(action, action_label(action)) for action in actions_in_use()]
    )
    form.keep_known_choices()
    return form


def _filter_args() -> dict[str, list[str]]:
    """The filters of this request, for the export link and the page links."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return args


def _filters(form: AuditFilterForm) -> AuditFilters | None:
    """The filters, or None when the form has errors (then no rows are shown)."""
    if not form.validate():
        return None
    case_id = None
    case_ref = (form.case_ref.data or "").strip()
    if case_ref:
        case_id = case_id_for_ref(case_ref)
        if case_id is None:
            form.case_ref.errors = ["There is no case with that reference"]
            return None
    person = form.person.data or ""
    return AuditFilters(
        actor=SYSTEM if person == SYSTEM else to_id(person),
        case_id=case_id,
        provider_id=to_id(form.provider.data),
        action=form.action.data or None,
        first_day=form.date_from.data,
        last_day=form.date_to.data,
    )


@bp.route("/audit")
@requires("view_audit")
def index() -> Response:
    """The audit trail, newest first, filtered by person, case, provider, action and dates."""
    form = _form()
    filters = _filters(form)
    result = audit_page(filters, page_number()) if filters is not None else None
    return render(
        "audit_log/index.html",
        "audit_log/_results.html",
        form=form,
        result=result,
        page_errors=form.error_list(),
        filter_args=_filter_args(),
        in_fragment=wants_fragment(),
    )


@bp.route("/audit.csv")
@requires("view_audit")
def export() -> Response:
    """The filtered trail as CSV; the export is itself audited."""
    form = _form()
    filters = _filters(form)
    if filters is not None:
        try:
            body = export_trail(filters, current_user._get_current_object())
        except ReportError as error:
            form.date_from.errors = [error.message]
        else:
            db.session.commit()
            return attachment(body, "text/csv; charset=utf-8", f"audit-{today():%Y-%m-%d}.csv")
    return render(
        "audit_log/index.html",
        form=form,
        result=None,
        page_errors=form.error_list(),
        filter_args=_filter_args(),
        in_fragment=False,
        status=400,
    )
