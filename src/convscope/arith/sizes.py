"""Output sizes of convolution, transposed convolution and pooling, as PyTorch computes them.

Every size here is asked of the geometry core (:class:`convscope.core.Axis`);
this module only normalises arguments, applies PyTorch's refusals and
enumerates choices. The shape of an answer follows ``input_size``: an int
gives ints, a sequence (one entry per spatial axis) gives tuples. Every other
per-axis argument is an int (all axes) or a sequence of that length.

Formulas (Dumoulin & Visin, "A guide to convolution arithmetic",
arXiv 1603.07285, relationships 15 and 14), with ``span = d * (k - 1) + 1``::

    conv            o = floor((i + p_lo + p_hi - span) / s) + 1
    conv_transpose  o = (i - 1) * s - 2 * p + span + output_padding
    pool            as conv, rounded up when ceil_mode (last window must start
                    inside the input or the low padding)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

from ..core import Axis, SameConvention, pool_window_axes, resolve_padding
from ..core.window import is_int as _is_int

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "effective_kernel_size",
    "inverse_transpose",
    "pool_output_size",
    "transpose_output_sizes",
]

IntOrSeq = int | Sequence[int]


# -- argument normalisation ---------------------------------------------------
def _sizes(op: str, input_size: Any) -> tuple[tuple[int, ...], bool]:
    """``(sizes, scalar)``: per-axis input sizes and whether ``input_size`` was one int."""
    if _is_int(input_size):
        sizes: tuple[int, ...] = (int(input_size),)
        scalar = True
    elif (
        isinstance(input_size, Sequence)
        and not isinstance(input_size, str)
        and len(input_size) > 0
        and all(_is_int(v) for v in input_size)
    ):
        sizes, scalar = tuple(int(v) for v in input_size), False
    else:
        raise TypeError(
            f"{op}: input_size must be an int or a non-empty sequence of ints, got input_size={input_size!r}"
        )
    if any(n < 1 for n in sizes):
        raise ValueError(f"{op}: input_size must be positive, got input_size={input_size!r}")
    return sizes, scalar


def _per_axis(op: str, name: str, value: Any, ndim: int, minimum: int) -> tuple[int, ...]:
    """``value`` as one int per axis, each at least ``minimum``; errors name ``name``."""
    if _is_int(value):
        values: tuple[int, ...] = (int(value),) * ndim
    elif isinstance(value, Sequence) and not isinstance(value, str) and all(_is_int(v) for v in value):
        values = tuple(int(v) for v in value)
        if len(values) == 1 and ndim > 1:
            values *= ndim
        if len(values) != ndim:
            raise ValueError(
                f"{op}: {name}={value!r} has {len(values)} entries, expected {ndim} (one per spatial axis)"
            )
    else:
        raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {name}={value!r}")
    if any(v < minimum for v in values):
        rule = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: {name} must be {rule}, got {name}={value!r}")
    return values


def _kernel_stride_dilation(
    op: str, kernel_size: Any, stride: Any, dilation: Any, ndim: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A window's kernel_size, stride and dilation as positive ints per axis; errors name ``op``."""
    kernel = _per_axis(op, "kernel_size", kernel_size, ndim, 1)
    step = _per_axis(op, "stride", stride, ndim, 1)
    dil = _per_axis(op, "dilation", dilation, ndim, 1)
    return kernel, step, dil


