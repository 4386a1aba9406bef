"""Layer cost (parameters, MACs, FLOPs) and model summaries against PyTorch.

Oracles:

- parameters: the sum of ``numel()`` over the torch twin's parameters;
- MACs: ``torch.utils.flop_counter.FlopCounterMode``, whose convolution
  formula (``torch/utils/flop_counter.py``, ``conv_flop_count``) is
  ``2 * batch * prod(conv_shape) * prod(w_shape)`` with ``conv_shape`` the
  output's spatial shape (the *input's* for a transposed convolution): two
  FLOPs per multiply-accumulate, zero padding included, bias ignored. So
  ``macs == FlopCounterMode total / 2``;
- shapes: the torch twin's outputs;
- receptive fields: the support of the input gradient of one output
  (autograd through the twin with all-ones weights, eval mode), and
  :func:`convscope.arith.receptive_field` of the layer list.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

import convscope.nn as cnn
from convscope.arith import Cost, LayerSpec, cost, receptive_field, summary


def torch_flops(module: torch.nn.Module, x: torch.Tensor) -> tuple[int, torch.Tensor]:
    """FlopCounterMode's total for one forward pass (only convolutions are counted here)."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = module(x)
    ops = {str(op) for op in counter.get_flop_counts().get("Global", {})}
    assert ops <= {"aten.convolution"}, ops
    return counter.get_total_flops(), out


def numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- parameters of each kind against torch's twin -----------------------------------------
TWINS: list[tuple[LayerSpec, Any, tuple[int, ...]]] = [
    (LayerSpec("conv", 4, 6, 3), lambda: torch.nn.Conv2d(4, 6, 3), (2, 4, 7, 7)),
    (LayerSpec("conv", 4, 6, 3, groups=2, bias=False), lambda: torch.nn.Conv2d(4, 6, 3, groups=2, bias=False),
     (1, 4, 5, 6)),
    (LayerSpec("conv", 6, 12, 5, padding=2, groups=6), lambda: torch.nn.Conv2d(6, 12, 5, padding=2, groups=6),
     (1, 6, 9, 9)),
    (LayerSpec("conv", 8, 3, 1), lambda: torch.nn.Conv2d(8, 3, 1), (1, 8, 4, 4)),
    (LayerSpec("conv", 2, 3, 3, dilation=2, padding=2),
     lambda: torch.nn.Conv2d(2, 3, 3, dilation=2, padding=2), (1, 2, 8, 8)),
    (LayerSpec("conv", 256, 128, 3), lambda: torch.nn.Conv1d(256, 128, 3), (32, 256, 15)),  # seed 004
    (LayerSpec("conv", 2, 4, (1, 2, 3), stride=2), lambda: torch.nn.Conv3d(2, 4, (1, 2, 3), stride=2),
     (1, 2, 3, 4, 5)),
    (LayerSpec("conv_transpose", 4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     lambda: torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (1, 4, 5, 5)),
    (LayerSpec("conv_transpose", 3, 2, 4, stride=2, bias=False),
     lambda: torch.nn.ConvTranspose1d(3, 2, 4, stride=2, bias=False), (2, 3, 6)),
    # torchvision's DeformConv2d holds exactly a Conv2d's weight and bias (torchvision is not installed)
    (LayerSpec("deform_conv", 4, 6, 3, padding=1), lambda: torch.nn.Conv2d(4, 6, 3, padding=1), (1, 4, 5, 5)),
    (LayerSpec("depthwise_separable", 3, 6, 3, padding=1),
     lambda: torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3, padding=1, groups=3), torch.nn.Conv2d(3, 6, 1)),
     (1, 3, 5, 5)),
    (LayerSpec("max_pool", kernel_size=3, stride=2, padding=1),
     lambda: torch.nn.MaxPool2d(3, 2, 1), (1, 3, 9, 9)),
    (LayerSpec("avg_pool", kernel_size=2, ceil_mode=True), lambda: torch.nn.AvgPool2d(2, ceil_mode=True),
     (1, 3, 7, 7)),
    (LayerSpec("adaptive_avg_pool", size=(2, 3)), lambda: torch.nn.AdaptiveAvgPool2d((2, 3)), (1, 3, 7, 7)),
    (LayerSpec("interpolate", scale_factor=2, mode="bilinear"),
     lambda: torch.nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 5)),
    (LayerSpec("batch_norm", 5), lambda: torch.nn.BatchNorm2d(5), (2, 5, 3, 3)),
    (LayerSpec("elementwise"), lambda: torch.nn.ReLU(), (2, 5, 3, 3)),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "twin", "shape"), TWINS, ids=lambda v: getattr(v, "kind", ""))
