"""The assistant's processes one at a time: where they live, how each starts, when it is ready, how it stops.

Everything that starts the action server, Rasa or the demo site (`make run`,
`make shell`, the tests, the benchmark, the soak run) goes through here, so
the quiet environment, the loopback-only binding and the readiness checks are
written once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RASA = ROOT / ".venv" / "bin" / "rasa"
MODEL = ROOT / "models" / "cma.tar.gz"
CREDENTIALS = ROOT / "credentials.yml"
RASA_SERVER = ROOT / "scripts" / "rasa_server.py"  # `rasa run` with the API token from the environment
WEB = ROOT / "web"
# Rasa's own `redis` lock store can let two instances serve one conversation at once (addons/lock_store.py).
ATOMIC_REDIS_LOCK_STORE = "addons.lock_store.AtomicRedisLockStore"
# The tracker stores an endpoints file may name: Rasa's SQL store, or ours that keeps recent conversations in memory.
SQL_TRACKER_STORE = "SQL"
CACHING_TRACKER_STORE = "addons.tracker_store.CachingSQLTrackerStore"
TRACKER_STORE_TYPES = {"sql": SQL_TRACKER_STORE, "caching": CACHING_TRACKER_STORE}


def tracker_store_type(name: Optional[str]) -> str:
    """`sql` (or nothing) -> Rasa's `SQL`, `caching` -> CachingSQLTrackerStore; anything else is a class path."""
    if not name:
        return SQL_TRACKER_STORE
    return TRACKER_STORE_TYPES.get(name.lower(), name)


# Quiet, offline Rasa for every process started here (the Makefile exports the same for its own commands);
# PYTHONHASHSEED fixed so that training is repeatable.
QUIET_ENV: Dict[str, str] = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
    "PYTHONHASHSEED": "0",
}


class StartError(RuntimeError):
    """A server exited or never became ready; the message ends with the tail of its log."""


def quiet_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """This process's environment with QUIET_ENV and `extra` on top, for a child process."""
    return {**os.environ, **QUIET_ENV, **(extra or {})}


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str) -> bool:
    """GET `url` answers 2xx (connection errors count as "not yet")."""
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def tail(path: Optional[Path], lines: int = 20) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Service:
    """One started server: its process, where its output goes and the URL that answers when it is ready."""

    name: str
    process: subprocess.Popen
    url: str
    ready_url: str
    log: Optional[Path]  # None: the output goes to this process's terminal

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, seconds: float, check: Optional[Callable[[], bool]] = None, poll: float = 0.5) -> None:
        """Until `check` (default: GET ready_url answers) holds; if it exits or times out, StartError with its log."""
        check = check or (lambda: http_ok(self.ready_url))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.running():
                raise StartError(f"{self.name} exited with {self.process.returncode}:\n{tail(self.log, 40)}")
            with contextlib.suppress(requests.RequestException, ValueError):
                if check():
                    return
            time.sleep(poll)
        raise StartError(f"{self.name} not ready at {self.ready_url} after {seconds:.0f} s:\n{tail(self.log, 40)}")

    def stop(self, seconds: float = 20) -> None:
        """SIGTERM (Sanic shuts down cleanly), SIGKILL if it is still there after `seconds`."""
        if self.running():
            self.process.terminate()
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spawn(
    name: str,
    args: Sequence[str],
    url: str,
    ready_url: str,
    log: Optional[Path],
    env: Optional[Mapping[str, str]] = None,
    cwd: Path = ROOT,
    append: bool = False,
) -> Service:
    """Start `args` with the quiet environment plus `env`, output to `log` (None: inherited).

    Each server gets its own session, so a Ctrl-C meant for `make run` reaches
    only the Python that started it, which then stops the servers in order.
    """
    output = log.open("a" if append else "w") if log else None
    try:
        process = subprocess.Popen(
            [str(arg) for arg in args],
            cwd=cwd,
            env=quiet_env(env),
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
        )
    finally:
        if output:
            output.close()  # the child has its own copy
    return Service(name, process, url, ready_url, log)


def stop_all(services: Sequence[Service]) -> None:
    """Stop in reverse start order (Rasa before the action server it calls), all signalled first."""
    for service in reversed(services):
        if service.running():
            service.process.terminate()
    for service in reversed(services):
        service.stop()


# --------------------------------------------------------------------------- action server


def action_server_command(port: int) -> List[str]:
    return [str(RASA), "run", "actions", "--port", str(port), "--actions", "actions"]


def start_action_server(port: int, log: Path, env: Optional[Mapping[str, str]] = None, append: bool = False) -> Service:
    """Our action server on 127.0.0.1:`port` (loopback only: Rasa is its one client); not waited for."""
    url = f"http://127.0.0.1:{port}"
    return spawn(
        "action server",
        action_server_command(port),
        url,
        f"{url}/health",
        log,
        {"SANIC_HOST": "127.0.0.1", **(env or {})},
        append=append,
    )


