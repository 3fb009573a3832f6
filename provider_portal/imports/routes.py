"""Uploading a CSV or XLSX of cases or of an allocation log, and matching its columns.

When a required column cannot be matched, the upload is answered with the "Match your
columns" page: a question for each, answered from the file's headers, beside its first rows.
The file is not kept between the two steps: the page asks for it again with the answers.
Keeping it (in the instance folder, say) would put children's details on a disk outside the
import with a clean-up job to go wrong, and with two servers the second step may reach the one
that does not have it; the header row, which is all the questions need, travels in the form.
The answers are saved per person and header row (provider_portal.imports.mappings), so the next
file with the same headers goes straight through.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.errors import Resubmitted, TabularError
from provider_portal.extensions import db
from provider_portal.forms import new_nonce, posted_nonce

# The modules, not their names: the allocation services they use import the blueprint
# packages, and the cases blueprint imports this module.
from provider_portal.imports import allocations as allocation_import
from provider_portal.imports import cases as case_import
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
from provider_portal.imports.rows import ImportResult, ignored_sentence
from provider_portal.models import User
from provider_portal.permissions import requires
from provider_portal.tabular import MAX_COLUMNS, Table, cell_text, read_table
from provider_portal.web import redirect_after_post, render

MAX_PROBLEMS_SHOWN = 1_000  # a table of every problem in a 50,000-row file would not load
SPOOL_BYTES = 1024 * 1024
PREVIEW_ROWS = 5  # children's details: enough to recognise a column, no more
MAX_HEADER_CHARS = 1_000


def _read_upload(upload: FileStorage) -> Table:
    """Read the uploaded file through a temporary file that is deleted straight after."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        shutil.copyfileobj(upload.stream, spool)
        spool.seek(0)
        return read_table(spool, upload.filename or "")


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _problem_count(result: ImportResult) -> str:
    count = len(result.errors)
    if count == 1:
        return "The file has 1 problem. Fix it and upload the file again"
    return f"The file has {count:,} problems. Fix them and upload the file again"


def _chosen_sentence(result: ImportResult) -> str | None:
    """Says the columns were matched as the person chose before (or just now)."""
    if not result.chosen:
        return None
    labels = {
        column.name: column.label.lower() for columns in COLUMNS.values() for column in columns
    }
    pairs = ", ".join(f'"{header}" as the {labels[name]}' for header, name in result.chosen.items())
    return f"Your columns were matched as you chose: {pairs}"


def _import_page(form: ImportForm, result: ImportResult | None = None) -> Response:
    if not form.nonce.data:
        form.nonce.data = new_nonce()
    return render(
        "imports/import.html",
        form=form,
        result=result,
        problems=result.errors[:MAX_PROBLEMS_SHOWN] if result else [],
        ignored=ignored_sentence(result.ignored) if result else None,
        chosen=_chosen_sentence(result) if result else None,
        columns=COLUMNS,
    )


def _run(
    kind: str,
    table: Table,
    mapping: dict[str, str],
    nonce: str,
    create_missing_providers: bool,
) -> Response:
    """Import the file with the mapping; the cases on success, else the problems."""
    actor = _actor()
    try:
        if kind == "allocations":
            result = allocation_import.import_allocations(
                table,
                actor,
                create_missing_providers=create_missing_providers,
                mapping=mapping,
                nonce=nonce,
            )
        else:
            result = case_import.import_cases(table, actor, mapping=mapping, nonce=nonce)
    except Resubmitted:
        db.session.rollback()  # imported the first time: answered as the first time
        flash("The file was imported when you first sent it", "success")
        return redirect_after_post(url_for("cases.index"))
    if result.ok:
        said = (result.summary, _chosen_sentence(result), ignored_sentence(result.ignored))
        flash(". ".join(text for text in said if text), "success")
        return redirect_after_post(url_for("cases.index"))
    form = ImportForm(
        formdata=None,
        kind=kind,
        create_missing_providers=create_missing_providers,
        nonce=new_nonce(),
    )
    form.file.errors = [_problem_count(result)]
    return _import_page(form, result)


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
        table = _read_upload(form.file.data)
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
    return _run(kind, table, saved, nonce, create)


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
    if form.file.data:
        try:
            table = _read_upload(form.file.data)
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
    return _run(kind, table, mapping, nonce, form.create_missing_providers.data == "y")
