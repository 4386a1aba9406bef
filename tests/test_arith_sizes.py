"""convscope.arith sizes and padding against the operators that actually run.

Oracles: the shape convscope.functional produces, the shape PyTorch produces
(and PyTorch's refusals), and TensorFlow's documented SAME rule.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import convscope.functional as CF
from convscope.arith import (
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    inverse_transpose,
    pool_output_size,
    same_padding,
    transpose_output_sizes,
)


def _zeros(sizes: tuple[int, ...]) -> torch.Tensor:
    return torch.zeros((1, 1, *sizes), dtype=torch.float64)


def _flat_pad(pairs: tuple[tuple[int, int], ...]) -> list[int]:
    """F.pad's argument: last axis first."""
    return [v for pair in reversed(pairs) for v in pair]


@st.composite
def conv_configs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    top = (10, 8, 5)[n - 1]
    ints = st.tuples(*[st.integers(1, top)] * n)
    cfg: dict[str, Any] = {
        "input_size": draw(ints),
        "kernel_size": draw(st.tuples(*[st.integers(1, 4)] * n)),
        "stride": draw(st.tuples(*[st.integers(1, 3)] * n)),
        "dilation": draw(st.tuples(*[st.integers(1, 3)] * n)),
    }
    kind = draw(st.sampled_from(["int", "axes", "pairs", "same", "valid"]))
    if kind == "int":
        cfg["padding"] = draw(st.integers(0, 3))
    elif kind == "axes":
        cfg["padding"] = draw(st.tuples(*[st.integers(0, 3)] * n))
    elif kind == "pairs":
        cfg["padding"] = draw(st.tuples(*[st.tuples(st.integers(0, 3), st.integers(0, 3))] * n))
    else:
        cfg["padding"] = kind
        if kind == "same":
            cfg["stride"] = (1,) * n
    return cfg


def _torch_conv_shape(cfg: dict[str, Any]) -> tuple[int, ...]:
    sizes, kernel, padding = cfg["input_size"], cfg["kernel_size"], cfg["padding"]
    conv = getattr(TF, f"conv{len(sizes)}d")
    x, w = _zeros(sizes), _zeros(kernel)
    if isinstance(padding, tuple) and isinstance(padding[0], tuple):
        x, padding = TF.pad(x, _flat_pad(padding)), 0
    out = conv(x, w, stride=cfg["stride"], padding=padding, dilation=cfg["dilation"])
    return tuple(out.shape[2:])


@settings(max_examples=80)
@given(conv_configs())
def test_conv_output_size_is_the_shape_convscope_and_torch_produce(cfg: dict[str, Any]) -> None:
    n = len(cfg["input_size"])
    run = getattr(CF, f"conv{n}d")
    args = (np.zeros((1, 1, *cfg["input_size"])), np.zeros((1, 1, *cfg["kernel_size"])))
    kwargs = {k: cfg[k] for k in ("stride", "padding", "dilation")}
    try:
        expected = conv_output_size(**cfg)
    except ValueError:
        with pytest.raises(ValueError):
            run(*args, **kwargs)
        with pytest.raises(RuntimeError):
            _torch_conv_shape(cfg)
        return
    assert run(*args, **kwargs).shape[2:] == expected
    assert _torch_conv_shape(cfg) == expected


