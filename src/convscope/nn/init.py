"""Default initialisation, drawing from the distributions torch's layers use.

torch initialises a convolution's weight with ``kaiming_uniform_(a=sqrt(5))``,
i.e. uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``, and its bias uniform on
the same interval; ``fan_in`` is ``weight.shape[1] * prod(kernel)`` for plain
and transposed convolutions alike. The draws come from a NumPy Generator so a
seed makes a model reproducible (the numbers differ from torch's generator).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Rng = np.random.Generator | int | None


def generator(rng: Rng) -> np.random.Generator:
    """A Generator from a seed, a Generator (used as is) or None (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def fan_in(shape: tuple[int, ...]) -> int:
    """torch's ``fan_in`` of a weight: ``shape[1]`` times the kernel volume."""
    return shape[1] * math.prod(shape[2:]) if len(shape) > 1 else shape[0]


def kaiming_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any) -> np.ndarray:
    """``kaiming_uniform_(a=sqrt(5))``: uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``.

    Examples
    --------
    >>> w = kaiming_uniform((6, 2, 3, 3), np.random.default_rng(0), np.float32)
    >>> w.dtype, bool(abs(w).max() <= 1 / 18 ** 0.5)
    (dtype('float32'), True)
    """
    fan = fan_in(shape)
    bound = 1.0 / math.sqrt(fan) if fan > 0 else 0.0
    return rng.uniform(-bound, bound, shape).astype(dtype)


def bias_uniform(
    size: int, weight_shape: tuple[int, ...], rng: np.random.Generator, dtype: Any
) -> np.ndarray:
    """A layer's bias: uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` of its weight."""
    fan = fan_in(weight_shape)
    bound = 1.0 / math.sqrt(fan) if fan > 0 else 0.0
    return rng.uniform(-bound, bound, size).astype(dtype)