def test_params_and_output_shape_match_torch_twin(spec: LayerSpec, twin: Any, shape: tuple[int, ...]) -> None:
    module = twin().eval()
    with torch.no_grad():
        out = module(torch.zeros(shape))
    c = cost(spec, shape)
    assert c.params == numel(module)
    assert c.output_shape == tuple(out.shape)
    assert c.output_elements == out.numel()
    assert c.flops == 2 * c.macs


# -- MACs of convolutions against FlopCounterMode over random configurations ---------------
@st.composite
def conv_configs(draw: st.DrawFn, transposed: bool) -> tuple[LayerSpec, torch.nn.Module, tuple[int, ...]]:
    n = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n))
    padding: Any = tuple(draw(st.integers(0, 2)) for _ in range(n))
    bias = draw(st.booleans())
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if transposed:
        sizes = tuple(draw(st.integers(1, 4)) for _ in range(n))
        out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        assume(
            all(
                (i - 1) * s - 2 * p + w + q >= 1
                for i, s, p, w, q in zip(sizes, stride, padding, span, out_pad)
            )
        )
        spec = LayerSpec(
            "conv_transpose", c_in, c_out, kernel, stride, padding, dilation, groups, bias, out_pad
        )
        cls: Any = (torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d, torch.nn.ConvTranspose3d)[n - 1]
        twin = cls(c_in, c_out, kernel, stride, padding, out_pad, groups, bias, dilation)
    else:
        if all(s == 1 for s in stride) and draw(st.booleans()):
            padding = "same"
        low = padding if padding != "same" else (0,) * n
        sizes = tuple(max(1, w - 2 * p) + draw(st.integers(0, 3)) for w, p in zip(span, low))
        spec = LayerSpec("conv", c_in, c_out, kernel, stride, padding, dilation, groups, bias)
        cls = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)[n - 1]
        twin = cls(c_in, c_out, kernel, stride, padding, dilation, groups, bias)
    return spec, twin, (draw(st.integers(1, 2)), c_in, *sizes)


@given(conv_configs(transposed=False))
def test_conv_macs_are_flop_counter_over_two(
    case: tuple[LayerSpec, torch.nn.Module, tuple[int, ...]],
) -> None:
    spec, twin, shape = case
    flops, out = torch_flops(twin, torch.zeros(shape))
    c = cost(spec, shape)
    assert (c.flops, c.macs * 2, c.output_shape, c.params) == (flops, flops, tuple(out.shape), numel(twin))
    assert c.bias_flops == (out.numel() if spec.bias else 0)


@given(conv_configs(transposed=True))
def test_conv_transpose_macs_are_flop_counter_over_two(
    case: tuple[LayerSpec, torch.nn.Module, tuple[int, ...]],
) -> None:
    spec, twin, shape = case
    flops, out = torch_flops(twin, torch.zeros(shape))
    c = cost(spec, shape)
    assert (c.flops, c.output_shape, c.params) == (flops, tuple(out.shape), numel(twin))


def test_depthwise_separable_is_depthwise_plus_pointwise() -> None:
    shape = (2, 8, 11, 9)
    both = cost(LayerSpec("depthwise_separable", 8, 16, 3, stride=2, padding=1, dilation=1), shape)
    depthwise = cost(LayerSpec("conv", 8, 8, 3, stride=2, padding=1, groups=8), shape)
    pointwise = cost(LayerSpec("conv", 8, 16, 1), depthwise.output_shape)
    assert both.macs == depthwise.macs + pointwise.macs
    assert both.params == depthwise.params + pointwise.params
    assert both.bias_flops == depthwise.bias_flops + pointwise.bias_flops
    assert both.output_shape == pointwise.output_shape == (2, 16, 6, 5)
    twin = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, 2, 1, groups=8), torch.nn.Conv2d(8, 16, 1))
    assert both.flops == torch_flops(twin, torch.zeros(shape))[0]


