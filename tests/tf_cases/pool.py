"""Pooling cases: ``nn.max_pool1d/2d/3d``, ``nn.avg_pool1d/2d/3d``, the rank-generic
``nn.max_pool``/``nn.avg_pool``, ``nn.pool`` (with dilation) and ``nn.max_pool_with_argmax``.

Sizes are small and often odd, so SAME pads unevenly; strides above the window,
VALID windows overhanging the input, explicit padding, depthwise max pooling,
every dtype a CPU kernel registers, ties (small integer-valued floats), NaN and
``-inf`` are drawn, and about one case in six is invalid on purpose.

Dtypes: TensorFlow's eager fast path converts a NumPy input of ``MaxPool``
(``max_pool2d``, and ``max_pool`` of 4-D data) with the op's default dtype,
float32, after the first call: an int32 array pools as int32 once and as
float32 thereafter. Those calls get float32 inputs only; ``max_pool1d`` (which
expands the input to a tensor first) carries the integer dtypes of ``MaxPool``.

NaN: ``MaxPool3D`` and depthwise ``MaxPool`` treat NaN differently with the
SIMD width (the number of channels), so their cases hold none.

Tolerance: TensorFlow sums in the input's float type (float16 in float32 here),
so averages agree to a few ulps: ``rtol = atol = 1e-5`` (float32), ``1e-12``
(float64), ``2e-3`` (float16). Maxima and indices are compared exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Case

MAXPOOL_DTYPES = (
    np.float32,
    np.float64,
    np.float16,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
)
ARGMAX_DTYPES = (*MAXPOOL_DTYPES, np.uint32, np.uint64)
AVG_DTYPES = (np.float32, np.float64, np.float16)
LAYOUTS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _pick(rng: np.random.Generator, items: Any) -> Any:
    return items[int(rng.integers(len(items)))]


def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, specials: bool) -> np.ndarray:
    """Small integers (ties) or normals; NaN and +-inf sprinkled in when ``specials``."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = (int(info.min), int(info.max)) if rng.random() < 0.2 else (max(int(info.min), -4), 5)
        return rng.integers(low, high, size=shape, dtype=dtype, endpoint=True)
    if rng.random() < 0.5:
        x = rng.integers(-3, 4, size=shape).astype(dtype)
    else:
        x = rng.normal(0.0, 2.0, size=shape).astype(dtype)
    if specials and x.size and rng.random() < 0.4:
        for value, share in ((np.nan, 0.15), (-np.inf, 0.3), (np.inf, 0.03)):
            x[rng.random(shape) < share * rng.random()] = value
    return x


def _tolerance(dtype: Any) -> float:
    return {np.dtype(np.float16): 2e-3, np.dtype(np.float64): 1e-12}.get(np.dtype(dtype), 1e-5)


def _window(
    rng: np.random.Generator, spatial: int, long_form: float
) -> tuple[Any, Any, list[int], list[int]]:
    """``(ksize, strides)`` in one of TensorFlow's spellings, and their spatial values."""
    ksize = [int(rng.integers(1, 5)) for _ in range(spatial)]
    strides = [int(rng.integers(1, 5)) for _ in range(spatial)]
    if rng.random() < 0.25:  # one value for every axis
        ksize, strides = [ksize[0]] * spatial, [strides[0]] * spatial
        spelled_k: Any = ksize[0] if rng.random() < 0.5 else [ksize[0]]
        spelled_s: Any = strides[0] if rng.random() < 0.5 else [strides[0]]
    elif rng.random() < long_form:
        spelled_k, spelled_s = [1, *ksize, 1], [1, *strides, 1]
    else:
        spelled_k, spelled_s = list(ksize), list(strides)
    return spelled_k, spelled_s, ksize, strides


def _shape(rng: np.random.Generator, spatial: int, channels: int | None = None) -> tuple[int, ...]:
    top = {1: 9, 2: 7, 3: 5}[spatial]
    sides = tuple(int(rng.integers(1, top + 1)) for _ in range(spatial))
    c = channels if channels is not None else int(rng.integers(1, 4))
    return (int(rng.integers(1, 3)), *sides, c)


