"""convscope.arith.port: every conversion run on both sides, real TensorFlow against real PyTorch.

Live tests (skipped without TensorFlow) draw configurations with hypothesis,
convert them with arith.port, run TensorFlow with the original arguments and
PyTorch with the converted ones, and compare. Without TensorFlow the same
conversions are checked against ``convscope.tf`` (itself tested against
TensorFlow's golden files), never against themselves.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from hypothesis import given, settings
from hypothesis import strategies as st

import tf_cases  # noqa: F401  (imported first: TensorFlow's environment, before it is imported)
from convscope import arith
from convscope import tf as ctf
from convscope.core import tf_transpose_sizes

HAVE_TF = importlib.util.find_spec("tensorflow") is not None
needs_tf = pytest.mark.skipif(not HAVE_TF, reason="TensorFlow is not installed")


def _tf() -> Any:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf


def assert_equal_numbers(ours: np.ndarray, reference: np.ndarray, tol: float = 1e-5) -> None:
    assert ours.shape == reference.shape, (ours.shape, reference.shape)
    scale = max(1.0, float(np.max(np.abs(reference))) if reference.size else 1.0)
    np.testing.assert_allclose(ours, reference, rtol=tol, atol=tol * scale)


def _nchw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)))


def _nhwc(t: torch.Tensor) -> np.ndarray:
    return np.moveaxis(t.detach().numpy(), 1, -1)


TORCH_CONV = {1: tF.conv1d, 2: tF.conv2d, 3: tF.conv3d}
TORCH_CONV_T = {1: tF.conv_transpose1d, 2: tF.conv_transpose2d, 3: tF.conv_transpose3d}


def _torch_conv(
    x: np.ndarray, w: np.ndarray, strides: Any, pad: arith.TorchPadding, dilations: Any
) -> np.ndarray:
    """PyTorch's convolution of an NHWC input and an HWIO filter, with the ported padding."""
    n = x.ndim - 2
    xt = _nchw(x)
    if pad.pre_pad is not None:
        xt = tF.pad(xt, pad.pre_pad, value=pad.pad_value)
    wt = torch.from_numpy(np.ascontiguousarray(arith.port_filter(w)))
    groups = x.shape[-1] // w.shape[-2]
    out = TORCH_CONV[n](xt, wt, stride=strides, padding=pad.padding, dilation=dilations, groups=groups)
    if pad.string is not None:  # the string gives the same numbers
        same = TORCH_CONV[n](
            _nchw(x), wt, stride=strides, padding=pad.string, dilation=dilations, groups=groups
        )
        assert torch.equal(out, same)
    return _nhwc(out)