class SupervisedActionServer:
    """The action server, started again whenever it stops (`make run`), until stop().

    If a start never becomes ready (it refuses a malformed knowledge file),
    supervision ends and `failure` holds why, with the log's last lines.
    """

    def __init__(
        self,
        port: int,
        log: Path,
        env: Optional[Mapping[str, str]] = None,
        ready_seconds: float = 90,
        say: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
    ):
        self.port, self.log, self.env, self.ready_seconds, self.say = port, log, dict(env or {}), ready_seconds, say
        self.failure: Optional[str] = None
        self._current: Optional[Service] = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="action-server-supervisor", daemon=True)

    def start(self) -> "SupervisedActionServer":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("")
        self._thread.start()
        return self

    @property
    def ready(self) -> bool:
        """The first start answered its health check."""
        return self._ready.is_set()

    @property
    def ended(self) -> bool:
        """Supervision is over: stopped, or a start never became ready (`failure` says why)."""
        return self._ended.is_set()

    def _supervise(self) -> None:
        try:
            while not self._stopping.is_set():
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self._current = start_action_server(self.port, self.log, self.env, append=True)
                service = self._current
                try:
                    service.wait_ready(self.ready_seconds, poll=0.5)
                except StartError:
                    if self._stopping.is_set():
                        return
                    service.stop()
                    self.failure = f"The action server did not start:\n{tail(self.log, 20)}"
                    return
                self._ready.set()
                service.process.wait()
                if self._stopping.is_set():
                    return
                notice = f"{time.strftime('%Y-%m-%d %H:%M:%S')} action server stopped; restarting it"
                with self.log.open("a") as log:
                    log.write(notice + "\n")
                self.say(notice)
                self._stopping.wait(1)
        finally:
            self._ended.set()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            if self._current is not None:
                self._current.stop()
        self._thread.join(timeout=30)


# --------------------------------------------------------------------------- Rasa


# The domain's responses in the conversation's language (endpoints.yml's `nlg`).
BILINGUAL_RESPONSES = "addons.language.BilingualResponses"


def write_endpoints(
    path: Path,
    action_url: str,
    tracker_store_url: Optional[str] = None,
    redis_lock_prefix: Optional[str] = None,
    redis_host: str = "127.0.0.1",
    store_type: Optional[str] = None,
) -> Path:
    """An endpoints file: the action server's webhook, an SQL tracker store (None: Rasa's in-memory one)
    and, with `redis_lock_prefix`, the AtomicRedisLockStore that instances sharing the store need.

    `store_type` chooses the SQL store's class: `sql` (default, Rasa's), `caching` or a class path
    (tracker_store_type()), so tests and benchmarks compare them through the same file.
    """
    text = f"action_endpoint:\n  url: {action_url}\n" + f"nlg:\n  type: {BILINGUAL_RESPONSES}\n"
    if tracker_store_url:
        text += f"tracker_store:\n  type: {tracker_store_type(store_type)}\n  url: {tracker_store_url}\n"
    if redis_lock_prefix:
        text += (
            f"lock_store:\n  type: {ATOMIC_REDIS_LOCK_STORE}\n  url: {redis_host}\n  key_prefix: {redis_lock_prefix}\n"
        )
    path.write_text(text)
    return path


def start_rasa(
    port: int,
    endpoints: Path,
    log: Optional[Path],
    model: Path = MODEL,
    credentials: Path = CREDENTIALS,
    cors_origins: Sequence[str] = (),
    extra_args: Sequence[str] = (),
    env: Optional[Mapping[str, str]] = None,
    program: Optional[Sequence[str]] = None,
    cwd: Path = ROOT,
    name: str = "rasa",
) -> Service:
    """A Rasa server on 127.0.0.1:`port` with the REST (and our socket.io) channels; not waited for.

    By default through scripts/rasa_server.py, as `make run`: the HTTP API is on
    only if `env` (or this environment) has RASA_API_TOKEN or RASA_API_TOKEN_FILE,
    never from the command line. `program` replaces it (e.g. plain `rasa run`
    for the benchmark's stock bot).
    """
    url = f"http://127.0.0.1:{port}"
    args = [
        *(program or [str(PYTHON), str(RASA_SERVER)]),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        *extra_args,
    ]
    if cors_origins:
        args += ["--cors", *cors_origins]
    return spawn(name, args, url, f"{url}/", log, env, cwd=cwd)


# --------------------------------------------------------------------------- demo site


def start_site(port: int, directory: Path = WEB, log: Optional[Path] = None) -> Service:
    """The demo advising site (static files, loopback only); not waited for."""
    url = f"http://127.0.0.1:{port}"
    args = [str(PYTHON), "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(directory)]
    return spawn("demo site", args, url, f"{url}/", log or Path(os.devnull))
