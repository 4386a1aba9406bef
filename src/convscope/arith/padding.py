"""'Same' padding under each framework's convention, as explicit ``(low, high)`` pairs.

The totals and splits come from the geometry core
(:func:`convscope.core.same_pad_total`, :func:`convscope.core.split_same`);
this module names the conventions and applies their refusals.

==============  =============================================  ===================
convention      total padding                                  odd total
==============  =============================================  ===================
``'torch'``     ``d * (k - 1)`` (stride 1 only)                extra cell high
``'tf'``        ``max((ceil(i/s) - 1) * s + span - i, 0)``     extra cell high
``'same_upper'``  as ``'tf'`` (ONNX ``auto_pad=SAME_UPPER``)   extra cell high
``'same_lower'``  as ``'tf'`` (ONNX ``auto_pad=SAME_LOWER``)   extra cell low
==============  =============================================  ===================

with ``span = d * (k - 1) + 1``. TensorFlow's rule makes ``ceil(i / s)``
outputs for any stride; PyTorch's ``padding='same'`` keeps ``o == i`` and is
refused for strided convolutions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, overload

from ..core import SameConvention, same_pad_total, split_same
from .sizes import IntOrSeq, _per_axis, _sizes, _spans

__all__ = ["same_padding"]

Convention = Literal["tf", "torch", "same_upper", "same_lower"]


@overload
def same_padding(
    input_size: int,
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    dilation: IntOrSeq = 1,
    convention: Convention = "tf",
) -> tuple[int, int]: ...
@overload
def same_padding(
    input_size: Sequence[int],
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    dilation: IntOrSeq = 1,
    convention: Convention = "tf",
) -> tuple[tuple[int, int], ...]: ...
def same_padding(
    input_size: IntOrSeq,
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    dilation: IntOrSeq = 1,
    convention: Convention = "tf",
) -> tuple[int, int] | tuple[tuple[int, int], ...]:
    """The ``(low, high)`` padding that 'same' means under ``convention``.

    Parameters
    ----------
    input_size : int or sequence of int
        Spatial input size; an int answers with one pair, a sequence with one
        pair per axis.
    kernel_size, stride, dilation : int or sequence of int
    convention : {'tf', 'torch', 'same_upper', 'same_lower'}
        ``'tf'`` (TensorFlow ``padding='SAME'``, = ONNX ``SAME_UPPER``):
        ``ceil(i / s)`` outputs, an odd total puts the extra cell on the high
        (right/bottom) side. ``'torch'`` (``padding='same'``): total
        ``d * (k - 1)``, extra cell high; defined for stride 1 only.
        ``'same_lower'`` (ONNX ``SAME_LOWER``): TensorFlow's total, extra cell
        low.

    Returns
    -------
    (low, high) or tuple of (low, high)

    Raises
    ------
    ValueError
        ``convention='torch'`` with a stride above 1 (PyTorch refuses it),
        an unknown convention, or non-positive sizes.

    Examples
    --------
    >>> same_padding(5, kernel_size=2, stride=2)
    (0, 1)
    >>> same_padding(5, kernel_size=2, stride=2, convention="same_lower")
    (1, 0)
    >>> same_padding((8, 8), kernel_size=4, dilation=(1, 2), convention="torch")
    ((1, 2), (3, 3))
    """
    op = "same_padding"
    try:
        rule = SameConvention(convention)
    except ValueError:
        names = tuple(c.value for c in SameConvention)
        raise ValueError(f"{op}: convention must be one of {names}, got convention={convention!r}") from None
    sizes, scalar = _sizes(op, input_size)
    n = len(sizes)
    kernel = _per_axis(op, "kernel_size", kernel_size, n, 1)
    step = _per_axis(op, "stride", stride, n, 1)
    dil = _per_axis(op, "dilation", dilation, n, 1)
    if rule is SameConvention.TORCH and any(s != 1 for s in step):
        raise ValueError(
            f"{op}: convention='torch' (padding='same') is not supported for strided convolutions, "
            f"got stride={stride!r}; use convention='tf' for TensorFlow's SAME"
        )
    pairs = tuple(
        split_same(same_pad_total(i, span, s, rule), rule)
        for i, span, s in zip(sizes, _spans(kernel, dil), step)
    )
    return pairs[0] if scalar else pairs
