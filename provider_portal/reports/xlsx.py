"""Tables as an Excel workbook, and the same tables as CSV cells.

A report describes each table once (a Sheet of typed Columns and rows of Python values); this
module writes it as a worksheet with real number and date cells, formats, widths, a bold
frozen header row, or as the cells of a CSV file (written by reports.exports.csv_export). Text
always goes through tabular.safe_cell, so nothing a provider or contract name holds can start a
formula in either form.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from provider_portal.models.types import PENNY
from provider_portal.tabular import safe_cell

Kind = Literal["text", "count", "number", "date", "month", "money", "percent", "auto"]

# Excel number formats. Money has a £ sign and pence, negatives with a minus; a percentage
# is stored as a fraction (64.7% is 0.647) so that Excel sums and charts it as one.
FORMATS: dict[str, str] = {
    "count": "0",
    "number": "0.0#",
    "date": "d mmm yyyy",
    "month": "mmm yyyy",
    "money": '"£"#,##0.00;-"£"#,##0.00',
    "percent": "0.0%",
}
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Column:
    """A column: its CSV/XLSX heading, the kind of value it holds and its width in Excel."""

    header: str
    kind: Kind = "text"
    width: float = 14


@dataclass(frozen=True)
class Sheet:
    """One table: a worksheet in the workbook, or one CSV file."""

    name: str  # the CSV's ?table= and file name
    title: str  # the worksheet's name: 31 characters at most, none of []:*?/\
    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]

    def __post_init__(self) -> None:
        if len(self.title) > 31 or any(c in self.title for c in "[]:*?/\\"):
            raise ValueError(f"{self.title!r} cannot name a worksheet")


def _kind_of(kind: Kind, value: object) -> Kind:
    if kind != "auto":
        return kind
    if isinstance(value, bool) or isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return "count"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, date):
        return "date"
    return "text"


def csv_value(kind: Kind, value: object) -> object:
    """A value as the CSV carries it: ISO dates, 2024-08 months, money to the penny.

    Numbers stay numbers (a Decimal or an int, written as they print), so that the formula
    guard, which is for text, leaves a negative amount alone: -404675.00, not '-404675.00.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    kind = _kind_of(kind, value)
    if kind == "month" and isinstance(value, date):
        return value.strftime("%Y-%m")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "money" and isinstance(value, Decimal):
        return value.quantize(PENNY)
    if isinstance(value, Decimal) and kind == "number":
        return Decimal(f"{value.normalize():f}")  # 100, not 1E+2
    return value


def csv_cells(sheet: Sheet) -> Iterator[list[object]]:
    """The table's rows as the CSV carries them (see csv_value)."""
    kinds = [column.kind for column in sheet.columns]
    return ([csv_value(k, v) for k, v in zip(kinds, row, strict=True)] for row in sheet.rows)


def _cell_value(kind: Kind, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, datetime):
        return value.date()
    if kind == "percent" and isinstance(value, Decimal):
        return value / _HUNDRED
    if isinstance(value, int | Decimal | date):
        return value
    return safe_cell(str(value))


def write_workbook(sheets: Sequence[Sheet]) -> bytes:
    """The tables as an .xlsx workbook, one worksheet each, in order.

    Write-only mode: each row goes to the file as it is made, so a long table costs the
    memory of one row rather than an object per cell.
    """
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.title)
        # Widths and the frozen header row are written before the rows, so set them first.
        for index, column in enumerate(sheet.columns, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = column.width
        worksheet.freeze_panes = "A2"
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(worksheet, value=safe_cell(column.header))
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in sheet.rows:
            cells = []
            for column, value in zip(sheet.columns, row, strict=True):
                kind = _kind_of(column.kind, value)
                cell = WriteOnlyCell(worksheet, value=_cell_value(kind, value))
                if cell.data_type == "s" and column.width >= 40:
                    cell.alignment = wrap
                elif kind in FORMATS and not isinstance(value, str | bool):
                    cell.number_format = FORMATS[kind]
                cells.append(cell)
            worksheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
