"""Separable window reductions: max, sum and their adjoints, one axis at a time.

A pooling window is a product of per-axis windows, so a max or a sum over it
is a chain of one-axis reductions. Along one axis, each tap ``t`` of an
index map (``(out, taps)``, ``-1`` for padding) is one strided slice of the
input for the outputs it reaches: the reduction is ``taps`` vectorised
passes, never a loop over pixels.

Max pooling keeps PyTorch's choice of argmax: the first maximum in
row-major window order, except that a NaN always wins (the last NaN). A
separable pass preserves both rules: along each axis the first strict
maximum wins, and the earliest row holding the window's maximum holds its
first occurrence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .parallel import split_apply

Selection = slice | np.ndarray
IndexMap = np.ndarray
Combine = Callable[[np.ndarray, int, Selection, np.ndarray], None]


def _progression(values: np.ndarray) -> slice | None:
    """``values`` as a slice, when they are an increasing arithmetic progression."""
    if values.size == 1:
        return slice(int(values[0]), int(values[0]) + 1)
    step = int(values[1] - values[0])
    if step > 0 and np.all(np.diff(values) == step):
        return slice(int(values[0]), int(values[-1]) + 1, step)
    return None


def _affine(index: IndexMap) -> tuple[np.ndarray, int]:
    """``(base, step)`` with ``index[o, t] == base[o] + t * step`` wherever ``index`` is valid.

    Window maps (strided and adaptive alike) are affine in the tap.
    """
    valid = index >= 0
    first = np.argmax(valid, axis=1)
    last = index.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    rows = np.arange(index.shape[0])
    spread = np.nonzero(last > first)[0]
    step = 1
    if spread.size:
        o = spread[0]
        step = int(index[o, last[o]] - index[o, first[o]]) // int(last[o] - first[o])
    base = index[rows, first] - first * step
    return base, step


def _blend(target: np.ndarray, axis: int, outputs: Selection, value: Any, take: np.ndarray) -> None:
    """``target[outputs] = where(take, value, target[outputs])`` along ``axis``, for integer arrays.

    Written as ``target += take * (value - target)``: a masked copy or
    ``np.where`` with an unpredictable mask is several times slower.
    """
    held = target[_at(axis, outputs)]
    change = np.subtract(value, held, dtype=target.dtype)
    change *= take
    held += change
    if not isinstance(outputs, slice):
        target[_at(axis, outputs)] = held


def _raise_to(target: np.ndarray, axis: int, outputs: Selection, value: np.ndarray) -> None:
    """``target[outputs] = maximum(target[outputs], value)``; NaN propagates, as in PyTorch."""
    if isinstance(outputs, slice):
        held = target[_at(axis, outputs)]
        np.maximum(held, value, out=held)
    else:
        target[_at(axis, outputs)] = np.maximum(target[_at(axis, outputs)], value)


def _valid_taps(index: IndexMap) -> list[int]:
    """The taps that reach at least one output (those :func:`tap_selections` lists, in order)."""
    return [t for t in range(index.shape[1]) if (index[:, t] >= 0).any()]


def tap_selections(index: IndexMap) -> list[tuple[Selection, Selection]]:
    """For each tap, ``(outputs, inputs)``: which outputs it reaches and the inputs they read.

    Strided pooling gives slices (views); adaptive windows give index arrays.
    """
    selections: list[tuple[Selection, Selection]] = []
    for column in index.T:
        (outputs,) = np.nonzero(column >= 0)
        if outputs.size == 0:
            continue
        inputs = column[outputs]
        out_slice, in_slice = _progression(outputs), _progression(inputs)
        if out_slice is not None and in_slice is not None and out_slice.step in (None, 1):
            selections.append((out_slice, in_slice))
        else:
            selections.append((outputs, inputs))
    return selections


def _at(axis: int, selection: Selection) -> tuple[Any, ...]:
    return (*(slice(None),) * axis, selection)


def _lowest(dtype: np.dtype[Any]) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _planes(x: np.ndarray, spatial: int) -> np.ndarray:
    """``x`` as ``(planes, *spatial)`` so threads can split the planes."""
    lead = int(np.prod(x.shape[: x.ndim - spatial], dtype=np.int64))  # explicit: -1 fails on empty planes
    return x.reshape((lead, *x.shape[x.ndim - spatial :]))


def _per_plane(
    x: np.ndarray, out_shape: tuple[int, ...], dtype: Any, work: Callable[[np.ndarray, np.ndarray], None]
) -> np.ndarray:
    out = np.empty(out_shape, dtype)
    split_apply(x.shape[0], x.nbytes, lambda a, b: work(x[a:b], out[a:b]))
    return out


def _reduce(x: np.ndarray, maps: Sequence[IndexMap], fill: Any, combine: Combine) -> np.ndarray:
    """Reduce the windows of the trailing ``len(maps)`` axes, one axis and one tap at a time.

    Each axis starts from ``fill`` and ``combine(reduced, axis, outputs, values)``
    folds in one tap: the input slice it reads, for the outputs it reaches.
    """
    spatial = len(maps)
    planes = _planes(x, spatial)

    def work(src: np.ndarray, dst: np.ndarray) -> None:
        current = src
        for axis in reversed(range(1, spatial + 1)):
            index = maps[axis - 1]
            shape = list(current.shape)
            shape[axis] = index.shape[0]
            reduced = np.full(shape, fill, x.dtype)
            for outputs, inputs in tap_selections(index):
                combine(reduced, axis, outputs, current[_at(axis, inputs)])
            current = reduced
        dst[...] = current

    out_shape = (planes.shape[0], *(m.shape[0] for m in maps))
    return _per_plane(planes, out_shape, x.dtype, work).reshape(x.shape[: x.ndim - spatial] + out_shape[1:])


def _add(target: np.ndarray, axis: int, outputs: Selection, value: np.ndarray) -> None:
    # each tap reaches each output once, so += is safe with index arrays too
    target[_at(axis, outputs)] += value


def max_reduce(x: np.ndarray, maps: Sequence[IndexMap]) -> np.ndarray:
    """Max over the windows of the trailing ``len(maps)`` axes (values only; NaN wins)."""
    return _reduce(x, maps, _lowest(x.dtype), _raise_to)


def sum_reduce(x: np.ndarray, maps: Sequence[IndexMap]) -> np.ndarray:
    """Sum over the windows of the trailing ``len(maps)`` axes."""
    return _reduce(x, maps, 0, _add)


def argmax_reduce(
    x: np.ndarray, maps: Sequence[IndexMap], firsts: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Max over windows and, as PyTorch returns it, the flat per-plane index of each maximum.

    ``firsts[i]`` holds, per output along axis ``i``, the first window
    position past the padding: a window with nothing above ``-inf`` reports
    the flat index of that corner, as PyTorch does.
    """
    spatial = len(maps)
    planes = _planes(x, spatial)
    plane_strides = np.cumprod((1, *planes.shape[:0:-1]))[::-1]
    floating = x.dtype.kind == "f"
    corner = np.zeros((1,) * (spatial + 1), np.int64)
    for axis, first in enumerate(firsts, start=1):
        shape = [1] * (spatial + 1)
        shape[axis] = -1
        corner = corner + first.reshape(shape) * int(plane_strides[axis])

    nan_possible = floating and bool(np.isnan(x).any())
    affine = [_affine(index) for index in maps]

    def work(src: np.ndarray, values: np.ndarray, winners: np.ndarray) -> None:
        # Each pass carries, beside the running maxima, the winning taps of the
        # axes already reduced as one mixed-radix code: copying a small code
        # along with each value is far cheaper than gathering positions.
        current: np.ndarray = src
        code: np.ndarray | None = None
        for axis in reversed(range(1, spatial + 1)):
            index = maps[axis - 1]
            shape = list(current.shape)
            shape[axis] = index.shape[0]
            best = np.full(shape, -np.inf if floating else _lowest(x.dtype), x.dtype)
            along = [1] * len(shape)
            along[axis] = -1
            tap_type = np.int8 if index.shape[1] < 128 else np.int32
            first_valid = np.argmax(index >= 0, axis=1).astype(tap_type)
            best_tap = np.broadcast_to(first_valid.reshape(along), shape).copy()
            best_code = None if code is None else np.zeros(shape, np.int32)
            for tap, (outputs, inputs) in zip(_valid_taps(index), tap_selections(index)):
                candidate = current[_at(axis, inputs)]
                take = candidate > best[_at(axis, outputs)]
                if nan_possible:
                    take |= np.isnan(candidate)
                _raise_to(best, axis, outputs, candidate)
                _blend(best_tap, axis, outputs, tap, take)
                if best_code is not None and code is not None:
                    _blend(best_code, axis, outputs, code[_at(axis, inputs)], take)
            taps = index.shape[1]
            code = best_tap.astype(np.int32) if best_code is None else best_code * taps + best_tap
            current = best
        assert code is not None
        flat = np.zeros(current.shape, np.int64)
        for axis in range(1, spatial + 1):
            taps = maps[axis - 1].shape[1]
            winning_tap = code if axis == spatial else code % taps
            code = code // taps
            base, step = affine[axis - 1]
            along = [1] * current.ndim
            along[axis] = -1
            position = np.maximum(base.reshape(along) + winning_tap * step, 0)
            flat += position * int(plane_strides[axis])
        values[...] = current
        winners[...] = flat
        if floating:
            empty = current == -np.inf
            if empty.any():
                winners[empty] = np.broadcast_to(corner, current.shape)[empty]

    out_shape = (planes.shape[0], *(m.shape[0] for m in maps))
    values = np.empty(out_shape, x.dtype)
    winners = np.empty(out_shape, np.int64)
    split_apply(
        planes.shape[0], planes.nbytes, lambda a, b: work(planes[a:b], values[a:b], winners[a:b])
    )
    lead = x.shape[: x.ndim - spatial]
    return values.reshape(lead + out_shape[1:]), winners.reshape(lead + out_shape[1:])


