"""Gridding of stacked dilated convolutions, and the HDC rule that avoids it.

A stack of ``K x K`` convolutions with dilation rates ``r_1 .. r_n`` (stride
1) has receptive field ``1 + sum_i r_i (K - 1)``, but when the rates share a
factor, or grow too fast, some cells inside that field never reach the output:
the "gridding" (checkerboard) problem of Wang et al., "Understanding
Convolution for Semantic Segmentation" (WACV 2018), whose hybrid dilated
convolution (HDC) rule :func:`convscope.core.satisfies_hdc` implements.
Here the holes are *counted*: the coverage of one output cell is the
composition (1-d convolution) of the layers' tap indicator vectors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core import Axis, hdc_distances, satisfies_hdc

__all__ = ["Gridding", "gridding", "tap_indicator"]


def tap_indicator(kernel_size: int, dilation: int) -> np.ndarray:
    """0/1 vector over a dilated kernel's span marking the positions of its taps.

    Read from the index map of the one window that fits in ``span`` cells.

    Examples
    --------
    >>> tap_indicator(3, 2)
    array([1, 0, 1, 0, 1])
    """
    window = Axis(size=1, kernel=kernel_size, dilation=dilation)
    taps = Axis(size=window.span, kernel=kernel_size, dilation=dilation).index_map()[0]
    return np.bincount(taps, minlength=window.span).astype(np.int64)


@dataclass(frozen=True, eq=False)
class Gridding:
    """What one output cell of a stack of dilated convolutions sees.

    Attributes
    ----------
    rates : tuple of int
        Dilation rates, first layer first.
    kernel_size : int
        ``K`` of every layer.
    distances : tuple of int
        Wang et al.'s ``(M_1, ..., M_n)``: the largest gap between neighbouring
        non-zero taps seen from layer ``i`` (:func:`convscope.core.hdc_distances`).
    satisfies_hdc : bool
        Wang et al.'s criterion, ``M_2 <= K`` and no common factor above one
        (:func:`convscope.core.satisfies_hdc`). It is sufficient for no holes
        when ``M_1 == 1`` (e.g. the first rate is 1) and ``K >= 3``, the
        paper's setting; otherwise trust :attr:`has_holes`: rates ``(2, 3)``
        satisfy it with ``K = 3`` and still grid.
    common_factor : int
        ``gcd`` of the rates; above one the stack always grids.
    coverage : numpy.ndarray
        Per input cell of the receptive field (1-d), the number of paths to
        the output cell through all-ones kernels; 0 marks a hole.
    """

    rates: tuple[int, ...]
    kernel_size: int
    distances: tuple[int, ...]
    satisfies_hdc: bool
    common_factor: int
    coverage: np.ndarray

    @property
    def coverage_2d(self) -> np.ndarray:
        """The coverage of ``K x K`` layers (the outer product of the 1-d coverage)."""
        outer: np.ndarray = np.multiply.outer(self.coverage, self.coverage)
        return outer

    @property
    def receptive_field(self) -> int:
        """Cells per axis between the first and last reachable input cell."""
        return len(self.coverage)

    @property
    def holes(self) -> int:
        """Cells of the 1-d receptive field that never reach the output."""
        return int(np.count_nonzero(self.coverage == 0))

    @property
    def has_holes(self) -> bool:
        """Whether the stack grids (some cell inside the receptive field is never read)."""
        return self.holes > 0

    def _repr_svg_(self) -> str | None:
        """Notebook view, drawn by :mod:`convscope.viz` (imported here: arith does not depend on it)."""
        from convscope.viz import notebook_svg

        return notebook_svg(self)


def gridding(rates: Sequence[int], kernel_size: int = 3) -> Gridding:
    """HDC analysis and exact coverage of a stack of stride-1 dilated convolutions.

    Parameters
    ----------
    rates : sequence of int
        Dilation rate of each layer, first applied first.
    kernel_size : int
        Taps per axis of every layer.

    Returns
    -------
    Gridding
        The coverage equals, up to the sign convention of correlation (it is
        symmetric), the gradient of one output cell with respect to the input
        through the stack with all-ones weights.

    Examples
    --------
    Seed 002: rates (1, 2, 3) and (2, 2, 2) both see 13 cells, but (2, 2, 2)
    only every other one.

    >>> g = gridding((2, 2, 2))
    >>> g.receptive_field, g.has_holes, g.common_factor, g.satisfies_hdc
    (13, True, 2, False)
    >>> g.coverage
    array([1, 0, 3, 0, 6, 0, 7, 0, 6, 0, 3, 0, 1])
    >>> h = gridding((1, 2, 3))
    >>> h.receptive_field, h.has_holes, h.satisfies_hdc, h.distances
    (13, False, True, (1, 2, 3))
    """
    rates = tuple(rates)
    if not rates or any(not isinstance(r, (int, np.integer)) or r < 1 for r in rates):
        raise ValueError(f"rates must be a non-empty sequence of positive ints, got rates={rates!r}")
    if not isinstance(kernel_size, (int, np.integer)) or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive int, got kernel_size={kernel_size!r}")
    rates = tuple(int(r) for r in rates)
    coverage = np.ones(1, dtype=np.int64)
    for rate in rates:
        coverage = np.convolve(coverage, tap_indicator(int(kernel_size), rate))
    return Gridding(
        rates=rates,
        kernel_size=int(kernel_size),
        distances=hdc_distances(rates),
        satisfies_hdc=satisfies_hdc(rates, int(kernel_size)),
        common_factor=math.gcd(*rates),
        coverage=coverage,
    )
