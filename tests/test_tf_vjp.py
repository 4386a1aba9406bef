"""Gradients of ``convscope.tf``: ``convscope.vjp`` against TensorFlow's ``tf.GradientTape``.

Cases are the TensorFlow comparison families of ``tests/tf_cases`` (valid,
floating-point calls only; float16 runs as float32). Where TensorFlow 2.21
has no gradient (dilated convolutions on the CPU, ``ResizeArea``, depthwise
max pooling) or its gradient is not the derivative of its own forward pass
(3-d SAME windows smaller than their stride: the forward kernel centres them,
the gradient kernel does not), the pullback is checked against central
differences of convscope's forward pass instead: exact for the linear
operators, and for max pooling on inputs without ties. That identity check
also runs without TensorFlow, over every family.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope
import convscope.tf as ctf
import tf_cases  # first: it sets TF_ENABLE_ONEDNN_OPTS=0 before TensorFlow loads
from convscope.core import SameConvention, resolve_padding
from tf_cases import Case, resolve

HAVE_TF = importlib.util.find_spec("tensorflow") is not None
needs_tf = pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")
FAMILIES = ("conv", "pool", "resize", "space")
TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}
#: TensorFlow 2.21's refusals to differentiate (message fragments); there the identity check stands in.
NO_TF_GRADIENT = (
    "dilation rates larger than 1",
    "no entry for: ResizeArea",
    "not yet supported on the depth dimension",
    "Gradients for grouped convolutions are not supported on CPU",
    "cannot compute ScaleAndTranslateGrad",  # float64 images: its gradient kernel is float32 only
    "{{node MaxPoolGradWithArgmax}}",  # registered for int64 indices only: output_dtype=int32 has no gradient
)


def _first(result: Any) -> Any:
    """``max_pool_with_argmax`` returns ``(values, indices)``: the values are what is differentiated."""
    return result[0] if isinstance(result, (tuple, list)) else result


def _usable(case: Case) -> Case | None:
    """``case`` with float16 run as float32, if it is a floating-point call convscope accepts."""
    if any(a.dtype.kind != "f" for a in case.arrays.values()):
        return None
    arrays = {k: a.astype(np.float32) if a.dtype == np.float16 else a for k, a in case.arrays.items()}
    usable = Case(case.call, arrays, dict(case.options), note=case.note)
    try:
        tf_cases.invoke(ctf, usable)
    except (ValueError, TypeError):
        return None
    return usable


def _draw(family: str, seed: int, accept: Callable[[Case], bool] = lambda case: True) -> Case:
    rng = np.random.default_rng(seed)
    draw = tf_cases.family(family).draw
    for _ in range(2000):
        case = _usable(draw(rng))
        if case is not None and accept(case):
            return case
    raise AssertionError(f"no acceptable {family} case in 2000 draws (seed {seed})")


def _spatial_max_pool(case: Case) -> bool:
    """Max pooling over space (not TensorFlow's depthwise max pooling, which has no gradient there)."""
    ksize = case.options.get("ksize", 1)
    return _is_max(case) and (np.isscalar(ksize) or len(ksize) < 3 or ksize[-1] == 1)


def _ours(case: Case, arrays: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, Callable[..., Any]]:
    arrays = case.arrays if arrays is None else arrays
    out, pullback = convscope.vjp(resolve(ctf, case.call), *arrays.values(), **case.options)
    return _first(out), pullback


def _forward(case: Case, arrays: dict[str, np.ndarray]) -> np.ndarray:
    return np.asarray(_first(resolve(ctf, case.call)(**arrays, **case.options)), np.float64)


def _is_max(case: Case) -> bool:
    return "max_pool" in case.call or case.options.get("pooling_type") == "MAX"


def _spatial(value: Any, spatial: int) -> tuple[int, ...]:
    """A stride/window in any of TensorFlow's spellings, per spatial axis."""
    items = [value] if np.isscalar(value) else list(value)
    if len(items) == spatial + 2:
        items = items[1:-1]
    return tuple(int(v) for v in (items * spatial if len(items) == 1 else items))


def _eigen_centred(case: Case) -> bool:
    """A 3-d SAME window smaller than its stride: TensorFlow's forward centres it, its gradient does not.

    That is where the forward's padding (``SameConvention.TF_EIGEN``) differs from the 2-d rule
    (``SameConvention.TF``) that TensorFlow's 3-d gradient kernels use.
    """
    x = next(iter(case.arrays.values()))
    if case.options.get("padding") != "SAME" or x.ndim != 5:
        return False
    name = case.call.split(".")[-1]
    if name in ("conv3d", "convolution"):
        window = case.arrays["filters"].shape[:3]
        strides = _spatial(case.options.get("strides", 1), 3)
    elif "pool" in name and "window_shape" in case.options:
        window, strides = tuple(case.options["window_shape"]), _spatial(case.options.get("strides", 1), 3)
    elif "pool" in name:
        window, strides = _spatial(case.options["ksize"], 3), _spatial(case.options["strides"], 3)
    else:
        return False
    sizes = x.shape[1:4]
    return bool(
        resolve_padding("SAME", sizes, window, strides, SameConvention.TF_EIGEN)
        != resolve_padding("SAME", sizes, window, strides, SameConvention.TF)
    )


def _tolerance(*dtypes: np.dtype[Any]) -> float:
    """The tolerance of the least precise dtype involved (resizes compute in float32 whatever the input)."""
    return max(TOLERANCE[np.dtype(d)] for d in dtypes)


def _cotangent(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    return rng.standard_normal(out.shape).astype(out.dtype)


def _tf_vjp(case: Case, cot: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """TensorFlow's output and gradients, or ``None`` where it has no gradient for the call."""
    import tensorflow as tf

    names = list(case.arrays)
    sources = [tf.constant(a) for a in case.arrays.values()]
    options = dict(case.options)
    if case.call in ("nn.convolution", "nn.max_pool", "nn.avg_pool") and sources[0].shape.rank == 5:
        # Without a data_format these reach Conv3D/MaxPool3D/AvgPool3D with data_format=None, and
        # their gradient functions fail decoding it (AttributeError); NDHWC is the same call.
        options["data_format"] = options.get("data_format") or "NDHWC"
    with tf.GradientTape() as tape:
        for source in sources:
            tape.watch(source)
        out = _first(resolve(tf, case.call)(**dict(zip(names, sources)), **options))
    try:
        grads = tape.gradient(out, sources, output_gradients=tf.constant(cot, dtype=out.dtype))
    except Exception as error:  # TensorFlow refuses with several exception types
        if any(fragment in str(error) for fragment in NO_TF_GRADIENT):
            return None
        raise
    return out.numpy(), [
        np.zeros_like(a) if g is None else g.numpy() for g, a in zip(grads, case.arrays.values())
    ]


def assert_close(mine: np.ndarray, ref: np.ndarray, tol: float, label: str) -> None:
    finite = np.abs(ref[np.isfinite(ref)].astype(np.float64))
    scale = max(1.0, float(finite.max()) if finite.size else 1.0)
    assert mine.shape == ref.shape, f"{label}: shape {mine.shape} != {ref.shape}"
    np.testing.assert_allclose(mine.astype(np.float64), ref, rtol=tol, atol=tol * scale, err_msg=label)


def assert_pullback_is_derivative(case: Case, seed: int) -> None:
    """<d/de f(a + e v), y> == <pullback(y), v> by central differences, one array at a time.

    On fresh inputs: normals for the linear operators (a step of 1 is exact),
    and for max pooling a permutation of 0..n-1 (no ties) moved by less than
    half the gap (max is then locally linear).
    """
    rng = np.random.default_rng(seed)
    maximum = _is_max(case)
    arrays = {}
    for name, a in case.arrays.items():
        values = rng.permutation(a.size).reshape(a.shape) if maximum else rng.standard_normal(a.shape)
        arrays[name] = values.astype(a.dtype)
    out, pullback = _ours(case, arrays)
    cot = _cotangent(rng, out)
    grads = pullback(cot)
    assert len(grads) == len(arrays)
    step = 0.2 if maximum else 1.0
    for (name, a), grad in zip(arrays.items(), grads):
        assert grad.shape == a.shape and grad.dtype == a.dtype, (name, grad.shape, grad.dtype)
        v = rng.uniform(-1.0, 1.0, a.shape).astype(a.dtype)
        plus, minus = dict(arrays), dict(arrays)
        plus[name], minus[name] = a + step * v, a - step * v
        slope = (_forward(case, plus) - _forward(case, minus)) / (2 * step)
        expected = float(np.vdot(slope, cot.astype(np.float64)))
        got = float(np.vdot(grad.astype(np.float64), v.astype(np.float64)))
        tol = 1e-4 if maximum else _tolerance(a.dtype, out.dtype)
        scale = max(1.0, float(np.abs(slope).sum() * np.abs(cot).max(initial=0.0)))
        assert abs(expected - got) <= tol * scale, f"{case.call} d/d{name}: {got} != {expected}; {case.note}"


def assert_matches_tensorflow(case: Case, seed: int) -> None:
    rng = np.random.default_rng(seed)
    out, pullback = _ours(case)
    cot = _cotangent(rng, out)
    grads = pullback(cot)
    label = f"{case.call} {case.note}"
    if out.size == 0:  # TensorFlow's MaxPoolGrad returns uninitialised memory here; nothing flows
        assert all(not g.any() for g in grads), label
        return
    reference = None if _eigen_centred(case) else _tf_vjp(case, cot)
    if reference is None:
        assert_pullback_is_derivative(case, seed)
        return
    tf_out, tf_grads = reference
    tol = _tolerance(out.dtype, *(a.dtype for a in case.arrays.values()))
    assert_close(out, tf_out.astype(np.float64), tol, f"forward {label}")
    assert len(grads) == len(tf_grads)
    for (name, a), grad, ref in zip(case.arrays.items(), grads, tf_grads):
        assert grad.dtype == a.dtype, f"d/d{name} {label}: dtype {grad.dtype} != {a.dtype}"
        assert_close(grad, ref.astype(np.float64), tol, f"d/d{name} {label}")


def _tf_differentiates(case: Case) -> bool:
    """Whether TensorFlow's gradient of ``case`` exists and is the derivative of its forward pass."""
    out = _forward(case, case.arrays)
    return (
        out.size > 0 and not _eigen_centred(case) and _tf_vjp(case, np.ones(out.shape, out.dtype)) is not None
    )


@needs_tf
@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1))
def test_vjp_matches_tensorflow(family: str, seed: int) -> None:
    assert_matches_tensorflow(_draw(family, seed, _tf_differentiates), seed)


@needs_tf
@pytest.mark.parametrize("family", ["conv", "pool", "resize"])
@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1))
def test_where_tensorflow_has_no_gradient(family: str, seed: int) -> None:
    """Empty outputs, TensorFlow's refusals and its 3-d centring corner: the forward pass's derivative."""
    assert_matches_tensorflow(_draw(family, seed, lambda case: not _tf_differentiates(case)), seed)


