"""Rules of window operators that several frontends share: PyTorch's pooling checks, TensorFlow's sizes.

:func:`pool_window_axes` is the one place where PyTorch's pooling refusals
live (``convscope.functional`` and ``convscope.arith`` both call it, so their
messages are identical); :func:`tf_window_size` is TensorFlow's output size of
a convolution or pooling window, which truncates where :class:`Axis` floors.
"""

from __future__ import annotations

from collections.abc import Sequence

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
