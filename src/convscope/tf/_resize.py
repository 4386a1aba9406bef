"""``tf.image.resize`` and ``tf.image.ResizeMethod``, with TensorFlow 2.21's kernels.

TensorFlow's ``resize`` is five C++ ops behind one name (``image_ops_impl.py``):
``bilinear``, ``bicubic`` and ``nearest`` run the TF1 resizers with
half-pixel centres (``antialias`` moves ``bilinear`` and ``bicubic`` to
``ScaleAndTranslate``'s triangle and Keys-cubic filters), ``area`` runs
``ResizeArea``, and ``lanczos3``, ``lanczos5``, ``gaussian`` and
``mitchellcubic`` run ``ScaleAndTranslate``. Each is a table of taps per axis
(:mod:`convscope.core.resample`) applied by the same kernel as
:func:`convscope.functional.interpolate`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.resample import (
    SamplingKernel,
    Taps,
    scale_and_translate_taps,
    tf_area_taps,
    tf_cubic_taps,
    tf_linear_taps,
    tf_nearest_taps,
    tf_preserved_size,
)
from ..kernels import resample as resample_kernel
from ._args import from_channels_first, runs_plan, tf_convert, to_channels_first

__all__ = ["ResizeMethod", "resize"]

#: the dtypes TensorFlow's resize kernels are registered for
_DTYPES = tuple(
    np.dtype(t)
    for t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16)
)
_INT32_MAX = 2**31 - 1
Size = tuple[int, int]
AxisTaps = Callable[[int, int], Taps]


class ResizeMethod:
    """The methods of :func:`resize`, as ``tf.image.ResizeMethod`` names them."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


# -- argument checking shared with tf.compat.v1.image ------------------------------------


def images_array(images: Any, op: str) -> np.ndarray:
    """``images`` as an array of a dtype TensorFlow resizes.

    Nested Python lists become int32 or float32, as ``tf.convert_to_tensor``
    makes them (int64 when an int does not fit).
    """
    array = tf_convert(images, "images", op)
    if array.dtype not in _DTYPES:
        names = ", ".join(d.name for d in _DTYPES)
        raise TypeError(f"{op}: images has dtype {array.dtype}; TensorFlow resizes only {names}")
    return array


def images_and_size(images: Any, size: Any, preserve_aspect_ratio: bool, op: str) -> tuple[np.ndarray, Size]:
    """The images (3-D or 4-D) and output size of ``tf.image.resize`` and ``tf.compat.v1.image.resize``."""
    x = images_array(images, op)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: images must have either 3 or 4 dimensions, got shape {x.shape}")
    out = size_pair(size, op, legacy=False)
    if preserve_aspect_ratio:
        out = tf_preserved_size((x.shape[-3], x.shape[-2]), out)
    return x, out


def size_pair(size: Any, op: str, legacy: bool) -> Size:
    """``size`` as ``(new_height, new_width)``, accepted where TensorFlow converts it to int32.

    Python numbers must be ints (``legacy`` ops refuse others with
    ``TypeError``, ``tf.image.resize`` with ``ValueError``); NumPy float
    arrays are truncated toward zero, as TensorFlow's conversion does.
    """
    if isinstance(size, np.ndarray):
        if size.dtype.kind not in "biuf":
            raise _size_type_error(size, op, legacy)
        values: Any = (np.trunc(size) if size.dtype.kind == "f" else size).astype(np.int64).tolist()
    elif isinstance(size, (list, tuple)):
        values = list(size)
        scalars = [v for v in values if not isinstance(v, (list, tuple, np.ndarray))]
        if not all(isinstance(v, (int, np.integer, np.bool_)) for v in scalars):
            raise _size_type_error(size, op, legacy)
    elif isinstance(size, (int, np.integer)):
        values = int(size)
    else:
        raise _size_type_error(size, op, legacy)
    if (
        not isinstance(values, list)
        or len(values) != 2
        or not all(isinstance(v, (int, np.integer, np.bool_)) for v in values)
    ):
        raise ValueError(
            f"{op}: size must be a 1-D tensor of 2 elements (new_height, new_width), got size={size!r}"
        )
    height, width = (int(v) for v in values)
    if not all(-_INT32_MAX - 1 <= v <= _INT32_MAX for v in (height, width)):
        raise ValueError(f"{op}: size={size!r} does not fit in int32")
    return height, width


