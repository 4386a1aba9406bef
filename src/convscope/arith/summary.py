"""A torchinfo-style table of a convscope model: shapes, parameters, MACs and receptive fields.

:func:`summary` runs the model once on zeros and records every *leaf* module
(one without submodules) as it is called. It relies only on the module
protocol (``named_modules``, ``children``, ``parameters``, ``forward``,
``training``), duck-typed, so this package does not import
:mod:`convscope.nn`. Each leaf's hyper-parameters are read from its public
attributes into a :class:`~convscope.arith.cost.LayerSpec` and costed by
:func:`~convscope.arith.cost.cost` (conventions there).

Receptive fields (Araujo et al., see :mod:`.receptive`) follow the data: a
leaf's input is matched, by identity, to the output of the leaf that produced
it, and the field is :func:`~convscope.arith.receptive.receptive_field` of
the spatial layers along that path, one axis at a time. When an input was
built outside any leaf (``np.concatenate`` of parallel branches, as in
ASPP), it is taken to combine every leaf output not yet consumed, and the
field is the union of those paths' fields (the bounding interval of output
0's fields); ``rf_aligned`` is False when the paths' centres or strides
differ (the block's field is then not a single centred window).

Limitations: operations performed outside leaf modules (e.g. the bilinear
up-sampling inside ASPP's pooling branch, ``F.interpolate`` in a
``forward``) are invisible: they cost nothing here and do not enter the
field. The union rule is a heuristic for "outputs combined after parallel
branches"; a model that computes side outputs it never uses would have them
joined too. Fields are unknown (``None``) after a leaf that is neither a
convolution, pool, batch norm nor shape-preserving, after linear or cubic
interpolation, after adaptive pooling whose output does not divide its input,
and deformable convolutions are taken with zero offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .cost import LayerSpec, cost, resolved_padding
from .receptive import Layer, receptive_field

__all__ = ["Row", "Summary", "summary"]

Number = int | Fraction
Path = tuple[tuple[Layer, ...], ...]  # per axis, the spatial layers from the model input


@dataclass(frozen=True)
class Row:
    """One leaf module call.

    Attributes
    ----------
    name : str
        Dotted module name (``''`` for a model that is itself a leaf).
    type : str
        The module's class name.
    depth : int
        Nesting depth (1 for a child of the model).
    input_shape, output_shape : tuple of int
    params : int
        The module's own parameters.
    macs : int
        Multiply-accumulates (see :mod:`convscope.arith.cost`; 0 for an unknown kind).
    spec : LayerSpec or None
        The description that was costed; None when the kind is not known.
    rf_size, rf_stride : tuple of (int or Fraction), or None
        Receptive field size and effective stride on the model input, per
        spatial axis; None when unknown.
    rf_aligned : bool
        False when the field is the union of paths whose centres or strides differ.
    """

    name: str
    type: str
    depth: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int
    spec: LayerSpec | None
    rf_size: tuple[Number, ...] | None
    rf_stride: tuple[Number, ...] | None
    rf_aligned: bool = True


def _fmt_axes(values: tuple[Number, ...] | None) -> str:
    if values is None:
        return "?"
    return (" x " if any(isinstance(v, Fraction) for v in values) else "x").join(str(v) for v in values)


@dataclass(frozen=True)
class Summary:
    """Rows (one per leaf call) and totals; ``str()`` renders the table.

    Attributes
    ----------
    rows : tuple of Row
    input_shape, output_shape : tuple of int
    params : int
        Every parameter of the model, counted once.
    macs, flops : int
        Sums over the rows; ``flops = 2 * macs`` (bias adds not included).
    """

    rows: tuple[Row, ...]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int
    flops: int

    def __str__(self) -> str:
        head = ("Layer", "Type", "Output shape", "Params", "MACs", "RF", "Stride")
        body = []
        for row in self.rows:
            label = "  " * max(row.depth - 1, 0) + (row.name or "(model)")
            body.append(
                (
                    label,
                    row.type,
                    str(row.output_shape),
                    f"{row.params:,}",
                    f"{row.macs:,}",
                    _fmt_axes(row.rf_size) + ("" if row.rf_aligned else "*"),
                    _fmt_axes(row.rf_stride),
                )
            )
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        right = {3, 4}

        def line(cells: Sequence[str]) -> str:
            parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
            return "  ".join(parts).rstrip()

        rule = "-" * len(line(head))
        lines = [line(head), rule, *(line(r) for r in body), rule]
        lines += [
            f"Input shape: {self.input_shape}   Output shape: {self.output_shape}",
            f"Total params: {self.params:,}",
            f"Total MACs: {self.macs:,}   FLOPs (2 x MACs, bias adds excluded): {self.flops:,}",
        ]
        if not all(row.rf_aligned for row in self.rows):
            lines.append("* union of parallel paths whose field centres or strides differ")
        return "\n".join(lines)


# -- reading modules (duck typing) ------------------------------------------------------
def _is_leaf(module: Any) -> bool:
    return next(iter(module.children()), None) is None


def _own_params(module: Any) -> int:
    return sum(int(np.size(p)) for p in module.parameters(recurse=False))


def _ints(value: Any) -> Any:
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else value


def _spec(module: Any, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> LayerSpec | None:
    """A LayerSpec from the module's public attributes, or None for an unknown kind."""
    cls = type(module).__name__
    out_spatial = out_shape[2:]
    if all(hasattr(module, a) for a in ("in_channels", "out_channels", "kernel_size", "weight")):
        if "Deform" in cls:
            kind = "deform_conv"
        elif getattr(module, "transposed", False):
            kind = "conv_transpose"
        else:
            kind = "conv"
        return LayerSpec(
            kind,  # type: ignore[arg-type]
            int(module.in_channels),
            int(module.out_channels),
            _ints(module.kernel_size),
            _ints(module.stride),
            _ints(module.padding),
            _ints(module.dilation),
            int(getattr(module, "groups", 1)),
            getattr(module, "bias", None) is not None,
            _ints(getattr(module, "output_padding", 0)),
        )
    if "Adaptive" in cls and "Pool" in cls:
        kind = "adaptive_max_pool" if "Max" in cls else "adaptive_avg_pool"
        return LayerSpec(kind, size=out_spatial)  # type: ignore[arg-type]
    if "Unpool" not in cls and ("MaxPool" in cls or "AvgPool" in cls):
        return LayerSpec(
            "max_pool" if "Max" in cls else "avg_pool",
            kernel_size=_ints(module.kernel_size),
            stride=_ints(module.stride),
            padding=_ints(module.padding),
            dilation=_ints(getattr(module, "dilation", 1)),
            ceil_mode=bool(getattr(module, "ceil_mode", False)),
        )
    if "Upsampl" in cls and hasattr(module, "mode"):
        align = module.align_corners
        return LayerSpec("interpolate", size=out_spatial, mode=module.mode, align_corners=align)
    if "BatchNorm" in cls:
        return LayerSpec("batch_norm", in_channels=int(module.num_features), affine=bool(module.affine))
    if in_shape == out_shape:
        return LayerSpec("elementwise")
    return None


