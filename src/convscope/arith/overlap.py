"""Uneven overlap ("checkerboard artifacts") of transposed and strided convolutions.

A transposed convolution with kernel ``k``, stride ``s`` and dilation ``d``
paints every input cell onto ``k`` output cells ``s`` apart from the next
input's; where ``s`` does not divide the pattern of tap positions evenly,
some output cells receive more contributions than others (Odena, Dumoulin &
Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016). The
backward pass of a strided convolution scatters its gradient the same way,
so it has the same checkerboard.

Everything here counts *incidences* (input cell, tap) -> output cell with the
index maps of :class:`convscope.core.Axis`; all-ones kernels make every count
separable, so an N-d map is the outer product of per-axis maps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core import Axis

__all__ = ["Overlap", "gradient_overlap", "overlap_map", "overlap_map_stack"]

IntOrTuple = int | Sequence[int]


@dataclass(frozen=True, eq=False)
class Overlap:
    """How many contributions reach each output cell, and how uneven that is.

    Attributes
    ----------
    counts : numpy.ndarray
        Integer array, one count per output cell (1-d or 2-d).
    period : tuple of int
        Per axis, the period of the pattern far from the borders: the stride,
        or the product of the strides through a stack (the stride of the
        composed operator).
    interior : numpy.ndarray
        One period of the interior pattern (shape ``period``), indexed by the
        uncropped output position modulo the period: what ``counts`` shows
        away from the borders when the input is large enough.
    unevenness : float
        ``(max - min) / mean`` of ``interior``: 0 when every interior cell
        receives the same number of contributions (no checkerboard), 1 when
        the busiest cell gets twice the mean minus the emptiest, and so on.
    """

    counts: np.ndarray
    period: tuple[int, ...]
    interior: np.ndarray
    unevenness: float

    @property
    def is_uneven(self) -> bool:
        """Whether the interior pattern is not constant (a checkerboard)."""
        return self.unevenness > 0

    def _repr_svg_(self) -> str | None:
        """Notebook view, drawn by :mod:`convscope.viz` (imported here: arith does not depend on it)."""
        from convscope.viz import notebook_svg

        return notebook_svg(self)


# -- argument handling -------------------------------------------------------
def _ndim(*args: object) -> int:
    lengths = {len(a) for a in args if isinstance(a, Sequence)}
    if len(lengths) > 1:
        raise ValueError(f"per-axis arguments disagree on the number of axes: {args}")
    return lengths.pop() if lengths else 1


def _per_axis(name: str, value: IntOrTuple, ndim: int, minimum: int) -> tuple[int, ...]:
    values = tuple(value) if isinstance(value, Sequence) else (value,) * ndim
    if len(values) != ndim or any(not isinstance(v, (int, np.integer)) or v < minimum for v in values):
        raise ValueError(f"{name} must be an int >= {minimum} or {ndim} of them, got {name}={value!r}")
    return tuple(int(v) for v in values)


def _default_size(kernel: int, stride: int, dilation: int) -> int:
    """Input cells enough to show two full interior periods between the borders."""
    span = Axis(size=1, kernel=kernel, dilation=dilation).span
    return 2 * (-(-span // stride)) + 2


def _transposed_axis(
    in_size: int, kernel: int, stride: int, dilation: int, padding: int, output_padding: int
) -> Axis:
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(
            f"output_padding={output_padding} must be smaller than stride={stride} or dilation={dilation}"
        )
    axis = Axis.transposed(in_size, kernel, stride, (padding, padding), output_padding, dilation)
    if axis.size < 1:
        raise ValueError(
            f"transposed convolution of {in_size} cells (kernel {kernel}, stride {stride}, dilation "
            f"{dilation}, padding {padding}) has output size {axis.size}, expected at least 1"
        )
    return axis


def _scatter(axis: Axis, values: np.ndarray) -> np.ndarray:
    """The transposed convolution of ``values`` (length ``axis.out_size``) with an all-ones kernel."""
    taps = axis.index_map()
    inside = taps >= 0
    weights = np.broadcast_to(values[:, None], taps.shape)[inside]
    return np.bincount(taps[inside], weights=weights, minlength=axis.size).astype(np.int64)


def _fold(response: np.ndarray, period: int) -> np.ndarray:
    """Sum an impulse response over its positions modulo ``period`` (polyphase fold)."""
    padded = np.concatenate([response, np.zeros(-len(response) % period, dtype=response.dtype)])
    folded: np.ndarray = padded.reshape(-1, period).sum(axis=0)
    return folded


def _outer(vectors: Sequence[np.ndarray]) -> np.ndarray:
    result = vectors[0]
    for v in vectors[1:]:
        result = np.multiply.outer(result, v)
    return result


def _unevenness(interior: np.ndarray) -> float:
    return float((interior.max() - interior.min()) / interior.mean())


@dataclass(frozen=True)
class _Layer:
    kernel: int
    stride: int
    dilation: int
    padding: int
    output_padding: int


def _axis_stack(layers: Sequence[_Layer], in_size: int) -> tuple[np.ndarray, int, np.ndarray]:
    """Counts, period and interior along one axis through transposed layers, first applied first."""
    counts = np.ones(in_size, dtype=np.int64)
    impulse = np.ones(1, dtype=np.int64)
    period = 1
    for layer in layers:
        axis = _transposed_axis(
            len(counts), layer.kernel, layer.stride, layer.dilation, layer.padding, layer.output_padding
        )
        counts = _scatter(axis, counts)
        impulse = _scatter(
            _transposed_axis(len(impulse), layer.kernel, layer.stride, layer.dilation, 0, 0), impulse
        )
        period *= layer.stride
    return counts, period, _fold(impulse, period)


def _result(per_axis: Sequence[tuple[np.ndarray, int, np.ndarray]]) -> Overlap:
    interior = _outer([p[2] for p in per_axis])
    return Overlap(
        counts=_outer([p[0] for p in per_axis]),
        period=tuple(p[1] for p in per_axis),
        interior=interior,
        unevenness=_unevenness(interior),
    )


# -- public API ----------------------------------------------------------------
def overlap_map(
    kernel_size: IntOrTuple,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    input_size: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
) -> Overlap:
    """How many kernel taps of a transposed convolution reach each output cell.

    ``counts`` equals PyTorch's ``conv_transpose1d/2d`` of an all-ones input
    of ``input_size`` cells with an all-ones single-channel kernel: the
    coverage of the convolution whose adjoint the transposed convolution is
    (:meth:`convscope.core.Axis.transposed`). Integer arguments apply to
    every axis; a pair on any argument makes the map 2-d.

    Parameters
    ----------
    kernel_size, stride, dilation, padding, output_padding : int or tuple of int
        As PyTorch's ``ConvTranspose``; ``output_padding`` must be smaller than
        the stride or the dilation.
    input_size : int or tuple of int, optional
        Input cells per axis; by default enough for two interior periods,
        ``2 * ceil(span / stride) + 2`` with ``span = dilation * (kernel - 1) + 1``.

    Returns
    -------
    Overlap
        ``counts``, ``period`` (the stride), ``interior`` and ``unevenness``.

    Examples
    --------
    Seed 000 (Odena et al.): kernel 3 with stride 2 overlaps unevenly, kernel
    4 with stride 2 evenly.

    >>> r = overlap_map(3, 2, input_size=4)
    >>> r.counts, r.interior, r.is_uneven
    (array([1, 1, 2, 1, 2, 1, 2, 1, 1]), array([2, 1]), True)
    >>> overlap_map(4, 2).is_uneven
    False
    >>> overlap_map((3, 3), 2, input_size=2).counts
    array([[1, 1, 2, 1, 1],
           [1, 1, 2, 1, 1],
           [2, 2, 4, 2, 2],
           [1, 1, 2, 1, 1],
           [1, 1, 2, 1, 1]])
    """
    return overlap_map_stack(
        [
            {
                "kernel_size": kernel_size,
                "stride": stride,
                "dilation": dilation,
                "padding": padding,
                "output_padding": output_padding,
            }
        ],
        input_size,
    )


def overlap_map_stack(
    layers: Sequence[Mapping[str, IntOrTuple]],
    input_size: IntOrTuple | None = None,
) -> Overlap:
    """Number of paths from the input cells to each output cell through transposed convolutions.

    With ``A_i`` the single-channel transposed convolution of layer ``i`` with
    an all-ones kernel (a 0/1 scatter operator), ``counts = A_n ... A_2 A_1 1``
    for an all-ones input of ``input_size`` cells: entry ``y`` is the number of
    chains ``(input cell, tap_1, ..., tap_n)`` that end at output cell ``y``,
    which is what composing PyTorch's ``conv_transpose`` calls on all-ones
    tensors returns. The stack is one transposed convolution whose stride is
    the product of the strides, so ``period`` is that product; ``interior``
    folds the stack's impulse response over the period.

    Parameters
    ----------
    layers : sequence of mappings
        First applied first; keys ``kernel_size`` (required), ``stride``,
        ``dilation``, ``padding``, ``output_padding`` (default 1, 1, 0, 0),
        each an int or a per-axis tuple as in :func:`overlap_map`.
    input_size : int or tuple of int, optional
        Input cells per axis; by default the default of :func:`overlap_map`
        for the first layer.

    Returns
    -------
    Overlap

    Examples
    --------
    Two kernel-4 stride-2 layers stay even; a kernel-3 layer after them does not:

    >>> even = {"kernel_size": 4, "stride": 2, "padding": 1}
    >>> overlap_map_stack([even, even], input_size=3).counts
    array([1, 3, 3, 4, 4, 4, 4, 4, 4, 3, 3, 1])
    >>> r = overlap_map_stack([even, even, {"kernel_size": 3, "stride": 2}], input_size=3)
    >>> r.period, r.interior, r.is_uneven
    ((8,), array([8, 4, 8, 4, 8, 4, 8, 4]), True)
    """
    if not layers:
        raise ValueError("layers must hold at least one transposed convolution, got []")
    known = {"kernel_size", "stride", "dilation", "padding", "output_padding"}
    for i, layer in enumerate(layers):
        unknown = set(layer) - known
        if "kernel_size" not in layer or unknown:
            raise ValueError(
                f"layers[{i}] must map kernel_size (and optionally {sorted(known - {'kernel_size'})}), "
                f"got keys {sorted(layer)}"
            )
    ndim = _ndim(
        *(v for layer in layers for v in layer.values()), *([input_size] if input_size is not None else [])
    )
    parsed = []
    for layer in layers:
        fields = {
            name: _per_axis(name, layer.get(name, default), ndim, minimum)
            for name, default, minimum in (
                ("kernel_size", 1, 1),
                ("stride", 1, 1),
                ("dilation", 1, 1),
                ("padding", 0, 0),
                ("output_padding", 0, 0),
            )
        }
        parsed.append([_Layer(*axis_fields) for axis_fields in zip(*fields.values())])
    if input_size is None:
        sizes = tuple(_default_size(a.kernel, a.stride, a.dilation) for a in parsed[0])
    else:
        sizes = _per_axis("input_size", input_size, ndim, 1)
    return _result([_axis_stack([layer[a] for layer in parsed], sizes[a]) for a in range(ndim)])


def gradient_overlap(
    kernel_size: IntOrTuple,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    input_size: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
) -> Overlap:
    """How many output windows of a strided convolution read each input cell.

    This is the input-gradient of the convolution with an all-ones kernel and
    an all-ones cotangent (``Axis.coverage``): the backward pass of a
    strided convolution scatters like a transposed convolution and has the
    same checkerboard (Odena et al. 2016). Input cells no window reaches
    (the tail a floor-rounded output size drops) count 0.

    Parameters
    ----------
    kernel_size, stride, dilation, padding : int or tuple of int
        As PyTorch's ``Conv``.
    input_size : int or tuple of int, optional
        Input cells per axis; by default the default of :func:`overlap_map`.

    Returns
    -------
    Overlap
        ``counts`` has the input's shape; ``period`` is the stride.

    Examples
    --------
    >>> gradient_overlap(3, 2, input_size=7).counts
    array([1, 1, 2, 1, 2, 1, 1])
    >>> gradient_overlap(4, 2, input_size=8, padding=1).counts
    array([1, 2, 2, 2, 2, 2, 2, 1])
    """
    ndim = _ndim(kernel_size, stride, dilation, padding, *([input_size] if input_size is not None else []))
    kernels = _per_axis("kernel_size", kernel_size, ndim, 1)
    strides = _per_axis("stride", stride, ndim, 1)
    dilations = _per_axis("dilation", dilation, ndim, 1)
    pads = _per_axis("padding", padding, ndim, 0)
    if input_size is None:
        sizes = tuple(_default_size(k, s, d) for k, s, d in zip(kernels, strides, dilations))
    else:
        sizes = _per_axis("input_size", input_size, ndim, 1)
    per_axis = []
    for n, k, s, d, p in zip(sizes, kernels, strides, dilations, pads):
        axis = Axis(n, k, s, d, (p, p))
        if axis.out_size < 1:
            raise ValueError(
                f"convolution of {n} cells (kernel {k}, dilation {d}, padding {p}) has no output"
            )
        impulse = _scatter(_transposed_axis(1, k, s, d, 0, 0), np.ones(1, dtype=np.int64))
        per_axis.append((axis.coverage().astype(np.int64), s, _fold(impulse, s)))
    return _result(per_axis)
