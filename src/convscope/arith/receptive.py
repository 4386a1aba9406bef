"""Receptive fields of a chain of convolutions, pools and transposed convolutions.

Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019 (doi:10.23915/distill.00021). For layers
``l = 1..L`` with kernel span ``k_l`` (dilated: ``d (k - 1) + 1``), stride
``s_l`` and low padding ``p_l``, the field of an output of layer ``L`` on the
input has (their equations for single-path networks)::

    size       r = 1 + sum_l (k_l - 1) * prod_{i<l} s_i
    stride     S = prod_l s_l
    padding    P = sum_l p_l * prod_{i<l} s_i
    interval   output index j sees input indices [j S - P, j S - P + r - 1]

so output index 0 sees ``[u, v] = [-P, r - P - 1]``, centred on ``(u + v) / 2``.
Negative indices are padding (feature maps are taken as extending past both
ends, as in the article); only the low padding matters.

Transposed convolution (the article's "fractional stride" extension): a
transposed convolution of stride ``s`` is the direct convolution of its
zero-stuffed input (input dilation ``s``) with padding ``span - 1 - p``
(:meth:`convscope.core.Axis.direct_view`). Measured in samples of its real
input, that convolution has stride ``1 / s``, low padding
``(span - 1 - p) / s`` and span ``(span - 1) / s + 1``; the recurrences above
then hold with :class:`fractions.Fraction` values. Rule: the exact input
support of an output is contained in this ``[u, v]``; for chains of
convolutions and pools (integers only) ``[u, v]`` is exactly the bounding
interval of the support.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from ..core import Axis

__all__ = ["Layer", "ReceptiveField", "parse_layers", "receptive_field"]

LayerKind = Literal["conv", "pool", "transpose"]
Number = int | Fraction

_KINDS: dict[str, LayerKind] = {
    "conv": "conv",
    "pool": "pool",
    "maxpool": "pool",
    "avgpool": "pool",
    "transpose": "transpose",
    "convt": "transpose",
    "deconv": "transpose",
}


def _number(value: Fraction) -> Number:
    """An int when ``value`` is whole, else the fraction itself."""
    return int(value) if value.denominator == 1 else value


@dataclass(frozen=True)
class Layer:
    """One layer of a single-path network, along one spatial axis.

    Parameters
    ----------
    kind : {'conv', 'pool', 'transpose'}
    kernel_size : int
    stride : int or None
        ``None`` means PyTorch's default: ``kernel_size`` for a pool, 1
        otherwise.
    padding : int or (low, high)
        Zero padding of the input (for ``'transpose'``: the cells PyTorch
        crops from the output, an int).
    dilation : int

    Examples
    --------
    >>> Layer("pool", 2).step, Layer("conv", 3, padding=(0, 1)).pad
    (2, (0, 1))
    """

    kind: LayerKind
    kernel_size: int
    stride: int | None = None
    padding: int | tuple[int, int] = 0
    dilation: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("conv", "pool", "transpose"):
            raise ValueError(f"Layer: kind must be 'conv', 'pool' or 'transpose', got kind={self.kind!r}")
        for name in ("kernel_size", "dilation") + (("stride",) if self.stride is not None else ()):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Layer: {name} must be a positive int, got {name}={value!r}")
        pad = (self.padding, self.padding) if isinstance(self.padding, int) else tuple(self.padding)
        if len(pad) != 2 or not all(isinstance(p, int) and p >= 0 for p in pad):
            raise ValueError(
                f"Layer: padding must be a non-negative int or (low, high) pair, got padding={self.padding!r}"
            )
        if self.kind == "transpose" and pad[0] != pad[1]:
            raise ValueError(f"Layer: a transposed convolution takes one int padding, got {self.padding!r}")

    @property
    def step(self) -> int:
        """The stride, with PyTorch's default filled in."""
        if self.stride is not None:
            return self.stride
        return self.kernel_size if self.kind == "pool" else 1

    @property
    def pad(self) -> tuple[int, int]:
        """Padding as ``(low, high)``."""
        if isinstance(self.padding, int):
            return (self.padding, self.padding)
        return (self.padding[0], self.padding[1])

    def direct_axis(self) -> Axis:
        """The layer as a direct window operator (a transposed one with input dilation).

        The receptive field does not depend on the input size, so the axis is
        built on a nominal size.
        """
        if self.kind == "transpose":
            return Axis.transposed(1, self.kernel_size, self.step, self.pad, 0, self.dilation).direct_view()
        return Axis(1, self.kernel_size, self.step, self.dilation, self.pad)


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field on the network input of the outputs of one layer.

    Attributes
    ----------
    layer : Layer
    size : int or Fraction
        ``r``: how many input samples one output sees (bounding interval).
    stride : int or Fraction
        ``S``: input distance between neighbouring outputs.
    padding : int or Fraction
        ``P``: effective low padding.
    u, v : int or Fraction
        Input interval seen by output index 0, ``u = -P``, ``v = r - P - 1``.
    """

    layer: Layer
    size: Number
    stride: Number
    padding: Number
    u: Number
    v: Number

    @property
    def centre(self) -> Number:
        """Centre ``(u + v) / 2`` of output 0's field; output ``j``'s is ``centre + j * stride``."""
        return _number(Fraction(self.u + self.v, 2))

    def interval(self, index: int) -> tuple[Number, Number]:
        """Input interval ``[u + index * S, v + index * S]`` seen by output ``index``."""
        shift = index * self.stride
        return (self.u + shift, self.v + shift)

    def _repr_svg_(self) -> str | None:
        """Notebook view, drawn by :mod:`convscope.viz` (imported here: arith does not depend on it)."""
        from convscope.viz import notebook_svg

        return notebook_svg(self)


def receptive_field(layers: Sequence[Layer] | str) -> tuple[ReceptiveField, ...]:
    """Receptive field, effective stride and padding after every layer (Araujo et al., 2019).

    Parameters
    ----------
    layers : sequence of Layer, or str
        The single-path network, input first; a string is read by
        :func:`parse_layers`.

    Returns
    -------
    tuple of ReceptiveField
        One per layer, each relative to the network input.

    Examples
    --------
    Seed example: a 7x7 input, conv k3 s2 then conv k2 s1.

    >>> [f.size for f in receptive_field("conv k3 s2; conv k2")]
    [3, 5]
    >>> f = receptive_field([Layer("conv", 3, padding=1), Layer("pool", 2)])[-1]
    >>> f.size, f.stride, f.padding, (f.u, f.v), f.centre
    (4, 2, 1, (-1, 2), Fraction(1, 2))
    >>> receptive_field("transpose k4 s2 p1")[0].stride
    Fraction(1, 2)
    """
    if isinstance(layers, str):
        layers = parse_layers(layers)
    size, stride, padding = Fraction(1), Fraction(1), Fraction(0)
    fields = []
    for layer in layers:
        if not isinstance(layer, Layer):
            raise TypeError(f"receptive_field: layers must be Layer objects, got {layer!r}")
        axis = layer.direct_axis()
        scale = Fraction(1, axis.input_dilation)  # one sample of the layer's real input
        size += (axis.span - 1) * scale * stride
        padding += axis.pad[0] * scale * stride
        stride *= axis.stride * scale
        fields.append(
            ReceptiveField(
                layer,
                _number(size),
                _number(stride),
                _number(padding),
                _number(-padding),
                _number(size - padding - 1),
            )
        )
    return tuple(fields)


_TOKEN = re.compile(r"^(?P<key>[ksdp])(?P<value>\d+(?:,\d+)?)$")


def parse_layers(text: str) -> tuple[Layer, ...]:
    """Read layers from a compact text form, e.g. ``"conv k3 s2; pool k2; conv k3 d2 p2"``.

    Layers are separated by ``;`` or newlines. Each starts with its kind
    (``conv``; ``pool``, ``maxpool``, ``avgpool``; ``transpose``, ``convt``,
    ``deconv``) followed by ``k<kernel>`` (required), ``s<stride>``,
    ``p<padding>`` or ``p<low>,<high>``, and ``d<dilation>``, in any order.
    Omitted values take PyTorch's defaults (a pool's stride is its kernel).

    Examples
    --------
    >>> parse_layers("conv k3 s2; pool k2; conv k3 d2 p2")  # doctest: +NORMALIZE_WHITESPACE
    (Layer(kind='conv', kernel_size=3, stride=2, padding=0, dilation=1),
     Layer(kind='pool', kernel_size=2, stride=None, padding=0, dilation=1),
     Layer(kind='conv', kernel_size=3, stride=None, padding=2, dilation=2))
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_layers: text must be a str, got {text!r}")
    layers = []
    for chunk in re.split(r"[;\n]", text):
        words = chunk.split()
        if not words:
            continue
        kind = _KINDS.get(words[0].lower())
        if kind is None:
            raise ValueError(
                f"parse_layers: unknown layer kind {words[0]!r} in {chunk.strip()!r}, expected one of "
                f"{sorted(_KINDS)}"
            )
        ints: dict[str, int] = {}
        padding: int | tuple[int, int] = 0
        for word in words[1:]:
            match = _TOKEN.match(word.lower())
            key = match["key"] if match else ""
            if match is None or key in ints or ("," in match["value"] and key != "p"):
                raise ValueError(
                    f"parse_layers: cannot read {word!r} in {chunk.strip()!r}: expected k<int>, s<int>, "
                    "p<int> or p<low>,<high>, d<int>, each at most once"
                )
            numbers = [int(v) for v in match["value"].split(",")]
            ints[key] = numbers[0]
            if key == "p":
                padding = numbers[0] if len(numbers) == 1 else (numbers[0], numbers[1])
        if "k" not in ints:
            raise ValueError(f"parse_layers: layer {chunk.strip()!r} has no kernel size (k<int>)")
        layers.append(Layer(kind, ints["k"], ints.get("s"), padding, ints.get("d", 1)))
    if not layers:
        raise ValueError(f"parse_layers: no layers in {text!r}")
    return tuple(layers)
