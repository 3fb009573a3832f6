"""Answers to the Freedom of Information questions councils are asked about their backlog.

Every answer comes from the records as they stood on one date, says how it was worked out,
and is built from the same functions as the other reports (the forecast and cost to clear,
spend, 20-week compliance), so the page, its CSV and the board papers agree. The figures are
council-wide: every provider and contract. A fixed number of SQL aggregates whatever the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select

from provider_portal.cases.board.queries import OVERDUE_BANDS
from provider_portal.contracts.pricing import count_if
from provider_portal.extensions import db
from provider_portal.formatting import format_money, long_date, plural
from provider_portal.models import Allocation, Case, Provider, WorkType
from provider_portal.reports.backlog import Backlog, in_backlog
from provider_portal.reports.compliance.queries import (
    ComplianceRow,
    compliance_report,
    counted_exception,
)
from provider_portal.reports.day_counts import allocated_by_provider
from provider_portal.reports.exports import Export, csv_export
from provider_portal.reports.forecast import (
    FUNDING,
    RATE_WEEKS,
    REMAINING,
    TOTAL,
    Forecast,
    forecast,
    quarter_ends,
)
from provider_portal.reports.pack.figures import Returned, merge_returns, returns_by_days
from provider_portal.reports.scope import Scope
from provider_portal.reports.spend.queries import (
    ZERO,
    CostPerOutput,
    cost_per_output,
    names_by_id,
    spend_by_financial_year,
)
from provider_portal.reports.sql import mean
from provider_portal.reports.together import together
from provider_portal.timescales import (
    FINAL_PLAN_DAYS,
    add_months,
    financial_year,
    financial_year_end,
    financial_year_label,
)

CSV_HEADER = ("question", "answer", "as_of", "method")
FORECAST_QUARTERS = 8  # two years of quarter ends
# (label, fewest days overdue, most days overdue) for the bands past 20 weeks.
DELAY_BANDS: list[tuple[str, int, int | None]] = [
    (label, low, high) for _value, label, low, high in OVERDUE_BANDS if low is not None
]


@dataclass(frozen=True)
class Delayed:
    """The backlog's cases (reports.backlog.in_backlog) by how long overdue."""

    total: int
    with_exception: int  # of which have a recorded exception to the 20-week limit
    bands: list[tuple[str, int]]  # (label, count) by how long overdue


@dataclass(frozen=True)
class ProviderUse:
    name: str
    allocated: int  # pieces of work allocated to it on or before the date
    first_allocated_on: date


@dataclass(frozen=True)
class ProviderSpend:
    financial_year: int
    provider_name: str
    committed: Decimal
    actual: Decimal


@dataclass(frozen=True)
class AdviceTime:
    """How long one type of advice took to come back, on average."""

    work_type_name: str
    returned: int  # first returned in the 12 months to the date
    mean_days: Decimal | None  # from allocation to first return


@dataclass(frozen=True)
class Answer:
    key: str  # the section's id on the page
    question: str
    answer: str  # the answer in words; tables on the page carry the detail
    method: str
    detail: list[str] = field(default_factory=list)  # table lines, for the CSV


@dataclass(frozen=True)
class FoiReport:
    as_of: date
    delayed: Delayed
    forecast: Forecast
    projection: list[tuple[date, int]]  # projected backlog at each quarter end
    providers: list[ProviderUse]
    spend: list[ProviderSpend]
    spend_years: list[tuple[int, Decimal, Decimal]]  # (year, committed, actual) totals
    cost_per_output: list[CostPerOutput]
    compliance_first_month: date
    compliance_last_month: date
    compliance: ComplianceRow
    advice_times: list[AdviceTime]
    advice_first_month: date
    answers: list[Answer]

    def answer(self, key: str) -> Answer:
        return next(a for a in self.answers if a.key == key)

    @property
    def backlog(self) -> Backlog:
        """The one backlog: the forecast's, council-wide, in its three parts."""
        return self.forecast.parts


