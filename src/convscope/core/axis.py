"""The index arithmetic of one spatial axis of a window operator.

Every convolution, transposed convolution, pooling and unfold in convscope is a
tuple of :class:`Axis` records plus a reduction. This module is the only place
where an output size, an effective kernel span or a tap-to-input index is
computed; everything else asks an :class:`Axis`.

Notation (Dumoulin & Visin, "A guide to convolution arithmetic", arXiv
1603.07285): ``i`` input size, ``k`` kernel size, ``s`` stride, ``d`` kernel
dilation, ``p_lo``/``p_hi`` padding, ``o`` output size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class Phase:
    """The samples of a padded axis congruent to ``residue`` modulo the stride.

    Splitting an axis of stride ``s`` into ``s`` phases turns a strided window
    operator into ``s`` unit-stride ones (polyphase decomposition).  Phase
    position ``j`` holds padded position ``j * s + residue``; the positions
    ``[first, stop)`` of the phase hold real input samples, starting with
    input index ``input_start`` and advancing by ``s``.
    """

    residue: int
    first: int
    stop: int
    input_start: int

    @property
    def count(self) -> int:
        """Number of real input samples in this phase."""
        return max(0, self.stop - self.first)


@dataclass(frozen=True)
class Axis:
    """Geometry of one spatial axis: where each output reads its input.

    Output ``o`` combines, for each tap ``t`` in ``range(kernel)``, the padded
    position ``o * stride + t * dilation``, i.e. the input index
    ``o * stride + t * dilation - pad[0]``.  Padding may be negative on a side
    (the input is cropped there).  ``input_dilation > 1`` inserts
    ``input_dilation - 1`` zeros between input samples: the view of a
    transposed convolution as a direct one (see :meth:`direct_view`).

    Parameters
    ----------
    size : int
        Input length along the axis.
    kernel : int
        Number of taps.
    stride, dilation : int
        Step between outputs and between taps.
    pad : tuple of int
        ``(low, high)`` padding.
    input_dilation : int
        Spacing of input samples (1 means none).
    ceil_mode : bool
        Round the output size up (pooling's ``ceil_mode``); a last window that
        would start in the high padding is dropped, as PyTorch does.

    Examples
    --------
    >>> ax = Axis(size=7, kernel=3, stride=2)
    >>> ax.out_size, ax.span
    (3, 3)
    >>> Axis(size=5, kernel=3, dilation=2).out_size
    1
    """

    size: int
    kernel: int
    stride: int = 1
    dilation: int = 1
    pad: tuple[int, int] = (0, 0)
    input_dilation: int = 1
    ceil_mode: bool = False

    # -- sizes --------------------------------------------------------------
    @property
    def span(self) -> int:
        """Effective (dilated) kernel extent ``d * (k - 1) + 1``."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def dilated_size(self) -> int:
        """Input length after inserting ``input_dilation - 1`` zeros between samples."""
        return (self.size - 1) * self.input_dilation + 1 if self.size > 0 else 0

    @property
    def padded_size(self) -> int:
        """Length of the (dilated) input after padding on both sides."""
        return self.dilated_size + self.pad[0] + self.pad[1]

    @property
    def out_size(self) -> int:
        """Number of outputs: ``floor((i + p_lo + p_hi - span) / s) + 1``.

        Dumoulin & Visin, relationship 15 (with dilation) and relationship 6
        (asymmetric padding). Non-positive when the kernel does not fit.
        """
        room = self.padded_size - self.span
        if not self.ceil_mode:
            return room // self.stride + 1
        # PyTorch rounds up even when the kernel overhangs the padded input.
        out = _ceil_div(room, self.stride) + 1
        # PyTorch: the last window must start inside the input or the low padding.
        if (out - 1) * self.stride >= self.dilated_size + self.pad[0]:
            out -= 1
        return out

    @property
    def overhang(self) -> int:
        """How far the last window reaches past the high padding (ceil_mode only)."""
        return max(0, (self.out_size - 1) * self.stride + self.span - self.padded_size)

    # -- index maps ---------------------------------------------------------
    def input_index(self, out_index: int, tap: int) -> int:
        """Position in the (dilated, unpadded) input read by ``out_index`` at ``tap``."""
        return out_index * self.stride + tap * self.dilation - self.pad[0]

    def index_map(self) -> np.ndarray:
        """Input index read by every (output, tap) pair; ``-1`` marks padding.

        Returns
        -------
        numpy.ndarray
            Integer array of shape ``(out_size, kernel)``. With input dilation,
            positions that fall on an inserted zero are also ``-1``.

        Examples
        --------
        >>> Axis(size=4, kernel=3, pad=(1, 1)).index_map()
        array([[-1,  0,  1],
               [ 0,  1,  2],
               [ 1,  2,  3],
               [ 2,  3, -1]])
        """
        out = np.arange(max(self.out_size, 0))[:, None]
        taps = np.arange(self.kernel)[None, :]
        pos = self.input_index(out, taps)  # type: ignore[arg-type]
        inside = (pos >= 0) & (pos < self.dilated_size) & (pos % self.input_dilation == 0)
        return np.where(inside, pos // self.input_dilation, -1)

    def coverage(self) -> np.ndarray:
        """How many windows read each input sample (``size`` counts).

        Examples
        --------
        >>> Axis(size=5, kernel=3, stride=2).coverage()
        array([1, 1, 2, 1, 1])
        """
        taps = self.index_map()
        return np.bincount(taps[taps >= 0], minlength=self.size)

    def first_inside(self) -> np.ndarray:
        """Per output, the first window position past the low padding (may lie past the input).

        PyTorch reports this position as the argmax of a window whose values
        are all ``-inf`` (or that holds no input sample at all).

        Examples
        --------
        >>> Axis(size=1, kernel=2, dilation=2, pad=(1, 1)).first_inside()
        array([1])
        """
        start = np.arange(max(self.out_size, 0)) * self.stride - self.pad[0]
        skipped = np.maximum(0, -(start // self.dilation))
        first: np.ndarray = start + skipped * self.dilation
        return first

    def pool_divisors(self, count_include_pad: bool = True) -> np.ndarray:
        """Per-output cell count an average pool divides by along this axis.

        PyTorch counts the window clipped to the padded extent (a ceil_mode
        window hanging past the high padding is cut there) when
        ``count_include_pad``, and only the real samples otherwise. The
        divisor of an N-d window is the product of its axes' divisors.

        Examples
        --------
        >>> Axis(size=5, kernel=3, stride=2, pad=(1, 1), ceil_mode=True).pool_divisors()
        array([3, 3, 3])
        >>> Axis(size=5, kernel=3, stride=2, pad=(1, 1)).pool_divisors(count_include_pad=False)
        array([2, 3, 2])
        """
        start = np.arange(max(self.out_size, 0)) * self.stride - self.pad[0]
        stop = np.minimum(start + self.span, self.size + self.pad[1])
        if not count_include_pad:
            start, stop = np.maximum(start, 0), np.minimum(stop, self.size)
        return stop - start

    # -- polyphase decomposition -------------------------------------------
    @property
    def phase_length(self) -> int:
        """Length of each stride phase of the padded axis (high padding included)."""
        return _ceil_div(self.padded_size + self.overhang, self.stride)

    def phases(self) -> tuple[Phase, ...]:
        """The ``stride`` phases of the padded axis and the input samples in each."""
        lo = self.pad[0]
        result = []
        for r in range(self.stride):
            first = max(0, _ceil_div(lo - r, self.stride))
            stop = min(self.phase_length, _ceil_div(self.size + lo - r, self.stride))
            stop = max(stop, first)
            result.append(Phase(r, first, stop, first * self.stride + r - lo))
        return tuple(result)

    def tap_phase(self, tap: int) -> tuple[int, int]:
        """``(residue, offset)``: tap ``tap`` of output ``o`` reads phase position ``o + offset``."""
        return (tap * self.dilation) % self.stride, (tap * self.dilation) // self.stride

    # -- the transposed view -------------------------------------------------
    @classmethod
    def transposed(
        cls,
        in_size: int,
        kernel: int,
        stride: int = 1,
        pad: tuple[int, int] = (0, 0),
        output_padding: int = 0,
        dilation: int = 1,
    ) -> Axis:
        """The axis of the convolution whose adjoint is a transposed convolution.

        A transposed convolution of an input of length ``in_size`` (PyTorch's
        ``ConvTranspose``) is the gradient, with respect to its input, of the
        convolution returned here: its ``size`` is the transposed output length

        ``(in_size - 1) * s - p_lo - p_hi + d * (k - 1) + output_padding + 1``

        (Dumoulin & Visin, relationship 14) and its ``out_size`` is ``in_size``.
        ``output_padding`` extends the high side; cells no window reaches
        receive nothing.

        Examples
        --------
        >>> ax = Axis.transposed(2, kernel=3, stride=2)
        >>> ax.size, ax.out_size
        (5, 2)
        """
        size = (in_size - 1) * stride - pad[0] - pad[1] + dilation * (kernel - 1) + output_padding + 1
        return cls(size, kernel, stride, dilation, (pad[0], pad[1] - output_padding))

    def direct_view(self) -> Axis:
        """This axis's adjoint written as a direct convolution with input dilation.

        The transposed convolution reads the zero-stuffed output of this axis
        (``input_dilation = stride``) with the flipped kernel at unit stride,
        padded by ``span - 1 - p_lo`` low and whatever reaches ``size`` high.
        This is the picture of Dumoulin & Visin, section 4; convscope never
        computes it this way (it scatters by tap slices instead).

        Examples
        --------
        >>> fwd = Axis.transposed(2, kernel=3, stride=2)
        >>> view = fwd.direct_view()
        >>> view.input_dilation, view.pad, view.out_size == fwd.size
        (2, (2, 2), True)
        """
        lo = self.span - 1 - self.pad[0]
        hi = self.size - 1 - (self.out_size - 1) * self.stride + self.pad[0]
        return Axis(self.out_size, self.kernel, 1, self.dilation, (lo, hi), self.stride)

    def _repr_svg_(self) -> str | None:
        """Notebook view, drawn by :mod:`convscope.viz` (imported here: core does not depend on it)."""
        from convscope.viz import notebook_svg

        return notebook_svg(self)
