"""The contract monitoring pack: the page, one CSV per table, the workbook and the charts."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.cases.services import active_providers
from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import Contract, Provider
from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.charts import svg_response
from provider_portal.reports.forecast import RATE_WEEKS, forecast
from provider_portal.reports.forms import default_as_of
from provider_portal.reports.monthly.queries import monthly_report, parse_month
from provider_portal.reports.pack.charts import (
    CHARTS,
    allocated_returned_svg,
    backlog_svg,
    spend_svg,
)
from provider_portal.reports.pack.figures import (
    PERCENTILE_METHOD,
    Pack,
    backlog,
    build_pack,
    check_range,
)
from provider_portal.reports.pack.forms import PackForm
from provider_portal.reports.pack.sheets import CSV_TABLES, pack_sheets, pack_workbook
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.queries import scope_value, spend_by_month
from provider_portal.reports.xlsx import write_sheet_csv
from provider_portal.timescales import add_months, months_between, today
from provider_portal.web import attachment, render

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class PackChoice:
    """A valid form, read: the scope, months and as-of date, and the query to link with."""

    scope: Scope
    first_month: date
    last_month: date
    as_of: date
    args: dict[str, Any]


def _form() -> PackForm:
    args = request.args.copy()
    now = today()
    args.setdefault("start", add_months(now, -11).strftime("%Y-%m"))
    args.setdefault("end", now.strftime("%Y-%m"))
    default_as_of(args)
    form = PackForm(args)
    contracts = db.session.execute(
        select(Contract.reference, Contract.title, Provider.name)
        .join(Provider, Provider.id == Contract.provider_id)
        .order_by(Contract.reference)
    ).all()
    form.contract.choices = [("", "All contracts")] + [
        (reference, f"{reference}: {title} ({provider})")
        for reference, title, provider in contracts
    ]
    form.provider.choices = [("", "All providers")] + [
        (str(p.id), p.name) for p in active_providers()
    ]
    return form


def _read(form: PackForm) -> PackChoice | None:
    """The form's choices, or None with the errors on the form."""
    if not form.validate():
        return None
    contract = provider = None
    reference = form.contract.data or ""
    if reference:
        contract = db.session.scalar(
            select(Contract)
            .where(Contract.reference == reference)
            .options(joinedload(Contract.provider))
        )
        if contract is None:
            form.contract.errors = ["Select a contract from the list"]
    provider_id = form.provider.data or ""
    if provider_id:
        provider = db.session.get(Provider, int(provider_id)) if provider_id.isdigit() else None
        if provider is None:
            form.provider.errors = ["Select a provider from the list"]
    if contract is not None and provider is not None:
        form.contract.errors = ["Choose a contract or a provider, not both"]
    if form.contract.errors or form.provider.errors:
        return None
    try:
        first = parse_month(form.start.data or "")
        last = parse_month(form.end.data or "")
        check_range(first, last)
    except ReportError as error:
        form.end.errors = list(form.end.errors) + [str(error)]
        return None
    as_of = form.as_of.data or today()
    args: dict[str, Any] = {
        "start": first.strftime("%Y-%m"),
        "end": last.strftime("%Y-%m"),
        "as_of": [str(as_of.day), str(as_of.month), str(as_of.year)],
    }
    if contract is not None:
        args["contract"] = contract.reference
    if provider is not None:
        args["provider"] = str(provider.id)
    return PackChoice(Scope(contract=contract, provider=provider), first, last, as_of, args)


def _context(form: PackForm, result: Pack | None, chosen: PackChoice | None) -> dict[str, Any]:
    return {
        "form": form,
        "pack": result,
        "args": chosen.args if chosen else {},
        "method": PERCENTILE_METHOD,
        "rate_weeks": RATE_WEEKS,
    }


def _invalid(form: PackForm) -> Response:
    return render("reports/pack/pack.html", status=400, **_context(form, None, None))


