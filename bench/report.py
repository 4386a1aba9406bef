"""Results: per-case rows, group summaries, targets; as text, Markdown or JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from bench.cases import AGREEMENT_TOL, Target
from bench.timing import Policy, Rounds, geomean, median


@dataclass
class CaseResult:
    name: str
    group: str
    direction: str
    error: str | None = None  # convscope failed (or torch: prefixed "torch: ")
    notes: list[str] = field(default_factory=list)
    rel_diff: float | None = None
    rounds: Rounds = field(default_factory=Rounds)
    kept: list[int] = field(default_factory=list)
    wall_s: float = 0.0

    def finalize(self, best_canary: float, policy: Policy, tick: float) -> None:
        self.kept = self.rounds.kept_or_quietest(best_canary, policy, tick)
        self.notes = [n for n in self.notes if not n.startswith("busy machine")]
        clean = len(self.rounds.kept(best_canary, policy, tick))
        if self.rounds.torch and clean < min(policy.min_rounds, len(self.rounds.torch)):
            self.notes.append(f"busy machine: {clean} clean round(s)")

    @property
    def cs_ms(self) -> float:
        if not self.rounds.cs:
            return math.nan
        return 1e3 * median([self.rounds.cs[i] for i in self.kept])

    @property
    def torch_ms(self) -> float:
        if not self.rounds.torch:
            return math.nan
        return 1e3 * median([self.rounds.torch[i] for i in self.kept])

    @property
    def ratio(self) -> float | None:
        if self.error is not None or not self.rounds.cs or not self.rounds.torch:
            return None
        return self.cs_ms / self.torch_ms

    @property
    def agrees(self) -> bool:
        return self.rel_diff is not None and self.rel_diff <= AGREEMENT_TOL

    def to_json(self) -> dict[str, Any]:
        def nan_to_none(v: float) -> float | None:
            return None if v is None or not math.isfinite(v) else v

        return {
            "name": self.name,
            "group": self.group,
            "direction": self.direction,
            "convscope_ms": nan_to_none(self.cs_ms),
            "torch_ms": nan_to_none(self.torch_ms),
            "ratio": self.ratio,
            "max_rel_diff": self.rel_diff,
            "error": self.error,
            "notes": self.notes,
            "rounds_kept": len(self.kept),
            "rounds_total": len(self.rounds.torch),
            "kept": self.kept,
            "convscope_s": self.rounds.cs,
            "torch_s": self.rounds.torch,
            "canary_before_s": self.rounds.canary_before,
            "canary_after_s": self.rounds.canary_after,
            "round_wall_s": self.rounds.wall,
            "others_cpu_s": self.rounds.others,
            "wall_s": self.wall_s,
        }


# ---------------------------------------------------------------- formatting

COLUMNS = ("case", "group", "convscope ms", "torch ms", "ratio", "max rel diff", "rounds", "note")
_WIDTHS = (44, 12, 12, 10, 8, 12, 7)


def _fmt_ms(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    return f"{v:.2f}" if v < 100 else f"{v:.1f}"


def _fmt_ratio(r: float | None) -> str:
    return "-" if r is None or not math.isfinite(r) else f"{r:.2f}x"


def row_cells(r: CaseResult) -> list[str]:
    rel = "-" if r.rel_diff is None else f"{r.rel_diff:.1e}"
    if r.rel_diff is not None and not r.agrees:
        rel += " !"
    note_parts = ([f"ERROR {r.error}"] if r.error else []) + r.notes
    rounds = f"{len(r.kept)}/{len(r.rounds.torch)}" if r.rounds.torch else "-"
    return [
        r.name,
        r.group,
        _fmt_ms(r.cs_ms),
        _fmt_ms(r.torch_ms),
        _fmt_ratio(r.ratio),
        rel,
        rounds,
        "; ".join(note_parts),
    ]


def _text_line(cells: Sequence[str]) -> str:
    out = []
    for i, c in enumerate(cells):
        if i < len(_WIDTHS):
            w = _WIDTHS[i]
            out.append(c.ljust(w) if i < 2 else c.rjust(w))
        else:
            out.append(c)
    return "  ".join(out).rstrip()


def _md_line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


class Printer:
    """Streams the header, the rows as they finish, and the summary."""

    def __init__(self, stream: TextIO, markdown: bool) -> None:
        self.stream = stream
        self.markdown = markdown

    def _p(self, s: str = "") -> None:
        print(s, file=self.stream, flush=True)

    def header(self, title: str, items: Sequence[tuple[str, str]]) -> None:
        if self.markdown:
            self._p(f"### {title}")
            self._p()
            for k, v in items:
                self._p(f"- **{k}**: {v}")
        else:
            self._p(title)
            self._p("=" * len(title))
            w = max(len(k) for k, _ in items)
            for k, v in items:
                self._p(f"{k.ljust(w)} : {v}")
        self._p()

    def table_start(self) -> None:
        if self.markdown:
            self._p(_md_line(COLUMNS))
            self._p("|" + "|".join(["---", "---", "--:", "--:", "--:", "--:", "--:", "---"]) + "|")
        else:
            line = _text_line(COLUMNS)
            self._p(line)
            self._p("-" * len(line))

    def row(self, r: CaseResult) -> None:
        cells = row_cells(r)
        if self.markdown:
            cells[4] = f"**{cells[4]}**" if r.ratio is not None else cells[4]
            self._p(_md_line(cells))
        else:
            note = cells[-1]
            if len(note) > 160:
                cells[-1] = note[:157] + "..."
            self._p(_text_line(cells))

    def section(self, title: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self._p()
        if self.markdown:
            self._p(f"**{title}**")
            self._p()
            self._p(_md_line(head))
            self._p("|" + "|".join("---" for _ in head) + "|")
            for row in rows:
                self._p(_md_line(row))
        else:
            self._p(title)
            widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
            for row in [head, *rows]:
                self._p("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())

    def line(self, s: str = "") -> None:
        self._p(s)


# ---------------------------------------------------------------- summaries


def _stats(results: Sequence[CaseResult]) -> dict[str, Any]:
    ratios = [(r.ratio, r.name) for r in results if r.ratio is not None]
    vals = [v for v, _ in ratios]
    return {
        "n": len(results),
        "n_timed": len(vals),
        "geomean": geomean(vals) if vals else None,
        "min": min(vals) if vals else None,
        "max": max(vals) if vals else None,
        "max_case": max(ratios)[1] if ratios else None,
        "errors": [r.name for r in results if r.ratio is None],
    }


def summaries(results: Sequence[CaseResult]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for direction in ("forward", "backward"):
        sel = [r for r in results if r.direction == direction]
        if sel:
            out.append((f"all {direction} cases", _stats(sel)))
    for group in dict.fromkeys(r.group for r in results):
        out.append((f"group {group}", _stats([r for r in results if r.group == group])))
    return out


def summary_rows(items: Sequence[tuple[str, dict[str, Any]]]) -> list[list[str]]:
    rows = []
    for label, s in items:
        err = f"{len(s['errors'])} not timed" if s["errors"] else ""
        rows.append(
            [
                label,
                f"{s['n_timed']}/{s['n']}",
                _fmt_ratio(s["geomean"]),
                _fmt_ratio(s["min"]),
                _fmt_ratio(s["max"]),
                err,
            ]
        )
    return rows


def evaluate_target(t: Target, results: Sequence[CaseResult]) -> dict[str, Any]:
    sel = [r for r in results if r.group in t.groups]
    if not sel:
        return {"label": t.label, "status": "n/a", "value": None, "detail": "no case selected"}
    s = _stats(sel)
    value = s["geomean"] if t.stat == "geomean" else s["max"]
    if s["errors"]:
        return {
            "label": t.label,
            "status": "MISS",
            "value": value,
            "detail": "not timed: " + ", ".join(s["errors"]),
        }
    ok = value < t.limit if t.strict else value <= t.limit
    detail = f"worst: {s['max_case']}" if t.stat == "max" else f"over {s['n_timed']} case(s)"
    return {"label": t.label, "status": "PASS" if ok else "MISS", "value": value, "detail": detail}


def agreement_target(results: Sequence[CaseResult]) -> dict[str, Any]:
    label = f"outputs agree with torch (max rel diff <= {AGREEMENT_TOL:g})"
    checked = [r for r in results if r.rel_diff is not None]
    bad = [r.name for r in checked if not r.agrees]
    unchecked = [r.name for r in results if r.rel_diff is None]
    worst = max(
        checked,
        key=lambda r: r.rel_diff if r.rel_diff is not None and math.isfinite(r.rel_diff) else math.inf,
        default=None,
    )
    value = worst.rel_diff if worst else None
    if bad or unchecked:
        detail = "; ".join(
            x
            for x in (
                "differ: " + ", ".join(bad) if bad else "",
                "not checked: " + ", ".join(unchecked) if unchecked else "",
            )
            if x
        )
        return {"label": label, "status": "MISS", "value": value, "detail": detail}
    return {
        "label": label,
        "status": "PASS",
        "value": value,
        "detail": f"worst: {worst.name}" if worst else "",
    }


def target_rows(evals: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for e in evals:
        v = e["value"]
        if v is None:
            vs = "-"
        elif "rel diff" in e["label"]:
            vs = f"{v:.1e}"
        else:
            vs = _fmt_ratio(v)
        rows.append([e["status"], e["label"], vs, e["detail"]])
    return rows
