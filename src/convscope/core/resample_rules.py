"""PyTorch's refusals of resampling calls (``interpolate``, pixel (un)shuffle), in one place.

``convscope.functional`` (which has arrays) and ``convscope.arith`` (which has
only spatial sizes) both ask these functions, so a call either refuses gets
the same message from both. They check arguments and answer sizes; the taps
live in :mod:`.resample`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .resample import Interpolation, scaled_size
from .window import is_int

#: interpolate's modes: the per-axis kernel and the number of spatial axes each takes (None: 1, 2 or 3).
INTERPOLATE_MODES: dict[str, tuple[Interpolation, int | None]] = {
    "nearest": (Interpolation.NEAREST, None),
    "nearest-exact": (Interpolation.NEAREST_EXACT, None),
    "area": (Interpolation.AREA, None),
    "linear": (Interpolation.LINEAR, 1),
    "bilinear": (Interpolation.LINEAR, 2),
    "trilinear": (Interpolation.LINEAR, 3),
    "bicubic": (Interpolation.CUBIC, 2),
    "lanczos": (Interpolation.LANCZOS, 2),
}
_INTERPOLATING = (Interpolation.LINEAR, Interpolation.CUBIC, Interpolation.LANCZOS)


@dataclass(frozen=True)
class InterpolateSizes:
    """A checked ``interpolate`` call, per spatial axis.

    ``scale_factors`` are the user's factors (``None`` when ``size`` was
    given); ``coordinate_scales`` those PyTorch uses to map coordinates
    (``None`` where it uses ``in / out`` instead).
    """

    kind: Interpolation
    out_sizes: tuple[int, ...]
    scale_factors: tuple[float, ...] | None
    align_corners: bool
    coordinate_scales: tuple[float | None, ...]


def _per_axis(value: Any, name: str, sizes: tuple[int, ...]) -> list[Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != len(sizes):
            raise ValueError(
                f"interpolate: {name} must have one entry per spatial dimension of the input "
                f"(spatial size {sizes}), got {name}={value!r}"
            )
        return list(value)
    return [value] * len(sizes)


def interpolate_sizes(
    sizes: Sequence[int],
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
    input_shape: Sequence[int] | None = None,
) -> InterpolateSizes:
    """Check ``torch.nn.functional.interpolate``'s arguments on spatial ``sizes``; the output sizes.

    ``input_shape`` (the whole ``(N, C, *spatial)`` shape, where the caller
    has one) only words the messages.

    Raises
    ------
    ValueError, TypeError
        Whatever PyTorch refuses; messages start with ``interpolate:`` and
        name the argument and its value.

    Examples
    --------
    >>> interpolate_sizes((2, 3), scale_factor=2.5, mode="bilinear").out_sizes
    (5, 7)
    >>> interpolate_sizes((4,), size=3, mode="bilinear")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: interpolate: mode='bilinear' needs 2 spatial axes (4-d input (N, C, spatial...)), ...
    """
    op = "interpolate"
    sizes = tuple(int(n) for n in sizes)
    got = f"input of shape {tuple(input_shape)}" if input_shape is not None else f"input {sizes}"
    if mode not in INTERPOLATE_MODES:
        raise ValueError(
            f"{op}: unknown mode={mode!r}; expected one of {', '.join(map(repr, INTERPOLATE_MODES))}"
        )
    kind, axes = INTERPOLATE_MODES[mode]
    if kind not in _INTERPOLATING and align_corners is not None:
        raise ValueError(
            f"{op}: align_corners={align_corners!r} can only be set with the interpolating modes "
            f"linear | bilinear | bicubic | trilinear, not mode={mode!r}"
        )
    if len(sizes) not in (1, 2, 3) or (axes is not None and len(sizes) != axes):
        wanted = f"{axes} spatial axes ({axes + 2}-d" if axes else "1, 2 or 3 spatial axes (3-d, 4-d or 5-d"
        raise ValueError(f"{op}: mode={mode!r} needs {wanted} input (N, C, spatial...)), got {got}")
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{op}: exactly one of size and scale_factor must be given, got size={size!r} "
            f"and scale_factor={scale_factor!r}"
        )
    if recompute_scale_factor and size is not None:
        raise ValueError(
            f"{op}: recompute_scale_factor=True is not meaningful with an explicit size={size!r}"
        )
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and len(sizes) == 2):
        raise ValueError(
            f"{op}: antialias=True is restricted to the bilinear, bicubic and lanczos modes on 2 spatial "
            f"axes (4-d input), got mode={mode!r} and {got}"
        )
    corners = bool(align_corners)
    if kind is Interpolation.LANCZOS and (corners or not antialias):
        raise ValueError(
            f"{op}: mode='lanczos' needs antialias=True and align_corners False or None, "
            f"got antialias={antialias!r} and align_corners={align_corners!r}"
        )
    factors: tuple[float, ...] | None = None
    if size is not None:
        wanted_sizes = _per_axis(size, "size", sizes)
        if not all(is_int(o) for o in wanted_sizes):
            raise TypeError(f"{op}: size must be an int or a tuple of ints, got size={size!r}")
        out = tuple(int(o) for o in wanted_sizes)
    else:
        given = _per_axis(scale_factor, "scale_factor", sizes)
        numbers = (int, float, np.integer, np.floating)
        if not all(isinstance(f, numbers) and not isinstance(f, (bool, np.bool_)) for f in given):
            raise TypeError(f"{op}: scale_factor must be a number or tuple of numbers, got {scale_factor!r}")
        factors = tuple(float(f) for f in given)
        if not all(math.isfinite(f) for f in factors):
            raise ValueError(f"{op}: scale_factor must be finite, got scale_factor={scale_factor!r}")
        out = tuple(scaled_size(n, f) for n, f in zip(sizes, factors))
    smallest = 0 if kind is Interpolation.AREA else 1  # area is adaptive pooling, which may empty an axis
    if any(n <= 0 for n in sizes) or any(o < smallest for o in out):
        raise ValueError(
            f"{op}: input and output sizes must be greater than 0, got input spatial size "
            f"{sizes} and output size {out}"
        )
    use_given = factors is not None and not recompute_scale_factor and kind is not Interpolation.AREA
    scales: tuple[float | None, ...] = factors if use_given and factors else (None,) * len(sizes)
    return InterpolateSizes(kind, out, factors, corners, scales)


def _factor(op: str, name: str, factor: Any) -> int:
    if not is_int(factor) or factor <= 0:
        raise ValueError(f"{op}: {name} must be a positive int, got {name}={factor!r}")
    return int(factor)


def pixel_shuffle_factor(
    upscale_factor: Any, channels: int | None, channels_name: str = "in_channels"
) -> int:
    """``upscale_factor`` as an int, after PyTorch's checks; ``channels`` (if known) must split by ``r**2``.

    Examples
    --------
    >>> pixel_shuffle_factor(2, 8)
    2
    >>> pixel_shuffle_factor(2, 6)
    Traceback (most recent call last):
    ...
    ValueError: pixel_shuffle: the channel count in_channels=6 must be divisible by upscale_factor**2=4
    """
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor)
    if channels is not None and channels % (r * r):
        raise ValueError(
            f"pixel_shuffle: the channel count {channels_name}={channels} must be divisible "
            f"by upscale_factor**2={r * r}"
        )
    return r


def pixel_unshuffle_factor(downscale_factor: Any, height: int, width: int) -> int:
    """``downscale_factor`` as an int, after PyTorch's checks (it must divide height and width).

    Examples
    --------
    >>> pixel_unshuffle_factor(2, 4, 6)
    2
    >>> pixel_unshuffle_factor(2, 4, 5)
    Traceback (most recent call last):
    ...
    ValueError: pixel_unshuffle: height 4 and width 5 must be divisible by downscale_factor=2
    """
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    if height % r or width % r:
        raise ValueError(
            f"pixel_unshuffle: height {height} and width {width} must be divisible by downscale_factor={r}"
        )
    return r