@needs_tf
@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1))
def test_max_pool_vjp_matches_tensorflow(seed: int) -> None:
    """Gradients routed to TensorFlow's maxima, ties and NaN included (the pool family has both)."""
    assert_matches_tensorflow(_draw("pool", seed, _spatial_max_pool), seed)


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1))
def test_pullback_is_the_derivative_of_the_forward_pass(family: str, seed: int) -> None:
    """Runs without TensorFlow: every rule against central differences of convscope's own forward pass."""
    assert_pullback_is_derivative(_draw(family, seed), seed)


TIES = [
    # MaxPool (1-d, 2-d): the first maximum in row-major window order
    Case(
        "nn.max_pool2d",
        {"input": np.array([1, 5, 5, 2.0]).reshape(1, 2, 2, 1)},
        {"ksize": 2, "strides": 2, "padding": "VALID"},
    ),
    Case(
        "nn.max_pool1d",
        {"input": np.array([1, 5, 5, 2.0]).reshape(1, 4, 1)},
        {"ksize": 2, "strides": 1, "padding": "VALID"},
    ),
    Case(
        "nn.max_pool_with_argmax",
        {"input": np.array([3, 3, 3, 3.0]).reshape(1, 2, 2, 1)},
        {"ksize": 2, "strides": 1, "padding": "SAME"},
    ),
    # MaxPool3D: every cell within 1e-5 of the maximum
    Case(
        "nn.max_pool3d",
        {"input": np.array([1, 5, 5, 2, 0, 5 + 4e-6, 3, 5], np.float32).reshape(1, 2, 2, 2, 1)},
        {"ksize": 2, "strides": 1, "padding": "SAME"},
    ),
    Case(
        "nn.pool",
        {"input": np.array([2, 2, 1, 2.0], np.float32).reshape(1, 2, 2, 1, 1)},
        {"window_shape": [2, 2, 1], "pooling_type": "MAX", "padding": "VALID"},
    ),
]


@needs_tf
@pytest.mark.parametrize("case", TIES, ids=lambda c: c.call)
def test_max_pool_ties_route_like_tensorflow(case: Case) -> None:
    assert_matches_tensorflow(case, 0)


def test_tf_ops_are_registered() -> None:
    """Every differentiable ``convscope.tf`` operator has a pullback; integer inputs are refused."""
    from convscope.autodiff.registry import _RULES

    names = [*ctf.nn.__all__, "image.resize", *(f"compat.v1.image.{n}" for n in ctf.compat.v1.image.__all__)]
    functions = [resolve(ctf, n if "." in n else f"nn.{n}") for n in names]
    missing = [
        n for n, f in zip(names, functions) if callable(f) and not isinstance(f, type) and f not in _RULES
    ]
    assert missing == []
    with pytest.raises(TypeError, match="floating point"):
        convscope.vjp(
            ctf.nn.conv2d,
            np.ones((1, 3, 3, 1), np.int32),
            np.ones((2, 2, 1, 1), np.int32),
            strides=1,
            padding="VALID",
        )
