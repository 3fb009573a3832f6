"""Exporting the audit trail: the one operation here, and it is audited itself."""

from __future__ import annotations

import io

from provider_portal import audit
from provider_portal.audit_log.queries import (
    CSV_HEADER,
    MAX_EXPORT_ROWS,
    AuditFilters,
    count_events,
    export_rows,
)
from provider_portal.errors import ReportError
from provider_portal.models import User
from provider_portal.tabular import write_csv


def export_trail(filters: AuditFilters, actor: User) -> str:
    """The filtered trail as CSV, with an audit row saying who took it (the caller commits).

    Raises ReportError (field date_from) past MAX_EXPORT_ROWS: the export is built in memory.
    """
    if count_events(filters) > MAX_EXPORT_ROWS:
        raise ReportError(
            f"The export is limited to {MAX_EXPORT_ROWS:,} rows. Choose a shorter date range",
            "date_from",
        )
    out = io.StringIO()
    rows = list(export_rows(filters))
    write_csv(out, CSV_HEADER, rows)
    audit.record("audit_exported", detail=f"{filters.describe()} rows={len(rows)}", actor=actor)
    return out.getvalue()
