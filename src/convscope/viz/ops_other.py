"""Animations of unpooling, up-sampling and pixel shuffle.

Unpooling scatters each pooled cell into its window of the output (the
windows are those of :meth:`convscope.core.Axis.transposed`, from the
functional frontend's planner); up-sampling reads, for each output cell, the
taps :mod:`convscope.core.resample` lists (as
:func:`convscope.functional.interpolate` plans them); pixel shuffle moves
the ``r * r`` channels of each input cell into an ``r x r`` output block, read
off :func:`convscope.functional.pixel_shuffle` applied to cell numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import convscope.functional as F

from ..functional.resample import check_pixel_shuffle, plan_interpolate
from ..functional.unpool import plan_unpool
from . import args as A
from .animation import Animation, frame_outputs, stepped_animation
from .frames import MAX_CELLS, check_cells, check_frames, finished_output, plain_grid, step_states
from .layout import format_value
from .model import Frame, OutCell
from .text import dims, position, same


def _final(count: int, targets: list[np.ndarray], sizes: tuple[int, ...], planes: int = 1) -> np.ndarray:
    done = np.zeros(count, dtype=np.int8)
    for t in targets:
        done[t] = OutCell.DONE
    return done.reshape(planes, *sizes)


# -- unpooling ------------------------------------------------------------------------------------
def unpool(kind: str, input: Any, **params: Any) -> Animation:
    op = f"{kind}_unpool"
    p = A.take(op, params, ("kernel_size", "stride", "padding", "output_size"))
    sizes = A.sizes(op, input)
    n = len(sizes)
    fop = f"{op}{n}d"
    A.required(op, p, "kernel_size", ("stride", "padding", "output_size"))
    output_size = p.get("output_size")
    plan = plan_unpool(
        fop, n, np.zeros((1, 1, *sizes)), p["kernel_size"], p.get("stride"), p.get("padding", 0), output_size
    )
    axes = plan.axes  # pooling windows over the output: out_size == input size
    out_sizes = tuple(a.size for a in axes)
    check_cells(op, "stride", p.get("stride"), out_sizes)
    check_frames(op, "input", input, math.prod(sizes))
    if any(o < 1 for o in out_sizes):
        raise ValueError(f"animate({op!r}): the output {out_sizes} is empty")
    kernel = tuple(a.kernel for a in axes)
    stride = tuple(a.stride for a in axes)
    pad = tuple(a.pad[0] for a in axes)
    rng = np.random.default_rng(p["seed"])
    count = math.prod(out_sizes)
    maps = [a.index_map() for a in axes]
    if kind == "max":
        # a seeded map of the output size with distinct values; its max pooling gives the indices
        original = rng.permutation(count).astype(np.float64).reshape(1, 1, *out_sizes)
        pooled, indices = getattr(F, f"max_pool{n}d")(original, kernel, stride, pad, 1, False, True)
        if pooled.shape[2:] != sizes:
            raise ValueError(
                f"animate({op!r}): max pooling an output of {out_sizes} gives {pooled.shape[2:]}, "
                f"not the input {sizes}"
            )
        x = pooled if p["values"] else None
        out_values = (
            getattr(F, fop)(pooled, indices, kernel, stride, pad, output_size)[0, 0] if p["values"] else None
        )
    else:
        x = rng.integers(1, 10, size=(1, 1, *sizes)).astype(np.float64) if p["values"] else None
        out_values = getattr(F, fop)(x, kernel, stride, pad, output_size)[0, 0] if x is not None else None
    targets, windows, captions = [], [], []
    for j, pos in enumerate(np.ndindex(*sizes)):
        per_axis = np.meshgrid(*[m[o] for m, o in zip(maps, pos)], indexing="ij")
        valid = np.logical_and.reduce([g >= 0 for g in per_axis])
        window = np.ravel_multi_index(tuple(g[valid] for g in per_axis), out_sizes)
        windows.append(np.sort(window))
        if kind == "max":
            targets.append(np.array([int(indices.reshape(-1)[j])]))
            verb = "writes its maximum's position"
        else:
            targets.append(windows[-1])
            verb = f"spreads over {len(window)} cells"
        text = f"step {j + 1}/{len(sizes and list(np.ndindex(*sizes)))}: input {position(pos)} {verb}"
        if x is not None:
            text += f"  ({format_value(float(x.reshape(-1)[j]))})"
        captions.append(text)
    outputs = frame_outputs(count, targets)
    frames = [
        Frame(
            index=j,
            position=tuple(int(v) for v in pos),
            taps=np.array([[0, *pos]]),
            reads=np.array([j]),
            targets=targets[j],
            output=outputs[j].reshape(1, *out_sizes),
            window=windows[j],
            caption=captions[j],
        )
        for j, pos in enumerate(np.ndindex(*sizes))
    ]
    inp = plain_grid("input", sizes, values=None if x is None else x[0, 0])
    out = finished_output(out_sizes, out_values, _final(count, targets, out_sizes))
    resolved = {"input": sizes, "kernel_size": kernel, "stride": stride, "padding": pad}
    note = (
        "indices from max-pooling a seeded random map"
        if kind == "max"
        else "each average spread over its window; overlaps averaged"
    )
    return stepped_animation(
        op,
        n,
        resolved,
        inp,
        out,
        frames,
        title=f"{fop}: input {dims(sizes)} -> output {dims(out_sizes)}",
        subtitle=f"kernel {dims(kernel)}, stride {same(stride)}, padding {same(pad)}; {note}",
        footprint="input cell",
    )


# -- up-sampling ----------------------------------------------------------------------------------
def upsample(mode: str, input: Any, **params: Any) -> Animation:
    op = f"upsample_{mode}"
    allowed = ["scale_factor", "size"] + (["align_corners"] if mode == "bilinear" else [])
    p = A.take(op, params, allowed)
    sizes = A.sizes(op, input)
    n = len(sizes)
    if ("scale_factor" in p) == ("size" in p):
        raise TypeError(
            f"animate({op!r}): give exactly one of scale_factor and size, got "
            f"scale_factor={p.get('scale_factor')!r}, size={p.get('size')!r}"
        )
    A.small(op, "size", p.get("size"))
    factor = p.get("scale_factor")
    if factor is not None:
        factors = factor if isinstance(factor, (tuple, list)) else (factor,) * n
        if any(
            isinstance(f, (int, float)) and not isinstance(f, bool) and f * s > MAX_CELLS
            for f, s in zip(factors, sizes)
        ):
            raise ValueError(
                f"animate({op!r}): scale_factor={factor!r} gives more than {MAX_CELLS} cells per axis"
            )
    interp_mode = "nearest" if mode == "nearest" else ("linear" if n == 1 else "bilinear")
    corners = p.get("align_corners") if mode == "bilinear" else None
    probe = np.zeros((1, 1, *sizes), dtype=np.float32)
    plan = plan_interpolate(probe, p.get("size"), factor, interp_mode, corners)
    taps = plan.taps
    out_sizes = tuple(t.out_size for t in taps)
    check_cells(op, "scale_factor" if factor is not None else "size", factor or p.get("size"), out_sizes)
    check_frames(op, "input", input, math.prod(out_sizes))
    x = out_values = None
    if p["values"]:
        x = np.random.default_rng(p["seed"]).integers(0, 10, size=(1, 1, *sizes)).astype(np.float32)
        out_values = F.interpolate(x, p.get("size"), factor, interp_mode, corners)[0, 0].astype(np.float64)
    frames = []
    count = math.prod(out_sizes)
    for j, pos in enumerate(np.ndindex(*out_sizes)):
        index = np.meshgrid(*[t.index[o] for t, o in zip(taps, pos)], indexing="ij")
        weight = math.prod(np.meshgrid(*[t.weight[o] for t, o in zip(taps, pos)], indexing="ij"))
        used = np.logical_and.reduce([i >= 0 for i in index]) & (weight != 0)
        flat = np.ravel_multi_index(tuple(i[used] for i in index), sizes)
        cells, inverse = np.unique(flat, return_inverse=True)
        summed = np.bincount(inverse, weights=np.asarray(weight)[used], minlength=len(cells))
        coords = np.stack([np.zeros_like(cells), *np.unravel_index(cells, sizes)], axis=1)
        state = step_states(count, j)
        terms = " + ".join(
            ("" if w == 1 else f"{format_value(float(w))}*") + f"x{position(np.unravel_index(c, sizes))}"
            for c, w in zip(cells, summed)
        )
        caption = f"step {j + 1}/{count}: output {position(pos)} = {terms}"
        if out_values is not None:
            caption += f" = {format_value(float(out_values.reshape(-1)[j]))}"
        frames.append(
            Frame(
                index=j,
                position=tuple(int(v) for v in pos),
                taps=coords,
                reads=cells,
                targets=np.array([j]),
                output=state.reshape(1, *out_sizes),
                weights=summed,
                caption=caption,
            )
        )
    inp = plain_grid("input", sizes, values=None if x is None else x[0, 0].astype(np.float64))
    out = finished_output(out_sizes, out_values)
    resolved: dict[str, Any] = {"input": sizes, "size": out_sizes, "mode": interp_mode}
    if factor is not None:
        resolved["scale_factor"] = factor
    if mode == "bilinear":
        resolved["align_corners"] = bool(corners)
    how = f"scale_factor {factor}" if factor is not None else f"size {dims(out_sizes)}"
    if mode == "bilinear":
        how += f", align_corners={bool(corners)}"
    return stepped_animation(
        op,
        n,
        resolved,
        inp,
        out,
        frames,
        title=f"interpolate ({interp_mode}): input {dims(sizes)} -> output {dims(out_sizes)}",
        subtitle=f"{how}; each output cell reads the input cells its coordinate maps to",
        footprint="cells read (weight in corner)",
    )


# -- pixel shuffle ----------------------------------------------------------------------------------
def pixel_shuffle(input: Any, **params: Any) -> Animation:
    op = "pixel_shuffle"
    p = A.take(op, params, ("upscale_factor",))
    sizes = A.sizes(op, input)
    if len(sizes) != 2:
        raise ValueError(
            f"animate({op!r}): pixel_shuffle rearranges two spatial axes; input must be (H, W), "
            f"got input={input!r}"
        )
    A.required(op, p, "upscale_factor")
    r = p["upscale_factor"]
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise ValueError(f"animate({op!r}): upscale_factor must be a positive int, got upscale_factor={r!r}")
    planes = r * r
    # the r * r input planes are drawn side by side: bound them before allocating anything
    check_cells(op, "upscale_factor", r, (planes * (sizes[1] + 1),))
    check_frames(op, "input", input, math.prod(sizes))
    cells = np.arange(planes * math.prod(sizes), dtype=np.float64).reshape(1, planes, *sizes)
    check_pixel_shuffle(cells, r)
    # which input cell (flat over (channel, H, W)) each output cell copies, read off the operator
    source = F.pixel_shuffle(cells, r)[0, 0].astype(np.int64)
    out_sizes = (int(source.shape[0]), int(source.shape[1]))
    check_cells(op, "upscale_factor", r, out_sizes)
    x = out_values = None
    if p["values"]:
        x = np.random.default_rng(p["seed"]).integers(0, 10, size=(1, planes, *sizes)).astype(np.float64)
        out_values = F.pixel_shuffle(x, r)[0, 0]
    origin = np.unravel_index(source.ravel(), (planes, *sizes))
    spatial = np.ravel_multi_index((origin[1], origin[2]), sizes)
    frames = []
    targets = [np.flatnonzero(spatial == j) for j in range(math.prod(sizes))]
    outputs = frame_outputs(math.prod(out_sizes), targets)
    for j, pos in enumerate(np.ndindex(*sizes)):
        reads = np.array([np.ravel_multi_index((c, *pos), (planes, *sizes)) for c in range(planes)])
        taps = np.array([[c, *pos] for c in range(planes)])
        caption = (
            f"step {j + 1}/{math.prod(sizes)}: the {planes} channels at input {position(pos)} "
            f"fill output block {position(np.unravel_index(targets[j].min(), out_sizes))}"
        )
        frames.append(
            Frame(
                index=j,
                position=tuple(int(v) for v in pos),
                taps=taps,
                reads=reads,
                targets=targets[j],
                output=outputs[j].reshape(1, *out_sizes),
                caption=caption,
            )
        )
    inp = plain_grid("input", sizes, planes, None if x is None else x[0])
    out = finished_output(out_sizes, out_values)
    return stepped_animation(
        op,
        2,
        {"input": sizes, "upscale_factor": r},
        inp,
        out,
        frames,
        title=f"pixel_shuffle: {planes} x {dims(sizes)} -> 1 x {dims(out_sizes)}",
        subtitle=f"upscale_factor {r}: channel i*{r}+j at (h, w) goes to (h*{r}+i, w*{r}+j)",
        footprint="channels moved",
        in_label=f"input {planes} channels x {dims(sizes)}",
    )
