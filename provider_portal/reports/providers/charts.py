"""The league table's chart: on time and first time right by provider, as SVG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from provider_portal.reports.charts import GOVUK_BLUE, load_matplotlib, render_svg
from provider_portal.reports.providers.figures import League, LeagueRow

if TYPE_CHECKING:
    from matplotlib.axes import Axes

GOVUK_GREEN = "#00703c"


def _value(value: object) -> float:
    return math.nan if value is None else float(str(value))


def _share(value: object) -> str:
    return "none returned" if value is None else f"{value}%"


def league_description(rows: Sequence[LeagueRow]) -> str:
    """The chart's data in words, for anyone who opens the SVG itself."""
    parts = [
        f"{row.name}: on time (statutory) {_share(row.on_time_statutory_percent)}, "
        f"first time right {_share(row.first_time_right_percent)}"
        for row in rows
    ]
    return "Bar chart by provider. " + "; ".join(parts) + "."


def league_chart_svg(league: League) -> bytes:
    """Side-by-side horizontal bars of each provider's on-time and first-time-right shares."""
    load_matplotlib()
    from matplotlib.ticker import PercentFormatter

    rows = [p.row for p in league.providers] + [league.total]
    names = [row.name for row in rows]
    positions = list(range(len(rows)))

    def draw(axes: Axes) -> None:
        height = 0.4
        axes.barh(
            [p - height / 2 for p in positions],
            [_value(row.on_time_statutory_percent) for row in rows],
            height,
            color=GOVUK_BLUE,
            label="On time (statutory)",
        )
        axes.barh(
            [p + height / 2 for p in positions],
            [_value(row.first_time_right_percent) for row in rows],
            height,
            color=GOVUK_GREEN,
            label="First time right",
        )
        axes.set_xlim(0, 100)
        axes.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        axes.set_yticks(positions, names)
        axes.invert_yaxis()
        # One entry a line: the provider names leave the bars too narrow a width for two
        # entries side by side, which ran off the picture's right edge.
        axes.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=1)

    title = (
        f"On time and first time right by provider, {league.first_month:%B %Y} to "
        f"{league.last_month:%B %Y}"
    )
    height = max(3.0, 1.2 + 0.5 * len(rows))
    return render_svg(title, league_description(rows), draw, figsize=(6.4, height))