@st.composite
def tf_conv_configs(draw: Any, explicit: bool = True) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 2, 3]))
    kernel = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    dilated = n < 3 and draw(st.booleans())  # TF's CPU Conv3D refuses dilations
    dil = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))) if dilated else (1,) * n
    strides = (1,) * n if dilated else tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dil)]
    sizes = tuple(draw(st.integers(span, span + 6)) for span in spans)
    choices = ["SAME", "VALID"] + (["explicit"] if explicit and n == 2 else [])
    padding: Any = draw(st.sampled_from(choices))
    if padding == "explicit":
        padding = [(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(n)]
    groups = draw(st.sampled_from([1, 2])) if n == 2 else 1
    return dict(n=n, kernel=kernel, dil=dil, strides=strides, sizes=sizes, padding=padding, groups=groups)


def _tf_conv(tf: Any, x: np.ndarray, w: np.ndarray, strides: Any, padding: Any, dil: Any) -> np.ndarray:
    n = x.ndim - 2
    if not isinstance(padding, str):
        padding = [[0, 0], *[list(p) for p in padding], [0, 0]]
    if n == 3:  # conv3d takes strides and dilations in the full NDHWC form
        return tf.nn.conv3d(x, w, [1, *strides, 1], padding, dilations=[1, *dil, 1]).numpy()  # type: ignore[no-any-return]
    fn = tf.nn.conv1d if n == 1 else tf.nn.conv2d
    return fn(x, w, list(strides), padding, dilations=list(dil)).numpy()  # type: ignore[no-any-return]


# -- 1. convolution and pooling padding ---------------------------------------------
@needs_tf
@settings(max_examples=30)
@given(config=tf_conv_configs(), seed=st.integers(0, 2**16))
def test_tf_conv_padding_runs_the_same_in_torch(config: dict[str, Any], seed: int) -> None:
    tf = _tf()
    rng = np.random.default_rng(seed)
    n, groups = config["n"], config["groups"]
    x = rng.standard_normal((2, *config["sizes"], 2 * groups)).astype(np.float32)
    w = rng.standard_normal((*config["kernel"], 2, 3 * groups)).astype(np.float32)
    expected = _tf_conv(tf, x, w, config["strides"], config["padding"], config["dil"])
    pad = arith.tf_padding_to_torch(
        config["sizes"], config["kernel"], config["strides"], config["padding"], config["dil"]
    )
    assert pad.exact and (pad.pre_pad is None) == all(lo == hi >= 0 for lo, hi in pad.pairs)
    assert_equal_numbers(_torch_conv(x, w, config["strides"], pad, config["dil"]), expected)
    assert len(pad.padding) == n


@needs_tf
@settings(max_examples=30)
@given(
    config=tf_conv_configs(explicit=False),
    op=st.sampled_from(["max_pool", "avg_pool"]),
    seed=st.integers(0, 99),
)
def test_tf_pool_padding_runs_the_same_in_torch(config: dict[str, Any], op: str, seed: int) -> None:
    tf = _tf()
    n, kernel, strides = config["n"], config["kernel"], config["strides"]
    x = np.random.default_rng(seed).standard_normal((1, *config["sizes"], 2)).astype(np.float32)
    expected = getattr(tf.nn, op)(x, list(kernel), list(strides), config["padding"]).numpy()
    pad = arith.tf_padding_to_torch(config["sizes"], kernel, strides, config["padding"], op=op)  # type: ignore[arg-type]
    fn = getattr(tF, f"{op}{n}d")
    xt = _nchw(x)
    if pad.exact:
        if pad.pre_pad is not None:
            xt = tF.pad(xt, pad.pre_pad, value=pad.pad_value)
        ours = _nhwc(fn(xt, kernel, strides, pad.padding, **pad.options))
    else:  # the two-call recipe the note gives: sums over real cells / count of real cells
        assert op == "avg_pool" and "avg_pool(F.pad(ones_like(x)" in pad.note and pad.pre_pad is not None
        total = fn(tF.pad(xt, pad.pre_pad), kernel, strides)
        ours = _nhwc(total / fn(tF.pad(torch.ones_like(xt), pad.pre_pad), kernel, strides))
    assert_equal_numbers(ours, expected)


@needs_tf
@settings(max_examples=20)
@given(
    size=st.integers(2, 7),
    kernel=st.integers(2, 4),
    stride=st.integers(1, 3),
    pads=st.lists(st.integers(0, 3), min_size=4, max_size=4),
)
def test_tf_explicit_max_pool_padding(size: int, kernel: int, stride: int, pads: list[int]) -> None:
    pairs = [
        (min(pads[0], kernel - 1), min(pads[1], kernel - 1)),
        (min(pads[2], kernel - 1), min(pads[3], kernel - 1)),
    ]
    rng = np.random.default_rng(size)
    x = rng.standard_normal((1, size, size + 1, 2)).astype(np.float32) - 5  # negative: padding must not win
    if any(size + lo + hi < kernel for lo, hi in pairs):
        return
    expected = _tf().nn.max_pool2d(x, kernel, stride, [[0, 0], *map(list, pairs), [0, 0]]).numpy()
    pad = arith.tf_padding_to_torch((size, size + 1), kernel, stride, pairs, op="max_pool")
    xt = _nchw(x) if pad.pre_pad is None else tF.pad(_nchw(x), pad.pre_pad, value=pad.pad_value)
    assert_equal_numbers(_nhwc(tF.max_pool2d(xt, kernel, stride, pad.padding)), expected)


def test_explicit_padding_refused_where_tensorflow_refuses_it() -> None:
    for op, size in (("conv", 5), ("conv", (5, 5, 5)), ("avg_pool", (5, 5))):
        n = 1 if isinstance(size, int) else len(size)
        with pytest.raises(ValueError, match="takes only 'SAME' or 'VALID'"):
            arith.tf_padding_to_torch(size, 2, 1, [(1, 0)] * n, op=op)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="smaller than the window"):
        arith.tf_padding_to_torch((4, 4), 2, 1, [(0, 0), (0, 2)], op="max_pool")


