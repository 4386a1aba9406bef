"""convscope benchmarks: ``python -m bench`` (see bench/README.md).

This package must not import NumPy, SciPy or torch at import time:
``bench.__main__`` sets the thread environment variables first, and the
native thread pools read them only when they are loaded.
"""
