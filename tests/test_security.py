"""The HTTP API is off unless asked for, needs its token when on, and logs keep no message text."""

from __future__ import annotations

import uuid

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
    from tests.stack import running_stack

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
