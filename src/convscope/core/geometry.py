"""N-d convolution geometry: channels, groups and one :class:`Axis` per spatial axis.

A :class:`ConvGeometry` is a plan: frozen, integers only, printable and
hashable. Kernels execute it; analysis and visualisation read it. A transposed
convolution is described by the geometry of the convolution it is the adjoint
of (:func:`conv_transpose_geometry`), so one plan serves both directions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .axis import Axis


@dataclass(frozen=True)
class ConvGeometry:
    """Shapes and index arithmetic of a (grouped, N-d) convolution.

    The convolution maps ``in_shape = (batch, in_channels, *sizes)`` to
    ``out_shape = (batch, out_channels, *out_sizes)`` with a weight of shape
    ``(out_channels, in_channels // groups, *kernel)`` (PyTorch's layout).

    Examples
    --------
    >>> g = conv_geometry((2, 6, 5, 5), (6, 2, 3, 3), padding=((1, 1), (1, 1)), groups=3)
    >>> g.out_shape, g.weight_shape
    ((2, 6, 5, 5), (6, 2, 3, 3))
    >>> g.macs
    5400
    """

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    axes: tuple[Axis, ...]

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return len(self.axes)

    @property
    def in_shape(self) -> tuple[int, ...]:
        return (self.batch, self.in_channels, *(a.size for a in self.axes))

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.batch, self.out_channels, *(a.out_size for a in self.axes))

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.out_channels, self.in_channels // self.groups, *(a.kernel for a in self.axes))

    @property
    def group_in(self) -> int:
        """Input channels per group."""
        return self.in_channels // self.groups

    @property
    def group_out(self) -> int:
        """Output channels per group."""
        return self.out_channels // self.groups

    @property
    def taps(self) -> int:
        """Kernel taps per channel pair."""
        return math.prod(a.kernel for a in self.axes)

    @property
    def out_positions(self) -> int:
        return math.prod(a.out_size for a in self.axes)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the direct algorithm (padding taps included)."""
        return self.batch * self.out_positions * self.out_channels * self.group_in * self.taps

    @property
    def is_depthwise(self) -> bool:
        """One input channel per group (depthwise, any channel multiplier)."""
        return self.groups == self.in_channels and self.groups > 1

    def with_batch(self, batch: int) -> ConvGeometry:
        """The same geometry for another batch size (used to chunk work)."""
        return ConvGeometry(batch, self.in_channels, self.out_channels, self.groups, self.axes)

    def __str__(self) -> str:
        fields = ", ".join(
            f"[i={a.size} k={a.kernel} s={a.stride} d={a.dilation} p={a.pad} -> o={a.out_size}]"
            for a in self.axes
        )
        return (
            f"conv{self.ndim}d {self.in_shape} -> {self.out_shape}, "
            f"weight {self.weight_shape}, groups={self.groups}: {fields}"
        )

    def _repr_svg_(self) -> str | None:
        """Notebook view, drawn by :mod:`convscope.viz` (imported here: core does not depend on it)."""
        from convscope.viz import notebook_svg

        return notebook_svg(self)


def conv_geometry(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: Sequence[int] | None = None,
    padding: Sequence[tuple[int, int]] | None = None,
    dilation: Sequence[int] | None = None,
    groups: int = 1,
) -> ConvGeometry:
    """Geometry of a convolution from batched channels-first shapes.

    ``padding`` must already be resolved to ``(low, high)`` pairs (see
    :func:`convscope.core.padding.resolve_padding`).
    """
    ndim = len(input_shape) - 2
    stride = stride or (1,) * ndim
    padding = padding or ((0, 0),) * ndim
    dilation = dilation or (1,) * ndim
    axes = tuple(
        Axis(n, k, s, d, (p[0], p[1]))
        for n, k, s, d, p in zip(input_shape[2:], weight_shape[2:], stride, dilation, padding)
    )
    return ConvGeometry(input_shape[0], input_shape[1], weight_shape[0], groups, axes)


def conv_transpose_geometry(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[tuple[int, int]],
    output_padding: Sequence[int],
    dilation: Sequence[int],
    groups: int = 1,
) -> ConvGeometry:
    """Geometry of the convolution whose input-gradient is this transposed convolution.

    The transposed convolution maps ``input_shape`` (= the returned geometry's
    ``out_shape``) to the returned geometry's ``in_shape``. PyTorch's
    transposed weight ``(in_channels, out_channels // groups, *kernel)`` is
    exactly that convolution's weight.

    Examples
    --------
    >>> g = conv_transpose_geometry((1, 1, 2, 2), (1, 1, 3, 3), stride=(2, 2),
    ...     padding=((0, 0), (0, 0)), output_padding=(0, 0), dilation=(1, 1))
    >>> g.in_shape, g.out_shape
    ((1, 1, 5, 5), (1, 1, 2, 2))
    """
    axes = tuple(
        Axis.transposed(n, k, s, (p[0], p[1]), op, d)
        for n, k, s, p, op, d in zip(
            input_shape[2:], weight_shape[2:], stride, padding, output_padding, dilation
        )
    )
    return ConvGeometry(input_shape[0], weight_shape[1] * groups, weight_shape[0], groups, axes)
