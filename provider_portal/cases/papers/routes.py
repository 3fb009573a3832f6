"""Case papers on the case page: add, download, share with open work, stop sharing."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.cases.papers.forms import PaperForm
from provider_portal.cases.routes import case_or_404, case_page
from provider_portal.errors import PaperError, PortalError, Resubmitted, Unavailable
from provider_portal.extensions import db
from provider_portal.forms import posted_nonce
from provider_portal.models import Allocation, CasePaper
from provider_portal.papers.services import (
    add_paper,
    case_paper,
    open_paper,
    record_refused_paper,
    share_with_open_work,
    unshare,
)
from provider_portal.permissions import requires
from provider_portal.web import redirect_after_post, serve_document


def _papers_section(case_id: int, message: str) -> Response:
    flash(message, "success")
    return redirect_after_post(url_for("cases.show", case_id=case_id) + "#case-papers")


def _paper_or_404(case_id: int, paper_id: int) -> CasePaper:
    paper = case_paper(case_id, paper_id)
    if paper is None:
        abort(404)
    return paper


@bp.route("/<int:case_id>/papers", methods=["POST"])
@requires("record_cases")
def add_case_paper(case_id: int) -> Response:
    """Add a paper to the case: checked and scanned like a provider's upload (audited)."""
    case = case_or_404(case_id)
    form = PaperForm(prefix="paper")
    if form.validate_on_submit():
        upload = form.file.data
        try:
            add_paper(
                case,
                form.kind.data or "",
                form.title.data,
                upload.stream,
                upload.filename,
                actor=current_user,
                nonce=posted_nonce(form.nonce),
            )
            db.session.commit()
        except Resubmitted:
            db.session.rollback()  # saved the first time: answered as the first time
        except PortalError as error:
            db.session.rollback()
            record_refused_paper(case, error, actor=current_user)
            db.session.commit()
            if isinstance(error, Unavailable):
                raise
            form[error.field or "file"].errors = [error.message]
            return case_page(case_or_404(case_id), paper_form=form)
        return _papers_section(case_id, "Paper added to the case")
    return case_page(case, paper_form=form)


@bp.route("/<int:case_id>/papers/<int:paper_id>")
@requires("view_cases")
def download_case_paper(case_id: int, paper_id: int) -> Response:
    """Download one of the case's papers (audited)."""
    paper = _paper_or_404(case_id, paper_id)
    return serve_document(paper, lambda found: open_paper(found, None))


def _problem(case_id: int, error: PaperError) -> Response:
    db.session.rollback()
    return case_page(
        case_or_404(case_id), papers_problem={"text": error.message, "href": "#case-papers"}
    )


@bp.route("/<int:case_id>/papers/<int:paper_id>/share", methods=["POST"])
@requires("allocate")
def share_case_paper(case_id: int, paper_id: int) -> Response:
    """Share a paper with every piece of open work on the case that does not have it."""
    paper = _paper_or_404(case_id, paper_id)
    try:
        shared = share_with_open_work(paper, actor=current_user)
    except PaperError as error:
        return _problem(case_id, error)
    db.session.commit()
    count = len(shared)
    if not count:
        return _papers_section(case_id, "All the open work on this case has that paper already")
    noun = "piece" if count == 1 else "pieces"
    return _papers_section(case_id, f"Paper shared with {count} {noun} of open work")


@bp.route("/<int:case_id>/papers/<int:paper_id>/work/<int:allocation_id>/unshare", methods=["POST"])
@requires("allocate")
def unshare_case_paper(case_id: int, paper_id: int, allocation_id: int) -> Response:
    """Stop sharing a paper with one piece of work: the provider's access ends at once."""
    paper = _paper_or_404(case_id, paper_id)
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or allocation.case_id != case_id:
        abort(404)
    try:
        unshare(allocation, paper, actor=current_user)
    except PaperError as error:
        return _problem(case_id, error)
    db.session.commit()
    return _papers_section(
        case_id, f"The paper is no longer shared with {allocation.provider.name}"
    )
