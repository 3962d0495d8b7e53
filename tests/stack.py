"""Start the real assistant (action server + Rasa server) on free local ports for tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv" / "bin" / "rasa"
PYTHON = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "models" / "cma.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    env.update(extra or {})
    return env


@dataclass
class Stack:
    rasa_url: str
    action_url: str
    workdir: Path
    processes: List[subprocess.Popen] = field(default_factory=list)
    api_token: Optional[str] = None
    rasa_urls: List[str] = field(default_factory=list)  # every Rasa instance; rasa_url is the first
    rasa_processes: List[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def send(self, sender: str, message: str, timeout: float = 30, url: Optional[str] = None) -> List[dict]:
        """One user message over the REST channel (of `url`, default the first instance)."""
        response = requests.post(
            f"{url or self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()


    def tracker(self, sender: str) -> dict:
        """The stored conversation, through Rasa's HTTP API (needs `api_token`)."""
        response = requests.get(
            f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": self.api_token}, timeout=30
        )
        response.raise_for_status()
        return response.json()


def start_action_server(port: int, logfile: Path, env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    return subprocess.Popen(
        [str(RASA), "run", "actions", "--port", str(port), "--actions", "actions"],
        cwd=ROOT,
        env=_env({"SANIC_HOST": "127.0.0.1", **(env or {})}),
        stdout=logfile.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).ok:
                return
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {seconds}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def running_stack(
    cors_origins: Sequence[str] = (),
    extra_args: Sequence[str] = (),
    env: Optional[Dict[str, str]] = None,
    with_actions: bool = True,
    tracker_store_url: Optional[str] = None,
    api_token: Optional[str] = "test-token-" + os.urandom(8).hex(),
    rasa_instances: int = 1,
    redis_lock_prefix: Optional[str] = None,
    action_endpoint: Optional[str] = None,
) -> Iterator[Stack]:
    """Action server and Rasa server (REST + socket.io) with the trained model, stopped on exit.

    With `with_actions=False` no action server runs and Rasa points at a closed
    port: the "action server is down" case. Conversations go to
    `tracker_store_url` (an SQLAlchemy URL), by default a fresh SQLite file.
    The HTTP API is on, behind `api_token` (None: API off, as in `make run`).
    `rasa_instances` > 1 starts several Rasa servers sharing the tracker store;
    give them `redis_lock_prefix` to lock conversations through the local Redis.
    `action_endpoint` points Rasa at another action server (implies no own one).
    """
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    # Tests and benchmarks send from one address as fast as they can: rates off
    # unless `env` turns them on (tests/test_limits.py). One secret for all instances.
    env = {"RATE_LIMITS": "off", "SESSION_SECRET": os.urandom(32).hex(), **(env or {})}
    workdir = Path(tempfile.mkdtemp(prefix="cma-stack-"))
    action_port = free_port()
    rasa_ports = [free_port() for _ in range(rasa_instances)]
    stack = Stack(f"http://127.0.0.1:{rasa_ports[0]}", f"http://127.0.0.1:{action_port}", workdir, api_token=api_token,
                  rasa_urls=[f"http://127.0.0.1:{port}" for port in rasa_ports])
    endpoints = workdir / "endpoints.yml"
    tracker_store_url = tracker_store_url or f"sqlite:///{workdir / 'conversations.db'}"
    lock_store = (f"lock_store:\n  type: addons.lock_store.AtomicRedisLockStore\n  url: 127.0.0.1\n  key_prefix: {redis_lock_prefix}\n"
                  if redis_lock_prefix else "")
    endpoints.write_text(
        f"action_endpoint:\n  url: {action_endpoint or f'http://127.0.0.1:{action_port}/webhook'}\n"
        f"tracker_store:\n  type: SQL\n  url: {tracker_store_url}\n{lock_store}"
    )
    try:
        if with_actions and not action_endpoint:
            actions = start_action_server(action_port, workdir / "actions.log", env)
            stack.processes.append(actions)
            _wait(f"{stack.action_url}/health", actions, workdir / "actions.log", 90)
        for index, rasa_port in enumerate(rasa_ports):
            # Rasa through scripts/rasa_server.py, as `make run` starts it: the token comes from the
            # environment, never the command line.
            args = [
                str(PYTHON), str(ROOT / "scripts" / "rasa_server.py"), "--model", str(MODEL),
                "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
                "--interface", "127.0.0.1", "--port", str(rasa_port), *extra_args,
            ]
            if cors_origins:
                args += ["--cors", *cors_origins]
            name = "rasa" if index == 0 else f"rasa{index + 1}"
            rasa = subprocess.Popen(
                args, cwd=ROOT, env=_env({**env, "RASA_API_TOKEN": api_token or ""}), stdout=(workdir / f"{name}.log").open("w"), stderr=subprocess.STDOUT
            )
            stack.processes.append(rasa)
            stack.rasa_processes.append(rasa)
        for index, (url, rasa) in enumerate(zip(stack.rasa_urls, stack.rasa_processes)):
            name = "rasa" if index == 0 else f"rasa{index + 1}"
            _wait(f"{url}/", rasa, workdir / f"{name}.log", 240)
        yield stack
    finally:
        stack.stop()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway database on the machine's PostgreSQL (127.0.0.1:5432, trust auth); yields its URL."""
    import psycopg2

    name = f"cma_test_{os.urandom(5).hex()}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
