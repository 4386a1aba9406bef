"""``tf.compat.v1.image``'s resizers: the TensorFlow 1 kernels with ``align_corners``/``half_pixel_centers``.

Their defaults are the legacy coordinates (``o * in / out``, no half-pixel
shift), which shift the image by half a pixel; ``half_pixel_centers=True``
gives ``tf.image.resize``'s coordinates, and for ``resize_bicubic`` also its
kernel (Keys, a = -0.5, renormalised at the border instead of a = -0.75 with
the edge pixel repeated). ``align_corners=True`` maps corner centres onto
each other; TensorFlow refuses it together with ``half_pixel_centers``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core.resample import Taps, tf_area_taps, tf_cubic_taps, tf_linear_taps, tf_nearest_taps
from .._args import runs_plan
from .._resize import ResizeMethod as ResizeMethodV2
from .._resize import ResizeRun, bool_attr, images_and_size, images_array, lookup_method, plan_taps, size_pair

__all__ = [
    "ResizeMethod",
    "resize",
    "resize_area",
    "resize_bicubic",
    "resize_bilinear",
    "resize_images",
    "resize_nearest_neighbor",
]

LegacyTaps = Callable[[int, int, bool, bool], Taps]


class ResizeMethod:
    """``tf.compat.v1.image.ResizeMethod``: the four TF1 methods, as ints."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def _plan_legacy(
    op: str, taps: LegacyTaps, images: Any, size: Any, align_corners: Any, half_pixel_centers: Any
) -> ResizeRun:
    x = images_array(images, op)
    corners = bool_attr(align_corners, "align_corners", op, False)
    centres = bool_attr(half_pixel_centers, "half_pixel_centers", op, False)
    if corners and centres:
        raise ValueError(f"{op}: if half_pixel_centers is True, align_corners must be False")
    if x.ndim != 4:
        raise ValueError(
            f"{op}: images must be 4-dimensional [batch, height, width, channels], got shape {x.shape}"
        )
    out = size_pair(size, op, legacy=True)
    return plan_taps(x, out, lambda n, m: taps(n, m, corners, centres), op, taps is tf_nearest_taps)


def _legacy_planner(op: str, taps: LegacyTaps) -> Callable[..., ResizeRun]:
    """``plan_{op}``: the planner of a resizer taking ``align_corners`` and ``half_pixel_centers``."""

    def plan(
        images: Any,
        size: Any,
        align_corners: bool = False,
        name: str | None = None,
        half_pixel_centers: bool = False,
    ) -> ResizeRun:
        return _plan_legacy(op, taps, images, size, align_corners, half_pixel_centers)

    plan.__name__ = plan.__qualname__ = f"plan_{op}"
    plan.__doc__ = f"Check a ``{op}`` call and plan its kernels (:func:`{op}` runs the plan)."
    return plan


plan_resize_bilinear = _legacy_planner("resize_bilinear", tf_linear_taps)
resize_bilinear = runs_plan(
    plan_resize_bilinear,
    """Bilinear resizing, as ``tf.compat.v1.image.resize_bilinear``.

    Parameters
    ----------
    images : array_like
        ``[batch, height, width, channels]``.
    size : sequence of 2 ints
        ``[new_height, new_width]``.
    align_corners : bool
        Map the corner pixels' centres onto each other.
    name : str, optional
        Ignored.
    half_pixel_centers : bool
        Pixel centres at half-integers (``tf.image.resize``'s convention).

    Returns
    -------
    numpy.ndarray
        float32, ``[batch, new_height, new_width, channels]``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 4.0]).reshape(1, 1, 2, 1)
    >>> resize_bilinear(x, [1, 4])[0, 0, :, 0]
    array([0., 2., 4., 4.], dtype=float32)
    >>> resize_bilinear(x, [1, 4], align_corners=True)[0, 0, :, 0]
    array([0.       , 1.3333334, 2.6666667, 4.       ], dtype=float32)
    """,
)

plan_resize_nearest_neighbor = _legacy_planner("resize_nearest_neighbor", tf_nearest_taps)
resize_nearest_neighbor = runs_plan(
    plan_resize_nearest_neighbor,
    """Nearest-neighbour resizing, as ``tf.compat.v1.image.resize_nearest_neighbor``; keeps the dtype.

    The source is ``floor(o * scale)`` by default, ``floor((o + 0.5) * scale)``
    with ``half_pixel_centers`` and ``round(o * scale)`` with
    ``align_corners`` (``scale`` in float32).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(3, dtype=np.uint8).reshape(1, 1, 3, 1)
    >>> resize_nearest_neighbor(x, [1, 5])[0, 0, :, 0]
    array([0, 0, 1, 1, 2], dtype=uint8)
    >>> resize_nearest_neighbor(x, [1, 5], half_pixel_centers=True)[0, 0, :, 0]
    array([0, 0, 1, 2, 2], dtype=uint8)
    """,
)