def _pairs(
    op: str,
    padding: Any,
    sizes: tuple[int, ...],
    spans: tuple[int, ...],
    strides: tuple[int, ...],
    scalar: bool,
    allow_strings: bool,
) -> tuple[tuple[int, int], ...]:
    """Resolve ``padding`` (int, ``(lo, hi)``, per-axis sequence, 'same', 'valid') to pairs via the core."""
    if isinstance(padding, str):
        if not allow_strings:
            raise TypeError(f"{op}: padding must be an int or (low, high) pairs, got padding={padding!r}")
        if padding not in ("same", "valid"):
            raise ValueError(f"{op}: padding={padding!r} is not 'same', 'valid', an int or (low, high) pairs")
        if padding == "same" and any(s != 1 for s in strides):
            raise ValueError(
                f"{op}: padding='same' is not supported for strided convolutions (stride={strides}), "
                "as in PyTorch; see same_padding(convention='tf') for TensorFlow's rule"
            )
    elif scalar and isinstance(padding, Sequence):
        padding = [padding]  # one axis: a sequence is its (low, high) pair
    elif not (_is_int(padding) or isinstance(padding, Sequence)):
        raise TypeError(f"{op}: padding must be an int, a sequence or a string, got padding={padding!r}")
    try:
        pairs = resolve_padding(padding, sizes, spans, strides, SameConvention.TORCH)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{op}: {error}") from None
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{op}: negative padding is not supported, got padding={padding!r}")
    return pairs