def test_seed_004_counts() -> None:
    """Seed 004: H*W*K*K*M*N vs H*W*M*K*K + H*W*M*N MACs; M*N*K*K vs M*K*K + M*N weights; groups."""
    h, w, m, n, k = 5, 5, 3, 6, 3
    standard = cost(LayerSpec("conv", m, n, k, padding=1, bias=False), (1, m, h, w))
    separable = cost(LayerSpec("depthwise_separable", m, n, k, padding=1, bias=False), (1, m, h, w))
    assert standard.macs == h * w * k * k * m * n and standard.params == m * n * k * k
    assert separable.macs == h * w * m * k * k + h * w * m * n and separable.params == m * k * k + m * n
    # group convolution: weight [6, 2, 3, 3] instead of [6, 6, 3, 3], a third of the weights
    grouped = cost(LayerSpec("conv", 6, 6, 3, padding=1, groups=3), (1, 6, 5, 5))
    plain = cost(LayerSpec("conv", 6, 6, 3, padding=1), (1, 6, 5, 5))
    assert (grouped.params - 6, plain.params - 6) == (6 * 2 * 3 * 3, 6 * 6 * 3 * 3)
    assert grouped.macs * 3 == plain.macs
    # Conv1d(256, 128, 3): weight [128, 256, 3] + bias [128], output (32, 128, 13)
    c = cost(LayerSpec("conv", 256, 128, 3), (32, 256, 15))
    assert (c.params, c.output_shape) == (128 * 256 * 3 + 128, (32, 128, 13))
    # dilation: same parameters, larger field, smaller output (seed: [1,1,3,3] -> [1,1,1,1])
    d1 = cost(LayerSpec("conv", 1, 1, 3, bias=False), (1, 1, 5, 5))
    d2 = cost(LayerSpec("conv", 1, 1, 3, dilation=2, bias=False), (1, 1, 5, 5))
    assert (d1.params, d1.output_shape, d2.params, d2.output_shape) == (9, (1, 1, 3, 3), 9, (1, 1, 1, 1))


class SeedASPP(torch.nn.Module):
    """Seed 002's ASPP ("without bn version"), verbatim in structure."""

    def __init__(self, in_channel: int = 512, depth: int = 256) -> None:
        super().__init__()
        self.mean = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.conv = torch.nn.Conv2d(in_channel, depth, 1, 1)
        self.atrous_block1 = torch.nn.Conv2d(in_channel, depth, 1, 1)
        self.atrous_block6 = torch.nn.Conv2d(in_channel, depth, 3, 1, padding=6, dilation=6)
        self.atrous_block12 = torch.nn.Conv2d(in_channel, depth, 3, 1, padding=12, dilation=12)
        self.atrous_block18 = torch.nn.Conv2d(in_channel, depth, 3, 1, padding=18, dilation=18)
        self.conv_1x1_output = torch.nn.Conv2d(depth * 5, depth, 1, 1)


def test_seed_002_aspp_parameters() -> None:
    specs = [LayerSpec("conv", 512, 256, 1), LayerSpec("conv", 512, 256, 1)]
    specs += [LayerSpec("conv", 512, 256, 3, padding=r, dilation=r) for r in (6, 12, 18)]
    shape = (1, 512, 7, 7)
    total = (
        sum(cost(s, shape).params for s in specs)
        + cost(LayerSpec("conv", 1280, 256, 1), (1, 1280, 7, 7)).params
    )
    assert total == numel(SeedASPP()) == 4_130_304


def test_deformable_adds_bilinear_sampling() -> None:
    shape = (2, 4, 6, 6)
    conv = cost(LayerSpec("conv", 4, 6, 3, stride=2, padding=1, groups=2), shape)
    deform = cost(LayerSpec("deform_conv", 4, 6, 3, stride=2, padding=1, groups=2), shape)
    modulated = cost(LayerSpec("deform_conv", 4, 6, 3, stride=2, padding=1, groups=2, mask=True), shape)
    samples = 2 * 4 * 3 * 3 * 9  # batch * C_in * output positions * taps
    assert deform.macs == conv.macs + 4 * samples
    assert modulated.macs == conv.macs + 5 * samples
    assert deform.output_shape == conv.output_shape and deform.params == conv.params


