"""`make bench-isolate`: why our bot's throughput is low, one serving change at a time.

Serves the trained model (models/cma.tar.gz) in several variants and measures
each the same way as `make bench` (single-user latency, then 20 concurrent
conversations): the shipped layout (SQLite tracker store, one Sanic worker),
the in-memory tracker store, PostgreSQL, Rasa with action-server replies
validated against a schema compiled once (bench/experiments/, the proposed
fix), and that plus two Sanic workers (PostgreSQL + Redis lock store, which
Rasa requires for several workers); `caching` and `postgres-caching` serve the
caching tracker store (addons/tracker_store.py) on SQLite and PostgreSQL, to
set beside `shipped` and `postgres`. Writes results/isolate.json.

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
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, machine, messages  # noqa: E402
from bench.servers import Project, Server, rss_mb, serving, start_actions, start_rasa_timed  # noqa: E402
from cma_stack import MODEL, postgres_database, write_endpoints  # noqa: E402

# Rasa's own per-reply schema validation, i.e. without addons/rasa_patches.py.
RASA_VALIDATION = str(ROOT / "bench" / "experiments" / "rasa_validation")

# The tracker store class the caching variants name in endpoints.yml instead of Rasa's `SQL`.
CACHING_STORE = "addons.tracker_store.CachingSQLTrackerStore"

# name: (tracker store, lock store, extra environment of the Rasa server, tracker store type or None for `SQL`)
VARIANTS: Dict[str, tuple] = {
    "shipped": ("sqlite", None, {}, None),
    "memory": ("memory", None, {}, None),
    "postgres": ("postgres", None, {}, None),
    "rasa-validation": ("sqlite", None, {"PYTHONPATH": RASA_VALIDATION}, None),
    "2-workers": ("postgres", "redis", {"SANIC_WORKERS": "2"}, None),
    "caching": ("sqlite", None, {}, CACHING_STORE),
    "postgres-caching": ("postgres", None, {}, CACHING_STORE),
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


@contextlib.contextmanager
def _serving(
    project: Project, model: Path, workdir: Path, extra_env: Dict[str, str], store_type: Optional[str]
) -> Iterator[Tuple[Server, List[float]]]:
    """bench.servers.serving (one start-up); with `store_type`, endpoints.yml names that tracker store class.

    bench/servers.py always writes Rasa's `type: SQL`; the same file with the type replaced, as a
    deployment's endpoints.yml would name the class.
    """
    if store_type is None:
        with serving(project, model, workdir, "hi", extra_env=extra_env) as served:
            yield served
        return
    actions = start_actions(workdir)
    try:
        url = (
            f"sqlite:///{workdir / 'conversations.db'}" if project.tracker_store == "sqlite" else project.tracker_store
        )
        lock_prefix = f"bench{os.urandom(4).hex()}" if project.lock_store == "redis" else None
        endpoints = write_endpoints(workdir / "endpoints.yml", f"{actions.url}/webhook", url, lock_prefix)
        text = endpoints.read_text()
        assert "  type: SQL\n" in text, text
        endpoints.write_text(text.replace("  type: SQL\n", f"  type: {store_type}\n"))
        project.endpoints = endpoints
        server = start_rasa_timed(project, model, workdir, "hi", actions, extra_env)
    except BaseException:
        actions.stop()
        raise
    try:
        yield server, [server.startup_s]
    finally:
        server.stop()


def measure(name: str, seconds: float, users: int, model: Path) -> Dict[str, object]:
    store, lock_store, extra_env, store_type = VARIANTS[name]
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
        with _serving(project, model, workdir, extra_env, store_type) as (server, startups):
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
