"""Matrix products that accumulate into their output (``C += op(A) @ op(B)``).

``numpy.matmul`` cannot add into its output; BLAS's ``gemm`` with ``beta = 1``
can, which saves a pass over the output for every kernel tap. C-contiguous
row-major matrices are handed to Fortran BLAS as their transposes, so no
operand is copied.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

_GEMM = {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}


def gemm(
    out: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    accumulate: bool = True,
) -> None:
    """``out (+)= op(a) @ op(b)`` in place, where ``op`` transposes when asked.

    All three arrays must be 2-d and C-contiguous (slices of rows are); ``out``
    must have the dtype of ``a`` and ``b`` (float32 or float64).

    Examples
    --------
    >>> a = np.arange(6.0).reshape(2, 3); b = np.ones((3, 2)); c = np.ones((2, 2))
    >>> gemm(c, a, b); c
    array([[ 4.,  4.],
           [13., 13.]])
    """
    routine = _GEMM.get(out.dtype)
    if out.size == 0:
        return
    if routine is None or not (a.flags.c_contiguous and b.flags.c_contiguous and out.flags.c_contiguous):
        product = (a.T if trans_a else a) @ (b.T if trans_b else b)
        if accumulate:
            out += product
        else:
            out[...] = product
        return
    if (a.shape[1] if not trans_a else a.shape[0]) == 0:
        if not accumulate:
            out.fill(0)
        return
    # Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
    result = routine(
        1.0,
        b.T,
        a.T,
        beta=1.0 if accumulate else 0.0,
        c=out.T,
        trans_a=int(trans_b),
        trans_b=int(trans_a),
        overwrite_c=1,
    )
    if result.ctypes.data != out.ctypes.data:  # BLAS worked on a copy
        out[...] = result.T
