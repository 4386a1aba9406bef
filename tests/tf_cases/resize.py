"""Resize cases: ``image.resize`` (every method, antialias, preserve_aspect_ratio, 3-d and 4-d)
and the TF1 resizers of ``compat.v1.image`` (``align_corners``, ``half_pixel_centers``).

Sizes are small and ratios mostly non-integer, with size-1 axes, exact 2x ratios
(where filter supports end exactly on a sample), integer dtypes and invalid
configurations drawn on purpose.

Tolerance: TensorFlow resizes in float32 (inputs cast to float32, float32
weights, float32 sums); convscope applies the same float32 weights with a
different summation order, so results agree to a few float32 ulps of the
largest magnitude: ``rtol = atol = 1e-5`` (atol scaled by that magnitude).
Nearest neighbour is a selection and integer outputs are compared exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Case

V2_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
LEGACY = ("resize_bilinear", "resize_nearest_neighbor", "resize_bicubic", "resize_area")
FLOATS = (np.float32, np.float32, np.float32, np.float64, np.float16)
INTS = (np.uint8, np.int32, np.int16, np.uint16, np.int8, np.int64)


def _image(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        low, high = max(int(info.min), -100), min(int(info.max), 255)
        return rng.integers(low, high + 1, size=shape).astype(dtype)
    return rng.normal(0.0, 3.0, size=shape).astype(dtype)


def _side(rng: np.random.Generator) -> int:
    """An input side: often small, sometimes 1."""
    return int(rng.choice([1, 2, 3, 4, 5, 6, 7, 8], p=[0.1, 0.1, 0.15, 0.15, 0.15, 0.15, 0.1, 0.1]))


def _out_side(rng: np.random.Generator, n: int) -> int:
    """An output side for input side ``n``: up, down, equal, double, half or 1."""
    kind = rng.choice(["any", "double", "half", "same", "one"], p=[0.65, 0.1, 0.1, 0.08, 0.07])
    if kind == "double":
        return 2 * n
    if kind == "half":
        return max(1, n // 2)
    if kind == "same":
        return n
    if kind == "one":
        return 1
    return int(rng.integers(1, 11))


def _dtype(rng: np.random.Generator, integer_ok: float) -> Any:
    return INTS[rng.integers(len(INTS))] if rng.random() < integer_ok else FLOATS[rng.integers(len(FLOATS))]


def _shape(rng: np.random.Generator, rank: int) -> tuple[int, ...]:
    spatial = (_side(rng), _side(rng), int(rng.integers(1, 4)))
    return spatial if rank == 3 else (int(rng.integers(1, 3)), *spatial)


def _break(rng: np.random.Generator, case: Case) -> Case:
    """Make ``case`` invalid in one of the ways TensorFlow refuses."""
    images = case.arrays["images"]
    flaw = rng.choice(["zero_size", "negative", "three_sizes", "float_size", "rank", "dtype", "no_channels"])
    if flaw == "zero_size":
        case.options["size"] = [0, case.options["size"][1]]
    elif flaw == "negative":
        case.options["size"] = [case.options["size"][0], -2]
    elif flaw == "three_sizes":
        case.options["size"] = [*case.options["size"], 2]
    elif flaw == "float_size":
        case.options["size"] = [float(case.options["size"][0]) + 0.5, case.options["size"][1]]
    elif flaw == "rank":
        case.arrays["images"] = images.reshape(images.shape[-3], -1)
    elif flaw == "dtype":
        case.arrays["images"] = images.astype(np.uint32)
    else:
        case.arrays["images"] = images[..., :0]
    case.note += f"; invalid: {flaw}"
    return case


def _draw_v2(rng: np.random.Generator) -> Case:
    method = V2_METHODS[rng.integers(len(V2_METHODS))]
    rank = 3 if rng.random() < 0.3 else 4
    shape = _shape(rng, rank)
    dtype = _dtype(rng, 0.5 if method == "nearest" else 0.2)
    images = _image(rng, shape, dtype)
    height, width = shape[-3], shape[-2]
    options: dict[str, Any] = {"size": [_out_side(rng, height), _out_side(rng, width)], "method": method}
    if rng.random() < 0.5:
        options["antialias"] = bool(rng.random() < 0.6)
    if rng.random() < 0.15:
        options["preserve_aspect_ratio"] = True
        options["size"] = [int(rng.integers(1, 14)), int(rng.integers(1, 14))]
    return Case("image.resize", {"images": images}, options, note=f"{method} {shape} -> {options['size']}")


def _draw_legacy(rng: np.random.Generator) -> Case:
    name = LEGACY[rng.integers(len(LEGACY))]
    shape = _shape(rng, 4)
    dtype = _dtype(rng, 0.5 if name == "resize_nearest_neighbor" else 0.2)
    images = _image(rng, shape, dtype)
    options: dict[str, Any] = {"size": [_out_side(rng, shape[1]), _out_side(rng, shape[2])]}
    corners = rng.random() < 0.35
    if corners or rng.random() < 0.3:
        options["align_corners"] = bool(corners)
    # mostly without align_corners: both True is refused
    if name != "resize_area" and (not corners or rng.random() < 0.1) and rng.random() < 0.6:
        options["half_pixel_centers"] = bool(rng.random() < 0.7)
    return Case(f"compat.v1.image.{name}", {"images": images}, options, note=f"{name} {shape}")


def _draw_v1_resize(rng: np.random.Generator) -> Case:
    methods: list[Any] = [0, 1, 2, 3, "bilinear", "nearest", "bicubic", "area"]
    method = methods[rng.integers(len(methods))]
    rank = 3 if rng.random() < 0.3 else 4
    shape = _shape(rng, rank)
    images = _image(rng, shape, _dtype(rng, 0.3))
    options: dict[str, Any] = {
        "size": [_out_side(rng, shape[-3]), _out_side(rng, shape[-2])],
        "method": method,
    }
    if rng.random() < 0.4:
        options["align_corners"] = bool(rng.random() < 0.6)
    if rng.random() < 0.15:
        options["preserve_aspect_ratio"] = True
    return Case("compat.v1.image.resize", {"images": images}, options, note=f"v1 resize {method!r} {shape}")


def draw(rng: np.random.Generator) -> Case:
    """One random resize call; about one in ten is invalid on purpose."""
    pick = rng.random()
    case = _draw_v2(rng) if pick < 0.6 else _draw_legacy(rng) if pick < 0.88 else _draw_v1_resize(rng)
    return _break(rng, case) if rng.random() < 0.1 else case


def _fixed() -> list[Case]:
    """Configurations worth pinning: TensorFlow quirks a random draw may miss."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1, 8, 6, 2)).astype(np.float32)
    cases = [
        # Gaussian's support ends at 1.5 with a jump (exp(-4.5)): exact 2x ratios land on it
        Case(
            "image.resize",
            {"images": x},
            {"size": [4, 3], "method": "gaussian"},
            note="gaussian edge, 2x down",
        ),
        Case("image.resize", {"images": x}, {"size": [16, 12], "method": "gaussian"}, note="gaussian 2x up"),
        # antialias=None leaves ScaleAndTranslate's attribute at its default, True
        Case("image.resize", {"images": x}, {"size": [3, 2], "method": "lanczos3", "antialias": None}),
        Case("image.resize", {"images": x}, {"size": [3, 5], "method": "bicubic", "antialias": True}),
        # preserve_aspect_ratio rounds half to even: width 2 * 0.25 = 0.5 -> 0, refused
        Case(
            "image.resize",
            {"images": np.ones((4, 2, 1), np.float32)},
            {"size": [1, 9], "preserve_aspect_ratio": True},
        ),
        Case(
            "image.resize", {"images": x}, {"size": [5, 100], "preserve_aspect_ratio": True, "method": "area"}
        ),
        # TF1 resize returns an image of the requested size untouched, dtype and all
        Case("compat.v1.image.resize", {"images": (x * 10).astype(np.uint8)}, {"size": [8, 6], "method": 2}),
        # flags must be real bools; align_corners with half_pixel_centers is refused
        Case("compat.v1.image.resize_bilinear", {"images": x}, {"size": [3, 3], "align_corners": 1}),
        Case(
            "compat.v1.image.resize_nearest_neighbor",
            {"images": x},
            {"size": [3, 3], "align_corners": True, "half_pixel_centers": True},
        ),
        Case("compat.v1.image.resize_area", {"images": x}, {"size": [5, 4], "align_corners": True}),
        Case("compat.v1.image.resize_bicubic", {"images": x}, {"size": [11, 13], "align_corners": True}),
        Case(
            "image.resize",
            {"images": x},
            {"size": [5, 5], "method": "BILINEAR"},
            note="method names are lowercase",
        ),
        Case(
            "image.resize",
            {"images": np.zeros((0, 3, 4, 2), np.float32)},
            {"size": [5, 2]},
            note="empty batch",
        ),
    ]
    for case in cases:
        case.note = case.note or "fixed"
    return cases


FIXED = _fixed()
