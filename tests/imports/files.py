"""Build import files for the tests: CSV text or real XLSX workbooks in tmp_path."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl

from provider_portal.tabular import Table, read_table

CASE_HEADER = "case_ref,first_name,last_name,date_of_birth,request_received_on"
ALLOCATION_HEADER = "case_ref,provider,work_type,allocated_on,due_on,returned_on,accepted_on"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_csv(tmp_path: Path, *lines: str, name: str = "import.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(*lines))
    return path


def write_xlsx(tmp_path: Path, rows: Sequence[Sequence[object]], name: str = "import.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / name
    workbook.save(path)
    return path


def table(tmp_path: Path, *lines: str) -> Table:
    return read_table(write_csv(tmp_path, *lines))
