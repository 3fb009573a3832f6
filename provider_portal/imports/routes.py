"""Uploading a CSV or XLSX of cases or of an allocation log."""

from __future__ import annotations

import shutil
import tempfile

from flask import flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.cases import bp
from provider_portal.errors import TabularError

# The modules, not their names: the allocation services they use import the blueprint
# packages, and the cases blueprint imports this module.
from provider_portal.imports import allocations as allocation_import
from provider_portal.imports import cases as case_import
from provider_portal.imports.forms import ImportForm
from provider_portal.imports.rows import ImportResult
from provider_portal.permissions import requires
from provider_portal.tabular import Table, read_table
from provider_portal.web import redirect_after_post, render

MAX_PROBLEMS_SHOWN = 1_000  # a table of every problem in a 50,000-row file would not load
SPOOL_BYTES = 1024 * 1024


def _read_upload(form: ImportForm) -> Table:
    """Read the uploaded file through a temporary file that is deleted straight after."""
    upload = form.file.data
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        shutil.copyfileobj(upload.stream, spool)
        spool.seek(0)
        return read_table(spool, upload.filename or "")


@bp.route("/import", methods=["GET", "POST"])
@requires("import_data")
def import_cases() -> Response:
    """Upload a CSV or XLSX of cases or of an allocation log; all rows are saved or none."""
    form = ImportForm()
    result: ImportResult | None = None
    if form.validate_on_submit():
        try:
            table = _read_upload(form)
        except TabularError as error:
            form.file.errors = [str(error)]
        else:
            actor = current_user._get_current_object()
            if form.kind.data == "allocations":
                result = allocation_import.import_allocations(
                    table, actor, create_missing_providers=bool(form.create_missing_providers.data)
                )
            else:
                result = case_import.import_cases(table, actor)
            if result.ok:
                flash(result.summary, "success")
                return redirect_after_post(url_for("cases.index"))
            count = len(result.errors)
            form.file.errors = [
                "The file has 1 problem. Fix it and upload the file again"
                if count == 1
                else f"The file has {count:,} problems. Fix them and upload the file again"
            ]
    return render(
        "imports/import.html",
        form=form,
        result=result,
        problems=result.errors[:MAX_PROBLEMS_SHOWN] if result else [],
    )