def delayed_cases(as_of: date) -> Delayed:
    """The backlog's cases on as_of, with exceptions and by how long overdue, in one aggregate."""
    excepted = counted_exception()
    band_counts = []
    for _label, low, high in DELAY_BANDS:
        # days overdue = as_of - (request + 140): a band of days overdue is a band of requests.
        conditions = [Case.request_received_on <= as_of - timedelta(days=FINAL_PLAN_DAYS + low)]
        if high is not None:
            conditions.append(
                Case.request_received_on >= as_of - timedelta(days=FINAL_PLAN_DAYS + high)
            )
        band_counts.append(count_if(and_(*conditions)))
    row = db.session.execute(
        select(func.count(Case.id), count_if(excepted), *band_counts).where(in_backlog(as_of))
    ).one()
    total, excepted_count, *bands = (int(v or 0) for v in row)
    labels = [label for label, _low, _high in DELAY_BANDS]
    return Delayed(total, excepted_count, list(zip(labels, bands, strict=True)))


def providers_used(as_of: date) -> list[ProviderUse]:
    """Providers given work on or before as_of, with how much, by name."""
    used = allocated_by_provider(as_of)
    names = names_by_id(Provider.id, Provider.name, used)
    return sorted(
        (ProviderUse(name, *used[provider_id]) for provider_id, name in names.items()),
        key=lambda use: (use.name, use.first_allocated_on),
    )


def _spend(as_of: date) -> tuple[list[ProviderSpend], list[tuple[int, Decimal, Decimal]]]:
    by_provider: dict[tuple[int, str], list[Decimal]] = {}
    for row in spend_by_financial_year(as_of, Scope()):
        pair = by_provider.setdefault((row.financial_year, row.provider_name), [ZERO, ZERO])
        pair[0] += row.committed
        pair[1] += row.actual
    spend = [ProviderSpend(fy, name, c, a) for (fy, name), (c, a) in sorted(by_provider.items())]
    years: dict[int, list[Decimal]] = {}
    for item in spend:
        pair = years.setdefault(item.financial_year, [ZERO, ZERO])
        pair[0] += item.committed
        pair[1] += item.actual
    return spend, [(fy, c, a) for fy, (c, a) in sorted(years.items())]


def advice_times(as_of: date) -> tuple[date, list[AdviceTime]]:
    """The mean days from allocation to first return of each type of advice, over the advice
    first returned in the 12 months to as_of (its month and the 11 before), with the first
    of those months: the league table's turnaround (pack.figures.returns_by_days, sql.mean)
    split by type of work. Two queries."""
    first = add_months(as_of.replace(day=1), -11)
    found = returns_by_days(
        [WorkType.is_advice.is_(True)],
        first,
        as_of.replace(day=1),
        as_of,
        (Allocation.work_type_id,),
    )
    by_type: dict[int, list[Mapping[int, Returned]]] = {}
    for (_month, work_type_id), by_days in found.items():
        by_type.setdefault(work_type_id, []).append(by_days)
    names = dict(
        db.session.execute(
            select(WorkType.id, WorkType.name).where(WorkType.is_advice.is_(True))
        ).all()
    )
    rows = []
    for work_type_id, name in sorted(names.items(), key=lambda item: item[1]):
        histogram = {
            days: r.count for days, r in merge_returns(by_type.get(work_type_id, [])).items()
        }
        rows.append(AdviceTime(name, sum(histogram.values()), mean(histogram)))
    return first, rows


def _compliance_months(as_of: date) -> tuple[date, date]:
    """The 12 whole months before as_of's month (or up to it, on its month's last day)."""
    last = as_of.replace(day=1)
    if (as_of + timedelta(days=1)).month == as_of.month:
        last = add_months(last, -1)
    return add_months(last, -11), last


