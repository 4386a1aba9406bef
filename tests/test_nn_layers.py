"""``convscope.nn`` layers against their ``torch.nn`` twins.

Each test builds the torch layer, gives it random parameters and buffers,
loads torch's ``state_dict()`` into the convscope layer of the same
configuration and compares the outputs: float64 to ``rel 1e-10`` and float32
to ``1e-4`` (``support.assert_close``). The bookkeeping (state-dict keys,
order, shapes and dtypes, ``named_parameters``, ``load_state_dict``'s errors,
``repr``, ``train``/``eval``) is compared with torch's as well; default
initialisation and dropout are checked against torch's distributions and
their mathematical properties.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convscope import nn
from support import (
    PADDING_MODES,
    TORCH_DTYPE,
    assert_close,
    conv_cases,
    conv_transpose_cases,
    to_numpy,
    tt,
)

T = torch.nn
ND = [1, 2, 3]
DTYPES = [np.float64, np.float32]
FAST = settings(max_examples=30)


# ---------------------------------------------------------------------------
# twins
# ---------------------------------------------------------------------------


def randomize_(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Random parameters and buffers (positive running variances, a random batch count)."""
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(torch.from_numpy(g.standard_normal(tuple(p.shape))))
        for name, b in module.named_buffers():
            if name.endswith("num_batches_tracked"):
                b.fill_(int(g.integers(0, 50)))
            elif name.endswith("running_var"):
                b.copy_(torch.from_numpy(g.uniform(0.5, 2.0, tuple(b.shape))))
            elif b.is_floating_point():
                b.copy_(torch.from_numpy(g.standard_normal(tuple(b.shape))))
    return module


def twin(tmod: torch.nn.Module, cmod: nn.Module, dtype: Any) -> tuple[torch.nn.Module, nn.Module]:
    """torch's layer cast to ``dtype``; ours cast the same way, loaded with torch's state dict."""
    tmod = tmod.double() if np.dtype(dtype) == np.float64 else tmod.float()
    cmod = cmod.double() if np.dtype(dtype) == np.float64 else cmod.float()
    result = cmod.load_state_dict(tmod.state_dict())
    assert result == ([], []), result
    cmod.train(tmod.training)
    return tmod, cmod


def t_in(x: np.ndarray, dtype: Any) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, dtype=dtype).copy())


