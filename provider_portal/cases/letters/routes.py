"""Producing a family letter from the case page, and downloading it as a PDF or a DOCX."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.cases.letters.forms import LetterForm, SentByForm
from provider_portal.cases.letters.services import (
    case_letter,
    change_sent_by,
    letter_for_download,
    produce_letter,
)
from provider_portal.cases.routes import case_or_404, case_page
from provider_portal.errors import LetterError, Resubmitted
from provider_portal.extensions import db
from provider_portal.forms import posted_nonce
from provider_portal.letters import letter_docx, letter_filename, letter_pdf
from provider_portal.models import LETTER_KINDS
from provider_portal.permissions import requires
from provider_portal.web import attachment, redirect_after_post, render

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/<int:case_id>/letters", methods=["POST"])
@requires("record_cases")
def produce_family_letter(case_id: int) -> Response:
    """Record a family letter on the case, to download from the case page."""
    case = case_or_404(case_id)
    form = LetterForm(prefix="letter")
    if form.validate_on_submit():
        try:
            produce_letter(
                case,
                form.subject.data or "",
                form.sent_by.data or "",
                actor=current_user,
                nonce=posted_nonce(form.nonce),
            )
            db.session.commit()
        except Resubmitted:
            db.session.rollback()  # recorded the first time: answered as the first time
        except LetterError as error:
            db.session.rollback()
            getattr(form, error.field or "subject").errors = [error.message]
            return case_page(case_or_404(case_id), letter_form=form)
        flash("Letter produced: download it under Family letters", "success")
        return redirect_after_post(url_for("cases.show", case_id=case_id) + "#letters")
    return case_page(case, letter_form=form)


@bp.route("/<int:case_id>/letters/<int:letter_id>.<any(pdf, docx):fmt>")
@requires("view_cases")
def download_family_letter(case_id: int, letter_id: int, fmt: str) -> Response:
    """One of the case's letters as produced, as a PDF or a Word document (audited)."""
    case = case_or_404(case_id)
    try:
        text = letter_for_download(case.id, letter_id, fmt, actor=current_user)
    except LetterError:
        abort(404)
    db.session.commit()  # the download is recorded before the letter leaves the portal
    filename = letter_filename(case.case_ref, letter_id, fmt)
    if fmt == "pdf":
        return attachment(letter_pdf(text), "application/pdf", filename)
    return attachment(letter_docx(text), DOCX_TYPE, filename)


@bp.route("/<int:case_id>/letters/<int:letter_id>/sent-by", methods=["GET", "POST"])
@requires("record_cases")
def letter_sent_by(case_id: int, letter_id: int) -> Response:
    """Change how a letter already produced went to the family (audited)."""
    case = case_or_404(case_id)
    try:
        letter = case_letter(case.id, letter_id)
    except LetterError:
        abort(404)
    form = SentByForm()
    if form.validate_on_submit():
        try:
            change_sent_by(letter, form.sent_by.data or "", actor=current_user)
        except LetterError as error:
            db.session.rollback()
            form.sent_by.errors = [error.message]
        else:
            db.session.commit()
            flash("How the letter was sent is saved", "success")
            return redirect_after_post(url_for("cases.show", case_id=case_id) + "#letters")
    elif not form.is_submitted():
        form.sent_by.data = letter.sent_by
    return render(
        "cases/letters/sent_by.html",
        form=form,
        case=case,
        letter=letter,
        kind_label=LETTER_KINDS.get(letter.kind, letter.kind),
    )
