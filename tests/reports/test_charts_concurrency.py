"""Charts drawn by several requests at once, in a process that has not loaded matplotlib yet,
come out whole and identical: the threaded server once answered a first burst of chart
requests with "module 'matplotlib' has no attribute ...", and every later chart with a 500."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys
    import threading
    from datetime import date

    assert "matplotlib" not in sys.modules
    from provider_portal.reports.charts import compliance_chart_svg
    from provider_portal.reports.compliance.queries import ComplianceRow

    rows = [ComplianceRow(date(2024, m, 1), 10 + m, 5 + m, 9 + m, 4 + m) for m in range(1, 13)]
    results, errors = [], []
    start = threading.Barrier(8)

    def draw():
        start.wait()
        try:
            results.append(compliance_chart_svg(rows))
        except Exception as error:  # the test reports what went wrong
            errors.append(repr(error))

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results) == 8
    assert len(set(results)) == 1, "charts drawn at the same time differ"
    assert results[0] == compliance_chart_svg(rows), "a chart drawn alone differs"
    print("ok")
    """
)


def test_charts_drawn_at_once_from_a_cold_start_are_whole_and_identical() -> None:
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip() == "ok"