@needs_tf
@settings(max_examples=30)
@given(
    sizes=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.integers(1, 3),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    dilation=st.integers(1, 2),
)
def test_torch_conv_padding_runs_the_same_in_tf(
    sizes: tuple[int, int], kernel: tuple[int, int], stride: int, padding: tuple[int, int], dilation: int
) -> None:
    spans = [dilation * (k - 1) + 1 for k in kernel]
    if any(i + 2 * p < span for i, p, span in zip(sizes, padding, spans)) or (stride > 1 and dilation > 1):
        return  # torch refuses a window larger than the padded input; TF's CPU conv2d a stride with dilation
    tf = _tf()
    x = np.random.default_rng(1).standard_normal((1, 3, *sizes))
    w = np.random.default_rng(2).standard_normal((4, 3, *kernel))
    expected = tF.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, stride, padding, dilation).numpy()
    ported = arith.torch_padding_to_tf(sizes, kernel, stride, padding, dilation)
    tf_padding = ported.padding if isinstance(ported.padding, str) else ported.explicit()
    filters = arith.port_filter(w, source="torch")
    got = tf.nn.conv2d(np.moveaxis(x, 1, -1), filters, stride, tf_padding, dilations=dilation).numpy()
    assert_equal_numbers(np.moveaxis(got, -1, 1), expected, 1e-10)


def test_padding_ports_name_the_strings_and_refusals() -> None:
    # stride 1: TF's SAME is torch's 'same' (extra cell high in both); VALID is 'valid'
    assert arith.tf_padding_to_torch((4, 6), (2, 3), 1, "SAME").string == "same"
    assert arith.tf_padding_to_torch((4, 6), 3, 2, "VALID").string == "valid"
    assert arith.tf_padding_to_torch(5, 3, 2, "SAME").string is None  # torch refuses 'same' with a stride
    assert arith.tf_padding_to_torch((4, 4), 2, 1, [[0, 0], [1, 0], [0, 2], [0, 0]]).pre_pad == (0, 2, 1, 0)
    assert arith.tf_padding_to_torch(4, 2, 2, "SAME", op="max_pool").pad_value == -np.inf
    for bad in ("FULL", [(1, 2, 3)], [(-1, 0)]):
        with pytest.raises(ValueError, match="tf_padding_to_torch: padding="):
            arith.tf_padding_to_torch(4, 3, 1, bad)
    with pytest.raises(ValueError, match="dilations"):
        arith.tf_padding_to_torch(4, 2, 1, "SAME", 2, op="max_pool")
    assert arith.torch_padding_to_tf((5, 5), 3, 2, 1).explicit() == [[0, 0], [1, 1], [1, 1], [0, 0]]


