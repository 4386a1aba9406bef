"""Whole networks for the ``nn`` benchmark group, written once over a layer library.

A *library* is a namespace with ``nn`` (``torch.nn`` or ``convscope.nn``),
``cat`` (channel concatenation), ``interpolate`` and ``aspp`` (an ASPP
constructor with torchvision's module layout). :func:`torch_lib` and
:func:`convscope_lib` build the two; the same builder then gives two networks
with identical module trees, so torch's ``state_dict()`` loads into the
convscope one unchanged.

- :func:`unet`: a U-Net (Conv+BN+ReLU blocks, max-pool down, stride-2
  transposed convolution up, skip connections concatenated);
- :func:`mobilenet`: a MobileNet-style stack of depthwise-separable blocks
  (``Conv2d(groups=C)`` + BN + ReLU6, then 1x1 ``Conv2d`` + BN + ReLU6);
- :func:`deeplab_head`: torchvision's ``DeepLabHead`` (ASPP, 3x3 conv, BN,
  ReLU, 1x1 classifier); convscope's ASPP is ``convscope.nn.blocks.ASPP``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

Lib = SimpleNamespace


def _generic_aspp(lib: Lib) -> Callable[..., Any]:
    """torchvision.models.segmentation.deeplabv3.ASPP over ``lib`` (same submodule names)."""
    nn = lib.nn

    def conv_bn_relu(cin: int, cout: int, k: int, d: int) -> list[Any]:
        return [
            nn.Conv2d(cin, cout, k, padding=d * (k // 2), dilation=d, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        ]

    class ASPPPooling(nn.Sequential):  # type: ignore[misc, name-defined]
        def forward(self, x: Any) -> Any:
            size = tuple(x.shape[-2:])
            for module in self:
                x = module(x)
            return lib.interpolate(x, size=size, mode="bilinear", align_corners=False)

    class ASPP(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self, in_channels: int, atrous_rates: Sequence[int], out_channels: int = 256) -> None:
            super().__init__()
            branches = [nn.Sequential(*conv_bn_relu(in_channels, out_channels, 1, 1))]
            branches += [nn.Sequential(*conv_bn_relu(in_channels, out_channels, 3, r)) for r in atrous_rates]
            branches.append(
                ASPPPooling(nn.AdaptiveAvgPool2d(1), *conv_bn_relu(in_channels, out_channels, 1, 1))
            )
            self.convs = nn.ModuleList(branches)
            self.project = nn.Sequential(
                *conv_bn_relu(len(branches) * out_channels, out_channels, 1, 1), nn.Dropout(0.5)
            )

        def forward(self, x: Any) -> Any:
            return self.project(lib.cat([branch(x) for branch in self.convs]))

    return ASPP


def _torch_run(model: Any, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return np.asarray(model(torch.from_numpy(x)).numpy())


def torch_lib() -> Lib:
    """torch.nn; ``run(model, x)`` takes and returns NumPy arrays (the ``--self-test`` stand-in)."""
    lib = SimpleNamespace(
        nn=torch.nn,
        cat=lambda xs: torch.cat(xs, 1),
        interpolate=torch.nn.functional.interpolate,
        run=_torch_run,
    )
    lib.aspp = _generic_aspp(lib)
    return lib


def convscope_lib() -> Lib:
    import convscope.functional as F
    import convscope.nn as nn

    lib = SimpleNamespace(
        nn=nn,
        cat=lambda xs: np.concatenate(xs, axis=1),
        interpolate=F.interpolate,
        run=lambda model, x: model(x),
    )
    try:
        from convscope.nn.blocks import ASPP

        lib.aspp = ASPP
    except ImportError:  # before the blocks existed: the same structure from plain layers
        lib.aspp = _generic_aspp(lib)
    return lib


def unet(lib: Lib, in_channels: int = 3, base: int = 16, classes: int = 2, depth: int = 3) -> Any:
    """U-Net: ``depth`` down steps of (Conv3x3+BN+ReLU)x2 and MaxPool2d, mirrored up with skips."""
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

    class Up(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
            self.conv = double_conv(2 * cout, cout)

        def forward(self, x: Any, skip: Any) -> Any:
            return self.conv(cat([skip, self.up(x, output_size=skip.shape)]))

    class UNet(nn.Module):  # type: ignore[misc, name-defined]
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


def mobilenet(lib: Lib, channels: int = 32, classes: int = 10) -> Any:
    """MobileNet-style: depthwise 3x3 (groups=C) + BN + ReLU6, then pointwise 1x1 + BN + ReLU6."""
    nn = lib.nn

    class SeparableBlock(nn.Module):  # type: ignore[misc, name-defined]
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
        SeparableBlock(c, 2 * c, 1),
        SeparableBlock(2 * c, 2 * c, 1),
        SeparableBlock(2 * c, 4 * c, 2),
        SeparableBlock(4 * c, 4 * c, 1),
        SeparableBlock(4 * c, 8 * c, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.Dropout(0.2),
        nn.Conv2d(8 * c, classes, 1),
    )


def deeplab_head(
    lib: Lib, in_channels: int = 256, classes: int = 21, rates: Sequence[int] = (6, 12, 18)
) -> Any:
    """torchvision's ``DeepLabHead``: ASPP(in, rates, 256), 3x3 conv + BN + ReLU, 1x1 classifier."""
    nn = lib.nn
    return nn.Sequential(
        lib.aspp(in_channels, tuple(rates), 256),
        nn.Conv2d(256, 256, 3, padding=1, bias=False),
        nn.BatchNorm2d(256),
        nn.ReLU(),
        nn.Conv2d(256, classes, 1),
    )


def perturb_norms_(model: torch.nn.Module, rng: np.random.Generator) -> torch.nn.Module:
    """Random BatchNorm statistics and affine parameters, so no BatchNorm is the identity."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, c)))
                module.bias.copy_(torch.from_numpy(rng.normal(0, 0.2, c)))
                module.running_mean.copy_(torch.from_numpy(rng.normal(0, 0.2, c)))
                module.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, c)))
    return model


def twins(build: Callable[[Lib], Any], lib: Lib, rng: np.random.Generator) -> tuple[Any, torch.nn.Module]:
    """``(ours, torch's)`` in eval mode, float32: torch's seeded initialisation loaded into ours."""
    torch.manual_seed(int(rng.integers(2**31)))
    reference = perturb_norms_(build(torch_lib()), rng).float().eval()
    ours = build(lib)
    ours.load_state_dict(reference.state_dict())
    return ours.float().eval(), reference