def _padding(rng: np.random.Generator, ksize: list[int], explicit_ok: bool) -> Any:
    if explicit_ok and rng.random() < 0.3:
        pairs = [[int(rng.integers(0, k)), int(rng.integers(0, k))] for k in ksize]
        return [[0, 0], *pairs, [0, 0]]
    return "SAME" if rng.random() < 0.55 else "VALID"


def _pool_case(rng: np.random.Generator) -> Case:
    kind = _pick(rng, ("max", "avg"))
    spatial = int(rng.integers(1, 4))
    generic = rng.random() < 0.2
    maximum = kind == "max"
    if spatial == 3:
        dtype: Any = np.float32
    elif maximum:
        dtype = _pick(rng, MAXPOOL_DTYPES) if spatial == 1 else np.float32
    else:
        dtype = _pick(rng, AVG_DTYPES)
    spelled_k, spelled_s, ksize, _ = _window(rng, spatial, 0.2)
    shape = _shape(rng, spatial)
    padding = _padding(rng, ksize, maximum and spatial < 3)
    specials = spatial < 3 or not maximum
    x = _values(rng, shape, dtype, specials)
    options: dict[str, Any] = {"ksize": spelled_k, "strides": spelled_s, "padding": padding}
    if rng.random() < 0.3:
        options["data_format"] = LAYOUTS[spatial][0] if not generic or rng.random() < 0.5 else None
    call = f"nn.{kind}_pool" if generic else f"nn.{kind}_pool{spatial}d"
    tol = _tolerance(dtype)
    return Case(call, {"input": x}, options, rtol=tol, atol=tol, note=f"{kind} pooling, {spatial}-d")


def _depth_case(rng: np.random.Generator) -> Case:
    """Depthwise max pooling: the channels in groups, spatial sizes kept."""
    spatial = int(rng.integers(1, 3))
    k = int(rng.integers(2, 4))
    shape = _shape(rng, spatial, channels=k * int(rng.integers(1, 3)))
    dtype = _pick(rng, MAXPOOL_DTYPES) if spatial == 1 else np.float32
    x = _values(rng, shape, dtype, specials=False)
    ones = [1] * spatial
    options = {"ksize": [1, *ones, k], "strides": [1, *ones, k], "padding": _pick(rng, ("SAME", "VALID"))}
    return Case(f"nn.max_pool{spatial}d", {"input": x}, options, note="depthwise max pooling")


def _argmax_case(rng: np.random.Generator) -> Case:
    dtype = _pick(rng, ARGMAX_DTYPES)
    spelled_k, spelled_s, _, _ = _window(rng, 2, 0.2)
    shape = _shape(rng, 2, channels=int(rng.integers(1, 5)))
    x = _values(rng, shape, dtype, specials=True)
    options: dict[str, Any] = {
        "ksize": spelled_k,
        "strides": spelled_s,
        "padding": _pick(rng, ("SAME", "VALID")),
    }
    if rng.random() < 0.6:
        options["include_batch_in_index"] = bool(rng.random() < 0.5)
    if rng.random() < 0.5:
        options["output_dtype"] = _pick(rng, ("int32", "int64"))
    return Case("nn.max_pool_with_argmax", {"input": x}, options, note="argmax: ties, NaN, index layout")


def _generic_pool_case(rng: np.random.Generator) -> Case:
    """``nn.pool``: strides up to the window, or dilation (VALID, unit strides)."""
    spatial = int(rng.integers(1, 4))
    pooling_type = _pick(rng, ("MAX", "AVG"))
    window = [int(rng.integers(1, 4)) for _ in range(spatial)]
    options: dict[str, Any] = {"window_shape": window, "pooling_type": pooling_type}
    if rng.random() < 0.5:
        options["dilations"] = [int(rng.integers(1, 4)) for _ in range(spatial)]
        options["padding"] = "VALID"
    else:
        options["strides"] = [int(rng.integers(1, k + 1)) for k in window]
        options["padding"] = _pick(rng, ("SAME", "VALID"))
    dtype: Any = np.float32
    if spatial < 3:
        dtype = _pick(rng, MAXPOOL_DTYPES if pooling_type == "MAX" else AVG_DTYPES)
    specials = spatial < 3 or pooling_type == "AVG"
    shape = _shape(rng, spatial)
    if "dilations" in options and rng.random() < 0.8:  # mostly large enough for the dilated window
        spans = [d * (k - 1) + 1 for k, d in zip(window, options["dilations"])]
        shape = (shape[0], *(span + int(rng.integers(0, 3)) for span in spans), shape[-1])
    x = _values(rng, shape, dtype, specials)
    tol = _tolerance(dtype)
    return Case("nn.pool", {"input": x}, options, rtol=tol, atol=tol, note="nn.pool")