def _axis_layers(spec: LayerSpec | None, in_spatial: Sequence[int], out_spatial: Sequence[int]) -> Any:
    """Per axis, the Layer that ``spec`` adds to a path: ``()`` for none, None when unknown."""
    if spec is None:
        return None
    n = len(in_spatial)
    kind = spec.kind
    if kind in ("batch_norm", "elementwise") or (kind == "interpolate" and in_spatial == out_spatial):
        return ()

    def per_axis(value: Any) -> tuple[int, ...]:
        return tuple(int(v) for v in value) if isinstance(value, tuple) else (int(value),) * n

    if kind in ("conv", "deform_conv", "depthwise_separable", "max_pool", "avg_pool"):
        pads = resolved_padding(spec, in_spatial)
        kernel, step = per_axis(spec.kernel_size), per_axis(spec.stride_or_default)
        dil = per_axis(spec.dilation)
        role = "pool" if kind.endswith("pool") else "conv"
        return tuple(Layer(role, k, s, p, d) for k, s, p, d in zip(kernel, step, pads, dil))  # type: ignore[arg-type]
    if kind == "conv_transpose":
        kernel, step = per_axis(spec.kernel_size), per_axis(spec.stride_or_default)
        pad, dil = per_axis(spec.padding), per_axis(spec.dilation)
        return tuple(Layer("transpose", k, s, p, d) for k, s, p, d in zip(kernel, step, pad, dil))
    if kind in ("adaptive_avg_pool", "adaptive_max_pool") and all(
        i % o == 0 for i, o in zip(in_spatial, out_spatial)
    ):
        return tuple(Layer("pool", i // o, i // o) for i, o in zip(in_spatial, out_spatial))
    if (
        kind == "interpolate"
        and spec.mode.startswith("nearest")
        and all(o % i == 0 for i, o in zip(in_spatial, out_spatial))
    ):  # output j copies input floor(j / s): a transposed convolution of kernel s, stride s
        return tuple(Layer("transpose", o // i, o // i) for i, o in zip(in_spatial, out_spatial))
    return None


def _field(paths: tuple[Path, ...]) -> tuple[tuple[Number, ...], tuple[Number, ...], bool]:
    """Union over paths of output 0's field: (sizes, strides, aligned), per axis."""
    sizes, strides, aligned = [], [], True
    for axis in range(len(paths[0])):
        fields = [receptive_field(p[axis])[-1] if p[axis] else None for p in paths]
        us = [f.u if f else 0 for f in fields]
        vs = [f.v if f else 0 for f in fields]
        steps = [f.stride if f else 1 for f in fields]
        centres = [f.centre if f else 0 for f in fields]
        sizes.append(max(vs) - min(us) + 1)
        strides.append(min(steps))
        aligned = aligned and len(set(steps)) == 1 and len(set(centres)) == 1
    return tuple(sizes), tuple(strides), aligned


# -- tracing ------------------------------------------------------------------------------
@dataclass
class _Call:
    name: str
    module: Any
    input: Any
    output: Any


def _wrap(name: str, module: Any, calls: list[_Call]) -> Callable[..., Any]:
    original = module.forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        output = original(*args, **kwargs)
        calls.append(_Call(name, module, args[0] if args else next(iter(kwargs.values()), None), output))
        return output

    return forward


def _dtype(model: Any) -> Any:
    for p in model.parameters():
        if np.issubdtype(np.asarray(p).dtype, np.floating):
            return np.asarray(p).dtype
    return np.float32


def _trace(model: Any, x: np.ndarray) -> tuple[list[_Call], Any]:
    leaves = [(n, m) for n, m in model.named_modules() if _is_leaf(m)]
    modes = [(m, m.training) for _, m in model.named_modules() if hasattr(m, "training")]
    calls: list[_Call] = []
    wrapped = []
    try:
        for m, _ in modes:
            m.training = False  # no running-statistics updates, no dropout
        for name, m in leaves:
            if "forward" not in vars(m):
                m.forward = _wrap(name, m, calls)
                wrapped.append(m)
        output = model(x)
    finally:
        for m in wrapped:
            del m.forward
        for m, mode in modes:
            m.training = mode
    return calls, output


def summary(model: Any, input_shape: Sequence[int]) -> Summary:
    """Shapes, parameters, MACs and receptive field of every leaf layer of a convscope model.

    Parameters
    ----------
    model : convscope.nn.Module
        Any object with the module protocol (``named_modules``, ``children``,
        ``parameters``, a ``forward`` called through ``__call__``). It is run
        once, in evaluation mode (restored afterwards), on zeros of the dtype
        of its first floating parameter (float32 if none).
    input_shape : sequence of int
        ``(N, C, *spatial)``.

    Returns
    -------
    Summary
        One :class:`Row` per leaf call, in call order, and the totals.

    Examples
    --------
    >>> from convscope import nn
    >>> net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
    ...                     nn.Conv2d(8, 4, 3, rng=0))
    >>> s = summary(net, (1, 3, 16, 16))
    >>> s.params, s.macs, [r.rf_size for r in s.rows]
    (516, 67712, [(3, 3), (3, 3), (4, 4), (8, 8)])
    >>> print(s)  # doctest: +NORMALIZE_WHITESPACE
    Layer  Type       Output shape    Params    MACs  RF   Stride
    -------------------------------------------------------------
    0      Conv2d     (1, 8, 16, 16)     224  55,296  3x3  1x1
    1      ReLU       (1, 8, 16, 16)       0       0  3x3  1x1
    2      MaxPool2d  (1, 8, 8, 8)         0   2,048  4x4  2x2
    3      Conv2d     (1, 4, 6, 6)       292  10,368  8x8  2x2
    -------------------------------------------------------------
    Input shape: (1, 3, 16, 16)   Output shape: (1, 4, 6, 6)
    Total params: 516
    Total MACs: 67,712   FLOPs (2 x MACs, bias adds excluded): 135,424
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) < 3 or any(v < 1 for v in shape):
        raise ValueError(
            f"summary: input_shape must be (N, C, *spatial) with positive sizes, got {input_shape!r}"
        )
    x = np.zeros(shape, _dtype(model))
    calls, output = _trace(model, x)
    n = len(shape) - 2
    identity: Path = ((),) * n
    paths_of: dict[int, tuple[Path, ...] | None] = {id(x): (identity,)}
    dangling: dict[int, tuple[Path, ...] | None] = {}
    rows = []
    for call in calls:
        in_shape = tuple(int(v) for v in np.shape(call.input))
        out_shape = tuple(int(v) for v in np.shape(call.output))
        spec = _spec(call.module, in_shape, out_shape)
        macs = cost(spec, in_shape).macs if spec is not None and len(in_shape) == n + 2 else 0
        key = id(call.input)
        paths: tuple[Path, ...] | None
        if key in paths_of:
            paths = paths_of[key]
            dangling.pop(key, None)
        else:  # built outside the leaves: joins every output not yet consumed
            joined = list(dangling.values())
            dangling.clear()
            paths = None
            if joined and all(p is not None for p in joined):
                paths = tuple(path for group in joined if group is not None for path in group)
        layers = _axis_layers(spec, in_shape[2:], out_shape[2:]) if len(in_shape) == n + 2 else None
        if paths is None or layers is None:
            paths = None
        elif layers:
            paths = tuple(tuple(p[a] + (layers[a],) for a in range(n)) for p in dict.fromkeys(paths))
        paths_of[id(call.output)] = dangling[id(call.output)] = paths
        rf_size = rf_stride = None
        aligned = True
        if paths is not None:
            rf_size, rf_stride, aligned = _field(paths)
        rows.append(
            Row(
                call.name,
                type(call.module).__name__,
                call.name.count(".") + 1 if call.name else 0,
                in_shape,
                out_shape,
                _own_params(call.module),
                macs,
                spec,
                rf_size,
                rf_stride,
                aligned,
            )
        )
    total_macs = sum(r.macs for r in rows)
    params = sum(int(np.size(p)) for p in model.parameters())
    out = tuple(int(v) for v in np.shape(output))
    return Summary(tuple(rows), shape, out, params, total_macs, 2 * total_macs)
