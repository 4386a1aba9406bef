"""Memory-bound NumPy work split over threads.

NumPy's copies and element-wise ufuncs run on one core, but release the GIL;
splitting a large copy along its first axis over a few threads uses the other
cores (BLAS calls are left alone: they have their own threads).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_WORKERS = max(1, min(os.cpu_count() or 1, 8))
_POOL = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="convscope")
# Below this many bytes, thread hand-off costs more than it saves.
_MIN_BYTES = 1 << 20


def _splits(length: int, parts: int) -> list[tuple[int, int]]:
    step = -(-length // parts)
    return [(i, min(length, i + step)) for i in range(0, length, step)]


def split_apply(length: int, nbytes: int, work: Callable[[int, int], None]) -> None:
    """Run ``work(start, stop)`` over ``range(length)``, in parallel chunks when it is big."""
    parts = min(_WORKERS, length) if nbytes >= _MIN_BYTES else 1
    if parts <= 1:
        work(0, length)
        return
    futures = [_POOL.submit(work, a, b) for a, b in _splits(length, parts)]
    for future in futures:
        future.result()


def copy(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src`` (same shape), split along the first axis longer than 1."""
    axis = next((i for i, n in enumerate(dst.shape) if n > 1), None)
    if axis is None:
        dst[...] = src
        return
    src = np.broadcast_to(src, dst.shape)
    lead = (slice(None),) * axis

    def work(a: int, b: int) -> None:
        dst[(*lead, slice(a, b))] = src[(*lead, slice(a, b))]

    split_apply(dst.shape[axis], dst.nbytes, work)


def contiguous(src: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``src`` (no copy if it already is)."""
    if src.flags.c_contiguous:
        return src
    out = np.empty(src.shape, src.dtype)
    copy(out, src)
    return out
