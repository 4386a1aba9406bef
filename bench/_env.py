"""Process settings that must be fixed before NumPy or torch is imported.

Standard library only: this module runs before the native libraries load.

Why the spin-wait settings matter: after a parallel call, OpenBLAS worker
threads busy-wait for about 2**28 cycles (~0.1 s) and torch's libgomp
threads for GOMP_SPINCOUNT=300000 spins before they sleep.  When the two
libraries are timed interleaved in one process on a 2-core machine, the
idle library's spinning threads take the cores of the one being timed:
measured here, torch's 3x3 conv went from ~11 ms alone to 20-50 ms
interleaved, and a NumPy GEMM from 13 to 20-33 ms.  With short spins
(``--thread-wait short``, the default) interleaved times match the
stand-alone ones, and each library still spins briefly between its own
back-to-back calls.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

# Short spin-waits: ~65k cycles for OpenBLAS (2**16), 10k spins for libgomp.
SHORT_WAIT = {"OPENBLAS_THREAD_TIMEOUT": "16", "GOMP_SPINCOUNT": "10000"}

DEFAULT_THREADS = 2

STATE: dict[str, Any] = {
    "preconfigured": False,
    "threads": DEFAULT_THREADS,
    "thread_wait": "short",
    "env_set": {},  # name -> (previous value or None, new value)
    "env_kept": {},  # name -> user's value we left alone
    "loaded_before": [],  # native-library modules already imported
}


def _early_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    p.add_argument("--thread-wait", choices=("short", "library"), default="short")
    return p


def preconfigure(argv: list[str]) -> None:
    """Set thread-count and spin-wait variables from ``--threads``/``--thread-wait``.

    Thread counts are always set to ``--threads`` (the run's thread count is
    the benchmark's parameter); spin-wait variables a user has already set
    are kept.  Bad values are left for the real parser to report.
    """
    try:
        ns, _ = _early_parser().parse_known_args(argv)
    except SystemExit:  # the full parser will print the error
        return
    threads = ns.threads if ns.threads and ns.threads > 0 else DEFAULT_THREADS
    STATE["threads"] = threads
    STATE["thread_wait"] = ns.thread_wait
    STATE["loaded_before"] = [m for m in ("numpy", "scipy", "torch") if m in sys.modules]
    for name in THREAD_VARS:
        prev = os.environ.get(name)
        os.environ[name] = str(threads)
        STATE["env_set"][name] = (prev, str(threads))
    if ns.thread_wait == "short":
        for name, value in SHORT_WAIT.items():
            if name in os.environ:
                STATE["env_kept"][name] = os.environ[name]
            else:
                os.environ[name] = value
                STATE["env_set"][name] = (None, value)
    STATE["preconfigured"] = True


def glibc_version() -> str | None:
    try:
        import ctypes

        fn = ctypes.CDLL(None).gnu_get_libc_version
        fn.restype = ctypes.c_char_p
        return str(fn().decode())
    except (OSError, AttributeError):
        return None


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4

MALLOC_POLICIES = ("retain", "glibc")


def apply_malloc_policy(policy: str) -> str:
    """Apply ``--malloc``; return a sentence describing the allocator state.

    glibc serves a buffer above its mmap threshold with a fresh ``mmap`` and
    gives the top of the heap back above its trim threshold, so the next call
    page-faults the memory in again (~6 ms per 58 MB here).  The thresholds
    start at 128 kB and move with the largest buffer freed so far (mmap up
    to 32 MB, trim 2x that), so in one process each library's timings depend
    on what the other library and the earlier cases freed.  Measured here:
    torch's depthwise 3x3 took 23 ms in a fresh process, 8 ms after an
    unrelated 40 MB buffer was freed, and 5.8 ms when memory is retained.

    ``retain`` (default): ``mallopt(M_MMAP_MAX, 0)`` and a 1 GiB trim
    threshold, so every freed buffer is reused and neither library pays page
    faults after warm-up, whatever the case order -- close to the caching
    allocators (jemalloc, tcmalloc) PyTorch's CPU tuning guide recommends.
    ``glibc``: leave glibc's dynamic thresholds alone (order-dependent).
    """
    ver = glibc_version()
    preload = os.environ.get("LD_PRELOAD", "")
    malloc_env = {k: v for k, v in os.environ.items() if k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    parts = [f"glibc {ver} malloc" if ver else "non-glibc malloc"]
    if preload:
        parts.append(f"LD_PRELOAD={preload}")
    if malloc_env:
        parts.append(" ".join(f"{k}={v}" for k, v in sorted(malloc_env.items())))
    if policy == "glibc":
        parts.append("glibc's dynamic mmap/trim thresholds (page faults depend on case order)")
    elif ver is None or preload:
        parts.append(f"--malloc {policy} not applied (not plain glibc malloc)")
    else:
        import ctypes

        libc = ctypes.CDLL(None)
        ok = libc.mallopt(_M_MMAP_MAX, 0) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30) == 1
        parts.append(
            "retain: freed memory is reused, no page faults after warm-up "
            f"(mallopt M_MMAP_MAX=0, M_TRIM_THRESHOLD=1GiB{'' if ok else ' FAILED'})"
        )
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as fh:
            thp = fh.read().strip()
        sel = thp[thp.index("[") + 1 : thp.index("]")] if "[" in thp else thp
        parts.append(f"THP {sel}")
    except OSError:
        pass
    return "; ".join(parts)
