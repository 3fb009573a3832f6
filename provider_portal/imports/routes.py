"""Uploading a CSV or XLSX of cases or of an allocation log, and matching its columns.

When a required column cannot be matched, the upload is answered with the "Match your
columns" page: a question for each, answered from the file's headers, beside its first rows.
The file is not kept between the two steps: the page asks for it again with the answers.
Keeping it (in the instance folder, say) would put children's details on a disk outside the
import with a clean-up job to go wrong, and with two servers the second step may reach the one
that does not have it; the header row, which is all the questions need, travels in the form.
The answers are saved per person and header row (provider_portal.imports.mappings), so the next
file with the same headers goes straight through.

Once the columns are matched, the file is imported by a background job
(provider_portal.imports.jobs): the upload is answered at once with the job's progress page,
which shows how far it has got and then the answer, the summary or every problem.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import abort, flash, make_response, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.errors import Resubmitted, TabularError
from provider_portal.extensions import db
from provider_portal.forms import new_nonce, posted_nonce

# The module, not its names: the import services it uses import the blueprint packages,
# and the cases blueprint imports this module.
from provider_portal.imports import jobs as import_jobs
from provider_portal.imports.columns import (
    COLUMNS,
    ColumnMatch,
    column_named,
    match_columns,
)
from provider_portal.imports.forms import (
    KINDS,
    QUESTION_PREFIX,
    ColumnsForm,
    ImportForm,
    columns_form,
)
from provider_portal.imports.mappings import save_mapping, saved_mapping
from provider_portal.jobs import enqueue
from provider_portal.models import User
from provider_portal.models.notifications import JOB_QUEUED
from provider_portal.permissions import requires
from provider_portal.tabular import MAX_COLUMNS, Table, cell_text, read_table
from provider_portal.web import redirect_after_post, render, wants_fragment

PREVIEW_ROWS = 5  # children's details: enough to recognise a column, no more
MAX_HEADER_CHARS = 1_000


def _read_upload(upload: FileStorage) -> tuple[Table, bytes]:
    """The uploaded file's table, and its bytes for the import job to read again."""
    data = upload.stream.read()
    return read_table(io.BytesIO(data), upload.filename or ""), data


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _problem_count(count: int) -> str:
    if count == 1:
        return "The file has 1 problem. Fix it and upload the file again"
    return f"The file has {count:,} problems. Fix them and upload the file again"


def _import_page(form: ImportForm) -> Response:
    if not form.nonce.data:
        form.nonce.data = new_nonce()
    running = import_jobs.running_imports_for(_actor())
    return render("imports/import.html", form=form, columns=COLUMNS, running=running)


def _start(
    kind: str,
    data: bytes,
    file_name: str,
    mapping: dict[str, str],
    nonce: str,
    create_missing_providers: bool,
) -> Response:
    """Queue the import of the file and send the person to its progress page; the import
    page again, with the reason, if it cannot start."""
    refused = ImportForm(
        formdata=None,
        kind=kind,
        create_missing_providers=create_missing_providers,
        nonce=new_nonce(),
    )
    try:
        started = import_jobs.start_import(
            kind, _actor(), data, file_name, mapping, create_missing_providers, nonce
        )
        db.session.commit()
    except Resubmitted:
        db.session.rollback()  # imported the first time: answered as the first time
        flash("The file was imported when you first sent it", "success")
        return redirect_after_post(url_for("cases.index"))
    except import_jobs.ImportRunning as error:
        db.session.commit()  # the release of a stale job, if there was one, still stands
        refused.file.errors = [str(error)]
        return _import_page(refused)
    if started.status == JOB_QUEUED and not enqueue("import", job_id=started.id):
        import_jobs.could_not_start(started.id)
        db.session.commit()
        refused.file.errors = ["The import could not be started. Try again in a few minutes"]
        return _import_page(refused)
    return redirect_after_post(url_for("cases.import_progress", job_id=started.id))


def _needs_answers(match: ColumnMatch) -> bool:
    """Ask which column is which when that is all that stops the file: a required column is
    unmatched, nothing else is wrong with the header row, and the file has columns to offer."""
    return bool(match.missing) and not match.problems and bool(match.ignored)


def _preview(table: Table | None, headers: list[str]) -> dict[str, Any] | None:
    """The first rows of the columns on offer, one table row per column of the file."""
    if table is None:
        return None
    rows = table.rows[:PREVIEW_ROWS]
    return {
        "headings": ["Your column", *(f"Line {row.line}" for row in rows)],
        "columns": [
            (header, [cell_text(row.get(header)) or "" for row in rows]) for header in headers
        ],
    }


def _columns_page(
    form: ColumnsForm, kind: str, match: ColumnMatch, table: Table | None, status: int = 200
) -> Response:
    if not form.nonce.data:
        form.nonce.data = new_nonce()
    labels = {column.name: column.label for column in COLUMNS[kind]}
    return render(
        "imports/columns.html",
        status=status,
        form=form,
        kind_label=dict(KINDS)[kind].lower(),
        matched=[(header, labels[name]) for name, header in match.columns.items()],
        preview=_preview(table, match.ignored),
    )


