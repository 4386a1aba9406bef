"""The matrix behind a convolution: ``conv(x).ravel() == C @ x.ravel()``.

A convolution is linear in its input, so it *is* a (sparse) matrix ``C`` of
shape ``(C_out * prod(out_sizes), C_in * prod(in_sizes))``; the transposed
convolution with the same weight is ``C.T`` (Dumoulin & Visin, "A guide to
convolution arithmetic", arXiv 1603.07285, section 4.1). Row ``(c_out, o)``
holds the weights of output channel ``c_out`` at the input cells its window
at ``o`` reads: every stored entry is one (output cell, tap) incidence from
the index maps of :class:`convscope.core.Axis`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse

from ..core import Axis, conv_geometry, resolve_padding

__all__ = ["conv_matrix", "symbolic_conv_matrix"]

IntOrTuple = int | Sequence[int]
Padding = int | str | Sequence[int] | Sequence[Sequence[int]]

#: Largest symbolic matrix (entries) :func:`symbolic_conv_matrix` writes out.
SYMBOLIC_LIMIT = 250_000


def _per_axis(name: str, value: IntOrTuple, ndim: int) -> tuple[int, ...]:
    values = tuple(value) if isinstance(value, Sequence) else (value,) * ndim
    if len(values) != ndim or any(not isinstance(v, (int, np.integer)) or v < 1 for v in values):
        raise ValueError(f"{name} must be a positive int or {ndim} of them, got {name}={value!r}")
    return tuple(int(v) for v in values)


def _weight(weight_or_kernel_shape: Any) -> np.ndarray:
    """The weight array, or tap numbers ``1 .. size`` in the given weight shape."""
    if isinstance(weight_or_kernel_shape, tuple) and all(
        isinstance(n, (int, np.integer)) for n in weight_or_kernel_shape
    ):
        shape = tuple(int(n) for n in weight_or_kernel_shape)
        if any(n < 1 for n in shape):
            raise ValueError(f"weight shape must be positive, got {shape}")
        return np.arange(1, math.prod(shape) + 1, dtype=np.int64).reshape(shape)
    return np.asarray(weight_or_kernel_shape)


def _index_grid(axes: Sequence[Axis]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat (output, input, tap) spatial indices of every incidence that reads a real input cell."""
    n = len(axes)
    out_shape = tuple(a.out_size for a in axes)
    in_shape = tuple(a.size for a in axes)
    taps_shape = tuple(a.kernel for a in axes)
    maps = []
    for i, axis in enumerate(axes):
        shape = [1] * (2 * n)
        shape[i], shape[n + i] = axis.out_size, axis.kernel
        maps.append(axis.index_map().reshape(shape))
    full = out_shape + taps_shape
    valid = np.ones(full, dtype=bool)
    for m in maps:
        valid &= m >= 0
    in_index = np.ravel_multi_index(tuple(np.broadcast_to(np.maximum(m, 0), full) for m in maps), in_shape)
    grid = np.indices(full, sparse=True)
    out_index = np.ravel_multi_index(tuple(np.broadcast_to(g, full) for g in grid[:n]), out_shape)
    tap_index = np.ravel_multi_index(tuple(np.broadcast_to(g, full) for g in grid[n:]), taps_shape)
    return out_index[valid], in_index[valid], tap_index[valid]


