"""Pooling with PyTorch's semantics: max, average, power-average and adaptive, in 1-d, 2-d and 3-d.

A pooling layer is the window geometry of a convolution (one
:class:`~convscope.core.Axis` per spatial axis, with ``ceil_mode``) and a
reduction instead of a weighted sum. Each public function is made by a
factory per spatial rank, so one implementation serves 1-d, 2-d and 3-d.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..core import Axis, adaptive_output_sizes, pool_window_axes
from ..core.resample import adaptive_taps
from ..kernels import window
from ._args import as_array, batched, int_tuple, non_negative, positive


@dataclass(frozen=True)
class PoolPlan:
    """A checked pooling call: the batched input and the window of every spatial axis."""

    op: str
    x: np.ndarray
    axes: tuple[Axis, ...]
    unbatched: bool

    @property
    def maps(self) -> list[np.ndarray]:
        return [a.index_map() for a in self.axes]

    @property
    def in_sizes(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def firsts(self) -> list[np.ndarray]:
        """Per axis, each window's first position past the padding (torch's argmax of an empty window)."""
        return [a.first_inside() for a in self.axes]

    def unbatch(self, out: np.ndarray) -> np.ndarray:
        return out[0] if self.unbatched else out


def pool_input(op: str, input: Any, spatial: int) -> tuple[np.ndarray, bool]:
    """The batched input of a pooling call; torch's rank and empty-dimension rules."""
    x, unbatched = batched(as_array(input, "input", op), spatial, op)
    if any(n == 0 for n in x.shape[1:]):
        raise ValueError(
            f"{op}: expected input with non-zero channel and spatial sizes "
            f"(only the batch may be empty), got input of shape {x.shape[1 if unbatched else 0 :]}"
        )
    return x, unbatched


