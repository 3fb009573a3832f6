"""CSV and XLSX reading and writing shared by imports, exports and the CLI.

Reading turns a file into a header row and data rows that remember their spreadsheet line
numbers (the header is line 1), so every problem can be reported where the person will look
for it. Anything wrong with the file as a whole raises TabularError with a message written for
the person; problems in single cells are for the caller to judge, with the cell parsers below.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, NamedTuple, TextIO

import openpyxl
from openpyxl.utils import get_column_letter

from provider_portal.errors import CellError, TabularError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Module constants rather than arguments so that tests can lower them.
MAX_ROWS = 50_000
MAX_COLUMNS = 100
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
MAX_XLSX_ENTRIES = 1_000
CSV_DELIMITERS = ",;\t"
SNIFF_CHARS = 16 * 1024

_BOMS = (
    # UTF-32 first: its little-endian mark starts with the UTF-16 one.
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls and other Office 97 files
_SAVE_AS = "Save it as CSV UTF-8 or as an Excel workbook (.xlsx) and try again"

Cell = object  # str (trimmed, never empty), int, float, bool, date, datetime, time or None


@dataclass(frozen=True)
class Row:
    """One data row: its line number in the spreadsheet and its values by column heading."""

    line: int
    values: dict[str, Cell]

    def get(self, column: str) -> Cell:
        return self.values.get(column)


class Table(NamedTuple):
    """The normalised column headings (trimmed, lower case) and the non-blank data rows."""

    headers: list[str]
    rows: list[Row]


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(handle: TextIO, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a header and rows as CSV, every cell passed through safe_cell."""
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([safe_cell(value) for value in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])


# --- reading -----------------------------------------------------------------------------


