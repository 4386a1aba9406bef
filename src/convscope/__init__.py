"""convscope: the convolution family of deep learning on NumPy.

Exact PyTorch semantics (:mod:`convscope.functional`), gradients
(:func:`convscope.vjp`), and the geometry behind every operator
(:mod:`convscope.core`).

>>> import numpy as np, convscope.functional as F
>>> F.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))).shape
(1, 1, 2, 2)
"""

from . import functional
from .autodiff import vjp
from .config import Options, get_options, options

__version__ = "0.1.0"

__all__ = ["Options", "__version__", "functional", "get_options", "options", "vjp"]
