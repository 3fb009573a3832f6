"""An import's saving step: its rows a chunk at a time (provider_portal.bulk writes each
chunk in a statement or two), telling the progress callback how far it has got between chunks,
never while a result is still being read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from provider_portal.imports.rows import PROGRESS_EVERY, SAVING, Progress

T = TypeVar("T")

# Rows a statement writes; each chunk is one step of the saving progress.
CHUNK = PROGRESS_EVERY


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SavingProgress:
    """Tells an import's progress callback how many rows are saved, chunk by chunk.

    The callback hears 0 when saving starts, the count after each chunk but the last, and
    the whole count once the import has committed (done()).
    """

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.saved = 0
        progress(SAVING, 0, total)

    def chunk_saved(self, rows: int) -> None:
        self.saved += rows
        if self.saved < self.total:
            self.progress(SAVING, self.saved, self.total)

    def done(self) -> None:
        self.progress(SAVING, self.total, self.total)
