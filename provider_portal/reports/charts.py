"""Server-rendered charts for the reports: SVG from matplotlib, no chart JavaScript.

matplotlib is loaded on first use (it takes a noticeable time to load, and only the chart
endpoints need it) by load_matplotlib(), under a lock: two requests importing it at once in a
threaded server can otherwise see a half-initialised module. Figures are built with the object
API and an Agg canvas rather than pyplot, and drawn one at a time, because the rc settings
they are drawn with are global to the process.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from provider_portal.reports.compliance.queries import ComplianceRow

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_LOADING = threading.Lock()
_DRAWING = threading.Lock()
_loaded = False

GOVUK_BLUE = "#1d70b8"
GOVUK_TEXT = "#0b0c0c"
GOVUK_MID_GREY = "#b1b4b6"
# The space left around the plot, its labels and its key, in font sizes.
TIGHT_PAD = 0.4


def compliance_title(rows: Sequence[ComplianceRow]) -> str:
    """The chart's title, naming the months it covers."""
    months = [row.month for row in rows if row.month is not None]
    span = f"{months[0]:%B %Y} to {months[-1]:%B %Y}" if months else "no months"
    return f"Final plans issued within 20 weeks, excluding exceptions, {span}"


def compliance_description(rows: Sequence[ComplianceRow]) -> str:
    """The chart's data in words, for anyone who opens the SVG itself."""
    parts = []
    for row in rows:
        if row.month is None:
            continue
        share = row.percent_excluding
        value = "no plans issued" if share is None else f"{share}%"
        parts.append(f"{row.month:%B %Y}: {value}")
    return "Percentage by month of issue. " + "; ".join(parts) + "."


def load_matplotlib() -> None:
    """Import the parts of matplotlib the charts use, once, whichever thread asks first.

    Every chart function calls this before its own `from matplotlib... import`, which is then a
    lookup of a module that is already complete.
    """
    global _loaded
    if _loaded:
        return
    with _LOADING:
        if not _loaded:
            import matplotlib.backends.backend_agg
            import matplotlib.dates
            import matplotlib.figure
            import matplotlib.ticker  # noqa: F401

            _loaded = True


def render_svg(
    title: str,
    description: str,
    draw: Callable[[Axes], None],
    figsize: tuple[float, float] = (6.4, 4.2),
) -> bytes:
    """One figure drawn by `draw` on GOV.UK-styled axes, as SVG with a <title> and a <desc>.

    The same rows always give the same bytes: the ids matplotlib generates come from a fixed
    salt, and the date metadata is left out.
    """
    load_matplotlib()
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = io.BytesIO()
    with (
        _DRAWING,
        rc_context(
            {
                "svg.hashsalt": "provider-portal",
                "svg.fonttype": "none",  # real <text>: smaller, and readable when the SVG is opened
                "font.family": "sans-serif",
                "font.size": 12,
                "text.color": GOVUK_TEXT,
                "axes.labelcolor": GOVUK_TEXT,
                "axes.edgecolor": GOVUK_TEXT,
                "xtick.color": GOVUK_TEXT,
                "ytick.color": GOVUK_TEXT,
            }
        ),
    ):
        figure = Figure(figsize=figsize)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        draw(axes)
        axes.grid(axis="y", color=GOVUK_MID_GREY, linewidth=0.8)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        # The margins fitted once to the labels, key included, then one drawing. A layout
        # engine left on the figure (tight_layout leaves a placeholder) makes savefig draw
        # everything twice, the first time only to lay it out: about a third of each chart's
        # time, measured.
        figure.tight_layout(pad=TIGHT_PAD)
        figure.set_layout_engine(None)
        figure.savefig(
            out,
            format="svg",
            metadata={"Title": title, "Description": description, "Date": None},
        )
    svg = out.getvalue()
    # matplotlib puts the description only in the RDF metadata; <desc> is what SVG readers use.
    desc = f"<desc>{escape(description)}</desc>".encode()
    return svg.replace(b"</title>", b"</title>\n " + desc, 1)


def compliance_chart_svg(rows: Sequence[ComplianceRow]) -> bytes:
    """A line chart of each month's percentage within 20 weeks (excluding exceptions), as SVG.

    Months with no plans issued are gaps in the line. The SVG carries a <title> and a <desc>.
    """
    load_matplotlib()
    from matplotlib.ticker import PercentFormatter

    months = [row for row in rows if row.month is not None]
    labels = [f"{row.month:%b %Y}" for row in months if row.month is not None]
    values = [
        math.nan if row.percent_excluding is None else float(row.percent_excluding)
        for row in months
    ]
    positions = list(range(len(months)))

    def draw(axes: Axes) -> None:
        axes.plot(positions, values, color=GOVUK_BLUE, linewidth=2.5, marker="o", markersize=5)
        axes.set_ylim(0, 100)
        axes.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        axes.set_ylabel("Issued within 20 weeks")
        # At most about 12 month labels, whatever the range.
        step = max(1, math.ceil(len(positions) / 12))
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
        axes.set_xlim(-0.5, max(len(positions), 1) - 0.5)

    return render_svg(compliance_title(months), compliance_description(months), draw)
