"""Train and serve a bot for the benchmark: `rasa train`, and the servers through cma_stack, on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import requests

from bench.machine import process_tree
from cma_stack import (
    RASA,
    Service,
    Stack,
    free_port,
    postgres_database,
    quiet_env,
    running_stack,
    start_action_server,
    start_rasa,
    stop_all,
    write_endpoints,
)

ACTIONS_READY_SECONDS = 120


@dataclass
class Project:
    """Where a bot's files are: `rasa train` and `rasa run` run in `root` (our config imports addons/ from there)."""

    name: str
    root: Path
    data: Path  # the training data directory (a copy, so the retrain edit never touches the repository)
    config: Path
    domain: Path
    endpoints: Optional[Path] = None
    # Our bot: our action server (bench writes the endpoints file) and Rasa served as `make run` serves it.
    actions: bool = False
    # SQLAlchemy URL of the tracker store for our bot: "sqlite" (default, as `make run`: a fresh SQLite
    # file), "memory" (Rasa's InMemoryTrackerStore) or any other URL, e.g. PostgreSQL.
    tracker_store: str = "sqlite"
    # "redis": a RedisLockStore on 127.0.0.1, which Rasa requires before it runs several Sanic workers.
    lock_store: Optional[str] = None
    # The SQL store's class: None or "sql" (Rasa's), "caching" (addons/tracker_store.py) or a class path.
    store_type: Optional[str] = None


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (Sanic forks workers when there are several), from /proc."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return round(total, 1)


def train(project: Project, out: Path, cache: Path, log: Path) -> float:
    """Seconds of one `rasa train`; `cache` is Rasa's training cache (empty: from scratch)."""
    args = [
        str(RASA),
        "train",
        "--config",
        str(project.config),
        "--domain",
        str(project.domain),
        "--data",
        str(project.data),
        "--out",
        str(out),
        "--fixed-model-name",
        project.name,
    ]
    started = time.perf_counter()
    with log.open("a") as output:
        result = subprocess.run(
            args,
            cwd=project.root,
            env=quiet_env({"RASA_CACHE_DIRECTORY": str(cache)}),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"rasa train of {project.name} failed; see {log}")
    return round(seconds, 2)


def edit_one_nlu_line(data: Path) -> Path:
    """The smallest realistic change: one new example under the first intent of the first NLU file."""
    nlu_file = sorted(p for p in data.rglob("*.yml") if "- intent:" in p.read_text())[0]
    lines = nlu_file.read_text().splitlines(keepends=True)
    first_example = next(i for i, line in enumerate(lines) if line.lstrip().startswith("- ") and "intent:" not in line)
    indent = lines[first_example][: len(lines[first_example]) - len(lines[first_example].lstrip())]
    lines.insert(first_example, f"{indent}- {lines[first_example].strip()[2:]} please\n")
    nlu_file.write_text("".join(lines))
    return nlu_file


def copy_data(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@dataclass
class Server:
    """A running Rasa server (and our action server, if the bot has one)."""

    rasa: Service
    actions: Optional[Service]
    startup_s: float

    @property
    def url(self) -> str:
        return self.rasa.url

    @property
    def process(self) -> subprocess.Popen:
        return self.rasa.process

    @property
    def action_process(self) -> Optional[subprocess.Popen]:
        return self.actions.process if self.actions else None

    def stop(self) -> None:
        stop_all([service for service in (self.actions, self.rasa) if service is not None])


def start_actions(workdir: Path) -> Service:
    """Our action server, waited for; its start-up is not part of Rasa's."""
    actions = start_action_server(free_port(), workdir / "actions.log")
    actions.wait_ready(ACTIONS_READY_SECONDS)
    return actions


def start_rasa_timed(
    project: Project,
    model: Path,
    workdir: Path,
    first_message: str,
    actions: Optional[Service] = None,
    extra_env: Optional[Dict[str, str]] = None,
    timeout: float = 300,
) -> Server:
    """Rasa with the REST channel; start-up is timed from the spawn to the first non-empty reply.

    Our bot is served as `make run` serves it (scripts/rasa_server.py, credentials.yml with the
    guarded channels; rates off, since the load comes from one address). The stock bot runs plain
    `rasa run` with the stock REST channel in its own folder: none of our addons.
    """
    port = free_port()
    log = workdir / f"rasa-{project.name}.log"
    assert project.endpoints is not None
    if project.actions:
        env = {"RATE_LIMITS": "off", "SESSION_SECRET": os.urandom(32).hex(), **(extra_env or {})}
        started = time.perf_counter()
        rasa = start_rasa(port, project.endpoints, log, model=model, env=env, cwd=project.root)
    else:
        credentials = workdir / "credentials.yml"
        credentials.write_text("rest:\n")
        started = time.perf_counter()
        rasa = start_rasa(
            port,
            project.endpoints,
            log,
            model=model,
            credentials=credentials,
            env=extra_env,
            program=[str(RASA), "run"],
            cwd=project.root,
        )

    def replied() -> bool:
        response = requests.post(
            f"{rasa.url}/webhooks/rest/webhook",
            timeout=30,
            json={"sender": f"startup-{os.urandom(4).hex()}", "message": first_message},
        )
        return response.ok and bool(response.json())

    try:
        rasa.wait_ready(timeout, check=replied, poll=0.05)
    except BaseException:
        rasa.stop()
        raise
    return Server(rasa, actions, round(time.perf_counter() - started, 2))


@contextlib.contextmanager
def serving(
    project: Project,
    model: Path,
    workdir: Path,
    first_message: str,
    startups: int = 1,
    extra_env: Optional[Dict[str, str]] = None,
) -> Iterator[tuple[Server, List[float]]]:
    """Start the bot `startups` times (start-up is timed each time) and yield the last, still running."""
    actions: Optional[Service] = None
    times: List[float] = []
    server: Optional[Server] = None
    try:
        if project.actions:
            actions = start_actions(workdir)
            project.endpoints = _write_endpoints(
                workdir, actions.url, project.tracker_store, project.lock_store, project.store_type
            )
        for attempt in range(startups):
            server = start_rasa_timed(project, model, workdir, first_message, actions, extra_env)
            times.append(server.startup_s)
            if attempt < startups - 1:
                server.rasa.stop(30)
        assert server is not None
        yield server, times
    finally:
        if server is not None:
            server.stop()
        elif actions is not None:
            actions.stop()


def _write_endpoints(
    workdir: Path, action_url: str, tracker_store: str, lock_store: Optional[str], store_type: Optional[str] = None
) -> Path:
    """Our production layout by default, as `make run`: SQL tracker store on SQLite, in-memory lock store."""
    url = f"sqlite:///{workdir / 'conversations.db'}" if tracker_store == "sqlite" else tracker_store
    return write_endpoints(
        workdir / "endpoints.yml",
        f"{action_url}/webhook",
        None if tracker_store == "memory" else url,
        f"bench{os.urandom(4).hex()}" if lock_store == "redis" else None,
        store_type=store_type,
    )


@contextlib.contextmanager
def behind_nginx(model: Path, instances: int, store_type: Optional[str] = "caching") -> Iterator[Stack]:
    """Our bot as `make run INSTANCES=n` serves it: n instances behind nginx (the shipped configuration),
    sharing a throwaway PostgreSQL database and the Redis lock store; students reach it over socket.io."""
    with (
        postgres_database() as url,
        running_stack(
            tracker_store_url=url,
            rasa_instances=instances,
            redis_lock_prefix=f"bench{os.urandom(4).hex()}",
            store_type=store_type,
            proxy=True,
            model=model,
            api_token=None,
        ) as stack,
    ):
        yield stack