def foi_report(as_of: date) -> FoiReport:
    """Every answer on the FOI page, as the records stood on as_of."""
    first_month, last_month = _compliance_months(as_of)

    def the_forecast() -> Forecast:
        return forecast(Scope(), as_of)

    def the_rest() -> tuple[Any, ...]:
        return (
            delayed_cases(as_of),
            providers_used(as_of),
            _spend(as_of),
            cost_per_output(as_of, Scope()),
            compliance_report(last_month, last_month).rolling,
            advice_times(as_of),
        )

    # Two lanes of about equal length (reports.together). On PostgreSQL at 100,000 cases,
    # without parallel plans: the forecast 161 ms in the first; the advice times 61, the
    # delayed cases 48, compliance 21, spend 16, cost per output 7 and providers 4 in the
    # second.
    result, rest = together(the_forecast, the_rest)
    delayed, providers, (spend, spend_years), outputs, compliance, advice_times_ = rest
    advice_first_month, advice = advice_times_
    projection = [(day, result.backlog_on(day)) for day in quarter_ends(as_of, FORECAST_QUARTERS)]
    answers = _answers(
        as_of,
        delayed,
        result,
        projection,
        providers,
        spend_years,
        outputs,
        (first_month, last_month, compliance),
        (advice_first_month, advice),
    )
    return FoiReport(
        as_of=as_of,
        delayed=delayed,
        forecast=result,
        projection=projection,
        providers=providers,
        spend=spend,
        spend_years=spend_years,
        cost_per_output=outputs,
        compliance_first_month=first_month,
        compliance_last_month=last_month,
        compliance=compliance,
        advice_times=advice,
        advice_first_month=advice_first_month,
        answers=answers,
    )


def _answers(
    as_of: date,
    delayed: Delayed,
    result: Forecast,
    projection: list[tuple[date, int]],
    providers: list[ProviderUse],
    spend_years: list[tuple[int, Decimal, Decimal]],
    outputs: list[CostPerOutput],
    compliance: tuple[date, date, ComplianceRow],
    advice: tuple[date, list[AdviceTime]],
) -> list[Answer]:
    on = long_date(as_of)
    past_20_weeks = (
        f"A case counts when, on {on}, more than 20 weeks had passed since the request (the "
        f"request date plus 140 days was before {on}), no final EHC plan had been issued by "
        "then and the case had not been closed without one (the council refused to assess or "
        "decided not to issue a plan, the family withdrew, the child moved away, or the case "
        "ceased). Cases whose personal details were removed under the retention policy are "
        "left out (they are all closed)."
    )
    backlog = result.parts
    answers = [
        Answer(
            "backlog",
            "How many EHC needs assessments are past the 20-week limit?",
            f"{plural(backlog.total, 'case')} past 20 weeks without a final plan on {on}: "
            f"{backlog.with_provider} with an external provider, {backlog.advice_back} with "
            f"the provider's advice back but the plan not yet issued, and "
            f"{backlog.not_allocated} not yet allocated to a provider.",
            past_20_weeks
            + " With a provider means work allocated by that date that had not come back, "
            "been withdrawn or been declined by it. Advice back means every piece of work the "
            "case was given (and not withdrawn or declined) had come back. Not yet allocated "
            "means no work had been given to a provider, or all of it had been withdrawn or "
            "declined. Each case is in exactly one of the three; the forecast and the cost "
            "to clear start from the same backlog.",
            [f"{label}: {count}" for label, count in backlog.parts],
        ),
        _forecast_answer(result, projection),
        _clears_answer(result),
        _cost_answer(result),
        _providers_answer(on, providers),
        _spend_answer(on, spend_years),
        _cost_per_output_answer(on, outputs),
        Answer(
            "delayed",
            "How many cases are delayed, and for how long?",
            f"{plural(delayed.total, 'case')} delayed past 20 weeks on {on}; "
            f"{delayed.with_exception} of them "
            f"{'has' if delayed.with_exception == 1 else 'have'} a recorded exception to the "
            "20-week limit (reg 10(4) of the SEND Regulations 2014).",
            past_20_weeks + " How long overdue counts days after the request date plus 140 days.",
            [f"{label}: {count}" for label, count in delayed.bands],
        ),
        _compliance_answer(*compliance),
        _advice_time_answer(as_of, *advice),
    ]
    return answers


