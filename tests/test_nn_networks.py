"""Whole networks, built twice (``torch.nn`` and ``convscope.nn``), same weights, same outputs.

Each network's structure is written once, over a "library" (``torch.nn`` or
``convscope.nn`` plus its concatenation), so both builds have the same module
tree; torch's ``state_dict()`` (default initialisation under a fixed seed,
random BatchNorm statistics and affine parameters) is loaded into the
convscope build and the outputs compared in float64 (``1e-10``) and float32
(``1e-4``). The DeepLab head is checked against a plain-torch replica of
torchvision's ``deeplabv3`` modules (torchvision is not installed).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

import convscope.nn as cnn
from convscope.nn import blocks
from support import assert_close

TORCH = SimpleNamespace(
    nn=torch.nn, cat=lambda xs: torch.cat(xs, 1), interpolate=torch.nn.functional.interpolate
)
OURS = SimpleNamespace(nn=cnn, cat=lambda xs: np.concatenate(xs, axis=1), interpolate=None)
DTYPES = [np.float64, np.float32]


def perturb_norms_(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Random BatchNorm statistics, affine parameters and batch counts (the rest: torch's init)."""
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                c = module.num_features
                module.weight.copy_(torch.from_numpy(g.uniform(0.5, 1.5, c)))
                module.bias.copy_(torch.from_numpy(g.normal(0, 0.2, c)))
                module.running_mean.copy_(torch.from_numpy(g.normal(0, 0.2, c)))
                module.running_var.copy_(torch.from_numpy(g.uniform(0.5, 1.5, c)))
                module.num_batches_tracked.fill_(int(g.integers(1, 100)))
    return model


def build_pair(factory, seed: int = 0) -> tuple[torch.nn.Module, cnn.Module]:
    """The torch network (seeded init, perturbed norms) and ours, loaded with its state dict."""
    torch.manual_seed(seed)
    tnet = perturb_norms_(factory(TORCH), seed)
    cnet = factory(OURS)
    tstate = tnet.state_dict()
    assert [(k, tuple(v.shape)) for k, v in tstate.items()] == [
        (k, v.shape) for k, v in cnet.state_dict().items()
    ]
    assert [k for k, _ in tnet.named_parameters()] == [k for k, _ in cnet.named_parameters()]
    assert cnet.load_state_dict(tstate) == ([], [])
    return tnet, cnet


def assert_eval_matches_torch(tnet: torch.nn.Module, cnet: cnn.Module, x: np.ndarray) -> None:
    for dtype in DTYPES:
        if dtype == np.float64:
            tnet.double(), cnet.double()
        else:
            tnet.float(), cnet.float()
        tnet.eval(), cnet.eval()
        with torch.no_grad():
            ref = tnet(torch.from_numpy(x.astype(dtype)))
        out = cnet(x.astype(dtype))
        assert_close(out, ref, dtype, err_msg=f"{type(tnet).__name__} {dtype.__name__}")


# ---------------------------------------------------------------------------
# (a) U-Net: Conv+BN+ReLU blocks, max-pool down, stride-2 transposed conv up, skip concatenation
# ---------------------------------------------------------------------------


