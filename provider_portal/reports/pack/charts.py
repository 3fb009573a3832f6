"""The monitoring pack's charts: SVG from matplotlib, drawn the same way as reports/charts.py.

Object API and an Agg canvas (no pyplot global state), a fixed hash salt and no date metadata
so that the same rows always give the same bytes, real <text>, and a <title> and <desc> saying
what the chart shows. Money stays Decimal until the plotting call itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from provider_portal.formatting import format_money, long_date
from provider_portal.reports.charts import GOVUK_BLUE, load_matplotlib, render_svg
from provider_portal.reports.monthly.queries import MonthlyRow
from provider_portal.reports.pack.figures import BacklogPoint, Pack
from provider_portal.reports.spend.queries import SpendMonth
from provider_portal.timescales import add_months, months_between

if TYPE_CHECKING:
    from matplotlib.axes import Axes

GOVUK_GREEN = "#00703c"
GOVUK_ORANGE = "#f47738"
GOVUK_DARK_GREY = "#505a5f"
GOVUK_RED = "#d4351c"

CHARTS = ("allocated-returned", "backlog", "spend")
# Wider than the compliance chart: up to 36 months and a legend.
FIGSIZE = (7.2, 4.2)


@dataclass(frozen=True)
class ChartData:
    """The figures the three charts are drawn from, taken from a pack: small, and written as
    JSON (to_json, from_json) so that another server process can draw a chart from the pack
    one process computed (reports.pack.cache)."""

    first_month: date
    last_month: date
    as_of: date
    cohort: list[MonthlyRow]
    backlog: list[BacklogPoint]
    clears_on: date | None
    spend: list[SpendMonth]
    value: Decimal

    @classmethod
    def from_pack(cls, pack: Pack) -> ChartData:
        return cls(
            pack.first_month,
            pack.last_month,
            pack.as_of,
            list(pack.cohort),
            list(pack.backlog),
            pack.forecast.clears_on,
            list(pack.spend),
            pack.value,
        )

    def to_json(self) -> str:
        def day(value: date | None) -> str | None:
            return None if value is None else value.isoformat()

        return json.dumps(
            {
                "months": [day(self.first_month), day(self.last_month), day(self.as_of)],
                "cohort": [[day(r.month), r.allocated, r.returned] for r in self.cohort],
                "backlog": [[day(p.day), p.actual, p.forecast] for p in self.backlog],
                "clears_on": day(self.clears_on),
                "spend": [
                    [day(r.month), str(r.actual), str(r.committed), str(r.cumulative_actual)]
                    for r in self.spend
                ],
                "value": str(self.value),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ChartData:
        data = json.loads(text)

        def day(value: str | None) -> date | None:
            return None if value is None else date.fromisoformat(value)

        first, last, as_of = (date.fromisoformat(value) for value in data["months"])
        return cls(
            first,
            last,
            as_of,
            [MonthlyRow(day(m), allocated, returned) for m, allocated, returned in data["cohort"]],
            [BacklogPoint(date.fromisoformat(d), a, f) for d, a, f in data["backlog"]],
            day(data["clears_on"]),
            [
                SpendMonth(date.fromisoformat(m), Decimal(a), Decimal(c), Decimal(total))
                for m, a, c, total in data["spend"]
            ],
            Decimal(data["value"]),
        )


def pack_chart_svg(chart: str, pack: Pack | ChartData) -> bytes:
    """One of the CHARTS, drawn from the pack's own figures (nothing is computed again)."""
    data = pack if isinstance(pack, ChartData) else ChartData.from_pack(pack)
    if chart == "allocated-returned":
        return allocated_returned_svg(data.cohort, data.as_of)
    if chart == "backlog":
        # The forecast may run past the chosen months: the axis runs to its last point.
        last_point = max([data.last_month, *(point.day for point in data.backlog)])
        return backlog_svg(
            data.backlog, months_between(data.first_month, last_point), data.clears_on
        )
    if chart == "spend":
        # The pack's value is the contracts' current value (scope_value), as funding agreed.
        return spend_svg(data.spend, data.value)
    raise ValueError(f"no chart {chart!r}")


