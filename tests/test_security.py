"""The HTTP API is off unless asked for, needs its token when on, and logs keep no message text."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.stack


def test_api_refuses_requests_without_the_token(stack):
    sender = f"sec-{uuid.uuid4()}"
    stack.send(sender, "how much do cmas make")
    base = stack.rasa_url
    attempts = [
        ("get", f"{base}/conversations/{sender}/tracker", {}),
        ("get", f"{base}/conversations/{sender}/story", {}),
        ("post", f"{base}/conversations/{sender}/execute", {"json": {"name": "action_answer_pay"}}),
        ("post", f"{base}/conversations/{sender}/trigger_intent", {"json": {"name": "ask_pay"}}),
        ("put", f"{base}/model", {"json": {"model_file": "/tmp/evil.tar.gz"}}),
        ("delete", f"{base}/model", {}),
        ("get", f"{base}/status", {}),
    ]
    for method, url, kwargs in attempts:
        for token in (None, "wrong-token"):
            params = {"token": token} if token else {}
            response = requests.request(method, url, params=params, timeout=30, **kwargs)
            assert response.status_code in (401, 403), f"{method.upper()} {url} with {token!r}: {response.status_code}"
    # The right token works, so the refusals above are about the token, not a broken route.
    assert stack.tracker(sender)["sender_id"] == sender


def test_api_is_off_without_a_token():
    from cma_stack import running_stack

    with running_stack(api_token=None) as no_api:
        sender = f"sec-{uuid.uuid4()}"
        assert no_api.send(sender, "hello")
        response = requests.get(f"{no_api.rasa_url}/conversations/{sender}/tracker", timeout=30)
        assert response.status_code == 404
        response = requests.put(f"{no_api.rasa_url}/model", json={"model_file": "x"}, timeout=30)
        assert response.status_code in (404, 405)


def test_logs_contain_no_message_text(stack):
    secret = f"my name is zelda{uuid.uuid4().hex[:8]} and my phone is 5550142"
    stack.send(f"sec-{uuid.uuid4()}", secret)
    stack.send(f"sec-{uuid.uuid4()}", f"how much do cmas make, zelda{uuid.uuid4().hex[:8]}")
    logs = stack.log("rasa") + stack.log("actions")
    assert "zelda" not in logs and "5550142" not in logs


@pytest.mark.redis  # the failure path is a lock Rasa cannot read
def test_no_message_text_in_logs_at_debug_level_nor_on_failure_paths():
    """Rasa at --debug logs every message; its REST failure path logs the text at ERROR. None of it may show."""
    import redis
    from rasa.core.lock_store import DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX

    from cma_stack import running_stack
    from tests.helpers import SocketClient

    marker = f"quetzal{uuid.uuid4().hex[:8]}"
    prefix = f"sec{uuid.uuid4().hex[:8]}"
    with running_stack(extra_args=["--debug"], redis_lock_prefix=prefix) as stack:
        stack.send(f"sec-{uuid.uuid4()}", f"my name is {marker} how much do cmas make")
        stack.send(f"sec-{uuid.uuid4()}", f'/ask_pay{{"location": "{marker}"}}')  # a typed payload
        stack.send(f"sec-{uuid.uuid4()}", f'/ask_pay{{"location": "{marker}')  # a broken one
        stack.send(f"sec-{uuid.uuid4()}", f"{marker} " * 200)  # over the length limit
        client = SocketClient(stack.rasa_url)
        try:
            client.ask(f"hi, {marker} here, what is a cma")
        finally:
            client.close()
        # The failure path: the conversation's lock is unreadable, so handling the message raises.
        broken = f"sec-{uuid.uuid4()}"
        redis.Redis(host="127.0.0.1", db=1).set(f"{prefix}:{DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX}{broken}", "not a lock")
        assert stack.send(broken, f"what about {marker} and the exam") == []
        logs = stack.log("rasa") + stack.log("actions")
    assert "rest.message.received.failure" in logs  # the failure path really ran ...
    assert '"parse_data_text": "[message text]"' in logs  # ... and so did Rasa's debug logging of messages
    assert marker not in logs


def test_the_api_token_is_not_on_any_command_line(stack):
    """`ps` shows every process's arguments to every user of the machine."""
    assert stack.api_token
    for process in stack.rasa_processes:
        arguments = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
        assert "scripts/rasa_server.py" in arguments
        assert stack.api_token not in arguments
    assert stack.tracker(f"sec-{uuid.uuid4()}")  # the API is on, with the token from the environment