def _filename(chosen: PackChoice, extension: str, table: str | None = None) -> str:
    who = chosen.scope.contract.reference if chosen.scope.contract else None
    if who is None and chosen.scope.provider is not None:
        who = f"provider-{chosen.scope.provider.id}"
    parts = [
        "pack",
        who or "all",
        table.replace("_", "-") if table else None,
        f"{chosen.first_month:%Y-%m}-to-{chosen.last_month:%Y-%m}",
    ]
    stem = "-".join(p for p in parts if p)
    # Only safe characters reach the header, whatever a contract reference holds.
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem)
    return f"{safe}.{extension}"


def _audit_export(chosen: PackChoice, what: str) -> None:
    scope = chosen.scope
    audit.record(
        "report_exported",
        "contract" if scope.contract is not None else None,
        scope.contract.id if scope.contract is not None else None,
        detail=(
            f"pack {what} {chosen.first_month:%Y-%m}..{chosen.last_month:%Y-%m} "
            f"as_of={chosen.as_of.isoformat()}"
            + (f" provider_id={scope.provider.id}" if scope.provider is not None else "")
        ),
        provider_id=(
            scope.contract.provider_id
            if scope.contract is not None
            else scope.provider.id
            if scope.provider is not None
            else None
        ),
    )
    db.session.commit()


@bp.route("/pack")
@requires("view_reports")
def pack() -> Response:
    """The monthly contract monitoring pack for a contract, a provider or all work."""
    form = _form()
    chosen = _read(form)
    result: Pack | None = None
    if chosen is not None:
        result = build_pack(chosen.scope, chosen.first_month, chosen.last_month, chosen.as_of)
    return render(
        "reports/pack/pack.html", "reports/pack/_report.html", **_context(form, result, chosen)
    )


@bp.route("/pack.csv")
@requires("view_reports")
def pack_csv() -> Response:
    """One table of the pack as CSV: ?table=cohort, flow, targets, forecast, cost and so on."""
    table = request.args.get("table", "cohort")
    if table not in CSV_TABLES:
        abort(404)
    form = _form()
    chosen = _read(form)
    if chosen is None:
        return _invalid(form)
    result = build_pack(chosen.scope, chosen.first_month, chosen.last_month, chosen.as_of)
    out = io.StringIO()
    write_sheet_csv(out, pack_sheets(result)[table])
    filename = _filename(chosen, "csv", table)
    _audit_export(chosen, table)
    return attachment(out.getvalue(), "text/csv; charset=utf-8", filename)


@bp.route("/pack.xlsx")
@requires("view_reports")
def pack_xlsx() -> Response:
    """The whole pack as an Excel workbook, one worksheet per table."""
    form = _form()
    chosen = _read(form)
    if chosen is None:
        return _invalid(form)
    result = build_pack(chosen.scope, chosen.first_month, chosen.last_month, chosen.as_of)
    body, filename = pack_workbook(result), _filename(chosen, "xlsx")
    _audit_export(chosen, "xlsx")
    return attachment(body, XLSX_TYPE, filename)


@bp.route('/pack/chart/<any("allocated-returned", "backlog", "spend"):chart>.svg')
@requires("view_reports")
def pack_chart(chart: str) -> Response:
    """One of the pack's charts as SVG, computing only the figures it draws."""
    assert chart in CHARTS
    form = _form()
    chosen = _read(form)
    if chosen is None:
        return _invalid(form)
    scope, first, last, as_of = chosen.scope, chosen.first_month, chosen.last_month, chosen.as_of
    if chart == "allocated-returned":
        cohort = monthly_report(
            first, last, as_of, provider=scope.provider, contract=scope.contract
        )
        svg = allocated_returned_svg(cohort.rows, as_of)
    elif chart == "backlog":
        projection = forecast(scope, as_of)
        points = backlog(scope, first, last, as_of, projection)
        # The forecast may run past the chosen months: the axis runs to its last point.
        last_point = max([last, *(point.day for point in points)])
        svg = backlog_svg(points, months_between(first, last_point), projection.clears_on)
    else:
        svg = spend_svg(spend_by_month(scope, first, last, as_of), scope_value(scope))
    return svg_response(svg)
