"""Padding: resolving every framework's padding spec, and boundary modes.

The only place where ``'same'``, ``'valid'``, TensorFlow's SAME and ONNX's
SAME_UPPER / SAME_LOWER become ``(low, high)`` pairs, and where a boundary
mode becomes a source index for each padded position.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import numpy as np


class SameConvention(enum.Enum):
    """How an odd total of 'same' padding is split between the two sides.

    ``TORCH`` pads ``d * (k - 1)`` in total (stride 1 only, as PyTorch
    requires) with the extra cell on the high side. ``TF`` (= ONNX
    ``SAME_UPPER``) pads so the output has ``ceil(i / s)`` cells, extra cell
    high. ``SAME_LOWER`` puts the extra cell low. ``TF_EIGEN`` is what
    TensorFlow's 3-d CPU pooling and ``Conv3D`` do (Eigen's volume patches): the same
    output size, but the total ``(o - 1) * s + span - i`` is not clamped at
    zero and its low half is truncated toward zero, so a window smaller than
    the stride is centred (negative padding crops).
    """

    TORCH = "torch"
    TF = "tf"
    SAME_UPPER = "same_upper"
    SAME_LOWER = "same_lower"
    TF_EIGEN = "tf_eigen"


def same_pad_total(size: int, span: int, stride: int, convention: SameConvention) -> int:
    """Total padding that makes a window operator 'same' under ``convention``.

    Examples
    --------
    >>> same_pad_total(5, span=2, stride=2, convention=SameConvention.TF)
    1
    >>> same_pad_total(5, span=3, stride=1, convention=SameConvention.TORCH)
    2
    >>> same_pad_total(4, span=1, stride=4, convention=SameConvention.TF_EIGEN)
    -3
    """
    if convention is SameConvention.TORCH:
        return span - 1
    out = -(-size // stride)
    if convention is SameConvention.TF_EIGEN:
        return (out - 1) * stride + span - size
    return max((out - 1) * stride + span - size, 0)


def split_same(total: int, convention: SameConvention) -> tuple[int, int]:
    """Split ``total`` padding cells into ``(low, high)`` by ``convention``.

    >>> split_same(3, SameConvention.TF), split_same(-3, SameConvention.TF_EIGEN)
    ((1, 2), (-1, -2))
    """
    if convention is SameConvention.TF_EIGEN:
        low = -(-total // 2) if total < 0 else total // 2  # C's division truncates toward zero
        return low, total - low
    small = total // 2
    if convention is SameConvention.SAME_LOWER:
        return total - small, small
    return small, total - small


def resolve_padding(
    padding: int | str | Sequence[int] | Sequence[Sequence[int]],
    sizes: Sequence[int],
    spans: Sequence[int],
    strides: Sequence[int],
    convention: SameConvention = SameConvention.TORCH,
) -> tuple[tuple[int, int], ...]:
    """Turn a padding spec into one ``(low, high)`` pair per spatial axis.

    Parameters
    ----------
    padding
        An int (all axes, both sides), a sequence of ints (one per axis, both
        sides), a sequence of ``(low, high)`` pairs, ``'valid'`` or ``'same'``.
    sizes, spans, strides
        Input size, dilated kernel span and stride of each axis.
    convention
        Which rule ``'same'`` follows.

    Examples
    --------
    >>> resolve_padding('same', sizes=[5, 6], spans=[3, 4], strides=[1, 1])
    ((1, 1), (1, 2))
    >>> resolve_padding([(0, 1), 2], sizes=[5, 6], spans=[3, 3], strides=[1, 1])
    ((0, 1), (2, 2))

    Raises
    ------
    ValueError
        On an unknown string or a sequence of the wrong length. (Sign and
        stride rules are the frontends': they differ between frameworks.)
    """
    ndim = len(sizes)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * ndim
        if mode == "same":
            return tuple(
                split_same(same_pad_total(n, k, s, convention), convention)
                for n, k, s in zip(sizes, spans, strides)
            )
        raise ValueError(f"padding={padding!r} is not 'valid', 'same', an int or a sequence")
    if isinstance(padding, (int, np.integer)):
        return ((int(padding), int(padding)),) * ndim
    items = list(padding)
    if len(items) == 1 and ndim > 1:
        items = items * ndim
    if len(items) != ndim:
        raise ValueError(
            f"padding={padding!r} has {len(items)} entries, expected {ndim} (one per spatial axis)"
        )
    pairs = []
    for item in items:
        if isinstance(item, (int, np.integer)):
            pairs.append((int(item), int(item)))
        else:
            pair: tuple[Any, ...] = tuple(item)  # type: ignore[arg-type]
            if len(pair) != 2:
                raise ValueError(f"padding={padding!r}: each pair must be (low, high), got {item!r}")
            pairs.append((int(pair[0]), int(pair[1])))
    return tuple(pairs)


def tf_transpose_sizes(in_size: int, span: int, stride: int, padding: str | tuple[int, int]) -> range:
    """Output sizes TensorFlow accepts as ``output_shape`` of a transposed convolution, per axis.

    TensorFlow runs ``conv*_transpose`` as the input gradient of the convolution
    that maps an input of the requested output size back to ``in_size``; it
    accepts exactly the sizes ``o`` for which that convolution (with padding
    resolved for ``o``) has ``in_size`` outputs.

    Parameters
    ----------
    in_size : int
        Length of the transposed convolution's input along the axis.
    span : int
        Dilated kernel span, ``dilation * (kernel - 1) + 1``.
    stride : int
        Stride of the convolution (the up-sampling factor).
    padding : str or (int, int)
        ``'SAME'``, ``'VALID'`` (any case) or TensorFlow's explicit ``(low, high)`` pair.

    Returns
    -------
    range
        The accepted sizes, in increasing order; empty when none exists.

    Examples
    --------
    >>> list(tf_transpose_sizes(2, span=2, stride=2, padding='SAME'))
    [3, 4]
    >>> list(tf_transpose_sizes(2, span=2, stride=2, padding='VALID'))
    [4, 5]
    >>> list(tf_transpose_sizes(3, span=3, stride=1, padding=(1, 0)))
    [4]
    >>> list(tf_transpose_sizes(1, span=1, stride=2, padding=(1, 0)))
    [0, 1]
    """
    if isinstance(padding, str):
        if padding.upper() == "SAME":
            # SAME: out = ceil(o / s), whatever the kernel.
            return range(max((in_size - 1) * stride + 1, 0), in_size * stride + 1)
        if padding.upper() != "VALID":
            raise ValueError(f"padding={padding!r} is not 'SAME', 'VALID' or a (low, high) pair")
        padding = (0, 0)
    low, high = padding
    # TensorFlow computes trunc((o + low + high - span + s) / s), in C, and
    # refuses only a negative result: an empty input accepts every o whose
    # numerator lies strictly between -s and s.
    fits = span - low - high
    if in_size == 0:
        return range(max(fits - 2 * stride + 1, 0), max(fits, 0))
    first = (in_size - 1) * stride + fits
    return range(max(first, 0), max(first + stride, 0))



class PadMode(enum.Enum):
    """Boundary modes, with their names across libraries.

    ==============  ===========  ==========  ===============  ===========
    convscope       PyTorch      NumPy       SciPy ndimage    TensorFlow
    ==============  ===========  ==========  ===============  ===========
    ``constant``    constant     constant    constant         CONSTANT
    ``reflect``     reflect      reflect     mirror           REFLECT
    ``symmetric``   (none)       symmetric   reflect          SYMMETRIC
    ``replicate``   replicate    edge        nearest          (none)
    ``circular``    circular     wrap        grid-wrap        (none)
    ==============  ===========  ==========  ===============  ===========

    Pictograms for input ``a b c d`` padded by 3 on each side::

        reflect    d c b | a b c d | c b a
        symmetric  c b a | a b c d | d c b
        replicate  a a a | a b c d | d d d
        circular   b c d | a b c d | a b c
    """

    CONSTANT = "constant"
    REFLECT = "reflect"
    SYMMETRIC = "symmetric"
    REPLICATE = "replicate"
    CIRCULAR = "circular"


def source_index(size: int, pad: tuple[int, int], mode: PadMode) -> np.ndarray:
    """For each padded position, the input index it copies (``-1``: the constant).

    Negative padding crops. ``REFLECT`` needs ``pad < size``, ``SYMMETRIC``
    and ``CIRCULAR`` need ``pad <= size`` (checked by the callers, which know
    whose rule applies); beyond that the index keeps folding.

    Examples
    --------
    >>> source_index(4, (3, 3), PadMode.REFLECT).tolist()
    [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]
    >>> source_index(4, (2, -1), PadMode.CONSTANT).tolist()
    [-1, -1, 0, 1, 2]
    """
    lo, hi = pad
    pos = np.arange(-lo, size + hi)
    if mode is PadMode.CONSTANT:
        return np.where((pos >= 0) & (pos < size), pos, -1)
    if mode is PadMode.REPLICATE:
        return np.clip(pos, 0, size - 1)
    if mode is PadMode.CIRCULAR:
        return np.mod(pos, size)
    if mode is PadMode.REFLECT:
        period = max(2 * (size - 1), 1)
        folded = np.mod(pos, period)
        return np.where(folded < size, folded, period - folded)
    period = 2 * size
    folded = np.mod(pos, period)
    return np.where(folded < size, folded, period - 1 - folded)
