"""Block layout shared by the convolution engines.

An input ``x`` of shape ``(N, C, *S)`` is packed as *blocks* of shape
``(phases, G, N, *Q, Cg)``: zero padding applied, channels last within each
of the ``G`` groups, and, when ``phased``, each spatial axis split into its
stride phases (:meth:`convscope.core.Axis.phases`). Every (phase, group) block
is then contiguous, so a kernel tap is a *contiguous* run of its flattened rows
(:func:`tap_offsets`) and feeds BLAS without a copy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Axis, ConvGeometry, Phase

Index = tuple[Any, ...]


def _unit_stride(axis: Axis) -> Axis:
    return Axis(axis.size, axis.kernel, 1, axis.dilation, axis.pad, ceil_mode=axis.ceil_mode)


@dataclass(frozen=True)
class BlockLayout:
    """Where each input sample sits in the packed blocks of a geometry."""

    geometry: ConvGeometry
    phased: bool

    @property
    def strides(self) -> tuple[int, ...]:
        return tuple(a.stride if self.phased else 1 for a in self.geometry.axes)

    @property
    def lengths(self) -> tuple[int, ...]:
        """``Q``: per-axis length of one phase (padding included)."""
        if self.phased:
            return tuple(a.phase_length for a in self.geometry.axes)
        return tuple(a.padded_size + a.overhang for a in self.geometry.axes)

    @property
    def phase_count(self) -> int:
        return math.prod(self.strides)

    @property
    def block_rows(self) -> int:
        """Rows of one sample in a flattened block: ``prod(Q)``."""
        return math.prod(self.lengths)

    def axis_phases(self) -> list[tuple[Phase, ...]]:
        axes = self.geometry.axes
        return [a.phases() if self.phased else _unit_stride(a).phases() for a in axes]

    def shape(self, batch: int, channels_per_group: int) -> tuple[int, ...]:
        g = self.geometry
        return (self.phase_count, g.groups, batch, *self.lengths, channels_per_group)

    def _regions(self) -> list[tuple[Index, Index]]:
        """(block index, input index) of the real samples of every phase combination.

        The block index addresses ``(phases, G, N, *Q, Cg)`` blocks, the input
        index a grouped ``(N, G, Cg, *S)`` input.
        """
        regions = []
        for index, combo in enumerate(itertools.product(*self.axis_phases())):
            block = tuple(slice(p.first, p.stop) for p in combo)
            source = tuple(
                slice(p.input_start, p.input_start + p.count * s, s) for p, s in zip(combo, self.strides)
            )
            if all(p.count > 0 for p in combo):
                everything = (slice(None), slice(None))
                regions.append(((index, *everything, *block), (*everything, slice(None), *source)))
        return regions

    def pack(self, x: np.ndarray, channels: int | None = None) -> np.ndarray:
        """Blocks of ``x`` (``(N, C, *S)``), zero-filled where padding is."""
        groups = self.geometry.groups
        n, c = x.shape[:2]
        cg = c // groups
        blocks = np.zeros(self.shape(n, cg), dtype=x.dtype)
        grouped = x.reshape(n, groups, cg, *x.shape[2:])
        spatial = len(self.lengths)
        order = (1, 0, *range(3, 3 + spatial), 2)
        for block, source in self._regions():
            blocks[block] = grouped[source].transpose(order)
        return blocks

    def unpack(self, blocks: np.ndarray, out: np.ndarray) -> None:
        """Write the real samples of ``blocks`` back into ``out`` (``(N, C, *S)``).

        Padding cells are dropped: unpacking is the adjoint of :meth:`pack`
        for zero padding.
        """
        groups = self.geometry.groups
        n, c = out.shape[:2]
        grouped = out.reshape(n, groups, c // groups, *out.shape[2:])
        spatial = len(self.lengths)
        order = (1, 0, 2 + spatial, *range(2, 2 + spatial))
        for block, source in self._regions():
            grouped[source] = blocks[block].transpose(order)


def flat_strides(lengths: Sequence[int]) -> tuple[int, ...]:
    """Row strides of a C-ordered grid of ``lengths``."""
    strides = []
    step = 1
    for length in reversed(lengths):
        strides.append(step)
        step *= length
    return tuple(reversed(strides))


def tap_offsets(layout: BlockLayout) -> list[tuple[tuple[int, ...], int, int]]:
    """For every kernel tap: (tap index, phase index, row offset in the flat block).

    Output ``o`` at tap ``t`` reads flat row ``row(o) + offset`` of its phase
    block, where ``row(o)`` is the row of ``o`` in the same grid.
    """
    axes = layout.geometry.axes
    steps = flat_strides(layout.lengths)
    phase_strides = flat_strides(layout.strides)
    result = []
    for tap in itertools.product(*(range(a.kernel) for a in axes)):
        phase = 0
        offset = 0
        for a, t, step, pstep, s in zip(axes, tap, steps, phase_strides, layout.strides):
            residue, shift = a.tap_phase(t) if layout.phased else (0, t * a.dilation)
            del s
            phase += residue * pstep
            offset += shift * step
        result.append((tap, phase, offset))
    return result


def valid_rows(layout: BlockLayout, batch: int) -> int:
    """Rows of the flattened ``(batch, *Q)`` grid up to the last real output, inclusive."""
    outs = [a.out_size for a in layout.geometry.axes]
    last = sum((o - 1) * step for o, step in zip(outs, flat_strides(layout.lengths)))
    return (batch - 1) * layout.block_rows + last + 1