def _posted_headers() -> list[str]:
    """The header row the questions were asked about, as the first step sent it, or a 400."""
    try:
        headers = json.loads(request.form.get("headers", ""))
    except ValueError:
        abort(400)
    if (
        not isinstance(headers, list)
        or not 0 < len(headers) <= MAX_COLUMNS
        or not all(isinstance(h, str) and 0 < len(h) <= MAX_HEADER_CHARS for h in headers)
    ):
        abort(400)
    return headers


@bp.route("/import", methods=["GET", "POST"])
@requires("import_data")
def import_cases() -> Response:
    """Upload a CSV or XLSX of cases or of an allocation log; all rows are saved or none."""
    if request.method == "GET":
        return _import_page(ImportForm(nonce=new_nonce()))
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form)
    nonce = posted_nonce(form.nonce)
    try:
        table, data = _read_upload(form.file.data)
    except TabularError as error:
        form.file.errors = [str(error)]
        return _import_page(form)
    kind = form.kind.data or ""
    create = bool(form.create_missing_providers.data)
    saved = saved_mapping(_actor(), kind, table.headers)
    match = match_columns(kind, table.headers, saved)
    if _needs_answers(match):
        questions = [column for name in match.missing if (column := column_named(kind, name))]
        asked = columns_form(
            questions,
            match.ignored,
            kind=kind,
            create_missing_providers="y" if create else "",
            headers=json.dumps(table.headers),
            nonce=new_nonce(),
        )
        return _columns_page(asked, kind, match, table)
    return _start(kind, data, form.file.data.filename or "", saved, nonce, create)


@bp.route("/import/columns", methods=["POST"])
@requires("import_data")
def import_columns() -> Response:
    """Say which of the file's columns is each column the portal could not match; the answers
    are remembered for files with the same headers, and the file is imported with them."""
    kind = request.form.get("kind", "")
    if kind not in COLUMNS:
        abort(400)
    headers = _posted_headers()
    actor = _actor()
    saved = saved_mapping(actor, kind, headers)
    match = match_columns(kind, headers, saved)
    questions = [column for name in match.missing if (column := column_named(kind, name))]
    form = columns_form(questions, match.ignored, formdata=True)
    answers_valid = form.validate_on_submit()
    answered: dict[str, str] = {}  # the file's header -> the label it was given as
    for column in questions:
        field = getattr(form, QUESTION_PREFIX + column.name)
        header = str(field.data or "")
        if header in answered and not field.errors:
            field.errors = [
                f'"{header}" is already the {answered[header]}. Choose a different column for each'
            ]
            answers_valid = False
        elif header:
            answered[header] = column.label.lower()
    table: Table | None = None
    data = b""
    if form.file.data:
        try:
            table, data = _read_upload(form.file.data)
        except TabularError as error:
            form.file.errors = [str(error)]
        else:
            if table.headers != headers:
                form.file.errors = [
                    "This file's columns are not the ones you are matching. Select the same "
                    "file, or start again with the new one"
                ]
                table = None
    if not answers_valid or table is None:
        return _columns_page(form, kind, match, table)
    nonce = posted_nonce(form.nonce)
    chosen = {str(getattr(form, QUESTION_PREFIX + c.name).data): c.name for c in questions}
    mapping = {**saved, **chosen}
    save_mapping(actor, kind, headers, mapping)
    db.session.commit()
    create = form.create_missing_providers.data == "y"
    name = form.file.data.filename or ""
    return _start(kind, data, name, mapping, nonce, create)


@bp.route("/import/<int:job_id>")
@requires("import_data")
def import_progress(job_id: int) -> Response:
    """How far the person's import has got, then its answer: the summary, or the problems with
    the form to upload the file again. htmx polls the count while it runs (not activity)."""
    started = import_jobs.import_job_for(job_id, _actor())
    if started is None:
        abort(404)
    progress = import_jobs.import_progress(started)
    form = ImportForm(
        formdata=None,
        kind=progress.kind,
        create_missing_providers=progress.create_missing_providers,
        nonce=new_nonce(),
    )
    count = progress.outcome.get("problem_count", 0)
    if count:
        form.file.errors = [_problem_count(count)]
    context: dict[str, Any] = {"progress": progress, "form": form, "columns": COLUMNS}
    if not wants_fragment():
        response = render("imports/progress.html", **context)
    elif progress.running:
        response = make_response(render_template("imports/_progress.html", **context))
    else:
        # Ended: the whole answer replaces the page's content, and nothing polls any more.
        response = make_response(render_template("imports/_job.html", fragment=True, **context))
        response.headers["HX-Retarget"] = "#import-job"
        response.headers["HX-Reswap"] = "outerHTML"
    response.vary.add("HX-Request")  # one URL, a page or a fragment
    return response