def _forecast_answer(result: Forecast, projection: list[tuple[date, int]]) -> Answer:
    on = long_date(result.as_of)
    rate = result.rate_text
    arriving = result.parts.coming
    coming = (
        f" (with {plural(arriving, 'more case')} reaching 20 weeks over the coming weeks)"
        if arriving
        else ""
    )
    if result.clears_on is None:
        words = (
            f"Nothing came back from providers in the {RATE_WEEKS} weeks to {on}, so at the "
            f"current rate the backlog of {result.backlog} does not clear."
        )
    elif result.backlog == 0:
        words = f"There was no backlog on {on}."
    else:
        words = (
            f"At {rate} cases a week, the backlog of {result.backlog}{coming} is forecast to "
            f"clear by {long_date(result.clears_on)}."
        )
    return Answer(
        "forecast",
        "What is the forecast for the backlog over the next two years?",
        words,
        "\n\n".join(result.method_paragraphs[1:3])
        + "\n\nThe table shows the projected backlog at the end of each quarter for the next "
        "two years, as it stands after the whole weeks to that day, a part of a case still "
        "outstanding counting as one.",
        [f"{long_date(day)}: {count}" for day, count in projection],
    )


def _clears_answer(result: Forecast) -> Answer:
    year_end = long_date(financial_year_end(financial_year(result.as_of)))
    if result.clears_on is None:
        words = (
            f"No. Nothing came back in the last {RATE_WEEKS} weeks, so at the current rate "
            "the backlog does not clear."
        )
    elif result.clears_this_financial_year:
        words = (
            f"Yes. It is forecast to clear by {long_date(result.clears_on)}, on or before the "
            f"end of this financial year on {year_end}."
        )
    else:
        words = (
            f"No. It is forecast to clear by {long_date(result.clears_on)}, after the end of "
            f"this financial year on {year_end}."
        )
    return Answer(
        "clears",
        "Will the backlog be cleared this financial year?",
        words,
        "\n\n".join(result.method_paragraphs[1:4]),
    )


def _cost_answer(result: Forecast) -> Answer:
    cost = result.cost
    total = cost.row(TOTAL).total
    funding = cost.row(FUNDING).total
    remaining = cost.row(REMAINING).total
    if remaining >= 0:
        gap = f"{format_money(remaining)} remains to be funded"
    else:
        gap = f"the funding agreed exceeds it by {format_money(-remaining)}"
    words = (
        f"An estimated {format_money(total)} in total, against {format_money(funding)} "
        f"agreed in contracts: {gap}."
    )
    if cost.uncosted or cost.uncosted_cases:
        words += (
            f" Not included: {plural(cost.uncosted, 'piece')} of work with no contract or "
            f"price and {plural(cost.uncosted_cases, 'case')} with no current price."
        )
    labels = cost.column_labels
    detail = [
        f"{row.label}: "
        + "; ".join(
            f"{label} {format_money(amount)}"
            for label, amount in zip(labels, row.by_year, strict=True)
        )
        + f"; total {format_money(row.total)}"
        for row in cost.rows
    ]
    return Answer(
        "cost",
        "What will it cost to clear the backlog?",
        words,
        "\n\n".join(result.method_paragraphs[1:]),
        detail,
    )


def _providers_answer(on: str, providers: list[ProviderUse]) -> Answer:
    if not providers:
        words = f"No. No work had been allocated to an external provider by {on}."
    else:
        names = ", ".join(f"{p.name} ({plural(p.allocated, 'piece')})" for p in providers)
        words = f"Yes. {plural(len(providers), 'provider')} had been given work by {on}: {names}."
    return Answer(
        "providers",
        "Does the council use external providers, and which?",
        words,
        "Every provider given at least one piece of work on or before the date, with the "
        "number of pieces of work allocated to it (including work later withdrawn or "
        "declined).",
        [f"{p.name}: {p.allocated}, first on {long_date(p.first_allocated_on)}" for p in providers],
    )


def _spend_answer(on: str, spend_years: list[tuple[int, Decimal, Decimal]]) -> Answer:
    actual = sum((a for _fy, _c, a in spend_years), ZERO)
    committed = sum((c for _fy, c, _a in spend_years), ZERO)
    words = (
        f"{format_money(actual)} spent on work accepted up to {on}, and "
        f"{format_money(committed)} committed to work allocated but not yet accepted."
    )
    return Answer(
        "spend",
        "How much has been spent on external providers in each financial year?",
        words,
        "Spent (actual) is work accepted on or before the date, at the contract price that "
        "applied on the day it was allocated, in the financial year (1 April to 31 March) it "
        "was accepted. Committed is work allocated by the date and not yet accepted, withdrawn "
        "or declined, at its price, in the year it was allocated. Work with no contract or no "
        "price is not included.",
        [
            f"{financial_year_label(fy)}: spent {format_money(a)}, committed {format_money(c)}"
            for fy, c, a in spend_years
        ],
    )