@pytest.mark.parametrize(
    ("spec", "shape", "per_output"),
    [
        (LayerSpec("max_pool", kernel_size=3, stride=2, padding=1), (2, 3, 9, 8), 9),
        (LayerSpec("avg_pool", kernel_size=(2, 3)), (1, 2, 6, 9), 6),
        (LayerSpec("interpolate", scale_factor=2, mode="nearest"), (1, 2, 3, 4), 1),
        (LayerSpec("interpolate", scale_factor=3, mode="bilinear", align_corners=True), (1, 2, 3, 4), 4),
        (LayerSpec("interpolate", size=(5, 7), mode="bicubic"), (1, 2, 3, 4), 16),
        (LayerSpec("interpolate", scale_factor=2, mode="linear"), (1, 2, 5), 2),
        (LayerSpec("interpolate", scale_factor=0.5, mode="trilinear"), (1, 1, 4, 4, 6), 8),
    ],
)
def test_pool_and_interpolation_taps_per_output(
    spec: LayerSpec, shape: tuple[int, ...], per_output: int
) -> None:
    c = cost(spec, shape)
    x = torch.zeros(shape)
    if spec.kind == "interpolate":
        ref = TF.interpolate(x, spec.size, spec.scale_factor, spec.mode, spec.align_corners)
    else:
        pool: Any = torch.nn.MaxPool2d if spec.kind == "max_pool" else torch.nn.AvgPool2d
        ref = pool(spec.kernel_size, spec.stride, spec.padding)(x)
    assert c.output_shape == tuple(ref.shape)
    assert c.macs == c.output_elements * per_output and c.params == 0


def test_adaptive_pool_counts_its_windows() -> None:
    # 5 -> 3: windows [0, 2), [1, 4), [3, 5): 7 cells per axis
    c = cost(LayerSpec("adaptive_avg_pool", size=3), (1, 2, 5, 5))
    assert (c.output_shape, c.macs) == ((1, 2, 3, 3), 2 * 7 * 7)


def test_refusals_name_the_argument() -> None:
    with pytest.raises(ValueError, match="groups"):
        LayerSpec("conv", 4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="channels"):
        cost(LayerSpec("conv", 4, 6, 3), (1, 3, 8, 8))
    with pytest.raises(ValueError, match="kernel_size"):
        cost(LayerSpec("conv", 1, 1, 5), (1, 1, 3, 3))
    with pytest.raises(ValueError, match="kind"):
        LayerSpec("winograd")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="LayerSpec"):
        cost("conv", (1, 1, 3, 3))  # type: ignore[arg-type]
    assert isinstance(cost(LayerSpec("elementwise"), (1, 1, 3)), Cost)


# -- summaries ---------------------------------------------------------------------------
def _leaf_shapes(model: torch.nn.Module, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        m.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape)))
        for name, m in model.named_modules()
        if not list(m.children())
    ]
    model.eval()
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return shapes


def _sequential(lib: Any, pool: str = "MaxPool2d") -> Any:
    return lib.Sequential(
        lib.Conv2d(3, 8, 3, padding=1),
        lib.BatchNorm2d(8),
        lib.ReLU(),
        getattr(lib, pool)(2),
        lib.Conv2d(8, 4, 3, dilation=2),
    )


