"""``tf.nn``: convolutions, pooling and space/depth rearrangements, TensorFlow's way."""

from ._conv import *  # noqa: F403
from ._conv import __all__ as _conv_all
from ._pool import *  # noqa: F403
from ._pool import __all__ as _pool_all
from ._space import *  # noqa: F403
from ._space import __all__ as _space_all

__all__ = [*_conv_all, *_pool_all, *_space_all]