def unet(lib: SimpleNamespace, in_channels: int = 3, base: int = 4, classes: int = 2, depth: int = 2) -> Any:
    nn, cat = lib.nn, lib.cat

    def double_conv(cin: int, cout: int) -> Any:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    class Up(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
            self.conv = double_conv(2 * cout, cout)

        def forward(self, x: Any, skip: Any) -> Any:
            x = self.up(x, output_size=skip.shape)  # odd sizes: pick the size of the skip
            return self.conv(cat([skip, x]))

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            widths = [base * 2**i for i in range(depth + 1)]
            self.downs = nn.ModuleList(
                [double_conv(c, w) for c, w in zip([in_channels, *widths], widths[:-1])]
            )
            self.pool = nn.MaxPool2d(2)
            self.bottom = double_conv(widths[-2], widths[-1])
            self.ups = nn.ModuleList([Up(widths[i + 1], widths[i]) for i in reversed(range(depth))])
            self.head = nn.Conv2d(base, classes, 1)

        def forward(self, x: Any) -> Any:
            skips = []
            for down in self.downs:
                x = down(x)
                skips.append(x)
                x = self.pool(x)
            x = self.bottom(x)
            for up, skip in zip(self.ups, reversed(skips)):
                x = up(x, skip)
            return self.head(x)

    return UNet()


@pytest.mark.parametrize("size", [(16, 16), (21, 19), (13, 22)])
def test_unet_matches_torch(size):
    tnet, cnet = build_pair(unet)
    assert "ups.0.up.weight" in cnet.state_dict() and "downs.1.4.running_var" in cnet.state_dict()
    x = np.random.default_rng(size[0]).standard_normal((2, 3, *size))
    assert_eval_matches_torch(tnet, cnet, x)


def test_unet_training_forward_updates_running_stats_as_torch():
    tnet, cnet = build_pair(unet, seed=3)
    tnet.double().train(), cnet.double().train()
    x = np.random.default_rng(3).standard_normal((2, 3, 15, 17))
    for step in range(2):
        ref = tnet(torch.from_numpy(x + step))
        assert_close(cnet(x + step), ref.detach(), np.float64)
    for key, value in tnet.state_dict().items():
        ours = cnet.state_dict()[key]
        if key.endswith("num_batches_tracked"):
            assert int(ours) == int(value), key
        else:
            assert_close(ours, value, np.float64, err_msg=key)


# ---------------------------------------------------------------------------
# (b) MobileNet-style: depthwise-separable blocks from Conv2d(groups=C) + BN + ReLU6 and 1x1 Conv2d
# ---------------------------------------------------------------------------


def mobilenet(lib: SimpleNamespace, channels: int = 8, classes: int = 5) -> Any:
    nn = lib.nn

    class SeparableBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.depthwise = nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
                nn.BatchNorm2d(cin),
                nn.ReLU6(inplace=True),
            )
            self.pointwise = nn.Sequential(
                nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6()
            )
            self.residual = stride == 1 and cin == cout

        def forward(self, x: Any) -> Any:
            y = self.pointwise(self.depthwise(x))
            return x + y if self.residual else y

    c = channels
    return nn.Sequential(
        nn.Conv2d(3, c, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c),
        nn.ReLU6(inplace=True),
        SeparableBlock(c, 2 * c, 1),
        SeparableBlock(2 * c, 2 * c, 1),
        SeparableBlock(2 * c, 4 * c, 2),
        SeparableBlock(4 * c, 4 * c, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Dropout(0.2),
        nn.Conv2d(4 * c, classes, 1),
    )


@pytest.mark.parametrize("size", [(24, 24), (17, 30)])
def test_mobilenet_stack_matches_torch(size):
    tnet, cnet = build_pair(mobilenet, seed=1)
    assert tuple(cnet.state_dict()["3.depthwise.0.weight"].shape) == (8, 1, 3, 3)
    assert_eval_matches_torch(tnet, cnet, np.random.default_rng(1).standard_normal((3, 3, *size)))


def test_depthwise_separable_block_matches_torch_twin():
    """``blocks.DepthwiseSeparableConv2d``: depthwise, norm, activation, pointwise, as a torch twin."""

    class Twin(torch.nn.Module):
        def __init__(self, cin: int, cout: int, stride: int, dilation: int) -> None:
            super().__init__()
            self.depthwise = torch.nn.Conv2d(cin, cin, 3, stride, dilation, dilation, groups=cin, bias=False)
            self.norm = torch.nn.BatchNorm2d(cin)
            self.activation = torch.nn.ReLU()
            self.pointwise = torch.nn.Conv2d(cin, cout, 1, bias=False)

        def forward(self, x: Any) -> Any:
            return self.pointwise(self.activation(self.norm(self.depthwise(x))))

    for stride, dilation in [(1, 1), (2, 2)]:
        torch.manual_seed(stride)
        tnet = perturb_norms_(Twin(6, 10, stride, dilation), stride)
        cnet = blocks.DepthwiseSeparableConv2d(6, 10, 3, stride, padding=dilation, dilation=dilation, rng=0)
        assert list(cnet.state_dict()) == list(tnet.state_dict())
        cnet.load_state_dict(tnet.state_dict())
        assert_eval_matches_torch(tnet, cnet, np.random.default_rng(2).standard_normal((2, 6, 11, 9)))


@pytest.mark.parametrize("rates", [(1, 2, 3), (1, 2, 5), (1, 3, 5)])
def test_hdc_block_matches_torch_twin(rates):
    """``blocks.HDC``: one (3x3 atrous conv, BN, ReLU) per rate, keeping the size, as a torch twin."""
    twin = torch.nn.Sequential(
        *(
            torch.nn.Sequential(
                torch.nn.Conv2d(5, 5, 3, padding=r, dilation=r, bias=False),
                torch.nn.BatchNorm2d(5),
                torch.nn.ReLU(),
            )
            for r in rates
        )
    )
    torch.manual_seed(sum(rates))
    tnet = perturb_norms_(twin, sum(rates))
    cnet = cnn.HDC(5, rates, rng=0)
    assert list(cnet.state_dict()) == list(tnet.state_dict())
    cnet.load_state_dict(tnet.state_dict())
    assert_eval_matches_torch(tnet, cnet, np.random.default_rng(3).standard_normal((2, 5, 13, 12)))


@pytest.mark.parametrize("rates", [(2, 2, 2), (1, 2, 9), (2, 4, 8)])
def test_hdc_block_warns_or_refuses_rates_that_grid(rates):
    """Rates that grid leave holes: the gradient of one output, through torch's twin, shows them."""
    layers = [torch.nn.Conv2d(1, 1, 3, padding=r, dilation=r, bias=False) for r in rates]
    for layer in layers:
        torch.nn.init.ones_(layer.weight)
    x = torch.zeros(1, 1, 41, 41, requires_grad=True)
    torch.nn.Sequential(*layers)(x)[0, 0, 20, 20].backward()
    reached = (x.grad[0, 0] != 0).numpy()
    rows, cols = np.nonzero(reached)
    field = reached[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    assert not field.all()  # torch confirms the holes the criterion predicts
    with pytest.warns(UserWarning, match="grid"):
        cnn.HDC(2, rates, rng=0)
    with pytest.raises(ValueError, match=r"rates \(.*\) grid"):
        cnn.HDC(2, rates, strict=True)


# ---------------------------------------------------------------------------
# (c) DeepLab head: ASPP (torchvision's layout) + 3x3 conv + BN + ReLU + 1x1 classifier
# ---------------------------------------------------------------------------


def torchvision_deeplab_head(in_channels: int, num_classes: int, rates=(6, 12, 18)) -> torch.nn.Module:
    """torchvision.models.segmentation.deeplabv3's DeepLabHead / ASPP / ASPPConv / ASPPPooling, verbatim."""
    nn, F = torch.nn, torch.nn.functional

    class ASPPConv(nn.Sequential):
        def __init__(self, in_channels: int, out_channels: int, dilation: int) -> None:
            modules = [
                nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
            ]
            super().__init__(*modules)

    class ASPPPooling(nn.Sequential):
        def __init__(self, in_channels: int, out_channels: int) -> None:
            super().__init__(
                nn.AdaptiveAvgPool2d(1),
                nn.Conv2d(in_channels, out_channels, 1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            size = x.shape[-2:]
            for mod in self:
                x = mod(x)
            return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    class ASPP(nn.Module):
        def __init__(self, in_channels: int, atrous_rates, out_channels: int = 256) -> None:
            super().__init__()
            modules = [
                nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, 1, bias=False),
                    nn.BatchNorm2d(out_channels),
                    nn.ReLU(),
                )
            ]
            for rate in tuple(atrous_rates):
                modules.append(ASPPConv(in_channels, out_channels, rate))
            modules.append(ASPPPooling(in_channels, out_channels))
            self.convs = nn.ModuleList(modules)
            self.project = nn.Sequential(
                nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
                nn.Dropout(0.5),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            res = torch.cat([conv(x) for conv in self.convs], dim=1)
            return self.project(res)

    class DeepLabHead(nn.Sequential):
        def __init__(self, in_channels: int, num_classes: int, atrous_rates=(12, 24, 36)) -> None:
            super().__init__(
                ASPP(in_channels, atrous_rates),
                nn.Conv2d(256, 256, 3, padding=1, bias=False),
                nn.BatchNorm2d(256),
                nn.ReLU(),
                nn.Conv2d(256, num_classes, 1),
            )

    return DeepLabHead(in_channels, num_classes, rates)


def _deeplab_pair(make_ours, in_channels: int = 16, classes: int = 3):
    torch.manual_seed(4)
    tnet = perturb_norms_(torchvision_deeplab_head(in_channels, classes), 4)
    cnet = make_ours(in_channels, classes)
    tstate = tnet.state_dict()
    assert [(k, tuple(v.shape)) for k, v in tstate.items()] == [
        (k, v.shape) for k, v in cnet.state_dict().items()
    ]
    for key in ("0.convs.0.0.weight", "0.convs.3.1.running_var", "0.convs.4.1.weight", "0.project.0.weight"):
        assert key in cnet.state_dict(), key
    assert cnet.load_state_dict(tstate) == ([], [])
    return tnet, cnet


@pytest.mark.parametrize("size", [(13, 11), (20, 21)])
def test_deeplab_head_from_aspp_matches_torchvision_layout(size):
    """``Sequential(ASPP(C, (6, 12, 18), 256), Conv2d 3x3, BN, ReLU, Conv2d 1x1)`` as torchvision's."""

    def ours(in_channels, classes):
        return cnn.Sequential(
            blocks.ASPP(in_channels, (6, 12, 18), 256),
            cnn.Conv2d(256, 256, 3, padding=1, bias=False),
            cnn.BatchNorm2d(256),
            cnn.ReLU(),
            cnn.Conv2d(256, classes, 1),
        )

    tnet, cnet = _deeplab_pair(ours)
    assert_eval_matches_torch(tnet, cnet, np.random.default_rng(5).standard_normal((2, 16, *size)))


def test_blocks_deeplab_head_matches_torchvision():
    tnet, cnet = _deeplab_pair(lambda c, k: blocks.DeepLabHead(c, k, (6, 12, 18), rng=0))
    assert_eval_matches_torch(tnet, cnet, np.random.default_rng(6).standard_normal((1, 16, 9, 14)))
