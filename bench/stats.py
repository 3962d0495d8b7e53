"""Numbers and the printed table of `make bench`, kept apart from the measuring so they can be tested."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default), without numpy, so the bench client stays tiny."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Sequence[float]) -> Dict[str, float]:
    """p50/p95/p99/mean in milliseconds of one batch of measured requests."""
    ms = [1000 * s for s in seconds]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else math.nan,
    }


def median_of(runs: Sequence[Dict[str, float]], key: str) -> float:
    """Median of one measure over repeated runs: one slow run on a shared CPU does not decide the result."""
    values = [run[key] for run in runs if run.get(key) is not None and not math.isnan(run[key])]
    return round(statistics.median(values), 2) if values else math.nan


@dataclass(frozen=True)
class Row:
    """One line of the table: a measure of both bots and the issue's target for ours/baseline."""

    label: str
    key: str  # dotted path into a bot's result dict
    unit: str
    # ours/baseline must be <= this (max_ratio) ...
    max_ratio: Optional[float] = None
    # ... or ours must be >= this absolute value (min_value), and errors zero.
    min_value: Optional[float] = None


ROWS: List[Row] = [
    Row("full training", "train.full_s", "s", max_ratio=0.5),
    Row("training CPU time (full + retrain)", "train.cpu.bench_cpu_s", "s"),
    Row("retrain after 1-line NLU change", "train.retrain_s", "s"),
    Row("start-up to first reply", "startup_s", "s", max_ratio=0.5),
    Row("Rasa server RSS after warm-up", "rss_mb.rasa", "MB", max_ratio=0.6),
    Row("action server RSS after warm-up", "rss_mb.actions", "MB"),
    Row("latency p50, 1 user", "latency.p50_ms", "ms", max_ratio=0.5),
    Row("latency p95, 1 user", "latency.p95_ms", "ms", max_ratio=0.5),
    Row("latency p99, 1 user", "latency.p99_ms", "ms"),
    Row("throughput, 20 users", "load.20.messages_per_s", "msg/s", min_value=100),
    Row("errors, 20 users", "load.20.errors", ""),
    Row("p95 under load, 20 users", "load.20.p95_ms", "ms"),
    # CPU time per message does not depend on what else runs on the machine: compare runs by this.
    Row("Rasa CPU per message, 20 users", "load.20.cpu.rasa_cpu_ms_per_message", "ms"),
    Row("action server CPU per message, 20 users", "load.20.cpu.actions_cpu_ms_per_message", "ms"),
    Row("others' CPU during 20-user load", "load.20.cpu.others_cores", "cores"),
    Row("throughput, 50 users", "load.50.messages_per_s", "msg/s"),
    Row("errors, 50 users", "load.50.errors", ""),
    Row("p95 under load, 50 users", "load.50.p95_ms", "ms"),
]


def lookup(result: dict, dotted: str) -> Optional[float]:
    """`load.20.p95_ms` → result["load"]["20"]["p95_ms"]; None where the run did not measure it."""
    node: object = result
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, (int, float)) else None


def verdict(row: Row, ours: Optional[float], ratio: Optional[float], ours_result: dict) -> str:
    """'met' / 'MISSED (…)' against the issue's target, '' where the issue sets none."""
    if row.max_ratio is not None and ratio is not None:
        if ratio <= row.max_ratio:
            return f"met (≤{row.max_ratio}×)"
        return f"MISSED: {ratio:.2f}× vs ≤{row.max_ratio}×"
    if row.min_value is not None and ours is not None:
        errors = lookup(ours_result, row.key.rsplit(".", 1)[0] + ".errors") or 0
        if ours >= row.min_value and errors == 0:
            return f"met (≥{row.min_value:g}, 0 errors)"
        return f"MISSED: {ours:g} vs ≥{row.min_value:g}" + (f", {errors:g} errors" if errors else "")
    return ""


def comparison(ours: dict, baseline: dict) -> List[Dict[str, object]]:
    """Rows of the printed table, also stored in the JSON so runs can be compared without re-parsing text."""
    table = []
    for row in ROWS:
        mine, theirs = lookup(ours, row.key), lookup(baseline, row.key)
        ratio = round(mine / theirs, 3) if mine is not None and theirs else None
        table.append(
            {
                "measure": row.label,
                "unit": row.unit,
                "ours": mine,
                "baseline": theirs,
                "ratio": ratio,
                "target": verdict(row, mine, ratio, ours),
            }
        )
    return table


def _fmt(value: Optional[float]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def render(table: List[Dict[str, object]]) -> str:
    """Plain-text table for the terminal (also valid Markdown, so it can be pasted into the README)."""
    header = ["measure", "ours", "baseline", "ours/baseline", "target"]
    lines = [
        [
            f"{r['measure']} ({r['unit']})" if r["unit"] else str(r["measure"]),
            _fmt(r["ours"]),
            _fmt(r["baseline"]),
            f"{r['ratio']:.2f}" if r["ratio"] is not None else "–",
            str(r["target"]),
        ]
        for r in table
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)) + " |" for line in lines]
    return "\n".join(out)
