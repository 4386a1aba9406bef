"""Pictures of the convolution family: animations of any configuration and analysis figures.

Everything drawn is read from the geometry core (:mod:`convscope.core`) and
the analysis (:mod:`convscope.arith`); numbers, when shown, are computed by
:mod:`convscope.functional`. Output formats: SVG (hand-written), PNG and
animated GIF (Pillow), and HTML/SVG that plays in a notebook.

>>> import convscope.viz as viz
>>> anim = viz.animate("conv", (5, 5), kernel_size=3, stride=2, padding=1)
>>> len(anim), anim.frames[0].input_cells().tolist()
(9, [0, 1, 5, 6])
>>> viz.figure("overlap", kernel_size=3, stride=2).svg().startswith("<svg")
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

from ..arith.shape import KernelOp
from .animation import Animation
from .figures import FIGURES, Figure, figure
from .frames import MAX_CELLS, MAX_FRAMES
from .model import Frame, Grid, InCell, OutCell
from .notebook import notebook_html, notebook_svg

__all__ = [
    "FIGURES",
    "MAX_CELLS",
    "MAX_FRAMES",
    "OPS",
    "Animation",
    "Figure",
    "Frame",
    "Grid",
    "InCell",
    "OutCell",
    "animate",
    "figure",
    "notebook_html",
    "notebook_svg",
]

Op = Literal[
    KernelOp,
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
]

#: the operators :func:`animate` draws
OPS: tuple[str, ...] = get_args(Op)


def animate(op: Op | str, input: int | tuple[int, ...], **params: Any) -> Animation:
    """Draw ``op`` step by step on an input of ``input`` cells (an int: 1-d; a pair: 2-d).

    Parameters
    ----------
    op : str
        One of :data:`OPS`.
    input : int or tuple of int
        Spatial input size: ``7`` (1-d) or ``(5, 6)`` (2-d); at most
        :data:`MAX_CELLS` per axis. For ``pixel_shuffle``, ``(H, W)`` of each
        of the ``upscale_factor ** 2`` input channels.
    **params
        PyTorch's argument names: ``kernel_size``, ``stride``, ``padding``
        (int, per-axis ints, ``(low, high)`` pairs per axis, ``'same'``,
        ``'valid'``), ``dilation``, ``output_padding``, ``output_size`` (unpooling), ``ceil_mode``,
        ``count_include_pad``, ``scale_factor``/``size``, ``align_corners``,
        ``upscale_factor``; ``convention='torch'`` (default) or ``'tf'``
        (padding ``'same'``/``'valid'`` with TensorFlow's split; for
        ``conv_transpose`` the spatial ``output_shape`` instead of
        ``output_padding``); ``values=True`` to show the numbers of a real
        computation (seeded integer inputs and weights, ``seed=0``). A
        parameter given as ``None`` counts as not given.

    Returns
    -------
    Animation
        One frame per output position (window operators, up-sampling) or per
        input cell (unpooling, pixel shuffle).

    Raises
    ------
    ValueError, TypeError
        An unknown operator or parameter; a configuration the framework
        refuses (same rules as :mod:`convscope.functional`); a canvas larger
        than :data:`MAX_CELLS` cells on an axis or more than
        :data:`MAX_FRAMES` frames -- checked before anything is drawn.

    Notes
    -----
    ``upsample_bilinear`` is ``interpolate(mode='linear'/'bilinear')`` with
    ``align_corners=False`` unless given (``nn.Upsample``'s default; the
    deprecated ``F.upsample_bilinear`` fixes it to True). ``max_unpool``
    needs pooling indices: they come from max-pooling a seeded random map of
    the output size (distinct values, so no ties).

    Examples
    --------
    >>> anim = animate("conv_transpose", 3, kernel_size=3, stride=2)
    >>> len(anim), anim.input.shape          # 3 inputs, 1 zero between, padding 2 each side
    (7, (1, 9))
    >>> animate("max_pool", (4, 4), kernel_size=2).output.sizes
    (2, 2)
    """
    from . import ops_other, ops_window

    builders: dict[str, Callable[..., Animation]] = {
        "conv": ops_window.conv,
        "conv_transpose": ops_window.conv_transpose,
        "max_pool": lambda i, **p: ops_window.pool("max", i, **p),
        "avg_pool": lambda i, **p: ops_window.pool("avg", i, **p),
        "max_unpool": lambda i, **p: ops_other.unpool("max", i, **p),
        "avg_unpool": lambda i, **p: ops_other.unpool("avg", i, **p),
        "upsample_nearest": lambda i, **p: ops_other.upsample("nearest", i, **p),
        "upsample_bilinear": lambda i, **p: ops_other.upsample("bilinear", i, **p),
        "pixel_shuffle": ops_other.pixel_shuffle,
    }
    if op not in builders:
        raise ValueError(f"animate: unknown op={op!r}; expected one of {', '.join(OPS)}")
    return builders[op](input, **params)
