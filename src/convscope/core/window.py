"""Rules of window operators that several frontends share: PyTorch's pooling checks, TensorFlow's sizes.

:func:`pool_window_axes`, :func:`unpool_output_sizes` and
:func:`adaptive_output_sizes` are the one place where PyTorch's pooling,
unpooling and adaptive pooling refusals live (``convscope.functional`` and
``convscope.arith`` both call them, so their messages are identical);
:func:`tf_window_size` is TensorFlow's output size of a convolution or pooling
window, which truncates where :class:`Axis` floors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .axis import Axis


def pool_window_axes(
    op: str,
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    ceil_mode: bool = False,
) -> tuple[Axis, ...]:
    """The windows of a PyTorch pooling call, one :class:`Axis` per spatial axis, after torch's checks.

    Arguments are already one int per axis (kernel, stride, dilation positive,
    padding non-negative: each frontend normalises its own spelling first).

    Raises
    ------
    ValueError
        ``padding`` above half the kernel, or an input too small for the
        window (an empty output), as PyTorch refuses them; the message starts
        with ``op``.

    Examples
    --------
    >>> [a.out_size for a in pool_window_axes("max_pool2d", (6, 5), (3, 2), (2, 2), (1, 0), (1, 1), True)]
    [4, 3]
    >>> pool_window_axes("max_pool1d", (5,), (3,), (1,), (2,), (1,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: max_pool1d: padding should be at most half of kernel_size, got padding=(2,) ...
    """
    kernel, stride, padding, dilation = (tuple(v) for v in (kernel, stride, padding, dilation))
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(
            f"{op}: padding should be at most half of kernel_size, got padding={padding} "
            f"and kernel_size={kernel}"
        )
    axes = tuple(
        Axis(size, k, s, d, (p, p), ceil_mode=bool(ceil_mode))
        for size, k, s, d, p in zip(sizes, kernel, stride, dilation, padding)
    )
    outs = tuple(a.out_size for a in axes)
    if any(o < 1 for o in outs):
        raise ValueError(
            f"{op}: input of spatial size {tuple(sizes)} is too small for kernel_size={kernel}, "
            f"dilation={dilation} and padding={padding}: the output size {outs} would be empty"
        )
    return axes


def is_int(value: Any) -> bool:
    """An int or NumPy integer, not a bool: what PyTorch's int arguments take."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str)


def unpool_output_sizes(
    op: str,
    sizes: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    output_size: Any = None,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(default, chosen)`` output sizes of a PyTorch unpooling, after its ``output_size`` checks.

    The default is the transposed window's size, ``(i - 1) * s - 2 * p + k``;
    ``output_size`` (``n`` or ``n + 2`` ints, the last ``n`` used) may move it
    by less than one stride either way. Arguments other than ``output_size``
    are already one checked int per axis.

    Raises
    ------
    ValueError, TypeError
        As PyTorch refuses; the message starts with ``op`` and names ``output_size``.

    Examples
    --------
    >>> unpool_output_sizes("max_unpool1d", (3,), (2,), (2,), (0,), [1, 1, 7])
    ((6,), (7,))
    >>> unpool_output_sizes("max_unpool1d", (3,), (2,), (2,), (0,), (9,))
    Traceback (most recent call last):
    ...
    ValueError: max_unpool1d: invalid output_size (9,) (dim 0 must be between 4 and 8, exclusive)
    """
    n = len(sizes)
    default = tuple(
        Axis.transposed(i, k, s, (p, p)).size for i, k, s, p in zip(sizes, kernel, stride, padding)
    )
    if output_size is None:
        chosen = default
    else:
        listed = isinstance(output_size, Sequence) and not isinstance(output_size, str)
        if not listed or len(output_size) not in (n, n + 2):
            raise ValueError(
                f"{op}: output_size should be a sequence of {n} or {n + 2} elements, "
                f"got output_size={output_size!r}"
            )
        items = list(output_size)[-n:]
        if not all(is_int(v) for v in items):
            raise TypeError(f"{op}: output_size must be a sequence of ints, got output_size={output_size!r}")
        chosen = tuple(int(v) for v in items)
        for axis, (want, size, s) in enumerate(zip(chosen, default, stride)):
            if not size - s < want < size + s:
                raise ValueError(
                    f"{op}: invalid output_size {chosen} (dim {axis} must be between "
                    f"{size - s} and {size + s}, exclusive)"
                )
    if any(o < 0 for o in chosen):
        raise ValueError(f"{op}: the output size {chosen} must be non-negative")
    return default, chosen


def adaptive_output_sizes(op: str, sizes: Sequence[int], output_size: Any) -> tuple[int, ...]:
    """The output sizes of a PyTorch adaptive pooling: an int, or one int or ``None`` (keep) per axis.

    Refusals are PyTorch's (``ValueError`` for a wrong length or a negative
    size, ``TypeError`` for a non-int), worded as :func:`unpool_output_sizes`'s.

    Examples
    --------
    >>> adaptive_output_sizes("adaptive_avg_pool2d", (5, 7), (3, None))
    (3, 7)
    >>> adaptive_output_sizes("adaptive_avg_pool2d", (5, 7), (3,))
    Traceback (most recent call last):
    ...
    ValueError: adaptive_avg_pool2d: output_size must have 2 elements, got output_size=(3,)
    """
    n = len(sizes)
    if _is_sequence(output_size):
        if len(output_size) != n:
            raise ValueError(
                f"{op}: output_size must have {n} elements, got output_size={tuple(output_size)}"
            )
        outs: Any = [i if o is None else o for o, i in zip(output_size, sizes)]  # None keeps that axis
    else:
        outs = [output_size] * n
    if not all(is_int(o) for o in outs):
        raise TypeError(
            f"{op}: output_size must be an int or a tuple of ints (None keeps an axis), "
            f"got output_size={output_size!r}"
        )
    chosen = tuple(int(o) for o in outs)
    if any(o < 0 for o in chosen):
        raise ValueError(f"{op}: negative output_size is not supported, got output_size={chosen}")
    return chosen


def tf_window_size(size: int, span: int, stride: int, pad: tuple[int, int] = (0, 0)) -> int:
    """TensorFlow's output size of a window (convolution or pooling) with explicit ``(low, high)`` padding.

    TensorFlow computes ``(i + p_lo + p_hi - span + s) / s`` with C's division,
    which truncates toward zero, and refuses only a negative result: a window
    that overhangs the input by less than a stride gives an empty output, not
    an error (where :attr:`Axis.out_size`, flooring, would go negative). For
    ``'SAME'`` pass the padding of :func:`~convscope.core.same_pad_total`;
    ``'VALID'`` is ``(0, 0)``.

    Raises
    ------
    ValueError
        When TensorFlow refuses ("Computed output size would be negative").

    Examples
    --------
    >>> tf_window_size(9, span=3, stride=2)
    4
    >>> tf_window_size(2, span=5, stride=3)   # C truncation: (2 - 5 + 3) / 3 = 0
    0
    >>> tf_window_size(2, span=6, stride=3)   # (2 - 6 + 3) / 3 = -1/3 truncates to 0 too
    0
    >>> tf_window_size(2, span=5, stride=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: computed output size would be negative: -2 (input size 2, padding (0, 0), ...
    """
    numerator = size + pad[0] + pad[1] - span + stride
    out = abs(numerator) // stride * (1 if numerator >= 0 else -1)
    if out < 0:
        raise ValueError(
            f"computed output size would be negative: {out} (input size {size}, padding {tuple(pad)}, "
            f"effective kernel {span}, stride {stride})"
        )
    return out
