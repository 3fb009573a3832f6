"""The spend page (committed and actual by financial year) and its CSV download."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.models import Contract, Provider
from provider_portal.permissions import requires
from provider_portal.reports import bp
from provider_portal.reports.forms import default_as_of
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.forms import SpendReportForm
from provider_portal.reports.spend.queries import (
    CSV_HEADER,
    SpendRow,
    SpendTotal,
    csv_rows,
    scope_value,
    spend_by_financial_year,
    totals_by_year,
    uncosted_count,
)
from provider_portal.tabular import write_csv
from provider_portal.timescales import today
from provider_portal.web import attachment, render


@dataclass(frozen=True)
class SpendPage:
    as_of: date
    scope: Scope
    rows: list[SpendRow]
    year_totals: list[SpendTotal]
    total: SpendTotal
    value: Decimal
    uncosted: int

    @property
    def remaining(self) -> Decimal:
        """The value of the contracts less what is spent and committed."""
        return self.value - self.total.actual - self.total.committed

    def rows_in(self, year: int) -> list[SpendRow]:
        return [row for row in self.rows if row.financial_year == year]


def _form() -> tuple[SpendReportForm, dict[str, Contract], dict[str, Provider]]:
    args = request.args.copy()
    default_as_of(args)
    form = SpendReportForm(args)
    contracts = {
        str(c.id): c
        for c in db.session.scalars(
            select(Contract).options(joinedload(Contract.provider)).order_by(Contract.reference)
        )
    }
    providers = {str(p.id): p for p in db.session.scalars(select(Provider).order_by(Provider.name))}
    form.contract.choices = [("", "All contracts")] + [
        (key, f"{c.reference} ({c.provider.name})") for key, c in contracts.items()
    ]
    form.provider.choices = [("", "All providers")] + [
        (key, p.name) for key, p in providers.items()
    ]
    return form, contracts, providers


def _report() -> tuple[SpendReportForm, SpendPage | None]:
    form, contracts, providers = _form()
    if not form.validate():
        return form, None
    contract = contracts.get(form.contract.data or "")
    provider = providers.get(form.provider.data or "")
    if contract is not None and provider is not None:
        form.contract.errors = list(form.contract.errors) + [
            "Choose a contract or a provider, not both"
        ]
        return form, None
    scope = Scope(contract=contract, provider=provider)
    as_of = form.as_of.data or today()
    rows = spend_by_financial_year(as_of, scope)
    year_totals, total = totals_by_year(rows)
    page = SpendPage(
        as_of, scope, rows, year_totals, total, scope_value(scope), uncosted_count(as_of, scope)
    )
    return form, page


@bp.route("/spend")
@requires("view_reports")
def spend() -> Response:
    """Committed and actual spend by financial year, contract, provider and type of work."""
    form, report = _report()
    return render("reports/spend/spend.html", "reports/spend/_table.html", form=form, report=report)


@bp.route("/spend.csv")
@requires("view_reports")
def spend_csv() -> Response:
    """The same figures as CSV, one row per year, contract and type of work."""
    form, report = _report()
    if report is None:
        return render("reports/spend/spend.html", form=form, report=None, status=400)
    out = io.StringIO()
    write_csv(out, CSV_HEADER, csv_rows(report.rows))
    audit.record(
        "report_exported",
        detail=f"spend as_of={report.as_of.isoformat()} scope={_scope_detail(report.scope)}",
    )
    db.session.commit()
    filename = f"spend-{report.as_of.isoformat()}.csv"
    return attachment(out.getvalue(), "text/csv; charset=utf-8", filename)


def _scope_detail(scope: Scope) -> str:
    # Ids rather than names, as the audit trail's other export rows do.
    if scope.contract is not None:
        return f"contract:{scope.contract.id}"
    if scope.provider is not None:
        return f"provider:{scope.provider.id}"
    return "all"