def _spans(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(Axis(1, k, dilation=d).span for k, d in zip(kernel, dilation))


def _out(values: tuple[Any, ...], scalar: bool) -> Any:
    return values[0] if scalar else values


# -- public functions ---------------------------------------------------------
@overload
def effective_kernel_size(kernel_size: int, dilation: IntOrSeq = 1) -> int: ...
@overload
def effective_kernel_size(kernel_size: Sequence[int], dilation: IntOrSeq = 1) -> tuple[int, ...]: ...
def effective_kernel_size(kernel_size: IntOrSeq, dilation: IntOrSeq = 1) -> int | tuple[int, ...]:
    """Extent of a dilated kernel, ``d * (k - 1) + 1`` (Dumoulin & Visin, relationship 15).

    Parameters
    ----------
    kernel_size : int or sequence of int
        Taps per axis; the answer's shape follows it.
    dilation : int or sequence of int
        Spacing between taps (1 means none).

    Returns
    -------
    int or tuple of int

    Examples
    --------
    >>> effective_kernel_size(3, dilation=2)
    5
    >>> effective_kernel_size((3, 5), dilation=(1, 4))
    (3, 17)
    """
    op = "effective_kernel_size"
    scalar = _is_int(kernel_size)
    if not scalar and not (isinstance(kernel_size, Sequence) and len(kernel_size) > 0):
        raise TypeError(f"{op}: kernel_size must be an int or a sequence of ints, got {kernel_size!r}")
    kernel = _per_axis(op, "kernel_size", kernel_size, 1 if scalar else len(kernel_size), 1)  # type: ignore[arg-type]
    dil = _per_axis(op, "dilation", dilation, len(kernel), 1)
    return _out(_spans(kernel, dil), scalar)  # type: ignore[no-any-return]


@overload
def conv_output_size(
    input_size: int, kernel_size: IntOrSeq, stride: IntOrSeq = 1, padding: Any = 0, dilation: IntOrSeq = 1
) -> int: ...
@overload
def conv_output_size(
    input_size: Sequence[int],
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    dilation: IntOrSeq = 1,
) -> tuple[int, ...]: ...
def conv_output_size(
    input_size: IntOrSeq,
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    dilation: IntOrSeq = 1,
) -> int | tuple[int, ...]:
    """Spatial output size of ``torch.nn.functional.conv{1,2,3}d``.

    Parameters
    ----------
    input_size : int or sequence of int
        Spatial input size; an int answers with an int, a sequence with a tuple.
    kernel_size, stride, dilation : int or sequence of int
    padding : int, (low, high), sequence, 'same' or 'valid'
        With an int ``input_size`` a pair is ``(low, high)``; with a sequence,
        one int or one ``(low, high)`` pair per axis. ``'same'`` follows
        PyTorch (total ``d * (k - 1)``, extra cell high) and, as in PyTorch,
        is refused for ``stride > 1``.

    Returns
    -------
    int or tuple of int
        ``floor((i + p_lo + p_hi - d * (k - 1) - 1) / s) + 1`` per axis.

    Raises
    ------
    ValueError
        Non-positive sizes, strides or dilations, negative padding, 'same'
        with a stride, or a kernel larger than the padded input (all refused
        by PyTorch); the message names the argument.

    Examples
    --------
    >>> conv_output_size(7, kernel_size=3, stride=2)
    3
    >>> conv_output_size((32, 20), kernel_size=(3, 4), padding="same")
    (32, 20)
    >>> conv_output_size(10, 3, stride=2, padding=(0, 1), dilation=2)
    4
    """
    axes, scalar = _conv_axes("conv_output_size", input_size, kernel_size, stride, padding, dilation)
    return _out(tuple(a.out_size for a in axes), scalar)  # type: ignore[no-any-return]


def _conv_axes(
    op: str, input_size: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any
) -> tuple[tuple[Axis, ...], bool]:
    """The axes of a PyTorch convolution after its refusals (padding strings follow PyTorch)."""
    sizes, scalar = _sizes(op, input_size)
    n = len(sizes)
    kernel, step, dil = _kernel_stride_dilation(op, kernel_size, stride, dilation, n)
    pairs = _pairs(op, padding, sizes, _spans(kernel, dil), step, scalar, allow_strings=True)
    axes = tuple(Axis(i, k, s, d, p) for i, k, s, d, p in zip(sizes, kernel, step, dil, pairs))
    if any(a.out_size < 1 for a in axes):
        raise ValueError(
            f"{op}: kernel_size={kernel_size!r} with dilation={dilation!r} is larger than the padded "
            f"input (input_size={input_size!r}, padding={padding!r})"
        )
    return axes, scalar


def _pool_axes(
    op: str, input_size: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool
) -> tuple[tuple[Axis, ...], bool]:
    """The windows of a PyTorch pooling after its refusals (``stride=None`` is the kernel)."""
    sizes, scalar = _sizes(op, input_size)
    n = len(sizes)
    kernel = _per_axis(op, "kernel_size", kernel_size, n, 1)
    step = kernel if stride is None else _per_axis(op, "stride", stride, n, 1)
    dil = _per_axis(op, "dilation", dilation, n, 1)
    pad = _per_axis(op, "padding", padding, n, 0)
    return pool_window_axes(op, sizes, kernel, step, pad, dil, bool(ceil_mode)), scalar  # PyTorch's refusals


def _transposed_axes(
    op: str,
    input_size: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_padding: Any,
    dilation: Any,
    check_output_padding: bool = True,
) -> tuple[tuple[Axis, ...], bool]:
    sizes, scalar = _sizes(op, input_size)
    n = len(sizes)
    kernel, step, dil = _kernel_stride_dilation(op, kernel_size, stride, dilation, n)
    pairs = _pairs(op, padding, sizes, _spans(kernel, dil), step, scalar, allow_strings=False)
    out_pad = _per_axis(op, "output_padding", output_padding, n, 0)
    if check_output_padding and any(q >= s and q >= d for q, s, d in zip(out_pad, step, dil)):
        raise ValueError(
            f"{op}: output_padding must be smaller than either stride or dilation, got "
            f"output_padding={output_padding!r}, stride={stride!r}, dilation={dilation!r}"
        )
    axes = tuple(
        Axis.transposed(i, k, s, p, q, d)
        for i, k, s, p, q, d in zip(sizes, kernel, step, pairs, out_pad, dil)
    )
    return axes, scalar


@overload
def conv_transpose_output_size(
    input_size: int,
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    output_padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
) -> int: ...
@overload
def conv_transpose_output_size(
    input_size: Sequence[int],
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    output_padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
) -> tuple[int, ...]: ...
def conv_transpose_output_size(
    input_size: IntOrSeq,
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    output_padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
) -> int | tuple[int, ...]:
    """Spatial output size of ``torch.nn.functional.conv_transpose{1,2,3}d``.

    Parameters
    ----------
    input_size : int or sequence of int
    kernel_size, stride, output_padding, dilation : int or sequence of int
        ``output_padding`` must be smaller than ``stride`` or ``dilation``
        (PyTorch's rule).
    padding : int, (low, high) or sequence
        Cells cropped from each side of the full output (convscope also
        accepts PyTorch-style ints as ``(low, high)`` pairs; no strings).

    Returns
    -------
    int or tuple of int
        ``(i - 1) * s - p_lo - p_hi + d * (k - 1) + output_padding + 1``
        (Dumoulin & Visin, relationship 14).

    Examples
    --------
    >>> conv_transpose_output_size(3, kernel_size=3, stride=2)
    7
    >>> conv_transpose_output_size((3, 4), 3, stride=2, padding=1, output_padding=1)
    (6, 8)
    """
    op = "conv_transpose_output_size"
    axes, scalar = _transposed_axes(op, input_size, kernel_size, stride, padding, output_padding, dilation)
    outs = tuple(a.size for a in axes)
    if any(o < 1 for o in outs):
        raise ValueError(
            f"{op}: output size {outs} is too small (input_size={input_size!r}, "
            f"kernel_size={kernel_size!r}, padding={padding!r} crops everything)"
        )
    return _out(outs, scalar)  # type: ignore[no-any-return]


@overload
def pool_output_size(
    input_size: int,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
) -> int: ...
@overload
def pool_output_size(
    input_size: Sequence[int],
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
) -> tuple[int, ...]: ...
def pool_output_size(
    input_size: IntOrSeq,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
) -> int | tuple[int, ...]:
    """Spatial output size of ``torch.nn.functional.max_pool{1,2,3}d`` (and avg_pool, dilation 1).

    Parameters
    ----------
    input_size : int or sequence of int
    kernel_size, dilation : int or sequence of int
    stride : int, sequence of int or None
        ``None`` means ``kernel_size`` (PyTorch's default).
    padding : int or sequence of int
        Both sides; PyTorch requires ``padding <= kernel_size / 2``.
    ceil_mode : bool
        Round the window count up; the last window must still start inside
        the input or the low padding (PyTorch drops it otherwise).

    Returns
    -------
    int or tuple of int

    Examples
    --------
    >>> pool_output_size(6, kernel_size=3, stride=2)
    2
    >>> pool_output_size(6, kernel_size=3, stride=2, ceil_mode=True)
    3
    >>> pool_output_size((5, 7), kernel_size=2, stride=2, padding=1, ceil_mode=True)
    (3, 4)
    """
    axes, scalar = _pool_axes(
        "pool_output_size", input_size, kernel_size, stride, padding, dilation, ceil_mode
    )
    return _out(tuple(a.out_size for a in axes), scalar)  # type: ignore[no-any-return]


@overload
def transpose_output_sizes(
    input_size: int, kernel_size: IntOrSeq, stride: IntOrSeq = 1, padding: Any = 0, dilation: IntOrSeq = 1
) -> tuple[tuple[int, int], ...]: ...
@overload
def transpose_output_sizes(
    input_size: Sequence[int],
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    dilation: IntOrSeq = 1,
) -> tuple[tuple[tuple[int, int], ...], ...]: ...
def transpose_output_sizes(
    input_size: IntOrSeq,
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    dilation: IntOrSeq = 1,
) -> tuple[tuple[int, int], ...] | tuple[tuple[tuple[int, int], ...], ...]:
    """Every output size a transposed convolution can produce, with the ``output_padding`` for each.

    PyTorch accepts ``0 <= output_padding < max(stride, dilation)``; each
    value adds one cell on the high side. These are also exactly the input
    sizes of the forward convolution (same kernel, stride, padding and
    dilation) that produce ``input_size`` outputs, when ``dilation <= stride``.

    Returns
    -------
    tuple of (size, output_padding) pairs
        For an int ``input_size``; for a sequence, one such tuple per axis.
        Sizes below 1 (everything cropped) are left out.

    Examples
    --------
    >>> transpose_output_sizes(3, kernel_size=3, stride=2, padding=1)
    ((5, 0), (6, 1))
    >>> transpose_output_sizes((2, 2), kernel_size=2, stride=(1, 3))
    (((3, 0),), ((5, 0), (6, 1), (7, 2)))
    """
    op = "transpose_output_sizes"
    sizes, scalar = _sizes(op, input_size)
    n = len(sizes)
    step = _per_axis(op, "stride", stride, n, 1)
    dil = _per_axis(op, "dilation", dilation, n, 1)
    per_axis = []
    for axis in range(n):
        choices = []
        for q in range(max(step[axis], dil[axis])):
            out_pad = tuple(q if a == axis else 0 for a in range(n))
            axes, _ = _transposed_axes(op, sizes, kernel_size, step, padding, out_pad, dil, True)
            if axes[axis].size >= 1:
                choices.append((axes[axis].size, q))
        per_axis.append(tuple(choices))
    return _out(tuple(per_axis), scalar)  # type: ignore[no-any-return]


@overload
def inverse_transpose(
    input_size: int, kernel_size: IntOrSeq, stride: IntOrSeq = 1, padding: Any = 0, dilation: IntOrSeq = 1
) -> tuple[int, int]: ...
@overload
def inverse_transpose(
    input_size: Sequence[int],
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    dilation: IntOrSeq = 1,
) -> tuple[tuple[int, ...], tuple[int, ...]]: ...
def inverse_transpose(
    input_size: IntOrSeq,
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: Any = 0,
    dilation: IntOrSeq = 1,
) -> tuple[int, int] | tuple[tuple[int, ...], tuple[int, ...]]:
    """The ``ConvTranspose`` arguments ``(padding, output_padding)`` that undo a convolution's shape.

    A convolution of ``input_size`` with these ``kernel_size``, ``stride``,
    ``padding`` and ``dilation`` gives ``o`` outputs; a transposed
    convolution of ``o`` with the same kernel, stride and dilation and the
    returned ``padding`` (the convolution's low padding: the transposed
    convolution is then its exact adjoint) and ``output_padding`` gives
    ``input_size`` back. ``output_padding`` is the part of the input the
    convolution's last window did not reach, ``(i + p_lo + p_hi - span) mod s``
    when ``p_lo == p_hi``.

    Returns
    -------
    (padding, output_padding)
        Ints for an int ``input_size``, tuples (one per axis) otherwise, ready
        to pass to ``torch.nn.functional.conv_transpose{1,2,3}d``.

    Raises
    ------
    ValueError
        When no PyTorch transposed convolution does it: asymmetric padding
        (e.g. 'same' with an even kernel) that would need a negative
        ``output_padding`` or one ``>= max(stride, dilation)``.

    Examples
    --------
    >>> inverse_transpose(8, kernel_size=3, stride=2, padding=1)
    (1, 1)
    >>> inverse_transpose((7, 9), kernel_size=3, stride=2)
    ((0, 0), (0, 0))
    """
    op = "inverse_transpose"
    sizes, scalar = _sizes(op, input_size)
    n = len(sizes)
    kernel, step, dil = _kernel_stride_dilation(op, kernel_size, stride, dilation, n)
    pairs = _pairs(op, padding, sizes, _spans(kernel, dil), step, scalar, allow_strings=True)
    outs = conv_output_size(sizes, kernel, step, pairs, dil)
    lows = tuple(lo for lo, _ in pairs)
    back = tuple(
        a.size for a in _transposed_axes(op, outs, kernel, step, lows, 0, dil, check_output_padding=False)[0]
    )
    out_pad = tuple(i - b for i, b in zip(sizes, back))
    if any(q < 0 or (q >= s and q >= d) for q, s, d in zip(out_pad, step, dil)):
        raise ValueError(
            f"{op}: no transposed convolution maps {outs} back to input_size={input_size!r} with "
            f"padding={padding!r}: it would need output_padding={out_pad}, but PyTorch requires "
            f"0 <= output_padding < max(stride, dilation) (stride={stride!r}, dilation={dilation!r})"
        )
    if scalar:
        return lows[0], out_pad[0]
    return lows, out_pad