# -- 2. transposed convolution ----------------------------------------------------------
@st.composite
def tf_transpose_configs(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 2, 2, 3]))
    kernel = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    strides = tuple(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    sizes = tuple(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    # TensorFlow takes explicit pairs in conv2d_transpose only
    padding: Any = draw(st.sampled_from(["SAME", "VALID"] + (["explicit"] if n == 2 else [])))
    if padding == "explicit":
        padding = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(n)]
    outs = []
    for axis, (i, k, s) in enumerate(zip(sizes, kernel, strides)):
        accepted = list(tf_transpose_sizes(i, k, s, padding if isinstance(padding, str) else padding[axis]))
        if not accepted or accepted[-1] < 1:
            return draw(tf_transpose_configs())
        outs.append(draw(st.sampled_from([o for o in accepted if o >= 1])))
    return dict(n=n, kernel=kernel, strides=strides, sizes=sizes, padding=padding, outs=tuple(outs))


def _torch_transpose(x: np.ndarray, w: np.ndarray, strides: Any, port: arith.TorchTranspose) -> np.ndarray:
    """PyTorch's transposed convolution of an NHWC input and a TF [S, out, in] filter, ported."""
    wt = torch.from_numpy(np.ascontiguousarray(arith.port_filter(w, "conv_transpose")))
    out = TORCH_CONV_T[x.ndim - 2](_nchw(x), wt, None, strides, port.padding, port.output_padding)
    if port.post_pad is not None:
        out = tF.pad(out, port.post_pad)
    return _nhwc(out)


@needs_tf
@settings(max_examples=40)
@given(config=tf_transpose_configs(), seed=st.integers(0, 99))
def test_tf_transpose_runs_the_same_in_torch(config: dict[str, Any], seed: int) -> None:
    tf = _tf()
    rng = np.random.default_rng(seed)
    n = config["n"]
    x = rng.standard_normal((1, *config["sizes"], 2)).astype(np.float32)
    w = rng.standard_normal((*config["kernel"], 3, 2)).astype(np.float32)
    padding = config["padding"]
    tf_padding = padding if isinstance(padding, str) else [[0, 0], *map(list, padding), [0, 0]]
    fn = {1: tf.nn.conv1d_transpose, 2: tf.nn.conv2d_transpose, 3: tf.nn.conv3d_transpose}[n]
    expected = fn(x, w, [1, *config["outs"], 3], list(config["strides"]), tf_padding).numpy()
    port = arith.tf_transpose_to_torch(
        config["sizes"], config["kernel"], config["outs"], config["strides"], padding
    )
    assert_equal_numbers(_torch_transpose(x, w, config["strides"], port), expected)
    assert port.exact == all(c == (0, 0) for c in port.crop)


@needs_tf
def test_tf_transpose_refusals_are_tensorflows() -> None:
    tf = _tf()
    x = np.ones((1, 2, 2, 1), np.float32)
    w = np.ones((2, 2, 1, 1), np.float32)
    for o, padding in ((5, "SAME"), (3, "VALID"), (6, "VALID")):
        with pytest.raises(ValueError, match="TensorFlow refuses output_shape"):
            arith.tf_transpose_to_torch((2, 2), 2, (o, o), 2, padding)
        with pytest.raises(Exception):  # noqa: B017  (TF raises InvalidArgumentError or ValueError)
            tf.nn.conv2d_transpose(x, w, [1, o, o, 1], 2, padding)


def test_tf_transpose_crop_when_same_is_asymmetric() -> None:
    # seed 003: 2x2 input, 2x2 kernel, stride 1 SAME -> 2x2: TF pads (0, 1), torch cannot pad one side
    port = arith.tf_transpose_to_torch((2, 2), 2, (2, 2), 1, "SAME")
    assert (
        port.pairs == ((0, 1), (0, 1)) and port.crop == ((0, 1), (0, 1)) and port.post_pad == (0, -1, 0, -1)
    )
    # explicit (2, 0): a low pad larger than output_padding can make up is cut on the low side
    port = arith.tf_transpose_to_torch(3, 3, 3, 1, [(2, 0)])
    assert port.crop[0][0] > 0 and port.post_pad is not None


@needs_tf
@settings(max_examples=30)
@given(
    sizes=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    output_padding=st.integers(0, 2),
    seed=st.integers(0, 99),
)
def test_torch_transpose_runs_the_same_in_tf(
    sizes: tuple[int, int], kernel: tuple[int, int], stride: int, padding: int, output_padding: int, seed: int
) -> None:
    output_padding = min(output_padding, stride - 1)
    try:
        port = arith.torch_transpose_to_tf(sizes, kernel, stride, padding, output_padding)
    except ValueError:
        with pytest.raises(RuntimeError):  # PyTorch refuses it too (output too small)
            tF.conv_transpose2d(
                torch.ones(1, 1, *sizes), torch.ones(1, 1, *kernel), None, stride, padding, output_padding
            )
        return
    tf = _tf()
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((1, 2, *sizes)), rng.standard_normal((2, 3, *kernel))
    expected = tF.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(w), None, stride, padding, output_padding
    )
    tf_padding = port.padding if isinstance(port.padding, str) else port.explicit()
    filters = arith.port_filter(w, "conv_transpose", source="torch")
    got = tf.nn.conv2d_transpose(
        np.moveaxis(x, 1, -1), filters, [1, *port.output_size, 3], stride, tf_padding
    )
    assert_equal_numbers(np.moveaxis(got.numpy(), -1, 1), expected.numpy(), 1e-10)


