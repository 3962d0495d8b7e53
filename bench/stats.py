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


# --------------------------------------------------------------------------- issue #16: configurations side by side

# Configurations of our bot measured beside the stock bot (bench/run.py), in table order:
# name -> label. "ours" is the full bench's bot (Rasa's SQL store on SQLite, REST, one instance).
CONFIGURATIONS: Dict[str, str] = {
    "baseline": "stock `rasa init` bot (in-memory store, REST)",
    "ours": "ours, 1 instance, Rasa's SQL store (SQLite, REST)",
    "ours-caching": "ours, 1 instance, caching store (SQLite, REST)",
    "nginx-1": "ours, 1 instance behind nginx (PostgreSQL + caching + Redis, socket.io)",
    "nginx-2": "ours, 2 instances behind nginx (PostgreSQL + caching + Redis, socket.io)",
}


# Where each compared value is in the stock bot's result.
_BASELINE_KEYS = {
    "p50_ms": "latency.p50_ms",
    "p95_ms": "latency.p95_ms",
    "messages_per_s": "load.20.messages_per_s",
    "rss_mb_per_instance": "rss_mb.rasa",
}


def _instances_rss(result: dict) -> List[float]:
    """Resident memory of each Rasa instance after warm-up."""
    memory = result.get("rss_mb") or {}
    return [value for key, value in memory.items() if key.startswith("rasa") and "after" not in key]


def _rasa_cpu_ms(result: dict, users: str = "20") -> Optional[float]:
    """Rasa CPU per message under load, all instances together."""
    cpu = (((result.get("load") or {}).get(users) or {}).get("cpu")) or {}
    messages = ((result.get("load") or {}).get(users) or {}).get("messages")
    seconds = [value for key, value in cpu.items() if key.startswith("rasa") and key.endswith("_cpu_s")]
    return round(1000 * sum(seconds) / messages, 1) if seconds and messages else None


def configurations(report: dict) -> List[Dict[str, object]]:
    """One row per configuration measured in this run, with ratios to the stock bot of the same run."""
    baseline = report.get("baseline") or {}
    rows = []
    for name, label in CONFIGURATIONS.items():
        result = report.get(name)
        if not result:
            continue
        memory = _instances_rss(result)
        per_instance = round(sum(memory) / len(memory), 1) if memory else None
        row: Dict[str, object] = {
            "name": name,
            "configuration": label,
            "p50_ms": lookup(result, "latency.p50_ms"),
            "p95_ms": lookup(result, "latency.p95_ms"),
            "messages_per_s": lookup(result, "load.20.messages_per_s"),
            "errors": (lookup(result, "load.20.errors") or 0) + (lookup(result, "latency.errors") or 0),
            "p95_under_load_ms": lookup(result, "load.20.p95_ms"),
            "rasa_cpu_ms_per_message": _rasa_cpu_ms(result),
            "others_cores": lookup(result, "load.20.cpu.others_cores"),
            "client_cpu_s": lookup(result, "load.20.client_cpu_s"),
            "rss_mb_per_instance": per_instance,
            "instances": len(memory),
        }
        for key in ("p50_ms", "p95_ms", "messages_per_s", "rss_mb_per_instance"):
            mine = row[key]
            theirs = lookup(baseline, _BASELINE_KEYS[key])
            row[f"{key}_ratio"] = round(mine / theirs, 2) if mine is not None and theirs else None
        rows.append(row)
    return rows


def targets(rows: List[Dict[str, object]]) -> List[Dict[str, object]]:
    """Issue #16's targets for this run: ratios to the stock bot, and two instances to one."""
    by_name = {row["name"]: row for row in rows}
    found: List[Dict[str, object]] = []

    def add(target: str, value: Optional[float], limit: float, at_most: bool, note: str = "") -> None:
        if value is None:
            found.append({"target": target, "value": None, "met": None, "note": "not measured"})
            return
        met = value <= limit if at_most else value >= limit
        found.append({"target": target, "value": value, "met": met, "note": note})

    for name in ("ours", "ours-caching", "nginx-1"):
        row = by_name.get(name)
        if row is None:
            continue
        add(f"{name}: single-user p50 ≤ 0.6× stock", row["p50_ms_ratio"], 0.6, True)  # type: ignore[arg-type]
        add(f"{name}: single-user p95 ≤ 0.6× stock", row["p95_ms_ratio"], 0.6, True)  # type: ignore[arg-type]
        errors = f"{row['errors']} errors"
        add(f"{name}: throughput, 20 users ≥ 2× stock", row["messages_per_s_ratio"], 2.0, False, errors)  # type: ignore[arg-type]
    ours = by_name.get("ours")
    if ours is not None:
        add("ours: memory per instance ≤ 0.56× stock", ours["rss_mb_per_instance_ratio"], 0.56, True)  # type: ignore[arg-type]
    one, two = by_name.get("nginx-1"), by_name.get("nginx-2")
    if one and two and one["messages_per_s"] and two["messages_per_s"] is not None:
        ratio = round(two["messages_per_s"] / one["messages_per_s"], 2)  # type: ignore[operator]
        add("two instances ≥ 1.6× one (behind nginx, 20 users)", ratio, 1.6, False, f"{two['errors']} errors")
    if two is not None:
        add("nginx-2: memory per instance ≤ 0.56× stock", two["rss_mb_per_instance_ratio"], 0.56, True)  # type: ignore[arg-type]
    return found


def render_configurations(rows: List[Dict[str, object]], found: List[Dict[str, object]]) -> str:
    """The configurations table and the targets, as Markdown."""

    def pair(row: Dict[str, object], key: str) -> str:
        ratio = row.get(f"{key}_ratio")
        return _fmt(row[key]) + (f" ({ratio:.2f}×)" if ratio is not None and row["name"] != "baseline" else "")  # type: ignore[arg-type]

    lines = [
        "| configuration | p50 / p95, 1 user (ms) | msg/s, 20 users | errors | p95 under load (ms) "
        "| Rasa CPU / msg (ms) | memory / instance (MB) | others' CPU (cores) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['configuration']} | {pair(row, 'p50_ms')} / {pair(row, 'p95_ms')} | "
            f"{pair(row, 'messages_per_s')} | {row['errors']} | {_fmt(row['p95_under_load_ms'])} | "  # type: ignore[arg-type]
            f"{_fmt(row['rasa_cpu_ms_per_message'])} | {pair(row, 'rss_mb_per_instance')} × {row['instances']} | "  # type: ignore[arg-type]
            f"{_fmt(row['others_cores'])} |"  # type: ignore[arg-type]
        )
    lines += ["", "| target (issue #16) | this run | |", "|---|---|---|"]
    for item in found:
        verdict = "–" if item["met"] is None else "met" if item["met"] else "MISSED"
        value = "–" if item["value"] is None else f"{item['value']:.2f}×"
        lines.append(f"| {item['target']} | {value} | {verdict}{' (' + item['note'] + ')' if item['note'] else ''} |")
    return "\n".join(lines)
