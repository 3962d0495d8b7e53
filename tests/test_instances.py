"""Two Rasa instances behind Debian's nginx with the shipped deploy/nginx.conf, as `make run INSTANCES=2` runs them.

The production topology on one machine, started by cma_stack (the same code as
`make run` and the benchmark): one action server, two Rasa instances sharing a
throwaway PostgreSQL database through the caching tracker store and locking
conversations in Redis, nginx in front. Students come over socket.io through
nginx, each from its own loopback /24 (nginx's `ip_hash` keys on the first three
octets), by long-polling as the widget starts (several requests that must all
reach one instance) and by WebSocket as it continues; scripts come over REST
directly to each instance. Which instance answered what is read from nginx's
access log (`$upstream_addr`). Nothing is mocked.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

import pytest
import requests

from bench.load import SocketConversation, client_address
from cma_stack import (
    PYTHON,
    ROOT,
    Stack,
    free_port,
    port_in_use,
    postgres_database,
    quiet_env,
    running_stack,
    self_signed_certificate,
)
from tests.helpers import SocketClient, reply_text, run_coroutine

pytestmark = [
    pytest.mark.stack,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),  # the throwaway certificate
]

RMA = ("tell me about the RMA", "American Medical Technologists")
RMA_OFFERED_BY = ("who offers it?", "americanmedtech.org")
CCMA = ("tell me about the CCMA", "National Healthcareer Association")
CCMA_OFFERED_BY = ("who offers it?", "nhanow.com")
PAY = ("how much do CMAs make?", "$20.76")
FEEDBACK_PROMPT = "Was this helpful?"


@pytest.fixture(scope="module")
def instances() -> Iterator[Stack]:
    with (
        postgres_database() as url,
        running_stack(
            tracker_store_url=url,
            rasa_instances=2,
            redis_lock_prefix=f"cmainstances{uuid.uuid4().hex[:8]}",
            store_type="caching",
            proxy=True,
        ) as stack,
    ):
        for rasa_url in stack.rasa_urls:  # the first reply of each instance loads its models
            stack.send(f"warm-up-{uuid.uuid4()}", "/greet", timeout=120, url=rasa_url)
        yield stack


def _instance(stack: Stack, upstream: str) -> str:
    """nginx's "127.0.0.1:port" of an instance -> its REST URL."""
    url = f"http://{upstream}"
    assert url in stack.rasa_urls, (upstream, stack.rasa_urls)
    return url


def _served_by(stack: Stack, address: str) -> str:
    """The one instance nginx sent `address`'s requests to (sticky: exactly one)."""
    assert stack.proxy is not None
    upstreams = stack.proxy.upstreams().get(address, set())
    assert len(upstreams) == 1, f"{address} was answered by {upstreams}"
    return _instance(stack, next(iter(upstreams)))


def _polling_student(stack: Stack, address: str, turns: Sequence[Tuple[str, str]]) -> List[str]:
    """A widget session that stays on long-polling (no upgrade): every request must reach the same instance."""
    client = SocketClient(stack.proxy_url, headers={"Origin": stack.proxy_url}, address=address)
    try:
        answers = []
        for message, expected in turns:
            text = reply_text(client.ask(message))
            assert expected in text, f"{address}: {message!r} -> {text!r}"
            answers.append(text)
        return answers
    finally:
        client.close()


async def _websocket_turns(
    stack: Stack, address: str, turns: Sequence[Tuple[str, str]], session_id: str | None = None
) -> str:
    """A widget session over WebSocket through the stack's nginx; the conversation's id (to continue it later)."""
    return await _websocket_turns_at(stack.proxy_url, address, turns, session_id)


async def _websocket_turns_at(
    origin: str, address: str, turns: Sequence[Tuple[str, str]], session_id: str | None = None
) -> str:
    client = SocketConversation(origin, address)
    confirmed = await client.connect(session_id)
    try:
        for message, expected in turns:
            text = reply_text(await client.ask(message, quiet=1.5))
            assert expected in text, f"{address}: {message!r} -> {text!r}"
        return confirmed
    finally:
        await client.close()


