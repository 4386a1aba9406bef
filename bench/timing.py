"""Interleaved timing with a GEMM canary and a CPU-accounting check.

One *round* times one call of each side, back to back; the order alternates
from round to round so neither side always runs on caches the other warmed
or cooled.  A canary (a fixed 384x384x384 float32 GEMM, median of 3) is timed
between rounds, so each round has a canary before and after; a round is
kept only when both are within ``canary_factor`` (1.5) of the best canary
seen in the run: a slow canary means something else had the cores.

The canary is short, so it can land in a quiet gap while another process
(a test suite, say) takes the cores during the round itself.  On Linux each
round therefore also reads ``/proc/stat`` and ``os.times()``: the CPU time
that *other* processes used during the round.  A round is dropped when that
exceeds 2.5 clock ticks (the sampling error seen on a quiet machine) plus
``others_limit`` (10%) of its wall time.  This catches what the canary
misses on long rounds; on rounds of a few ticks the canary does the work.
"""

from __future__ import annotations

import gc
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Canary:
    """A short fixed GEMM whose time tracks how busy the machine is."""

    def __init__(self, n: int = 384, reps: int = 3) -> None:
        rng = np.random.default_rng(12345)
        self.n = n
        self.reps = reps
        self.a = rng.standard_normal((n, n), dtype=np.float32)
        self.b = rng.standard_normal((n, n), dtype=np.float32)
        self.out = np.empty((n, n), dtype=np.float32)
        self.best = math.inf

    def sample(self) -> float:
        ts = []
        for _ in range(self.reps):
            t0 = time.perf_counter()
            np.matmul(self.a, self.b, out=self.out)
            ts.append(time.perf_counter() - t0)
        ts.sort()
        t = ts[len(ts) // 2]
        self.best = min(self.best, t)
        return t

    def calibrate(self, samples: int = 30) -> float:
        for _ in range(samples):
            self.sample()
        return self.best


class CpuMonitor:
    """CPU seconds used by other processes (Linux ``/proc/stat``); None elsewhere."""

    def __init__(self) -> None:
        self.tick = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
        self.available = self._busy() is not None

    def _busy(self) -> float | None:
        try:
            with open("/proc/stat") as fh:
                v = [int(x) for x in fh.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        # user nice system idle iowait irq softirq steal: everything but idle and iowait
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * self.tick

    def snapshot(self) -> tuple[float, float] | None:
        if not self.available:
            return None
        busy = self._busy()
        t = os.times()
        return (busy, t.user + t.system) if busy is not None else None

    def others_since(self, snap: tuple[float, float] | None) -> float:
        """CPU seconds other processes used since ``snap`` (0.0 when unknown)."""
        now = self.snapshot()
        if snap is None or now is None:
            return 0.0
        return max(0.0, (now[0] - snap[0]) - (now[1] - snap[1]))

    def load(self, seconds: float = 0.5) -> float:
        """Cores used by other processes over the next ``seconds`` (sleeps)."""
        snap = self.snapshot()
        time.sleep(seconds)
        return self.others_since(snap) / seconds


@dataclass(frozen=True)
class Policy:
    max_rounds: int = 40  # kept rounds wanted
    budget_s: float = 1.5  # stop once either side has used this much (and min_rounds kept)
    min_rounds: int = 3
    warmup: int = 2  # calls per side before timing (1 for calls slower than slow_s)
    slow_s: float = 0.5
    canary_factor: float = 1.5
    others_limit: float = 0.1  # other processes' CPU time / round wall time ...
    others_margin_ticks: float = 2.5  # ... beyond this many clock ticks of sampling error
    max_attempts_factor: int = 3  # give up after max_rounds * this rounds
    hard_budget_factor: float = 3.0  # ... or once a side used budget_s * this


@dataclass
class Rounds:
    cs: list[float] = field(default_factory=list)  # seconds; empty when convscope is not timed
    torch: list[float] = field(default_factory=list)
    canary_before: list[float] = field(default_factory=list)
    canary_after: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)  # seconds per round, both calls
    others: list[float] = field(default_factory=list)  # CPU seconds of other processes per round

    def busy_score(self, i: int, best: float, policy: Policy, tick: float) -> float:
        """<= 1.0 means round ``i`` was quiet."""
        canary = max(self.canary_before[i], self.canary_after[i]) / (best * policy.canary_factor)
        # /proc/stat is sampled per clock tick on each CPU, os.times() is exact: on a quiet machine the
        # difference reads 0-2 ticks, so allow ``others_margin_ticks`` ticks on top of the fraction.
        others = (self.others[i] if self.others else 0.0) - policy.others_margin_ticks * tick
        load = others / (policy.others_limit * self.wall[i]) if others > 0 and self.wall[i] > 0 else 0.0
        return max(canary, load)

    def kept(self, best: float, policy: Policy, tick: float) -> list[int]:
        return [i for i in range(len(self.torch)) if self.busy_score(i, best, policy, tick) <= 1.0]

    def kept_or_quietest(self, best: float, policy: Policy, tick: float) -> list[int]:
        """Kept rounds, or (if the machine was busy throughout) the quietest round."""
        kept = self.kept(best, policy, tick)
        if kept or not self.torch:
            return kept
        return [min(range(len(self.torch)), key=lambda i: self.busy_score(i, best, policy, tick))]


def call_timed(fn: Callable[[], Any]) -> float:
    """Seconds for one call; the result is released after the clock stops."""
    t0 = time.perf_counter()
    result = fn()
    t1 = time.perf_counter()
    del result
    return t1 - t0


def measure(
    cs_fn: Callable[[], Any] | None,
    torch_fn: Callable[[], Any],
    canary: Canary,
    policy: Policy,
    monitor: CpuMonitor,
) -> Rounds:
    """Time interleaved rounds until the policy is satisfied (gc disabled)."""
    rounds = Rounds()
    sides: list[tuple[str, Callable[[], Any]]] = [("torch", torch_fn)]
    if cs_fn is not None:
        sides.insert(0, ("cs", cs_fn))
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = canary.sample()
        while True:
            order = sides if len(rounds.torch) % 2 == 0 else sides[::-1]
            snap = monitor.snapshot()
            t0 = time.perf_counter()
            for name, fn in order:
                getattr(rounds, name).append(call_timed(fn))
            rounds.wall.append(time.perf_counter() - t0)
            rounds.others.append(monitor.others_since(snap))
            after = canary.sample()
            rounds.canary_before.append(before)
            rounds.canary_after.append(after)
            before = after
            n_kept = len(rounds.kept(canary.best, policy, monitor.tick))
            used = max(sum(rounds.cs), sum(rounds.torch))
            if n_kept >= policy.max_rounds:
                break
            if n_kept >= policy.min_rounds and used >= policy.budget_s:
                break
            if used >= policy.budget_s * policy.hard_budget_factor:
                break
            if len(rounds.torch) >= policy.max_rounds * policy.max_attempts_factor:
                break
    finally:
        if was_enabled:
            gc.enable()
    return rounds


def median(values: list[float]) -> float:
    return float(np.median(values)) if values else math.nan


def geomean(values: list[float]) -> float:
    vals = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else math.nan