@settings(max_examples=60)
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.fixed_dictionaries(
            {
                "input_size": st.tuples(*[st.integers(1, (7, 5, 4)[n - 1])] * n),
                "kernel_size": st.tuples(*[st.integers(1, 4)] * n),
                "stride": st.tuples(*[st.integers(1, 3)] * n),
                "padding": st.tuples(*[st.integers(0, 3)] * n),
                "dilation": st.tuples(*[st.integers(1, 3)] * n),
                "choice": st.tuples(*[st.integers(0, 2)] * n),
            }
        )
    )
)
def test_conv_transpose_output_size_is_the_shape_convscope_and_torch_produce(cfg: dict[str, Any]) -> None:
    choice = cfg.pop("choice")
    cfg["output_padding"] = tuple(c % max(s, d) for c, s, d in zip(choice, cfg["stride"], cfg["dilation"]))
    sizes = cfg.pop("input_size")
    n = len(sizes)
    kwargs = {k: cfg[k] for k in ("stride", "padding", "output_padding", "dilation")}
    try:
        expected = conv_transpose_output_size(sizes, cfg["kernel_size"], **kwargs)
    except ValueError:
        with pytest.raises(RuntimeError):
            getattr(TF, f"conv_transpose{n}d")(_zeros(sizes), _zeros(cfg["kernel_size"]), **kwargs)
        return
    ours = getattr(CF, f"conv_transpose{n}d")(
        np.zeros((1, 1, *sizes)), np.zeros((1, 1, *cfg["kernel_size"])), **kwargs
    )
    theirs = getattr(TF, f"conv_transpose{n}d")(_zeros(sizes), _zeros(cfg["kernel_size"]), **kwargs)
    assert ours.shape[2:] == expected
    assert tuple(theirs.shape[2:]) == expected


@settings(max_examples=80)
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.fixed_dictionaries(
            {
                "input_size": st.tuples(*[st.integers(1, (9, 7, 5)[n - 1])] * n),
                "kernel_size": st.tuples(*[st.integers(1, 4)] * n),
                "stride": st.none() | st.tuples(*[st.integers(1, 3)] * n),
                "pad_fraction": st.tuples(*[st.integers(0, 2)] * n),
                "dilation": st.tuples(*[st.integers(1, 2)] * n),
                "ceil_mode": st.booleans(),
            }
        )
    )
)
def test_pool_output_size_is_the_shape_convscope_and_torch_produce(cfg: dict[str, Any]) -> None:
    fraction = cfg.pop("pad_fraction")
    cfg["padding"] = tuple(min(f, k // 2) for f, k in zip(fraction, cfg["kernel_size"]))
    n = len(cfg["input_size"])
    sizes = cfg.pop("input_size")
    try:
        expected = pool_output_size(sizes, **cfg)
    except ValueError:
        with pytest.raises(RuntimeError):
            getattr(TF, f"max_pool{n}d")(_zeros(sizes), **cfg)
        return
    assert getattr(CF, f"max_pool{n}d")(np.zeros((1, 1, *sizes)), **cfg).shape[2:] == expected
    assert tuple(getattr(TF, f"max_pool{n}d")(_zeros(sizes), **cfg).shape[2:]) == expected
    # avg_pool shares the rule (no dilation); avg_pool3d also refuses an input smaller than the kernel
    if all(d == 1 for d in cfg.pop("dilation")) and n < 3:
        assert tuple(getattr(TF, f"avg_pool{n}d")(_zeros(sizes), **cfg).shape[2:]) == expected


@settings(max_examples=40)
@given(
    st.integers(1, 8),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 3),
    st.integers(1, 3),
)
def test_transpose_output_sizes_are_exactly_what_torch_accepts(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> None:
    w = _zeros((kernel,))
    choices = transpose_output_sizes(size, kernel, stride, padding, dilation)
    kwargs = {"stride": stride, "padding": padding, "dilation": dilation}
    for out, output_padding in choices:
        got = TF.conv_transpose1d(_zeros((size,)), w, output_padding=output_padding, **kwargs)
        assert got.shape[-1] == out
    assert [q for _, q in choices] == list(range(max(stride, dilation) - len(choices), max(stride, dilation)))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        TF.conv_transpose1d(_zeros((size,)), w, output_padding=max(stride, dilation), **kwargs)


def test_transpose_output_sizes_per_axis_and_the_forward_convolution() -> None:
    choices = transpose_output_sizes((3, 4), kernel_size=(3, 2), stride=(2, 3), padding=(1, 0))
    assert choices == (((5, 0), (6, 1)), ((11, 0), (12, 1), (13, 2)))
    # with dilation <= stride they are exactly the inputs a convolution maps onto (3, 4)
    for axis, (n, k, s, p) in enumerate([(3, 3, 2, 1), (4, 2, 3, 0)]):
        assert [size for size, _ in choices[axis]] == [i for i in range(1, 30) if _fits(i, k, s, p, n)]


def _fits(i: int, k: int, s: int, p: int, n: int) -> bool:
    try:
        return conv_output_size(i, k, s, p) == n
    except ValueError:
        return False


@settings(max_examples=60)
@given(
    st.integers(1, 3).flatmap(
        lambda n: st.fixed_dictionaries(
            {
                "input_size": st.tuples(*[st.integers(4, (12, 9, 7)[n - 1])] * n),
                "kernel_size": st.tuples(*[st.integers(1, 4)] * n),
                "stride": st.tuples(*[st.integers(1, 3)] * n),
                "padding": st.tuples(*[st.integers(0, 2)] * n),
                "dilation": st.tuples(*[st.integers(1, 2)] * n),
            }
        )
    )
)
def test_inverse_transpose_round_trips_through_torch(cfg: dict[str, Any]) -> None:
    sizes, kernel = cfg.pop("input_size"), cfg.pop("kernel_size")
    n = len(sizes)
    try:
        conv_output_size(sizes, kernel, **cfg)
    except ValueError:
        return
    padding, output_padding = inverse_transpose(sizes, kernel, **cfg)
    assert padding == cfg["padding"]
    y = getattr(TF, f"conv{n}d")(_zeros(sizes), _zeros(kernel), **cfg)
    back = getattr(TF, f"conv_transpose{n}d")(
        y,
        _zeros(kernel),
        stride=cfg["stride"],
        padding=padding,
        output_padding=output_padding,
        dilation=cfg["dilation"],
    )
    assert tuple(back.shape[2:]) == sizes


def test_inverse_transpose_examples_and_refusals() -> None:
    assert inverse_transpose(8, 3, stride=2, padding=1) == (1, 1)
    assert inverse_transpose(9, 3, stride=2, padding=1) == (1, 0)
    assert inverse_transpose((6, 7), 3, padding="same") == ((1, 1), (0, 0))
    # an even kernel's 'same' padding is (1, 2): no symmetric transposed convolution crops it
    with pytest.raises(ValueError, match="output_padding"):
        inverse_transpose(6, 4, padding="same")


# -- same padding ---------------------------------------------------------------
@settings(max_examples=40)
@given(
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.integers(1, 5), st.integers(1, 5)),
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.integers(0, 2**31 - 1),
)
def test_same_padding_torch_is_the_split_torch_applies(
    sizes: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int], seed: int
) -> None:
    pairs = same_padding(sizes, kernel, dilation=dilation, convention="torch")
    assert conv_output_size(sizes, kernel, padding=pairs, dilation=dilation) == sizes
    # with stride 1 TensorFlow's SAME is the same split
    assert same_padding(sizes, kernel, dilation=dilation, convention="tf") == pairs
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, 3, *sizes), generator=gen, dtype=torch.float64)
    w = torch.randn((4, 3, *kernel), generator=gen, dtype=torch.float64)
    expected = TF.conv2d(x, w, padding="same", dilation=dilation)
    ours = TF.conv2d(TF.pad(x, _flat_pad(pairs)), w, dilation=dilation)
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-12)


