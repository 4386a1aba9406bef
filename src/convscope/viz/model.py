"""The frame model of an animation: cell states of the input and output grids, step by step.

Everything here is plain data built from the geometry core: a :class:`Grid`
is an array of cell states over a canvas (the input with its padding and
inserted zeros, or the output), and a :class:`Frame` is one step of the
operator: the taps it reads on the input canvas, the output cells it writes,
and the state of every output cell so far. Renderers draw these arrays; they
never compute an index themselves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Frame", "Grid", "InCell", "OutCell"]


class InCell(enum.IntEnum):
    """State of one cell of the input canvas.

    Ordered so that combining axes takes the maximum: a cell that is padding
    along one axis and an inserted zero along another is padding.
    """

    INPUT = 0  #: a real input sample
    ZERO = 1  #: a zero inserted between samples (the direct view of a transposed convolution)
    PADDING = 2  #: implicit padding (zeros; -inf for max pooling)
    OUTSIDE = 3  #: drawn for context but never read: cropped input, or past the padding (ceil_mode)


class OutCell(enum.IntEnum):
    """State of one output cell at one step."""

    EMPTY = 0  #: not written yet (or never, e.g. unpooling's zeros)
    DONE = 1  #: written by an earlier step
    CURRENT = 2  #: written by this step


@dataclass(frozen=True, eq=False)
class Grid:
    """A canvas of cells, ``(planes, *spatial)``, with the real cell each one shows.

    Attributes
    ----------
    name : str
        ``'input'`` or ``'output'``.
    states : numpy.ndarray
        ``int8`` :class:`InCell` (input) or final :class:`OutCell` (output) codes.
    source : numpy.ndarray
        Flat index of the real cell (in ``(planes, *sizes)``, row-major) each
        canvas cell shows, ``-1`` for padding and inserted zeros.
    sizes : tuple of int
        The real spatial sizes (without padding or zeros).
    axis_source : tuple of numpy.ndarray
        Per spatial axis, the real index along that axis of each canvas
        position (``-1`` where none), for axis labels.
    values : numpy.ndarray or None
        The numbers drawn in the cells (same shape as ``states``; NaN: none).
    """

    name: str
    states: np.ndarray
    source: np.ndarray
    sizes: tuple[int, ...]
    axis_source: tuple[np.ndarray, ...]
    values: np.ndarray | None = None

    @property
    def planes(self) -> int:
        return int(self.states.shape[0])

    @property
    def shape(self) -> tuple[int, ...]:
        """Canvas shape ``(planes, *spatial)``."""
        return tuple(int(n) for n in self.states.shape)

    def count(self, state: int) -> int:
        """Number of canvas cells in ``state``."""
        return int(np.count_nonzero(self.states == state))


@dataclass(frozen=True, eq=False)
class Frame:
    """One step of an animation.

    Attributes
    ----------
    index : int
        Position of the frame in the animation.
    position : tuple of int
        The output position computed by this step (window operators and
        resampling) or the input position scattered by it (unpooling and
        pixel shuffle), spatial axes only.
    taps : numpy.ndarray
        ``(n, 1 + ndim)`` input-canvas coordinates ``(plane, *spatial)`` of
        the kernel footprint: every tap this step reads, padding included.
    reads : numpy.ndarray
        ``(n,)`` flat index of the real input cell each tap reads, ``-1`` for
        a tap on padding or an inserted zero.
    targets : numpy.ndarray
        Flat indices of the output cells this step writes.
    output : numpy.ndarray
        :class:`OutCell` state of every output cell after this step.
    window : numpy.ndarray
        Flat output indices of the window outlined on the output (unpooling),
        else empty.
    weights : numpy.ndarray or None
        ``(n,)`` weight of each tap where the operator has one (the kernel as
        applied on the canvas, interpolation weights).
    marked : numpy.ndarray
        Flat input indices singled out (the maximum of a max-pooling window
        when values are shown), else empty.
    caption : str
        One line describing the step.
    """

    index: int
    position: tuple[int, ...]
    taps: np.ndarray
    reads: np.ndarray
    targets: np.ndarray
    output: np.ndarray
    window: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    weights: np.ndarray | None = None
    marked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    caption: str = ""

    def input_cells(self) -> np.ndarray:
        """Sorted flat indices of the real input cells this step reads."""
        cells: np.ndarray = np.unique(self.reads[self.reads >= 0])
        return cells

    def to_dict(self) -> dict[str, Any]:
        """The frame as JSON-ready data (lists of ints)."""
        return {
            "index": self.index,
            "position": list(self.position),
            "taps": self.taps.tolist(),
            "reads": self.reads.tolist(),
            "targets": self.targets.tolist(),
            "window": self.window.tolist(),
            "marked": self.marked.tolist(),
            "weights": None if self.weights is None else [float(w) for w in self.weights],
            "caption": self.caption,
        }
