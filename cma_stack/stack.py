"""The whole assistant on free loopback ports, for tests and measurements.

The action server, one or more Rasa servers and, with `proxy=True`, Debian's
nginx with the shipped deploy/nginx.conf in front of them (cma_stack/proxy.py):
the production topology on one machine, the same code as `make run INSTANCES=n`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import requests

from cma_stack.processes import MODEL, Service, free_port, start_action_server, start_rasa, stop_all, write_endpoints
from cma_stack.proxy import Proxy, start_nginx

ACTIONS_READY_SECONDS = 90
RASA_READY_SECONDS = 240  # loading the model on a busy 2-core machine


@dataclass
class Stack:
    """A running stack: where to reach it, its services (start order) and their logs in `workdir`."""

    rasa_url: str  # the first Rasa instance
    action_url: str
    workdir: Path
    api_token: Optional[str] = None
    rasa_urls: List[str] = field(default_factory=list)  # every Rasa instance
    services: List[Service] = field(default_factory=list)
    proxy: Optional[Proxy] = None  # nginx in front of the instances (running_stack(proxy=True))

    @property
    def proxy_url(self) -> str:
        """Where students' browsers connect (socket.io and the demo pages); needs `proxy=True`."""
        if self.proxy is None:
            raise RuntimeError("this stack runs without nginx: running_stack(proxy=True)")
        return self.proxy.origin

    @property
    def rasa_services(self) -> List[Service]:
        """The Rasa instances in start order ("rasa", "rasa2", ...)."""
        return [service for service in self.services if service.name.startswith("rasa")]

    @property
    def processes(self) -> List[subprocess.Popen]:
        """Every process in start order: the action server (if any) first."""
        return [service.process for service in self.services]

    @property
    def rasa_processes(self) -> List[subprocess.Popen]:
        return [service.process for service in self.rasa_services]

    def stop(self) -> None:
        """nginx first (its clients see the proxy go, not half an instance), then the servers."""
        if self.proxy is not None:
            self.proxy.stop()
        stop_all(self.services)

    def log(self, name: str) -> str:
        """The output of "actions", "rasa", "rasa2", ..."""
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def send(
        self,
        sender: str,
        message: str,
        timeout: float = 30,
        url: Optional[str] = None,
        metadata: Optional[dict] = None,
    ) -> List[dict]:
        """One user message over the REST channel (of `url`, default the first instance), with `metadata`
        as a page sends it (e.g. {"language": "es"})."""
        body = {"sender": sender, "message": message, **({"metadata": metadata} if metadata else {})}
        response = requests.post(f"{url or self.rasa_url}/webhooks/rest/webhook", json=body, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str, url: Optional[str] = None) -> dict:
        """The stored conversation, through Rasa's HTTP API of `url` (default: the first instance; needs a token)."""
        response = requests.get(
            f"{url or self.rasa_url}/conversations/{sender}/tracker", params={"token": self.api_token}, timeout=30
        )
        response.raise_for_status()
        return response.json()


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
    store_type: Optional[str] = None,
    proxy: bool = False,
    model: Path = MODEL,
) -> Iterator[Stack]:
    """Action server and Rasa server(s) (REST + socket.io) with the trained model, stopped on exit.

    With `with_actions=False` no action server runs and Rasa points at a closed
    port: the "action server is down" case. Conversations go to
    `tracker_store_url` (an SQLAlchemy URL), by default a fresh SQLite file.
    The HTTP API is on, behind `api_token` (None: API off, as in `make run`).
    `rasa_instances` > 1 starts several Rasa servers sharing the tracker store;
    give them `redis_lock_prefix` to lock conversations through the local Redis.
    `action_endpoint` points Rasa at another action server (implies no own one).
    `store_type` names the tracker store class (`sql`, `caching` or a class
    path: processes.tracker_store_type). `proxy=True` puts nginx with the
    shipped configuration in front of the instances (`Stack.proxy_url`; its
    page origin is also allowed by Rasa's CORS) and tells Rasa to trust one
    proxy for client addresses, as in production.
    """
    if not model.exists():
        raise RuntimeError(f"{model} is missing: run `make train` first")
    # Tests and benchmarks send from one address as fast as they can: rates off
    # unless `env` turns them on (tests/test_limits.py). One secret for all instances.
    env = {"RATE_LIMITS": "off", "SESSION_SECRET": os.urandom(32).hex(), **(env or {})}
    workdir = Path(tempfile.mkdtemp(prefix="cma-stack-"))
    action_port = free_port()
    rasa_ports = [free_port() for _ in range(rasa_instances)]
    proxy_ports = (free_port(), free_port()) if proxy else None
    if proxy_ports:
        workdir.chmod(0o711)  # nginx's workers (an unprivileged user under root) reach its folder inside
        cors_origins = [*cors_origins, f"https://127.0.0.1:{proxy_ports[0]}"]
    stack = Stack(
        f"http://127.0.0.1:{rasa_ports[0]}",
        f"http://127.0.0.1:{action_port}",
        workdir,
        api_token=api_token,
        rasa_urls=[f"http://127.0.0.1:{port}" for port in rasa_ports],
    )
    endpoints = write_endpoints(
        workdir / "endpoints.yml",
        action_endpoint or f"{stack.action_url}/webhook",
        tracker_store_url or f"sqlite:///{workdir / 'conversations.db'}",
        redis_lock_prefix,
        store_type=store_type,
    )
    try:
        if with_actions and not action_endpoint:
            actions = start_action_server(action_port, workdir / "actions.log", env)
            stack.services.append(actions)
            actions.wait_ready(ACTIONS_READY_SECONDS)
        # The token reaches scripts/rasa_server.py through the environment, never the command line.
        rasa_env = {**env, "RASA_API_TOKEN": api_token or ""}
        if proxy_ports:  # client addresses from nginx's X-Forwarded-For (the per-address limits), as deployed
            rasa_env.setdefault("SANIC_PROXIES_COUNT", "1")
        for index, port in enumerate(rasa_ports):
            name = "rasa" if index == 0 else f"rasa{index + 1}"
            stack.services.append(
                start_rasa(
                    port,
                    endpoints,
                    workdir / f"{name}.log",
                    model=model,
                    cors_origins=cors_origins,
                    extra_args=extra_args,
                    env=rasa_env,
                    name=name,
                )
            )
        for service in stack.rasa_services:
            service.wait_ready(RASA_READY_SECONDS)
        if proxy_ports:
            stack.proxy = start_nginx(workdir / "nginx", rasa_ports, *proxy_ports)
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


def ensure_postgres_database(url: str) -> None:
    """Create the database `url` names on its PostgreSQL server if it does not exist yet (`make run INSTANCES=n`).

    Rasa's SQL tracker store creates its tables but not the database; the
    server's `postgres` database is used to create it, as the user in `url`.
    """
    import psycopg2
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    if not parts.drivername.startswith("postgresql") or not parts.database:
        return
    login = {"host": parts.host or "127.0.0.1", "port": parts.port or 5432, "user": parts.username}
    if parts.password:
        login["password"] = parts.password
    admin = psycopg2.connect(dbname="postgres", **login)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parts.database,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{parts.database}"')
    finally:
        admin.close()