def _size_type_error(size: Any, op: str, legacy: bool) -> Exception:
    message = f"{op}: size must be a 1-D int32 tensor of 2 elements, got size={size!r}"
    return TypeError(message) if legacy else ValueError(message)


def bool_attr(value: Any, name: str, op: str, default: bool) -> bool:
    """A boolean op attribute: ``None`` means the op's default; anything but a bool is refused."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a bool, got {name}={value!r}")
    return value


def check_sizes(x: np.ndarray, out: Size, op: str) -> None:
    """The refusals of TensorFlow's ``ImageResizerState`` (and of ``ScaleAndTranslate``)."""
    if x.shape[-1] <= 0:
        raise ValueError(f"{op}: images must have at least one channel, got shape {x.shape}")
    if x.shape[-3] <= 0 or x.shape[-2] <= 0:
        raise ValueError(f"{op}: images must have non-zero height and width, got shape {x.shape}")
    if out[0] <= 0 or out[1] <= 0:
        raise ValueError(f"{op}: output dimensions must be positive, got size={list(out)}")


def apply_taps(x: np.ndarray, taps: tuple[Taps, Taps], keep_dtype: bool = False) -> np.ndarray:
    """Resample the height and width of ``x`` (``(..., H, W, C)``) by ``taps``.

    With ``keep_dtype`` (nearest neighbour, whose taps are a selection) the
    result has the input's dtype, exactly; otherwise the taps are applied in
    float32, as TensorFlow's kernels compute, and the result is float32.
    """
    dtype = x.dtype if keep_dtype else np.dtype(np.float32)
    if x.size == 0:  # an empty batch: TensorFlow returns an empty result
        return np.zeros((*x.shape[:-3], taps[0].out_size, taps[1].out_size, x.shape[-1]), dtype)
    planar = to_channels_first(x[None] if x.ndim == 3 else x, last=True).astype(dtype, copy=False)
    out = from_channels_first(resample_kernel.resample(planar, taps), last=True)
    return out[0] if x.ndim == 3 else out


@dataclass(frozen=True)
class ResizeRun:
    """A checked resize: the images and the taps of height and width (``None``: returned as they are)."""

    x: np.ndarray
    taps: tuple[Taps, Taps] | None
    keep_dtype: bool = False

    def run(self) -> np.ndarray:
        return self.x if self.taps is None else apply_taps(self.x, self.taps, self.keep_dtype)


def plan_taps(x: np.ndarray, out: Size, axis_taps: AxisTaps, op: str, keep_dtype: bool = False) -> ResizeRun:
    """Check the sizes, then plan height and width with ``axis_taps(in_size, out_size)``."""
    check_sizes(x, out, op)
    return ResizeRun(x, (axis_taps(x.shape[-3], out[0]), axis_taps(x.shape[-2], out[1])), keep_dtype)


# -- tf.image.resize -----------------------------------------------------------------------

_SCALE_AND_TRANSLATE = {
    ResizeMethod.LANCZOS3: SamplingKernel.LANCZOS3,
    ResizeMethod.LANCZOS5: SamplingKernel.LANCZOS5,
    ResizeMethod.GAUSSIAN: SamplingKernel.GAUSSIAN,
    ResizeMethod.MITCHELLCUBIC: SamplingKernel.MITCHELL_CUBIC,
}
#: antialiased bilinear and bicubic leave the TF1 kernels for these ScaleAndTranslate filters
_ANTIALIASED = {
    ResizeMethod.BILINEAR: SamplingKernel.TRIANGLE,
    ResizeMethod.BICUBIC: SamplingKernel.KEYS_CUBIC,
}
_METHODS = (
    ResizeMethod.BILINEAR,
    ResizeMethod.NEAREST_NEIGHBOR,
    ResizeMethod.BICUBIC,
    ResizeMethod.AREA,
    *_SCALE_AND_TRANSLATE,
)


