"""Unpooling (max and average) and stochastic pooling.

Unpooling reverses a pooling's shape change, so its geometry is that of a
transposed convolution: the pooled map is the input of
:meth:`~convscope.core.Axis.transposed`, the unpooled map its output, and
``output_size`` plays the part of ``output_padding``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..core import Axis, unpool_output_sizes
from ..kernels import window
from ._args import as_array, batched
from .pool import PoolPlan, outer_product, plan_pool, pool_input, window_args


@dataclass(frozen=True)
class UnpoolPlan:
    """A checked unpooling call: the pooled input and the pooling windows over the output."""

    op: str
    x: np.ndarray
    axes: tuple[Axis, ...]
    unbatched: bool

    @property
    def out_sizes(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    def unbatch(self, out: np.ndarray) -> np.ndarray:
        return out[0] if self.unbatched else out


def plan_unpool(
    op: str, spatial: int, input: Any, kernel_size: Any, stride: Any, padding: Any, output_size: Any
) -> UnpoolPlan:
    """Check an unpooling call and find the pooling windows it reverses (PyTorch's size rules)."""
    x, unbatched = batched(as_array(input, "input", op), spatial, op)
    kernel, step, pad = window_args(op, spatial, kernel_size, stride, padding)
    sizes = x.shape[2:]
    default, wanted = unpool_output_sizes(op, sizes, kernel, step, pad, output_size)
    axes = tuple(
        Axis.transposed(n, k, s, (p, p), output_padding=want - size)
        for n, k, s, p, want, size in zip(sizes, kernel, step, pad, wanted, default)
    )
    return UnpoolPlan(op, x, axes, unbatched)


# -- max unpooling -----------------------------------------------------------------


def check_indices(plan: UnpoolPlan, indices: Any) -> np.ndarray:
    """The int64 indices of a max unpooling, refused when out of their planes."""
    index = as_array(indices, "indices", plan.op)
    if index.dtype != np.int64:
        raise TypeError(f"{plan.op}: indices must be int64 (as max_pool returns them), got {index.dtype}")
    index = index[None] if plan.unbatched else index
    if index.shape != plan.x.shape:
        raise ValueError(
            f"{plan.op}: indices of shape {index.shape} must have the shape of the input, {plan.x.shape}"
        )
    plane = int(np.prod(plan.out_sizes, dtype=np.int64))
    # an empty output plane (default size 0) has no cells to check, and torch returns it empty
    if index.size and plane and (index.min() < 0 or index.max() >= plane):
        bad = int(index.max()) if index.max() >= plane else int(index.min())
        raise ValueError(
            f"{plan.op}: found an invalid max index {bad} in indices (the output planes "
            f"{'x'.join(map(str, plan.out_sizes))} hold {plane} cells)"
        )
    return index


class MaxUnpool(Protocol):
    def __call__(
        self,
        input: Any,
        indices: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        output_size: Sequence[int] | None = None,
    ) -> np.ndarray: ...


def _max_unpool(spatial: int) -> MaxUnpool:
    def max_unpool(
        input: Any,
        indices: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        output_size: Sequence[int] | None = None,
    ) -> np.ndarray:
        plan = plan_unpool(f"max_unpool{spatial}d", spatial, input, kernel_size, stride, padding, output_size)
        index = check_indices(plan, indices)
        return plan.unbatch(window.place_at_indices(plan.x, index, plan.out_sizes))

    max_unpool.__name__ = max_unpool.__qualname__ = f"max_unpool{spatial}d"
    max_unpool.__doc__ = f"""Partial inverse of ``max_pool{spatial}d``, as torch's ``max_unpool{spatial}d``.

    Each input value is written at the flat per-plane position ``indices``
    names (what ``max_pool{spatial}d(..., return_indices=True)`` returns);
    every other cell is zero. The output size defaults to
    ``(in - 1) * stride - 2 * padding + kernel_size`` and ``output_size``
    may move it by less than one stride either way.

    Examples
    --------
    Seed 001: max unpooling puts each maximum back where it came from.

    >>> import numpy as np
    >>> from convscope.functional import max_pool{spatial}d
    >>> x = np.array([1.0, 4.0, 2.0, 3.0]).reshape((1, 1) + (1,) * {spatial - 1} + (4,))
    >>> pooled, where = max_pool{spatial}d(x, (1,) * {spatial - 1} + (2,), return_indices=True)
    >>> max_unpool{spatial}d(pooled, where, (1,) * {spatial - 1} + (2,)).ravel()
    array([0., 4., 0., 3.])
    """
    return max_unpool


# -- average unpooling ---------------------------------------------------------------


def coverage(axes: Sequence[Axis]) -> np.ndarray:
    """How many windows cover each output cell: the product of the axes' coverages."""
    return outer_product([a.coverage() for a in axes])


def run_avg_unpool(plan: UnpoolPlan) -> np.ndarray:
    dtype = np.dtype(np.float32) if plan.x.dtype == np.float16 else plan.x.dtype
    maps = [a.index_map() for a in plan.axes]
    spread = window.sum_scatter(plan.x.astype(dtype, copy=False), maps, plan.out_sizes)
    counts = coverage(plan.axes)
    out = np.divide(spread, counts, out=np.zeros_like(spread), where=counts > 0)
    return plan.unbatch(out.astype(plan.x.dtype, copy=False))


class AvgUnpool(Protocol):
    def __call__(
        self,
        input: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        output_size: Sequence[int] | None = None,
    ) -> np.ndarray: ...


def _avg_unpool(spatial: int) -> AvgUnpool:
    def avg_unpool(
        input: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        output_size: Sequence[int] | None = None,
    ) -> np.ndarray:
        op = f"avg_unpool{spatial}d"
        plan = plan_unpool(op, spatial, input, kernel_size, stride, padding, output_size)
        if plan.x.dtype.kind != "f":
            raise TypeError(f"{op}: input must be floating point, got {plan.x.dtype}")
        return run_avg_unpool(plan)

    avg_unpool.__name__ = avg_unpool.__qualname__ = f"avg_unpool{spatial}d"
    avg_unpool.__doc__ = f"""Average unpooling: each pooled average spread back over its window.

    No framework ships it; it is the inverse of ``avg_pool{spatial}d`` the seeds describe. With ``B`` the 0/1
    window-membership matrix of the pooling (``B @ x`` sums each window) and
    ``C`` the diagonal matrix counting the windows that cover each cell::

        avg_unpool(y) = C^+ B^T y

    * Non-overlapping windows (``stride == kernel_size``): every cell of a
      window receives that window's average, so ``avg_pool(avg_unpool(y)) == y``
      when the windows tile the output.
    * Overlapping windows (``stride < kernel_size``): a cell receives the mean
      of the averages of the windows covering it.
    * Uncovered cells (``stride > kernel_size``, the padding border, or an
      ``output_size`` past the last window) receive 0.

    It is the adjoint of average pooling up to these normalisations:
    ``<C avg_unpool(y), x> == <y, B x>``, i.e. ``<C avg_unpool(y), x> ==
    <y, avg_pool(x, ..., divisor_override=1)>``.
    Output size and ``output_size`` follow ``max_unpool{spatial}d``.

    Examples
    --------
    Seed 001: each average fills the block it was taken from.

    >>> import numpy as np
    >>> avg_unpool{spatial}d(np.full((1, 1) + (1,) * {spatial}, 2.5), 2).ravel()
    array([{", ".join(["2.5"] * 2 ** spatial)}])
    """
    return avg_unpool


max_unpool1d = _max_unpool(1)
max_unpool2d = _max_unpool(2)
max_unpool3d = _max_unpool(3)
avg_unpool1d = _avg_unpool(1)
avg_unpool2d = _avg_unpool(2)
avg_unpool3d = _avg_unpool(3)


# -- stochastic pooling ---------------------------------------------------------------


def plan_stochastic(input: Any, kernel_size: Any, stride: Any) -> PoolPlan:
    op = "stochastic_pool2d"
    x, _ = pool_input(op, input, 2)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got {x.dtype}")
    if np.isnan(x).any() or (x < 0).any():
        raise ValueError(
            f"{op}: activations must be non-negative (the sampling probabilities are "
            f"a_i / sum(a)), got a minimum of {np.nanmin(x) if not np.isnan(x).all() else np.nan}"
            + (" and NaN" if np.isnan(x).any() else "")
        )
    return plan_pool(op, 2, input, kernel_size, stride)


def stochastic_sample(
    plan: PoolPlan, rng: np.random.Generator | int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Training-mode draw: ``(values, flat per-plane indices of the chosen cells)``."""
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    rows, cols = (a.index_map() for a in plan.axes)
    height, width = plan.x.shape[2:]
    # window cells as flat plane indices, shape (out_h, out_w, taps)
    cells = (rows[:, None, :, None] * width + cols[None, :, None, :]).reshape(
        rows.shape[0], cols.shape[0], -1
    )
    planes = plan.x.reshape(*plan.x.shape[:2], height * width)
    activations = planes[..., cells].astype(np.float64)  # (N, C, out_h, out_w, taps)
    cumulative = np.cumsum(activations, axis=-1)
    total = cumulative[..., -1:]
    threshold = generator.random(total.shape) * total
    chosen = np.minimum((cumulative <= threshold).sum(axis=-1), cells.shape[-1] - 1)
    # an all-zero window has nothing to choose: its output is 0 (its first cell)
    chosen = np.where(total[..., 0] > 0, chosen, 0)
    indices = np.take_along_axis(np.broadcast_to(cells, activations.shape), chosen[..., None], -1)[..., 0]
    values = np.take_along_axis(planes, indices.reshape(*plan.x.shape[:2], -1), -1)
    return values.reshape(indices.shape), indices


def stochastic_expectation(plan: PoolPlan) -> tuple[np.ndarray, np.ndarray]:
    """Evaluation mode: ``(sum(a^2) / sum(a), sum(a))`` per window (0 where the sum is 0)."""
    dtype = np.dtype(np.float32) if plan.x.dtype == np.float16 else plan.x.dtype
    x = plan.x.astype(dtype, copy=False)
    total = window.sum_reduce(x, plan.maps)
    squares = window.sum_reduce(x * x, plan.maps)
    out = np.divide(squares, total, out=np.zeros_like(total), where=total > 0)
    return out.astype(plan.x.dtype, copy=False), total


def stochastic_pool2d(
    input: Any,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    *,
    training: bool = True,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Stochastic pooling (Zeiler & Fergus, ICLR 2013) over ``(N, C, H, W)`` activations.

    In training each window outputs one of its activations, drawn with
    probability ``a_i / sum(a)`` (a window of zeros outputs 0). In evaluation
    it outputs the expectation of that draw, ``sum(a_i ** 2) / sum(a)``.
    Activations must be non-negative (they follow a ReLU).

    Parameters
    ----------
    input : array_like
        ``(N, C, H, W)`` or ``(C, H, W)``, non-negative floats.
    kernel_size, stride : int or pair of ints
        The windows; ``stride`` defaults to ``kernel_size``.
    training : bool
        Sample (True) or take the expectation (False).
    rng : numpy.random.Generator or int, optional
        Source of the draws; a seed makes them reproducible.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 0.0], [3.0, 0.0]]]])
    >>> stochastic_pool2d(x, 2, training=False)  # (1 + 9) / 4
    array([[[[2.5]]]])
    >>> float(stochastic_pool2d(x, 2, rng=0).item()) in (1.0, 3.0)
    True
    """
    plan = plan_stochastic(input, kernel_size, stride)
    if training:
        return plan.unbatch(stochastic_sample(plan, rng)[0])
    return plan.unbatch(stochastic_expectation(plan)[0])