def _stored_turns(stack: Stack, sender: str, url: str | None = None) -> Tuple[List[str], int]:
    """The user messages stored for `sender` (in order) and how many answers, feedback prompts left out."""
    events = stack.tracker(sender, url)["events"]
    users = [event["text"] for event in events if event["event"] == "user"]
    answers = [e for e in events if e["event"] == "bot" and e.get("text") != FEEDBACK_PROMPT]
    return users, len(answers)


def test_socket_io_through_nginx_is_sticky_per_student_and_spread_over_both_instances(instances: Stack) -> None:
    addresses = [client_address(index) for index in range(8)]
    with ThreadPoolExecutor(max_workers=len(addresses)) as pool:
        list(pool.map(lambda address: _polling_student(instances, address, [RMA, RMA_OFFERED_BY]), addresses))
    served: Dict[str, str] = {address: _served_by(instances, address) for address in addresses}
    # Long-polling makes several requests per session (handshake, namespace, posts, polls): all on one instance.
    assert set(served.values()) == set(instances.rasa_urls), f"one instance got every student: {served}"


def test_one_conversation_alternating_instances_keeps_its_context(instances: Stack) -> None:
    """The caching store of each instance notices what the other one wrote, over socket.io and REST.

    The student's WebSocket stays on instance A (nginx); a script continues the
    same conversation on instance B over REST and changes its subject; A must
    answer about the new subject, which only a fresh read of B's events gives.
    """
    address = client_address(40)
    session_id = run_coroutine(_websocket_turns(instances, address, [RMA]))
    mine = _served_by(instances, address)
    other = next(url for url in instances.rasa_urls if url != mine)
    assert CCMA[1] in reply_text(instances.send(session_id, CCMA[0], url=other))
    run_coroutine(_websocket_turns(instances, address, [CCMA_OFFERED_BY], session_id))
    assert _served_by(instances, address) == mine
    # Back and forth over REST on the one conversation id, each turn on the other instance.
    turns = [RMA, RMA_OFFERED_BY, PAY, CCMA, CCMA_OFFERED_BY]
    for index, (message, expected) in enumerate(turns):
        url = (mine, other)[index % 2]
        text = reply_text(instances.send(session_id, message, url=url))
        assert expected in text, f"{url}: {message!r} -> {text!r}"
    users, answers = _stored_turns(instances, session_id)
    sent = [RMA[0], CCMA[0], CCMA_OFFERED_BY[0], *(message for message, _ in turns)]
    assert users == sent
    assert answers == len(sent)


def test_killing_one_instance_lets_new_conversations_continue_on_the_other(instances: Stack) -> None:
    addresses = [client_address(index) for index in range(60, 68)]
    conversations: Dict[str, str] = {}

    async def start_all() -> None:
        for address in addresses:
            conversations[address] = await _websocket_turns(instances, address, [RMA])

    run_coroutine(start_all())
    served = {address: _served_by(instances, address) for address in addresses}
    assert set(served.values()) == set(instances.rasa_urls), served
    victim_url = served[addresses[0]]
    survivor_url = next(url for url in instances.rasa_urls if url != victim_url)
    victim = next(service for service in instances.rasa_services if service.url == victim_url)
    victim.process.kill()  # no clean shutdown: a crash
    victim.process.wait(timeout=30)
    orphaned = [address for address in addresses if served[address] == victim_url]

    async def after_the_crash() -> None:
        for address in orphaned:
            # A new conversation from a student whose instance is gone ...
            await _websocket_turns(instances, address, [PAY])
            # ... and the old one, continued under its signed id with its context (the shared store and secret).
            await _websocket_turns(instances, address, [RMA_OFFERED_BY], conversations[address])

    run_coroutine(after_the_crash())
    assert instances.proxy is not None
    for address in orphaned:
        assert instances.proxy.upstreams()[address] == {victim_url[len("http://") :], survivor_url[len("http://") :]}
        users, answers = _stored_turns(instances, conversations[address], survivor_url)
        assert users == [RMA[0], RMA_OFFERED_BY[0]] and answers == 2
    assert PAY[1] in reply_text(instances.send(f"after-crash-{uuid.uuid4()}", PAY[0], url=survivor_url))


# --------------------------------------------------------------------------- the one command: make run INSTANCES=2

