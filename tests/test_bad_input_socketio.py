"""Bad input over socket.io (the widget's channel): every message gets an answer, the server stays up."""

from __future__ import annotations

import logging
import queue

import pytest
import socketio

from tests.helpers import SocketClient as Client
from tests.helpers import reply_text

pytestmark = pytest.mark.stack

QUIET = logging.getLogger("tests.socketio")


@pytest.fixture
def client(stack):
    connected = Client(stack.rasa_url)
    yield connected
    connected.close()


@pytest.mark.parametrize(
    "message",
    [
        "x" * 10_000,
        "hello\x00\x07\x1b[31m there",
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "医疗助理的工资是多少？ 😀😀",
        '/ask_pay{"location": "' + "y" * 50_000 + '"}',
        '/definitely_not_an_intent{"credential": "RMA"}',
    ],
    ids=["10k-chars", "control-chars", "html", "non-latin-emoji", "huge-entity", "unknown-intent"],
)
def test_bad_message_gets_an_answer(client, message):
    text = reply_text(client.ask(message))
    assert text.strip()
    assert "<script>" not in text and "<img" not in text and "y" * 50 not in text


def test_malformed_events_do_not_break_the_connection(client, stack):
    # Shapes the widget never sends: a bare string, no message, no session id, wrong types.
    for payload in ["just a string", {}, {"message": None}, {"session_id": client.session_id}, {"message": ["a", "b"]}]:
        client.say(payload)
    client.say({"message": "", "session_id": client.session_id})
    # The same connection and a new one both still get real answers.
    assert "$20.76" in reply_text(client.ask("how much do certified medical assistants make?"))
    other = Client(stack.rasa_url)
    try:
        assert "American Medical Technologists" in reply_text(other.ask("who offers the RMA?"))
    finally:
        other.close()


def test_session_ids_from_the_server_are_long_and_random(stack):
    """A client that asks for no particular session gets a long random one, never a guessable id."""
    seen = set()
    for _ in range(3):
        sio = socketio.Client(reconnection=False, engineio_logger=QUIET)
        confirmed: "queue.Queue[str]" = queue.Queue()
        sio.on("session_confirm", confirmed.put)
        sio.connect(stack.rasa_url, transports=["polling"], wait_timeout=20)
        sio.emit("session_request", {"session_id": None})
        session_id = confirmed.get(timeout=30)
        sio.disconnect()
        assert len(session_id) >= 32 and session_id not in seen
        seen.add(session_id)


def test_dead_action_server_is_reported_over_socketio():
    """The widget's channel: the student reads that the answer can't be looked up, not silence."""
    from cma_stack import running_stack

    with running_stack(with_actions=False) as rasa_only:
        client = Client(rasa_only.rasa_url)
        try:
            assert "can't look that up right now" in reply_text(
                client.ask("how much do certified medical assistants make")
            )
        finally:
            client.close()


def test_questionnaire_with_a_dead_action_server_is_reported_over_socketio():
    from cma_stack import running_stack

    with running_stack() as stack:
        client = Client(stack.rasa_url)
        try:
            assert "Have you completed" in reply_text(client.ask("/start_advisor"))
            stack.processes[0].kill()
            stack.processes[0].wait()
            replies = client.ask("yes")
            assert len(replies) == 1 and "can't look that up right now" in replies[0]["text"], replies
        finally:
            client.close()
