"""Money and other numbers stay numbers in CSV and XLSX exports, negative ones too; only text
cells get the formula guard (security.md 55), and every text cell that needs it gets it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from provider_portal.reports.exports import csv_export
from provider_portal.reports.xlsx import Column, Sheet, csv_cells, write_workbook
from provider_portal.tabular import write_csv

DANGEROUS_TEXT = ["=1+2", "+1", "-1000.00", "@SUM(A1)", "\t=1", "\r=1", "-2+3+cmd|' /C calc'!A0"]

SHEET = Sheet(
    name="figures",
    title="Figures",
    columns=[
        Column("what"),
        Column("money", "money"),
        Column("count", "count"),
        Column("number", "number"),
        Column("auto", "auto"),
    ],
    rows=[
        ["Remaining to fund", Decimal("-404675.00"), -3, Decimal("-1.50"), Decimal("-2")],
        ["Spent", Decimal("1000"), 0, Decimal("100"), 7],
        *[[text, None, None, None, text] for text in DANGEROUS_TEXT],
    ],
)


def _csv(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body, newline="")))


def test_negative_money_is_a_number_in_the_csv():
    export = csv_export(
        ["what", "money", "count", "number", "auto"], csv_cells(SHEET), "f.csv", "figures"
    )
    rows = _csv(str(export.body))
    assert rows[1] == ["Remaining to fund", "-404675.00", "-3", "-1.5", "-2"]
    assert rows[2] == ["Spent", "1000.00", "0", "100", "7"]
    assert "'-404675.00" not in str(export.body)


def test_text_that_a_spreadsheet_would_run_is_guarded_in_the_csv():
    out = io.StringIO()
    write_csv(out, ["heading"], [[text] for text in DANGEROUS_TEXT])
    assert [row[0] for row in _csv(out.getvalue())[1:]] == ["'" + t for t in DANGEROUS_TEXT]


@pytest.mark.parametrize("header", ["=cmd", "-x", "@x", "+x"])
def test_a_heading_is_text_and_guarded(header):
    out = io.StringIO()
    write_csv(out, [header], [])
    assert _csv(out.getvalue())[0] == ["'" + header]


def test_negative_money_is_a_number_cell_in_the_workbook():
    sheet = load_workbook(io.BytesIO(write_workbook([SHEET])))["Figures"]
    money = sheet["B2"]
    assert money.data_type == "n" and money.value == -404675
    assert money.number_format == '"£"#,##0.00;-"£"#,##0.00'
    assert (sheet["C2"].data_type, sheet["C2"].value) == ("n", -3)
    assert (sheet["D2"].data_type, sheet["D2"].value) == ("n", -1.5)
    assert (sheet["E2"].data_type, sheet["E2"].value) == ("n", -2)
    for row, text in enumerate(DANGEROUS_TEXT, start=4):
        for column in ("A", "E"):
            cell = sheet[f"{column}{row}"]
            # A stored carriage return reads back as a line feed through Python's XML parser
            # and as itself through lxml (which openpyxl uses when it is installed).
            assert cell.data_type == "s", cell.coordinate
            assert cell.value.replace("\r", "\n") == "'" + text.replace("\r", "\n"), cell.coordinate
