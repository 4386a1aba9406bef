"""Oracles, comparisons and hypothesis strategies shared by the test modules.

Every reference value in this suite is computed by PyTorch (CPU); nothing here
re-implements a convolution. The strategies only decide *which* configuration
to ask both libraries about, and make sure it is one PyTorch accepts (so a
refusal by convscope is a bug, not a disagreement about validity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import convscope
import convscope.functional as F

# ---------------------------------------------------------------------------
# dtypes and comparison
# ---------------------------------------------------------------------------

TORCH_DTYPE = {
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
    np.dtype(np.int32): torch.int32,
    np.dtype(np.int64): torch.int64,
}

#: (rtol, atol-per-unit-of-scale) per dtype, from the design doc.
TOLERANCE = {
    np.dtype(np.float64): (1e-10, 1e-10),
    np.dtype(np.float32): (1e-4, 1e-4),
    np.dtype(np.float16): (1e-2, 1e-2),
}

#: FFT is only held to a looser float64 tolerance.
FFT_TOLERANCE = (1e-9, 1e-9)

ALGORITHMS = ("auto", "shift", "hybrid", "im2col", "fft", "winograd")
TRANSFORM_ALGORITHMS = ("fft", "winograd")  # exact up to transform rounding
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PAD_KINDS = ("int", "tuple", "same", "valid", "pairs")
TINY_WORKSPACE = 4096


def to_numpy(a: Any) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def tt(a: np.ndarray | None, dtype: Any = None, grad: bool = False) -> torch.Tensor | None:
    """A torch tensor holding a copy of ``a`` (optionally cast, optionally requiring grad)."""
    if a is None:
        return None
    arr = np.ascontiguousarray(a)
    if dtype is not None:
        arr = arr.astype(dtype)
    t = torch.from_numpy(arr.copy())
    if grad:
        t.requires_grad_(True)
    return t


def assert_close(
    ours: Any,
    ref: Any,
    dtype: Any,
    *,
    tol: tuple[float, float] | None = None,
    scale: float | None = None,
    err_msg: str = "",
) -> None:
    """Assert ``ours`` is a numpy array of ``dtype`` matching torch's ``ref``.

    ``atol`` is scaled by ``max(1, |ref|.max())`` (or by ``scale`` when given).
    For float16, ``ref`` is torch's float32 result on the float16-rounded inputs.
    """
    dtype = np.dtype(dtype)
    ref = to_numpy(ref)
    assert isinstance(ours, np.ndarray), f"expected a numpy array, got {type(ours).__name__}"
    assert ours.dtype == dtype, f"dtype {ours.dtype} != {dtype}"
    assert ours.shape == ref.shape, f"shape {ours.shape} != torch's {ref.shape}. {err_msg}"
    rtol, atol = tol if tol is not None else TOLERANCE[dtype]
    if scale is None:
        scale = max(1.0, float(np.abs(ref.astype(np.float64)).max()) if ref.size else 1.0)
    np.testing.assert_allclose(
        ours.astype(np.float64),
        ref.astype(np.float64),
        rtol=rtol,
        atol=atol * scale,
        err_msg=err_msg,
    )


def inner(a: Any, b: Any) -> float:
    """Inner product in float64 (``math.fsum`` for accuracy)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    assert a.shape == b.shape, (a.shape, b.shape)
    return math.fsum((a * b).tolist())


def torch_pad_tuple(pairs: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """Per-axis ``(low, high)`` pairs (first spatial axis first) -> torch's F.pad order."""
    out: list[int] = []
    for lo, hi in reversed(pairs):
        out += [lo, hi]
    return tuple(out)


def draw_per_axis(draw: st.DrawFn, n: int, low: int, high: int) -> tuple[int, ...]:
    """One int in ``low..high`` per spatial axis, drawn axis by axis."""
    return tuple(draw(st.integers(low, high)) for _ in range(n))


def _triple(v: Any, nd: int) -> tuple[int, ...]:
    return (v,) * nd if isinstance(v, int) else tuple(v)


# ---------------------------------------------------------------------------
# convolution cases
# ---------------------------------------------------------------------------

TORCH_CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}
TORCH_CONVT = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}
TORCH_CONV_MODULE = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}