def read_table(source: str | os.PathLike[str] | IO[bytes], filename: str | None = None) -> Table:
    """Read the first sheet of an .xlsx or a .csv file, from a path or a binary stream.

    The file type comes from the filename (the path's name when none is given) and is
    checked against the content. Raises TabularError for anything wrong with the file itself.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        with path.open("rb") as stream:
            return read_table(stream, filename or path.name)
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".csv":
        return _read_csv(_read_bytes(source))
    if suffix == ".xlsx":
        return _read_xlsx(source)
    if suffix == ".xlsm":
        raise TabularError(
            "Workbooks with macros (.xlsm) cannot be imported. "
            "Save it as an Excel workbook (.xlsx) or as CSV UTF-8 and try again"
        )
    if suffix == ".xls":
        raise TabularError(
            "Old Excel files (.xls) cannot be imported. "
            "Save it as an Excel workbook (.xlsx) or as CSV UTF-8 and try again"
        )
    raise TabularError("The file must be a CSV file (.csv) or an Excel workbook (.xlsx)")


def _read_bytes(stream: IO[bytes]) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise TabularError(f"The file must be smaller than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return data


def _decode(data: bytes) -> str:
    """Text from the bytes of a CSV file: BOMs honoured, UTF-8 first, then Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise TabularError(f"The file could not be read as text. {_SAVE_AS}") from error
    head = data[:8192]
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC, b"%PDF")):
        raise TabularError(f"The file is not a CSV file. {_SAVE_AS}")
    # A few NULs can be a bad cell (reported on its row); this many is UTF-16 without a
    # byte-order mark, or not text at all.
    if head.count(b"\x00") * 10 > len(head):
        raise TabularError(f"The file is not a CSV file in a text encoding we can read. {_SAVE_AS}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Excel's plain "CSV (Comma delimited)" on Windows writes Windows-1252, not UTF-8.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise TabularError(f"The file could not be read as text. {_SAVE_AS}") from error
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\r\n\x00")
    if controls * 100 > len(text[:8192]):
        raise TabularError(f"The file is not a CSV file. {_SAVE_AS}")
    return text


def _delimiter(text: str) -> str:
    """Comma, semicolon or tab, judged by the header line and, if that is unclear, Sniffer."""
    # The header is the first line with something in it; blank lines above it are allowed.
    first_line = next(
        (line for line in io.StringIO(text, newline="") if line.strip(" \r\n" + CSV_DELIMITERS)),
        "",
    )
    counts = {candidate: first_line.count(candidate) for candidate in CSV_DELIMITERS}
    present = [candidate for candidate in CSV_DELIMITERS if counts[candidate]]
    if len(present) == 1:
        return present[0]
    if not present:
        # One column at most: the column checks will say what is missing.
        return ","
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in present:
        return sniffed
    return max(present, key=lambda candidate: counts[candidate])


def _read_csv(data: bytes) -> Table:
    if not data.strip():
        raise TabularError("The file is empty")
    text = _decode(data)
    if not text.strip(" \t\r\n\ufeff"):
        raise TabularError("The file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records: Iterator[tuple[int, Sequence[Cell]]] = enumerate(reader, start=1)
    try:
        return _table(records)
    except csv.Error as error:
        raise TabularError(
            f"Line {reader.line_num} could not be read as CSV: a value may be missing a closing "
            "quotation mark or be too long"
        ) from error


def _check_zip(stream: IO[bytes]) -> None:
    """Refuse archives that would unpack to too much before openpyxl opens them.

    zipfile stops reading each member at its declared size, so the declared sizes bound
    what openpyxl can unpack.
    """
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise TabularError("The file is not a valid Excel workbook (.xlsx)") from error
    if len(entries) > MAX_XLSX_ENTRIES:
        raise TabularError("The workbook has too many parts to be read safely")
    if sum(entry.file_size for entry in entries) > MAX_XLSX_UNPACKED:
        raise TabularError("The workbook is too large to be read safely")
    if not any(entry.filename == "xl/workbook.xml" for entry in entries):
        raise TabularError("The file is not a valid Excel workbook (.xlsx)")


def _read_xlsx(stream: IO[bytes]) -> Table:
    head = stream.read(4)
    if not head:
        raise TabularError("The file is empty")
    if head != _ZIP_MAGIC:
        raise TabularError("The file is not a valid Excel workbook (.xlsx)")
    stream.seek(0, io.SEEK_END)
    if stream.tell() > MAX_FILE_BYTES:
        raise TabularError(f"The file must be smaller than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    stream.seek(0)
    _check_zip(stream)
    stream.seek(0)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise TabularError("The file is not a valid Excel workbook (.xlsx)") from error
    try:
        if not workbook.worksheets:
            raise TabularError("The workbook has no sheets")
        sheet = workbook.worksheets[0]
        # Some programs write a wrong "used range"; without this rows could be silently lost.
        sheet.reset_dimensions()  # type: ignore[union-attr]
        records = enumerate(sheet.iter_rows(values_only=True), start=1)
        try:
            return _table(records)
        except TabularError:
            raise
        except Exception as error:  # damaged sheet XML surfaces while iterating
            raise TabularError("The workbook could not be read. It may be damaged") from error
    finally:
        workbook.close()


def _clean(value: Cell) -> Cell:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _blank(values: Sequence[Cell]) -> bool:
    return all(_clean(value) is None for value in values)


def _table(records: Iterator[tuple[int, Sequence[Cell]]]) -> Table:
    """Headings from the first non-blank line, then every non-blank line under it."""
    header_line = 0
    raw_headers: Sequence[Cell] = ()
    for line, values in records:
        if not _blank(values):
            header_line, raw_headers = line, values
            break
    else:
        raise TabularError("The file is empty")

    headers = [_heading(value) for value in raw_headers]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise TabularError(f"The file has more than {MAX_COLUMNS} columns")
    for index, heading in enumerate(headers, start=1):
        if not heading:
            raise TabularError(
                f"Column {get_column_letter(index)} has no heading in line {header_line}. "
                "Give every column a heading"
            )
    seen: set[str] = set()
    for heading in headers:
        if heading in seen:
            raise TabularError(f"The column {heading} appears more than once in the header row")
        seen.add(heading)

    rows: list[Row] = []
    for line, values in records:
        if _blank(values):
            continue
        for index in range(len(headers), len(values)):
            if _clean(values[index]) is not None:
                raise TabularError(
                    f"Line {line} has a value in column {get_column_letter(index + 1)}, "
                    "which has no heading. Add a heading or remove the value"
                )
        if len(rows) >= MAX_ROWS:
            raise TabularError(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files"
            )
        cells = {
            heading: _clean(values[index]) if index < len(values) else None
            for index, heading in enumerate(headers)
        }
        rows.append(Row(line=line, values=cells))
    if not rows:
        raise TabularError("The file has a header row but no rows of data")
    return Table(headers=headers, rows=rows)


def _heading(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


# --- cells -------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_UK_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0"})


def cell_text(value: Cell) -> str | None:
    """A cell as text: trimmed, None when blank; whole numbers lose Excel's ".0"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    text = str(value).strip()
    return text or None


def parse_date(value: Cell, label: str = "The date") -> date | None:
    """A date from an Excel date cell, 2024-08-15, or 15/08/2024 (day first); None if blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise CellError(f"Enter the {label.lower()} as a date, like 15/08/2024 or 2024-08-15")
    text = value.strip()
    if not text:
        return None
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    else:
        raise CellError(f"Enter the {label.lower()} as a date, like 15/08/2024 or 2024-08-15")
    if year < 1900:
        raise CellError(f"{label} must be a real date")
    try:
        return date(year, month, day)
    except ValueError as error:
        raise CellError(f"{label} must be a real date") from error


def parse_bool(value: Cell, label: str = "The value") -> bool:
    """yes/no, y/n, true/false or 1/0 in any case, or an Excel TRUE/FALSE; blank means no."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text or text in _FALSE:
        return False
    if text in _TRUE:
        return True
    raise CellError(f"{label} must be yes or no")
