"""Porting layers between TensorFlow and PyTorch: padding, transposed sizes, filter layouts, resizing.

Every answer is plain data (frozen dataclasses of ints, tuples and strings)
and every number is asked of the geometry core: TensorFlow's SAME split
(:func:`convscope.core.resolve_padding` with :attr:`SameConvention.TF`), the
``output_shape`` values TensorFlow accepts (:func:`convscope.core.tf_transpose_sizes`)
and PyTorch's transposed output length (:meth:`convscope.core.Axis.transposed`).

Conventions. Sizes, kernels, strides, dilations and paddings are *spatial*,
one entry per spatial axis (an int means every axis). TensorFlow's explicit
padding is a ``(low, high)`` pair per spatial axis; its full NHWC form
``[[0, 0], [lo, hi], ..., [0, 0]]`` is accepted too. ``F.pad`` tuples follow
PyTorch: last axis first, ``(w_lo, w_hi, h_lo, h_hi, ...)``; negative entries
crop.

Two facts do the work (read off TensorFlow's kernels, checked against TF 2.21
in ``tests/test_arith_port.py``):

* a convolution's output reads input ``j * s + t * d - p_lo``: two paddings
  with the same low side and the same output size give the same numbers;
* TensorFlow's ``conv*_transpose`` is the input gradient of the convolution
  from ``output_shape`` back to the input, so its output is the full
  transposed convolution (nothing cropped) from cell ``p_lo`` on, for
  ``output_shape`` cells; the high padding only decides which shapes are
  accepted.

>>> tf_padding_to_torch((5, 5), 3, strides=2, padding="SAME").padding
(1, 1)
>>> tf_padding_to_torch((4, 4), 2, strides=1, padding="SAME").pre_pad
(0, 1, 0, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..core import Axis, SameConvention, resolve_padding, tf_transpose_sizes
from .sizes import (
    _kernel_stride_dilation,
    _per_axis,
    _sizes,
    _spans,
    conv_output_size,
    conv_transpose_output_size,
)

__all__ = [
    "FilterPort",
    "ResizePort",
    "TfPadding",
    "TfTranspose",
    "TorchPadding",
    "TorchTranspose",
    "filter_port",
    "port_filter",
    "tf_padding_to_torch",
    "tf_resize_to_torch",
    "tf_transpose_to_torch",
    "torch_padding_to_tf",
    "torch_resize_to_tf",
    "torch_transpose_to_tf",
]

Pairs = tuple[tuple[int, int], ...]
WindowOp = Literal["conv", "max_pool", "avg_pool"]
FilterKind = Literal["conv", "conv_transpose", "depthwise"]


# -- shared helpers -----------------------------------------------------------
def _fpad(pairs: Pairs, sign: int = 1) -> tuple[int, ...]:
    """``(low, high)`` pairs (first spatial axis first) as an ``F.pad`` tuple (last axis first)."""
    return tuple(sign * v for lo, hi in reversed(pairs) for v in (lo, hi))


def _tf_padding(op: str, padding: Any, n: int) -> str | Pairs:
    """``'SAME'``/``'VALID'`` (any case) or explicit pairs (spatial, or TensorFlow's full form)."""
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise ValueError(
                f"{op}: padding={padding!r} is not 'SAME', 'VALID' or explicit (low, high) pairs"
            )
        return padding.upper()
    try:
        items = [tuple(int(v) for v in item) for item in padding]
    except (TypeError, ValueError):
        raise ValueError(
            f"{op}: padding={padding!r} is not 'SAME', 'VALID' or explicit (low, high) pairs"
        ) from None
    if len(items) == n + 2 and items[0] == (0, 0) and items[-1] == (0, 0):
        items = items[1:-1]  # TensorFlow's full [[0, 0], ..., [0, 0]] (channels last)
    if len(items) != n or any(len(p) != 2 or min(p) < 0 for p in items):
        raise ValueError(
            f"{op}: padding={padding!r} must hold {n} non-negative (low, high) pairs, one per spatial axis"
        )
    return tuple((p[0], p[1]) for p in items)


def _tf_same(ndim: int) -> SameConvention:
    """TensorFlow's SAME rule for convolutions and pooling with ``ndim`` spatial axes (CPU kernels)."""
    return SameConvention.TF_EIGEN if ndim == 3 else SameConvention.TF


def _spatial(op: str, name: str, value: Any, n: int) -> tuple[int, ...]:
    """TensorFlow's per-axis ints: an int, one per spatial axis, or the full ``[1, ..., 1]`` form."""
    if isinstance(value, Sequence) and len(value) == n + 2 and n > 1:
        value = list(value)[1:-1]
    return _per_axis(op, name, value, n, 1)


# -- 1. convolution and pooling padding ----------------------------------------
@dataclass(frozen=True)
class TorchPadding:
    """PyTorch arguments for a TensorFlow window layer's padding.

    Attributes
    ----------
    pairs : tuple of (low, high)
        The padding TensorFlow applies, per spatial axis (extra cell high).
    padding : tuple of int
        PyTorch's symmetric ``padding`` argument; all zeros when ``pre_pad`` is used.
    pre_pad : tuple of int or None
        ``F.pad`` tuple (last axis first) to apply to the input before a call
        with ``padding=0``: set when the pairs are not symmetric (or exceed
        what PyTorch's pooling accepts); ``None`` otherwise.
    pad_value : float
        The value ``F.pad`` fills with: ``0`` (convolution, average pooling)
        or ``-inf`` (max pooling: TensorFlow never lets padding win).
    string : str or None
        ``'same'`` or ``'valid'`` when PyTorch's string padding gives the same numbers.
    options : dict
        Further keyword arguments of the PyTorch call (``count_include_pad=False``
        for average pooling: TensorFlow averages only real cells).
    exact : bool
        Whether the PyTorch call(s) reproduce TensorFlow exactly; ``note`` says how when not.
    note : str
    """

    pairs: Pairs
    padding: tuple[int, ...]
    pre_pad: tuple[int, ...] | None
    pad_value: float = 0.0
    string: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    exact: bool = True
    note: str = ""


def tf_padding_to_torch(
    input_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: Any = "VALID",
    dilations: int | Sequence[int] = 1,
    op: WindowOp = "conv",
) -> TorchPadding:
    """PyTorch's ``padding`` (or an ``F.pad`` first) for a TensorFlow convolution or pooling.

    Parameters
    ----------
    input_size, kernel_size : int or sequence of int
        Spatial input size and window (an int ``input_size`` is one axis).
    strides, dilations : int or sequence of int
        TensorFlow's values, per spatial axis (``[1, s, s, 1]`` accepted).
    padding : 'SAME', 'VALID' or sequence of (low, high)
    op : {'conv', 'max_pool', 'avg_pool'}

    Returns
    -------
    TorchPadding

    Examples
    --------
    >>> p = tf_padding_to_torch((4, 4), 2, strides=1, padding="SAME")
    >>> p.pairs, p.padding, p.pre_pad, p.string
    (((0, 1), (0, 1)), (0, 0), (0, 1, 0, 1), 'same')
    >>> tf_padding_to_torch(5, 3, strides=2, padding="SAME", op="avg_pool").options
    {'count_include_pad': False}
    """
    name = "tf_padding_to_torch"
    sizes, _ = _sizes(name, input_size)
    n = len(sizes)
    kernel = _spatial(name, "kernel_size", kernel_size, n)
    step = _spatial(name, "strides", strides, n)
    dil = _spatial(name, "dilations", dilations, n)
    if op not in ("conv", "max_pool", "avg_pool"):
        raise ValueError(f"{name}: op={op!r} is not 'conv', 'max_pool' or 'avg_pool'")
    if op != "conv" and any(d != 1 for d in dil):
        raise ValueError(f"{name}: TensorFlow's pooling has no dilations, got dilations={dilations!r}")
    spans = _spans(kernel, dil)
    spec = _tf_padding(name, padding, n)
    if not isinstance(spec, str):  # TensorFlow's own refusals of explicit padding
        if op == "avg_pool" or (op == "conv" and n != 2):
            raise ValueError(
                f"{name}: TensorFlow's {op.replace('conv', f'conv{n}d')} takes only 'SAME' or 'VALID', "
                f"got padding={padding!r}"
            )
        if op == "max_pool" and any(max(p) >= k for p, k in zip(spec, kernel)):
            raise ValueError(
                f"{name}: TensorFlow's max_pool needs each explicit pad smaller than the window "
                f"{kernel}, got padding={padding!r}"
            )
    # TensorFlow's 3-d CPU kernels (Eigen's volume patches, Conv3D and pooling) do not clamp SAME's
    # total at zero: a stride beyond the window crops.
    pairs = resolve_padding(spec, sizes, spans, step, _tf_same(n))
    if any(Axis(i, k, s, d, p).out_size < 1 for i, k, s, d, p in zip(sizes, kernel, step, dil, pairs)):
        raise ValueError(
            f"{name}: kernel_size={kernel_size!r} does not fit the padded input "
            f"(input_size={input_size!r}, padding={padding!r})"
        )
    symmetric = all(lo == hi >= 0 for lo, hi in pairs)
    # PyTorch's pooling takes at most half the window as padding.
    fits = op == "conv" or all(2 * lo <= k for (lo, _), k in zip(pairs, kernel))
    string = None
    if op == "conv" and all(lo == 0 and hi == 0 for lo, hi in pairs):
        string = "valid"
    elif op == "conv" and all(s == 1 for s in step):
        torch_same = resolve_padding("same", sizes, spans, step, SameConvention.TORCH)
        string = "same" if torch_same == pairs else None
    options: dict[str, Any] = {"count_include_pad": False} if op == "avg_pool" else {}
    value = -np.inf if op == "max_pool" else 0.0
    if symmetric and fits:
        return TorchPadding(pairs, tuple(lo for lo, _ in pairs), None, value, string, options)
    pre = _fpad(pairs)
    if op == "avg_pool" and max(max(p) for p in pairs) > 0:
        note = (
            "no single PyTorch call: TensorFlow divides by the real cells of each window; use "
            f"avg_pool(F.pad(x, {pre})) / avg_pool(F.pad(ones_like(x), {pre})) (both padding=0)"
        )
        return TorchPadding(pairs, (0,) * n, pre, 0.0, None, {}, exact=False, note=note)
    crops = " (negative entries crop)" if min(pre) < 0 else ""
    note = f"F.pad(x, {pre}{', value=-inf' if op == 'max_pool' else ''}) then padding=0{crops}"
    return TorchPadding(pairs, (0,) * n, pre, value, string, options, note=note)


@dataclass(frozen=True)
class TfPadding:
    """TensorFlow's ``padding`` for a PyTorch convolution.

    Attributes
    ----------
    padding : 'SAME', 'VALID' or tuple of (low, high)
        What to pass (explicit pairs per spatial axis when neither string gives the same numbers).
    pairs : tuple of (low, high)
        PyTorch's padding per spatial axis.
    """

    padding: str | Pairs
    pairs: Pairs

    def explicit(self) -> list[list[int]]:
        """The pairs in TensorFlow's full NHWC form ``[[0, 0], [lo, hi], ..., [0, 0]]``."""
        return [[0, 0], *([lo, hi] for lo, hi in self.pairs), [0, 0]]


def torch_padding_to_tf(
    input_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: Any = 0,
    dilation: int | Sequence[int] = 1,
) -> TfPadding:
    """TensorFlow's ``padding`` for ``torch.nn.functional.conv{1,2,3}d``.

    ``'SAME'`` or ``'VALID'`` when that string, for this input size, gives the
    same output size and the same low padding (so the same numbers);
    explicit pairs otherwise.

    Examples
    --------
    >>> torch_padding_to_tf((5, 5), 3, stride=2, padding=1).padding
    'SAME'
    >>> torch_padding_to_tf(6, 3, stride=2, padding=1).padding
    ((1, 1),)
    >>> torch_padding_to_tf(7, 3, padding=0).padding
    'VALID'
    """
    name = "torch_padding_to_tf"
    sizes, _ = _sizes(name, input_size)
    n = len(sizes)
    kernel, step, dil = _kernel_stride_dilation(name, kernel_size, stride, dilation, n)
    conv_output_size(sizes, kernel, step, padding, dil)  # PyTorch's refusals
    spans = _spans(kernel, dil)
    pairs = resolve_padding(padding, sizes, spans, step, SameConvention.TORCH)

    def same_numbers(other: Pairs) -> bool:
        return all(
            a[0] == b[0] and Axis(i, k, s, d, a).out_size == Axis(i, k, s, d, b).out_size
            for i, k, s, d, a, b in zip(sizes, kernel, step, dil, pairs, other)
        )

    same = resolve_padding("SAME", sizes, spans, step, _tf_same(n))
    for spec, resolved in (("VALID", ((0, 0),) * n), ("SAME", same)):
        if same_numbers(resolved):
            return TfPadding(spec, pairs)
    return TfPadding(pairs, pairs)


# -- 2. transposed convolution ------------------------------------------------
@dataclass(frozen=True)
class TorchTranspose:
    """PyTorch arguments for a TensorFlow ``conv*_transpose`` with a given ``output_shape``.

    Attributes
    ----------
    output_size : tuple of int
        TensorFlow's ``output_shape``, spatial.
    pairs : tuple of (low, high)
        The padding of TensorFlow's forward convolution (of ``output_size``).
    padding, output_padding : tuple of int
        PyTorch's ``conv_transpose`` arguments.
    crop : tuple of (low, high)
        Cells to cut from each side of PyTorch's output, per axis: needed when
        TensorFlow's padding is asymmetric (SAME with an odd total) and no
        ``output_padding`` (``0 <= q < max(stride, dilation)``) absorbs it.
    post_pad : tuple of int or None
        The crop as an ``F.pad`` tuple (last axis first, negative entries
        crop) to apply to PyTorch's output; ``None`` when nothing is cut.
    """

    output_size: tuple[int, ...]
    pairs: Pairs
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    crop: Pairs
    post_pad: tuple[int, ...] | None

    @property
    def exact(self) -> bool:
        """Whether ``conv_transpose`` alone (no crop) reproduces TensorFlow."""
        return self.post_pad is None


def tf_transpose_to_torch(
    input_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    output_shape: int | Sequence[int],
    strides: int | Sequence[int] = 1,
    padding: Any = "SAME",
    dilations: int | Sequence[int] = 1,
) -> TorchTranspose:
    """PyTorch's ``padding`` and ``output_padding`` (and a crop) for a TensorFlow transposed convolution.

    Parameters
    ----------
    input_size, kernel_size : int or sequence of int
        Spatial input size and kernel of ``tf.nn.conv*_transpose``.
    output_shape : int or sequence of int
        Spatial ``output_shape`` (the full ``[batch, ..., channels]`` form is accepted).
    strides, dilations : int or sequence of int
    padding : 'SAME', 'VALID' or sequence of (low, high)

    Returns
    -------
    TorchTranspose

    Notes
    -----
    TensorFlow's CPU kernels refuse ``dilations > 1`` for transposed
    convolutions (its GPU kernels accept them); the port follows TensorFlow's
    definition, the input gradient of the dilated convolution, for any dilation.

    Raises
    ------
    ValueError
        When TensorFlow refuses ``output_shape`` (it is not one of
        :func:`convscope.core.tf_transpose_sizes`); the message lists the accepted sizes.

    Examples
    --------
    >>> t = tf_transpose_to_torch((2, 2), 2, output_shape=(4, 4), strides=2, padding="SAME")
    >>> t.padding, t.output_padding, t.post_pad
    ((0, 0), (0, 0), None)
    >>> t = tf_transpose_to_torch((2, 2), 2, output_shape=(3, 3), strides=2, padding="SAME")
    >>> t.pairs, t.padding, t.output_padding, t.crop
    (((0, 1), (0, 1)), (0, 0), (0, 0), ((0, 1), (0, 1)))
    """
    name = "tf_transpose_to_torch"
    sizes, _ = _sizes(name, input_size)
    n = len(sizes)
    kernel = _spatial(name, "kernel_size", kernel_size, n)
    step = _spatial(name, "strides", strides, n)
    dil = _spatial(name, "dilations", dilations, n)
    if isinstance(output_shape, Sequence) and len(output_shape) == n + 2:
        output_shape = list(output_shape)[1:-1]
    outs = _per_axis(name, "output_shape", output_shape, n, 0)
    spans = _spans(kernel, dil)
    spec = _tf_padding(name, padding, n)
    pairs = resolve_padding(spec, outs, spans, step, SameConvention.TF)
    for axis, (i, o, span, s) in enumerate(zip(sizes, outs, spans, step)):
        accepted = tf_transpose_sizes(i, span, s, spec if isinstance(spec, str) else spec[axis])
        if o not in accepted:
            raise ValueError(
                f"{name}: TensorFlow refuses output_shape={output_shape!r}: along spatial axis {axis} "
                f"(input {i}, kernel span {span}, stride {s}, padding {padding!r}) it accepts only "
                f"{list(accepted)}"
            )
    padding_out, out_pad, crop = [], [], []
    for i, o, k, s, d, (lo, _) in zip(sizes, outs, kernel, step, dil, pairs):
        # PyTorch output cell j is cell j + p of the full transposed output, TensorFlow's is j + lo:
        # take p = lo, let output_padding reach TensorFlow's last cell, else crop the difference.
        p = lo
        while True:
            q = lo + o - p - Axis.transposed(i, k, s, (p, p), 0, d).size
            if q < max(s, d) or p == 0:
                break
            p -= 1
        padding_out.append(p)
        out_pad.append(max(q, 0))
        crop.append((lo - p, max(-q, 0)))
    crops = tuple(crop)
    post = None if all(c == (0, 0) for c in crops) else _fpad(crops, -1)
    return TorchTranspose(outs, pairs, tuple(padding_out), tuple(out_pad), crops, post)


@dataclass(frozen=True)
class TfTranspose:
    """TensorFlow's ``output_shape`` and ``padding`` for a PyTorch transposed convolution.

    Attributes
    ----------
    output_size : tuple of int
        The spatial ``output_shape`` (batch and channels go around it).
    padding : 'SAME', 'VALID' or tuple of (low, high)
        A string when it gives the same numbers; explicit pairs otherwise.
    pairs : tuple of (low, high)
        The padding of TensorFlow's forward convolution (explicit or resolved).
    note : str
        Set when TensorFlow cannot take the answer: explicit pairs are
        accepted by ``conv2d_transpose`` only, not ``conv1d_transpose`` or
        ``conv3d_transpose``.
    """

    output_size: tuple[int, ...]
    padding: str | Pairs
    pairs: Pairs
    note: str = ""

    def explicit(self) -> list[list[int]]:
        """The pairs in TensorFlow's full NHWC form ``[[0, 0], [lo, hi], ..., [0, 0]]``."""
        return [[0, 0], *([lo, hi] for lo, hi in self.pairs), [0, 0]]


def torch_transpose_to_tf(
    input_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
) -> TfTranspose:
    """TensorFlow's ``output_shape`` and ``padding`` for ``torch.nn.functional.conv_transpose{1,2,3}d``.

    Examples
    --------
    >>> t = torch_transpose_to_tf((3, 3), 4, stride=2, padding=1)
    >>> t.output_size, t.padding
    ((6, 6), 'SAME')
    >>> torch_transpose_to_tf(3, 3, stride=2, padding=1, output_padding=1).padding  # SAME's low pad is 0
    ((1, 1),)
    >>> torch_transpose_to_tf(2, 2, stride=2, output_padding=1).padding
    'VALID'
    >>> torch_transpose_to_tf(4, 3, stride=1, padding=2).padding
    ((2, 2),)

    Raises
    ------
    ValueError
        Everything PyTorch refuses, and an ``output_padding`` beyond the
        stride (allowed by PyTorch when the dilation is larger) that no
        TensorFlow padding reproduces.
    """
    name = "torch_transpose_to_tf"
    sizes, _ = _sizes(name, input_size)
    n = len(sizes)
    kernel, step, dil = _kernel_stride_dilation(name, kernel_size, stride, dilation, n)
    pads = _per_axis(name, "padding", padding, n, 0)
    out_pad = _per_axis(name, "output_padding", output_padding, n, 0)
    outs = conv_transpose_output_size(sizes, kernel, step, pads, out_pad, dil)  # PyTorch's refusals
    spans = _spans(kernel, dil)
    pairs = []
    for axis, (i, o, span, s, p) in enumerate(zip(sizes, outs, spans, step, pads)):
        # TensorFlow's values depend on the low side only; the high side decides acceptance.
        highs = [h for h in (p, *range(p + span + s)) if o in tf_transpose_sizes(i, span, s, (p, h))]
        if not highs:
            raise ValueError(
                f"{name}: no TensorFlow padding reproduces output_padding={output_padding!r} along "
                f"spatial axis {axis} (stride {s}): TensorFlow accepts output sizes within one stride"
            )
        pairs.append((p, highs[0]))
    for spec in ("VALID", "SAME"):
        resolved = resolve_padding(spec, outs, spans, step, SameConvention.TF)
        if all(
            o in tf_transpose_sizes(i, span, s, spec) and r[0] == p
            for i, o, span, s, r, p in zip(sizes, outs, spans, step, resolved, pads)
        ):
            return TfTranspose(outs, spec, resolved)
    note = (
        ""
        if n == 2
        else f"tf.nn.conv{n}d_transpose takes only 'SAME' or 'VALID'; explicit padding needs "
        + ("conv2d_transpose on a unit-height input" if n == 1 else "'VALID' and a crop of the low side")
    )
    return TfTranspose(outs, tuple(pairs), tuple(pairs), note)


# -- 3. filter layouts ---------------------------------------------------------
@dataclass(frozen=True)
class FilterPort:
    """How a filter array moves between TensorFlow's and PyTorch's layouts.

    ``target = array.reshape(before).transpose(axes).reshape(after)``
    (a ``None`` reshape is skipped).

    Layouts (``S`` = spatial axes, e.g. ``H, W``):

    ==================  ===========================  ===================================
    kind                TensorFlow                   PyTorch
    ==================  ===========================  ===================================
    ``conv``            ``S, in / groups, out``      ``out, in / groups, S``
    ``conv_transpose``  ``S, out, in``               ``in, out, S`` (groups 1)
    ``depthwise``       ``S, in, multiplier``        ``in * multiplier, 1, S`` (groups ``in``)
    ==================  ===========================  ===================================
    """

    kind: str
    source: str
    source_shape: tuple[int, ...]
    target_shape: tuple[int, ...]
    axes: tuple[int, ...]
    before: tuple[int, ...] | None = None
    after: tuple[int, ...] | None = None

    def apply(self, array: Any) -> np.ndarray:
        """The filter in the target layout (a NumPy array; a view when no reshape copies)."""
        values = np.asarray(array)
        if values.shape != self.source_shape:
            raise ValueError(f"FilterPort.apply: expected shape {self.source_shape}, got {values.shape}")
        if self.before is not None:
            values = values.reshape(self.before)
        values = values.transpose(self.axes)
        return values.reshape(self.after) if self.after is not None else values


def filter_port(
    shape: Sequence[int],
    kind: FilterKind = "conv",
    source: Literal["tf", "torch"] = "tf",
    in_channels: int | None = None,
) -> FilterPort:
    """The permutation (and reshape) that turns a filter of ``shape`` into the other framework's layout.

    Parameters
    ----------
    shape : sequence of int
        The filter's shape in ``source``'s layout (1, 2 or 3 spatial axes).
    kind : {'conv', 'conv_transpose', 'depthwise'}
    source : {'tf', 'torch'}
    in_channels : int, optional
        Needed for a PyTorch depthwise filter ``(in * multiplier, 1, S)``,
        whose shape does not say how ``in * multiplier`` splits.

    Examples
    --------
    >>> filter_port((3, 3, 3, 8)).axes, filter_port((3, 3, 3, 8)).target_shape
    ((3, 2, 0, 1), (8, 3, 3, 3))
    >>> filter_port((8, 3, 3, 3), source="torch").axes
    (2, 3, 1, 0)
    >>> p = filter_port((3, 3, 4, 2), kind="depthwise")
    >>> p.axes, p.after
    ((2, 3, 0, 1), (8, 1, 3, 3))
    """
    name = "filter_port"
    dims = tuple(int(v) for v in shape)
    if not 3 <= len(dims) <= 5 or min(dims) < 1:
        raise ValueError(
            f"{name}: shape={tuple(shape)!r} must be 3 to 5 positive sizes (1 to 3 spatial axes)"
        )
    if kind not in ("conv", "conv_transpose", "depthwise") or source not in ("tf", "torch"):
        raise ValueError(f"{name}: kind={kind!r} / source={source!r} is not a known layout")
    n = len(dims) - 2
    if source == "tf":
        # TensorFlow keeps the two channel axes last: both kinds reverse them and move them to the front.
        axes = (n + 1, n, *range(n))
        if kind != "depthwise":
            return FilterPort(kind, source, dims, tuple(dims[a] for a in axes), axes)
        channels, mult = dims[n], dims[n + 1]
        axes = (n, n + 1, *range(n))
        after = (channels * mult, 1, *dims[:n])
        return FilterPort(kind, source, dims, after, axes, None, after)
    axes = (*range(2, n + 2), 1, 0)
    if kind != "depthwise":
        return FilterPort(kind, source, dims, tuple(dims[a] for a in axes), axes)
    if dims[1] != 1 or in_channels is None or in_channels < 1 or dims[0] % in_channels:
        raise ValueError(
            f"{name}: a PyTorch depthwise filter is (in * multiplier, 1, ...) with in_channels dividing "
            f"the first axis; got shape={dims}, in_channels={in_channels!r}"
        )
    before = (in_channels, dims[0] // in_channels, *dims[2:])
    axes = (*range(2, n + 2), 0, 1)
    return FilterPort(kind, source, dims, tuple(before[a] for a in axes), axes, before, None)


def port_filter(
    array: Any,
    kind: FilterKind = "conv",
    source: Literal["tf", "torch"] = "tf",
    in_channels: int | None = None,
) -> np.ndarray:
    """``array`` in the other framework's filter layout (see :func:`filter_port`).

    >>> port_filter(np.zeros((3, 3, 2, 5))).shape
    (5, 2, 3, 3)
    """
    values = np.asarray(array)
    return filter_port(values.shape, kind, source, in_channels).apply(values)


# -- 4. resizing ------------------------------------------------------------------
@dataclass(frozen=True)
class ResizePort:
    """A TensorFlow resize and its PyTorch ``F.interpolate`` counterpart, if any.

    Attributes
    ----------
    tf_call : str
        The TensorFlow call, e.g. ``"tf.image.resize(method='bilinear')"``.
    torch_options : dict or None
        ``F.interpolate`` keyword arguments (``mode``, ``align_corners``,
        ``antialias``) of the equivalent, or of the closest mode when not
        exact; ``None`` when PyTorch has nothing close.
    exact : bool
        Whether the numbers agree (to float rounding) for every size.
    exact_when : str
        A condition under which a non-exact pair still agrees ('' if none).
    note : str
        Why they differ, or what makes them agree.
    """

    tf_call: str
    torch_options: dict[str, Any] | None
    exact: bool
    exact_when: str = ""
    note: str = ""


def _torch(mode: str, align_corners: bool | None = None, antialias: bool = False) -> dict[str, Any]:
    options: dict[str, Any] = {"mode": mode}
    if align_corners is not None:
        options["align_corners"] = align_corners
    if antialias:
        options["antialias"] = True
    return options


_AREA_NOTE = (
    "TensorFlow weighs every input cell by the fraction of it an output cell covers; PyTorch's 'area' is "
    "adaptive average pooling over whole cells (floor/ceil window bounds)"
)
_NO_TORCH = "PyTorch's interpolate has no such kernel"

#: (method, antialias) of tf.image.resize -> its port.
_V2: dict[tuple[str, bool], tuple[dict[str, Any] | None, bool, str, str]] = {
    ("bilinear", False): (
        _torch("bilinear", False),
        True,
        "",
        "both map output x to (x + 0.5) * in/out - 0.5",
    ),
    ("bilinear", True): (
        _torch("bilinear", False, True),
        True,
        "",
        "both use a triangle filter stretched by in/out when shrinking, weights renormalised at the edges",
    ),
    ("bicubic", True): (
        _torch("bicubic", False, True),
        True,
        "",
        "both use Keys' cubic with a = -0.5, stretched when shrinking, weights renormalised at the edges",
    ),
    ("bicubic", False): (
        _torch("bicubic", False),
        False,
        "",
        "TensorFlow uses Keys' cubic a = -0.5 (tabulated in 1024 steps, out-of-range taps dropped and "
        "renormalised); PyTorch uses a = -0.75 with edge cells repeated",
    ),
    ("nearest", False): (
        _torch("nearest-exact"),
        True,
        "",
        "both take input floor((x + 0.5) * in/out); PyTorch's 'nearest' takes floor(x * in/out)",
    ),
    ("area", False): (_torch("area"), False, "every input size is a multiple of the output size", _AREA_NOTE),
    ("lanczos3", False): (None, False, "", _NO_TORCH + " (Lanczos, 3 lobes)"),
    ("lanczos5", False): (None, False, "", _NO_TORCH + " (Lanczos, 5 lobes)"),
    ("gaussian", False): (None, False, "", _NO_TORCH + " (Gaussian, radius 3 sigma = 1.5 scaled)"),
    ("mitchellcubic", False): (None, False, "", _NO_TORCH + " (Mitchell-Netravali cubic, B = C = 1/3)"),
}
#: TensorFlow ignores antialias for these methods; the others apply it in tf.image.resize.
_NO_ANTIALIAS = ("nearest", "area")

#: (method, align_corners, half_pixel_centers) of compat.v1 -> its port.
_V1: dict[tuple[str, bool, bool], tuple[dict[str, Any] | None, bool, str, str]] = {
    ("bilinear", True, False): (_torch("bilinear", True), True, "", "both map x to x * (in-1)/(out-1)"),
    ("bilinear", False, True): (_torch("bilinear", False), True, "", "both use half-pixel centres"),
    ("bilinear", False, False): (
        None,
        False,
        "",
        "TensorFlow's legacy mapping x * in/out (no half-pixel shift, not corner-aligned) is not in PyTorch",
    ),
    ("nearest", False, False): (_torch("nearest"), True, "", "both take input floor(x * in/out)"),
    ("nearest", False, True): (
        _torch("nearest-exact"),
        True,
        "",
        "both take input floor((x + 0.5) * in/out)",
    ),
    ("nearest", True, False): (
        None,
        False,
        "",
        "TensorFlow rounds x * (in-1)/(out-1) half away from zero; PyTorch's nearest refuses align_corners",
    ),
    ("bicubic", True, False): (
        _torch("bicubic", True),
        False,
        "",
        "same mapping and a = -0.75, but TensorFlow tabulates the cubic in 1024 steps (differences ~1e-3)",
    ),
    ("bicubic", False, False): (
        None,
        False,
        "",
        "TensorFlow's legacy mapping x * in/out is not in PyTorch (and its cubic is tabulated)",
    ),
    ("bicubic", False, True): (
        _torch("bicubic", False),
        False,
        "",
        "TensorFlow uses Keys' a = -0.5 with out-of-range taps dropped; PyTorch a = -0.75",
    ),
    ("area", False, False): (
        _torch("area"),
        False,
        "every input size is a multiple of the output size",
        _AREA_NOTE,
    ),
    ("area", True, False): (
        None,
        False,
        "",
        "TensorFlow's align_corners area scale (in-1)/(out-1) is not in PyTorch",
    ),
}


def tf_resize_to_torch(
    method: str = "bilinear",
    antialias: bool = False,
    *,
    align_corners: bool | None = None,
    half_pixel_centers: bool | None = None,
) -> ResizePort:
    """The ``F.interpolate`` options that reproduce a TensorFlow resize, or why none does.

    Parameters
    ----------
    method : str
        ``tf.image.resize``'s method (``bilinear``, ``nearest``, ``bicubic``,
        ``area``, ``lanczos3``, ``lanczos5``, ``gaussian``, ``mitchellcubic``).
    antialias : bool
        ``tf.image.resize``'s ``antialias`` (ignored by TensorFlow for nearest and area).
    align_corners, half_pixel_centers : bool, optional
        Given (either): the ``tf.compat.v1.image.resize_{bilinear, nearest_neighbor,
        bicubic, area}`` functions with these flags (TensorFlow refuses both True).

    Returns
    -------
    ResizePort

    Examples
    --------
    >>> tf_resize_to_torch("bilinear").torch_options
    {'mode': 'bilinear', 'align_corners': False}
    >>> tf_resize_to_torch("nearest", align_corners=False, half_pixel_centers=False).torch_options
    {'mode': 'nearest'}
    >>> tf_resize_to_torch("bicubic").exact
    False
    """
    name = "tf_resize_to_torch"
    key = str(method).lower()
    if key == "nearest_neighbor":
        key = "nearest"
    if align_corners is None and half_pixel_centers is None:
        aa = bool(antialias) and key not in _NO_ANTIALIAS
        found = _V2.get((key, aa)) or _V2.get((key, False))
        if found is None:
            raise ValueError(f"{name}: method={method!r} is not one of tf.image.resize's methods")
        call = f"tf.image.resize(method={key!r}{', antialias=True' if aa else ''})"
        options, exact, when, note = found
        return ResizePort(call, options, exact, when, note)
    corners, centers = bool(align_corners), bool(half_pixel_centers)
    if corners and centers:
        raise ValueError(f"{name}: TensorFlow refuses align_corners=True with half_pixel_centers=True")
    found = _V1.get((key, corners, centers))
    if found is None:
        raise ValueError(
            f"{name}: method={method!r} with align_corners={corners}, half_pixel_centers={centers} is not "
            "a tf.compat.v1.image resize (bilinear, nearest, bicubic; area takes align_corners only)"
        )
    function = {"nearest": "resize_nearest_neighbor"}.get(key, f"resize_{key}")
    flags = f"align_corners={corners}" + ("" if key == "area" else f", half_pixel_centers={centers}")
    options, exact, when, note = found
    return ResizePort(f"tf.compat.v1.image.{function}({flags})", options, exact, when, note)


def torch_resize_to_tf(mode: str, align_corners: bool | None = None, antialias: bool = False) -> ResizePort:
    """The TensorFlow resize that reproduces ``F.interpolate(mode, align_corners, antialias)``, if any.

    The answer is the first exact entry of :func:`tf_resize_to_torch`'s table
    (``tf.image.resize`` before ``compat.v1``) whose PyTorch options match;
    otherwise ``exact`` is False and ``tf_call`` names the closest.

    Examples
    --------
    >>> torch_resize_to_tf("bilinear", align_corners=True).tf_call
    'tf.compat.v1.image.resize_bilinear(align_corners=True, half_pixel_centers=False)'
    >>> torch_resize_to_tf("nearest").tf_call
    'tf.compat.v1.image.resize_nearest_neighbor(align_corners=False, half_pixel_centers=False)'
    """
    key = str(mode).lower()
    corners = bool(align_corners) if key in ("bilinear", "bicubic", "linear", "trilinear") else None
    wanted = _torch(key, corners, bool(antialias))
    candidates = [tf_resize_to_torch(m, aa) for m, aa in _V2]
    candidates += [tf_resize_to_torch(m, align_corners=c, half_pixel_centers=h) for m, c, h in _V1]
    for exact in (True, False):
        for port in candidates:
            if port.torch_options == wanted and port.exact == exact:
                return port
    note = "TensorFlow resizes 2-d images only" if key in ("linear", "trilinear") else "no TensorFlow resize"
    return ResizePort("", wanted, False, "", note)
