"""Bad input over REST gets a clear answer or a 4xx, never a crash, and other students keep being served."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
import requests

from tests.helpers import reply_text

pytestmark = pytest.mark.stack


def _post_raw(stack, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": content_type}, timeout=60
    )


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   \t  ",
        "hello\x00\x07\x1b[31m there",
        "<script>alert('x')</script> how much do cmas make",
        '/ask_pay{"location": "' + "x" * 100_000 + '"}',
        '/no_such_intent{"credential": "RMA"}',
        '/ask_credential_details{"credential": "<img src=x onerror=alert(1)>"}',
        '/ask_pay{"credential": ',
        "😀" * 3000,
    ],
    ids=[
        "empty",
        "whitespace",
        "control-chars",
        "html",
        "huge-entity",
        "unknown-intent",
        "hostile-entity",
        "broken-payload",
        "emoji-flood",
    ],
)
def test_bad_message_gets_an_answer(stack, message):
    response = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": f"bad-{uuid.uuid4()}", "message": message},
        timeout=60,
    )
    # Bodies over MAX_REQUEST_BYTES are refused unread (413), with the answer in the body.
    assert response.status_code == (413 if len(message.encode()) > 64 * 1024 else 200)
    replies = response.json()
    text = reply_text(replies)
    assert "<script>" not in text and "<img" not in text and "x" * 50 not in text
    if message.strip():
        assert text.strip(), f"no reply to {message[:60]!r}"


def test_invalid_utf8_and_malformed_json_get_4xx(stack):
    assert 400 <= _post_raw(stack, b'{"sender": "a", "message": "\xff\xfe bad"}').status_code < 500
    assert 400 <= _post_raw(stack, b'{"sender": "a", "message": ').status_code < 500
    assert 400 <= _post_raw(stack, b"not json at all", "text/plain").status_code < 500
    # ... and the server is still fine.
    assert "$20.76" in reply_text(stack.send(f"bad-{uuid.uuid4()}", "how much do certified medical assistants make"))


def test_flood_from_one_sender_does_not_block_others(stack):
    flooder = f"flood-{uuid.uuid4()}"
    errors = []

    def flood():
        for _ in range(15):
            try:
                stack.send(flooder, "asdf " * 200, timeout=60)
            except requests.RequestException as error:  # pragma: no cover - recorded, asserted below
                errors.append(error)

    threads = [threading.Thread(target=flood) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(5):
        text = reply_text(stack.send(f"other-{uuid.uuid4()}", "who offers the RMA?", timeout=60))
        assert "American Medical Technologists" in text
    for thread in threads:
        thread.join()
    assert not errors
    assert json.dumps(stack.tracker(flooder))  # the flooded conversation is intact and readable
