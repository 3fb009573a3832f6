"""No block of six or more lines is written twice in the application or its templates.

A repeated block is one operation written in two places: the next change fixes one copy and
not the other. This reads every module under provider_portal/ and every template, folds white
space, passes over blank lines, comments, imports and lone punctuation, and fails on any run of
six such lines that stands in two places (the same file or two files).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 6
SOURCES = [
    *sorted((ROOT / "provider_portal").rglob("*.py")),
    *sorted((ROOT / "templates").rglob("*.html")),
    *sorted((ROOT / "provider_portal" / "static").glob("*.js")),
    *sorted((ROOT / "provider_portal" / "static").glob("*.css")),
]
_PUNCTUATION = re.compile(r"^[\s()\[\]{},:;\"']*$")
_SKIPPED = re.compile(
    r"^(#|//|/\*|\*|from \S+ import|import |\{#.*#\}$|\{%-? *(end\w+|else)\b.*%\}$|\)$|\]$)"
)


def significant_lines(text: str) -> list[tuple[int, str]]:
    """(line number, folded text) of the lines that count towards a repeated block."""
    lines = []
    in_import = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if in_import:
            in_import = not line.startswith(")")
            continue
        if line.startswith("from ") and line.endswith("import ("):
            in_import = True
            continue
        if not line or _PUNCTUATION.match(line) or _SKIPPED.match(line):
            continue
        lines.append((number, line))
    return lines


def repeated_blocks(files: dict[str, str]) -> list[str]:
    """Each block of WINDOW significant lines found in more than one place, once."""
    places: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    for name, text in files.items():
        lines = significant_lines(text)
        for start in range(len(lines) - WINDOW + 1):
            window = tuple(line for _, line in lines[start : start + WINDOW])
            places[window].append((name, lines[start][0]))
    found = []
    reported: set[tuple[str, int]] = set()
    for window, where in places.items():
        if len(where) < 2 or where[0] in reported:
            continue
        # A longer repeat shows up as several overlapping windows: report its first only.
        reported.update((name, line + offset) for name, line in where for offset in range(40))
        spots = ", ".join(f"{name}:{line}" for name, line in where)
        found.append(f"{spots}: {window[0][:80]!r}")
    return found


def test_no_block_of_six_lines_is_written_twice() -> None:
    files = {str(path.relative_to(ROOT)): path.read_text("utf-8") for path in SOURCES}
    assert len(files) > 100
    assert repeated_blocks(files) == []


def test_the_check_finds_a_repeated_block_and_ignores_thin_lines() -> None:
    block = "\n".join(f"total += row.value_{n}" for n in range(6))
    thin = "\n".join(
        ["from x import (", "    a,", "    b,", ")", "", "# note", "    ]", '"""', "{% endif %}"]
        * 3
    )
    files = {"a.py": f"def one():\n{block}\n", "b.py": f"def two():\n{block}\n", "c.py": thin}
    found = repeated_blocks(files)
    assert len(found) == 1
    assert found[0].startswith("a.py:2, b.py:2")
    assert repeated_blocks({"a.py": block, "c.py": thin * 2}) == []
