"""20-week compliance: final plans issued each month, how many within 20 weeks, with and
without the cases that have a recorded exception (reg 10(4), applied by reg 13(3)).

One function computes the rows with a single GROUP BY over the range, plus one aggregate for
the rolling 12 months; the page, the CSV download, the chart and `flask report compliance`
all render those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select

from provider_portal.errors import ReportError
from provider_portal.extensions import db
from provider_portal.models import Case, CaseException
from provider_portal.reports.exports import Export, month_range_csv
from provider_portal.reports.sql import DaysAfter, month_key, month_of_key, percent
from provider_portal.timescales import (
    CORONAVIRUS_2020,
    CORONAVIRUS_2020_FROM,
    CORONAVIRUS_2020_TO,
    FINAL_PLAN_DAYS,
    add_months,
    months_between,
)

CSV_HEADER = (
    "month",
    "issued",
    "issued_within_20_weeks",
    "issued_excluding_exceptions",
    "issued_excluding_exceptions_within_20_weeks",
    "percent_excluding_exceptions",
)


MAX_MONTHS = 120


ROLLING_MONTHS = 12


@dataclass(frozen=True)
class ComplianceRow:
    month: date | None  # None for the total and rolling rows
    issued: int
    issued_within: int
    excluding: int  # issued, leaving out cases with a 20-week exception within their 20 weeks
    excluding_within: int

    @property
    def label(self) -> str:
        return "Total" if self.month is None else self.month.strftime("%Y-%m")

    @property
    def percent_including(self) -> Decimal | None:
        return percent(self.issued_within, self.issued)

    @property
    def percent_excluding(self) -> Decimal | None:
        return percent(self.excluding_within, self.excluding)

    def as_csv(self) -> tuple[str, int, int, int, int, str]:
        share = self.percent_excluding
        return (
            self.label,
            self.issued,
            self.issued_within,
            self.excluding,
            self.excluding_within,
            "" if share is None else str(share),
        )


@dataclass(frozen=True)
class ComplianceReport:
    first_month: date
    last_month: date
    rows: list[ComplianceRow]
    total: ComplianceRow
    rolling_first_month: date  # the 12 months ending with last_month
    rolling: ComplianceRow


def counted_exception() -> ColumnElement[bool]:
    """The case has a 20-week exception that counts for "excluding exceptions".

    timescales.exception_counts_for in SQL: the exception's period overlaps the case's 20 weeks
    (request date to request + 140 days); an open start or end reaches as far as it needs, and
    a coronavirus exception of 2020 without dates covers the months its regulation was in force.
    """
    twenty_weeks_end = DaysAfter(Case.request_received_on, FINAL_PLAN_DAYS)
    coronavirus = CaseException.reason == CORONAVIRUS_2020
    start = case(
        (coronavirus, func.coalesce(CaseException.starts_on, CORONAVIRUS_2020_FROM)),
        else_=CaseException.starts_on,
    )
    end = case(
        (coronavirus, func.coalesce(CaseException.ends_on, CORONAVIRUS_2020_TO)),
        else_=CaseException.ends_on,
    )
    return exists().where(
        CaseException.case_id == Case.id,
        CaseException.applies_to == "final_plan",
        or_(start.is_(None), start <= twenty_weeks_end),
        or_(end.is_(None), end >= Case.request_received_on),
    )


def _counts() -> tuple[Any, ...]:
    """The four sums every figure is made of, over cases with a final plan issued."""
    on_time = Case.final_plan_issued_on <= DaysAfter(Case.request_received_on, FINAL_PLAN_DAYS)
    excepted = counted_exception()
    return (
        func.count(Case.id),
        func.sum(case((on_time, 1), else_=0)),
        func.sum(case((excepted, 0), else_=1)),
        func.sum(case((and_(on_time, ~excepted), 1), else_=0)),
    )


def _issued_between(first_month: date, last_month: date) -> tuple[ColumnElement[bool], ...]:
    return (
        Case.final_plan_issued_on >= first_month,
        Case.final_plan_issued_on < add_months(last_month, 1),
    )


def _row(month: date | None, values: Any) -> ComplianceRow:
    issued, within, excluding, excluding_within = (int(v or 0) for v in values)
    return ComplianceRow(month, issued, within, excluding, excluding_within)


def compliance_report(first_month: date, last_month: date) -> ComplianceReport:
    """Final plans issued per month of issue, within 20 weeks, with and without exceptions."""
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    if last_month < first_month:
        raise ReportError("The end month must be the same as or after the start month")
    months = months_between(first_month, last_month)
    if len(months) > MAX_MONTHS:
        raise ReportError("Choose a range of 10 years or less")
    month = month_key(Case.final_plan_issued_on, first_month, last_month)
    by_month = (
        select(month, *_counts()).where(*_issued_between(first_month, last_month)).group_by(month)
    )
    found = {month_of_key(key): counts for key, *counts in db.session.execute(by_month)}
    rows = [_row(m, found.get(m, (0, 0, 0, 0))) for m in months]
    total = ComplianceRow(
        None,
        sum(r.issued for r in rows),
        sum(r.issued_within for r in rows),
        sum(r.excluding for r in rows),
        sum(r.excluding_within for r in rows),
    )
    rolling_first = add_months(last_month, 1 - ROLLING_MONTHS)
    rolling_query = select(*_counts()).where(*_issued_between(rolling_first, last_month))
    rolling = _row(None, db.session.execute(rolling_query).one())
    return ComplianceReport(first_month, last_month, rows, total, rolling_first, rolling)


def csv_rows(report: ComplianceReport) -> list[tuple[str, int, int, int, int, str]]:
    """The rows as the CSV carries them, total last."""
    return [row.as_csv() for row in report.rows] + [report.total.as_csv()]


def compliance_export(report: ComplianceReport) -> Export:
    """The table as a CSV download."""
    return month_range_csv(
        "compliance", report.first_month, report.last_month, CSV_HEADER, csv_rows(report)
    )


def rolling_summary(report: ComplianceReport) -> str:
    """The rolling 12-month figure in one sentence, as a board paper would put it."""
    figure = report.rolling
    to = report.last_month.strftime("%B %Y")
    share = figure.percent_excluding
    if share is None:
        return f"In the 12 months to {to}: no final plans issued excluding exceptions"
    return (
        f"In the 12 months to {to}: {figure.excluding} issued excluding exceptions, "
        f"{figure.excluding_within} within 20 weeks ({share}%)"
    )