def sum_scatter(g: np.ndarray, maps: Sequence[IndexMap], in_sizes: Sequence[int]) -> np.ndarray:
    """Adjoint of :func:`sum_reduce`: each window's value added onto every cell it covers."""
    spatial = len(maps)
    planes = _planes(g, spatial)

    def work(src: np.ndarray, dst: np.ndarray) -> None:
        current = src
        for axis in range(1, spatial + 1):
            shape = list(current.shape)
            shape[axis] = in_sizes[axis - 1]
            spread = np.zeros(shape, g.dtype)
            for outputs, inputs in tap_selections(maps[axis - 1]):
                if isinstance(inputs, slice):
                    spread[_at(axis, inputs)] += current[_at(axis, outputs)]
                else:  # adaptive windows: several outputs may share an input
                    moved = np.moveaxis(spread, axis, 0)
                    np.add.at(moved, inputs, np.moveaxis(current[_at(axis, outputs)], axis, 0))
            current = spread
        dst[...] = current

    out_shape = (planes.shape[0], *in_sizes)
    return _per_plane(planes, out_shape, g.dtype, work).reshape(g.shape[: g.ndim - spatial] + tuple(in_sizes))


class _PlaneIndex:
    """Flat per-plane indices (PyTorch's argmax layout) over ``planes`` planes of ``plane_shape``."""

    def __init__(self, indices: np.ndarray, lead: tuple[int, ...], plane_shape: Sequence[int]) -> None:
        self.lead, self.plane_shape = lead, tuple(plane_shape)
        self.planes = int(np.prod(lead, dtype=np.int64))
        self.plane_size = int(np.prod(plane_shape, dtype=np.int64))
        self.index = indices.reshape(self.planes, -1)

    def flat(self, a: int, b: int) -> np.ndarray:
        """Indices of planes ``a:b`` into the flattened chunk starting at plane ``a``."""
        offsets = (np.arange(b - a) * self.plane_size)[:, None]
        flat: np.ndarray = (self.index[a:b] + offsets).ravel()
        return flat

    def chunks(self, nbytes: int, work: Callable[[int, int, int, int], None]) -> None:
        """Run ``work(a, b, start, stop)`` over plane chunks; ``start:stop`` is their flat range."""
        size = self.plane_size
        split_apply(self.planes, nbytes, lambda a, b: work(a, b, a * size, b * size))


