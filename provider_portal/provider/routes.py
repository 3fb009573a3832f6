"""A provider's allocations: see them, download papers, upload work, return it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.allocations.forms import AllocationFilterForm
from provider_portal.allocations.queries import filtered, page_of
from provider_portal.allocations.services import AllocationError, record_return
from provider_portal.documents import IntegrityFailure, UploadRejected, send_document
from provider_portal.extensions import db
from provider_portal.models import Allocation, Document
from provider_portal.permissions import (
    provider_allocation_or_404,
    provider_allocations,
    provider_document_or_404,
    requires,
)
from provider_portal.provider import bp
from provider_portal.provider.forms import ReturnForm, UploadForm
from provider_portal.provider.services import add_document
from provider_portal.web import page_number, redirect_after_post, render, wants_fragment


@bp.route("/allocations")
@requires("provider_work")
def allocations() -> Response:
    """The organisation's allocations, newest first, filterable by status."""
    form = AllocationFilterForm(request.args)
    form.provider.choices = [("", "")]
    form.work_type.choices = [("", "")]
    query = filtered(provider_allocations(), status=form.status.data or "")
    result = page_of(query, page_number())
    return render("provider/index.html", "provider/_results.html", form=form, result=result)


def _load(allocation_id: int) -> Allocation:
    allocation = provider_allocation_or_404(allocation_id)
    db.session.refresh(allocation)
    return allocation


def _context(allocation: Allocation, **extra: Any) -> dict[str, Any]:
    return {
        "allocation": allocation,
        "upload_form": extra.get("upload_form") or UploadForm(formdata=None, prefix="upload"),
        "return_form": extra.get("return_form") or ReturnForm(formdata=None, prefix="return"),
        "banner": extra.get("banner"),
    }


@bp.route("/allocations/<int:allocation_id>")
@requires("provider_work")
def show(allocation_id: int) -> Response:
    """One allocation: the child's details needed for the work, comments, uploads."""
    allocation = provider_allocation_or_404(allocation_id)
    response = render("provider/show.html", **_context(allocation))
    audit.record("allocation_viewed", "allocation", allocation_id)
    db.session.commit()
    return response


@bp.route("/allocations/<int:allocation_id>/documents", methods=["POST"])
@requires("provider_work")
def upload(allocation_id: int) -> Response:
    """Upload a version of the completed work."""
    allocation = provider_allocation_or_404(allocation_id)
    form = UploadForm(prefix="upload")
    if form.validate_on_submit():
        file = form.document.data
        try:
            add_document(allocation, file.stream, file.filename, actor=current_user)
            db.session.commit()
        except (UploadRejected, AllocationError) as error:
            db.session.rollback()
            form.document.errors = [str(error)]
        else:
            message = (
                "Document uploaded. Mark the work as returned when it is ready for the council."
            )
            if wants_fragment():
                return render(
                    "provider/show.html",
                    "provider/_work.html",
                    **_context(_load(allocation_id), banner=message),
                )
            flash(message, "success")
            return redirect_after_post(url_for("provider.show", allocation_id=allocation_id))
    return render(
        "provider/show.html",
        "provider/_work.html",
        **_context(_load(allocation_id), upload_form=form),
    )


@bp.route("/allocations/<int:allocation_id>/return", methods=["POST"])
@requires("provider_work")
def return_work(allocation_id: int) -> Response:
    """Tell the council the work is done."""
    allocation = provider_allocation_or_404(allocation_id)
    form = ReturnForm(prefix="return")
    if form.validate_on_submit():
        try:
            record_return(allocation, actor=current_user)
            db.session.commit()
        except AllocationError as error:
            db.session.rollback()
            form.submit.errors = [str(error)]
        else:
            message = "Work returned to the council"
            if wants_fragment():
                return render(
                    "provider/show.html",
                    "provider/_work.html",
                    **_context(_load(allocation_id), banner=message),
                )
            flash(message, "success")
            return redirect_after_post(url_for("provider.show", allocation_id=allocation_id))
    return render(
        "provider/show.html",
        "provider/_work.html",
        **_context(_load(allocation_id), return_form=form),
    )


@bp.route("/documents/<int:document_id>")
@requires("provider_work")
def download(document_id: int) -> Response:
    """Download one of this organisation's documents (audited)."""
    document: Document = provider_document_or_404(document_id)
    try:
        response = send_document(document)
    except IntegrityFailure:
        audit.record("document_integrity_failure", "document", document.id)
        db.session.commit()
        abort(500)
    audit.record("document_downloaded", "document", document.id)
    db.session.commit()
    return response