def conv_matrix(
    input_shape: Sequence[int],
    weight_or_kernel_shape: Any,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> Any:
    """The sparse matrix of a (grouped, strided, dilated, padded) convolution.

    Parameters
    ----------
    input_shape : sequence of int
        ``(C_in, *spatial)`` or ``(1, C_in, *spatial)``, 1 to 3 spatial axes.
    weight_or_kernel_shape : array_like or tuple of int
        The weight ``(C_out, C_in // groups, *kernel)`` (PyTorch's layout), or
        just its shape as a tuple of ints: the entries are then the 1-based
        tap numbers (the weight's flat index plus one), so the structure shows.
        Its rank fixes the number of spatial axes.
    stride, dilation : int or tuple of int
        As ``torch.nn.functional.conv{1,2,3}d``.
    padding : int, tuple, sequence of ``(low, high)`` pairs, 'valid' or 'same'
        Zero padding, as ``torch.nn.functional.conv{1,2,3}d``.
    groups : int
        Channel groups.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``C`` with ``conv(x).ravel() == C @ x.ravel()``; ``C.T`` is the
        transposed convolution with the same weight. One stored entry per
        (output cell, tap) that reads a real input cell, zero weights included.

    Shape
    -----
    ``(C_out * prod(out_sizes), C_in * prod(in_sizes))`` with the output sizes
    of :attr:`convscope.core.Axis.out_size`.

    Examples
    --------
    Seed 004: a 3x3 input and a 2x2 kernel (taps numbered 1..4 = w11 w12 w21 w22).

    >>> conv_matrix((1, 3, 3), (1, 1, 2, 2)).toarray()
    array([[1, 2, 0, 3, 4, 0, 0, 0, 0],
           [0, 1, 2, 0, 3, 4, 0, 0, 0],
           [0, 0, 0, 1, 2, 0, 3, 4, 0],
           [0, 0, 0, 0, 1, 2, 0, 3, 4]])
    >>> conv_matrix((2, 5), np.ones((4, 1, 3)), stride=2, padding=1, groups=2).shape
    (12, 10)
    """
    weight = _weight(weight_or_kernel_shape)
    ndim = weight.ndim - 2
    if ndim not in (1, 2, 3):
        raise ValueError(
            f"conv_matrix: weight must have shape (C_out, C_in // groups, *kernel) with 1 to 3 "
            f"spatial axes, got shape {weight.shape}"
        )
    shape = tuple(input_shape)
    if len(shape) == ndim + 2:
        if shape[0] != 1:
            raise ValueError(f"conv_matrix: input_shape={shape} must have batch 1 (or none)")
        shape = shape[1:]
    if len(shape) != ndim + 1 or any(not isinstance(n, (int, np.integer)) or n < 1 for n in shape):
        raise ValueError(
            f"conv_matrix: input_shape must be (C_in, *spatial) with {ndim} positive spatial sizes "
            f"to match weight shape {weight.shape}, got {tuple(input_shape)}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv_matrix: groups must be a positive int, got groups={groups!r}")
    c_in, c_out = int(shape[0]), weight.shape[0]
    if c_in != weight.shape[1] * groups or c_out % groups:
        raise ValueError(
            f"conv_matrix: groups={groups} must divide C_out={c_out}, and C_in={c_in} must equal "
            f"weight.shape[1] * groups = {weight.shape[1] * groups} (weight shape {weight.shape})"
        )
    strides = _per_axis("stride", stride, ndim)
    dilations = _per_axis("dilation", dilation, ndim)
    sizes = tuple(int(n) for n in shape[1:])
    kernels = weight.shape[2:]
    if isinstance(padding, str) and padding.lower() == "same" and any(s != 1 for s in strides):
        raise ValueError("conv_matrix: padding='same' is not supported for strided convolutions")
    spans = [Axis(n, k, dilation=d).span for n, k, d in zip(sizes, kernels, dilations)]
    pads = resolve_padding(padding, sizes, spans, strides)
    if any(p < 0 for pair in pads for p in pair):
        raise ValueError(f"conv_matrix: padding must be non-negative, got padding={padding!r}")
    geometry = conv_geometry((1, c_in, *sizes), weight.shape, strides, pads, dilations, groups)
    if any(a.out_size < 1 for a in geometry.axes):
        raise ValueError(
            f"conv_matrix: the kernel does not fit: output size {geometry.out_shape[2:]} for input "
            f"{sizes}, kernel {kernels}, stride {strides}, padding {pads}, dilation {dilations}"
        )

    out_index, in_index, tap_index = _index_grid(geometry.axes)
    p_out = geometry.out_positions
    p_in = math.prod(sizes)
    group_in, group_out = geometry.group_in, geometry.group_out
    co = np.arange(c_out)[:, None, None]
    ci = (co // group_out) * group_in + np.arange(group_in)[None, :, None]
    rows = co * p_out + out_index[None, None, :]
    cols = ci * p_in + in_index[None, None, :]
    values = weight.reshape(c_out, group_in, -1)[:, :, tap_index]
    rows, cols = np.broadcast_arrays(rows, cols)
    matrix = scipy.sparse.csr_matrix(
        (values.ravel(), (rows.ravel(), cols.ravel())), shape=(c_out * p_out, c_in * p_in)
    )
    matrix.sort_indices()
    return matrix


def symbolic_conv_matrix(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """The convolution matrix of a single-channel convolution, written with weight names.

    Tap ``(i, j, ...)`` (0-based) is named ``'w'`` followed by its 1-based
    indices (``'w11'``, ``'w12'``, ...; joined by ``'_'`` when a kernel axis
    has more than 9 taps), and cells the window does not read are ``'0'``.
    Rows are output cells and columns input cells, both in row-major order.

    Parameters
    ----------
    input_shape, kernel_shape : sequence of int
        Spatial sizes only (1 to 3 axes, one channel).
    stride, padding, dilation
        As :func:`conv_matrix`.

    Returns
    -------
    numpy.ndarray
        Object array of strings, at most ``SYMBOLIC_LIMIT`` entries.

    Examples
    --------
    Seed 004, ``y = C x`` for a 3x3 input and a 2x2 kernel:

    >>> symbolic_conv_matrix((3, 3), (2, 2))
    array([['w11', 'w12', '0', 'w21', 'w22', '0', '0', '0', '0'],
           ['0', 'w11', 'w12', '0', 'w21', 'w22', '0', '0', '0'],
           ['0', '0', '0', 'w11', 'w12', '0', 'w21', 'w22', '0'],
           ['0', '0', '0', '0', 'w11', 'w12', '0', 'w21', 'w22']], dtype=object)
    """
    in_shape, k_shape = tuple(input_shape), tuple(kernel_shape)
    if len(in_shape) != len(k_shape):
        raise ValueError(
            f"symbolic_conv_matrix: input_shape={in_shape} and kernel_shape={k_shape} must have "
            "the same number of spatial axes"
        )
    numbers = conv_matrix((1, *in_shape), (1, 1, *k_shape), stride, padding, dilation)
    if numbers.shape[0] * numbers.shape[1] > SYMBOLIC_LIMIT:
        raise ValueError(
            f"symbolic_conv_matrix: a {numbers.shape[0]}x{numbers.shape[1]} matrix is too large to "
            f"write out (limit {SYMBOLIC_LIMIT} entries); use conv_matrix"
        )
    sep = "_" if max(k_shape) > 9 else ""
    names = np.array(
        ["0"] + ["w" + sep.join(str(i + 1) for i in index) for index in np.ndindex(*k_shape)],
        dtype=object,
    )
    result: np.ndarray = names[numbers.toarray()]
    return result
