"""Stacks of dilated convolutions: the hybrid dilated convolution (HDC) criterion.

Wang et al., "Understanding Convolution for Semantic Segmentation" (WACV
2018): in a stack of ``K x K`` convolutions with dilation rates
``r_1 .. r_n``, let ``M_i`` be the largest distance between two neighbouring
non-zero taps of the combined kernel seen from layer ``i``::

    M_n = r_n,  M_i = max(M_{i+1} - 2 r_i, M_{i+1} - 2 (M_{i+1} - r_i), r_i)

The stack covers its receptive field without holes ("gridding") when
``M_2 <= K``; rates with a common factor greater than one always grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def hdc_distances(rates: Sequence[int]) -> tuple[int, ...]:
    """``(M_1, ..., M_n)`` for the dilation ``rates`` of a stack, first layer first.

    Examples
    --------
    >>> hdc_distances((1, 2, 5))
    (1, 2, 5)
    >>> hdc_distances((1, 2, 9))
    (3, 5, 9)
    """
    if not rates or any(int(r) < 1 for r in rates):
        raise ValueError(f"rates must be positive integers, got rates={tuple(rates)}")
    distances = [int(rates[-1])]
    for rate in reversed([int(r) for r in rates[:-1]]):
        upper = distances[0]
        distances.insert(0, max(upper - 2 * rate, upper - 2 * (upper - rate), rate))
    return tuple(distances)


def satisfies_hdc(rates: Sequence[int], kernel_size: int = 3) -> bool:
    """Whether ``M_2 <= kernel_size`` and the rates share no factor above one.

    Examples
    --------
    >>> satisfies_hdc((1, 2, 3)), satisfies_hdc((2, 2, 2)), satisfies_hdc((1, 2, 9))
    (True, False, False)
    """
    distances = hdc_distances(rates)
    second = distances[1] if len(distances) > 1 else distances[0]
    return second <= kernel_size and math.gcd(*(int(r) for r in rates)) == 1