def window_args(
    op: str, n: int, kernel_size: Any, stride: Any, padding: Any
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Checked ``(kernel, stride, padding)`` of a window; a ``stride`` of None or ``[]`` is the kernel."""
    kernel = positive(int_tuple(kernel_size, n, "kernel_size", op), "kernel_size", op)
    if stride is None or (isinstance(stride, Sequence) and len(stride) == 0):
        step = kernel
    else:
        step = positive(int_tuple(stride, n, "stride", op), "stride", op)
    pad = non_negative(int_tuple(padding, n, "padding", op), "padding", op)
    return kernel, step, pad


def pool_axes(
    op: str,
    sizes: Sequence[int],
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> tuple[Axis, ...]:
    """The window of each axis, after PyTorch's checks (stride defaults to the kernel)."""
    n = len(sizes)
    kernel, step, pad = window_args(op, n, kernel_size, stride, padding)
    dil = positive(int_tuple(dilation, n, "dilation", op), "dilation", op)
    return pool_window_axes(op, sizes, kernel, step, pad, dil, ceil_mode)


def plan_pool(
    op: str,
    spatial: int,
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> PoolPlan:
    x, unbatched = pool_input(op, input, spatial)
    axes = pool_axes(op, x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    return PoolPlan(op, x, axes, unbatched)


# -- max pooling ----------------------------------------------------------------


def run_max(plan: PoolPlan | AdaptivePlan, return_indices: bool) -> Any:
    """Max over the plan's windows, with torch's argmax indices when asked."""
    if return_indices:
        values, indices = window.argmax_reduce(plan.x, plan.maps, plan.firsts)
        return plan.unbatch(values), plan.unbatch(indices)
    return plan.unbatch(window.max_reduce(plan.x, plan.maps))


class MaxPool(Protocol):
    def __call__(
        self,
        input: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        ceil_mode: bool = False,
        return_indices: bool = False,
    ) -> Any: ...


_MAX_POOL_DOC = """{n}-d max pooling over ``({layout})``, as ``torch.nn.functional.max_pool{n}d``.

    Parameters
    ----------
    input : array_like
        ``({layout})`` or unbatched (without ``N``); float or integer.
    kernel_size, stride, padding, dilation : int or tuple of {n} ints
        The window; ``stride`` defaults to ``kernel_size``, ``padding``
        (implicit ``-inf``) is at most half the kernel.
    ceil_mode : bool
        Round the output size up; a last window starting in the high padding
        is dropped.
    return_indices : bool
        Also return, for each output, the flat index of its maximum within
        its input plane (PyTorch's layout, what ``max_unpool{n}d`` takes).
        Ties go to the first maximum in window order; a NaN always wins.

    Returns
    -------
    numpy.ndarray, or (numpy.ndarray, numpy.ndarray of int64)

    Examples
    --------
{example}
    """

_MAX_POOL_EXAMPLES = {
    1: """    >>> import numpy as np
    >>> max_pool1d(np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2, return_indices=True)
    (array([[[3., 5.]]]), array([[[1, 3]]]))""",
    2: """    Seed 001: 2x2 max pooling with stride 2 keeps the largest of each block.

    >>> import numpy as np
    >>> x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
    >>> max_pool2d(x[None], 2)
    array([[[6., 8.],
            [3., 4.]]])""",
    3: """    >>> import numpy as np
    >>> max_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2).ravel()
    array([7.])""",
}


def _max_pool(spatial: int) -> MaxPool:
    def max_pool(
        input: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        ceil_mode: bool = False,
        return_indices: bool = False,
    ) -> Any:
        op = f"max_pool{spatial}d"
        plan = plan_pool(op, spatial, input, kernel_size, stride, padding, dilation, ceil_mode)
        return run_max(plan, return_indices)

    max_pool.__name__ = max_pool.__qualname__ = f"max_pool{spatial}d"
    layout = "N, C, " + ", ".join("DHW"[3 - spatial :])
    max_pool.__doc__ = _MAX_POOL_DOC.format(n=spatial, layout=layout, example=_MAX_POOL_EXAMPLES[spatial])
    return max_pool


max_pool1d = _max_pool(1)
max_pool2d = _max_pool(2)
max_pool3d = _max_pool(3)


# -- average pooling --------------------------------------------------------------


def average_dtype(op: str, x: np.ndarray) -> np.dtype[Any]:
    """The dtype averages are accumulated in: float32 for float16; int64 stays exact."""
    if x.dtype == np.float16:
        return np.dtype(np.float32)
    if x.dtype.kind in "iu" and x.dtype != np.int64:
        raise TypeError(f"{op}: input of dtype {x.dtype} is not supported (floating point or int64 only)")
    return x.dtype


def outer_product(per_axis: Sequence[np.ndarray]) -> np.ndarray:
    """``per_axis[0][i] * per_axis[1][j] * ...`` as an N-d array: a count over a separable window."""
    result = np.ones((1,) * len(per_axis), np.int64)
    for i, vector in enumerate(per_axis):
        shape = [1] * len(per_axis)
        shape[i] = -1
        result = result * vector.reshape(shape)
    return result


def divisors(axes: Sequence[Axis], count_include_pad: bool, divisor_override: int | None) -> np.ndarray | int:
    """What each window's sum is divided by: the product of the axes' counts, or the override."""
    if divisor_override is not None:
        return divisor_override
    return outer_product([a.pool_divisors(count_include_pad) for a in axes])


def check_divisor(op: str, divisor_override: Any) -> int | None:
    if divisor_override is None:
        return None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
        raise TypeError(f"{op}: divisor_override must be an int or None, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must be non-zero, got divisor_override=0")
    return int(divisor_override)


def run_avg_pool(plan: PoolPlan, count_include_pad: bool, divisor_override: int | None) -> np.ndarray:
    dtype = average_dtype(plan.op, plan.x)
    sums = window.sum_reduce(plan.x.astype(dtype, copy=False), plan.maps)
    divisor = divisors(plan.axes, count_include_pad, divisor_override)
    if dtype.kind in "iu":  # torch divides int64 sums truncating toward zero
        out = np.sign(sums) * (np.abs(sums) // np.abs(divisor)) * np.sign(divisor)
    else:
        out = sums / np.asarray(divisor, dtype=dtype)
    return plan.unbatch(out.astype(plan.x.dtype, copy=False))


class AvgPool(Protocol):
    def __call__(
        self,
        input: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> np.ndarray: ...


_AVG_POOL_DOC = """{n}-d average pooling over ``({layout})``, as ``torch.nn.functional.avg_pool{n}d``.

    Parameters
    ----------
    input : array_like
        ``({layout})`` or unbatched; float, or int64 (averages truncated toward zero).
    kernel_size, stride, padding : int or tuple of {n} ints
        The window; ``stride`` defaults to ``kernel_size``.
    ceil_mode : bool
        Round the output size up.
    count_include_pad : bool
        Divide by the window clipped to the padded input (zero padding counts)
        rather than by the number of real cells.
    divisor_override : int, optional
        Divide every window by this instead (``1`` gives window sums).

    Examples
    --------
    Each corner window of ``3**{n}`` cells holds ``2**{n}`` real ones:

    >>> import numpy as np
    >>> x = np.ones((1, 1) + (3,) * {n})
    >>> out = avg_pool{n}d(x, 3, stride=2, padding=1)
    >>> out.shape, round(float(out.max()), 4)
    ({shape}, {corner})
    >>> float(avg_pool{n}d(x, 3, stride=2, padding=1, count_include_pad=False).max())
    1.0
    """


def _avg_pool(spatial: int) -> AvgPool:
    def avg_pool(
        input: Any,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> np.ndarray:
        op = f"avg_pool{spatial}d"
        override = check_divisor(op, divisor_override)
        plan = plan_pool(op, spatial, input, kernel_size, stride, padding, 1, ceil_mode)
        if spatial == 3 and any(a.size < a.kernel for a in plan.axes):  # torch's 3-d only rule
            raise ValueError(
                f"{op}: input of spatial size {plan.in_sizes} is smaller than "
                f"kernel_size={tuple(a.kernel for a in plan.axes)}"
            )
        return run_avg_pool(plan, count_include_pad, override)

    avg_pool.__name__ = avg_pool.__qualname__ = f"avg_pool{spatial}d"
    layout = "N, C, " + ", ".join("DHW"[3 - spatial :])
    avg_pool.__doc__ = _AVG_POOL_DOC.format(
        n=spatial, layout=layout, shape=(1, 1) + (2,) * spatial, corner=round((2 / 3) ** spatial, 4)
    )
    return avg_pool


avg_pool1d = _avg_pool(1)
avg_pool2d = _avg_pool(2)
avg_pool3d = _avg_pool(3)


# -- power-average pooling -------------------------------------------------------


class LpPool(Protocol):
    def __call__(
        self,
        input: Any,
        norm_type: float,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        ceil_mode: bool = False,
    ) -> np.ndarray: ...


def run_lp_pool(plan: PoolPlan, norm_type: float) -> tuple[np.ndarray, np.ndarray | None]:
    """``(out, window power sums)``; the sums are ``None`` for the infinite norms.

    PyTorch computes ``(kernel volume * avg_pool(x ** p)) ** (1 / p)``: with
    ``ceil_mode`` a clipped border window is rescaled to the full kernel
    volume rather than summed, and so is it here.
    """
    if math.isinf(norm_type):
        magnitude = np.abs(plan.x)
        peak = window.max_reduce(magnitude if norm_type > 0 else -magnitude, plan.maps)
        return plan.unbatch(peak if norm_type > 0 else -peak), None
    dtype = average_dtype(plan.op, plan.x)
    with np.errstate(invalid="ignore", divide="ignore"):
        powered = np.power(plan.x.astype(dtype, copy=False), dtype.type(norm_type))
        volume = math.prod(a.kernel for a in plan.axes)
        sums = window.sum_reduce(powered, plan.maps) / divisors(plan.axes, True, None) * volume
        out = np.power(sums, dtype.type(1.0 / norm_type))
    return plan.unbatch(out.astype(plan.x.dtype, copy=False)), sums


def check_norm_type(op: str, norm_type: Any) -> float:
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: norm_type must be a number, got {norm_type!r}")
    if norm_type == 0:
        raise ValueError(f"{op}: norm_type must be non-zero, got norm_type={norm_type}")
    return float(norm_type)


def _lp_pool(spatial: int) -> LpPool:
    def lp_pool(
        input: Any,
        norm_type: float,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] | None = None,
        ceil_mode: bool = False,
    ) -> np.ndarray:
        op = f"lp_pool{spatial}d"
        p = check_norm_type(op, norm_type)
        plan = plan_pool(op, spatial, input, kernel_size, stride, 0, 1, ceil_mode)
        if plan.x.dtype.kind != "f":  # torch promotes to float here; we refuse rather than guess a dtype
            raise TypeError(f"{op}: input must be floating point, got {plan.x.dtype}")
        return run_lp_pool(plan, p)[0]

    lp_pool.__name__ = lp_pool.__qualname__ = f"lp_pool{spatial}d"
    lp_pool.__doc__ = f"""{spatial}-d power-average pooling, as ``torch.nn.functional.lp_pool{spatial}d``.

    Each output is ``(sum over the window of x ** norm_type) ** (1 / norm_type)``:
    ``norm_type=1`` is sum pooling, ``inf`` max pooling of ``|x|``.

    Examples
    --------
    >>> import numpy as np
    >>> out = lp_pool{spatial}d(np.full((1, 1) + (2,) * {spatial}, 3.0), 2, 2)
    >>> round(float(out.item()), 4)  # sqrt(2**{spatial} * 3**2)
    {round(math.sqrt(2**spatial * 9), 4)!r}
    """
    return lp_pool


lp_pool1d = _lp_pool(1)
lp_pool2d = _lp_pool(2)
lp_pool3d = _lp_pool(3)


# -- adaptive pooling ------------------------------------------------------------


@dataclass(frozen=True)
class AdaptivePlan:
    op: str
    x: np.ndarray
    maps: list[np.ndarray]
    unbatched: bool

    @property
    def in_sizes(self) -> tuple[int, ...]:
        return tuple(self.x.shape[2:])

    @property
    def firsts(self) -> list[np.ndarray]:
        """Per axis, each adaptive window's start (it never lies in padding)."""
        return [index[:, 0] for index in self.maps]

    def unbatch(self, out: np.ndarray) -> np.ndarray:
        return out[0] if self.unbatched else out


def plan_adaptive(op: str, spatial: int, input: Any, output_size: Any) -> AdaptivePlan:
    """Check an adaptive pooling call; ``None`` in ``output_size`` keeps that input size."""
    x, unbatched = pool_input(op, input, spatial)
    sizes = x.shape[2:]
    out = adaptive_output_sizes(op, sizes, output_size)
    return AdaptivePlan(op, x, [adaptive_taps(n, o).index for n, o in zip(sizes, out)], unbatched)


class AdaptiveAvgPool(Protocol):
    def __call__(self, input: Any, output_size: int | Sequence[int | None] | None) -> np.ndarray: ...


class AdaptiveMaxPool(Protocol):
    def __call__(
        self, input: Any, output_size: int | Sequence[int | None] | None, return_indices: bool = False
    ) -> Any: ...


def run_adaptive_avg(plan: AdaptivePlan) -> np.ndarray:
    dtype = average_dtype(plan.op, plan.x)
    if dtype.kind in "iu":
        raise TypeError(f"{plan.op}: input of dtype {plan.x.dtype} is not supported (floating point only)")
    sums = window.sum_reduce(plan.x.astype(dtype, copy=False), plan.maps)
    return plan.unbatch((sums / adaptive_counts(plan.maps)).astype(plan.x.dtype, copy=False))


def adaptive_counts(maps: Sequence[np.ndarray]) -> np.ndarray:
    """Cells per adaptive window: the product of the axes' window lengths."""
    return outer_product([(index >= 0).sum(axis=1) for index in maps])


def _adaptive_avg_pool(spatial: int) -> AdaptiveAvgPool:
    def adaptive_avg_pool(input: Any, output_size: int | Sequence[int | None] | None) -> np.ndarray:
        return run_adaptive_avg(plan_adaptive(f"adaptive_avg_pool{spatial}d", spatial, input, output_size))

    adaptive_avg_pool.__name__ = adaptive_avg_pool.__qualname__ = f"adaptive_avg_pool{spatial}d"
    adaptive_avg_pool.__doc__ = f"""{spatial}-d adaptive average pooling, as torch's ``adaptive_avg_pool``.

    Output cell ``o`` of an axis of length ``n`` pooled to ``m`` averages the
    inputs ``[floor(o * n / m), ceil((o + 1) * n / m))``: windows of varying
    length that may overlap.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(5.0).reshape((1, 1) + (1,) * {spatial - 1} + (5,))
    >>> adaptive_avg_pool{spatial}d(x, (1,) * {spatial - 1} + (3,)).ravel()
    array([0.5, 2. , 3.5])
    """
    return adaptive_avg_pool


def _adaptive_max_pool(spatial: int) -> AdaptiveMaxPool:
    def adaptive_max_pool(
        input: Any, output_size: int | Sequence[int | None] | None, return_indices: bool = False
    ) -> Any:
        plan = plan_adaptive(f"adaptive_max_pool{spatial}d", spatial, input, output_size)
        return run_max(plan, return_indices)

    adaptive_max_pool.__name__ = adaptive_max_pool.__qualname__ = f"adaptive_max_pool{spatial}d"
    adaptive_max_pool.__doc__ = f"""{spatial}-d adaptive max pooling, as torch's ``adaptive_max_pool``.

    The windows of :func:`adaptive_avg_pool{spatial}d`, reduced by max;
    ``return_indices`` gives flat per-plane indices of the maxima.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(5.0).reshape((1, 1) + (1,) * {spatial - 1} + (5,))
    >>> adaptive_max_pool{spatial}d(x, (1,) * {spatial - 1} + (3,)).ravel()
    array([1., 3., 4.])
    """
    return adaptive_max_pool


adaptive_avg_pool1d = _adaptive_avg_pool(1)
adaptive_avg_pool2d = _adaptive_avg_pool(2)
adaptive_avg_pool3d = _adaptive_avg_pool(3)
adaptive_max_pool1d = _adaptive_max_pool(1)
adaptive_max_pool2d = _adaptive_max_pool(2)
adaptive_max_pool3d = _adaptive_max_pool(3)