# -- 3. filter layouts ------------------------------------------------------------------------
@needs_tf
@settings(max_examples=15)
@given(
    size=st.integers(3, 7),
    kernel=st.integers(1, 3),
    channels=st.integers(1, 3),
    multiplier=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.sampled_from(["SAME", "VALID"]),
)
def test_depthwise_filter_layout(
    size: int, kernel: int, channels: int, multiplier: int, stride: int, padding: str
) -> None:
    tf = _tf()
    rng = np.random.default_rng(size * 7 + kernel)
    x = rng.standard_normal((1, size, size, channels))
    w = rng.standard_normal((kernel, kernel, channels, multiplier))
    expected = tf.nn.depthwise_conv2d(x, w, [1, stride, stride, 1], padding).numpy()
    port = arith.filter_port(w.shape, "depthwise")
    wt = torch.from_numpy(np.ascontiguousarray(port.apply(w)))
    pad = arith.tf_padding_to_torch((size, size), kernel, stride, padding)
    xt = _nchw(x) if pad.pre_pad is None else tF.pad(_nchw(x), pad.pre_pad)
    got = _nhwc(tF.conv2d(xt, wt, None, stride, pad.padding, groups=channels))
    assert_equal_numbers(got, expected, 1e-10)
    back = arith.port_filter(port.apply(w), "depthwise", source="torch", in_channels=channels)
    assert np.array_equal(back, w)


