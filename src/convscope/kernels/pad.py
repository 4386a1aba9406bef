"""Padding in every boundary mode, and its adjoint.

Each padded axis is an index map (:func:`convscope.core.source_index`): the
forward pass gathers along it, the adjoint adds each padded cell back onto
the input cell it copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import PadMode, source_index


def pad(x: np.ndarray, pads: Sequence[tuple[int, int]], mode: PadMode, value: float = 0.0) -> np.ndarray:
    """Pad the last ``len(pads)`` axes of ``x`` by ``(low, high)`` each.

    Examples
    --------
    >>> pad(np.arange(4), [(2, 1)], PadMode.REFLECT)
    array([2, 1, 0, 1, 2, 3, 2])
    """
    first = x.ndim - len(pads)
    if mode is PadMode.CONSTANT:
        shape = x.shape[:first] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[first:], pads))
        out = np.full(shape, value, dtype=x.dtype)
        sizes = x.shape[first:]
        src = tuple(slice(max(-lo, 0), max(n - max(-hi, 0), max(-lo, 0))) for n, (lo, hi) in zip(sizes, pads))
        dst = tuple(slice(max(lo, 0), max(lo, 0) + (s.stop - s.start)) for s, (lo, hi) in zip(src, pads))
        target: tuple[Any, ...] = (Ellipsis, *dst)
        source: tuple[Any, ...] = (Ellipsis, *src)
        out[target] = x[source]
        return out
    out = x
    for axis, (n, pair) in enumerate(zip(x.shape[first:], pads), start=first):
        if pair != (0, 0):
            out = np.take(out, source_index(n, pair, mode), axis=axis)
    return out


def pad_adjoint(
    grad: np.ndarray, input_shape: Sequence[int], pads: Sequence[tuple[int, int]], mode: PadMode
) -> np.ndarray:
    """Gradient of :func:`pad` with respect to its input."""
    first = len(input_shape) - len(pads)
    result = grad
    for axis in reversed(range(first, len(input_shape))):
        n = input_shape[axis]
        pair = pads[axis - first]
        index = source_index(n, pair, mode)
        moved = np.moveaxis(result, axis, 0)
        folded = np.zeros((n, *moved.shape[1:]), dtype=grad.dtype)
        # The interior is one run copied in order; each padded cell is one
        # hyperplane, added back onto the cell it copied.
        start, stop = max(pair[0], 0), min(len(index), pair[0] + n)
        if stop > start:
            folded[start - pair[0] : stop - pair[0]] += moved[start:stop]
        for p in range(len(index)):
            if index[p] >= 0 and not start <= p < stop:
                folded[index[p]] += moved[p]
        result = np.moveaxis(folded, 0, axis)
    return result
