"""The ``tf`` group: ``convscope.tf`` against real TensorFlow, NHWC float32.

TensorFlow is optional: this module never imports it at import time.
``configure(threads)`` imports it (and pins its thread pools) when a ``tf``
case is selected; the command skips the group with one line if that fails.

What is timed: ``convscope.tf.<op>(x, ...)`` on NumPy arrays against the same
``tf.<op>(x, ...)`` called eagerly on ``tf.constant`` copies of the same
numbers, in TensorFlow's default configuration (oneDNN custom ops on, as users
run it; the tests instead set ``TF_ENABLE_ONEDNN_OPTS=0``). Eager CPU ops are
synchronous, so the call returns once the result exists. The row's "torch ms"
column holds TensorFlow's time for this group.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench.cases import Builder, Case, Fn

GROUP = "tf"


def configure(threads: int) -> str:
    """Import TensorFlow and pin its pools to ``threads``; return a header sentence.

    Must run before TensorFlow's first op: the thread settings are refused once
    the runtime has started. Raises ``ImportError`` when TensorFlow is absent.
    """
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    # fewer INFO lines on stderr (the CPU-feature notice; the oneDNN notice still prints); a user's
    # setting wins
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    import tensorflow as tf  # type: ignore[import-untyped]

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    onednn_desc = "default (on)" if onednn is None else f"TF_ENABLE_ONEDNN_OPTS={onednn}"
    return (
        f"tensorflow {tf.__version__}, eager; oneDNN {onednn_desc}; intra-op "
        f"{tf.config.threading.get_intra_op_parallelism_threads()}, inter-op "
        f"{tf.config.threading.get_inter_op_parallelism_threads()} threads; "
        "every case batch 8; in this group the 'torch ms' column is TensorFlow's time "
        "and the ratio is convscope / TensorFlow"
    )


def _resolve(root: Any, path: str) -> Callable[..., Any]:
    fn: Any = root
    for part in path.split("."):
        fn = getattr(fn, part)
    return fn  # type: ignore[no-any-return]


def tf_op(path: str, shapes: Sequence[Sequence[int]], **params: Any) -> Builder:
    """Builder for ``<lib>.<path>(*arrays, **params)``, ``lib`` = ``convscope.tf`` or ``tensorflow``.

    The first shape is the input (standard normal); the others are filters,
    scaled by 1/sqrt(product of all but their last axis): a rough fan-in that
    keeps outputs near unit size (timings do not depend on it).
    """

    def build(impl: Any, rng: np.random.Generator) -> tuple[Fn, Fn]:
        import tensorflow as tf  # type: ignore[import-untyped]

        cs_root = getattr(impl, "tf", None)
        if cs_root is None:
            raise AttributeError(f"{impl.name} has no TensorFlow frontend")
        arrays = [rng.standard_normal(tuple(s), dtype=np.float32) for s in shapes]
        for a in arrays[1:]:
            a *= np.float32(1.0 / math.sqrt(math.prod(a.shape[:-1])))
        tensors = [tf.constant(a) for a in arrays]
        cs_fn_op, tf_fn_op = _resolve(cs_root, path), _resolve(tf, path)

        def cs_fn() -> Any:
            return cs_fn_op(*arrays, **params)

        def tf_fn() -> Any:
            return tf_fn_op(*tensors, **params)

        return cs_fn, tf_fn

    return build


_S1 = [1, 1, 1, 1]

CASES: list[Case] = [
    Case("tf conv2d 3x3 SAME 64->64 56x56", GROUP,
         tf_op("nn.conv2d", [(8, 56, 56, 64), (3, 3, 64, 64)], strides=1, padding="SAME")),
    Case("tf conv2d 3x3 SAME s2 128->256 28x28", GROUP,
         tf_op("nn.conv2d", [(8, 28, 28, 128), (3, 3, 128, 256)], strides=2, padding="SAME")),
    Case("tf conv2d_transpose 4x4 s2 SAME 256->128 16x16", GROUP,
         tf_op("nn.conv2d_transpose", [(8, 16, 16, 256), (4, 4, 128, 256)],
               output_shape=[8, 32, 32, 128], strides=2, padding="SAME")),
    Case("tf depthwise_conv2d 3x3 SAME 256ch 56x56", GROUP,
         tf_op("nn.depthwise_conv2d", [(8, 56, 56, 256), (3, 3, 256, 1)], strides=_S1, padding="SAME")),
    Case("tf separable_conv2d 3x3 SAME 64->128 56x56", GROUP,
         tf_op("nn.separable_conv2d", [(8, 56, 56, 64), (3, 3, 64, 1), (1, 1, 64, 128)],
               strides=_S1, padding="SAME")),
    Case("tf max_pool2d 3x3 s2 SAME 64ch 112x112", GROUP,
         tf_op("nn.max_pool2d", [(8, 112, 112, 64)], ksize=3, strides=2, padding="SAME")),
    Case("tf avg_pool2d 2x2 s2 VALID 64ch 112x112", GROUP,
         tf_op("nn.avg_pool2d", [(8, 112, 112, 64)], ksize=2, strides=2, padding="VALID")),
    Case("tf image.resize bilinear x2 64ch 56x56", GROUP,
         tf_op("image.resize", [(8, 56, 56, 64)], size=[112, 112], method="bilinear")),
    Case("tf image.resize bicubic x2 64ch 56x56", GROUP,
         tf_op("image.resize", [(8, 56, 56, 64)], size=[112, 112], method="bicubic")),
    Case("tf image.resize area /2 64ch 112x112", GROUP,
         tf_op("image.resize", [(8, 112, 112, 64)], size=[56, 56], method="area")),
    Case("tf depth_to_space 2 256ch 28x28", GROUP,
         tf_op("nn.depth_to_space", [(8, 28, 28, 256)], block_size=2)),
]  # fmt: skip