def assert_outputs_match(
    tmod: torch.nn.Module, cmod: nn.Module, x: np.ndarray, dtype: Any, msg: str = "", **kw
) -> Any:
    """Run both layers on ``x`` cast to ``dtype``; outputs must agree. Returns torch's output."""
    with torch.no_grad():
        ref = tmod(t_in(x, dtype), **kw)
    ours = cmod(np.asarray(x, dtype=dtype).copy(), **kw)
    if isinstance(ref, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(ref), type(ours)
        assert_close(ours[0], ref[0], dtype, err_msg=msg)
        np.testing.assert_array_equal(ours[1], to_numpy(ref[1]), err_msg=msg)
        assert ours[1].dtype == np.int64
    else:
        assert_close(ours, ref, dtype, err_msg=msg)
    return ref


def assert_layers_match_torch(
    tmod_factory: Callable[[], torch.nn.Module], cmod_factory: Callable[[], nn.Module], x, seed=0, **kw
):
    """Compare freshly built twins in float64 and float32."""
    for dtype in DTYPES:
        tmod, cmod = twin(randomize_(tmod_factory(), seed), cmod_factory(), dtype)
        assert_outputs_match(tmod, cmod, x, dtype, **kw)


def _fmt(draw, values: tuple[int, ...]) -> Any:
    """A per-axis argument as an int (when all equal, sometimes) or as a tuple."""
    return values[0] if len(set(values)) == 1 and draw(st.booleans()) else tuple(values)


def _seeded(draw, shape, kind: str = "normal") -> np.ndarray:
    g = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "positive":
        return g.uniform(0.5, 2.5, shape)
    return g.standard_normal(shape)


# ---------------------------------------------------------------------------
# convolutions
# ---------------------------------------------------------------------------

T_CONV = {1: T.Conv1d, 2: T.Conv2d, 3: T.Conv3d}
C_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
T_CONVT = {1: T.ConvTranspose1d, 2: T.ConvTranspose2d, 3: T.ConvTranspose3d}
C_CONVT = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_conv_layer_matches_torch(nd, data):
    case = data.draw(
        conv_cases(
            nd, pad_kinds=("int", "tuple", "same", "valid"), padding_modes=PADDING_MODES, allow_unbatched=True
        ),
        label="case",
    )
    cin, cout, kernel = case.w.shape[1] * case.groups, case.w.shape[0], tuple(case.w.shape[2:])
    kw = dict(
        stride=case.stride,
        padding=case.padding,
        dilation=case.dilation,
        groups=case.groups,
        bias=case.b is not None,
        padding_mode=case.padding_mode,
    )
    for dtype in DTYPES:
        tmod, cmod = twin(
            randomize_(T_CONV[nd](cin, cout, kernel, **kw), 1), C_CONV[nd](cin, cout, kernel, **kw), dtype
        )
        assert cmod.weight.shape == tuple(tmod.weight.shape)
        assert_outputs_match(tmod, cmod, case.x, dtype, repr(case))


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_conv_transpose_layer_matches_torch(nd, data):
    case = data.draw(conv_transpose_cases(nd, allow_unbatched=True), label="case")
    cin, cout, kernel = case.w.shape[0], case.w.shape[1] * case.groups, tuple(case.w.shape[2:])
    kw = dict(
        stride=case.stride,
        padding=case.padding,
        output_padding=case.output_padding,
        groups=case.groups,
        bias=case.b is not None,
        dilation=case.dilation,
    )
    for dtype in DTYPES:
        tmod, cmod = twin(
            randomize_(T_CONVT[nd](cin, cout, kernel, **kw), 2), C_CONVT[nd](cin, cout, kernel, **kw), dtype
        )
        assert cmod.weight.shape == tuple(tmod.weight.shape)
        assert_outputs_match(tmod, cmod, case.x, dtype, repr(case))


def _output_size_range(case, nd):
    """torch's ``_output_padding`` range: ``[min, min + stride - 1]`` per spatial axis."""
    pads = (case.padding,) * nd if isinstance(case.padding, int) else case.padding
    lows = []
    for i, k, s, p, d in zip(case.x.shape[-nd:], case.w.shape[2:], case.stride, pads, case.dilation):
        lows.append((i - 1) * s - 2 * p + d * (k - 1) + 1)
    return lows


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_conv_transpose_forward_output_size(nd, data):
    """``forward(x, output_size=...)`` picks torch's output padding (spatial sizes or the full shape)."""
    case = data.draw(conv_transpose_cases(nd, allow_unbatched=True), label="case")
    cin, cout, kernel = case.w.shape[0], case.w.shape[1] * case.groups, tuple(case.w.shape[2:])
    lows = _output_size_range(case, nd)
    assume(all(lo >= 1 for lo in lows))
    spatial = tuple(data.draw(st.integers(lo, lo + s - 1)) for lo, s in zip(lows, case.stride))
    batch = case.x.shape[: -nd - 1]
    full = bool(batch) and data.draw(st.booleans(), label="full shape")  # unbatched: see the xfail below
    output_size = (*batch, cout, *spatial) if full else spatial
    kw = dict(stride=case.stride, padding=case.padding, groups=case.groups, dilation=case.dilation)
    for dtype in DTYPES:
        tmod, cmod = twin(
            randomize_(T_CONVT[nd](cin, cout, kernel, **kw), 3), C_CONVT[nd](cin, cout, kernel, **kw), dtype
        )
        ref = assert_outputs_match(
            tmod, cmod, case.x, dtype, f"{case!r} output_size={output_size}", output_size=output_size
        )
        assert tuple(ref.shape[-nd:]) == spatial


@pytest.mark.parametrize("nd", ND)
def test_conv_transpose_output_size_full_shape_of_unbatched_input(nd):
    x = np.random.default_rng(nd).standard_normal((2, *range(3, 3 + nd)))
    wanted = (3, *(2 * s for s in x.shape[1:]))  # (C_out, *spatial): valid for stride 2 and kernel 3
    tmod, cmod = twin(
        randomize_(T_CONVT[nd](2, 3, 3, stride=2, padding=1), 0),
        C_CONVT[nd](2, 3, 3, stride=2, padding=1),
        np.float64,
    )
    ref = assert_outputs_match(tmod, cmod, x, np.float64, output_size=wanted)
    assert tuple(ref.shape) == wanted


def test_conv_transpose_output_size_out_of_range_is_refused():
    x = np.ones((1, 2, 5, 5))
    tmod, cmod = T.ConvTranspose2d(2, 2, 3, stride=2), nn.ConvTranspose2d(2, 2, 3, stride=2)
    for size in [(10, 10), (13, 13)]:  # valid: 11..12
        with pytest.raises(ValueError):
            tmod(tt(x).float(), output_size=size)
        with pytest.raises(ValueError):
            cmod(x.astype(np.float32), output_size=size)


def test_seed_004_examples():
    """Group conv weight [6, 2, 3, 3]; Conv1d(256, 128, 3) weight [128, 256, 3]; outputs as torch's."""
    group, conv1 = T.Conv2d(6, 6, 3, groups=3), T.Conv1d(256, 128, 3)
    assert tuple(group.weight.shape) == nn.Conv2d(6, 6, 3, groups=3, rng=0).weight.shape == (6, 2, 3, 3)
    assert tuple(conv1.weight.shape) == nn.Conv1d(256, 128, 3, rng=0).weight.shape == (128, 256, 3)
    g = np.random.default_rng(4)
    assert_layers_match_torch(
        lambda: T.Conv2d(6, 6, 3, groups=3),
        lambda: nn.Conv2d(6, 6, 3, groups=3),
        g.standard_normal((2, 6, 7, 8)),
    )
    assert_layers_match_torch(
        lambda: T.Conv1d(256, 128, 3), lambda: nn.Conv1d(256, 128, 3), g.standard_normal((2, 256, 9))
    )


# ---------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------

POOLS = {name: (getattr(T, name), getattr(nn, name)) for name in nn.__all__ if "pool" in name.lower()}


def _pool(kind: str, nd: int):
    return POOLS[f"{kind}{nd}d"]


@st.composite
def pool_geometry(draw, nd: int, *, dilation: bool = True, padding: bool = True, fits: bool = False):
    """kernel, stride (None: the kernel), padding <= kernel // 2, dilation, ceil_mode and input sizes."""
    kernel = tuple(draw(st.integers(1, 3 if nd == 3 else 4)) for _ in range(nd))
    dil = tuple(draw(st.integers(1, 2)) if dilation else 1 for _ in range(nd))
    pads = tuple(draw(st.integers(0, k // 2)) if padding else 0 for k in kernel)
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    ceil_mode = draw(st.booleans())
    lows = [max(1, d * (k - 1) + 1 - (0 if fits else 2 * p)) for k, d, p in zip(kernel, dil, pads)]
    sizes = tuple(lo + draw(st.integers(0, 3 if nd == 3 else 5)) for lo in lows)
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    shape = (*batch, draw(st.integers(1, 3)), *sizes)
    return dict(
        kernel_size=_fmt(draw, kernel),
        stride=None if stride is None else _fmt(draw, stride),
        padding=_fmt(draw, pads),
        dilation=_fmt(draw, dil),
        ceil_mode=ceil_mode,
    ), shape


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_max_pool_layer_matches_torch(nd, data):
    kw, shape = data.draw(pool_geometry(nd), label="geometry")
    kw["return_indices"] = data.draw(st.booleans(), label="return_indices")
    with torch.no_grad():
        probe = _pool("MaxPool", nd)[0](**kw)(torch.zeros(shape, dtype=torch.float64))
    assume(not torch.isinf(probe[0] if kw["return_indices"] else probe).any())  # a window all padding
    x = _seeded(data.draw, shape)
    tcls, ccls = _pool("MaxPool", nd)
    assert_layers_match_torch(lambda: tcls(**kw), lambda: ccls(**kw), x)


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_avg_pool_layer_matches_torch(nd, data):
    kw, shape = data.draw(pool_geometry(nd, dilation=False, fits=True), label="geometry")
    del kw["dilation"]
    kw["count_include_pad"] = data.draw(st.booleans())
    if nd > 1 and data.draw(st.booleans()):
        kw["divisor_override"] = data.draw(st.integers(1, 5))
    x = _seeded(data.draw, shape)
    tcls, ccls = _pool("AvgPool", nd)
    assert_layers_match_torch(lambda: tcls(**kw), lambda: ccls(**kw), x)


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_lp_pool_layer_matches_torch(nd, data):
    kw, shape = data.draw(pool_geometry(nd, dilation=False, padding=False, fits=True), label="geometry")
    del kw["dilation"], kw["padding"]
    if nd == 1:  # torch's lp_pool1d multiplies by kernel_size: it only takes an int
        kw["kernel_size"] = kw["kernel_size"] if isinstance(kw["kernel_size"], int) else kw["kernel_size"][0]
        kw["stride"] = kw["stride"] if not isinstance(kw["stride"], tuple) else kw["stride"][0]
    norm_type = data.draw(st.sampled_from([1, 2, 3, 1.5, math.inf]), label="norm_type")
    x = _seeded(data.draw, shape, "normal" if norm_type in (1, 2, math.inf) else "positive")
    tcls, ccls = _pool("LPPool", nd)
    assert_layers_match_torch(lambda: tcls(norm_type, **kw), lambda: ccls(norm_type, **kw), x)


@pytest.mark.parametrize("kind", ["AdaptiveAvgPool", "AdaptiveMaxPool"])
@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_adaptive_pool_layer_matches_torch(kind, nd, data):
    sizes = tuple(data.draw(st.integers(1, 7)) for _ in range(nd))
    outs = tuple(
        data.draw(st.one_of(st.none(), st.integers(1, 5))) if nd > 1 else data.draw(st.integers(1, 5))
        for _ in range(nd)
    )
    output_size = outs[0] if nd == 1 or (len(set(outs)) == 1 and outs[0] is not None) else outs
    extra = {"return_indices": data.draw(st.booleans())} if kind == "AdaptiveMaxPool" else {}
    batch = data.draw(st.sampled_from([(), (2,)]))
    x = _seeded(data.draw, (*batch, 2, *sizes))
    tcls, ccls = _pool(kind, nd)
    assert_layers_match_torch(lambda: tcls(output_size, **extra), lambda: ccls(output_size, **extra), x)


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_max_unpool_layer_matches_torch(nd, data):
    """Unpool torch's pooled values and indices, with and without ``output_size`` (spatial or full)."""
    kw, shape = data.draw(pool_geometry(nd, dilation=False), label="geometry")
    kw.pop("dilation"), kw.pop("ceil_mode")
    x = _seeded(data.draw, shape)
    with torch.no_grad():
        values, indices = _pool("MaxPool", nd)[0](**kw, return_indices=True)(tt(x))
    # torch's max_unpool takes n or n + 2 sizes (not the n + 1 of an unbatched input)
    which = data.draw(
        st.sampled_from(["none", "spatial", "full"] if len(shape) == nd + 2 else ["none", "spatial"]),
        label="output_size",
    )
    output_size = {"none": None, "spatial": shape[-nd:], "full": shape}[which]
    tcls, ccls = _pool("MaxUnpool", nd)
    for dtype in DTYPES:
        tmod, cmod = tcls(**kw), ccls(**kw)
        args = (to_numpy(values).astype(dtype), to_numpy(indices))
        try:
            with torch.no_grad():
                ref = tmod(values.to(TORCH_DTYPE[np.dtype(dtype)]), indices, output_size=output_size)
        except RuntimeError:  # an index beyond the default output size: refused by both
            with pytest.raises(ValueError, match="index"):
                cmod(*args, output_size=output_size)
            continue
        assume(ref.numel() > 0)  # an empty output: see test_max_unpool_to_an_empty_output
        ours = cmod(*args, output_size=output_size)
        assert_close(ours, ref, dtype, err_msg=f"{kw} {shape} output_size={output_size}")


def test_max_unpool_to_an_empty_output():
    values, indices = np.ones((1, 1, 1)), np.zeros((1, 1, 1), np.int64)
    ref = T.MaxUnpool1d(2, padding=1)(tt(values), torch.from_numpy(indices))
    assert_close(nn.MaxUnpool1d(2, padding=1)(values, indices), ref, np.float64)


# ---------------------------------------------------------------------------
# resampling
# ---------------------------------------------------------------------------

MODES = {
    1: ["nearest", "nearest-exact", "linear", "area"],
    2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
    3: ["nearest", "nearest-exact", "trilinear", "area"],
}


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_upsample_layer_matches_torch(nd, data):
    mode = data.draw(st.sampled_from(MODES[nd]), label="mode")
    sizes = tuple(data.draw(st.integers(1, 6)) for _ in range(nd))
    kw: dict[str, Any] = {"mode": mode}
    if data.draw(st.booleans(), label="by size"):
        out = tuple(data.draw(st.integers(1, 9)) for _ in range(nd))
        kw["size"] = out[0] if len(set(out)) == 1 and data.draw(st.booleans()) else out
    else:
        factor = data.draw(st.sampled_from([2, 3, 0.5, 1.5, 1.7, 2.25]), label="scale_factor")
        if all(math.floor(s * factor) >= 1 for s in sizes):
            kw["scale_factor"] = factor
        else:
            kw["scale_factor"] = 2
        if mode != "area":
            kw["recompute_scale_factor"] = data.draw(st.sampled_from([None, True, False]))
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        kw["align_corners"] = data.draw(st.sampled_from([None, False, True]))
    x = _seeded(data.draw, (2, 3, *sizes))
    assert_layers_match_torch(lambda: T.Upsample(**kw), lambda: nn.Upsample(**kw), x)


@pytest.mark.parametrize("name", ["UpsamplingNearest2d", "UpsamplingBilinear2d"])
@FAST
@given(data=st.data())
def test_fixed_mode_upsampling_matches_torch(name, data):
    sizes = tuple(data.draw(st.integers(1, 6)) for _ in range(2))
    if data.draw(st.booleans()):
        kw: dict[str, Any] = {"size": tuple(data.draw(st.integers(1, 11)) for _ in range(2))}
    else:
        kw = {"scale_factor": data.draw(st.sampled_from([2, 3]))}
    assert_layers_match_torch(
        lambda: getattr(T, name)(**kw), lambda: getattr(nn, name)(**kw), _seeded(data.draw, (2, 3, *sizes))
    )


@FAST
@given(data=st.data())
def test_pixel_shuffle_layers_match_torch(data):
    r = data.draw(st.integers(1, 3))
    batch = data.draw(st.sampled_from([(), (2,), (2, 1)]))
    c, h, w = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    assert_layers_match_torch(
        lambda: T.PixelShuffle(r), lambda: nn.PixelShuffle(r), _seeded(data.draw, (*batch, c * r * r, h, w))
    )
    assert_layers_match_torch(
        lambda: T.PixelUnshuffle(r),
        lambda: nn.PixelUnshuffle(r),
        _seeded(data.draw, (*batch, c, h * r, w * r)),
    )


# ---------------------------------------------------------------------------
# batch normalisation
# ---------------------------------------------------------------------------

T_BN = {1: T.BatchNorm1d, 2: T.BatchNorm2d, 3: T.BatchNorm3d}
C_BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


@pytest.mark.parametrize("nd", ND)
@FAST
@given(data=st.data())
def test_batch_norm_matches_torch_train_and_eval(nd, data):
    """A few training steps (outputs, running statistics, batch count), then eval, as torch."""
    c = data.draw(st.integers(1, 4), label="features")
    kw = dict(
        eps=data.draw(st.sampled_from([1e-5, 1e-3, 0.1])),
        momentum=data.draw(st.sampled_from([0.1, 0.5, None])),
        affine=data.draw(st.booleans()),
        track_running_stats=data.draw(st.booleans()),
        bias=data.draw(st.booleans()),
    )
    steps = data.draw(st.integers(0, 3), label="training steps")
    if nd == 1:
        tail = data.draw(st.sampled_from([(), (3,), (5,)]), label="length")
    else:
        tail = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    n = data.draw(st.integers(2, 3))
    seed = data.draw(st.integers(0, 2**32 - 1))
    g = np.random.default_rng(seed)
    batches = [
        g.standard_normal((n, c, *tail)) * g.uniform(0.5, 3) + g.uniform(-2, 2) for _ in range(steps + 1)
    ]
    for dtype in DTYPES:
        tmod, cmod = twin(randomize_(T_BN[nd](c, **kw), seed % 1000).train(), C_BN[nd](c, **kw), dtype)
        for x in batches[:steps]:
            assert_outputs_match(tmod, cmod, x, dtype, f"train {kw}")
            tstate, cstate = tmod.state_dict(), cmod.state_dict()
            assert list(cstate) == list(tstate)
            for key, value in tstate.items():
                if key == "num_batches_tracked":
                    assert cstate[key].dtype == np.int64 and int(cstate[key]) == int(value), key
                else:
                    assert_close(cstate[key], value, dtype, err_msg=f"{key} after training, {kw}")
        tmod.eval(), cmod.eval()
        assert_outputs_match(tmod, cmod, batches[-1], dtype, f"eval {kw}")


def test_batch_norm_refuses_one_value_per_channel_in_training():
    x = np.ones((1, 3, 1, 1), np.float32)
    with pytest.raises(ValueError):
        T.BatchNorm2d(3)(tt(x))
    with pytest.raises(ValueError):
        nn.BatchNorm2d(3)(x)


# ---------------------------------------------------------------------------
# element-wise layers
# ---------------------------------------------------------------------------

SPECIAL = np.array([0.0, -0.0, 1e-30, -1e-30, 5.999, 6.0, 6.001, 100.0, -100.0, np.inf, -np.inf, np.nan])

ELEMENTWISE = [
    ("ReLU()", lambda m: m.ReLU()),
    ("ReLU6()", lambda m: m.ReLU6()),
    ("LeakyReLU()", lambda m: m.LeakyReLU()),
    ("LeakyReLU(0.2)", lambda m: m.LeakyReLU(0.2)),
    ("LeakyReLU(-1.5)", lambda m: m.LeakyReLU(-1.5)),
    ("Sigmoid()", lambda m: m.Sigmoid()),
    ("Identity()", lambda m: m.Identity()),
    ("Dropout().eval()", lambda m: m.Dropout().eval()),
    ("Dropout2d().eval()", lambda m: m.Dropout2d().eval()),
]


@pytest.mark.parametrize("make", [f for _, f in ELEMENTWISE], ids=[i for i, _ in ELEMENTWISE])
def test_elementwise_layers_match_torch(make, rng):
    x = np.concatenate([rng.standard_normal(40) * 5, SPECIAL, -SPECIAL]).reshape(2, 4, 2, -1)
    with np.errstate(over="ignore", invalid="ignore"):
        assert_layers_match_torch(lambda: make(T), lambda: make(nn), x)


@pytest.mark.parametrize("make", [f for _, f in ELEMENTWISE[:5]], ids=[i for i, _ in ELEMENTWISE[:5]])
def test_inplace_activations_overwrite_their_input_as_torch(make, rng):
    x = np.concatenate([rng.standard_normal(40) * 5, SPECIAL]).reshape(2, 2, -1)
    for dtype in DTYPES:
        tmod, cmod = make(T), make(nn)
        tmod.inplace = cmod.inplace = True
        tx, cx = t_in(x, dtype), x.astype(dtype)
        ref, ours = tmod(tx), cmod(cx)
        assert ours is cx or np.shares_memory(ours, cx)
        assert_close(cx, tx, dtype)
        assert_close(ours, ref, dtype)


# ---------------------------------------------------------------------------
# dropout
# ---------------------------------------------------------------------------


def _binomial_bound(n: int, p: float, sigmas: float = 6.0) -> float:
    return sigmas * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_training_statistics(p, rng):
    """Zeros about ``p`` of the elements; the others are scaled by ``1/(1-p)`` (torch's factor)."""
    x = rng.uniform(0.5, 2.0, (40, 50, 50)).astype(np.float32)
    torch.manual_seed(0)
    ref = to_numpy(T.Dropout(p)(t_in(x, np.float32)))
    ours = nn.Dropout(p, rng=0)(x.copy())
    assert ours.dtype == np.float32 and ours.shape == x.shape
    for out in (ref, ours):
        assert abs((out == 0).mean() - p) < _binomial_bound(x.size, p)
    kept = ours != 0
    torch_kept = ref != 0
    # every kept element is scaled exactly as torch scales its kept elements
    factor = np.unique(ref[torch_kept] / x[torch_kept])
    assert_close(ours[kept] / x[kept], np.full(kept.sum(), factor.mean(), np.float32), np.float32)
    assert_close(ours[kept], x[kept] / np.float32(1 - p), np.float32)


def test_dropout_edge_probabilities_and_eval(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    for p in (0.0, 1.0):
        ref = to_numpy(T.Dropout(p)(tt(x)))
        assert_close(nn.Dropout(p, rng=0)(x.copy()), ref, np.float64)
    for cls in ("Dropout", "Dropout2d"):
        tmod, cmod = getattr(T, cls)(0.5).eval(), getattr(nn, cls)(0.5, rng=0).eval()
        assert_close(cmod(x.copy()), tmod(tt(x)), np.float64)
        np.testing.assert_array_equal(cmod(x), x)


def test_dropout_inplace_overwrites_input():
    x = np.ones((100, 100), np.float32)
    out = nn.Dropout(0.5, inplace=True, rng=0)(x)
    assert np.shares_memory(out, x)
    assert set(np.unique(x).tolist()) == {0.0, 2.0}


def test_dropout_refuses_probabilities_outside_unit_interval():
    for p in (-0.1, 1.1):
        with pytest.raises(ValueError):
            T.Dropout(p)
        with pytest.raises(ValueError):
            nn.Dropout(p)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout2d_zeros_whole_channels(p, rng):
    x = rng.uniform(0.5, 2.0, (50, 200, 3, 2))
    torch.manual_seed(1)
    ref = to_numpy(T.Dropout2d(p)(tt(x)))
    ours = nn.Dropout2d(p, rng=1)(x.copy())
    for out in (ref, ours):
        channel_zero = (out == 0).all(axis=(2, 3))
        channel_kept = np.isclose(out, x / (1 - p), rtol=1e-12).all(axis=(2, 3))
        assert (channel_zero | channel_kept).all()  # a channel is dropped or kept whole
        assert abs(channel_zero.mean() - p) < _binomial_bound(channel_zero.size, p)


# ---------------------------------------------------------------------------
# state dicts, parameters, buffers, modes
# ---------------------------------------------------------------------------

LAYERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("Conv1d", lambda m: m.Conv1d(4, 6, 3)),
    ("Conv2d", lambda m: m.Conv2d(4, 6, (3, 2), stride=2, padding=1)),
    ("Conv2d-nobias", lambda m: m.Conv2d(4, 6, 3, bias=False)),
    ("Conv2d-groups", lambda m: m.Conv2d(6, 6, 3, groups=3)),
    ("Conv2d-reflect", lambda m: m.Conv2d(4, 6, 3, padding=1, padding_mode="reflect")),
    ("Conv3d", lambda m: m.Conv3d(2, 4, (1, 2, 3), groups=2)),
    ("ConvTranspose1d", lambda m: m.ConvTranspose1d(4, 6, 3, groups=2)),
    ("ConvTranspose2d", lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1)),
    ("ConvTranspose2d-nobias", lambda m: m.ConvTranspose2d(4, 6, 3, bias=False)),
    ("ConvTranspose3d", lambda m: m.ConvTranspose3d(2, 4, 2)),
    ("BatchNorm1d", lambda m: m.BatchNorm1d(5)),
    ("BatchNorm2d", lambda m: m.BatchNorm2d(5)),
    ("BatchNorm2d-noaffine", lambda m: m.BatchNorm2d(5, affine=False)),
    ("BatchNorm2d-nostats", lambda m: m.BatchNorm2d(5, track_running_stats=False)),
    ("BatchNorm3d", lambda m: m.BatchNorm3d(5, momentum=None)),
    ("BatchNorm2d-nobias", lambda m: m.BatchNorm2d(5, bias=False)),
    ("MaxPool2d", lambda m: m.MaxPool2d(2)),
    ("AvgPool3d", lambda m: m.AvgPool3d(2)),
    ("LPPool1d", lambda m: m.LPPool1d(2, 2)),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d(1)),
    ("AdaptiveMaxPool1d", lambda m: m.AdaptiveMaxPool1d(2)),
    ("MaxUnpool2d", lambda m: m.MaxUnpool2d(2)),
    ("Upsample", lambda m: m.Upsample(scale_factor=2)),
    ("UpsamplingNearest2d", lambda m: m.UpsamplingNearest2d(scale_factor=2)),
    ("UpsamplingBilinear2d", lambda m: m.UpsamplingBilinear2d(scale_factor=2)),
    ("PixelShuffle", lambda m: m.PixelShuffle(2)),
    ("PixelUnshuffle", lambda m: m.PixelUnshuffle(2)),
    ("ReLU", lambda m: m.ReLU()),
    ("ReLU6", lambda m: m.ReLU6()),
    ("LeakyReLU", lambda m: m.LeakyReLU()),
    ("Sigmoid", lambda m: m.Sigmoid()),
    ("Dropout", lambda m: m.Dropout()),
    ("Dropout2d", lambda m: m.Dropout2d()),
    ("Identity", lambda m: m.Identity()),
    ("Sequential", lambda m: m.Sequential(m.Conv2d(3, 4, 3), m.BatchNorm2d(4), m.ReLU(), m.Conv2d(4, 2, 1))),
    (
        "Sequential-OrderedDict",
        lambda m: m.Sequential(
            OrderedDict(conv=m.Conv2d(3, 4, 3, bias=False), bn=m.BatchNorm2d(4), act=m.ReLU6())
        ),
    ),
    (
        "Sequential-nested",
        lambda m: m.Sequential(
            m.Sequential(m.Conv2d(3, 4, 1), m.BatchNorm2d(4)),
            m.ReLU(),
            m.Sequential(m.ConvTranspose2d(4, 2, 2)),
        ),
    ),
    (
        "ModuleList",
        lambda m: m.ModuleList([m.Conv1d(2, 3, 1), m.BatchNorm1d(3), m.ModuleList([m.Conv1d(3, 3, 1)])]),
    ),
]
LAYER_IDS = [name for name, _ in LAYERS]
LAYER_MAKERS = [make for _, make in LAYERS]


def _np_dtype(t: torch.Tensor) -> np.dtype:
    return {v: k for k, v in TORCH_DTYPE.items()}[t.dtype]


@pytest.mark.parametrize("make", LAYER_MAKERS, ids=LAYER_IDS)
def test_state_dict_keys_shapes_and_dtypes_equal_torch(make):
    tmod, cmod = make(T), make(nn)
    for cast in (lambda m: m, lambda m: m.double(), lambda m: m.float()):
        tmod, cmod = cast(tmod), cast(cmod)
        tstate, cstate = tmod.state_dict(), cmod.state_dict()
        assert list(cstate) == list(tstate)
        for key, value in tstate.items():
            assert isinstance(cstate[key], np.ndarray), key
            assert cstate[key].shape == tuple(value.shape), key
            assert cstate[key].dtype == _np_dtype(value), key


@pytest.mark.parametrize("make", LAYER_MAKERS, ids=LAYER_IDS)
def test_named_parameters_buffers_and_modules_equal_torch(make):
    tmod, cmod = make(T), make(nn)
    assert [(k, tuple(v.shape)) for k, v in tmod.named_parameters()] == [
        (k, v.shape) for k, v in cmod.named_parameters()
    ]
    assert [k for k, _ in tmod.named_buffers()] == [k for k, _ in cmod.named_buffers()]
    assert [k for k, _ in tmod.named_modules()] == [k for k, _ in cmod.named_modules()]
    assert [type(m).__name__ for m in tmod.modules()] == [type(m).__name__ for m in cmod.modules()]
    assert len(list(tmod.parameters())) == len(list(cmod.parameters()))


@pytest.mark.parametrize("make", LAYER_MAKERS, ids=LAYER_IDS)
def test_load_state_dict_roundtrips_torch_values(make):
    """Loading torch's (random) state gives back exactly torch's values, in either container."""
    tmod = randomize_(make(T), 5)
    for values in ("tensor", "numpy"):
        cmod = make(nn)
        state = tmod.state_dict()
        if values == "numpy":
            state = OrderedDict((k, v.numpy()) for k, v in state.items())
        assert cmod.load_state_dict(state) == ([], [])
        for key, value in tmod.state_dict().items():
            np.testing.assert_array_equal(cmod.state_dict()[key], value.numpy(), err_msg=key)


@pytest.mark.parametrize("make", LAYER_MAKERS, ids=LAYER_IDS)
def test_train_eval_flags_follow_torch(make):
    tmod, cmod = make(T), make(nn)
    assert [m.training for m in tmod.modules()] == [m.training for m in cmod.modules()]
    tmod.eval(), cmod.eval()
    assert [m.training for m in tmod.modules()] == [m.training for m in cmod.modules()]
    assert cmod.train() is cmod and tmod.train() is tmod
    assert [m.training for m in tmod.modules()] == [m.training for m in cmod.modules()]


def _bn_net(m):
    return m.Sequential(m.Conv2d(3, 4, 3), m.BatchNorm2d(4), m.ReLU())


def test_load_state_dict_missing_and_unexpected_keys_like_torch():
    tnet = randomize_(_bn_net(T), 6)
    state = tnet.state_dict()
    del state["0.bias"], state["1.running_var"]
    state["2.weight"] = torch.ones(1)
    state["extra"] = torch.zeros(2)
    reference = _bn_net(T).load_state_dict(state, strict=False)
    with pytest.raises(RuntimeError):
        _bn_net(T).load_state_dict(state)
    cnet = _bn_net(nn)
    before = cnet.state_dict()
    with pytest.raises(KeyError) as info:
        cnet.load_state_dict(state)
    for key in [*reference.missing_keys, *reference.unexpected_keys]:
        assert key in str(info.value)
    for key, value in cnet.state_dict().items():  # nothing was loaded
        np.testing.assert_array_equal(value, before[key])
    result = cnet.load_state_dict(state, strict=False)
    assert result.missing_keys == reference.missing_keys
    # torch lists unexpected keys module by module (root first); the set is what matters
    assert sorted(result.unexpected_keys) == sorted(reference.unexpected_keys)
    assert len(result) == 2 and result[0] == result.missing_keys
    np.testing.assert_array_equal(cnet.state_dict()["0.weight"], state["0.weight"].numpy())


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_wrong_shape_is_value_error(strict):
    tnet = _bn_net(T)
    state = tnet.state_dict()
    state["0.weight"] = torch.zeros(4, 3, 2, 3)
    with pytest.raises(RuntimeError, match="size mismatch"):
        _bn_net(T).load_state_dict(state, strict=strict)
    with pytest.raises(ValueError, match=r"0\.weight"):
        _bn_net(nn).load_state_dict(state, strict=strict)


def test_load_state_dict_casts_to_each_parameters_dtype_as_torch():
    """float64 tensors into a float32 module (and float32 into float64): torch's in-place copy casts."""
    source = randomize_(_bn_net(T).double(), 7).state_dict()
    for cast in ("float", "double"):
        tnet, cnet = getattr(_bn_net(T), cast)(), getattr(_bn_net(nn), cast)()
        tnet.load_state_dict(source)
        cnet.load_state_dict(source)
        for key, value in tnet.state_dict().items():
            assert cnet.state_dict()[key].dtype == _np_dtype(value), key
            np.testing.assert_array_equal(cnet.state_dict()[key], value.numpy(), err_msg=key)
    cnet = _bn_net(nn)
    cnet.load_state_dict({k: v.float() for k, v in source.items()})
    assert cnet.state_dict()["1.num_batches_tracked"].dtype == np.int64


# ---------------------------------------------------------------------------
# repr
# ---------------------------------------------------------------------------

REPRS = [
    "Conv2d(3, 8, 3)",
    "Conv2d(3, 8, 3, bias=False)",
    "Conv2d(4, 8, 3, groups=2)",
    "Conv2d(3, 8, 3, padding=1, padding_mode='reflect')",
    "Conv2d(3, 8, 3, padding=1, padding_mode='circular')",
    "Conv2d(3, 8, 3, dilation=2, padding=2)",
    "Conv2d(3, 8, (3, 5), stride=(2, 1), padding='same'.replace('same', 'valid'))",
    "Conv2d(3, 8, 3, padding='same')",
    "Conv2d(4, 8, 3, 2, 1, 1, 4, False, 'replicate')",
    "Conv1d(256, 128, 3)",
    "Conv3d(2, 4, 3, stride=2)",
    "ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)",
    "ConvTranspose2d(8, 4, 3, stride=2, dilation=2, groups=2, bias=False)",
    "MaxPool2d(2)",
    "MaxPool2d(3, stride=2, padding=1)",
    "MaxPool2d((2, 3), ceil_mode=True)",
    "AvgPool2d(2)",
    "AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
    "BatchNorm2d(6)",
    "BatchNorm2d(6, momentum=None, affine=False)",
    "BatchNorm1d(6, eps=1e-3, track_running_stats=False, bias=False)",
    "MaxUnpool2d(2)",
    "MaxUnpool1d(3, stride=2, padding=1)",
    "AvgPool1d(3)",
    "AvgPool3d((1, 2, 2), stride=1)",
    "MaxPool1d(2)",
    "LPPool1d(2, 3)",
    "LPPool2d(1.5, 2, stride=1, ceil_mode=True)",
    "MaxUnpool3d(2, stride=1)",
    "UpsamplingBilinear2d(scale_factor=2)",
    "Upsample(size=4)",
    "ReLU()",
    "ReLU(inplace=True)",
    "ReLU6()",
    "LeakyReLU()",
    "LeakyReLU(0.2, inplace=True)",
    "Sigmoid()",
    "Dropout()",
    "Dropout(0.2)",
    "Dropout2d(0.3)",
    "Identity()",
    "Upsample(scale_factor=2)",
    "Upsample(scale_factor=2, mode='bilinear', align_corners=True)",
    "Upsample(size=(4, 5), mode='bilinear')",
    "UpsamplingNearest2d(scale_factor=2)",
    "PixelShuffle(2)",
    "PixelUnshuffle(3)",
    "AdaptiveAvgPool2d(1)",
    "AdaptiveAvgPool2d((2, 3))",
    "AdaptiveMaxPool2d(2)",
    "Sequential(Conv2d(3, 8, 3, padding=1), ReLU(inplace=True), MaxPool2d(2), "
    "Sequential(Conv2d(8, 8, 3, groups=8, bias=False), ReLU6()), Upsample(scale_factor=2), PixelShuffle(2))",
    "Sequential(Conv2d(3, 8, 3), BatchNorm2d(8), ReLU(inplace=True), MaxPool2d(2), Dropout(0.1))",
    "ModuleList([Conv2d(3, 8, 3), ReLU()])",
]


@pytest.mark.parametrize("spec", REPRS)
def test_repr_equals_torch(spec):
    ours = eval(spec, {name: getattr(nn, name) for name in nn.__all__})
    assert repr(ours) == repr(eval(spec, vars(T)))


# ---------------------------------------------------------------------------
# default initialisation
# ---------------------------------------------------------------------------

INIT = [
    ("Conv2d(64,256,5)", lambda m, **kw: m.Conv2d(64, 256, 5, **kw)),
    ("Conv2d(64,256,3,groups=4)", lambda m, **kw: m.Conv2d(64, 256, 3, groups=4, **kw)),
    ("ConvTranspose2d(256,64,5)", lambda m, **kw: m.ConvTranspose2d(256, 64, 5, **kw)),
    ("ConvTranspose2d(256,64,4,groups=2)", lambda m, **kw: m.ConvTranspose2d(256, 64, 4, groups=2, **kw)),
    ("Conv1d(4,8192,1)", lambda m, **kw: m.Conv1d(4, 8192, 1, **kw)),  # many biases
]


@pytest.mark.parametrize("make", [f for _, f in INIT], ids=[i for i, _ in INIT])
def test_default_initialisation_matches_torch_distribution(make):
    torch.manual_seed(0)
    tmod, cmod = make(T), make(nn, rng=0)
    fan_in, _ = T.init._calculate_fan_in_and_fan_out(tmod.weight)
    bound = 1 / math.sqrt(fan_in)
    for name in ("weight", "bias"):
        theirs, ours = tmod.state_dict()[name].numpy().ravel(), getattr(cmod, name).ravel()
        assert ours.dtype == np.float32 and ours.size == theirs.size
        assert np.abs(theirs).max() <= bound * (1 + 1e-6)
        assert np.abs(ours).max() <= bound * (1 + 1e-6), name
        # a uniform sample of n values: std within a few percent of torch's sample std
        rel = 6 * 0.45 / math.sqrt(ours.size)  # sd of a uniform sample std is ~0.45/sqrt(n) of it
        assert abs(ours.std() / theirs.std() - 1) < max(rel * math.sqrt(2), 0.02), (
            name,
            ours.std(),
            theirs.std(),
        )
        assert abs(ours.mean()) < 6 * theirs.std() / math.sqrt(ours.size), name
        if ours.size >= 100_000:  # roughly uniform: ten equal bins hold equal shares
            counts = np.histogram(ours, bins=10, range=(-bound, bound))[0] / ours.size
            assert np.abs(counts - 0.1).max() < 6 * math.sqrt(0.09 / ours.size), counts


def test_initialisation_is_reproducible_from_the_seed():
    a = nn.Conv2d(8, 16, 3, rng=3)
    b = nn.Conv2d(8, 16, 3, rng=np.random.default_rng(3))
    c = nn.Conv2d(8, 16, 3, rng=4)
    np.testing.assert_array_equal(a.weight, b.weight)
    np.testing.assert_array_equal(a.bias, b.bias)
    assert not np.array_equal(a.weight, c.weight)
    assert not np.array_equal(nn.Conv2d(8, 16, 3).weight, nn.Conv2d(8, 16, 3).weight)  # fresh entropy
    d = nn.ConvTranspose2d(8, 16, 3, dtype=np.float64, rng=3)
    assert d.weight.dtype == d.bias.dtype == np.float64
    masks = [nn.Dropout(0.5, rng=9)(np.ones(1000)) for _ in range(2)]
    np.testing.assert_array_equal(masks[0], masks[1])


def test_fresh_batch_norm_state_equals_torch():
    for nd in ND:
        tstate, cstate = T_BN[nd](7).state_dict(), C_BN[nd](7).state_dict()
        for key, value in tstate.items():
            np.testing.assert_array_equal(cstate[key], value.numpy(), err_msg=key)


# ---------------------------------------------------------------------------
# deformable convolution (torchvision's layer; not installed: zero offsets are torch's Conv2d)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [dict(), dict(stride=2, padding=1), dict(padding=2, dilation=2, groups=2), dict(bias=False)],
    ids=str,
)
def test_deform_conv2d_with_zero_offsets_is_torch_conv2d(kw):
    """torchvision's parameters (``weight``, ``bias``); zero offsets (and a unit mask): plain Conv2d."""
    cls = nn.DeformConv2d
    x = np.random.default_rng(8).standard_normal((2, 4, 9, 8))
    for dtype in DTYPES:
        tmod, cmod = twin(randomize_(T.Conv2d(4, 6, 3, **kw), 8), cls(4, 6, 3, **kw), dtype)
        with torch.no_grad():
            ref = tmod(t_in(x, dtype))
        offset = np.zeros((2, 18, *ref.shape[-2:]), dtype)
        assert_close(cmod(x.astype(dtype), offset), ref, dtype)
        assert_close(cmod(x.astype(dtype), offset, np.ones((2, 9, *ref.shape[-2:]), dtype)), ref, dtype)