@pytest.mark.parametrize("kind", ["conv", "conv_transpose", "depthwise"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_filter_ports_round_trip(kind: str, n: int) -> None:
    w = np.arange(np.prod((2, 3, 4, 5, 6)[: n + 2])).reshape((2, 3, 4, 5, 6)[: n + 2])
    there = arith.filter_port(w.shape, kind)  # type: ignore[arg-type]
    assert there.target_shape == there.apply(w).shape
    back = arith.port_filter(
        there.apply(w), kind, "torch", in_channels=w.shape[n] if kind == "depthwise" else None
    )  # type: ignore[arg-type]
    assert np.array_equal(back, w)
    with pytest.raises(ValueError, match="filter_port"):
        arith.filter_port((3, 3), kind)  # type: ignore[arg-type]


# -- 4. resizing ------------------------------------------------------------------------------
def _tf_resize(
    tf: Any, x: np.ndarray, size: tuple[int, int], port: arith.ResizePort, method: str, aa: bool, v1: Any
) -> np.ndarray:
    if v1 is None:
        return tf.image.resize(x, size, method=method, antialias=aa).numpy()  # type: ignore[no-any-return]
    corners, centers = v1
    if method == "area":
        return tf.compat.v1.image.resize_area(x, size, align_corners=corners).numpy()  # type: ignore[no-any-return]
    fn = getattr(tf.compat.v1.image, {"nearest": "resize_nearest_neighbor"}.get(method, f"resize_{method}"))
    return fn(x, size, align_corners=corners, half_pixel_centers=centers).numpy()  # type: ignore[no-any-return]


def _torch_resize(x: np.ndarray, size: tuple[int, int], options: dict[str, Any]) -> np.ndarray:
    return _nhwc(tF.interpolate(_nchw(x), size=size, **options))


ENTRIES = [(m, aa, None) for m, aa in arith.port._V2] + [(m, None, (c, h)) for m, c, h in arith.port._V1]


def _port(method: str, aa: Any, v1: Any) -> arith.ResizePort:
    if v1 is None:
        return arith.tf_resize_to_torch(method, aa)
    return arith.tf_resize_to_torch(method, align_corners=v1[0], half_pixel_centers=v1[1])


@needs_tf
@pytest.mark.parametrize("method,aa,v1", ENTRIES)
@settings(max_examples=12)
@given(
    shape=st.tuples(st.integers(2, 9), st.integers(2, 9)),
    size=st.tuples(st.integers(2, 12), st.integers(2, 12)),
)
def test_exact_resize_equivalences_hold(
    method: str, aa: Any, v1: Any, shape: tuple[int, int], size: tuple[int, int]
) -> None:
    port = _port(method, aa, v1)
    if not port.exact:
        assert port.note  # the differences are shown in test_inexact_resize_pairs_differ
        return
    tf = _tf()
    x = np.random.default_rng(sum(shape) + sum(size)).standard_normal((1, *shape, 2)).astype(np.float32)
    expected = _tf_resize(tf, x, size, port, method, bool(aa), v1)
    assert_equal_numbers(_torch_resize(x, size, port.torch_options or {}), expected, 1e-5)


@needs_tf
@pytest.mark.parametrize("method,aa,v1", ENTRIES)
def test_inexact_resize_pairs_differ(method: str, aa: Any, v1: Any) -> None:
    port = _port(method, aa, v1)
    if port.exact:
        assert port.torch_options is not None  # covered by test_exact_resize_equivalences_hold
        return
    tf = _tf()
    x = np.random.default_rng(0).standard_normal((1, 6, 9, 1)).astype(np.float32)
    size = (10, 4)  # up one axis, down the other, by non-integer factors
    expected = _tf_resize(tf, x, size, port, method, bool(aa), v1)
    candidates = [port.torch_options] if port.torch_options else []
    candidates += [  # when PyTorch has nothing close: none of its modes does it either
        {
            "mode": m,
            **({"align_corners": c} if m in ("bilinear", "bicubic") else {}),
            **({"antialias": True} if a else {}),
        }
        for m in ("nearest", "nearest-exact", "bilinear", "bicubic", "area")
        for c in (False, True)
        for a in (False, True)
        if not (a and m not in ("bilinear", "bicubic"))
    ]
    for options in candidates:
        diff = np.max(np.abs(_torch_resize(x, size, options) - expected))
        assert diff > 1e-4, (port.tf_call, options, diff)
    if port.exact_when:  # area: integer shrink factors agree
        small = np.random.default_rng(1).standard_normal((1, 8, 6, 1)).astype(np.float32)
        assert_equal_numbers(
            _torch_resize(small, (4, 2), port.torch_options or {}),
            _tf_resize(tf, small, (4, 2), port, method, bool(aa), v1),
        )


def test_resize_ports_read_both_ways() -> None:
    assert arith.tf_resize_to_torch("nearest").torch_options == {"mode": "nearest-exact"}
    assert arith.tf_resize_to_torch("nearest", antialias=True).tf_call == "tf.image.resize(method='nearest')"
    assert arith.tf_resize_to_torch("gaussian").torch_options is None
    assert arith.torch_resize_to_tf("nearest-exact").tf_call == "tf.image.resize(method='nearest')"
    assert arith.torch_resize_to_tf("bicubic", antialias=True).exact
    bicubic = arith.torch_resize_to_tf("bicubic", align_corners=True)
    assert not bicubic.exact and "1024" in bicubic.note
    assert not arith.torch_resize_to_tf("trilinear").tf_call
    with pytest.raises(ValueError, match="align_corners=True with half_pixel_centers=True"):
        arith.tf_resize_to_torch("bilinear", align_corners=True, half_pixel_centers=True)
    with pytest.raises(ValueError, match="method='box'"):
        arith.tf_resize_to_torch("box")


# -- 6. without TensorFlow: PyTorch with the ported arguments vs convscope.tf -------------------
@settings(max_examples=25)
@given(config=tf_conv_configs(), seed=st.integers(0, 99))
def test_ported_conv_matches_convscope_tf(config: dict[str, Any], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, groups = config["n"], config["groups"]
    x = rng.standard_normal((1, *config["sizes"], 2 * groups))
    w = rng.standard_normal((*config["kernel"], 2, 2 * groups))
    padding = config["padding"]
    tf_padding = padding if isinstance(padding, str) else [[0, 0], *map(list, padding), [0, 0]]
    fn = {1: ctf.nn.conv1d, 2: ctf.nn.conv2d, 3: ctf.nn.conv3d}[n]
    strides, dil = list(config["strides"]), list(config["dil"])
    expected = fn(
        x, w, [1, *strides, 1] if n == 3 else strides, tf_padding, dilations=[1, *dil, 1] if n == 3 else dil
    )
    pad = arith.tf_padding_to_torch(config["sizes"], config["kernel"], strides, padding, dil)
    assert_equal_numbers(_torch_conv(x, w, strides, pad, dil), expected, 1e-10)


@settings(max_examples=25)
@given(config=tf_transpose_configs(), seed=st.integers(0, 99))
def test_ported_transpose_matches_convscope_tf(config: dict[str, Any], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = config["n"]
    x = rng.standard_normal((1, *config["sizes"], 2))
    w = rng.standard_normal((*config["kernel"], 3, 2))
    padding = config["padding"]
    tf_padding = padding if isinstance(padding, str) else [[0, 0], *map(list, padding), [0, 0]]
    fn = {1: ctf.nn.conv1d_transpose, 2: ctf.nn.conv2d_transpose, 3: ctf.nn.conv3d_transpose}[n]
    expected = fn(x, w, [1, *config["outs"], 3], list(config["strides"]), tf_padding)
    port = arith.tf_transpose_to_torch(
        config["sizes"], config["kernel"], config["outs"], config["strides"], padding
    )
    assert_equal_numbers(_torch_transpose(x, w, config["strides"], port), expected, 1e-10)


@settings(max_examples=40)
@given(
    size=st.integers(1, 4),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 3),
    padding=st.sampled_from(["SAME", "VALID"]),
    pick=st.integers(0, 5),
)
def test_ported_transpose_is_the_gradient_of_tfs_forward_conv(
    size: int, kernel: int, stride: int, dilation: int, padding: str, pick: int
) -> None:
    """TensorFlow defines conv*_transpose as the input gradient of its convolution; its CPU kernels
    refuse dilations > 1 (so does convscope.tf), its GPU kernels do not. The port, for any dilation,
    equals that gradient computed by torch autograd through the forward conv with TF's padding."""
    span = dilation * (kernel - 1) + 1
    accepted = [o for o in tf_transpose_sizes(size, span, stride, padding) if o >= 1]
    if not accepted:
        return
    o = accepted[pick % len(accepted)]
    port = arith.tf_transpose_to_torch(size, kernel, o, stride, padding, dilation)
    rng = np.random.default_rng(size + 10 * kernel)
    w = torch.from_numpy(rng.standard_normal((2, 3, kernel)))  # torch ConvTranspose layout (in, out, k)
    y = torch.from_numpy(rng.standard_normal((1, 2, size)))
    x0 = torch.zeros(1, 3, o, dtype=torch.float64, requires_grad=True)
    ((lo, hi),) = port.pairs
    forward = tF.conv1d(tF.pad(x0, (lo, hi)), w, stride=stride, dilation=dilation)  # TF's conv, (out, in, k)
    assert forward.shape[-1] == size
    (gradient,) = torch.autograd.grad(forward, x0, y)
    ours = tF.conv_transpose1d(y, w, None, stride, port.padding, port.output_padding, 1, dilation)
    if port.post_pad is not None:
        ours = tF.pad(ours, port.post_pad)
    assert_equal_numbers(ours.numpy(), gradient.numpy(), 1e-12)
