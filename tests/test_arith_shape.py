"""convscope.arith.shape_report against the shapes the operators actually produce.

Oracles: convscope.functional (itself verified against PyTorch) for the torch
convention -- same configuration, either both refuse or the report's output is
the operator's output shape -- and real TensorFlow (tensorflow-cpu, reference
kernels) for the TF convention, when it is importable.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope.functional as CF
from convscope.arith import SHAPE_OPS, ShapeReport, shape_report
from convscope.core import tf_transpose_sizes

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TF's reference kernels (see tests/tf_cases)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ERRORS = (ValueError, TypeError)


def _ints(n: int, lo: int, hi: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.tuples(*[st.integers(lo, hi)] * n)


def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape)


def assert_same_verdict(report: Any, run: Any) -> None:
    """``report`` (a thunk) and ``run`` (the operator, a thunk) agree: both refuse, or same spatial shape."""
    try:
        result: ShapeReport = report()
    except ERRORS:
        with pytest.raises(ERRORS):
            run()
        return
    out = run()
    assert tuple(out.shape[2:]) == result.output, result
    assert json.loads(json.dumps(result.to_dict()))["output"] == list(result.output)
    for axis in result.axes:
        assert axis.formula.endswith(f" = {axis.output}")


def assert_formula_value(result: ShapeReport) -> None:
    """Each formula's right-hand side, evaluated, is its answer (ceil_mode's dropped window aside)."""
    for axis in result.axes:
        expression = axis.formula.split(" = ")[-2]
        value = eval(expression, {"floor": math.floor, "ceil": math.ceil, "trunc": math.trunc})
        assert int(value) == axis.output, axis.formula


# -- torch convention: against convscope.functional --------------------------------------
@st.composite
def conv_configs(draw: st.DrawFn) -> tuple[tuple[int, ...], dict[str, Any]]:
    n = draw(st.integers(1, 3))
    sizes = draw(_ints(n, 1, (9, 7, 5)[n - 1]))
    params: dict[str, Any] = {
        "kernel_size": draw(st.one_of(st.integers(1, 4), _ints(n, 1, 4))),
        "stride": draw(st.one_of(st.integers(1, 3), _ints(n, 1, 3))),
        "dilation": draw(st.one_of(st.integers(1, 3), _ints(n, 1, 3))),
    }
    params["padding"] = draw(
        st.one_of(
            st.integers(0, 3),
            _ints(n, 0, 3),
            st.tuples(*[st.tuples(st.integers(0, 3), st.integers(0, 3))] * n),
            st.sampled_from(["same", "valid"]),
        )
    )
    return sizes, params


@given(conv_configs())
def test_conv(config: tuple[tuple[int, ...], dict[str, Any]]) -> None:
    sizes, p = config
    n = len(sizes)
    kernel = (p["kernel_size"],) * n if isinstance(p["kernel_size"], int) else p["kernel_size"]
    run = getattr(CF, f"conv{n}d")
    x, w = _zeros(1, 1, *sizes), _zeros(1, 1, *kernel)
    assert_same_verdict(
        lambda: shape_report("conv", sizes, **p),
        lambda: run(x, w, stride=p["stride"], padding=p["padding"], dilation=p["dilation"]),
    )


@given(
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            _ints(n, 1, 5), _ints(n, 1, 4), _ints(n, 1, 3), _ints(n, 0, 2), _ints(n, 0, 2), _ints(n, 1, 3)
        )
    )
)
def test_conv_transpose(config: tuple[tuple[int, ...], ...]) -> None:
    sizes, kernel, stride, padding, out_pad, dilation = config
    p = {"kernel_size": kernel, "stride": stride, "padding": padding, "output_padding": out_pad}
    p["dilation"] = dilation
    run = getattr(CF, f"conv_transpose{len(sizes)}d")
    x, w = _zeros(1, 1, *sizes), _zeros(1, 1, *kernel)
    assert_same_verdict(
        lambda: shape_report("conv_transpose", sizes, **p),
        lambda: run(x, w, stride=stride, padding=padding, output_padding=out_pad, dilation=dilation),
    )
    try:
        result = shape_report("conv_transpose", sizes, **p)
    except ERRORS:
        return
    assert_formula_value(result)
    for a, axis in enumerate(result.axes):  # every alternative is what that output_padding produces
        for choice in axis.alternatives:
            q = tuple(choice.output_padding if b == a else 0 for b in range(len(sizes)))
            got = run(x, w, stride=stride, padding=padding, output_padding=q, dilation=dilation)
            assert got.shape[2 + a] == choice.size


@st.composite
def pool_configs(draw: st.DrawFn) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    op = draw(st.sampled_from(["max_pool", "avg_pool"]))
    n = draw(st.integers(1, 3))
    sizes = draw(_ints(n, 1, (9, 7, 5)[n - 1]))
    p: dict[str, Any] = {
        "kernel_size": draw(_ints(n, 1, 4)),
        "stride": draw(st.one_of(st.none(), _ints(n, 1, 3))),
        "padding": draw(_ints(n, 0, 2)),
        "ceil_mode": draw(st.booleans()),
    }
    if op == "max_pool":
        p["dilation"] = draw(_ints(n, 1, 3))
    return op, sizes, p


@given(pool_configs())
def test_pools(config: tuple[str, tuple[int, ...], dict[str, Any]]) -> None:
    op, sizes, p = config
    run = getattr(CF, f"{op}{len(sizes)}d")
    x = _zeros(1, 1, *sizes)
    assert_same_verdict(lambda: shape_report(op, sizes, **p), lambda: run(x, **p))


@given(
    st.sampled_from(["max_unpool", "avg_unpool"]),
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(_ints(n, 1, 4), _ints(n, 1, 3), _ints(n, 1, 3), _ints(n, 0, 1), _ints(n, -3, 3))
    ),
    st.booleans(),
)
def test_unpools(op: str, config: tuple[tuple[int, ...], ...], sized: bool) -> None:
    sizes, kernel, stride, padding, offset = config
    try:
        default = shape_report(op, sizes, kernel_size=kernel, stride=stride, padding=padding).output
    except ERRORS:
        default, sized = sizes, False
    output_size = tuple(d + o for d, o in zip(default, offset)) if sized else None
    p = {"kernel_size": kernel, "stride": stride, "padding": padding, "output_size": output_size}
    x = _zeros(1, 1, *sizes)
    if op == "max_unpool":
        index = np.zeros(x.shape, dtype=np.int64)
        run = lambda: CF.__dict__[f"max_unpool{len(sizes)}d"](x, index, **p)  # noqa: E731
    else:
        run = lambda: CF.__dict__[f"avg_unpool{len(sizes)}d"](x, **p)  # noqa: E731
    assert_same_verdict(lambda: shape_report(op, sizes, **p), run)


MODES = ["nearest", "nearest-exact", "area", "linear", "bilinear", "trilinear", "bicubic"]


@st.composite
def interpolate_configs(draw: st.DrawFn) -> tuple[tuple[int, ...], dict[str, Any]]:
    n = draw(st.integers(1, 3))
    sizes = draw(_ints(n, 1, 6))
    p: dict[str, Any] = {"mode": draw(st.sampled_from(MODES))}
    if draw(st.booleans()):
        p["size"] = draw(st.one_of(st.integers(0, 7), _ints(n, 1, 7)))
    else:
        factor = st.floats(0.1, 3.0).map(lambda f: round(f, 2))
        p["scale_factor"] = draw(st.one_of(factor, st.tuples(*[factor] * n)))
        p["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
    p["align_corners"] = draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        p["antialias"] = True
    return sizes, p


@given(interpolate_configs())
def test_interpolate(config: tuple[tuple[int, ...], dict[str, Any]]) -> None:
    sizes, p = config
    x = _zeros(1, 1, *sizes)
    assert_same_verdict(lambda: shape_report("interpolate", sizes, **p), lambda: CF.interpolate(x, **p))


@given(
    st.sampled_from(["adaptive_avg_pool", "adaptive_max_pool"]),
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            _ints(n, 1, 6), st.one_of(st.integers(0, 5), st.tuples(*[st.none() | st.integers(1, 7)] * n))
        )
    ),
)
def test_adaptive_pools(op: str, config: tuple[tuple[int, ...], Any]) -> None:
    sizes, output_size = config
    run = getattr(CF, f"{op}{len(sizes)}d")
    x = _zeros(1, 1, *sizes)
    assert_same_verdict(lambda: shape_report(op, sizes, output_size=output_size), lambda: run(x, output_size))


@given(st.booleans(), _ints(2, 1, 6), st.integers(1, 3), st.integers(1, 12))
def test_pixel_shuffle(up: bool, sizes: tuple[int, ...], r: int, channels: int) -> None:
    op = "pixel_shuffle" if up else "pixel_unshuffle"
    name = "upscale_factor" if up else "downscale_factor"
    x = _zeros(1, channels, *sizes)
    run = getattr(CF, op)
    assert_same_verdict(
        lambda: shape_report(op, sizes, **{name: r, "in_channels": channels}), lambda: run(x, r)
    )
    try:
        result = shape_report(op, sizes, **{name: r, "in_channels": channels})
    except ERRORS:
        return
    assert result.channels == (channels, run(x, r).shape[1])


@given(_ints(2, 1, 7), _ints(2, 1, 3), _ints(2, 1, 3), _ints(2, 0, 2), _ints(2, 1, 2))
def test_deform_conv(
    sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> None:
    p = {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation}
    try:
        out: tuple[int, ...] = shape_report("deform_conv", sizes, **p).output
    except ERRORS:
        out = (1, 1)
    taps = kernel[0] * kernel[1]
    x, w, offset = _zeros(1, 1, *sizes), _zeros(1, 1, *kernel), _zeros(1, 2 * taps, *out)
    assert_same_verdict(
        lambda: shape_report("deform_conv", sizes, **p),
        lambda: CF.deform_conv2d(x, offset, w, stride=stride, padding=padding, dilation=dilation),
    )


def test_formulas_evaluate_to_their_answers() -> None:
    cases = [
        ("conv", (7, 9), {"kernel_size": 3, "stride": 2, "padding": ((1, 0), 2)}),
        ("conv", (8,), {"kernel_size": 4, "padding": "same", "dilation": 2}),
        ("max_pool", (9, 6), {"kernel_size": 3, "dilation": 2, "padding": 1}),
        ("max_unpool", (3, 4), {"kernel_size": 2, "output_size": (7, 8)}),
        ("interpolate", (3, 5), {"scale_factor": (1.5, 0.5), "mode": "bilinear"}),
        ("pixel_unshuffle", (4, 6), {"downscale_factor": 2}),
    ]
    for op, sizes, p in cases:
        result = shape_report(op, sizes, **p)
        if op == "interpolate":
            assert [a.formula for a in result.axes] == [
                "H_out = floor(3 * 1.5) = 4",
                "W_out = floor(5 * 0.5) = 2",
            ]
        else:
            assert_formula_value(result)


def test_every_op_is_covered_and_reports_json() -> None:
    examples: dict[str, dict[str, Any]] = {
        "conv": {"kernel_size": 3},
        "conv_transpose": {"kernel_size": 3, "stride": 2},
        "max_pool": {"kernel_size": 2},
        "avg_pool": {"kernel_size": 2},
        "max_unpool": {"kernel_size": 2},
        "avg_unpool": {"kernel_size": 2},
        "interpolate": {"scale_factor": 2, "mode": "nearest"},
        "adaptive_avg_pool": {"output_size": 3},
        "adaptive_max_pool": {"output_size": (None, 2)},
        "pixel_shuffle": {"upscale_factor": 2},
        "pixel_unshuffle": {"downscale_factor": 2},
        "deform_conv": {"kernel_size": 3},
    }
    assert set(examples) == set(SHAPE_OPS)
    for op, p in examples.items():
        data = json.loads(json.dumps(shape_report(op, (6, 8), **p).to_dict()))
        assert (
            data["op"] == op
            and len(data["axes"]) == 2
            and data["output"] == [a["output"] for a in data["axes"]]
        )


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: shape_report("convolution", 5, kernel_size=3), ValueError, "op"),
        (lambda: shape_report("conv", 5), TypeError, "kernel_size"),
        (lambda: shape_report("conv", 5, kernel_size=3, ceil_mode=True), TypeError, "ceil_mode"),
        (lambda: shape_report("conv", 5, kernel_size=3, convention="onnx"), ValueError, "convention"),
        (lambda: shape_report("conv", 5, kernel_size=3, stride=2, padding="same"), ValueError, "stride"),
        (lambda: shape_report("conv", (2, 2, 2, 2), kernel_size=1), ValueError, "spatial axes"),
        (lambda: shape_report("interpolate", 5, mode="bilinear", size=3), ValueError, "mode"),
        (
            lambda: shape_report("interpolate", 5, scale_factor=2, align_corners=True),
            ValueError,
            "align_corners",
        ),
        (lambda: shape_report("interpolate", 5), ValueError, "scale_factor"),
        (
            lambda: shape_report("pixel_shuffle", (4, 4), upscale_factor=2, in_channels=6),
            ValueError,
            "in_channels",
        ),
        (lambda: shape_report("pixel_unshuffle", (4, 5), downscale_factor=2), ValueError, "downscale_factor"),
        (lambda: shape_report("max_unpool", 3, kernel_size=2, output_size=(9,)), ValueError, "output_size"),
        (lambda: shape_report("interpolate", 5, scale_factor=2, convention="tf"), ValueError, "convention"),
        (
            lambda: shape_report("conv_transpose", 4, kernel_size=3, convention="tf"),
            TypeError,
            "output_shape",
        ),
        (
            lambda: shape_report(
                "conv_transpose", 4, kernel_size=3, stride=2, output_shape=6, convention="tf"
            ),
            ValueError,
            "output_shape",
        ),
        (
            lambda: shape_report("max_pool", 5, kernel_size=3, ceil_mode=True, convention="tf"),
            ValueError,
            "ceil_mode",
        ),
        (
            lambda: shape_report("avg_pool", (5, 5), kernel_size=3, padding=1, convention="tf"),
            ValueError,
            "padding",
        ),
    ],
)
def test_refusals_name_the_argument(call: Any, error: type[Exception], name: str) -> None:
    with pytest.raises(error, match=name):
        call()


# -- TensorFlow convention: against real TensorFlow ------------------------------------------
@pytest.fixture(scope="module")
def tf() -> Any:
    return pytest.importorskip("tensorflow")


def _tf_padding(padding: Any, n: int) -> Any:
    if isinstance(padding, str):
        return padding
    return [[0, 0], *[list(pair) for pair in padding], [0, 0]]


def assert_tf_verdict(report: Any, run: Any) -> None:
    """Both refuse, or the report's output is TensorFlow's spatial output shape (NHWC)."""
    try:
        result: ShapeReport = report()
    except ERRORS:
        with pytest.raises(Exception):  # noqa: B017 -- TF raises InvalidArgumentError, ValueError or TypeError
            run()
        return
    out = run()
    assert tuple(out.shape[1:-1]) == result.output, result
    assert_formula_value(result)


@st.composite
def tf_window_configs(draw: st.DrawFn) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    op = draw(st.sampled_from(["conv", "max_pool", "avg_pool"]))
    n = draw(st.integers(1, 3))
    sizes = draw(_ints(n, 1, (9, 7, 5)[n - 1]))
    p: dict[str, Any] = {"kernel_size": draw(_ints(n, 1, 5)), "stride": draw(_ints(n, 1, 3))}
    pairs = st.tuples(*[st.tuples(st.integers(0, 3), st.integers(0, 3))] * n)
    p["padding"] = draw(st.one_of(st.sampled_from(["SAME", "VALID"]), pairs))
    if op == "conv":
        p["dilation"] = draw(_ints(n, 1, 2))
    return op, sizes, p


@settings(max_examples=60)
@given(tf_window_configs())
def test_tf_windows_match_tensorflow(tf: Any, config: tuple[str, tuple[int, ...], dict[str, Any]]) -> None:
    op, sizes, p = config
    n = len(sizes)
    x = tf.zeros((1, *sizes, 1))
    padding = _tf_padding(p["padding"], n)
    if op == "conv":
        w = tf.zeros((*p["kernel_size"], 1, 1))
        if n == 1:
            run = lambda: tf.nn.conv1d(x, w, p["stride"], padding, dilations=p["dilation"])  # noqa: E731
        else:
            fn = getattr(tf.nn, f"conv{n}d")
            run = lambda: fn(x, w, [1, *p["stride"], 1], padding, dilations=[1, *p["dilation"], 1])  # noqa: E731
    else:
        fn = getattr(tf.nn, f"{op}{n}d")
        run = lambda: fn(x, p["kernel_size"], p["stride"], padding)  # noqa: E731
    assert_tf_verdict(lambda: shape_report(op, sizes, convention="tf", **p), run)


@settings(max_examples=60)
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.tuples(
            _ints(n, 1, 5),
            _ints(n, 1, 4),
            _ints(n, 1, 3),
            st.one_of(
                st.sampled_from(["SAME", "VALID"]),
                st.tuples(*[st.tuples(st.integers(0, 2), st.integers(0, 2))] * n),
            ),
            _ints(n, -1, 5),
        )
    )
)
def test_tf_conv_transpose_matches_tensorflow(tf: Any, config: tuple[Any, ...]) -> None:
    sizes, kernel, stride, padding, nudge = config
    n = len(sizes)
    common = {"kernel_size": kernel, "stride": stride, "padding": padding}
    # aim at the edges of the accepted range and just past them (TensorFlow decides which is which)
    specs = [padding] * n if isinstance(padding, str) else list(padding)
    ranges = [tf_transpose_sizes(i, k, s, spec) for i, k, s, spec in zip(sizes, kernel, stride, specs)]
    guess = tuple(
        max(1, r.start - 1 if d < 0 else r.stop if d > 4 else r.start + d % max(len(r), 1))
        for r, d in zip(ranges, nudge)
    )
    x, w = tf.zeros((1, *sizes, 1)), tf.zeros((*kernel, 1, 1))
    fn = getattr(tf.nn, f"conv{n}d_transpose")
    strides = stride if n != 3 else [1, *stride, 1]
    run = lambda: fn(x, w, [1, *guess, 1], strides, _tf_padding(padding, n))  # noqa: E731
    assert_tf_verdict(
        lambda: shape_report("conv_transpose", sizes, convention="tf", output_shape=guess, **common), run
    )
    try:
        result = shape_report("conv_transpose", sizes, convention="tf", output_shape=guess, **common)
    except ERRORS:
        return
    for a, axis in enumerate(result.axes):  # every alternative is a size TensorFlow accepts
        for choice in axis.alternatives:
            shape = [1, *(choice.size if b == a else o for b, o in enumerate(guess)), 1]
            assert fn(x, w, shape, strides, _tf_padding(padding, n)).shape[1 + a] == choice.size
