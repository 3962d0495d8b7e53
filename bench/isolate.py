"""`make bench-isolate`: why our bot's throughput is low, one serving change at a time.

Serves the trained model (models/cma.tar.gz) in several variants and measures
each the same way as `make bench` (single-user latency, then 20 concurrent
conversations): the shipped layout (SQLite tracker store, one Sanic worker),
the in-memory tracker store, PostgreSQL, Rasa with action-server replies
validated against a schema compiled once (bench/experiments/, the proposed
fix), and two Sanic workers (PostgreSQL + Redis lock store, which Rasa
requires for several workers); `caching` and `postgres-caching` serve the
caching tracker store (addons/tracker_store.py) on SQLite and PostgreSQL, to
set beside `shipped` and `postgres`. Writes results/isolate.json.

Two workers: Sanic 21.12 forks them onto one shared listening socket, and a
worker that wakes accepts every pending connection at once. 20 keep-alive
connections opened together are split by chance and stay where they landed
(`2-workers-keepalive`: 11/9, 17/3, 19/1 and 20/0 seen; at 20/0 the other
worker idles and throughput halves). `2-workers` sends each request on a new
connection, as nginx without upstream keep-alive does, so an idle worker
takes the next one. The table's last column shows each worker's share of CPU
and of the connections halfway through the load.

The profile that pointed here: `py-spy record` of the Rasa server under load
showed about half of its CPU in `jsonschema.validate` called from
`RemoteAction._validate_action_result` (see docs/performance.md).

Usage: python -m bench.isolate [--seconds 30] [--users 20] [--variants shipped memory ...]
(e.g. `--variants shipped caching postgres postgres-caching` for the tracker stores alone)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, machine, messages  # noqa: E402
from bench.servers import Project, rss_mb, serving  # noqa: E402
from cma_stack import MODEL, postgres_database  # noqa: E402

# Rasa's own per-reply schema validation, i.e. without addons/rasa_patches.py.
RASA_VALIDATION = str(ROOT / "bench" / "experiments" / "rasa_validation")


@dataclass(frozen=True)
class Variant:
    """One way of serving the trained model."""

    store: str  # "sqlite", "memory" or "postgres" (a throwaway database)
    lock_store: Optional[str] = None  # "redis": the AtomicRedisLockStore, which several workers need
    env: Dict[str, str] = field(default_factory=dict)  # extra environment of the Rasa server
    store_type: Optional[str] = None  # None: Rasa's `SQL`; "caching": addons/tracker_store.py
    # False: a new connection per request, as nginx without upstream keep-alive sends them. With keep-alive,
    # Sanic's workers split the 20 connections opened at once by an accept race, not by load (docs/performance.md).
    keepalive: bool = True


VARIANTS: Dict[str, Variant] = {
    "shipped": Variant("sqlite"),
    "memory": Variant("memory"),
    "postgres": Variant("postgres"),
    "rasa-validation": Variant("sqlite", env={"PYTHONPATH": RASA_VALIDATION}),
    "2-workers": Variant("postgres", "redis", {"SANIC_WORKERS": "2"}, keepalive=False),
    "2-workers-keepalive": Variant("postgres", "redis", {"SANIC_WORKERS": "2"}),
    "caching": Variant("sqlite", store_type="caching"),
    "postgres-caching": Variant("postgres", store_type="caching"),
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


def _sample_connections(port: int, workers: List[int], seconds: float, into: Dict[str, int]) -> threading.Thread:
    """After `seconds`, how many client connections each worker holds (a thread, so the load is not paused)."""

    def sample() -> None:
        into.update({str(pid): count for pid, count in machine.connections_by_process(port, workers).items()})

    timer = threading.Timer(seconds, sample)
    timer.start()
    return timer


def measure(name: str, seconds: float, users: int, model: Path) -> Dict[str, object]:
    variant = VARIANTS[name]
    workdir = Path(tempfile.mkdtemp(prefix=f"cma-isolate-{name}-"))
    with _store(variant.store) as url, _removed(workdir):
        project = Project(
            "cma",
            ROOT,
            ROOT / "data",
            ROOT / "config.yml",
            ROOT / "domain.yml",
            actions=True,
            tracker_store=url,
            lock_store=variant.lock_store,
            store_type=variant.store_type,
        )
        with serving(project, model, workdir, "hi", extra_env=variant.env) as (server, startups):
            load.warm_up(server.url, messages.OURS)
            latency = load.single_user(server.url, messages.OURS, 100)
            workers = machine.process_tree(server.process.pid)[1:]  # Sanic's forked workers, if any
            watch = machine.CpuWatch({"rasa": server.process.pid, "actions": server.action_process.pid})
            worker_watch = machine.CpuWatch({str(pid): pid for pid in workers})
            connections: Dict[str, int] = {}
            sampler = _sample_connections(int(server.url.rsplit(":", 1)[1]), workers, seconds / 2, connections)
            under_load = load.load(server.url, messages.OURS, users, seconds, keepalive=variant.keepalive)
            sampler.join()
            worker_cpu = worker_watch.stop()
            return {
                "variant": name,
                "keepalive": variant.keepalive,
                "startup_s": startups[0],
                "rss_mb": rss_mb(server.process.pid),
                "latency": latency,
                "load": under_load,
                "cpu": watch.stop(messages=under_load["messages"]),
                # Several workers: each one's CPU seconds and client connections halfway through the load.
                "workers": {
                    str(pid): {"cpu_s": worker_cpu.get(f"{pid}_cpu_s"), "connections": connections.get(str(pid))}
                    for pid in workers
                },
            }


def _split(row: Dict[str, object]) -> str:
    """ "52/48 % CPU, 10/10 conn." for several workers, "" for one."""
    workers = list(row["workers"].values())  # type: ignore[union-attr]
    if len(workers) < 2:
        return ""
    total = sum(worker["cpu_s"] or 0 for worker in workers) or 1
    cpu = "/".join(f"{100 * (worker['cpu_s'] or 0) / total:.0f}" for worker in workers)
    connections = "/".join(str(worker["connections"]) for worker in workers)
    return f"{cpu} % CPU, {connections} conn."


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
        "| Rasa CPU / message | action server CPU / message | others' CPU (cores) | workers: split |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        latency, under_load = row["latency"], row["load"]
        print(
            f"| {row['variant']} | {latency['p50_ms']:.0f} / {latency['p95_ms']:.0f} ms | "
            f"{under_load['messages_per_s']:.1f} | {under_load['p95_ms']:.0f} ms | {under_load['errors']} | "
            f"{row['cpu']['rasa_cpu_ms_per_message']:.1f} ms | {row['cpu']['actions_cpu_ms_per_message']:.1f} ms | "
            f"{row['cpu']['others_cores']:.2f} | {_split(row)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