def _axis_taps(method: str, antialias: Any, op: str) -> AxisTaps:
    """The per-axis taps ``tf.image.resize`` uses for ``method`` (``image_ops_impl.resize_images_v2``)."""
    if method in _ANTIALIASED and antialias:  # TensorFlow tests truthiness, then wants a bool
        kernel = _ANTIALIASED[method]
        bool_attr(antialias, "antialias", op, True)
        return lambda n, m: scale_and_translate_taps(n, m, kernel, antialias=True)
    if method == ResizeMethod.BILINEAR:
        return lambda n, m: tf_linear_taps(n, m, half_pixel_centers=True)
    if method == ResizeMethod.BICUBIC:
        return lambda n, m: tf_cubic_taps(n, m, half_pixel_centers=True)
    if method == ResizeMethod.NEAREST_NEIGHBOR:
        return lambda n, m: tf_nearest_taps(n, m, half_pixel_centers=True)
    if method == ResizeMethod.AREA:
        return tf_area_taps
    kernel = _SCALE_AND_TRANSLATE[method]
    # None leaves ScaleAndTranslate's attribute at its default, which is antialias=True
    smooth = bool_attr(antialias, "antialias", op, True)
    return lambda n, m: scale_and_translate_taps(n, m, kernel, antialias=smooth)


def lookup_method(method: Any, names: Sequence[Any], op: str) -> Any:
    """The entry of ``names`` equal to ``method`` (TensorFlow compares with ``==``)."""
    for name in names:
        if isinstance(method, (str, int, np.str_, np.integer)) and method == name:
            return name
    raise ValueError(
        f"{op}: resize method {method!r} is not implemented; expected one of {', '.join(map(repr, names))}"
    )


def plan_resize(
    images: Any,
    size: Any,
    method: str = ResizeMethod.BILINEAR,
    preserve_aspect_ratio: bool = False,
    antialias: bool = False,
    name: str | None = None,
) -> ResizeRun:
    """Check a ``resize`` call and plan its kernels (:func:`resize` runs the plan)."""
    op = "resize"
    x, out = images_and_size(images, size, preserve_aspect_ratio, op)
    axis_taps = _axis_taps(lookup_method(method, _METHODS, op), antialias, op)
    return plan_taps(x, out, axis_taps, op, keep_dtype=method == ResizeMethod.NEAREST_NEIGHBOR)


resize = runs_plan(
    plan_resize,
    """Resize ``images`` to ``size``, as ``tf.image.resize`` (TensorFlow 2).

    Parameters
    ----------
    images : array_like
        ``[batch, height, width, channels]`` or ``[height, width, channels]``;
        float16/32/64, int8/16/32/64, uint8 or uint16.
    size : sequence of 2 ints
        ``[new_height, new_width]``.
    method : str
        A :class:`ResizeMethod` value: ``'bilinear'``, ``'nearest'``,
        ``'bicubic'`` (Keys, a = -0.5), ``'area'``, ``'lanczos3'``,
        ``'lanczos5'``, ``'gaussian'`` or ``'mitchellcubic'``.
    preserve_aspect_ratio : bool
        Fit inside ``size`` keeping the aspect ratio (one scale factor for
        both axes, each side rounded half to even).
    antialias : bool
        When down-sampling, stretch the filter over the output's footprint.
        Ignored by ``nearest`` and ``area``; ``bilinear`` and ``bicubic``
        switch to TensorFlow's ``ScaleAndTranslate`` filters.
    name : str, optional
        Ignored (TensorFlow's op name).

    Returns
    -------
    numpy.ndarray
        float32, except ``nearest``, which keeps the input's dtype.

    Shape
    -----
    ``(N, H, W, C) -> (N, new_height, new_width, C)`` (3-d input without ``N``).

    Examples
    --------
    TensorFlow's own docstring example (a 5x5 diagonal resized to 3x5):

    >>> import numpy as np
    >>> image = np.eye(5, dtype=np.int32)[None, :, :, None]
    >>> resize(image, [3, 5])[0, ..., 0].round(4)
    array([[0.6667, 0.3333, 0.    , 0.    , 0.    ],
           [0.    , 0.    , 1.    , 0.    , 0.    ],
           [0.    , 0.    , 0.    , 0.3333, 0.6667]], dtype=float32)
    >>> resize(image, [5, 7], method="nearest")[0, ..., 0]
    array([[1, 0, 0, 0, 0, 0, 0],
           [0, 1, 1, 0, 0, 0, 0],
           [0, 0, 0, 1, 0, 0, 0],
           [0, 0, 0, 0, 1, 1, 0],
           [0, 0, 0, 0, 0, 0, 1]], dtype=int32)
    >>> resize(image, [10, 20], preserve_aspect_ratio=True).shape
    (1, 10, 10, 1)
    """,
)
