"""``grid_sample`` and ``affine_grid`` with PyTorch's semantics (spatial transformers).

``affine_grid`` maps the pixel centres of an output image through an affine
matrix into the ``[-1, 1]`` coordinates of an input image, and
``grid_sample`` reads the input there (Jaderberg et al., "Spatial
Transformer Networks", arXiv 1506.02025). The coordinate conventions live in
:mod:`convscope.core.grid`, the numerics in :mod:`convscope.kernels.grid_sample`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..core.grid import GridMode, GridPadding
from ..kernels import grid_sample as grid_kernel
from ._args import FLOAT_DTYPES, as_array, same_dtype

GridModeName = Literal["bilinear", "nearest", "bicubic"]
GridPaddingName = Literal["zeros", "border", "reflection"]
_MODES = {m.value: m for m in GridMode}
_PADDINGS = {p.value: p for p in GridPadding}


def _align_corners(op: str, align_corners: Any) -> bool:
    """``None`` means False (PyTorch's default since 1.3); anything but a bool is refused, as PyTorch does."""
    if align_corners is None:
        return False
    if not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{op}: align_corners must be a bool or None, got align_corners={align_corners!r}")
    return bool(align_corners)


def _float_array(value: Any, name: str, op: str) -> np.ndarray:
    array = as_array(value, name, op)
    if array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} has dtype {array.dtype}; expected float16, float32 or float64")
    return array


