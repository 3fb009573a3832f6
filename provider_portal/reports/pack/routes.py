"""The contract monitoring pack: the page, one CSV per table, the workbook and the charts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, request
from werkzeug.wrappers import Response

from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.backlog import INFLOW_WEEKS
from provider_portal.reports.forecast import RATE_WEEKS
from provider_portal.reports.forms import range_args, read_form, report_args
from provider_portal.reports.monthly.queries import parse_month
from provider_portal.reports.pack.cache import cached_chart, cached_pack, marked_pack
from provider_portal.reports.pack.charts import CHARTS
from provider_portal.reports.pack.figures import (
    ON_TIME_CONTRACT,
    ON_TIME_STATUTORY,
    PERCENTILE_METHOD,
    Pack,
    check_range,
)
from provider_portal.reports.pack.forms import PackForm
from provider_portal.reports.pack.sheets import CSV_TABLES, pack_export
from provider_portal.reports.pages import ReportPage
from provider_portal.reports.scope import (
    Scope,
    choosable_contracts,
    choosable_providers,
    read_scope,
)
from provider_portal.reports.stages import PLAN_WRITING_ALLOCATION, STAGES
from provider_portal.timescales import today

# A data marker as cached_pack computes it: a SHA-256 in hex.
MARKER = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PackChoice:
    """A valid form, read: the scope, months and as-of date."""

    scope: Scope
    first_month: date
    last_month: date
    as_of: date

    @property
    def args(self) -> dict[str, Any]:
        """The query string that chooses the same again, for the page's links."""
        args = range_args(self.first_month, self.last_month, self.as_of)
        if self.scope.contract is not None:
            args["contract"] = self.scope.contract.reference
        if self.scope.provider is not None:
            args["provider"] = str(self.scope.provider.id)
        return args

    def pack(self) -> Pack:
        """The pack, computed once for the page, its downloads and its charts."""
        return cached_pack(self.scope, self.first_month, self.last_month, self.as_of)

    def marked_pack(self) -> tuple[Pack, str]:
        """The pack and the data marker it was computed under, for the page's chart URLs."""
        return marked_pack(self.scope, self.first_month, self.last_month, self.as_of)


def _read() -> tuple[PackForm, PackChoice | None]:
    form = PackForm(report_args(months=12, as_of=True))
    # Held while the form is read, so that the session still has the chosen provider.
    providers = choosable_providers(active_only=True)
    form.offer(choosable_contracts(), providers)
    return form, read_form(form, _choice)


def _choice(form: PackForm) -> PackChoice:
    scope = read_scope(form.contract.data or "", form.provider.data or "", "reference")
    first = parse_month(form.start.data or "")
    last = parse_month(form.end.data or "")
    check_range(first, last)
    return PackChoice(scope, first, last, form.as_of.data or today())


def _context(form: PackForm, chosen: PackChoice | None) -> dict[str, Any]:
    pack, marker = chosen.marked_pack() if chosen else (None, "")
    return {
        "form": form,
        "pack": pack,
        "args": chosen.args if chosen else {},
        # The charts are drawn from the pack this page shows (cached_chart's marker).
        "chart_args": {**chosen.args, "v": marker} if chosen else {},
        "method": PERCENTILE_METHOD,
        "on_time_statutory": ON_TIME_STATUTORY,
        "on_time_contract": ON_TIME_CONTRACT,
        "rate_weeks": RATE_WEEKS,
        "inflow_weeks": INFLOW_WEEKS,
        "stage_names": STAGES,
        "plan_writing_allocation": PLAN_WRITING_ALLOCATION,
    }


PACK = ReportPage("reports/pack/pack.html", "reports/pack/_report.html", _read, _context)


@bp.route("/pack")
@requires("view_reports")
def pack() -> Response:
    """The monthly contract monitoring pack for a contract, a provider or all work."""
    return PACK.show()


@bp.route("/pack.csv")
@requires("view_reports")
def pack_csv() -> Response:
    """One table of the pack as CSV: ?table=cohort, flow, targets, forecast, cost and so on."""
    table = request.args.get("table", "cohort")
    if table not in CSV_TABLES:
        abort(404)
    return PACK.download(lambda chosen: pack_export(chosen.pack(), table))


@bp.route("/pack.xlsx")
@requires("view_reports")
def pack_xlsx() -> Response:
    """The whole pack as an Excel workbook, one worksheet per table."""
    return PACK.download(lambda chosen: pack_export(chosen.pack()))


@bp.route('/pack/chart/<any("allocated-returned", "backlog", "spend"):chart>.svg')
@requires("view_reports")
def pack_chart(chart: str) -> Response:
    """One of the pack's charts as SVG, from the same computed pack as the page."""
    assert chart in CHARTS
    # The data marker of the pack the page showed; anything else is not one and is ignored.
    marker = request.args.get("v", "")
    return PACK.chart(
        lambda chosen: cached_chart(
            chart,
            chosen.scope,
            chosen.first_month,
            chosen.last_month,
            chosen.as_of,
            marker if MARKER.fullmatch(marker) else None,
        )
    )