def _break(rng: np.random.Generator, case: Case) -> Case:
    """Make ``case`` invalid in one of the ways TensorFlow refuses."""
    x = case.arrays["input"]
    spatial = x.ndim - 2
    options = case.options
    argmax = case.call == "nn.max_pool_with_argmax"
    flaws = ["layout", "lower", "zero_ksize", "zero_stride", "batch_ksize", "rank", "too_big", "length"]
    if case.call.startswith("nn.avg") or spatial == 3 or argmax:
        flaws.append("explicit")
    elif case.call != "nn.pool":
        flaws += ["pad_too_big", "pad_batch"]
    if argmax:
        flaws += ["empty", "argmax_dtype"]
    if case.call in ("nn.avg_pool1d", "nn.avg_pool2d") and x.dtype.kind == "f":
        flaws.append("int_dtype")
    flaw = _pick(rng, flaws)
    note = f"invalid: {flaw}"
    if case.call == "nn.pool":
        ksize_key, strides_key = "window_shape", "strides"
    else:
        ksize_key, strides_key = "ksize", "strides"
    if flaw == "layout":
        options["data_format"] = LAYOUTS[spatial][1] if not argmax else "NCHW"
    elif flaw == "lower":
        options["padding"] = "same"
    elif flaw == "zero_ksize":
        options[ksize_key] = [0] * spatial if case.call == "nn.pool" else 0
    elif flaw == "zero_stride":
        options[strides_key] = [0] * spatial
    elif flaw == "batch_ksize":
        if case.call == "nn.pool":
            options["strides"] = [*options["window_shape"], 1]
        else:
            options[ksize_key] = [2, *[2] * spatial, 1]
            if spatial == 1:  # max_pool1d puts this entry on a dummy axis of size 1, which SAME pads
                options["padding"] = "VALID"
    elif flaw == "rank":
        case.arrays["input"] = x[0]
    elif flaw == "too_big":  # VALID, the window overhangs the input by a stride or more
        size = x.shape[1]
        options["padding"] = "VALID"
        options.pop("dilations", None)
        if case.call == "nn.pool":
            options["window_shape"] = [size + 2] * spatial
            options["strides"] = [1] * spatial
        else:
            options[ksize_key] = [size + 2] * spatial
            options[strides_key] = [1] * spatial
    elif flaw == "length":
        options[ksize_key] = [2] * (spatial + 1)
    elif flaw == "explicit":
        options["padding"] = [[0, 0], *[[1, 1]] * spatial, [0, 0]]
    elif flaw == "pad_too_big":
        options["ksize"] = [2] * spatial
        options["padding"] = [[0, 0], *[[2, 0]] * spatial, [0, 0]]
    elif flaw == "pad_batch":
        options["padding"] = [[1, 0], *[[0, 0]] * spatial, [0, 0]]
    elif flaw == "empty":
        case.arrays["input"] = x[:0]
    elif flaw == "argmax_dtype":
        options["output_dtype"] = _pick(rng, ("int16", "float32", "uint32"))
    elif flaw == "int_dtype":
        case.arrays["input"] = np.zeros(x.shape, np.int32)
    case.note = note
    return case


def draw(rng: np.random.Generator) -> Case:
    """One random pooling configuration (about one in six invalid on purpose)."""
    maker = _pick(
        rng, (_pool_case, _pool_case, _pool_case, _argmax_case, _argmax_case, _generic_pool_case, _depth_case)
    )
    case = maker(rng)
    if rng.random() < 0.17:
        case = _break(rng, case)
    return case