plan_resize_bicubic = _legacy_planner("resize_bicubic", tf_cubic_taps)
resize_bicubic = runs_plan(
    plan_resize_bicubic,
    """Bicubic resizing, as ``tf.compat.v1.image.resize_bicubic``.

    Legacy coordinates use Keys' cubic with a = -0.75 and repeat the edge
    pixel; ``half_pixel_centers`` switches to a = -0.5 with out-of-image
    taps dropped and the weights renormalised. Both read the kernel from a
    1/1024-step table, as TensorFlow does.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 1.0, 0.0, 1.0]).reshape(1, 1, 4, 1)
    >>> resize_bicubic(x, [1, 3])[0, 0, :, 0].round(4)  # TensorFlow 2.21 gives the same
    array([0.    , 0.7412, 0.6301], dtype=float32)
    >>> resize_bicubic(x, [1, 3], half_pixel_centers=True)[0, 0, :, 0].round(4)
    array([0.125, 0.5  , 0.875], dtype=float32)
    """,
)


def _area(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> Taps:
    return tf_area_taps(in_size, out_size, align_corners)


def plan_resize_area(
    images: Any, size: Any, align_corners: bool = False, name: str | None = None
) -> ResizeRun:
    """Check a ``resize_area`` call and plan its kernels (:func:`resize_area` runs the plan)."""
    return _plan_legacy("resize_area", _area, images, size, align_corners, False)


resize_area = runs_plan(
    plan_resize_area,
    """Area resizing (the mean over each output's footprint), as ``tf.compat.v1.image.resize_area``.

    Examples
    --------
    >>> import numpy as np
    >>> resize_area(np.arange(4.0).reshape(1, 1, 4, 1), [1, 2])[0, 0, :, 0]
    array([0.5, 2.5], dtype=float32)
    """,
)


_V1_METHODS: dict[Any, LegacyTaps] = {
    ResizeMethod.BILINEAR: tf_linear_taps,
    ResizeMethod.NEAREST_NEIGHBOR: tf_nearest_taps,
    ResizeMethod.BICUBIC: tf_cubic_taps,
    ResizeMethod.AREA: _area,
    ResizeMethodV2.BILINEAR: tf_linear_taps,
    ResizeMethodV2.NEAREST_NEIGHBOR: tf_nearest_taps,
    ResizeMethodV2.BICUBIC: tf_cubic_taps,
    ResizeMethodV2.AREA: _area,
}


def plan_resize_images(
    images: Any,
    size: Any,
    method: int | str = ResizeMethod.BILINEAR,
    align_corners: bool = False,
    preserve_aspect_ratio: bool = False,
    name: str | None = None,
) -> ResizeRun:
    """Check a ``resize_images`` call and plan its kernels (:func:`resize_images` runs the plan)."""
    op = "resize"
    x, out = images_and_size(images, size, preserve_aspect_ratio, op)
    if out == (x.shape[-3], x.shape[-2]):
        return ResizeRun(x, None)
    taps = _V1_METHODS[lookup_method(method, list(_V1_METHODS), op)]
    corners = bool_attr(align_corners, "align_corners", op, False)
    return plan_taps(x, out, lambda n, m: taps(n, m, corners, False), op, taps is tf_nearest_taps)


resize_images = runs_plan(
    plan_resize_images,
    """Resize with a TF1 kernel, as ``tf.compat.v1.image.resize`` (alias ``resize_images``).

    ``method`` is a :class:`ResizeMethod` int or the string of one of the
    four TF1 methods; legacy coordinates unless ``align_corners``. As in
    TensorFlow, an image already of the requested size is returned as it is
    (its dtype kept, the method not even checked); otherwise the result is
    float32 (nearest keeps the dtype).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 4.0], dtype=np.float32).reshape(1, 2, 1)
    >>> resize_images(x, [1, 4])[0, :, 0]
    array([0., 2., 4., 4.], dtype=float32)
    >>> resize_images(x.astype(np.uint8), [1, 2]).dtype
    dtype('uint8')
    """,
)
resize = resize_images
