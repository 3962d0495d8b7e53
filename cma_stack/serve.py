"""`make run` and `make shell`: the assistant for people, on fixed ports, configured by the environment.

run:   the action server (started again if it crashes), Rasa (REST + socket.io, through
       scripts/rasa_server.py) and the demo site; Ctrl-C stops everything.
shell: the action server and `rasa shell` in this terminal.

Environment (defaults in brackets): RASA_PORT [5005], ACTIONS_PORT [5055], WEB_PORT [8000],
ACTIONS_LOG [.rasa/actions.log], CORS_ORIGINS [the demo site's two origins, space-separated],
and what endpoints.yml reads: ACTION_SERVER_URL, TRACKER_STORE_URL
[sqlite:///storage/conversations.db], LOCK_STORE_TYPE [in_memory; `redis` means the
AtomicRedisLockStore], REDIS_HOST [127.0.0.1]. SESSION_SECRET or SESSION_SECRET_FILE signs the
widget's session ids [a secret kept in storage/session_secret]. RASA_API_TOKEN or
RASA_API_TOKEN_FILE turns Rasa's HTTP API on (scripts/rasa_server.py reads it there).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from cma_stack.processes import (
    ATOMIC_REDIS_LOCK_STORE,
    MODEL,
    PYTHON,
    RASA_SERVER,
    ROOT,
    Service,
    SupervisedActionServer,
    port_in_use,
    quiet_env,
    start_rasa,
    start_site,
    stop_all,
)

DEFAULT_TRACKER_STORE_URL = "sqlite:///storage/conversations.db"  # relative to the repository
SESSION_SECRET_FILE = ROOT / "storage" / "session_secret"
ENDPOINTS = ROOT / "endpoints.yml"


@dataclass
class Settings:
    mode: str  # "run" or "shell"
    rasa_port: int
    actions_port: int
    web_port: int
    actions_log: Path
    cors_origins: List[str]

    @classmethod
    def from_environment(cls, mode: str, environ: Mapping[str, str] = os.environ) -> "Settings":
        web_port = int(environ.get("WEB_PORT") or 8000)
        origins = environ.get("CORS_ORIGINS") or f"http://127.0.0.1:{web_port} http://localhost:{web_port}"
        return cls(
            mode,
            int(environ.get("RASA_PORT") or 5005),
            int(environ.get("ACTIONS_PORT") or 5055),
            web_port,
            ROOT / (environ.get("ACTIONS_LOG") or ".rasa/actions.log"),
            origins.split(),
        )

    def ports(self) -> List[int]:
        """The ports this mode listens on (`rasa shell` runs a server on RASA_PORT too)."""
        return [self.actions_port, self.rasa_port] + ([self.web_port] if self.mode == "run" else [])


def busy_port_message(settings: Settings) -> Optional[str]:
    for port in settings.ports():
        if port_in_use(port):
            return (
                f"Port {port} is already in use (another 'make run' or 'make shell'?). Stop it, or pick other "
                f"ports:\n  RASA_PORT=5006 ACTIONS_PORT=5056 WEB_PORT=8001 make {settings.mode}"
            )
    return None


def server_environment(settings: Settings, environ: Mapping[str, str] = os.environ) -> Dict[str, str]:
    """What endpoints.yml and the channels read, defaults filled in; creates the kept session secret if needed."""
    lock_store = environ.get("LOCK_STORE_TYPE") or "in_memory"
    env = {
        "ACTION_SERVER_URL": environ.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{settings.actions_port}/webhook",
        "TRACKER_STORE_URL": environ.get("TRACKER_STORE_URL") or DEFAULT_TRACKER_STORE_URL,
        # Rasa's own Redis lock store is not safe across instances (endpoints.yml).
        "LOCK_STORE_TYPE": ATOMIC_REDIS_LOCK_STORE if lock_store == "redis" else lock_store,
        "REDIS_HOST": environ.get("REDIS_HOST") or "127.0.0.1",
    }
    # Signs the widget's session ids (addons/channels.py); kept so that a restart does not start
    # every student's conversation anew.
    if not environ.get("SESSION_SECRET") and not environ.get("SESSION_SECRET_FILE"):
        if not SESSION_SECRET_FILE.exists() or SESSION_SECRET_FILE.stat().st_size == 0:
            descriptor = os.open(SESSION_SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as secret:
                secret.write(secrets.token_hex(32) + "\n")
        env["SESSION_SECRET_FILE"] = str(SESSION_SECRET_FILE)
    return env


def _stop_on_signals() -> threading.Event:
    """Ctrl-C or SIGTERM sets the event; the main loop then stops everything in order."""
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    return stopping


def _actions_ready(actions: SupervisedActionServer, stopping: threading.Event) -> bool:
    while not actions.ready:
        if actions.ended:
            print(actions.failure, file=sys.stderr)
            return False
        if stopping.wait(0.5):
            return False
    return True


def run(settings: Settings, env: Dict[str, str], stopping: threading.Event) -> int:
    actions = SupervisedActionServer(settings.actions_port, settings.actions_log, env).start()
    services: List[Service] = []
    try:
        if not _actions_ready(actions, stopping):
            return 0 if stopping.is_set() else 1
        # Rasa's output goes to this terminal; the HTTP API stays off unless the environment has a token.
        services.append(start_rasa(settings.rasa_port, ENDPOINTS, None, cors_origins=settings.cors_origins, env=env))
        services.append(start_site(settings.web_port))
        print(f"Rasa server:   http://127.0.0.1:{settings.rasa_port}  (REST: /webhooks/rest/webhook, socket.io)")
        print(f"Action server: http://127.0.0.1:{settings.actions_port}  (log: {settings.actions_log})")
        print(f"Demo site:     http://127.0.0.1:{settings.web_port}/  (the chat widget is in the corner)")
        print("Press Ctrl-C to stop.", flush=True)
        while not stopping.wait(0.5):
            if actions.ended or not all(service.running() for service in services):
                if actions.failure:
                    print(actions.failure, file=sys.stderr)
                print(
                    f"A server stopped; shutting down the others (logs: {settings.actions_log} and the output above).",
                    file=sys.stderr,
                )
                return 1
        return 0
    finally:
        stop_all(services)
        actions.stop()


def shell(settings: Settings, env: Dict[str, str], stopping: threading.Event) -> int:
    actions = SupervisedActionServer(settings.actions_port, settings.actions_log, env).start()
    try:
        if not _actions_ready(actions, stopping):
            return 0 if stopping.is_set() else 1
        print("Starting the chat (type /stop to quit)...", flush=True)
        # In this terminal's process group: it reads the keyboard and gets Ctrl-C itself. Through
        # scripts/rasa_server.py, which hides the deprecation warnings Rasa's dependencies print.
        args = ["shell", "--model", str(MODEL), "--endpoints", str(ENDPOINTS), "--port", str(settings.rasa_port)]
        chat = subprocess.Popen([str(PYTHON), str(RASA_SERVER), *args], cwd=ROOT, env=quiet_env(env))
        while chat.poll() is None:
            if stopping.wait(0.5):
                try:
                    chat.wait(timeout=5)  # Ctrl-C reached it too
                except subprocess.TimeoutExpired:
                    chat.terminate()  # SIGTERM reached only us
                    chat.wait()
        return 0
    finally:
        actions.stop()


def main(mode: str) -> int:
    settings = Settings.from_environment(mode)
    busy = busy_port_message(settings)
    if busy:
        print(busy, file=sys.stderr)
        return 1
    if not MODEL.exists():
        print(f"{MODEL.relative_to(ROOT)} is missing: run `make train` first.", file=sys.stderr)
        return 1
    for folder in (ROOT / ".rasa", ROOT / "storage"):
        folder.mkdir(exist_ok=True)
    env = server_environment(settings)
    stopping = _stop_on_signals()
    return (run if mode == "run" else shell)(settings, env, stopping)
