"""Building grids and frames from the geometry core's index maps.

A window operator (convolution, the direct view of a transposed
convolution, pooling) slides a kernel over a *canvas*: the input with its
inserted zeros and padding, laid out in the dilated input coordinates of a
:class:`convscope.core.Axis`. Every position and state here is read from
the axis (``input_index``, ``index_map``, ``pad``, ``overhang``); the only
arithmetic is shifting coordinates so the canvas starts at 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..core import Axis
from .model import Frame, Grid, InCell, OutCell

#: Largest canvas drawn, in cells along any axis (padding and inserted zeros included).
MAX_CELLS = 64
#: Largest number of frames (steps) of one animation.
MAX_FRAMES = 400


def check_cells(op: str, name: str, value: object, lengths: Sequence[int]) -> None:
    """Refuse a grid longer than :data:`MAX_CELLS` along some axis, naming the argument to blame."""
    if any(n > MAX_CELLS for n in lengths):
        raise ValueError(
            f"animate({op!r}): {name}={value!r} needs a grid of {tuple(lengths)} cells; "
            f"the limit is {MAX_CELLS} cells per axis"
        )


def check_frames(op: str, name: str, value: object, count: int) -> None:
    """Refuse more than :data:`MAX_FRAMES` steps, naming the argument to blame."""
    if count > MAX_FRAMES:
        raise ValueError(
            f"animate({op!r}): {name}={value!r} gives {count} frames; the limit is {MAX_FRAMES} frames"
        )


@dataclass(frozen=True)
class CanvasAxis:
    """One axis of a window operator's input canvas.

    ``start`` is canvas cell 0 in the axis's dilated input coordinates;
    ``taps[o, t]`` is the canvas cell output ``o`` reads at tap ``t`` and
    ``reads[o, t]`` the real input index there (``-1``: padding or zero).
    """

    axis: Axis
    start: int
    states: np.ndarray
    source: np.ndarray
    taps: np.ndarray
    reads: np.ndarray

    @property
    def length(self) -> int:
        return len(self.states)


def canvas_axis(axis: Axis) -> CanvasAxis:
    """The canvas of one axis: dilated input, padding, and whatever the windows reach past it.

    Examples
    --------
    >>> c = canvas_axis(Axis(size=3, kernel=3, pad=(1, 1)))
    >>> c.states.tolist(), c.source.tolist()
    ([2, 0, 0, 0, 2], [-1, 0, 1, 2, -1])
    >>> canvas_axis(Axis.transposed(2, kernel=3, stride=2).direct_view()).states.tolist()
    [2, 2, 0, 1, 0, 2, 2]
    """
    low, high = axis.pad
    out = np.arange(max(axis.out_size, 0))[:, None]
    tap = np.arange(axis.kernel)[None, :]
    positions: np.ndarray = np.asarray(axis.input_index(out, tap))  # type: ignore[arg-type]
    reach = int(positions.max()) + 1 if positions.size else 0
    start = min(-low, 0)
    stop = max(axis.dilated_size, axis.dilated_size + high, reach)
    # a unit window over the whole canvas: the input index shown at every canvas cell
    unit = Axis(axis.size, 1, pad=(-start, stop - axis.dilated_size), input_dilation=axis.input_dilation)
    source = unit.index_map()[:, 0]
    position = np.arange(start, stop)
    inside = (position >= 0) & (position < axis.dilated_size)
    states = np.where(source >= 0, InCell.INPUT, np.where(inside, InCell.ZERO, InCell.PADDING))
    states[(position < -low) | (position >= axis.dilated_size + high)] = InCell.OUTSIDE
    return CanvasAxis(axis, start, states.astype(np.int8), source, positions - start, axis.index_map())


def combine_states(per_axis: Sequence[np.ndarray]) -> np.ndarray:
    """N-d states from per-axis states: the most 'outside' state of any axis wins."""
    grids = np.meshgrid(*per_axis, indexing="ij")
    combined: np.ndarray = np.maximum.reduce(grids) if len(grids) > 1 else grids[0]
    return combined.astype(np.int8)


def combine_source(per_axis: Sequence[np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """N-d flat source index from per-axis indices (``-1`` where any axis has none)."""
    grids = np.meshgrid(*per_axis, indexing="ij")
    valid = np.logical_and.reduce([g >= 0 for g in grids])
    flat = np.ravel_multi_index(tuple(np.maximum(g, 0) for g in grids), tuple(sizes))
    combined: np.ndarray = np.where(valid, flat, -1)
    return combined


def input_grid(axes: Sequence[CanvasAxis], values: np.ndarray | None) -> Grid:
    """The input canvas of a window operator (one plane)."""
    sizes = tuple(c.axis.size for c in axes)
    states = combine_states([c.states for c in axes])[None]
    source = combine_source([c.source for c in axes], sizes)[None]
    return Grid("input", states, source, sizes, tuple(c.source for c in axes), canvas_values(source, values))


def canvas_values(source: np.ndarray, values: np.ndarray | None, fill: float = 0.0) -> np.ndarray | None:
    """The real values shown on a canvas; ``fill`` where the canvas shows padding or a zero."""
    if values is None:
        return None
    shown: np.ndarray = np.where(source >= 0, values.ravel()[np.maximum(source, 0)], fill)
    return shown


def plain_grid(name: str, sizes: Sequence[int], planes: int = 1, values: np.ndarray | None = None) -> Grid:
    """A canvas of real cells only (an output, or an input without padding)."""
    count = planes * math.prod(sizes)
    source = np.arange(count).reshape(planes, *sizes)
    states = np.zeros(source.shape, dtype=np.int8)
    axis_source = tuple(np.arange(n) for n in sizes)
    shown = None if values is None else values.reshape(source.shape).astype(np.float64)
    return Grid(name, states, source, tuple(sizes), axis_source, shown)


def finished_output(
    sizes: Sequence[int], values: np.ndarray | None, states: np.ndarray | None = None
) -> Grid:
    """The output grid as the last frame leaves it: every cell DONE unless ``states`` says otherwise."""
    grid = plain_grid("output", sizes, values=values)
    final = np.full(grid.shape, OutCell.DONE, dtype=np.int8) if states is None else states
    return replace(grid, states=final)


def step_states(count: int, index: int) -> np.ndarray:
    """Output states when one cell is written per step, in row-major order: step ``index`` is CURRENT."""
    states = np.full(count, OutCell.DONE, dtype=np.int8)
    states[index] = OutCell.CURRENT
    states[index + 1 :] = OutCell.EMPTY
    return states


def window_frames(
    axes: Sequence[CanvasAxis],
    weights: np.ndarray | None,
    captions: Sequence[str],
    marked: Sequence[np.ndarray] | None = None,
) -> list[Frame]:
    """One frame per output position of a window operator, in row-major order.

    ``weights`` is the kernel as applied on the canvas (tap order), or None.
    """
    out_sizes = tuple(c.axis.out_size for c in axes)
    in_sizes = tuple(c.axis.size for c in axes)
    kernel = tuple(c.axis.kernel for c in axes)
    count = math.prod(out_sizes)
    tap_grid = np.indices(kernel).reshape(len(axes), -1)  # (ndim, n_taps) in row-major tap order
    flat_weights = None if weights is None else weights.reshape(-1)
    frames = []
    for index, position in enumerate(np.ndindex(*out_sizes)):
        coords = [c.taps[o, t] for c, o, t in zip(axes, position, tap_grid)]
        per_axis = [c.reads[o, t] for c, o, t in zip(axes, position, tap_grid)]
        valid = np.logical_and.reduce([r >= 0 for r in per_axis])
        reads = np.where(valid, np.ravel_multi_index(tuple(np.maximum(r, 0) for r in per_axis), in_sizes), -1)
        taps = np.stack([np.zeros_like(coords[0]), *coords], axis=1)
        states = step_states(count, index)
        frames.append(
            Frame(
                index=index,
                position=tuple(int(p) for p in position),
                taps=taps,
                reads=reads,
                targets=np.array([index]),
                output=states.reshape(1, *out_sizes),
                weights=flat_weights,
                marked=np.zeros(0, dtype=np.int64) if marked is None else marked[index],
                caption=captions[index],
            )
        )
    return frames
