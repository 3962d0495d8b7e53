"""`make run` and `make shell`: the assistant for people, on fixed ports, configured by the environment.

run:   the action server (started again if it crashes), Rasa (REST + socket.io, through
       scripts/rasa_server.py) and the demo site; Ctrl-C stops everything.
       With INSTANCES=n (n > 1) or PROXY=1: n Rasa instances on RASA_PORT, RASA_PORT+1, ...
       behind Debian's nginx running the shipped deploy/nginx.conf (cma_stack/proxy.py) on
       https://127.0.0.1:PROXY_PORT, which then also serves the demo site; several instances
       must share PostgreSQL and the Redis lock store (checked before anything starts).
shell: the action server and `rasa shell` in this terminal.

Environment (defaults in brackets): RASA_PORT [5005], ACTIONS_PORT [5055], WEB_PORT [8000],
ACTIONS_LOG [.rasa/actions.log], CORS_ORIGINS [the demo site's two origins, space-separated],
INSTANCES [1], PROXY [1 when INSTANCES > 1], PROXY_PORT [8443], PROXY_HTTP_PORT [8080],
PROXY_CERTIFICATE and PROXY_KEY [a self-signed pair kept in storage/tls], PROXY_DIR [.rasa/nginx:
nginx's configuration, logs and demo pages],
TRACKER_STORE_TYPE [sql: Rasa's SQLTrackerStore; caching: addons.tracker_store.CachingSQLTrackerStore],
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
from typing import Dict, List, Mapping, Optional, Set

from cma_stack.processes import (
    ATOMIC_REDIS_LOCK_STORE,
    MODEL,
    PYTHON,
    RASA_SERVER,
    ROOT,
    SQL_TRACKER_STORE,
    Service,
    StartError,
    SupervisedActionServer,
    port_in_use,
    quiet_env,
    start_rasa,
    start_site,
    stop_all,
    tracker_store_type,
)
from cma_stack.proxy import Proxy, self_signed_certificate, start_nginx
from cma_stack.stack import ensure_postgres_database

DEFAULT_TRACKER_STORE_URL = "sqlite:///storage/conversations.db"  # relative to the repository
SESSION_SECRET_FILE = ROOT / "storage" / "session_secret"
ENDPOINTS = ROOT / "endpoints.yml"
RUN_ENDPOINTS = ROOT / ".rasa" / "endpoints.yml"  # endpoints.yml with another tracker store class
PROXY_DIR = ".rasa/nginx"  # nginx's configuration, logs and demo pages under make run (relative to ROOT)
TLS_DIR = ROOT / "storage" / "tls"  # the self-signed certificate, kept so the browser's exception lasts
SHIPPED_STORE = "tracker_store:\n  type: SQL\n"


@dataclass
class Settings:
    mode: str  # "run" or "shell"
    rasa_port: int
    actions_port: int
    web_port: int
    actions_log: Path
    cors_origins: List[str]
    instances: int = 1
    proxy: bool = False  # nginx in front (always with several instances)
    proxy_port: int = 8443
    proxy_http_port: int = 8080
    certificate: Optional[Path] = None  # None: the self-signed pair in storage/tls
    key: Optional[Path] = None
    store_type: str = SQL_TRACKER_STORE
    proxy_dir: Path = ROOT / PROXY_DIR

    @classmethod
    def from_environment(cls, mode: str, environ: Mapping[str, str] = os.environ) -> "Settings":
        web_port = int(environ.get("WEB_PORT") or 8000)
        instances = int(environ.get("INSTANCES") or 1) if mode == "run" else 1
        proxy = mode == "run" and (instances > 1 or (environ.get("PROXY") or "0") not in ("0", "", "false"))
        proxy_port = int(environ.get("PROXY_PORT") or 8443)
        default_origins = [f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"]
        if proxy:
            default_origins = [f"https://127.0.0.1:{proxy_port}", f"https://localhost:{proxy_port}"]
        certificate, key = environ.get("PROXY_CERTIFICATE"), environ.get("PROXY_KEY")
        return cls(
            mode,
            int(environ.get("RASA_PORT") or 5005),
            int(environ.get("ACTIONS_PORT") or 5055),
            web_port,
            ROOT / (environ.get("ACTIONS_LOG") or ".rasa/actions.log"),
            (environ.get("CORS_ORIGINS") or " ".join(default_origins)).split(),
            instances=instances,
            proxy=proxy,
            proxy_port=proxy_port,
            proxy_http_port=int(environ.get("PROXY_HTTP_PORT") or 8080),
            certificate=Path(certificate) if certificate else None,
            key=Path(key) if key else None,
            store_type=tracker_store_type(environ.get("TRACKER_STORE_TYPE")),
            proxy_dir=ROOT / (environ.get("PROXY_DIR") or PROXY_DIR),
        )

    @property
    def rasa_ports(self) -> List[int]:
        return [self.rasa_port + index for index in range(self.instances)]

    def ports(self) -> List[int]:
        """The ports this mode listens on (`rasa shell` runs a server on RASA_PORT too)."""
        if self.mode != "run":
            return [self.actions_port, self.rasa_port]
        front = [self.proxy_port, self.proxy_http_port] if self.proxy else [self.web_port]
        return [self.actions_port, *self.rasa_ports, *front]


def busy_port_message(settings: Settings) -> Optional[str]:
    for port in settings.ports():
        if port_in_use(port):
            return (
                f"Port {port} is already in use (another 'make run' or 'make shell'?). Stop it, or pick other "
                f"ports:\n  RASA_PORT=5006 ACTIONS_PORT=5056 WEB_PORT=8001 make {settings.mode}"
            )
    return None


def topology_problem(settings: Settings, env: Mapping[str, str]) -> Optional[str]:
    """Why these settings cannot run several instances safely (None: they can).

    Instances must share conversations (PostgreSQL: one SQLite file per machine
    is not what production runs, and the caching store's marker is only safe
    there) and lock them across processes (the atomic Redis lock store).
    """
    if settings.instances < 1:
        return "INSTANCES must be at least 1."
    if settings.instances == 1:
        return None
    example = "  make run INSTANCES=2 TRACKER_STORE_URL=postgresql://postgres@127.0.0.1:5432/cma LOCK_STORE_TYPE=redis"
    if not env["TRACKER_STORE_URL"].startswith("postgresql"):
        return f"INSTANCES={settings.instances} needs a shared PostgreSQL tracker store (TRACKER_STORE_URL):\n{example}"
    if env["LOCK_STORE_TYPE"] != ATOMIC_REDIS_LOCK_STORE:
        return f"INSTANCES={settings.instances} needs the Redis lock store (LOCK_STORE_TYPE=redis):\n{example}"
    return None


def run_endpoints(settings: Settings) -> Path:
    """endpoints.yml, or a copy in .rasa/ naming another tracker store class (TRACKER_STORE_TYPE)."""
    if settings.store_type == SQL_TRACKER_STORE:
        return ENDPOINTS
    text = ENDPOINTS.read_text()
    if text.count(SHIPPED_STORE) != 1:
        raise StartError(f"{ENDPOINTS.name} no longer has {SHIPPED_STORE!r}: cannot set TRACKER_STORE_TYPE")
    header = "# Written by `make run` (cma_stack/serve.py) from endpoints.yml for TRACKER_STORE_TYPE: edit that file.\n"
    RUN_ENDPOINTS.write_text(header + text.replace(SHIPPED_STORE, f"tracker_store:\n  type: {settings.store_type}\n"))
    return RUN_ENDPOINTS


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
    if settings.proxy and not environ.get("SANIC_PROXIES_COUNT"):
        env["SANIC_PROXIES_COUNT"] = "1"  # the student's address from nginx's X-Forwarded-For (per-address limits)
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


def _start_proxy(settings: Settings) -> Proxy:
    """nginx with the shipped configuration in front of the instances, serving the demo site."""
    certificate, key = settings.certificate, settings.key
    if certificate is None or key is None:
        certificate, key = TLS_DIR / "fullchain.pem", TLS_DIR / "privkey.pem"
        if not certificate.exists() or not key.exists():
            self_signed_certificate(TLS_DIR, days=365)
    return start_nginx(
        settings.proxy_dir,
        settings.rasa_ports,
        settings.proxy_port,
        settings.proxy_http_port,
        certificate=certificate,
        key=key,
        extra_origins=settings.cors_origins,
    )


def run(settings: Settings, env: Dict[str, str], stopping: threading.Event) -> int:
    actions = SupervisedActionServer(settings.actions_port, settings.actions_log, env).start()
    services: List[Service] = []
    proxy: Optional[Proxy] = None
    try:
        if not _actions_ready(actions, stopping):
            return 0 if stopping.is_set() else 1
        endpoints = run_endpoints(settings)
        # One instance: Rasa's output goes to this terminal. Several: each to its own log. The HTTP API
        # stays off unless the environment has a token.
        instances: List[Service] = []
        for index, port in enumerate(settings.rasa_ports):
            log = None if settings.instances == 1 else ROOT / ".rasa" / f"rasa{index + 1}.log"
            name = "rasa" if index == 0 else f"rasa{index + 1}"
            instances.append(start_rasa(port, endpoints, log, cors_origins=settings.cors_origins, env=env, name=name))
        services.extend(instances)
        if settings.proxy:
            proxy = _start_proxy(settings)
        else:
            services.append(start_site(settings.web_port))
        _say_where(settings, instances)
        reported: Set[str] = set()
        while not stopping.wait(0.5):
            stopped = [service.name for service in instances if not service.running()]
            if actions.ended or len(stopped) == len(instances) or (stopped and settings.instances == 1):
                if actions.failure:
                    print(actions.failure, file=sys.stderr)
                print(
                    f"A server stopped; shutting down the others (logs: {settings.actions_log} and the output above).",
                    file=sys.stderr,
                )
                return 1
            if proxy is not None and not proxy.running():
                print(f"nginx stopped; shutting down (log: {proxy.error_log}).", file=sys.stderr)
                return 1
            if not all(service.running() for service in services if service not in instances):
                print("The demo site stopped; shutting down the others.", file=sys.stderr)
                return 1
            for name in set(stopped) - reported:  # several instances: nginx sends new requests to the others
                print(f"{name} stopped; nginx sends its students to the other instances.", file=sys.stderr)
                reported.add(name)
        return 0
    finally:
        if proxy is not None:
            proxy.stop()
        stop_all(services)
        actions.stop()


def _say_where(settings: Settings, instances: List[Service]) -> None:
    rasa = ", ".join(service.url for service in instances)
    if settings.instances == 1:
        print(f"Rasa server:   {rasa}  (REST: /webhooks/rest/webhook, socket.io)")
    else:
        print(f"Rasa servers:  {rasa}  (REST, directly; logs: .rasa/rasa1.log ...)")
    print(f"Action server: http://127.0.0.1:{settings.actions_port}  (log: {settings.actions_log})")
    if settings.proxy:
        print(
            f"nginx:         https://127.0.0.1:{settings.proxy_port}/  (deploy/nginx.conf: the demo site and "
            f"socket.io, sticky by client address; logs: {settings.proxy_dir})"
        )
        if settings.certificate is None:
            print(f"               self-signed certificate ({TLS_DIR.relative_to(ROOT)}): accept the browser's warning")
    else:
        print(f"Demo site:     http://127.0.0.1:{settings.web_port}/  (the chat widget is in the corner)")
    print("Press Ctrl-C to stop.", flush=True)


def shell(settings: Settings, env: Dict[str, str], stopping: threading.Event) -> int:
    actions = SupervisedActionServer(settings.actions_port, settings.actions_log, env).start()
    try:
        if not _actions_ready(actions, stopping):
            return 0 if stopping.is_set() else 1
        print("Starting the chat (type /stop to quit)...", flush=True)
        # In this terminal's process group: it reads the keyboard and gets Ctrl-C itself. Through
        # scripts/rasa_server.py, which hides the deprecation warnings Rasa's dependencies print.
        endpoints = run_endpoints(settings)
        args = ["shell", "--model", str(MODEL), "--endpoints", str(endpoints), "--port", str(settings.rasa_port)]
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
    problem = topology_problem(settings, env)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if settings.instances > 1:
        ensure_postgres_database(env["TRACKER_STORE_URL"])
    stopping = _stop_on_signals()
    return (run if mode == "run" else shell)(settings, env, stopping)
