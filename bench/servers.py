"""Train and serve a bot for the benchmark: `rasa train` and `rasa run` as subprocesses on free loopback ports."""

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
from tests.stack import ROOT, RASA, free_port

# Same quiet, offline environment as the Makefile; PYTHONHASHSEED fixed so training is repeatable.
ENV = {
    "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONHASHSEED": "0",
}


@dataclass
class Project:
    """Where a bot's files are: `rasa train` and `rasa run` run in `root` (our config imports addons/ from there)."""

    name: str
    root: Path
    data: Path  # the training data directory (a copy, so the retrain edit never touches the repository)
    config: Path
    domain: Path
    endpoints: Optional[Path] = None
    actions: bool = False  # needs our action server (then bench writes the endpoints file)
    # SQLAlchemy URL of the tracker store for our bot: "sqlite" (default, as `make run`: a fresh SQLite
    # file), "memory" (Rasa's InMemoryTrackerStore) or any other URL, e.g. PostgreSQL.
    tracker_store: str = "sqlite"
    # "redis": a RedisLockStore on 127.0.0.1, which Rasa requires before it runs several Sanic workers.
    lock_store: Optional[str] = None


def env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    return {**os.environ, **ENV, **(extra or {})}


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
    args = [str(RASA), "train", "--config", str(project.config), "--domain", str(project.domain),
            "--data", str(project.data), "--out", str(out), "--fixed-model-name", project.name]
    started = time.perf_counter()
    with log.open("a") as output:
        result = subprocess.run(args, cwd=project.root, env=env({"RASA_CACHE_DIRECTORY": str(cache)}),
                                stdout=output, stderr=subprocess.STDOUT)
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
    """A running `rasa run` (and our action server, if the bot has one)."""

    url: str
    process: subprocess.Popen
    action_process: Optional[subprocess.Popen]
    startup_s: float

    def stop(self) -> None:
        for process in (self.process, self.action_process):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def start_actions(workdir: Path) -> tuple[subprocess.Popen, str]:
    """Our action server, loopback only, waited for; its start-up is not part of Rasa's."""
    port = free_port()
    log = workdir / "actions.log"
    process = subprocess.Popen(
        [str(RASA), "run", "actions", "--port", str(port), "--actions", "actions"],
        cwd=ROOT, env=env({"SANIC_HOST": "127.0.0.1"}), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_until(lambda: requests.get(f"{url}/health", timeout=2).ok, process, log, 120)
    return process, url


def start_rasa(project: Project, model: Path, workdir: Path, first_message: str,
               action_process: Optional[subprocess.Popen] = None, extra_env: Optional[Dict[str, str]] = None,
               timeout: float = 300) -> Server:
    """`rasa run` with the REST channel; start-up is timed from the spawn to the first non-empty reply."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"rasa-{project.name}.log"
    args = [str(RASA), "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port),
            "--credentials", str(workdir / "credentials.yml")]
    if project.endpoints:
        args += ["--endpoints", str(project.endpoints)]
    (workdir / "credentials.yml").write_text("rest:\n")
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=project.root, env=env(extra_env), stdout=log.open("w"),
                               stderr=subprocess.STDOUT)

    def replied() -> bool:
        response = requests.post(f"{url}/webhooks/rest/webhook", timeout=30,
                                 json={"sender": f"startup-{os.urandom(4).hex()}", "message": first_message})
        return response.ok and bool(response.json())

    _wait_until(replied, process, log, timeout, poll=0.05)
    return Server(url, process, action_process, round(time.perf_counter() - started, 2))


def _wait_until(check, process: subprocess.Popen, log: Path, seconds: float, poll: float = 0.25) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(requests.RequestException, ValueError):
            if check():
                return
        time.sleep(poll)
    process.terminate()
    raise TimeoutError(f"server not ready after {seconds}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def serving(project: Project, model: Path, workdir: Path, first_message: str, startups: int = 1,
            extra_env: Optional[Dict[str, str]] = None) -> Iterator[tuple[Server, List[float]]]:
    """Start the bot `startups` times (start-up is timed each time) and yield the last, still running."""
    action_process = None
    times: List[float] = []
    server: Optional[Server] = None
    try:
        if project.actions:
            action_process, action_url = start_actions(workdir)
            project.endpoints = _write_endpoints(workdir, action_url, project.tracker_store, project.lock_store)
        for attempt in range(startups):
            server = start_rasa(project, model, workdir, first_message, action_process, extra_env)
            times.append(server.startup_s)
            if attempt < startups - 1:
                server.process.terminate()
                server.process.wait(timeout=30)
        assert server is not None
        yield server, times
    finally:
        if server is not None:
            server.stop()
        elif action_process is not None:
            action_process.terminate()


def _write_endpoints(workdir: Path, action_url: str, tracker_store: str, lock_store: Optional[str]) -> Path:
    """Our production layout by default, as `make run`: SQL tracker store on SQLite, in-memory lock store."""
    endpoints = workdir / "endpoints.yml"
    url = f"sqlite:///{workdir / 'conversations.db'}" if tracker_store == "sqlite" else tracker_store
    stores = f"tracker_store:\n  type: SQL\n  url: {url}\n" if tracker_store != "memory" else ""
    if lock_store == "redis":
        stores += f"lock_store:\n  type: addons.lock_store.AtomicRedisLockStore\n  url: 127.0.0.1\n  key_prefix: bench{os.urandom(4).hex()}\n"
    endpoints.write_text(f"action_endpoint:\n  url: {action_url}/webhook\n{stores}")
    return endpoints
