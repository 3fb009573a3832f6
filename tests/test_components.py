"""templates/components: the one table macro (caption, headers with scope and numeric alignment,
rows, empty state), the htmx form, and the filters and globals every template can use."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bs4 import BeautifulSoup
from markupsafe import Markup

IMPORT = '{% from "components/table.html" import table %}'


def _render(app, source: str, **context: Any) -> BeautifulSoup:
    with app.test_request_context():
        html = app.jinja_env.from_string(IMPORT + source).render(**context)
    return BeautifulSoup(html, "html.parser")


ROWS = [SimpleNamespace(id=7, name="Ada", count=3), SimpleNamespace(id=9, name="Bo", count=12)]
CELLS = (
    '<th scope="row" class="govuk-table__header">{{ row.name }}</th>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{{ row.count }}</td>'
)


def test_caption_headers_and_rows(app):
    soup = _render(
        app,
        '{% call(row) table("People & counts", ["Name", {"text": "Count", "numeric": true}], rows,'
        ' id="people", classes="portal-x", row_id="person-") %}' + CELLS + "{% endcall %}",
        rows=ROWS,
    )
    table = soup.select_one("table#people")
    assert table["class"] == ["govuk-table", "portal-x"]
    caption = table.select_one("caption")
    assert caption["class"] == ["govuk-table__caption", "govuk-visually-hidden"]
    assert caption.get_text() == "People & counts"
    headers = table.select("thead th")
    assert [h["scope"] for h in headers] == ["col", "col"]
    assert [h["class"] for h in headers] == [
        ["govuk-table__header"],
        ["govuk-table__header", "govuk-table__header--numeric"],
    ]
    rows = table.select("tbody tr.govuk-table__row")
    assert [tr["id"] for tr in rows] == ["person-7", "person-9"]
    assert [[c.get_text() for c in tr.select("th, td")] for tr in rows] == [
        ["Ada", "3"],
        ["Bo", "12"],
    ]
    assert table.select_one("tfoot") is None


def test_numeric_from_a_column_and_a_visible_caption(app):
    soup = _render(
        app,
        '{% call(row) table("Figures", [none, "A", "B"], rows, numeric_from=1,'
        ' caption_classes="govuk-table__caption--m") %}' + CELLS + "{% endcall %}",
        rows=ROWS,
    )
    caption = soup.select_one("caption")
    assert caption["class"] == ["govuk-table__caption", "govuk-table__caption--m"]
    corner = soup.select_one("thead tr").contents
    cells = [c for c in corner if getattr(c, "name", None)]
    assert cells[0].name == "td" and cells[0].get_text() == ""
    assert [c["class"][-1] for c in cells[1:]] == ["govuk-table__header--numeric"] * 2


def test_no_caption_and_a_header_in_html(app):
    soup = _render(
        app,
        '{% call(row) table(none, [{"html": "<span class=\\"govuk-visually-hidden\\">Pick</span>"},'
        ' {"text": "<b>", "colspan": 2}], rows) %}' + CELLS + "{% endcall %}",
        rows=ROWS,
    )
    assert soup.select_one("caption") is None
    first, second = soup.select("thead th")
    assert first.select_one("span.govuk-visually-hidden").get_text() == "Pick"
    assert second.get_text() == "<b>" and second["colspan"] == "2"  # text is escaped


def test_empty_message_in_place_of_the_table(app):
    soup = _render(
        app,
        '{% call(row) table("People", ["Name"], [], empty="Nobody yet.", id="people",'
        ' empty_id="people") %}{{ row.name }}{% endcall %}',
    )
    assert soup.select_one("table") is None
    message = soup.select_one("p.govuk-body#people")
    assert message.get_text() == "Nobody yet."


def test_empty_without_a_message_shows_nothing_or_the_bare_table(app):
    nothing = _render(app, '{% call(row) table("People", ["Name"], [], empty="") %}{% endcall %}')
    assert nothing.get_text().strip() == "" and nothing.select_one("p, table") is None
    bare = _render(app, '{% call(row) table("People", ["Name"], []) %}{% endcall %}')
    assert bare.select_one("table thead th").get_text() == "Name"
    assert bare.select("tbody tr") == []


def test_body_written_by_the_caller_and_a_footer(app):
    soup = _render(
        app,
        '{% set foot %}<tr class="govuk-table__row" id="sum"><td>15</td></tr>{% endset %}'
        '{% call table("Grouped", ["Name", "Count"], numeric_from=1, foot=foot) %}'
        '{% for row in rows %}<tr class="govuk-table__row">' + CELLS + "</tr>{% endfor %}"
        '<tr class="govuk-table__row" id="subtotal"><td>all</td></tr>'
        "{% endcall %}",
        rows=ROWS,
    )
    assert len(soup.select("tbody tr")) == 3
    assert soup.select_one("tbody tr#subtotal") is not None
    assert soup.select_one("tfoot tr#sum").get_text() == "15"


def test_filters_and_globals_are_registered(app):
    from provider_portal import formatting

    filters = app.jinja_env.filters
    assert filters["long_date"] is formatting.long_date
    assert filters["short_date"] is formatting.short_date
    assert filters["month_year"] is formatting.month_year
    assert filters["timestamp"] is formatting.timestamp
    assert filters["date_and_time"] is formatting.date_and_time
    assert filters["money"] is formatting.format_money
    assert filters["plural"] is formatting.plural
    assert filters["describe_overdue"] is formatting.describe_overdue
    for name in ("can", "home_url", "account_status_of", "exception_label"):
        assert callable(app.jinja_env.globals[name]), name
    assert callable(app.jinja_env.globals["financial_year_label"])


def test_filters_in_a_template(app):
    from datetime import UTC, date, datetime
    from decimal import Decimal

    with app.test_request_context():
        text = app.jinja_env.from_string(
            "{{ day|long_date }}|{{ day|short_date }}|{{ day|month_year }}|{{ none|long_date }}|"
            "{{ moment|timestamp }}|{{ amount|money }}|{{ 1|plural('case') }}|"
            "{{ 2|plural('child', 'children') }}|{{ 1234|plural('event', thousands=true) }}|"
            "{{ 160|describe_overdue }}"
        ).render(
            day=date(2026, 12, 4),
            moment=datetime(2024, 6, 1, 23, 30, tzinfo=UTC),
            amount=Decimal("-1000"),
        )
    assert text == (
        "4 December 2026|4 Dec 2026|December 2026||2 Jun 2024 00:30 BST|−£1,000.00|1 case|"
        "2 children|1,234 events|22 weeks 6 days"
    )


def test_post_form_works_with_and_without_htmx(app):
    form = {"csrf_token": Markup('<input type="hidden" name="csrf_token" value="t">')}
    source = (
        '{% from "components/macros.html" import post_form %}'
        '{% call post_form("/go", "#panel", form, multipart=multipart) %}'
        '<button class="govuk-button">Go</button>{% endcall %}'
    )
    for multipart in (False, True):
        with app.test_request_context():
            template = app.jinja_env.from_string(source)
            html = template.render(form=form, multipart=multipart)
        element = BeautifulSoup(html, "html.parser").select_one("form")
        assert (element["method"], element["action"]) == ("post", "/go")
        assert (element["hx-post"], element["hx-target"]) == ("/go", "#panel")
        assert element.has_attr("novalidate")
        assert element.get("enctype") == ("multipart/form-data" if multipart else None)
        assert element.get("hx-encoding") == ("multipart/form-data" if multipart else None)
        assert element.select_one("input[name=csrf_token]")["value"] == "t"
        assert element.select_one("button").get_text() == "Go"


def test_every_table_scrolls_in_its_own_labelled_focusable_region(app):
    """A wide table scrolls inside its region at 320 px (WCAG 1.4.10), reachable by keyboard;
    the region is named by the caption, or by the label when there is none."""
    soup = _render(
        app,
        '{% call(row) table("People", ["Name", "Count"], rows) %}' + CELLS + "{% endcall %}"
        '{% call(row) table(none, ["Name", "Count"], rows, label="Others") %}'
        + CELLS
        + "{% endcall %}",
        rows=ROWS,
    )
    regions = soup.select("div.app-table-scroll")
    assert [r["aria-label"] for r in regions] == ["People", "Others"]
    for region in regions:
        assert region["role"] == "region" and region["tabindex"] == "0"
        assert region.find("table") is not None
    empty = _render(app, '{% call(row) table("People", ["Name"], [], empty="None") %}{% endcall %}')
    assert empty.select_one(".app-table-scroll") is None