def _support(model: torch.nn.Module, shape: tuple[int, ...], where: tuple[int, int]) -> tuple[int, int]:
    """Bounding-box size of the input gradient of one output (all-ones weights, zero biases)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.fill_(1.0 if name.endswith("weight") else 0.0)
    x = torch.ones(shape, requires_grad=True)
    out = model.eval()(x)
    out[0, 0, where[0], where[1]].backward()
    rows, cols = torch.nonzero(x.grad[0].abs().sum(0)).unbind(1)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def test_summary_of_a_sequential_against_torch() -> None:
    shape = (1, 3, 32, 32)
    ours = summary(_sequential(cnn), shape)
    twin = _sequential(torch.nn)
    assert {r.name: r.output_shape for r in ours.rows} == _leaf_shapes(twin, torch.zeros(shape))
    modules = dict(twin.named_modules())
    assert all(r.params == numel(modules[r.name]) for r in ours.rows)
    assert ours.params == numel(twin)
    flops, out = torch_flops(twin, torch.zeros(shape))
    assert sum(r.macs for r in ours.rows if r.type == "Conv2d") == flops // 2
    assert ours.output_shape == tuple(out.shape) and ours.flops == 2 * ours.macs
    # receptive field: 3, 3, 3, 4, 12 with effective stride 1, 1, 1, 2, 2
    fields = receptive_field("conv k3 p1; pool k2; conv k3 d2")
    assert [r.rf_size for r in ours.rows] == [(3, 3)] * 3 + [(fields[1].size,) * 2, (fields[2].size,) * 2]
    assert ours.rows[-1].rf_size == (12, 12) and ours.rows[-1].rf_stride == (2, 2)
    # gradient support (max pooling routes the gradient to one cell, so the oracle twin
    # pools by average over the same windows: same field geometry)
    oracle = _sequential(torch.nn, pool="AvgPool2d")
    assert _support(oracle, shape, (5, 6)) == ours.rows[-1].rf_size
    assert "Total MACs" in str(ours) and "MaxPool2d" in str(ours)


class TorchASPP(torch.nn.Module):
    """A plain-torch replica of torchvision's DeepLab v3 ASPP (convscope.nn.ASPP's layout)."""

    def __init__(self, c_in: int, rates: tuple[int, ...], c_out: int) -> None:
        super().__init__()
        nn = torch.nn

        def cbr(ci: int, k: int, r: int) -> list[torch.nn.Module]:
            return [nn.Conv2d(ci, c_out, k, padding=r if k > 1 else 0, dilation=r, bias=False),
                    nn.BatchNorm2d(c_out), nn.ReLU()]  # fmt: skip

        branches = [nn.Sequential(*cbr(c_in, 1, 1))] + [nn.Sequential(*cbr(c_in, 3, r)) for r in rates]
        branches.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), *cbr(c_in, 1, 1)))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(*cbr(len(branches) * c_out, 1, 1), nn.Dropout(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [b(x) for b in self.convs]
        outs[-1] = TF.interpolate(outs[-1], size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.project(torch.cat(outs, 1))


def test_summary_of_aspp_against_torch() -> None:
    shape, rates = (2, 16, 9, 9), (1, 2, 3)
    model = cnn.ASPP(16, rates, 8, rng=0)
    ours = summary(model, shape)
    assert model.training and model.convs[1][1].training  # modes restored
    twin = TorchASPP(16, rates, 8)
    assert {r.name: r.output_shape for r in ours.rows} == _leaf_shapes(twin, torch.zeros(shape))
    modules = dict(twin.named_modules())
    assert all(r.params == numel(modules[r.name]) for r in ours.rows)
    assert ours.params == numel(twin)
    flops, out = torch_flops(twin, torch.zeros(shape))
    assert sum(r.macs for r in ours.rows if r.type == "Conv2d") == flops // 2
    assert ours.output_shape == tuple(out.shape)
    rows = {r.name: r for r in ours.rows}
    for branch, rate in enumerate(rates, start=1):
        size = receptive_field(f"conv k3 d{rate} p{rate}")[-1].size
        assert rows[f"convs.{branch}.2"].rf_size == (size, size) and rows[f"convs.{branch}.2"].rf_aligned
    assert rows["convs.4.0"].rf_size == (9, 9)  # global pooling sees the whole 9x9 input
    # the projection joins fields centred on 0 (atrous branches, widest [-3, 3]) and the global
    # branch's [0, 8]: union [-3, 8], flagged as misaligned
    assert rows["project.0"].rf_size == (12, 12) and not rows["project.0"].rf_aligned
    assert "*" in str(ours)


def test_summary_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="input_shape"):
        summary(cnn.ReLU(), (0, 3, 4))
    s = summary(cnn.Conv2d(2, 2, 3, rng=0), (1, 2, 5, 5))
    assert len(s.rows) == 1 and s.rows[0].name == "" and s.macs == math.prod((1, 2, 3, 3)) * 2 * 9
