"""How the charts are drawn: one drawing per chart, bars as one outline per series, and
nothing cut off at the picture's edge."""

from __future__ import annotations

from datetime import date
from typing import Any

from provider_portal.reports.charts import load_matplotlib, render_svg
from provider_portal.reports.pack.charts import _bars
from provider_portal.reports.providers.charts import league_chart_svg
from provider_portal.reports.providers.figures import league_table


def test_a_chart_is_laid_out_and_drawn_once() -> None:
    """The margins are fitted without a layout engine left on the figure, which would make
    savefig draw everything twice."""
    drawings: list[Any] = []

    def draw(axes: Any) -> None:
        axes.figure.canvas.mpl_connect("draw_event", drawings.append)
        axes.plot([0, 1, 2], [3, 1, 2], label="A line")
        axes.set_ylabel("A label that needs a margin")
        axes.legend()

    svg = render_svg("Title", "Description", draw)
    assert len(drawings) == 1
    assert b"<desc>Description</desc>" in svg
    assert b"A label that needs a margin" in svg


def test_bars_are_one_outline_falling_to_zero_between_them() -> None:
    load_matplotlib()
    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    _bars(axes, [0, 1, 2], [5, 0, 7], -0.4, 0.4, "#1d70b8", "Allocated")
    (outline,) = axes.patches
    heights, edges, baseline = outline.get_data()
    assert list(edges) == [-0.4, 0.0, 0.6, 1.0, 1.6, 2.0]
    assert list(heights) == [5, 0, 0, 0, 7]
    assert baseline == 0
    assert outline.get_label() == "Allocated"
    assert outline.get_fill()


def test_no_months_draw_no_bars() -> None:
    load_matplotlib()
    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    _bars(axes, [], [], 0.0, 0.4, "#00703c", "Returned")
    assert len(axes.patches) == 0


def test_the_league_charts_names_and_key_stay_inside_the_picture(make, monkeypatch) -> None:
    """Long provider names leave the bars a narrow width: the key above them must still fit."""
    load_matplotlib()
    from matplotlib.figure import Figure

    for name in ("Denholme Educational Psychology Ltd", "Calderbrook SEND Consultancy", "Ash"):
        make.provider(name)
    drawn: list[Any] = []
    savefig = Figure.savefig

    def keep(figure: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append(figure)
        return savefig(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    league_chart_svg(league_table(date(2025, 1, 1), date(2025, 3, 1), date(2025, 3, 31)))
    (figure,) = drawn
    renderer = figure.canvas.get_renderer()
    (axes,) = figure.axes
    picture = figure.bbox
    for artist in [axes.get_legend(), *axes.get_yticklabels(), *axes.get_xticklabels()]:
        box = artist.get_window_extent(renderer)
        assert picture.x0 - 0.5 <= box.x0 and box.x1 <= picture.x1 + 0.5, artist
        assert picture.y0 - 0.5 <= box.y0 and box.y1 <= picture.y1 + 0.5, artist
