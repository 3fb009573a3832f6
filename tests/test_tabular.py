"""Reading CSV and XLSX files, parsing their cells, and writing safe CSV."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from provider_portal import tabular
from provider_portal.errors import CellError, TabularError
from provider_portal.tabular import cell_text, parse_bool, parse_date, read_table, write_csv
from tests.imports.files import write_xlsx

# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-15", date(2024, 8, 15)),
        ("2024-8-5", date(2024, 8, 5)),
        ("2024-08-15 00:00:00", date(2024, 8, 15)),
        ("15/08/2024", date(2024, 8, 15)),
        ("1/2/2025", date(2025, 2, 1)),
        ("01/02/2025", date(2025, 2, 1)),
        (" 15/08/2024 ", date(2024, 8, 15)),
        ("15-08-2024", date(2024, 8, 15)),
        ("15.08.2024", date(2024, 8, 15)),
        ("29/02/2024", date(2024, 2, 29)),
        (datetime(2024, 8, 15, 0, 0), date(2024, 8, 15)),
        (date(2024, 8, 15), date(2024, 8, 15)),
        (None, None),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_date_accepts(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value", ["31/04/2024", "29/02/2025", "2024-02-30", "15/13/2024", "0/1/2024"]
)
def test_parse_date_refuses_dates_that_do_not_exist(value: str) -> None:
    with pytest.raises(CellError, match="^Date of birth must be a real date$"):
        parse_date(value, "Date of birth")


@pytest.mark.parametrize(
    "value",
    [
        "15 August 2024",
        "15/08/24",
        "2024/08/15",
        "15/08-2024",
        "tomorrow",
        "2024-08-15 09:30",
        45519,
        1.5,
        True,
    ],
)
def test_parse_date_refuses_what_is_not_a_date(value: object) -> None:
    with pytest.raises(CellError, match="^Enter the date of birth as a date, like 15/08/2024"):
        parse_date(value, "Date of birth")


def test_parse_date_refuses_years_before_1900() -> None:
    with pytest.raises(CellError, match="must be a real date"):
        parse_date("0215-03-14", "Date of birth")


# --- booleans and text -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["yes", "YES", "Yes", "y", "Y", "true", "TRUE", "True", "1", 1, True]
)
def test_parse_bool_true(value: object) -> None:
    assert parse_bool(value) is True


@pytest.mark.parametrize(
    "value", ["no", "NO", "No", "n", "N", "false", "FALSE", "0", 0, False, None, ""]
)
def test_parse_bool_false(value: object) -> None:
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["maybe", "2", 2, "ja", "yes please"])
def test_parse_bool_refuses_other_values(value: object) -> None:
    with pytest.raises(CellError, match="^Looked after must be yes or no$"):
        parse_bool(value, "Looked after")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" EHC1 ", "EHC1"),
        ("", None),
        (None, None),
        (12345, "12345"),
        (12345.0, "12345"),
        (7.5, "7.5"),
    ],
)
def test_cell_text(value: object, expected: str | None) -> None:
    assert cell_text(value) == expected


# --- CSV ---------------------------------------------------------------------------------


def _csv(data: bytes, name: str = "file.csv") -> tabular.Table:
    return read_table(io.BytesIO(data), name)


def test_csv_headers_are_trimmed_and_lower_cased_and_rows_keep_their_line_numbers() -> None:
    headers, rows = _csv(b" Case_Ref ,FIRST_NAME\nEHC1, Alex \n\n,\nEHC2,Sam\n")
    assert headers == ["case_ref", "first_name"]
    assert [(row.line, row.values) for row in rows] == [
        (2, {"case_ref": "EHC1", "first_name": "Alex"}),
        (5, {"case_ref": "EHC2", "first_name": "Sam"}),
    ]


def test_csv_short_rows_are_padded_with_blanks() -> None:
    _, rows = _csv(b"a,b,c\n1\n")
    assert rows[0].values == {"a": "1", "b": None, "c": None}


def test_csv_quoted_values_keep_commas_and_line_breaks_and_count_as_one_line() -> None:
    _, rows = _csv(b'a,b\n"Smith, Jo","two\nlines"\nx,y\n')
    assert rows[0].values == {"a": "Smith, Jo", "b": "two\nlines"}
    assert [row.line for row in rows] == [2, 3]


def test_csv_with_utf8_byte_order_mark() -> None:
    headers, rows = _csv("\ufeffcase_ref,first_name\nEHC1,Zoë\n".encode())
    assert headers == ["case_ref", "first_name"]
    assert rows[0].values["first_name"] == "Zoë"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_csv_in_utf16_with_byte_order_mark(encoding: str) -> None:
    text = "case_ref,first_name\r\nEHC1,Zoë\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    elif encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    headers, rows = _csv(data)
    assert headers == ["case_ref", "first_name"]
    assert rows[0].values == {"case_ref": "EHC1", "first_name": "Zoë"}


def test_csv_in_utf16_without_byte_order_mark_is_refused_clearly() -> None:
    with pytest.raises(TabularError, match="not a CSV file in a text encoding we can read"):
        _csv("case_ref,first_name\nEHC1,Alex\n".encode("utf-16-le"))


def test_csv_in_windows_1252_is_read() -> None:
    _, rows = _csv("case_ref,first_name\nEHC1,Zoë\n".encode("cp1252"))
    assert rows[0].values["first_name"] == "Zoë"


def test_semicolon_delimited_csv() -> None:
    headers, rows = _csv(b'case_ref;setting\nEHC1;"St Mary\'s, Townley"\nEHC2;Park School\n')
    assert headers == ["case_ref", "setting"]
    assert rows[0].values == {"case_ref": "EHC1", "setting": "St Mary's, Townley"}
    assert rows[1].values == {"case_ref": "EHC2", "setting": "Park School"}


def test_semicolons_after_blank_lines_above_the_header() -> None:
    headers, rows = _csv(b"\n;;\ncase_ref;first_name\nEHC1;Alex, Jo\n")
    assert headers == ["case_ref", "first_name"]
    assert [(row.line, row.values) for row in rows] == [
        (4, {"case_ref": "EHC1", "first_name": "Alex, Jo"})
    ]


def test_tab_delimited_csv() -> None:
    headers, rows = _csv(b"case_ref\tfirst_name\nEHC1\tAlex\n")
    assert headers == ["case_ref", "first_name"]
    assert rows[0].values == {"case_ref": "EHC1", "first_name": "Alex"}


def test_nul_in_a_cell_is_kept_for_the_row_checks() -> None:
    _, rows = _csv(b"a,b\nx\x00y,z\n")
    assert rows[0].values["a"] == "x\x00y"


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b"\xff\xfe", b",,,\n,,\n"])
def test_empty_csv(data: bytes) -> None:
    with pytest.raises(TabularError, match="^The file is empty$"):
        _csv(data)


def test_csv_with_only_a_header_row() -> None:
    with pytest.raises(TabularError, match="header row but no rows of data"):
        _csv(b"case_ref,first_name\n\n")


def test_duplicate_headers_after_normalising() -> None:
    with pytest.raises(TabularError, match="The column case_ref appears more than once"):
        _csv(b"case_ref,first_name,Case_Ref \n1,2,3\n")


def test_blank_heading_between_columns() -> None:
    with pytest.raises(TabularError, match="Column B has no heading in line 1"):
        _csv(b"case_ref,,first_name\n1,2,3\n")


def test_trailing_blank_headings_are_ignored_but_values_under_them_are_not() -> None:
    headers, _ = _csv(b"a,b,,\n1,2,,\n")
    assert headers == ["a", "b"]
    with pytest.raises(TabularError, match="Line 3 has a value in column C, which has no heading"):
        _csv(b"a,b,,\n1,2,,\n1,2,3\n")


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)
    assert len(_csv(b"a\n1\n2\n\n3\n").rows) == 3
    with pytest.raises(TabularError, match="^The file has more than 3 rows"):
        _csv(b"a\n1\n2\n3\n4\n")


def test_the_real_row_limit_is_fifty_thousand() -> None:
    assert tabular.MAX_ROWS == 50_000


def test_too_many_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_COLUMNS", 2)
    with pytest.raises(TabularError, match="more than 2 columns"):
        _csv(b"a,b,c\n1,2,3\n")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"%PDF-1.7\n" + b"\x00\x01\x02" * 100,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
        b"PK\x03\x04" + b"\x00" * 100,
    ],
)
def test_binary_content_named_csv_is_refused(data: bytes) -> None:
    with pytest.raises(TabularError, match="CSV"):
        _csv(data)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cases.xls", "Old Excel files"),
        ("cases.xlsm", "Workbooks with macros"),
        ("cases.txt", "must be a CSV file"),
        ("cases", "must be a CSV file"),
        ("cases.csv.exe", "must be a CSV file"),
    ],
)
def test_other_file_types_are_refused(name: str, message: str) -> None:
    with pytest.raises(TabularError, match=message):
        _csv(b"a,b\n1,2\n", name)


def test_file_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 10)
    with pytest.raises(TabularError, match="smaller than"):
        _csv(b"a,b\n1,2\n3,4\n")


def test_reading_from_a_path_uses_its_name(tmp_path: Path) -> None:
    path = tmp_path / "cases.CSV"
    path.write_bytes(b"a\n1\n")
    assert read_table(path).rows[0].values == {"a": "1"}


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_with_real_date_cells_numbers_and_booleans(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path,
        [
            ["Case_Ref ", "date_of_birth", "request_received_on", "looked_after", "year_group"],
            [12345, date(2015, 3, 14), datetime(2024, 8, 15), True, 7],
            [None, None, None, None, None],
            ["EHC2", "14/03/2015", "2024-08-15", "no", "Reception"],
        ],
    )
    headers, rows = read_table(path)
    assert headers == [
        "case_ref",
        "date_of_birth",
        "request_received_on",
        "looked_after",
        "year_group",
    ]
    assert [row.line for row in rows] == [2, 4]
    first = rows[0].values
    assert cell_text(first["case_ref"]) == "12345"
    assert parse_date(first["date_of_birth"]) == date(2015, 3, 14)
    assert parse_date(first["request_received_on"]) == date(2024, 8, 15)
    assert first["looked_after"] is True
    assert cell_text(first["year_group"]) == "7"
    assert rows[1].values["date_of_birth"] == "14/03/2015"


def test_xlsx_reads_the_first_sheet_even_when_another_is_active(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.append(["case_ref"])
    first.append(["FIRST"])
    second = workbook.create_sheet("Notes")
    second.append(["note"])
    second.append(["ignore me"])
    workbook.active = 1
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    assert [row.values for row in read_table(path).rows] == [{"case_ref": "FIRST"}]


def test_xlsx_from_a_stream(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [["a"], ["x"]])
    with path.open("rb") as stream:
        assert read_table(io.BytesIO(stream.read()), "upload.xlsx").rows[0].values == {"a": "x"}


def test_empty_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [])
    with pytest.raises(TabularError, match="^The file is empty$"):
        read_table(path)


def test_xlsx_duplicate_headers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [["a", "A"], [1, 2]])
    with pytest.raises(TabularError, match="The column a appears more than once"):
        read_table(path)


def test_xlsx_too_many_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_ROWS", 2)
    path = write_xlsx(tmp_path, [["a"], [1], [2], [3]])
    with pytest.raises(TabularError, match="^The file has more than 2 rows"):
        read_table(path)


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"a,b\n1,2\n"])
def test_xlsx_that_is_not_a_workbook(data: bytes) -> None:
    with pytest.raises(TabularError, match="empty|not a valid Excel workbook"):
        read_table(io.BytesIO(data), "cases.xlsx")


def test_truncated_xlsx(tmp_path: Path) -> None:
    data = write_xlsx(tmp_path, [["a"], [1]]).read_bytes()
    with pytest.raises(TabularError, match="not a valid Excel workbook"):
        read_table(io.BytesIO(data[: len(data) // 2]), "cases.xlsx")


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def test_zip_that_is_not_a_workbook() -> None:
    with pytest.raises(TabularError, match="not a valid Excel workbook"):
        read_table(_zip({"word/document.xml": b"<x/>"}), "cases.xlsx")


def test_damaged_workbook_xml() -> None:
    stream = _zip({"[Content_Types].xml": b"<nonsense", "xl/workbook.xml": b"<<<"})
    with pytest.raises(TabularError, match="not a valid Excel workbook"):
        read_table(stream, "cases.xlsx")


def test_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_XLSX_UNPACKED", 1_000_000)
    stream = _zip({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b" " * 2_000_000})
    assert len(stream.getvalue()) < 10_000  # it really is small packed
    with pytest.raises(TabularError, match="too large to be read safely"):
        read_table(stream, "cases.xlsx")


def test_workbook_with_too_many_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_XLSX_ENTRIES", 3)
    stream = _zip({f"xl/part{n}.xml": b"<x/>" for n in range(4)})
    with pytest.raises(TabularError, match="too many parts"):
        read_table(stream, "cases.xlsx")


def test_real_workbook_passes_the_default_zip_limits(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [["a"], ["x"]])
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) < tabular.MAX_XLSX_ENTRIES
    assert read_table(path).rows[0].values == {"a": "x"}


# --- writing -----------------------------------------------------------------------------


def test_write_csv_neutralises_formulas_and_keeps_numbers() -> None:
    out = io.StringIO()
    write_csv(
        out, ["name", "=total"], [['=HYPERLINK("http://x")', 5], ["@SUM(A1)", -3], ["+1", "ok"]]
    )
    assert out.getvalue() == (
        'name,\'=total\r\n"\'=HYPERLINK(""http://x"")",5\r\n\'@SUM(A1),-3\r\n\'+1,ok\r\n'
    )


def test_write_csv_quotes_values_with_line_breaks() -> None:
    """A bare carriage return inside a value must not split the row in a spreadsheet."""
    out = io.StringIO()
    write_csv(out, ["note"], [["first\rsecond"], ["a\nb"]])
    assert out.getvalue() == 'note\r\n"first\rsecond"\r\n"a\nb"\r\n'