def _tf_same(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's SAME rule, as its documentation states it.

    https://www.tensorflow.org/api_docs/python/tf/nn, "Notes on padding",
    'SAME' padding: ``out_height = ceil(in_height / stride_height)``,
    ``pad_along_height = max((out_height - 1) * stride_height + filter_height
    - in_height, 0)``, ``pad_top = pad_along_height // 2``,
    ``pad_bottom = pad_along_height - pad_top`` ("filter_height ... after
    dilations"); the same rule as tensorflow/core/framework/kernel_shape_util.cc
    (GetWindowedOutputSizeVerbose, Padding::SAME).
    """
    out = math.ceil(size / stride)
    filter_size = (kernel - 1) * dilation + 1
    along = max((out - 1) * stride + filter_size - size, 0)
    return along // 2, along - along // 2


@settings(max_examples=80)
@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 5), st.integers(1, 4))
def test_same_padding_tf_is_tensorflows_documented_rule(
    size: int, kernel: int, stride: int, dilation: int
) -> None:
    low, high = _tf_same(size, kernel, stride, dilation)
    assert same_padding(size, kernel, stride, dilation) == (low, high)
    assert same_padding(size, kernel, stride, dilation, convention="same_upper") == (low, high)
    assert same_padding(size, kernel, stride, dilation, convention="same_lower") == (high, low)
    assert conv_output_size(size, kernel, stride, (low, high), dilation) == math.ceil(size / stride)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "pads", "out"),
    # seed 003 (TensorFlow SAME, all-ones 2x2 kernel): 4x4 s1 pads right/bottom; 4x4 s2 needs none;
    # 5x5 s2 gives 3x3 outputs, the extra row/column of zeros on the right/bottom
    [(4, 2, 1, (0, 1), 4), (4, 2, 2, (0, 0), 2), (5, 2, 2, (0, 1), 3)],
)
def test_same_padding_seed_examples(
    size: int, kernel: int, stride: int, pads: tuple[int, int], out: int
) -> None:
    assert same_padding((size, size), kernel, stride) == (pads, pads)
    assert conv_output_size((size, size), kernel, stride, (pads, pads)) == (out, out)


# -- refusals ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: conv_output_size(0, 3), "input_size"),
        (lambda: conv_output_size((5, -1), 3), "input_size"),
        (lambda: conv_output_size(5, 0), "kernel_size"),
        (lambda: conv_output_size(5, 3, stride=0), "stride"),
        (lambda: conv_output_size(5, 3, dilation=(1, 2)), "dilation"),
        (lambda: conv_output_size(5, 3, padding=-1), "padding"),
        (lambda: conv_output_size(5, 3, padding=(1, -1)), "padding"),
        (lambda: conv_output_size(5, 3, stride=2, padding="same"), "stride"),
        (lambda: conv_output_size(5, 3, padding="full"), "padding"),
        (lambda: conv_output_size(2, 3), "kernel_size"),
        (lambda: conv_transpose_output_size(3, 3, stride=2, output_padding=2), "output_padding"),
        (lambda: conv_transpose_output_size(1, 1, padding=1), "padding"),
        (lambda: pool_output_size(5, 3, padding=2), "padding"),
        (lambda: pool_output_size(2, 3), "kernel_size"),
        (lambda: same_padding(5, 3, stride=2, convention="torch"), "stride"),
        (lambda: same_padding(5, 3, convention="valid"), "convention"),  # type: ignore[arg-type]
        (lambda: effective_kernel_size(3, dilation=0), "dilation"),
    ],
)
def test_refusals_name_the_argument(call: Any, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()


def test_answers_follow_the_shape_of_input_size() -> None:
    assert conv_output_size(7, 3, 2) == 3
    assert conv_output_size((7,), 3, 2) == (3,)
    assert conv_output_size((7, 9, 11), (3, 3, 5), 2, ((1, 1), (0, 1), 2)) == (4, 4, 6)
    assert conv_output_size(7, 3, padding=(2, 0)) == 7
    assert effective_kernel_size(3, 4) == 9
    assert pool_output_size((4, 5), 2) == (2, 2)
    assert same_padding((4,), 3) == ((1, 1),)


@pytest.mark.parametrize(
    ("size", "kernel", "padding", "dilation"),
    [(5, 3, 2, 1), (2, 3, 0, 1), (3, 2, 0, 3), (6, 4, 3, 1)],
)
def test_pool_refusals_are_the_functional_operators_own(
    size: int, kernel: int, padding: int, dilation: int
) -> None:
    """arith and functional share core.pool_window_axes: same rule, same words (after the operator name)."""
    with pytest.raises(ValueError) as ours:
        pool_output_size((size,), kernel, padding=padding, dilation=dilation)
    with pytest.raises(ValueError) as functional:
        CF.max_pool1d(np.zeros((1, 1, size)), kernel, padding=padding, dilation=dilation)
    with pytest.raises(RuntimeError):  # and torch refuses too
        TF.max_pool1d(_zeros((size,)), kernel, padding=padding, dilation=dilation)
    assert str(ours.value).split(": ", 1)[1] == str(functional.value).split(": ", 1)[1]