def _cost_per_output_answer(on: str, outputs: list[CostPerOutput]) -> Answer:
    priced = [o for o in outputs if o.cost_per_output is not None]
    if priced:
        words = (
            f"The average cost of each accepted piece of work by provider, type of work and "
            f"financial year, up to {on}, is in the table."
        )
    else:
        words = f"No costed work had been accepted by {on}."
    return Answer(
        "cost-per-output",
        "What does each piece of work cost?",
        words,
        "For each financial year, provider and type of work: the spend on work accepted in "
        "that year divided by the number of pieces accepted that had a price, rounded to the "
        "penny. Pieces with no contract or price are counted separately.",
        [
            f"{financial_year_label(o.financial_year)}, {o.provider_name}, {o.work_type_name}: "
            f"{o.accepted} accepted, {format_money(o.actual)}, "
            + (
                "not costed"
                if o.cost_per_output is None
                else f"{format_money(o.cost_per_output)} each"
            )
            for o in outputs
        ],
    )


def _compliance_answer(first: date, last: date, row: ComplianceRow) -> Answer:
    period = f"{first:%B %Y} to {last:%B %Y}"

    def share(value: Decimal | None) -> str:
        return "no plans issued" if value is None else f"{value}%"

    words = (
        f"From {period}: {row.issued_within} of {row.issued} final plans issued within 20 "
        f"weeks ({share(row.percent_including)}); excluding exception cases, "
        f"{row.excluding_within} of {row.excluding} ({share(row.percent_excluding)})."
    )
    return Answer(
        "twenty-weeks",
        "What share of EHC plans are issued within 20 weeks?",
        words,
        "Final plans issued in the 12 whole months before the date, by the month of issue. "
        "Within 20 weeks means issued on or before the request date plus 140 days. Excluding "
        "exceptions leaves out every case with a recorded exception to the 20-week limit "
        "(reg 10(4)) whose period overlaps that case's 20 weeks, from both the number issued "
        "and the number within 20 weeks.",
    )


def _advice_time_answer(as_of: date, first: date, rows: list[AdviceTime]) -> Answer:
    period = f"{first:%B %Y} to {long_date(as_of)}"
    returned = [row for row in rows if row.mean_days is not None]
    if returned:
        words = f"From {period}, on average: " + "; ".join(
            f"{row.work_type_name} {row.mean_days} days" for row in returned
        )
        words += "."
    else:
        words = f"No advice came back from providers from {period}."
    return Answer(
        "advice-time",
        "What is the average time to return advice, by type of advice?",
        words,
        "For each type of advice, the mean of the calendar days from the day the work was "
        "allocated to a provider to the day it first came back, over the advice first "
        "returned from the start of the month 11 months before the date up to the date, "
        "to one decimal place. The league table's mean days to return, worked out the same "
        "way.",
        [
            f"{row.work_type_name}: "
            + (
                "none returned"
                if row.mean_days is None
                else f"{row.mean_days} days on average, {plural(row.returned, 'piece')} returned"
            )
            for row in rows
        ],
    )


def csv_rows(report: FoiReport) -> list[tuple[str, str, str, str]]:
    """One row per question: the answer with its table lines below it, the date, the method."""
    return [
        (
            answer.question,
            "\n".join([answer.answer, *answer.detail]),
            report.as_of.isoformat(),
            answer.method,
        )
        for answer in report.answers
    ]


def foi_export(report: FoiReport) -> Export:
    """The answers as a CSV download."""
    as_of = report.as_of.isoformat()
    return csv_export(
        CSV_HEADER, csv_rows(report), f"foi-answers-{as_of}.csv", f"foi as_of={as_of}"
    )