def _span(months: Sequence[date]) -> str:
    return f"{months[0]:%B %Y} to {months[-1]:%B %Y}" if months else "no months"


def _legend_above(axes: Axes, columns: int = 2) -> None:
    """The key above the plot, where it cannot hide a line."""
    axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=columns)


def _line(
    axes: Axes,
    x: Sequence[float],
    y: Sequence[float],
    color: str,
    label: str,
    dashed: bool = False,
    width: float = 2.5,
) -> None:
    """A line with a dot at each point; dashed for what is forecast or only committed."""
    style: dict[str, Any] = {"linestyle": "--"} if dashed else {}
    axes.plot(x, y, color=color, linewidth=width, marker="o", markersize=4, label=label, **style)


def _bars(
    axes: Axes,
    positions: Sequence[int],
    values: Sequence[int],
    offset: float,
    width: float,
    color: str,
    label: str,
) -> None:
    """Bars from position + offset to position + offset + width, as one stepped outline that
    falls to zero between them."""
    if not positions:
        return
    edges = [edge for p in positions for edge in (p + offset, p + offset + width)]
    heights = [height for value in values for height in (value, 0)][:-1]
    axes.stairs(heights, edges, baseline=0, fill=True, color=color, label=label)


def _month_ticks(axes: Axes, positions: list[int], labels: list[str]) -> None:
    step = max(1, math.ceil(len(positions) / 12))
    axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
    axes.set_xlim(-0.5, max(len(positions), 1) - 0.5)


# --- (a) allocated and returned by month ------------------------------------------------------


def allocated_returned_title(rows: Sequence[MonthlyRow]) -> str:
    months = [row.month for row in rows if row.month is not None]
    return f"Work allocated and returned by month of allocation, {_span(months)}"


def allocated_returned_description(rows: Sequence[MonthlyRow], as_of: date) -> str:
    parts = [
        f"{row.month:%B %Y}: {row.allocated} allocated, {row.returned} returned"
        for row in rows
        if row.month is not None
    ]
    return (
        f"Bar chart. For the work allocated each month, how much had come back by "
        f"{as_of.day} {as_of:%B %Y}. " + "; ".join(parts) + "."
    )


def allocated_returned_svg(rows: Sequence[MonthlyRow], as_of: date) -> bytes:
    """Side-by-side bars of allocated and returned for each month of allocation."""
    load_matplotlib()
    from matplotlib.ticker import MaxNLocator

    months = [row for row in rows if row.month is not None]
    labels = [f"{row.month:%b %Y}" for row in months if row.month is not None]
    positions = list(range(len(months)))

    def draw(axes: Axes) -> None:
        # Each series is one filled outline of its bars (bars 0.4 wide, left and right of each
        # month, with nothing between), not a shape per bar: the same picture, drawn in about
        # a third of the time of 48 separate bars.
        width = 0.4
        for values, offset, color, label in (
            ([row.allocated for row in months], -width, GOVUK_BLUE, "Allocated"),
            ([row.returned for row in months], 0.0, GOVUK_GREEN, "Returned"),
        ):
            _bars(axes, positions, values, offset, width, color, label)
        axes.set_ylabel("Pieces of work")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        _month_ticks(axes, positions, labels)
        _legend_above(axes)

    return render_svg(
        allocated_returned_title(rows), allocated_returned_description(rows, as_of), draw, FIGSIZE
    )


# --- (b) backlog burn-down ----------------------------------------------------------------------


def backlog_title(points: Sequence[BacklogPoint], months: Sequence[date]) -> str:
    return f"Outstanding work at each month end, and the forecast backlog, {_span(months)}"


def backlog_description(points: Sequence[BacklogPoint], clears_on: date | None) -> str:
    actual = [f"{long_date(p.day)}: {p.actual}" for p in points if p.actual is not None]
    forecast = [f"{long_date(p.day)}: {p.forecast}" for p in points if p.forecast is not None]
    text = "Line chart. Outstanding allocated work (recorded): " + (
        "; ".join(actual) if actual else "none in the range"
    )
    text += ". Forecast backlog, outstanding plus unallocated: " + (
        "; ".join(forecast) if forecast else "none in the range"
    )
    if clears_on is None:
        text += ". At the current rate the backlog does not clear."
    else:
        text += f". The forecast clears the backlog by {long_date(clears_on)}."
    return text


