"""The packed layout the direct convolution engine computes on.

An input ``x`` of shape ``(N, C, *S)`` is packed into *blocks*
``(phases, G, N, *lengths, Cg)``: zero padding applied, channels last within
each of the ``G`` groups. The geometry's axes are split in two:

* the **leading** axes are split into their stride phases
  (:meth:`convscope.core.Axis.phases`), so along them every kernel tap reads a
  *contiguous* run of rows, shifted by an offset (:meth:`Layout.lead_taps`);
* the last ``unrolled`` axes are **gathered**: each output position gets a
  row holding the taps of those axes (im2col restricted to them).

``unrolled = 0`` is the pure shift method (no copy beyond packing),
``unrolled = ndim`` is classic im2col, and ``unrolled = 1`` sits between:
along the last axis only the valid outputs are computed, and the GEMM's
inner dimension grows by the kernel width.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..core import Axis, ConvGeometry, Phase
from . import parallel

Index = tuple[Any, ...]


def _unit_stride(axis: Axis) -> Axis:
    return Axis(axis.size, axis.kernel, 1, axis.dilation, axis.pad, ceil_mode=axis.ceil_mode)


def flat_strides(lengths: Sequence[int]) -> tuple[int, ...]:
    """Row strides of a C-ordered grid of ``lengths``."""
    strides = [math.prod(lengths[i + 1 :]) for i in range(len(lengths))]
    return tuple(strides)


@dataclass(frozen=True)
class Layout:
    """How a geometry's input is packed, gathered and addressed by rows."""

    geometry: ConvGeometry
    unrolled: int = 0

    # -- the two kinds of axes -------------------------------------------
    @property
    def lead(self) -> tuple[Axis, ...]:
        return self.geometry.axes[: self.geometry.ndim - self.unrolled]

    @property
    def tail(self) -> tuple[Axis, ...]:
        return self.geometry.axes[self.geometry.ndim - self.unrolled :]

    @property
    def phase_count(self) -> int:
        return math.prod(a.stride for a in self.lead)

    @property
    def block_lengths(self) -> tuple[int, ...]:
        """Per-axis lengths of a packed block: phase length (leading), padded length (tail)."""
        lead = tuple(a.phase_length for a in self.lead)
        return lead + tuple(a.padded_size + a.overhang for a in self.tail)

    @property
    def grid(self) -> tuple[int, ...]:
        """The row grid of one sample: phase positions (leading), outputs (tail)."""
        return tuple(a.phase_length for a in self.lead) + tuple(a.out_size for a in self.tail)

    @property
    def grid_rows(self) -> int:
        return math.prod(self.grid)

    @property
    def columns(self) -> int:
        """Columns of a gathered row: tail taps times channels per group."""
        return math.prod(a.kernel for a in self.tail) * self.geometry.group_in

    @property
    def waste(self) -> float:
        """Rows computed per useful output (>= 1)."""
        return self.grid_rows / max(self.geometry.out_positions, 1)

    # -- packing -----------------------------------------------------------
    def block_shape(self, batch: int, channels: int) -> tuple[int, ...]:
        return (self.phase_count, self.geometry.groups, batch, *self.block_lengths, channels)

    def _axis_phases(self) -> list[tuple[tuple[Phase, ...], int]]:
        lead = [(a.phases(), a.stride) for a in self.lead]
        return lead + [(_unit_stride(a).phases(), 1) for a in self.tail]

    def _regions(self) -> list[tuple[Index, Index]]:
        """(block index, grouped-input index) of the real samples of every phase."""
        regions = []
        per_axis = self._axis_phases()
        combos = itertools.product(*(phases for phases, _ in per_axis))
        for index, combo in enumerate(combos):
            if any(p.count == 0 for p in combo):
                continue
            steps = [step for _, step in per_axis]
            block = tuple(slice(p.first, p.stop) for p in combo)
            source = tuple(slice(p.input_start, p.input_start + p.count * s, s) for p, s in zip(combo, steps))
            everything = (slice(None), slice(None))
            # Tail axes have a single phase, so ``index`` numbers the leading phases.
            regions.append(((index, *everything, *block), (*everything, slice(None), *source)))
        return regions

    def pack(self, x: np.ndarray) -> np.ndarray:
        """Blocks of ``x`` (``(N, C, *S)``), zero where padding is."""
        groups = self.geometry.groups
        n, c = x.shape[:2]
        blocks = np.zeros(self.block_shape(n, c // groups), dtype=x.dtype)
        grouped = x.reshape(n, groups, c // groups, *x.shape[2:])
        spatial = self.geometry.ndim
        order = (1, 0, *range(3, 3 + spatial), 2)
        for block, source in self._regions():
            parallel.copy(blocks[block], grouped[source].transpose(order))
        return blocks

    def unpack(self, blocks: np.ndarray, out: np.ndarray) -> None:
        """Write the real samples of ``blocks`` into ``out`` (``(N, C, *S)``): the adjoint of :meth:`pack`."""
        groups = self.geometry.groups
        n, c = out.shape[:2]
        grouped = out.reshape(n, groups, c // groups, *out.shape[2:])
        spatial = self.geometry.ndim
        order = (1, 0, 2 + spatial, *range(2, 2 + spatial))
        for block, source in self._regions():
            parallel.copy(grouped[source], blocks[block].transpose(order))

    # -- gathering the tail axes ------------------------------------------
    def _windows(self, blocks: np.ndarray, writeable: bool = False) -> np.ndarray:
        """``(P, G, n, *lead, *tail_padded, Cg)`` -> ``(..., *tail_out, *tail_k, Cg)`` view."""
        tail = self.tail
        k = len(tail)
        head = blocks.shape[: blocks.ndim - 1 - k]
        head_strides = blocks.strides[: blocks.ndim - 1 - k]
        tail_strides = blocks.strides[blocks.ndim - 1 - k : -1]
        shape = (*head, *(a.out_size for a in tail), *(a.kernel for a in tail), blocks.shape[-1])
        strides = (
            *head_strides,
            *(st * a.stride for st, a in zip(tail_strides, tail)),
            *(st * a.dilation for st, a in zip(tail_strides, tail)),
            blocks.strides[-1],
        )
        return as_strided(blocks, shape=shape, strides=strides, writeable=writeable)

    def gather(self, blocks: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """Rows ``(P, G, n * grid_rows, columns)``; a view when nothing is unrolled.

        ``rows`` restricts the first tail axis's outputs (only when every axis
        is unrolled, to chunk im2col over output rows).
        """
        p, g = blocks.shape[:2]
        if not self.unrolled:
            return blocks.reshape(p, g, -1, blocks.shape[-1])
        windows = self._windows(blocks)
        if rows != slice(None):
            windows = windows[(slice(None),) * 3 + (rows,)]
        return parallel.contiguous(windows).reshape(p, g, -1, self.columns)

    def scatter(self, cols: np.ndarray, blocks: np.ndarray, rows: slice = slice(None)) -> None:
        """Add gathered rows back onto the blocks they came from: the adjoint of :meth:`gather`."""
        if not self.unrolled:
            blocks += cols.reshape(blocks.shape)
            return
        windows = self._windows(blocks, writeable=True)
        if rows != slice(None):
            windows = windows[(slice(None),) * 3 + (rows,)]
        cols = cols.reshape(windows.shape)
        # Within one tap the windows never overlap, so each slice add is exact.
        for tap in itertools.product(*(range(a.kernel) for a in self.tail)):
            index: Index = (Ellipsis, *tap, slice(None))
            view = windows[index]
            np.add(view, cols[index], out=view)

    # -- shifting along the leading axes -----------------------------------
    def lead_taps(self) -> list[tuple[int, int]]:
        """``(phase, row offset)`` of every leading-axis tap, in kernel order.

        Output row ``r`` at that tap reads gathered row ``r + offset`` of the phase.
        """
        steps = flat_strides(self.grid)
        phase_steps = flat_strides([a.stride for a in self.lead])
        taps = []
        for tap in itertools.product(*(range(a.kernel) for a in self.lead)):
            phase = offset = 0
            for a, t, step, pstep in zip(self.lead, tap, steps, phase_steps):
                residue, shift = a.tap_phase(t)
                phase += residue * pstep
                offset += shift * step
            taps.append((phase, offset))
        return taps

    def valid_rows(self, batch: int) -> int:
        """Rows of ``batch`` stacked grids up to the last real output, inclusive."""
        outs = [a.out_size for a in self.geometry.axes]
        last = sum((o - 1) * step for o, step in zip(outs, flat_strides(self.grid)))
        return (batch - 1) * self.grid_rows + last + 1