def scatter_to_indices(g: np.ndarray, indices: np.ndarray, plane_shape: Sequence[int]) -> np.ndarray:
    """Add ``g`` onto the flat per-plane ``indices`` of planes of ``plane_shape`` (argmax adjoint)."""
    where = _PlaneIndex(indices, g.shape[: g.ndim - len(plane_shape)], plane_shape)
    source = g.reshape(where.planes, -1)
    out = np.empty(where.planes * where.plane_size, g.dtype)

    def work(a: int, b: int, start: int, stop: int) -> None:
        # bincount sums repeated indices (overlapping windows) and is far faster than np.add.at
        weights = source[a:b].ravel().astype(np.float64)
        out[start:stop] = np.bincount(where.flat(a, b), weights=weights, minlength=stop - start)

    where.chunks(out.nbytes, work)
    return out.reshape(*where.lead, *where.plane_shape)


def place_at_indices(values: np.ndarray, indices: np.ndarray, plane_shape: Sequence[int]) -> np.ndarray:
    """Zeros of ``plane_shape`` per plane with ``values`` written at the flat ``indices`` (unpooling)."""
    where = _PlaneIndex(indices, values.shape[: values.ndim - len(plane_shape)], plane_shape)
    source = values.reshape(where.planes, -1)
    out = np.empty(where.planes * where.plane_size, values.dtype)

    def work(a: int, b: int, start: int, stop: int) -> None:
        chunk = out[start:stop]
        chunk[...] = 0  # zeroing in the workers spreads the page faults over the threads too
        if chunk.size:  # an empty output plane receives nothing (torch returns it empty)
            chunk[where.flat(a, b)] = source[a:b].ravel()

    where.chunks(out.nbytes, work)
    return out.reshape(*where.lead, *where.plane_shape)


def gather_at_indices(g: np.ndarray, indices: np.ndarray, plane_shape: Sequence[int]) -> np.ndarray:
    """The values of ``g``'s planes at the flat ``indices``: the adjoint of :func:`place_at_indices`."""
    where = _PlaneIndex(indices, indices.shape[: indices.ndim - len(plane_shape)], plane_shape)
    planes = g.reshape(-1)
    out = np.empty(indices.shape, g.dtype)
    flat_out = out.reshape(where.planes, -1)

    def work(a: int, b: int, start: int, stop: int) -> None:
        flat_out[a:b] = planes[start:stop][where.flat(a, b)].reshape(b - a, -1)

    where.chunks(g.nbytes, work)
    return out