@dataclass(frozen=True)
class GridSamplePlan:
    """A checked ``grid_sample`` call."""

    x: np.ndarray  # (N, C, *in)
    grid: np.ndarray  # (N, *out, k)
    mode: GridMode
    padding: GridPadding
    align_corners: bool

    def forward(self) -> np.ndarray:
        return grid_kernel.grid_sample(self.x, self.grid, self.mode, self.padding, self.align_corners)

    def backward(self, cotangent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grid_kernel.grid_sample_backward(
            self.x, self.grid, cotangent, self.mode, self.padding, self.align_corners
        )


def plan_grid_sample(
    input: Any,
    grid: Any,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> GridSamplePlan:
    op = "grid_sample"
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"{op}: expected mode to be 'bilinear', 'nearest' or 'bicubic', got mode={mode!r}")
    if not isinstance(padding_mode, str) or padding_mode not in _PADDINGS:
        raise ValueError(
            f"{op}: expected padding_mode to be 'zeros', 'border' or 'reflection', "
            f"got padding_mode={padding_mode!r}"
        )
    corners = _align_corners(op, align_corners)
    x = _float_array(input, "input", op)
    g = _float_array(grid, "grid", op)
    if x.ndim not in (4, 5):
        raise ValueError(
            f"{op}: expected a 4-d (N, C, H, W) or 5-d (N, C, D, H, W) input, got input of shape "
            f"{x.shape} (PyTorch's grid_sample takes no unbatched input)"
        )
    k = x.ndim - 2
    if g.ndim != x.ndim or g.shape[-1] != k:
        expected = "(N, H_out, W_out, 2)" if k == 2 else "(N, D_out, H_out, W_out, 3)"
        raise ValueError(
            f"{op}: a {x.ndim}-d input of shape {x.shape} needs a grid of shape {expected}, "
            f"got grid of shape {g.shape}"
        )
    if g.shape[0] != x.shape[0]:
        raise ValueError(
            f"{op}: expected grid and input to have the same batch size, got input of shape "
            f"{x.shape} and grid of shape {g.shape}"
        )
    if any(n == 0 for n in x.shape[2:]):
        raise ValueError(
            f"{op}: expected input with non-empty spatial dimensions, got input of shape {x.shape}"
        )
    kind = _MODES[mode]
    if kind is GridMode.BICUBIC and k != 2:
        raise ValueError(f"{op}: mode='bicubic' only supports 4-d input, got input of shape {x.shape}")
    same_dtype(op, input=x, grid=g)
    return GridSamplePlan(x, g, kind, _PADDINGS[padding_mode], corners)


def grid_sample(
    input: Any,
    grid: Any,
    mode: GridModeName = "bilinear",
    padding_mode: GridPaddingName = "zeros",
    align_corners: bool | None = None,
) -> np.ndarray:
    """Sample ``input`` at the points of ``grid``, as ``torch.nn.functional.grid_sample``.

    ``grid[n, ..., :]`` holds normalised coordinates ``(x, y[, z])`` in
    ``[-1, 1]``: x runs along the input's last axis (W), y along H, z along D.
    Without ``align_corners``, -1 and 1 are the outer edges of the corner
    pixels (pixel ``i`` is centred at ``(2 * i + 1) / size - 1``); with it,
    they are the centres of the corner pixels.

    Parameters
    ----------
    input : array_like
        ``(N, C, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``, float16/32/64.
    grid : array_like
        ``(N, H_out, W_out, 2)`` or ``(N, D_out, H_out, W_out, 3)``, the
        input's dtype.
    mode : {'bilinear', 'nearest', 'bicubic'}
        ``'bilinear'`` is trilinear for 5-d input; ``'nearest'`` rounds half
        to even; ``'bicubic'`` (4-d only) is Keys' cubic convolution with
        ``A = -0.75``, each of its 16 taps padded on its own.
    padding_mode : {'zeros', 'border', 'reflection'}
        What is read outside the input: zeros, the edge pixel, or the input
        mirrored at the borders (at the corner pixels' centres with
        ``align_corners``, at their outer edges without).
    align_corners : bool, optional
        Default (``None``) is False.

    Returns
    -------
    numpy.ndarray
        ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, the input's
        dtype (float16 is computed in float32).

    Shape
    -----
    The output takes ``N, C`` from the input and its spatial size from the grid.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(1, 1, 2, 2)
    >>> grid = np.array([[[[-1.0, -1.0], [0.0, 0.0], [1.0, -1.0]]]])  # (1, 1, 3, 2)
    >>> grid_sample(x, grid, align_corners=True)
    array([[[[0. , 1.5, 1. ]]]])
    >>> grid_sample(x, grid, padding_mode="border")  # -1 is a pixel edge now
    array([[[[0. , 1.5, 1. ]]]])
    >>> grid_sample(x, grid)  # zeros beyond the edge pull the corners down
    array([[[[0.  , 1.5 , 0.25]]]])
    """
    return plan_grid_sample(input, grid, mode, padding_mode, align_corners).forward()


# ---------------------------------------------------------------------------
# affine_grid
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AffineGridPlan:
    """A checked ``affine_grid`` call: ``theta`` and the spatial size of the grid."""

    theta: np.ndarray
    spatial: tuple[int, ...]
    align_corners: bool

    def forward(self) -> np.ndarray:
        return grid_kernel.affine_grid(self.theta, self.spatial, self.align_corners)

    def backward(self, cotangent: np.ndarray) -> np.ndarray:
        return grid_kernel.affine_grid_backward(cotangent, self.spatial, self.align_corners)


def _size(op: str, size: Any) -> tuple[int, ...]:
    if isinstance(size, (str, bytes)) or not isinstance(size, Sequence | np.ndarray):
        raise TypeError(f"{op}: size must be a sequence of ints, got size={size!r}")
    values = []
    for v in size:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: size must be a sequence of ints, got size={list(size)!r}")
        values.append(int(v))
    return tuple(values)


def plan_affine_grid(theta: Any, size: Any, align_corners: bool | None = None) -> AffineGridPlan:
    op = "affine_grid"
    corners = _align_corners(op, align_corners)
    t = as_array(theta, "theta", op)
    if t.dtype not in FLOAT_DTYPES:
        raise ValueError(f"{op}: expected theta to have a floating point dtype, got theta of dtype {t.dtype}")
    dims = _size(op, size)
    if len(dims) not in (4, 5):
        raise ValueError(
            f"{op}: size must be a 4-d (N, C, H, W) or 5-d (N, C, D, H, W) size, for 2-d or 3-d "
            f"affine transforms, got size={list(dims)}"
        )
    k = len(dims) - 2
    if t.ndim != 3 or t.shape[1:] != (k, k + 1):
        raise ValueError(
            f"{op}: expected a batch of {k}-d affine matrices of shape (N, {k}, {k + 1}) for "
            f"size={list(dims)}, got theta of shape {t.shape}"
        )
    spatial = dims[2:]
    # PyTorch skips the positivity check when align_corners meets a unit spatial size
    # (it only warns there); N and C are then unchecked, and C is unused anyway.
    if not (corners and min(spatial) == 1) and min(dims) <= 0:
        raise ValueError(f"{op}: expected a non-zero, positive output size, got size={list(dims)}")
    if dims[0] != t.shape[0]:
        raise ValueError(
            f"{op}: size={list(dims)} asks for a batch of {dims[0]} but theta of shape {t.shape} "
            f"holds {t.shape[0]} matrices"
        )
    return AffineGridPlan(t, spatial, corners)


def affine_grid(theta: Any, size: Sequence[int], align_corners: bool | None = None) -> np.ndarray:
    """The sampling grid of a batch of affine maps, as ``torch.nn.functional.affine_grid``.

    Each output pixel centre, in the normalised coordinates ``grid_sample``
    uses, is mapped through ``theta[n]``: ``grid[n, ..., :] = theta[n] @ (x, y[, z], 1)``.

    Parameters
    ----------
    theta : array_like
        ``(N, 2, 3)`` for a 2-d size or ``(N, 3, 4)`` for a 3-d size, floating point.
    size : sequence of int
        The output image size, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
    align_corners : bool, optional
        As in :func:`grid_sample`; pass the same value to both. Default (``None``) is False.

    Returns
    -------
    numpy.ndarray
        ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``, theta's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> identity = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> affine_grid(identity, (1, 1, 2, 2), align_corners=False)[0, :, :, 0]  # x of the 4 centres
    array([[-0.5,  0.5],
           [-0.5,  0.5]])
    >>> x = np.arange(8.0).reshape(1, 1, 2, 4)
    >>> flip = np.array([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # mirror left-right
    >>> grid_sample(x, affine_grid(flip, x.shape, align_corners=False), align_corners=False)
    array([[[[3., 2., 1., 0.],
             [7., 6., 5., 4.]]]])
    """
    return plan_affine_grid(theta, size, align_corners).forward()