def backlog_svg(
    points: Sequence[BacklogPoint], months: Sequence[date], clears_on: date | None
) -> bytes:
    """Recorded outstanding work as a solid line, the forecast backlog as a dashed one."""
    load_matplotlib()
    from matplotlib.dates import date2num
    from matplotlib.ticker import MaxNLocator

    def draw(axes: Axes) -> None:
        actual = [(p.day, p.actual) for p in points if p.actual is not None]
        forecast = [(p.day, p.forecast) for p in points if p.forecast is not None]
        lines = (
            (actual, GOVUK_BLUE, "Outstanding allocated work", False),
            (forecast, GOVUK_ORANGE, "Forecast backlog (outstanding and unallocated)", True),
        )
        for series, color, label, dashed in lines:
            if series:
                days = [float(date2num(day)) for day, _ in series]
                _line(axes, days, [v for _, v in series], color, label, dashed=dashed)
        axes.set_ylabel("Pieces of work")
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        if months:
            # One tick at each month's end, where the recorded points sit, labelled with the
            # month; at most about 12 labels whatever the range.
            ends = [add_months(m, 1) - timedelta(days=1) for m in months]
            step = max(1, math.ceil(len(ends) / 12))
            axes.set_xticks(
                [float(date2num(day)) for day in ends[::step]],
                [f"{day:%b %Y}" for day in ends[::step]],
                rotation=45,
                ha="right",
            )
            axes.set_xlim(float(date2num(months[0])), float(date2num(ends[-1])) + 3)
        if actual or forecast:
            _legend_above(axes, columns=1)

    return render_svg(
        backlog_title(points, months), backlog_description(points, clears_on), draw, FIGSIZE
    )


# --- (c) spend against the contract value -------------------------------------------------------


def spend_title(rows: Sequence[SpendMonth]) -> str:
    return f"Spend against contract value, {_span([row.month for row in rows])}"


def spend_description(rows: Sequence[SpendMonth], value: Decimal) -> str:
    parts = [
        f"{row.month:%B %Y}: {format_money(row.cumulative_actual)} spent to date, "
        f"{format_money(row.cumulative_actual + row.committed)} with committed"
        for row in rows
    ]
    return (
        f"Line chart. Contract value {format_money(value)}. Actual spend to date at each month "
        "end, and actual plus committed spend. " + "; ".join(parts) + "."
    )


def _pounds_axis(amount: float, _position: Any) -> str:
    if abs(amount) >= 1_000_000:
        return f"£{amount / 1_000_000:g}m"
    if abs(amount) >= 1_000:
        return f"£{amount / 1_000:g}k"
    return f"£{amount:g}"


def spend_svg(rows: Sequence[SpendMonth], value: Decimal) -> bytes:
    """Cumulative actual, and actual plus committed, by month against the value line."""
    load_matplotlib()
    from matplotlib.ticker import FuncFormatter

    labels = [f"{row.month:%b %Y}" for row in rows]
    positions = list(range(len(rows)))

    def draw(axes: Axes) -> None:
        axes.axhline(
            float(value),
            color=GOVUK_RED,
            linewidth=2,
            label=f"Contract value ({format_money(value)})",
        )
        _line(
            axes,
            positions,
            [float(row.cumulative_actual + row.committed) for row in rows],
            GOVUK_DARK_GREY,
            "Actual and committed",
            dashed=True,
            width=2,
        )
        _line(
            axes,
            positions,
            [float(row.cumulative_actual) for row in rows],
            GOVUK_BLUE,
            "Actual spend to date",
        )
        highest = max([value, *(row.cumulative_actual + row.committed for row in rows)])
        axes.set_ylim(0, float(highest) * 1.1 or 1.0)
        axes.yaxis.set_major_formatter(FuncFormatter(_pounds_axis))
        _month_ticks(axes, positions, labels)
        _legend_above(axes)

    return render_svg(spend_title(rows), spend_description(rows, value), draw, FIGSIZE)