SERVE = [str(PYTHON), "-m", "cma_stack", "run"]


def _wait_for(check: Callable[[], bool], seconds: float, what: str, serve: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert serve.poll() is None, f"make run exited: {log.read_text(errors='replace')[-3000:]}"
        with contextlib.suppress(requests.RequestException):
            if check():
                return
        time.sleep(0.5)
    raise TimeoutError(f"{what}: {log.read_text(errors='replace')[-3000:]}")


def test_make_run_refuses_several_instances_without_shared_stores(tmp_path: Path) -> None:
    """SQLite and in-process locks cannot be shared safely: said before anything starts."""
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "PROXY_PORT": free_port()}
    env = quiet_env({**{k: str(v) for k, v in ports.items()}, "INSTANCES": "2", "SESSION_SECRET": "s" * 64})
    env.pop("TRACKER_STORE_URL", None)
    env.pop("LOCK_STORE_TYPE", None)
    refused = subprocess.run(SERVE, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "PostgreSQL" in refused.stderr, refused.stderr
    env["TRACKER_STORE_URL"] = "postgresql://postgres@127.0.0.1:5432/not_used"
    refused = subprocess.run(SERVE, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "LOCK_STORE_TYPE=redis" in refused.stderr, refused.stderr
    assert not any(port_in_use(port) for port in ports.values())


def test_make_run_with_two_instances_serves_students_through_nginx(tmp_path: Path) -> None:
    """`make run INSTANCES=2 TRACKER_STORE_URL=postgresql://... LOCK_STORE_TYPE=redis`, on free ports."""
    database = f"cma_run_{uuid.uuid4().hex[:10]}"
    rasa_port = free_port()
    while port_in_use(rasa_port + 1):
        rasa_port = free_port()
    proxy_port = free_port()
    certificate, key = self_signed_certificate(tmp_path / "tls")
    # Under /tmp itself: nginx's workers (an unprivileged user under root) cannot enter pytest's 0700 folders.
    proxy_dir = Path(tempfile.mkdtemp(prefix="cma-run-nginx-"))
    env = quiet_env(
        {
            "INSTANCES": "2",
            "TRACKER_STORE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",  # created by make run
            "LOCK_STORE_TYPE": "redis",
            "TRACKER_STORE_TYPE": "caching",
            "RASA_PORT": str(rasa_port),
            "ACTIONS_PORT": str(free_port()),
            "PROXY_PORT": str(proxy_port),
            "PROXY_HTTP_PORT": str(free_port()),
            "PROXY_CERTIFICATE": str(certificate),
            "PROXY_KEY": str(key),
            "PROXY_DIR": str(proxy_dir),
            "ACTIONS_LOG": str(tmp_path / "actions.log"),
            "SESSION_SECRET": uuid.uuid4().hex * 2,
        }
    )
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        serve = subprocess.Popen(
            SERVE, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    instances = [f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{rasa_port + 1}"]
    origin = f"https://127.0.0.1:{proxy_port}"
    try:
        for url in instances:
            _wait_for(lambda url=url: requests.get(url, timeout=2).ok, 240, f"{url} did not start", serve, log)
            reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": url, "message": PAY[0]}, timeout=60)
            assert PAY[1] in reply_text(reply.json())
        page = requests.get(f"{origin}/index.html", verify=False, timeout=10)
        assert page.ok and origin in page.text, "the demo page should talk to nginx's origin"

        async def students() -> None:
            for index in range(4):
                await _websocket_turns_at(origin, client_address(index), [RMA, RMA_OFFERED_BY])

        run_coroutine(students())
        access = (proxy_dir / "access.log").read_text()
        assert {f"127.0.0.1:{rasa_port}", f"127.0.0.1:{rasa_port + 1}"} <= set(access.split()), access
    finally:
        os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C
        serve.wait(timeout=60)
        _drop(database)
        shutil.rmtree(proxy_dir, ignore_errors=True)
    assert serve.returncode == 0, log.read_text(errors="replace")[-3000:]
    assert not port_in_use(proxy_port) and not any(port_in_use(rasa_port + i) for i in (0, 1))


def _drop(database: str) -> None:
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.close()
