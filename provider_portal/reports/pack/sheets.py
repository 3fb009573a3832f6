"""The pack's tables as the downloads carry them: one sheet a table, for the CSVs and the
workbook.
"""

from __future__ import annotations

from datetime import date

from provider_portal.reports.backlog import INFLOW_WEEKS
from provider_portal.reports.exports import XLSX_TYPE, Export, csv_export
from provider_portal.reports.forecast import RATE_WEEKS
from provider_portal.reports.pack.figures import (
    ON_TIME_CONTRACT,
    ON_TIME_STATUTORY,
    PERCENTILE_METHOD,
    Pack,
)
from provider_portal.reports.stages import CSV_HEADER as STAGES_HEADER
from provider_portal.reports.stages import PLAN_WRITING_ALLOCATION
from provider_portal.reports.xlsx import Column, Sheet, csv_cells, write_workbook

CSV_TABLES = (
    "cohort",
    "cohort_by_work_type",
    "flow",
    "targets",
    "forecast",
    "cost",
    "backlog",
    "spend",
    "sendback_reasons",
    "rubric",
    "stages",
)


# Columns more than one table has, so that they read the same in each.
MONTH = Column("month", "month", 12)
COHORT_COUNTS = (
    Column("allocated", "count", 12),
    Column("returned", "count", 12),
    Column("outstanding", "count", 13),
)
RETURNED = Column("returned", "count", 11)
REWORK = (Column("sent_back_for_amendment", "count", 24), Column("rework_percent", "percent", 15))


def _month_or_total(month: date | None) -> date | str:
    return "Total" if month is None else month


def pack_sheets(pack: Pack) -> dict[str, Sheet]:
    """Every table of the pack, by its CSV name, in page order."""
    cohort = Sheet(
        "cohort",
        "Cohort",
        [MONTH, *COHORT_COUNTS],
        [
            (_month_or_total(r.month), r.allocated, r.returned, r.outstanding)
            for r in [*pack.cohort, pack.cohort_total]
        ],
    )
    by_type = Sheet(
        "cohort_by_work_type",
        "Cohort by work type",
        [MONTH, Column("work_type", "text", 36), *COHORT_COUNTS],
        [
            (_month_or_total(r.month), r.work_type, r.allocated, r.returned, r.outstanding)
            for r in pack.cohort_by_work_type
        ],
    )
    flow_sheet = Sheet(
        "flow",
        "Flow",
        [
            MONTH,
            RETURNED,
            Column("returned_on_time_statutory", "count", 27),
            Column("on_time_statutory_percent", "percent", 26),
            Column("median_days", "count", 13),
            Column("p90_days", "count", 11),
            *REWORK,
            Column("accepted", "count", 11),
            Column("declined", "count", 11),
            Column("withdrawn", "count", 11),
        ],
        [
            (
                _month_or_total(r.month),
                r.returned,
                r.on_time_statutory,
                r.on_time_statutory_percent,
                r.median_days,
                r.p90_days,
                r.sent_back,
                r.rework_percent,
                r.accepted,
                r.declined,
                r.withdrawn,
            )
            for r in [*pack.flow, pack.flow_total]
        ],
    )
    capacity = pack.contract.stated_monthly_capacity if pack.contract is not None else None
    targets_sheet = Sheet(
        "targets",
        "Targets",
        [
            MONTH,
            Column("allocated", "count", 11),
            Column("monthly_volume", "count", 16),
            Column("volume", "text", 17),
            Column("stated_monthly_capacity", "count", 24),
            RETURNED,
            Column("returned_on_time_contract", "count", 26),
            Column("on_time_contract_percent", "percent", 25),
            Column("on_time_target_percent", "count", 23),
            Column("on_time_contract", "text", 17),
            *REWORK,
            Column("max_rework_percent", "count", 19),
            Column("rework", "text", 17),
        ],
        [
            (
                t.month,
                t.volume.actual,
                t.volume.target,
                t.volume.label,
                capacity,
                t.returned,
                t.on_time_count,
                t.on_time.actual,
                t.on_time.target,
                t.on_time.label,
                t.sent_back,
                t.rework.actual,
                t.rework.target,
                t.rework.label,
            )
            for t in pack.targets or []
        ],
    )
    projection = pack.forecast
    forecast_sheet = Sheet(
        "forecast",
        "Forecast",
        [Column("measure", "text", 44), Column("value", "auto", 16)],
        [
            ("as_of", projection.as_of),
            ("backlog_with_provider", projection.parts.with_provider),
            ("backlog_advice_back_plan_not_issued", projection.parts.advice_back),
            ("backlog_not_yet_allocated", projection.parts.not_allocated),
            ("backlog", projection.backlog),
            (f"reaching_20_weeks_in_next_{INFLOW_WEEKS}_weeks", projection.parts.coming),
            ("outstanding_allocated_work", projection.outstanding),
            (f"returned_in_last_{RATE_WEEKS}_weeks", projection.returned_in_window),
            ("stated_monthly_capacity", projection.capacity),
            ("weekly_rate", projection.weekly_rate),
            ("clears_on", projection.clears_on),
            ("clears_this_financial_year", projection.clears_this_financial_year),
            ("uncosted_pieces_of_work", projection.cost.uncosted),
        ],
    )
    cost = projection.cost
    cost_sheet = Sheet(
        "cost",
        "Cost to clear",
        [
            Column("row", "text", 22),
            *(Column(label, "money", 18) for label in cost.column_labels),
            Column("total", "money", 18),
        ],
        [(row.label, *row.by_year, row.total) for row in cost.rows],
    )
    backlog_sheet = Sheet(
        "backlog",
        "Backlog",
        [
            Column("day", "date", 13),
            Column("outstanding_actual", "count", 19),
            Column("backlog_forecast", "count", 17),
        ],
        [(p.day, p.actual, p.forecast) for p in pack.backlog],
    )
    spend_sheet = Sheet(
        "spend",
        "Spend",
        [
            MONTH,
            Column("actual", "money", 16),
            Column("committed", "money", 16),
            Column("cumulative_actual", "money", 18),
            Column("cumulative_actual_and_committed", "money", 30),
            Column("contract_value", "money", 18),
        ],
        [
            (
                s.month,
                s.actual,
                s.committed,
                s.cumulative_actual,
                s.cumulative_actual + s.committed,
                pack.value,
            )
            for s in pack.spend
        ],
    )
    reasons = pack.sendback_reasons
    reasons_sheet = Sheet(
        "sendback_reasons",
        "Send-back reasons",
        [
            Column("reason", "text", 48),
            Column("for", "text", 8),
            Column("retired", "text", 9),
            Column("sendbacks_giving_it", "count", 20),
            Column("share_of_sendbacks_percent", "percent", 27),
        ],
        [
            (
                r.label,
                r.applies_to,
                "yes" if r.retired else "no",
                r.sendbacks,
                r.share,
            )
            for r in reasons.rows
        ]
        + [
            ("No reason recorded", "", "", reasons.without_reason, None),
            ("All send-backs", "", "", reasons.sendbacks, None),
        ],
    )
    rubric_sheet = Sheet(
        "rubric",
        "Quality rubric",
        [
            Column("section", "text", 60),
            Column("checks", "count", 9),
            Column("met", "count", 8),
            Column("partly_met", "count", 11),
            Column("not_met", "count", 9),
            Column("average_score_out_of_2", "number", 23),
        ],
        [
            (r.label, r.checks, r.met, r.partly_met, r.not_met, r.average)
            for r in pack.rubric.sections
        ]
        + [("All sections", pack.rubric.checks, None, None, None, pack.rubric.average)],
    )
    stages_sheet = Sheet(
        "stages",
        "Where the time goes",
        [
            MONTH,
            *(Column(header, "count", len(header) + 2) for header in STAGES_HEADER[1:-1]),
            Column(STAGES_HEADER[-1], "text", 36),
        ],
        [
            (_month_or_total(r.month), r.plans, *r.days, r.longest)
            for r in [*pack.stages.rows, pack.stages.total]
        ],
    )
    sheets = [
        cohort,
        by_type,
        flow_sheet,
        targets_sheet,
        forecast_sheet,
        cost_sheet,
        backlog_sheet,
        spend_sheet,
        reasons_sheet,
        rubric_sheet,
        stages_sheet,
    ]
    return {sheet.name: sheet for sheet in sheets}


