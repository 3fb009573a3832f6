"""The league table: the page, its CSV, the stages' CSV and the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from werkzeug.wrappers import Response

from provider_portal.models import WorkType
from provider_portal.permissions import can, requires
from provider_portal.reports import bp
from provider_portal.reports.exports import Export, csv_export
from provider_portal.reports.forms import range_args, read_form, report_args
from provider_portal.reports.monthly.queries import parse_month, work_type_by_code, work_types
from provider_portal.reports.pack.figures import (
    ON_TIME_CONTRACT,
    ON_TIME_STATUTORY,
    PERCENTILE_METHOD,
    check_range,
)
from provider_portal.reports.pages import ReportPage
from provider_portal.reports.providers.charts import league_chart_svg
from provider_portal.reports.providers.figures import (
    CSV_HEADER,
    League,
    csv_rows,
    last_complete_months,
    league_table,
)
from provider_portal.reports.providers.forms import LeagueForm
from provider_portal.reports.scope import EVERYTHING
from provider_portal.reports.stages import PLAN_WRITING_ALLOCATION, STAGES, stages, stages_export
from provider_portal.timescales import today


@dataclass(frozen=True)
class LeagueChoice:
    """A valid form, read: the months, the as-of date and the type of work."""

    first_month: date
    last_month: date
    as_of: date
    work_type: WorkType | None

    @property
    def args(self) -> dict[str, Any]:
        """The query string that chooses the same again, for the page's links."""
        args = range_args(self.first_month, self.last_month, self.as_of)
        if self.work_type is not None:
            args["work_type"] = self.work_type.code
        return args

    def league(self) -> League:
        # Practitioners' names only for those allowed to see them.
        return league_table(
            self.first_month,
            self.last_month,
            self.as_of,
            self.work_type,
            practitioners=can("view_practitioner_names"),
        )


def _read() -> tuple[LeagueForm, LeagueChoice | None]:
    args = report_args(as_of=True)
    first, last = last_complete_months(today())
    args.setdefault("start", first.strftime("%Y-%m"))
    args.setdefault("end", last.strftime("%Y-%m"))
    form = LeagueForm(args)
    form.offer(work_types())
    return form, read_form(form, _choice)


def _choice(form: LeagueForm) -> LeagueChoice:
    first = parse_month(form.start.data or "")
    last = parse_month(form.end.data or "")
    check_range(first, last)
    code = form.work_type.data or ""
    return LeagueChoice(
        first, last, form.as_of.data or today(), work_type_by_code(code) if code else None
    )


def _context(form: LeagueForm, chosen: LeagueChoice | None) -> dict[str, Any]:
    return {
        "form": form,
        "league": chosen.league() if chosen else None,
        "stages": (
            stages(EVERYTHING, chosen.first_month, chosen.last_month, chosen.as_of)
            if chosen
            else None
        ),
        "stage_names": STAGES,
        "plan_writing_allocation": PLAN_WRITING_ALLOCATION,
        "method": PERCENTILE_METHOD,
        "on_time_statutory": ON_TIME_STATUTORY,
        "on_time_contract": ON_TIME_CONTRACT,
        "args": chosen.args if chosen else {},
    }


LEAGUE = ReportPage(
    "reports/providers/providers.html", "reports/providers/_report.html", _read, _context
)


def league_export(league: League) -> Export:
    """The league table as CSV: each provider, then All providers."""
    months = f"{league.first_month:%Y-%m}-to-{league.last_month:%Y-%m}"
    kind = f" work_type={league.work_type.code}" if league.work_type else ""
    return csv_export(
        CSV_HEADER,
        csv_rows(league),
        f"providers-{months}.csv",
        f"providers {league.first_month:%Y-%m}..{league.last_month:%Y-%m} "
        f"as_of={league.as_of.isoformat()}{kind}",
    )


@bp.route("/providers")
@requires("view_reports")
def providers() -> Response:
    """The league table: every provider side by side, and where the time goes."""
    return LEAGUE.show()


@bp.route("/providers.csv")
@requires("view_reports")
def providers_csv() -> Response:
    """The league table as CSV."""
    return LEAGUE.download(lambda chosen: league_export(chosen.league()))


@bp.route("/providers/stages.csv")
@requires("view_reports")
def providers_stages_csv() -> Response:
    """Where the time goes, as CSV."""
    return LEAGUE.download(
        lambda chosen: stages_export(
            stages(EVERYTHING, chosen.first_month, chosen.last_month, chosen.as_of)
        )
    )


@bp.route("/providers/chart.svg")
@requires("view_reports")
def providers_chart() -> Response:
    """On time and first time right by provider, as SVG."""
    return LEAGUE.chart(lambda chosen: league_chart_svg(chosen.league()))