def our_conv(nd: int):
    return {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]


def our_conv_transpose(nd: int):
    return {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]


@dataclass
class ConvCase:
    """One convolution configuration and its float64 data."""

    nd: int
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None
    stride: tuple[int, ...]
    padding: Any  # exactly what is passed to both libraries (pairs: ours only)
    pairs: tuple[tuple[int, int], ...]  # resolved (low, high) per axis
    pad_kind: str
    dilation: tuple[int, ...]
    groups: int
    padding_mode: str = "zeros"

    # -- calling convscope --------------------------------------------------
    def params(self) -> dict[str, Any]:
        p: dict[str, Any] = dict(
            stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups
        )
        if self.padding_mode != "zeros":
            p["padding_mode"] = self.padding_mode
        return p

    def arrays(self, dtype: Any = np.float64):
        dt = np.dtype(dtype)
        b = None if self.b is None else self.b.astype(dt)
        return self.x.astype(dt), self.w.astype(dt), b

    def ours(self, dtype: Any = np.float64) -> np.ndarray:
        x, w, b = self.arrays(dtype)
        return our_conv(self.nd)(x, w, b, **self.params())

    # -- asking torch ---------------------------------------------------------
    def torch_forward(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None):
        """Torch's answer for tensors ``x, w, b`` (differentiable)."""
        nd = self.nd
        if self.pad_kind == "pairs":
            mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
            xp = TF.pad(x, torch_pad_tuple(self.pairs), mode=mode)
            return TORCH_CONV[nd](xp, w, b, self.stride, 0, self.dilation, self.groups)
        if self.padding_mode == "zeros":
            return TORCH_CONV[nd](x, w, b, self.stride, self.padding, self.dilation, self.groups)
        # The real module, with the weights copied in.
        m = TORCH_CONV_MODULE[nd](
            in_channels=w.shape[1] * self.groups,
            out_channels=w.shape[0],
            kernel_size=tuple(w.shape[2:]),
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=b is not None,
            padding_mode=self.padding_mode,
        ).to(w.dtype)
        # functional_call swaps in w and b as given, so autograd flows to them
        return torch.func.functional_call(m, {"weight": w, **({"bias": b} if b is not None else {})}, (x,))

    def torch_ref(self, dtype: Any = np.float64) -> np.ndarray:
        """Torch's output; for float16, torch in float32 on float16-rounded inputs."""
        dt = np.dtype(dtype)
        x, w, b = self.arrays(dt)
        compute = np.float32 if dt == np.float16 else dt
        with torch.no_grad():
            out = self.torch_forward(tt(x, compute), tt(w, compute), tt(b, compute))
        return to_numpy(out)

    def magnitude(self) -> float:
        """max |x| * |w| convolution (+|b|): the scale of rounding errors."""
        with torch.no_grad():
            out = self.torch_forward(
                tt(np.abs(self.x)), tt(np.abs(self.w)), tt(None if self.b is None else np.abs(self.b))
            )
        return max(1.0, float(out.abs().max())) if out.numel() else 1.0

    def __repr__(self) -> str:  # compact, for hypothesis' falsifying-example report
        return (
            f"ConvCase(nd={self.nd}, x{tuple(self.x.shape)}, w{tuple(self.w.shape)}, "
            f"bias={self.b is not None}, stride={self.stride}, padding={self.padding!r}, "
            f"dilation={self.dilation}, groups={self.groups}, padding_mode={self.padding_mode!r})"
        )


def _channels(draw, *, max_per_group: int = 3):
    """(groups, in_channels, out_channels) with in/out multiples of groups."""
    kind = draw(st.sampled_from(["1", "2", "3", "depthwise"]))
    if kind == "depthwise":
        cin = draw(st.integers(2, 4))
        mult = draw(st.integers(1, 2))
        return cin, cin, cin * mult
    g = int(kind)
    cin = g * draw(st.integers(1, max_per_group))
    cout = g * draw(st.integers(1, max_per_group))
    return g, cin, cout


