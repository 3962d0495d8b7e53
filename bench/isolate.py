"""`make bench-isolate`: why our bot's throughput is low, one serving change at a time.

Serves the trained model (models/cma.tar.gz) in several variants and measures
each the same way as `make bench` (single-user latency, then 20 concurrent
conversations): the shipped layout (SQLite tracker store, one Sanic worker),
the in-memory tracker store, PostgreSQL, Rasa with action-server replies
validated against a schema compiled once (bench/experiments/, the proposed
fix), and that plus two Sanic workers (PostgreSQL + Redis lock store, which
Rasa requires for several workers). Writes results/isolate.json.

The profile that pointed here: `py-spy record` of the Rasa server under load
showed about half of its CPU in `jsonschema.validate` called from
`RemoteAction._validate_action_result` (see docs/performance.md).

Usage: python -m bench.isolate [--seconds 30] [--users 20] [--variants shipped memory ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, machine, messages  # noqa: E402
from bench.servers import Project, rss_mb, serving  # noqa: E402
from cma_stack import MODEL, postgres_database  # noqa: E402

# Rasa's own per-reply schema validation, i.e. without addons/rasa_patches.py.
RASA_VALIDATION = str(ROOT / "bench" / "experiments" / "rasa_validation")

# name: (tracker store, lock store, extra environment of the Rasa server)
VARIANTS: Dict[str, tuple] = {
    "shipped": ("sqlite", None, {}),
    "memory": ("memory", None, {}),
    "postgres": ("postgres", None, {}),
    "rasa-validation": ("sqlite", None, {"PYTHONPATH": RASA_VALIDATION}),
    "2-workers": ("postgres", "redis", {"SANIC_WORKERS": "2"}),
}


@contextlib.contextmanager
def _store(kind: str) -> Iterator[str]:
    if kind == "postgres":
        with postgres_database() as url:
            yield url
    else:
        yield kind


@contextlib.contextmanager
def _removed(workdir: Path) -> Iterator[None]:
    """Logs and the SQLite file are only needed while the variant runs."""
    try:
        yield
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(name: str, seconds: float, users: int, model: Path) -> Dict[str, object]:
    store, lock_store, extra_env = VARIANTS[name]
    workdir = Path(tempfile.mkdtemp(prefix=f"cma-isolate-{name}-"))
    with _store(store) as url, _removed(workdir):
        project = Project(
            "cma",
            ROOT,
            ROOT / "data",
            ROOT / "config.yml",
            ROOT / "domain.yml",
            actions=True,
            tracker_store=url,
            lock_store=lock_store,
        )
        with serving(project, model, workdir, "hi", extra_env=extra_env) as (server, startups):
            load.warm_up(server.url, messages.OURS)
            latency = load.single_user(server.url, messages.OURS, 100)
            watch = machine.CpuWatch({"rasa": server.process.pid, "actions": server.action_process.pid})
            under_load = load.load(server.url, messages.OURS, users, seconds)
            return {
                "variant": name,
                "startup_s": startups[0],
                "rss_mb": rss_mb(server.process.pid),
                "latency": latency,
                "load": under_load,
                "cpu": watch.stop(messages=under_load["messages"]),
            }


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    rows: List[Dict[str, object]] = []
    for name in args.variants:
        print(f"[isolate] {name} ...", flush=True)
        rows.append(measure(name, args.seconds, args.users, args.model))
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "isolate.json").write_text(json.dumps(rows, indent=2))
    print(
        f"| variant | latency p50 / p95 (1 user) | msg/s at {args.users} users | p95 under load | errors "
        "| Rasa CPU / message | action server CPU / message | others' CPU (cores) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        latency, under_load = row["latency"], row["load"]
        print(
            f"| {row['variant']} | {latency['p50_ms']:.0f} / {latency['p95_ms']:.0f} ms | "
            f"{under_load['messages_per_s']:.1f} | {under_load['p95_ms']:.0f} ms | {under_load['errors']} | "
            f"{row['cpu']['rasa_cpu_ms_per_message']:.1f} ms | {row['cpu']['actions_cpu_ms_per_message']:.1f} ms | "
            f"{row['cpu']['others_cores']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
