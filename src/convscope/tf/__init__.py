"""TensorFlow's conventions on NumPy: ``tf.nn``, ``tf.image`` and ``tf.compat.v1.image``.

Names, argument names, defaults and layouts are TensorFlow's (NHWC by default,
filters HWIO, transposed filters ``[h, w, out_channels, in_channels]``),
and so are the refusals. A function here translates its arguments into the
geometry core and calls the same kernels as :mod:`convscope.functional`; it
holds no numerics of its own.

>>> import numpy as np
>>> from convscope import tf
>>> tf.nn.conv2d(np.ones((1, 5, 5, 1)), np.ones((2, 2, 1, 1)), strides=2, padding="SAME").shape
(1, 3, 3, 1)
"""

from . import compat, image, nn

__all__ = ["compat", "image", "nn"]
