"""`make bench`: our bot against a stock `rasa init` bot, measured in the same run on this machine.

For each bot, one after the other so they never compete for the CPU:
full training from an empty cache and a retrain after a one-line NLU change;
start-up to the first reply (median of --startups); Rasa (and action server)
memory after warm-up; latency for one user (median of --repeats runs); then
closed-loop load at each --users level for --seconds. Prints one table with
ours/baseline and the issue's targets, and writes everything to
results/bench-<time>.json and results/bench-latest.json.

Then (--configurations) our trained model served other ways, each measured the
same way at 20 users (one start-up): `ours-caching` (the caching tracker store
instead of Rasa's SQL store, REST), `nginx-1` and `nginx-2` (one and two
instances behind nginx with the shipped configuration, PostgreSQL + caching
store + Redis locks, students over socket.io from their own addresses: the
topology of `make run INSTANCES=n`, started by the same cma_stack code). A
second table sets them beside the stock bot with issue #16's targets.

Usage: python -m bench.run [--seconds 60] [--users 20 50] [--repeats 3] [--startups 3]
                           [--configurations ours-caching nginx-1 nginx-2]
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load, machine, messages, stats  # noqa: E402
from bench.servers import Project, behind_nginx, copy_data, edit_one_nlu_line, rss_mb, serving, train  # noqa: E402

RESULTS = ROOT / "results"


def baseline_project(workdir: Path) -> Project:
    """The project `rasa init --no-prompt` writes (Rasa's own scaffold files, copied the same way).

    `rasa init` would also train it; the bench trains it itself, timed, so it
    copies the scaffold instead of training twice.
    """
    scaffold = Path(importlib.util.find_spec("rasa").submodule_search_locations[0]) / "cli" / "initial_project"
    root = workdir / "baseline"
    shutil.copytree(scaffold, root)
    return Project("baseline", root, root / "data", root / "config.yml", root / "domain.yml", root / "endpoints.yml")


def our_project(workdir: Path, tracker_store: str, store_type: Optional[str] = None) -> Project:
    """Our bot as shipped; the data is a copy so the retrain edit never touches the repository."""
    data = workdir / "cma-data"
    if not data.exists():
        copy_data(ROOT / "data", data)
    return Project(
        "cma",
        ROOT,
        data,
        ROOT / "config.yml",
        ROOT / "domain.yml",
        actions=True,
        tracker_store=tracker_store,
        store_type=store_type,
    )


def measure_training(project: Project, workdir: Path) -> Dict[str, object]:
    """Full training with an empty cache, then a retrain with that cache after a one-line NLU edit."""
    cache = workdir / f"cache-{project.name}"
    log = workdir / f"train-{project.name}.log"
    watch = machine.CpuWatch()
    full = train(project, workdir / f"models-{project.name}", cache, log)
    edited = edit_one_nlu_line(project.data)
    retrain = train(project, workdir / f"models-{project.name}-retrained", cache, log)
    return {"full_s": full, "retrain_s": retrain, "edited_file": edited.name, "cpu": watch.stop()}


def measure_serving(
    project: Project, model: Path, workdir: Path, script: Sequence[Sequence[str]], args: argparse.Namespace
) -> Dict[str, object]:
    """Start-up, memory, single-user latency and load of one bot, warm-up excluded."""
    result: Dict[str, object] = {}
    with serving(project, model, workdir, script[0][0], startups=args.startups) as (server, startups):
        result["startup_runs_s"] = startups
        result["startup_s"] = round(sorted(startups)[len(startups) // 2], 2)
        servers = {"rasa": server.process.pid}
        if server.action_process:
            servers["actions"] = server.action_process.pid
        load.warm_up(server.url, script)
        result["rss_mb"] = {"rasa": rss_mb(server.process.pid)}
        if server.action_process:
            result["rss_mb"]["actions"] = rss_mb(server.action_process.pid)
        watch = machine.CpuWatch(servers)
        runs = [load.single_user(server.url, script, args.latency_messages) for _ in range(args.repeats)]
        result["latency"] = {
            **{key: stats.median_of(runs, key) for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")},
            "errors": sum(run["errors"] for run in runs),
            "empty_replies": sum(run["empty_replies"] for run in runs),
            "runs": runs,
            "cpu": watch.stop(messages=sum(run["count"] for run in runs)),
        }
        result["load"] = {}
        for users in args.users:
            watch = machine.CpuWatch(servers)
            measured = load.load(server.url, script, users, args.seconds)
            result["load"][str(users)] = {**measured, "cpu": watch.stop(messages=measured["messages"])}
        result["rss_mb"]["rasa_after_load"] = rss_mb(server.process.pid)
        if server.action_process:
            result["rss_mb"]["actions_after_load"] = rss_mb(server.action_process.pid)
    return result


CONFIGURATION_USERS = 20  # issue #16 compares throughput at 20 concurrent conversations


def measure_behind_nginx(model: Path, instances: int, args: argparse.Namespace) -> Dict[str, object]:
    """Memory, single-user latency and load of `instances` Rasa instances behind nginx, over socket.io."""
    script = messages.OURS
    with behind_nginx(model, instances) as stack:
        for url in stack.rasa_urls:  # each instance directly, as the other bots are warmed up
            load.warm_up(url, script)
        counts = load.reply_counts(stack.proxy_url, script)  # also warms up the path through nginx
        assert stack.proxy is not None
        actions = stack.services[0]
        result: Dict[str, object] = {"instances": instances, "reply_counts": counts}
        servers = {service.name: service.process.pid for service in stack.rasa_services}
        servers.update({"actions": actions.process.pid, "nginx": stack.proxy.service.process.pid})
        result["rss_mb"] = {name: rss_mb(pid) for name, pid in servers.items()}
        watch = machine.CpuWatch(servers)
        runs = [
            load.socket_single_user(stack.proxy_url, script, counts, args.latency_messages) for _ in range(args.repeats)
        ]
        result["latency"] = {
            **{key: stats.median_of(runs, key) for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms")},
            "errors": sum(run["errors"] for run in runs),
            "runs": runs,
            "cpu": watch.stop(messages=sum(run["count"] for run in runs)),
        }
        watch = machine.CpuWatch(servers)
        measured = load.socket_load(stack.proxy_url, script, counts, CONFIGURATION_USERS, args.seconds)
        result["load"] = {str(CONFIGURATION_USERS): {**measured, "cpu": watch.stop(messages=measured["messages"])}}
        result["served_by"] = {address: sorted(upstreams) for address, upstreams in stack.proxy.upstreams().items()}
    return result


def measure_configuration(name: str, model: Path, workdir: Path, args: argparse.Namespace) -> Dict[str, object]:
    """One of --configurations, with our trained model."""
    if name == "ours-caching":
        once = copy.copy(args)
        once.users, once.startups = [CONFIGURATION_USERS], 1
        project = our_project(workdir, "sqlite", store_type="caching")
        return measure_serving(project, model, workdir, messages.OURS, once)
    return measure_behind_nginx(model, int(name.split("-")[1]), args)


def bench(args: argparse.Namespace) -> Dict[str, object]:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="cma-bench-"))
    report: Dict[str, object] = {
        "machine": machine.describe(ROOT),
        "settings": {
            "seconds": args.seconds,
            "users": args.users,
            "repeats": args.repeats,
            "startups": args.startups,
            "latency_messages": args.latency_messages,
            "tracker_store": args.tracker_store,
            "configurations": args.configurations,
        },
    }
    try:
        bots: Dict[str, tuple[Project, List[List[str]]]] = {
            "ours": (our_project(workdir, args.tracker_store), messages.OURS),
            "baseline": (baseline_project(workdir), messages.BASELINE),
        }
        for name, (project, _script) in bots.items():
            print(f"[bench] training {name} ...", flush=True)
            report[name] = {"train": measure_training(project, workdir)}
        for name, (project, script) in bots.items():
            print(f"[bench] serving {name} ...", flush=True)
            model = workdir / f"models-{project.name}" / f"{project.name}.tar.gz"
            report[name].update(measure_serving(project, model, workdir, script, args))
        ours_model = workdir / "models-cma" / "cma.tar.gz"
        for name in args.configurations:
            print(f"[bench] serving {name} ...", flush=True)
            report[name] = measure_configuration(name, ours_model, workdir, args)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report["machine"]["loadavg_at_end"] = machine.loadavg()
    report["runtime_s"] = round(time.monotonic() - started, 1)
    report["table"] = stats.comparison(report["ours"], report["baseline"])
    report["configurations"] = stats.configurations(report)
    report["targets"] = stats.targets(report["configurations"])
    return report


def print_tables(report: Dict[str, object]) -> None:
    print(stats.render(stats.comparison(report["ours"], report["baseline"])))
    rows = stats.configurations(report)
    if len(rows) > 2:
        print()
        print(stats.render_configurations(rows, stats.targets(rows)))


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="duration of each load level")
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50], help="concurrent conversations")
    parser.add_argument("--repeats", type=int, default=3, help="single-user latency runs (median taken)")
    parser.add_argument("--startups", type=int, default=3, help="start-ups timed per bot (median taken)")
    parser.add_argument("--latency-messages", type=int, default=150, help="messages per latency run")
    parser.add_argument(
        "--tracker-store",
        default="sqlite",
        help="our bot's tracker store: sqlite (as `make run`), memory, or an SQLAlchemy URL",
    )
    parser.add_argument(
        "--configurations",
        nargs="*",
        default=["ours-caching", "nginx-1", "nginx-2"],
        choices=["ours-caching", "nginx-1", "nginx-2"],
        help="our bot served other ways after the two bots (none: only the two bots)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (models, logs)")
    parser.add_argument("--table", type=Path, help="only print the table of an earlier run's JSON file")
    args = parser.parse_args(list(argv) or None)
    if args.table:
        print_tables(json.loads(args.table.read_text()))
        return 0
    report = bench(args)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "bench-latest.json"):
        path.write_text(json.dumps(report, indent=2))
    print_tables(report)
    print(
        f"\nmachine: {report['machine']['cpus']} CPUs, load average {report['machine']['loadavg_at_start']} at "
        f"start, {report['machine']['loadavg_at_end']} at end; bench took {report['runtime_s']:.0f} s"
    )
    print(f"written to {RESULTS / f'bench-{stamp}.json'} (and bench-latest.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
