"""A report leaving the portal: the file, its name, and the audit row that says it left.

Every download of a report (and the pack written by `flask report pack`) is recorded here, so
the audit trail's "report_exported" rows are written one way, by the web and the CLI alike.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from provider_portal import audit
from provider_portal.extensions import db
from provider_portal.reports.scope import Scope
from provider_portal.tabular import write_csv

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export:
    """A report as a file: what is sent, as what and under which name, and how it is audited."""

    body: str | bytes
    content_type: str
    filename: str  # made safe for a Content-Disposition header by whoever builds it
    detail: str  # the audit row's detail
    about: Scope | None = None  # the contract or provider the audit row is about, if any


def csv_export(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    filename: str,
    detail: str,
    about: Scope | None = None,
) -> Export:
    """A table as a CSV file (CRLF, every cell through tabular.safe_cell)."""
    out = io.StringIO()
    write_csv(out, header, rows)
    return Export(out.getvalue(), CSV_TYPE, filename, detail, about)


def month_range_csv(
    name: str,
    first_month: date,
    last_month: date,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> Export:
    """A table over a range of months as CSV, named and audited by report and months."""
    return csv_export(
        header,
        rows,
        f"{name}-{first_month:%Y-%m}-to-{last_month:%Y-%m}.csv",
        f"{name} {first_month:%Y-%m}..{last_month:%Y-%m}",
    )


def record_export(detail: str, about: Scope | None = None) -> None:
    """Audit a report leaving the portal and commit.

    `about` names the contract (and its provider) or the provider the report covers, for the
    pack; the other reports give their scope in the detail only.
    """
    contract = about.contract if about is not None else None
    provider = about.provider if about is not None else None
    audit.record(
        "report_exported",
        "contract" if contract is not None else None,
        contract.id if contract is not None else None,
        detail=detail,
        provider_id=(
            contract.provider_id
            if contract is not None
            else provider.id
            if provider is not None
            else None
        ),
    )
    db.session.commit()