def about_sheet(pack: Pack) -> Sheet:
    """What the workbook covers and how its figures were worked out."""
    rows: list[tuple[str, object]] = [
        ("Scope", pack.scope.label),
        ("From month", pack.first_month),
        ("To month", pack.last_month),
        ("As of", pack.as_of),
        ("On time (statutory)", ON_TIME_STATUTORY),
        ("On time (contract)", ON_TIME_CONTRACT),
        ("Turnaround percentiles", PERCENTILE_METHOD),
        ("Where the time goes", PLAN_WRITING_ALLOCATION),
    ]
    if pack.contract is not None:
        rows.insert(1, ("Contract title", pack.contract.title))
    rows.extend(("Forecast method", p) for p in pack.forecast.method_paragraphs)
    return Sheet(
        "about", "About", [Column("item", "text", 24), Column("detail", "auto", 100)], rows
    )


def pack_workbook(pack: Pack) -> bytes:
    """The whole pack as an .xlsx: what it covers, then one worksheet per table."""
    return write_workbook([about_sheet(pack), *pack_sheets(pack).values()])


def pack_export(pack: Pack, table: str | None = None) -> Export:
    """One table of the pack as CSV (a name from CSV_TABLES), or the whole pack as a workbook."""
    if table is None:
        return Export(
            pack_workbook(pack),
            XLSX_TYPE,
            _filename(pack, "xlsx"),
            pack_detail(pack, "xlsx"),
            pack.scope,
        )
    sheet = pack_sheets(pack)[table]
    return csv_export(
        [column.header for column in sheet.columns],
        csv_cells(sheet),
        _filename(pack, "csv", table),
        pack_detail(pack, table),
        pack.scope,
    )


def pack_detail(pack: Pack, what: str) -> str:
    """What the audit row of an export of the pack says: which table or file, months, date."""
    provider = pack.scope.provider
    return (
        f"pack {what} {pack.first_month:%Y-%m}..{pack.last_month:%Y-%m} "
        f"as_of={pack.as_of.isoformat()}"
        + (f" provider_id={provider.id}" if provider is not None else "")
    )


def _filename(pack: Pack, extension: str, table: str | None = None) -> str:
    scope = pack.scope
    who = scope.contract.reference if scope.contract else None
    if who is None and scope.provider is not None:
        who = f"provider-{scope.provider.id}"
    parts = [
        "pack",
        who or "all",
        table.replace("_", "-") if table else None,
        f"{pack.first_month:%Y-%m}-to-{pack.last_month:%Y-%m}",
    ]
    stem = "-".join(p for p in parts if p)
    # Only safe characters reach the header, whatever a contract reference holds.
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem)
    return f"{safe}.{extension}"
