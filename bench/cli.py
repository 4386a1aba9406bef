"""``python -m bench``: convscope against PyTorch, case by case, in one process."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from bench import _env


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time convscope against PyTorch (CPU, float32), interleaved in one process; "
        "print per-case medians, ratios (convscope/torch), summaries and PASS/MISS against the targets.",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=_env.DEFAULT_THREADS,
        metavar="N",
        help="threads for torch and for NumPy/SciPy BLAS (default %(default)s)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        metavar="R",
        help="kept rounds wanted per case (default 40, 5 with --quick); a case also stops "
        "once either side has used --budget seconds",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="S",
        help="seconds of timed calls per side after which a case stops (default 1.5, 0.3 with --quick)",
    )
    p.add_argument("--quick", action="store_true", help="few repeats: a smoke run")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SUBSTRING",
        help="run only cases whose name or group contains SUBSTRING (case-insensitive; repeatable)",
    )
    p.add_argument("--markdown", action="store_true", help="print Markdown (for the README)")
    p.add_argument("--json", metavar="PATH", help="also write all results and raw timings to PATH")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="benchmark a torch stand-in behind convscope's NumPy interface (ratios ~1)",
    )
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument(
        "--thread-wait",
        choices=("short", "library"),
        default="short",
        help="'short' (default): set OPENBLAS_THREAD_TIMEOUT=16 and GOMP_SPINCOUNT=10000 so an idle "
        "library's spinning threads do not steal the cores; 'library': leave the defaults",
    )
    p.add_argument(
        "--malloc",
        choices=_env.MALLOC_POLICIES,
        default="retain",
        help="'retain' (default): glibc never mmaps or trims, so freed buffers are reused and no "
        "library pays page faults after warm-up; 'glibc': untouched (timings then depend on case order)",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="before each case, wait up to S seconds for other processes to use < 0.1 core",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 if any target is missed or any case failed")
    return p


def _selected(cases: Sequence[Any], only: Sequence[str]) -> list[Any]:
    if not only:
        return list(cases)
    subs = [s.lower() for s in only]
    return [c for c in cases if any(s in c.name.lower() or s == c.group.lower() for s in subs)]


def _short_error(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0] if msg else ''}".rstrip(": ")


def _to_arrays(r: Any) -> list[Any]:
    import numpy as np
    import torch

    if isinstance(r, (tuple, list)):
        return [a for x in r for a in _to_arrays(x)]
    if isinstance(r, torch.Tensor):
        return [r.detach().numpy()]
    return [np.asarray(r)]


def compare(cs_out: Any, t_out: Any) -> tuple[float, list[str], str | None]:
    """(max relative difference, notes, error): per output max|a-b| / max|b|, worst over outputs."""
    import numpy as np

    a_list, b_list = _to_arrays(cs_out), _to_arrays(t_out)
    if len(a_list) != len(b_list):
        return math.nan, [], f"returned {len(a_list)} outputs, torch {len(b_list)}"
    worst = 0.0
    notes = []
    for i, (a, b) in enumerate(zip(a_list, b_list)):
        if a.shape != b.shape:
            return math.nan, [], f"output {i} shape {a.shape} != torch {b.shape}"
        if a.dtype != b.dtype:
            notes.append(f"output dtype {a.dtype} (torch {b.dtype})")
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        scale = float(np.max(np.abs(b64))) if b64.size else 0.0
        diff = float(np.max(np.abs(a64 - b64))) if b64.size else 0.0
        rel = diff / scale if scale > 0 else diff
        if not math.isfinite(rel):
            rel = math.inf
        worst = max(worst, rel)
    return worst, notes, None


def run_case(
    case: Any, impl: Any, canary: Any, policy: Any, monitor: Any, reapply_limits: Callable[[], None]
) -> Any:
    from bench.report import CaseResult
    from bench.timing import call_timed, measure

    res = CaseResult(case.name, case.group, case.direction)
    t_start = time.perf_counter()
    rng = __import__("numpy").random.default_rng(zlib.crc32(case.name.encode()))
    try:
        cs_fn, torch_fn = case.build(impl, rng)
    except Exception as e:  # one case must not stop the run
        res.error = "build: " + _short_error(e)
        return res

    # First calls: warm-up and the agreement check.
    try:
        t0 = time.perf_counter()
        t_out = torch_fn()
        torch_first = time.perf_counter() - t0
    except Exception as e:
        res.error = "torch: " + _short_error(e)
        return res
    cs_first = math.inf
    try:
        t0 = time.perf_counter()
        cs_out = cs_fn()
        cs_first = time.perf_counter() - t0
    except Exception as e:
        res.error = _short_error(e)
        cs_fn = None
        cs_out = None
    if cs_fn is not None:
        try:
            rel, notes, err = compare(cs_out, t_out)
        except Exception as e:
            rel, notes, err = math.nan, [], "compare: " + _short_error(e)
        res.notes.extend(notes)
        if err is not None:
            res.error = err
            cs_fn = None
        else:
            res.rel_diff = rel
            if not res.agrees:
                res.notes.append("outputs differ")
    del t_out, cs_out

    for _ in range(policy.warmup - 1):
        if cs_fn is not None and cs_first < policy.slow_s:
            call_timed(cs_fn)
        if torch_first < policy.slow_s:
            call_timed(torch_fn)

    reapply_limits()  # convscope may have loaded more native libraries lazily
    try:
        res.rounds = measure(cs_fn, torch_fn, canary, policy, monitor)
    except Exception as e:
        res.error = "while timing: " + _short_error(e)
        res.rounds = measure(None, torch_fn, canary, policy, monitor)
    res.wall_s = time.perf_counter() - t_start
    return res


def wait_for_quiet(monitor: Any, max_s: float, threshold: float = 0.1) -> float:
    """Sleep in 0.5 s windows until others use < ``threshold`` cores; return seconds waited."""
    if not monitor.available:
        return 0.0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_s:
        if monitor.load(0.5) < threshold:
            break
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads < 1:
        print("python -m bench: --threads must be >= 1", file=sys.stderr)
        return 2
    if args.repeat is not None and args.repeat < 1:
        print("python -m bench: --repeat must be >= 1", file=sys.stderr)
        return 2
    if not _env.STATE["preconfigured"]:  # called as a function, not via python -m bench
        _env.preconfigure(["--threads", str(args.threads), "--thread-wait", args.thread_wait])

    from bench import tf_cases
    from bench.cases import CASES, TARGETS

    cases = _selected([*CASES, *tf_cases.CASES], args.only)
    if args.list:
        for c in cases:
            print(f"{c.group:14s} {c.direction:9s} {c.name}")
        return 0
    if not cases:
        print(f"python -m bench: no case matches --only {args.only}", file=sys.stderr)
        return 2

    import numpy as np
    import scipy
    import scipy.fft
    import scipy.linalg
    import scipy.signal  # load SciPy's native libraries before limiting them
    import threadpoolctl  # type: ignore[import-untyped]
    import torch

    from bench import backends, report
    from bench.timing import Canary, CpuMonitor, Policy

    n = args.threads
    torch.set_num_threads(n)

    if args.self_test:
        impl = backends.load_standin()
    else:
        try:
            impl = backends.load_convscope(n)
        except Exception as e:
            print(
                f"python -m bench: cannot import convscope.functional ({_short_error(e)}).\n"
                "Install it with `pip install -e . --no-deps`, or run `python -m bench --self-test` "
                "to exercise the harness against a torch stand-in.",
                file=sys.stderr,
            )
            return 2

    tf_desc = None
    if any(c.group == tf_cases.GROUP for c in cases):
        skip = "--self-test has no TensorFlow stand-in" if args.self_test else None
        if skip is None:
            try:
                tf_desc = tf_cases.configure(n)
            except ImportError as e:
                skip = f"TensorFlow is not importable ({_short_error(e)})"
        if skip is not None:
            print(f"python -m bench: skipping group {tf_cases.GROUP!r}: {skip}", file=sys.stderr)
            cases = [c for c in cases if c.group != tf_cases.GROUP]
            if not cases:
                return 2

    limiter = threadpoolctl.threadpool_limits(limits=n)  # noqa: F841  (kept for the whole run)

    def reapply_limits() -> None:
        threadpoolctl.threadpool_limits(limits=n)

    malloc_desc = _env.apply_malloc_policy(args.malloc)

    if args.quick:
        policy = Policy(max_rounds=args.repeat or 5, budget_s=args.budget or 0.3, min_rounds=2, warmup=1)
    else:
        policy = Policy(max_rounds=args.repeat or 40, budget_s=args.budget or 1.5)
    policy = Policy(**{**policy.__dict__, "min_rounds": min(policy.min_rounds, policy.max_rounds)})

    monitor = CpuMonitor()
    snap = monitor.snapshot()
    t0 = time.perf_counter()
    canary = Canary()
    best0 = canary.calibrate()
    load0 = monitor.others_since(snap) / (time.perf_counter() - t0)
    if monitor.available:
        load_desc = f"other processes used {load0:.2f} cores during calibration"
        if load0 > 0.2:
            load_desc += " -- BUSY: expect many dropped rounds and noisy ratios"
    else:
        load_desc = "unknown (no /proc/stat); busy rounds detected by the canary only"

    pools = ", ".join(
        f"{d['internal_api']}:{d['num_threads']} ({os.path.basename(d['filepath'])})"
        for d in threadpoolctl.threadpool_info()
    )
    env_set = _env.STATE["env_set"]
    env_desc = " ".join(f"{k}={v[1]}" for k, v in env_set.items())
    if _env.STATE["env_kept"]:
        env_desc += (
            " (kept from environment: "
            + " ".join(f"{k}={v}" for k, v in _env.STATE["env_kept"].items())
            + ")"
        )
    if _env.STATE["loaded_before"]:
        env_desc += f" [set after {', '.join(_env.STATE['loaded_before'])} was loaded: may not apply]"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass

    mkldnn = bool(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled)  # type: ignore[no-untyped-call]
    header = [
        ("compared", f"{impl.name} {impl.version} ({impl.origin}) vs torch {torch.__version__}"),
        (
            "machine",
            f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}; "
            f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}",
        ),
        (
            "threads",
            f"{n}: torch.set_num_threads({n}) (intra-op {torch.get_num_threads()}, "
            f"interop {torch.get_num_interop_threads()}); threadpoolctl limit {n} on [{pools}]; "
            f"{impl.thread_note}",
        ),
        ("environment", f"{env_desc} (set before numpy/torch import)" if env_desc else "unchanged"),
        (
            "thread wait",
            "short spins (idle pools sleep quickly)"
            if args.thread_wait == "short"
            else "library defaults (OpenBLAS/libgomp spin after each call)",
        ),
        ("allocator", f"{malloc_desc}; torch mkldnn {'on' if mkldnn else 'off'}"),
        ("load", load_desc),
        *([("tf group", tf_desc)] if tf_desc else []),
        (
            "method",
            f"interleaved rounds (one call per side, order alternating), "
            f"{policy.warmup} warm-up call(s) per side, gc off while timing; "
            f"canary {canary.n}^3 float32 GEMM between rounds (best {best0 * 1e3:.3f} ms), "
            f"rounds with a canary > {policy.canary_factor}x best, or where other processes took "
            f"> {policy.others_limit:.0%} of the round's wall time (+{policy.others_margin_ticks:g} ticks) "
            "in CPU, dropped; "
            "median of kept rounds; "
            f"up to {policy.max_rounds} kept rounds or {policy.budget_s:g} s per side",
        ),
        (
            "timed",
            "forward: F.op(x, w, ...) (torch under no_grad); backward: convscope vjp forward + pullback(g) "
            "vs torch forward + autograd.grad(out, (x, w), g); float32 NCHW, no bias",
        ),
        (
            "ratio",
            "convscope median / torch median (< 1: convscope faster); "
            "max rel diff = max|cs - torch| / max|torch|",
        ),
    ]
    printer = report.Printer(sys.stdout, args.markdown)
    printer.header("convscope vs PyTorch", header)
    printer.table_start()

    results = []
    t_run = time.perf_counter()
    interrupted = False
    for i, case in enumerate(cases):
        if sys.stderr.isatty():
            print(f"  [{i + 1}/{len(cases)}] {case.name} ...", end="\r", file=sys.stderr, flush=True)
        try:
            if args.wait_quiet > 0:
                wait_for_quiet(monitor, args.wait_quiet)
            res = run_case(case, impl, canary, policy, monitor, reapply_limits)
        except KeyboardInterrupt:
            interrupted = True
            break
        res.finalize(canary.best, policy, monitor.tick)
        if sys.stderr.isatty():
            print(" " * 100, end="\r", file=sys.stderr, flush=True)
        printer.row(res)
        results.append(res)
    total_s = time.perf_counter() - t_run

    # Re-judge every case against the run's final best canary.
    for res in results:
        res.finalize(canary.best, policy, monitor.tick)

    summ = report.summaries(results)
    printer.section(
        "Summary (geometric mean of ratios; convscope / torch)",
        ["set", "timed", "geomean", "min", "max", ""],
        report.summary_rows(summ),
    )
    evals = [report.evaluate_target(t, results) for t in TARGETS] + [report.agreement_target(results)]
    printer.section("Targets", ["", "target", "value", ""], report.target_rows(evals))
    dropped = sum(len(r.rounds.torch) - len(r.kept) for r in results)
    total_rounds = sum(len(r.rounds.torch) for r in results)
    printer.line()
    printer.line(
        f"{len(results)} cases in {total_s:.0f} s; {dropped}/{total_rounds} rounds dropped as busy "
        f"(best canary {canary.best * 1e3:.3f} ms)" + ("; INTERRUPTED" if interrupted else "")
    )

    if args.json:
        payload = {
            "header": dict(header),
            "settings": {
                "threads": n,
                "thread_wait": args.thread_wait,
                "malloc": args.malloc,
                "policy": policy.__dict__,
                "env_set": env_set,
                "self_test": args.self_test,
                "threadpool_info": threadpoolctl.threadpool_info(),
            },
            "best_canary_s": canary.best,
            "cases": [r.to_json() for r in results],
            "summaries": dict(summ),
            "targets": evals,
            "total_s": total_s,
            "interrupted": interrupted,
        }
        with open(args.json, "w") as fh:
            json.dump(payload, fh, indent=1, default=str)

    if interrupted:
        return 130
    if args.strict and (any(e["status"] == "MISS" for e in evals) or any(r.error for r in results)):
        return 1
    return 0