@st.composite
def conv_cases(
    draw,
    nd: int,
    *,
    pad_kinds: tuple[str, ...] = PAD_KINDS,
    padding_modes: tuple[str, ...] = ("zeros",),
    allow_unbatched: bool = False,
    bias: bool | None = None,
) -> ConvCase:
    """A convolution configuration torch accepts, with random float64 data.

    Spatial sizes differ from each other (distinct slack above the minimum),
    and from the kernel extents, so swapped axes show up.
    """
    small = nd == 3
    kmax, dmax, extra_max = (3, 2, 3) if small else (4, 3, 4)
    kernel = tuple(draw(st.integers(1, kmax)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, dmax)) for _ in range(nd))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    pad_kind = draw(st.sampled_from(pad_kinds))
    mode = draw(st.sampled_from(padding_modes))
    # torch refuses padding='same' with a stride
    same = pad_kind == "same"
    stride = (1,) * nd if same else tuple(draw(st.integers(1, 3)) for _ in range(nd))

    pmax = 2 if small else 3
    if pad_kind == "int":
        p = draw(st.integers(0, pmax))
        padding: Any = p
        pairs = ((p, p),) * nd
    elif pad_kind == "tuple":
        ps = tuple(draw(st.integers(0, pmax)) for _ in range(nd))
        padding = ps
        pairs = tuple((p, p) for p in ps)
    elif pad_kind == "same":
        padding = "same"
        pairs = tuple(((s - 1) // 2, (s - 1) - (s - 1) // 2) for s in spans)
    elif pad_kind == "valid":
        padding = "valid"
        pairs = ((0, 0),) * nd
    elif pad_kind == "pairs":
        pairs = tuple((draw(st.integers(0, pmax)), draw(st.integers(0, pmax))) for _ in range(nd))
        padding = pairs
    else:  # pragma: no cover
        raise AssertionError(pad_kind)

    mins = []
    for (lo, hi), span in zip(pairs, spans):
        m = max(1, span - lo - hi)
        if mode == "reflect":
            m = max(m, lo + 1, hi + 1)
        elif mode == "circular":
            m = max(m, lo, hi)
        mins.append(m)
    extras = draw(st.lists(st.integers(0, extra_max), min_size=nd, max_size=nd, unique=True))
    sizes = tuple(m + e for m, e in zip(mins, extras))

    groups, cin, cout = _channels(draw, max_per_group=2 if small else 3)
    n = draw(st.integers(1, 3))
    batched = draw(st.booleans()) if allow_unbatched else True
    has_bias = draw(st.booleans()) if bias is None else bias
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    xshape = ((n,) if batched else ()) + (cin, *sizes)
    x = rng.standard_normal(xshape)
    w = rng.standard_normal((cout, cin // groups, *kernel))
    b = rng.standard_normal(cout) if has_bias else None
    return ConvCase(nd, x, w, b, stride, padding, pairs, pad_kind, dilation, groups, mode)


# ---------------------------------------------------------------------------
# transposed convolution cases
# ---------------------------------------------------------------------------


@dataclass
class ConvTCase:
    nd: int
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None
    stride: tuple[int, ...]
    padding: Any
    output_padding: Any
    groups: int
    dilation: tuple[int, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def params(self) -> dict[str, Any]:
        return dict(
            stride=self.stride,
            padding=self.padding,
            output_padding=self.output_padding,
            groups=self.groups,
            dilation=self.dilation,
        )

    def arrays(self, dtype: Any = np.float64):
        dt = np.dtype(dtype)
        b = None if self.b is None else self.b.astype(dt)
        return self.x.astype(dt), self.w.astype(dt), b

    def ours(self, dtype: Any = np.float64) -> np.ndarray:
        x, w, b = self.arrays(dtype)
        return our_conv_transpose(self.nd)(x, w, b, **self.params())

    def torch_forward(self, x, w, b):
        return TORCH_CONVT[self.nd](
            x, w, b, self.stride, self.padding, self.output_padding, self.groups, self.dilation
        )

    def torch_ref(self, dtype: Any = np.float64) -> np.ndarray:
        dt = np.dtype(dtype)
        x, w, b = self.arrays(dt)
        compute = np.float32 if dt == np.float16 else dt
        with torch.no_grad():
            return to_numpy(self.torch_forward(tt(x, compute), tt(w, compute), tt(b, compute)))

    def magnitude(self) -> float:
        with torch.no_grad():
            out = self.torch_forward(
                tt(np.abs(self.x)), tt(np.abs(self.w)), tt(None if self.b is None else np.abs(self.b))
            )
        return max(1.0, float(out.abs().max())) if out.numel() else 1.0

    def __repr__(self) -> str:
        return (
            f"ConvTCase(nd={self.nd}, x{tuple(self.x.shape)}, w{tuple(self.w.shape)}, "
            f"bias={self.b is not None}, stride={self.stride}, padding={self.padding!r}, "
            f"output_padding={self.output_padding!r}, groups={self.groups}, "
            f"dilation={self.dilation})"
        )


@st.composite
def conv_transpose_cases(
    draw, nd: int, *, allow_unbatched: bool = False, bias: bool | None = None
) -> ConvTCase:
    """A transposed-convolution configuration torch accepts (output size >= 1)."""
    small = nd == 3
    kmax, dmax, imax = (3, 2, 4) if small else (4, 3, 6)
    kernel = tuple(draw(st.integers(1, kmax)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, dmax)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    # output_padding must be smaller than either stride or dilation
    opad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    sizes = draw(st.lists(st.integers(1, imax), min_size=nd, max_size=nd, unique=True))
    pads = []
    for i, k, s, d, op in zip(sizes, kernel, stride, dilation, opad):
        room = (i - 1) * s + d * (k - 1) + op  # output = room - 2p + 1 >= 1
        pads.append(draw(st.integers(0, min(3, room // 2))))
    as_int = draw(st.booleans())
    padding: Any = pads[0] if as_int and len(set(pads)) == 1 else tuple(pads)
    output_padding: Any = opad[0] if draw(st.booleans()) and len(set(opad)) == 1 else tuple(opad)
    groups, cin, cout = _channels(draw, max_per_group=2 if small else 3)
    n = draw(st.integers(1, 3))
    batched = draw(st.booleans()) if allow_unbatched else True
    has_bias = draw(st.booleans()) if bias is None else bias
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    xshape = ((n,) if batched else ()) + (cin, *sizes)
    x = rng.standard_normal(xshape)
    w = rng.standard_normal((cin, cout // groups, *kernel))
    b = rng.standard_normal(cout) if has_bias else None
    return ConvTCase(nd, x, w, b, stride, padding, output_padding, groups, dilation)


# ---------------------------------------------------------------------------
# unfold / fold cases
# ---------------------------------------------------------------------------


@dataclass
class FoldCase:
    x: np.ndarray  # unfold input (N, C, H, W) or (C, H, W)
    kernel_size: Any
    dilation: Any
    padding: Any
    stride: Any

    def params(self) -> dict[str, Any]:
        return dict(
            kernel_size=self.kernel_size,
            dilation=self.dilation,
            padding=self.padding,
            stride=self.stride,
        )

    @property
    def output_size(self) -> tuple[int, int]:
        return tuple(self.x.shape[-2:])  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"FoldCase(x{tuple(self.x.shape)}, {self.params()})"


def _int_or_pair(draw, lo: int, hi: int) -> tuple[Any, tuple[int, int]]:
    a = draw(st.integers(lo, hi))
    if draw(st.booleans()):
        return a, (a, a)
    b = draw(st.integers(lo, hi))
    return (a, b), (a, b)


@st.composite
def fold_cases(draw, *, allow_unbatched: bool = True) -> FoldCase:
    ks, k2 = _int_or_pair(draw, 1, 4)
    dil, d2 = _int_or_pair(draw, 1, 3)
    st_, _ = _int_or_pair(draw, 1, 3)
    pad, p2 = _int_or_pair(draw, 0, 2)
    sizes = []
    for k, d, p in zip(k2, d2, p2):
        m = max(1, d * (k - 1) + 1 - 2 * p)
        sizes.append(m)
    extras = draw(st.lists(st.integers(0, 5), min_size=2, max_size=2, unique=True))
    h, w = (m + e for m, e in zip(sizes, extras))
    c = draw(st.integers(1, 3))
    n = draw(st.integers(1, 3))
    batched = draw(st.booleans()) if allow_unbatched else True
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = ((n,) if batched else ()) + (c, h, w)
    return FoldCase(rng.standard_normal(shape), ks, dil, pad, st_)


# ---------------------------------------------------------------------------
# pad cases
# ---------------------------------------------------------------------------


@dataclass
class PadCase:
    x: np.ndarray
    pad: tuple[int, ...]
    mode: str
    value: float = 0.0

    def kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = dict(pad=self.pad, mode=self.mode)
        if self.mode == "constant":
            kw["value"] = self.value
        return kw

    def torch_ref(self) -> np.ndarray:
        return to_numpy(
            TF.pad(tt(self.x), self.pad, **{k: v for k, v in self.kwargs().items() if k != "pad"})
        )

    def __repr__(self) -> str:
        return f"PadCase(x{tuple(self.x.shape)}, pad={self.pad}, mode={self.mode!r}, value={self.value})"


@st.composite
def pad_cases(draw, mode: str, *, allow_negative: bool = False) -> PadCase:
    """``F.pad`` arguments torch accepts for ``mode`` (torch's rank rules respected).

    Non-constant modes pad the last ``m`` dims (``m`` in 1..3) of an input with
    ``m + 1`` or ``m + 2`` dims; constant mode pads any number of trailing dims.
    """
    if mode == "constant":
        ndim = draw(st.integers(1, 5))
        m = draw(st.integers(1, min(ndim, 3)))
    else:
        m = draw(st.integers(1, 3))
        ndim = m + draw(st.integers(1, 2))
    dims = list(draw(st.lists(st.integers(1, 6 if ndim <= 3 else 4), min_size=ndim, max_size=ndim)))
    # distinct sizes on the padded axes where possible
    padded_sizes = draw(st.lists(st.integers(1, 7 if m < 3 else 5), min_size=m, max_size=m, unique=True))
    dims[ndim - m :] = padded_sizes
    pad: list[int] = []
    for size in reversed(padded_sizes):  # torch order: last dim first
        for _ in range(2):
            if mode == "constant":
                lo = -(size - 1) if allow_negative else 0
                pad.append(draw(st.integers(lo, 3)))
            elif mode == "reflect":
                pad.append(draw(st.integers(0, min(3, size - 1))))
            elif mode == "circular":
                pad.append(draw(st.integers(0, min(3, size))))
            else:  # replicate
                pad.append(draw(st.integers(0, 3)))
        if mode == "constant":  # keep the padded size >= 1
            lo, hi = pad[-2], pad[-1]
            if size + lo + hi < 1:
                pad[-1] = 1 - size - lo
    value = draw(st.sampled_from([0.0, 1.5, -2.25])) if mode == "constant" else 0.0
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).standard_normal(dims)
    return PadCase(x, tuple(pad), mode, value)


def same_sizes_output_padding(
    sizes: tuple[int, ...],
    out_sizes: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    """The output_padding that makes conv_transpose(out_sizes) land exactly on ``sizes``."""
    ops = []
    for i, o, k, s, p, d in zip(sizes, out_sizes, kernel, stride, padding, dilation):
        base = (o - 1) * s - 2 * p + d * (k - 1) + 1
        ops.append(i - base)
    return tuple(ops)


__all__ = [
    "ALGORITHMS",
    "FFT_TOLERANCE",
    "PADDING_MODES",
    "PAD_KINDS",
    "TINY_WORKSPACE",
    "TORCH_CONV",
    "TORCH_CONVT",
    "ConvCase",
    "ConvTCase",
    "FoldCase",
    "PadCase",
    "assert_close",
    "conv_cases",
    "conv_transpose_cases",
    "convscope",
    "fold_cases",
    "inner",
    "pad_cases",
    "same_sizes_output_padding",
    "to_numpy",
    "torch_pad_tuple",
    "tt",
]


def assert_close_for_algorithm(ours, ref, algorithm, case):
    """float64 agreement with torch; the transform engines (FFT, Winograd) get FFT_TOLERANCE."""
    if algorithm in TRANSFORM_ALGORITHMS:
        assert_close(ours, ref, np.float64, tol=FFT_TOLERANCE, scale=case.magnitude(), err_msg=repr(case))
    else:
        assert_close(ours, ref, np.float64, err_msg=repr(case))
