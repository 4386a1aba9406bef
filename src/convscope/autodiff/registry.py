"""Reverse-mode differentiation of convscope operators: ``vjp``.

Each operator registers a rule that runs the forward pass and returns its
pullback. Rules live beside the operators they differentiate
(:mod:`convscope.autodiff.rules`); this module only dispatches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Gradients = tuple[np.ndarray | None, ...]
Pullback = Callable[[Any], Gradients]
Rule = Callable[..., tuple[np.ndarray, Pullback]]

_RULES: dict[Callable[..., Any], tuple[Rule, int]] = {}


def register(function: Callable[..., Any], max_primals: int) -> Callable[[Rule], Rule]:
    """Register ``rule`` for ``function``, which takes up to ``max_primals`` arrays.

    A rule returns ``(out, pullback)``; its pullback returns gradients for all
    ``max_primals`` array slots and :func:`vjp` keeps those the caller gave.
    """

    def decorate(rule: Rule) -> Rule:
        _RULES[function] = (rule, max_primals)
        return rule

    return decorate


def vjp(function: Callable[..., Any], *primals: Any, **params: Any) -> tuple[np.ndarray, Pullback]:
    """Evaluate ``function(*primals, **params)`` and return its pullback.

    Parameters
    ----------
    function
        A differentiable operator of :mod:`convscope.functional` or :mod:`convscope.tf`.
    *primals
        The array arguments to differentiate with respect to, in the
        operator's order (``input, weight[, bias]`` for convolutions; the
        input alone for ``pad``, ``unfold`` and ``fold``). ``None`` is allowed
        for an optional array and gets a ``None`` gradient.
    **params
        Every other argument, by keyword.

    Returns
    -------
    out : numpy.ndarray
        The operator's output.
    pullback : callable
        ``pullback(cotangent)`` returns one gradient per primal.

    Examples
    --------
    The gradient of a convolution in its input is the transposed convolution
    of the cotangent:

    >>> import numpy as np
    >>> import convscope
    >>> import convscope.functional as F
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4); w = np.ones((1, 1, 3, 3))
    >>> out, pullback = convscope.vjp(F.conv2d, x, w, stride=1)
    >>> gx, gw = pullback(np.ones_like(out))
    >>> np.array_equal(gx, F.conv_transpose2d(np.ones_like(out), w))
    True
    >>> gw[0, 0]  # each tap's gradient sums the 2x2 block of inputs it met
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    """
    entry = _RULES.get(function)
    if entry is None:
        name = getattr(function, "__name__", repr(function))
        raise TypeError(f"vjp: no pullback is registered for {name}")
    rule, max_primals = entry
    if not 1 <= len(primals) <= max_primals:
        raise TypeError(
            f"vjp: {function.__name__} takes 1 to {max_primals} array primals, got {len(primals)}; "
            "pass other arguments by keyword"
        )
    out, pullback = rule(*primals, **params)

    def trimmed(cotangent: Any) -> Gradients:
        return pullback(cotangent)[: len(primals)]

    return out, trimmed


def cotangent_like(value: Any, out: np.ndarray, op: str) -> np.ndarray:
    """Check a cotangent against the output it flows back through."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.shape != out.shape:
        raise ValueError(f"{op} pullback: cotangent has shape {array.shape}, expected {out.shape}")
    if array.dtype.kind != "f":
        raise TypeError(f"{op} pullback: cotangent must be floating point, got {array.dtype}")
    return array.astype(out.dtype, copy=False)


def require_float(op: str, *arrays: np.ndarray | None) -> None:
    for a in arrays:
        if a is not None and a.dtype.kind != "f":
            raise TypeError(f"vjp: {op} is only differentiable for floating point arrays, got {a.dtype}")
