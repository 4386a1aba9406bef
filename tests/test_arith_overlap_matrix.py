"""convscope.arith overlap, gridding and the convolution matrix, against PyTorch.

Every count here is a torch computation on all-ones tensors (a transposed
convolution, an autograd gradient), and every matrix is checked against
torch's convolution and transposed convolution on random tensors.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convscope.arith.gridding import gridding
from convscope.arith.matrix import conv_matrix, symbolic_conv_matrix
from convscope.arith.overlap import gradient_overlap, overlap_map, overlap_map_stack
from convscope.core import Axis

CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}
CONV_T = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}


def _ones(*shape: int, grad: bool = False) -> torch.Tensor:
    return torch.ones(shape, dtype=torch.float64, requires_grad=grad)


# ---------------------------------------------------------------------------
# overlap of transposed convolutions
# ---------------------------------------------------------------------------


@st.composite
def transposed_axis(draw: st.DrawFn, max_size: int = 6) -> dict[str, int]:
    """One axis of a transposed convolution that torch accepts (output size >= 1)."""
    k = draw(st.integers(1, 5))
    s = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3))
    n = draw(st.integers(1, max_size))
    p = draw(st.integers(0, 3))
    op = draw(st.integers(0, max(s, d) - 1))
    assume(Axis.transposed(n, k, s, (p, p), op, d).size >= 1)
    return {"kernel_size": k, "stride": s, "dilation": d, "padding": p, "output_padding": op, "n": n}


def _torch_transposed_counts(x: torch.Tensor, layer: dict[str, tuple[int, ...]]) -> torch.Tensor:
    ndim = x.dim() - 2
    w = _ones(1, 1, *layer["kernel_size"])
    args = {k: layer[k] for k in ("stride", "padding", "output_padding", "dilation")}
    return CONV_T[ndim](x, w, **args)


def _stack_params(axes: list[dict[str, int]]) -> dict[str, tuple[int, ...]]:
    keys = ("kernel_size", "stride", "dilation", "padding", "output_padding")
    return {k: tuple(a[k] for a in axes) for k in keys}


@given(st.integers(1, 2).flatmap(lambda nd: st.lists(transposed_axis(), min_size=nd, max_size=nd)))
def test_overlap_map_is_torch_conv_transpose_of_ones(axes: list[dict[str, int]]) -> None:
    params = _stack_params(axes)
    sizes = tuple(a["n"] for a in axes)
    ref = _torch_transposed_counts(_ones(1, 1, *sizes), params)[0, 0].numpy()
    if len(axes) == 1:  # plain ints make the 1-d map
        result = overlap_map(**{k: v[0] for k, v in params.items()}, input_size=sizes[0])
    else:
        result = overlap_map(**params, input_size=sizes)
    assert result.counts.dtype.kind == "i"
    np.testing.assert_array_equal(result.counts, ref)
    assert result.period == params["stride"]


@given(
    st.lists(
        st.lists(transposed_axis(max_size=3), min_size=1, max_size=3),  # layers of one axis each
        min_size=1,
        max_size=2,
    ).filter(lambda per_axis: len({len(layers) for layers in per_axis}) == 1)
)
def test_overlap_map_stack_is_composed_torch_conv_transposes(per_axis: list[list[dict[str, int]]]) -> None:
    """per_axis[a][i]: axis a of layer i (input sizes taken from layer 0)."""
    n_layers = len(per_axis[0])
    layers = [_stack_params([axis_layers[i] for axis_layers in per_axis]) for i in range(n_layers)]
    sizes = tuple(axis_layers[0]["n"] for axis_layers in per_axis)
    x = _ones(1, 1, *sizes)
    for layer in layers:
        assume(all(n >= 1 for n in x.shape[2:]))
        try:
            x = _torch_transposed_counts(x, layer)
        except RuntimeError:  # an intermediate output size below 1
            assume(False)
    result = overlap_map_stack(layers, input_size=sizes)
    np.testing.assert_array_equal(result.counts, x[0, 0].numpy())
    assert result.period == tuple(
        math.prod(layer["stride"][a] for layer in layers) for a in range(len(sizes))
    )


@given(st.lists(transposed_axis(), min_size=1, max_size=3))
def test_interior_is_the_counts_far_from_the_borders(layers_1d: list[dict[str, int]]) -> None:
    """Without padding, a long input's counts repeat ``interior`` in the middle."""
    layers = [
        {k: v for k, v in layer.items() if k in ("kernel_size", "stride", "dilation")} for layer in layers_1d
    ]
    period = math.prod(layer["stride"] for layer in layers)
    span = 1 + sum(
        (layer["kernel_size"] - 1) * layer["dilation"] * math.prod(lay["stride"] for lay in layers[i + 1 :])
        for i, layer in enumerate(layers)
    )
    result = overlap_map_stack(layers, input_size=4 * span // period + 8)
    middle = len(result.counts) // 2 // period * period
    np.testing.assert_array_equal(result.counts[middle : middle + period], result.interior)
    interior = result.interior
    assert result.unevenness == pytest.approx((interior.max() - interior.min()) / interior.mean())
    assert result.is_uneven == (len(set(interior.tolist())) > 1)


def test_seed_000_checkerboard() -> None:
    """Kernel 3 with stride 2 overlaps unevenly; kernel 4 with stride 2 evenly (Odena et al.)."""
    odd, even = overlap_map((3, 3), (2, 2)), overlap_map((4, 4), (2, 2))
    assert odd.is_uneven and not even.is_uneven
    np.testing.assert_array_equal(odd.interior, [[4, 2], [2, 1]])
    assert odd.unevenness == pytest.approx(3 / 2.25)
    np.testing.assert_array_equal(even.interior, np.full((2, 2), 4))
    assert even.unevenness == 0.0
    # the seed's own picture: stride 1, kernel 2 overlaps evenly in the interior
    assert not overlap_map(2, 1).is_uneven
    # dilation can make an even kernel uneven: taps 0, 2, 4, 6 all land on residue 0 of stride 2
    np.testing.assert_array_equal(overlap_map(4, 2, dilation=2).interior, [4, 0])


@given(st.integers(1, 2).flatmap(lambda nd: st.lists(transposed_axis(max_size=9), min_size=nd, max_size=nd)))
def test_gradient_overlap_is_torch_autograd(axes: list[dict[str, int]]) -> None:
    sizes = tuple(a["n"] for a in axes)
    kernels = tuple(a["kernel_size"] for a in axes)
    strides = tuple(a["stride"] for a in axes)
    dilations = tuple(a["dilation"] for a in axes)
    pads = tuple(min(a["padding"], a["kernel_size"] // 2) for a in axes)  # torch: pad <= half the kernel
    assume(
        all(
            Axis(n, k, s, d, (p, p)).out_size >= 1
            for n, k, s, d, p in zip(sizes, kernels, strides, dilations, pads)
        )
    )
    x = _ones(1, 1, *sizes, grad=True)
    y = CONV[len(sizes)](x, _ones(1, 1, *kernels), stride=strides, padding=pads, dilation=dilations)
    (grad,) = torch.autograd.grad(y, x, torch.ones_like(y))
    result = gradient_overlap(kernels, strides, dilations, input_size=sizes, padding=pads)
    np.testing.assert_array_equal(result.counts, grad[0, 0].numpy())
    assert result.period == strides
    # the backward pass has the transposed convolution's checkerboard
    np.testing.assert_array_equal(result.interior, overlap_map(kernels, strides, dilations).interior)


def test_overlap_refuses_what_torch_refuses() -> None:
    with pytest.raises(ValueError, match="output_padding"):
        overlap_map(3, 2, output_padding=2)
    with pytest.raises(ValueError, match="output size"):
        overlap_map(1, 1, input_size=1, padding=1)
    with pytest.raises(ValueError, match="kernel_size"):
        overlap_map(0, 2)
    with pytest.raises(ValueError, match="disagree"):
        overlap_map((3, 3), (2, 2, 2))
    with pytest.raises(ValueError, match=r"layers\[0\]"):
        overlap_map_stack([{"stride": 2}], 4)


# ---------------------------------------------------------------------------
# gridding
# ---------------------------------------------------------------------------


def _torch_gridding(rates: tuple[int, ...], kernel: int, ndim: int) -> np.ndarray:
    """Gradient of the single output cell w.r.t. an input the size of the receptive field."""
    field = 1 + sum(r * (kernel - 1) for r in rates)
    x = _ones(1, 1, *(field,) * ndim, grad=True)
    y = x
    for r in rates:
        y = CONV[ndim](y, _ones(1, 1, *(kernel,) * ndim), dilation=r)
    assert y.shape[2:] == (1,) * ndim
    (grad,) = torch.autograd.grad(y.sum(), x)
    return grad[0, 0].numpy()


@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.integers(1, 4), st.integers(1, 2))
@settings(max_examples=30)
def test_gridding_coverage_is_torch_gradient(rates: list[int], kernel: int, ndim: int) -> None:
    g = gridding(rates, kernel)
    coverage = g.coverage if ndim == 1 else g.coverage_2d
    np.testing.assert_array_equal(coverage, _torch_gradient_cached(tuple(rates), kernel, ndim))
    assert g.has_holes == bool((coverage == 0).any())
    assert g.common_factor == math.gcd(*rates)
    if g.common_factor > 1 and kernel > 1:
        assert g.has_holes
    if g.satisfies_hdc and g.distances[0] == 1 and kernel >= 3:  # Wang et al.'s setting
        assert not g.has_holes


_CACHE: dict[tuple[tuple[int, ...], int, int], np.ndarray] = {}


def _torch_gradient_cached(rates: tuple[int, ...], kernel: int, ndim: int) -> np.ndarray:
    key = (rates, kernel, ndim)
    if key not in _CACHE:
        _CACHE[key] = _torch_gridding(rates, kernel, ndim)
    return _CACHE[key]


def test_seed_002_gridding() -> None:
    """Rates (1, 2, 3) (HDC) and (2, 2, 2) (DeepLab) both see 13 cells; only HDC sees all."""
    hdc, deeplab = gridding((1, 2, 3)), gridding((2, 2, 2))
    assert hdc.receptive_field == deeplab.receptive_field == 13
    assert hdc.satisfies_hdc and not hdc.has_holes and hdc.common_factor == 1
    assert not deeplab.satisfies_hdc and deeplab.has_holes and deeplab.common_factor == 2
    assert deeplab.holes == 6  # every odd cell
    assert np.count_nonzero(deeplab.coverage_2d == 0) == 13 * 13 - 7 * 7
    np.testing.assert_array_equal(hdc.coverage_2d, _torch_gridding((1, 2, 3), 3, 2))
    # two 3x3 layers: a 5x5 field; two rate-2 layers: 9 cells (seed 002 quotes 13 for three)
    assert gridding((1, 1)).receptive_field == 5
    assert gridding((1, 2, 9)).distances == (3, 5, 9)
    with pytest.raises(ValueError, match="rates"):
        gridding((1, 0))


# ---------------------------------------------------------------------------
# the convolution matrix
# ---------------------------------------------------------------------------


@st.composite
def conv_config(draw: st.DrawFn) -> dict[str, object]:
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    max_size = {1: 9, 2: 6, 3: 4}[ndim]
    kernel, stride, dilation, padding, sizes = [], [], [], [], []
    for _ in range(ndim):
        k, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p = draw(st.integers(0, 2))
        span = Axis(1, k, dilation=d).span
        n = draw(st.integers(max(1, span - 2 * p), max(max_size, span)))
        kernel.append(k)
        dilation.append(d)
        padding.append(p)
        stride.append(draw(st.integers(1, 3)))
        sizes.append(n)
    return {
        "input_shape": (c_in, *sizes),
        "weight_shape": (c_out, c_in // groups, *kernel),
        "stride": tuple(stride),
        "padding": tuple(padding),
        "dilation": tuple(dilation),
        "groups": groups,
    }


@given(conv_config(), st.integers(0, 2**16))
def test_conv_matrix_is_torch_conv_and_its_transpose(config: dict, seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(config["weight_shape"])
    x = rng.standard_normal(config["input_shape"])
    kw = {k: config[k] for k in ("stride", "padding", "dilation", "groups")}
    ndim = len(config["input_shape"]) - 1
    ref = CONV[ndim](torch.from_numpy(x[None]), torch.from_numpy(w), **kw)[0].numpy()
    batched = (1, *config["input_shape"])
    c = conv_matrix(batched if seed % 2 else config["input_shape"], w, **kw)
    assert c.format == "csr" and c.shape == (ref.size, x.size)
    np.testing.assert_allclose(c @ x.ravel(), ref.ravel(), rtol=1e-12, atol=1e-12)

    # C.T is torch's transposed convolution with the same weight
    y = rng.standard_normal(ref.shape)
    output_padding = tuple(
        n - Axis.transposed(o, k, s, (p, p), 0, d).size
        for n, o, k, s, p, d in zip(
            config["input_shape"][1:],
            ref.shape[1:],
            config["weight_shape"][2:],
            kw["stride"],
            kw["padding"],
            kw["dilation"],
        )
    )
    assume(all(op < max(s, d) for op, s, d in zip(output_padding, kw["stride"], kw["dilation"])))
    back = CONV_T[ndim](torch.from_numpy(y[None]), torch.from_numpy(w), output_padding=output_padding, **kw)[
        0
    ]
    np.testing.assert_allclose(c.T @ y.ravel(), back.numpy().ravel(), rtol=1e-12, atol=1e-12)


@given(conv_config())
@settings(max_examples=15)
def test_conv_matrix_transpose_is_torch_input_gradient(config: dict) -> None:
    """Also where output_padding could not express the input size: C.T is the input-gradient."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal(config["weight_shape"])
    kw = {k: config[k] for k in ("stride", "padding", "dilation", "groups")}
    x = torch.zeros((1, *config["input_shape"]), dtype=torch.float64, requires_grad=True)
    out = CONV[len(config["input_shape"]) - 1](x, torch.from_numpy(w), **kw)
    y = torch.from_numpy(rng.standard_normal(out.shape))
    (grad,) = torch.autograd.grad(out, x, y)
    c = conv_matrix(config["input_shape"], w, **kw)
    np.testing.assert_allclose(c.T @ y.numpy().ravel(), grad.numpy().ravel(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_matrix_string_padding(padding: str) -> None:
    rng = np.random.default_rng(1)
    w, x = rng.standard_normal((3, 2, 2, 3)), rng.standard_normal((2, 5, 7))
    ref = TF.conv2d(torch.from_numpy(x[None]), torch.from_numpy(w), padding=padding, dilation=(2, 1))[0]
    c = conv_matrix(x.shape, w, padding=padding, dilation=(2, 1))
    np.testing.assert_allclose(c @ x.ravel(), ref.numpy().ravel(), rtol=1e-12, atol=1e-12)


def test_kernel_shape_gives_tap_numbers() -> None:
    shape = (2, 1, 2, 3)
    numbered = conv_matrix((2, 4, 4), shape, groups=2, padding=1)
    weights = np.arange(1, 13).reshape(shape)
    assert numbered.dtype == np.int64
    assert (numbered != conv_matrix((2, 4, 4), weights, groups=2, padding=1)).nnz == 0
    # every output cell of a 'valid' convolution reads every tap exactly once
    valid = conv_matrix((1, 4, 5), (1, 1, 2, 3))
    assert all(sorted(row.data.tolist()) == list(range(1, 7)) for row in valid)


# The coefficient matrix of seed 004, verbatim.
SEED_004 = r"""C =\begin{bmatrix}w_{11} & w_{12} & 0 & w_{21} & w_{22} & 0 & 0& 0& 0\\0 & w_{11} &
w_{12} & 0 & w_{21} & w_{22} & 0 & 0& 0 \\0 & 0 & 0 & w_{11} & w_{12} & 0 & w_{21} & w_{22} & 0 \\0 & 0 & 0 &
0 & w_{11} & w_{12} & 0 & w_{21} & w_{22}\end{bmatrix}"""


def test_seed_004_symbolic_matrix() -> None:
    """y = C x for a 3x3 input and a 2x2 kernel: the seed's matrix, and torch's conv on basis vectors."""
    body = SEED_004.split(r"\begin{bmatrix}")[1].split(r"\end{bmatrix}")[0].replace("\n", " ")
    from_seed = np.array(
        [[re.sub(r"w_\{(\d+)\}", r"w\1", e.strip()) for e in row.split("&")] for row in body.split(r"\\")],
        dtype=object,
    )
    assert from_seed.shape == (4, 9)
    # torch: weights 1..4 stand for w11 w12 w21 w22; column j of C is conv(e_j)
    names = np.array(["0", "w11", "w12", "w21", "w22"], dtype=object)
    w = torch.arange(1.0, 5.0, dtype=torch.float64).reshape(1, 1, 2, 2)
    basis = torch.eye(9, dtype=torch.float64).reshape(9, 1, 3, 3)
    columns = TF.conv2d(basis, w).reshape(9, 4).T.numpy().astype(int)
    from_torch = names[columns]
    ours = symbolic_conv_matrix((3, 3), (2, 2))
    np.testing.assert_array_equal(ours, from_seed)
    np.testing.assert_array_equal(ours, from_torch)
    # the transposed convolution is C.T: column 0 of C.T scatters y11 through all four taps
    assert list(ours.T[:, 0]) == ["w11", "w12", "0", "w21", "w22", "0", "0", "0", "0"]


def test_symbolic_matrix_other_geometries() -> None:
    strided = symbolic_conv_matrix((5,), (3,), stride=2, padding=1)
    np.testing.assert_array_equal(
        strided,
        [["w2", "w3", "0", "0", "0"], ["0", "w1", "w2", "w3", "0"], ["0", "0", "0", "w1", "w2"]],
    )
    assert symbolic_conv_matrix((12,), (10,))[0, 9] == "w10"
    assert symbolic_conv_matrix((3, 12), (1, 10))[0, 0] == "w1_1"
    with pytest.raises(ValueError, match="too large"):
        symbolic_conv_matrix((100, 100), (3, 3))


def test_conv_matrix_refuses_what_torch_refuses() -> None:
    with pytest.raises(ValueError, match="groups=2"):
        conv_matrix((3, 5), (2, 1, 3), groups=2)
    with pytest.raises(ValueError, match="strided"):
        conv_matrix((1, 5), (1, 1, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match="does not fit"):
        conv_matrix((1, 2), (1, 1, 3))
    with pytest.raises(ValueError, match="batch 1"):
        conv_matrix((2, 1, 5), (1, 1, 3))
    with pytest.raises(ValueError, match="spatial"):
        conv_matrix((1, 1, 5, 5), (1, 1, 3))
