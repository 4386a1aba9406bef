"""Bounding scratch memory: how many batch items (or rows) fit in the workspace."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import get_options


def chunk_ranges(total: int, bytes_per_item: int, fixed_bytes: int = 0) -> Iterator[tuple[int, int]]:
    """Split ``range(total)`` into ``[start, stop)`` chunks that fit the workspace cap.

    Each chunk costs ``fixed_bytes + items * bytes_per_item``; a chunk holds at
    least one item (the cap cannot be met below that).

    >>> list(chunk_ranges(5, 100, 0))
    [(0, 5)]
    """
    budget = get_options().workspace_bytes - fixed_bytes
    per_chunk = max(1, budget // max(bytes_per_item, 1))
    for start in range(0, total, per_chunk):
        yield start, min(total, start + per_chunk)
