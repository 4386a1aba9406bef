"""Space/depth cases: ``nn.depth_to_space`` and ``nn.space_to_depth``.

Block sizes 2 to 4 on small NHWC inputs of every dtype TensorFlow's CPU
kernels take (bool included; complex is left to ``tests/test_tf_pool.py``, as
the golden comparison casts to float64), empty axes, and invalid
configurations drawn on purpose: block sizes below 2, channels or sides not
divisible by the block, the channels-first layouts TensorFlow's CPU refuses,
and inputs of the wrong rank. Outputs are rearrangements, compared exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import Case
from .pool import ARGMAX_DTYPES, _pick

#: every dtype max_pool_with_argmax takes, and bool
DTYPES = (*ARGMAX_DTYPES, np.bool_)


def _array(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) < 0.5
    return rng.integers(0, 100, size=shape).astype(dtype)


def draw(rng: np.random.Generator) -> Case:
    """One random depth_to_space or space_to_depth call (about one in five invalid)."""
    to_space = rng.random() < 0.5
    block = int(rng.integers(2, 5))
    batch = int(rng.integers(0, 3)) if rng.random() < 0.1 else int(rng.integers(1, 3))
    dtype = _pick(rng, DTYPES)
    options: dict[str, Any] = {"block_size": block}
    if rng.random() < 0.2:
        options["data_format"] = "NHWC"
    if to_space:
        channels = int(rng.integers(0, 3)) if rng.random() < 0.1 else int(rng.integers(1, 4))
        shape: tuple[int, ...] = (
            batch,
            int(rng.integers(1, 5)),
            int(rng.integers(1, 5)),
            channels * block * block,
        )
        call = "nn.depth_to_space"
    else:
        rows, cols = (int(rng.integers(0 if rng.random() < 0.1 else 1, 4)) for _ in range(2))
        shape = (batch, rows * block, cols * block, int(rng.integers(1, 4)))
        call = "nn.space_to_depth"
    note = "valid"
    if rng.random() < 0.2:
        flaw = _pick(rng, ("block", "indivisible", "layout", "rank"))
        note = f"invalid: {flaw}"
        if flaw == "block":
            options["block_size"] = int(rng.integers(-1, 2))
        elif flaw == "indivisible":
            shape = (*shape[:3], shape[3] + 1) if to_space else (shape[0], shape[1] + 1, shape[2], shape[3])
        elif flaw == "layout":
            options["data_format"] = _pick(rng, ("NCHW", "NCHW_VECT_C", "NWC"))
        else:
            shape = shape[1:] if rng.random() < 0.5 else (*shape, 1)
    return Case(call, {"input": _array(rng, shape, dtype)}, options, note=note)
