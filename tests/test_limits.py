"""Limits of a public page, with the shipped defaults: size, rate, sessions only the server issues.

One stack with rates on (the shared test stack turns them off) and Sanic told to
trust one proxy, so that X-Forwarded-For stands for students at other addresses.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from typing import Dict, Iterator, List, Optional

import pytest
import requests

from addons.limits import DEFAULT_MAX_MESSAGE_CHARS, FRESH_START, IN_SPANISH, NO_TEXT, TOO_FAST
from cma_stack import Stack, running_stack
from tests.helpers import SocketClient, reply_text

pytestmark = pytest.mark.stack

PAY_QUESTION = "how much do certified medical assistants make"
PAY_FACT = "$20.76"
TURNS = 8  # a small MAX_TURNS_PER_SESSION, to reach it quickly


@pytest.fixture(scope="module")
def limited() -> Iterator[Stack]:
    env = {"RATE_LIMITS": "on", "SANIC_PROXIES_COUNT": "1", "MAX_TURNS_PER_SESSION": str(TURNS)}
    with running_stack(env=env) as stack:
        yield stack


def post(stack: Stack, body: object, address: Optional[str] = None, timeout: float = 30) -> requests.Response:
    headers: Dict[str, str] = {"X-Forwarded-For": address} if address else {}
    return requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, headers=headers, timeout=timeout)


def user_texts(stack: Stack, sender: str) -> List[str]:
    return [event.get("text") for event in stack.tracker(sender)["events"] if event["event"] == "user"]


def test_a_long_message_gets_a_plain_answer_and_is_not_processed(limited):
    sender = f"long-{uuid.uuid4()}"
    text = "I would like to know " + "a lot " * (DEFAULT_MAX_MESSAGE_CHARS // 6)
    assert len(text) > DEFAULT_MAX_MESSAGE_CHARS
    response = post(limited, {"sender": sender, "message": text}, address="192.0.2.10")
    assert response.status_code == 200
    assert "sentence or two" in reply_text(response.json())
    assert "1,000 characters" in reply_text(response.json())
    assert post(limited, {"sender": sender, "message": PAY_QUESTION}, address="192.0.2.10").ok
    assert user_texts(limited, sender) == [PAY_QUESTION]  # the long one never reached the conversation


def test_the_bot_keeps_working_after_a_million_character_message(limited):
    sender = f"huge-{uuid.uuid4()}"
    response = post(limited, {"sender": sender, "message": "x" * 1_000_001}, address="192.0.2.11", timeout=60)
    assert response.status_code == 413
    assert "sentence or two" in reply_text(response.json())
    reply = post(limited, {"sender": sender, "message": PAY_QUESTION}, address="192.0.2.11")
    assert PAY_FACT in reply_text(reply.json())


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": 42, "message": "hi"},
        {"sender": "s" * 129, "message": "hi"},
        ["hi"],
    ],
    ids=["missing", "empty", "number", "too-long", "not-an-object"],
)
def test_rest_refuses_a_message_without_a_proper_sender(limited, body):
    response = post(limited, body, address="192.0.2.12")
    assert response.status_code == 400
    assert "sender" in response.text or "JSON object" in response.text


def test_one_conversation_sending_too_fast_is_asked_to_wait(limited):
    sender, address = f"fast-{uuid.uuid4()}", "192.0.2.20"
    started = time.monotonic()
    statuses = []
    for _ in range(40):
        response = post(limited, {"sender": sender, "message": "hi"}, address=address)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert reply_text(response.json()) == TOO_FAST
    refill = (time.monotonic() - started) * 30 / 60
    assert 30 <= statuses.count(200) <= 30 + refill + 1, statuses
    assert statuses.count(429) >= 40 - 30 - refill - 1
    # Another conversation from the same address is still answered.
    assert PAY_FACT in reply_text(
        post(limited, {"sender": f"calm-{uuid.uuid4()}", "message": PAY_QUESTION}, address=address).json()
    )


def test_a_spanish_page_is_refused_in_spanish(limited):
    """Refusals come before a message is read: the page's language (metadata) decides their words."""
    spanish = {"language": "es-MX"}
    sender, address = f"rapido-{uuid.uuid4()}", "192.0.2.21"
    replies = [
        post(limited, {"sender": sender, "message": "hola", "metadata": spanish}, address=address) for _ in range(35)
    ]
    refused = [r for r in replies if r.status_code == 429]
    assert refused and reply_text(refused[0].json()) == IN_SPANISH[TOO_FAST]
    empty = post(
        limited, {"sender": f"vacio-{uuid.uuid4()}", "message": " ", "metadata": spanish}, address="192.0.2.22"
    )
    assert reply_text(empty.json()) == IN_SPANISH[NO_TEXT]


def test_one_address_sending_too_fast_is_asked_to_wait_and_others_are_not(limited):
    address = "192.0.2.30"
    started = time.monotonic()
    statuses = [
        post(limited, {"sender": f"addr-{uuid.uuid4()}", "message": "hi"}, address=address).status_code
        for _ in range(150)
    ]
    refill = (time.monotonic() - started) * 120 / 60
    assert 120 <= statuses.count(200) <= 120 + refill + 1, statuses.count(200)
    assert statuses[-1] == 429 or statuses.count(429) > 0
    other = post(limited, {"sender": f"other-{uuid.uuid4()}", "message": PAY_QUESTION}, address="192.0.2.31")
    assert other.status_code == 200 and PAY_FACT in reply_text(other.json())


def test_a_flood_of_huge_and_long_messages_does_not_slow_another_student(limited):
    """Four clients flood (1 MB bodies and 999-character messages); another student's p95 stays under 1.5 s."""
    stop = threading.Event()
    sent = {"huge": 0, "long": 0}

    def flood(kind: str) -> None:
        body_text = "x" * 1_000_000 if kind == "huge" else "why " * 249
        while not stop.is_set():
            try:
                post(limited, {"sender": f"flood-{uuid.uuid4()}", "message": body_text}, timeout=60)
                sent[kind] += 1
            except requests.RequestException:  # the server may close a connection it refused
                sent[kind] += 1

    threads = [threading.Thread(target=flood, args=(kind,), daemon=True) for kind in ("huge", "huge", "long", "long")]
    for thread in threads:
        thread.start()
    time.sleep(2)
    latencies, answers = [], []
    try:
        for index in range(15):
            started = time.monotonic()
            response = post(
                limited,
                {"sender": f"student-{uuid.uuid4()}", "message": PAY_QUESTION},
                address=f"198.51.100.{index + 1}",
            )
            latencies.append(time.monotonic() - started)
            answers.append(reply_text(response.json()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    assert sent["huge"] >= 4 and sent["long"] >= 4, sent  # the flood really ran
    assert all(PAY_FACT in answer for answer in answers), answers
    p95 = statistics.quantiles(latencies, n=20)[-1]
    assert p95 <= 1.5, f"p95 {p95:.2f}s, latencies {[round(x, 2) for x in latencies]}"


def test_socketio_session_ids_are_issued_by_the_server_only(limited):
    forged = "0" * 64
    client = SocketClient(limited.rasa_url, session_id=forged)
    try:
        assert client.session_id != forged and len(client.session_id) == 64
        assert PAY_FACT in reply_text(client.ask(PAY_QUESTION))
        issued = client.session_id
    finally:
        client.close()
    # The id the server issued continues the same conversation (a reload of the page) ...
    again = SocketClient(limited.rasa_url, session_id=issued)
    try:
        assert again.session_id == issued
    finally:
        again.close()
    # ... but another client cannot write into it by naming it in a message.
    intruder = SocketClient(limited.rasa_url)
    try:
        intruder.ask("who offers the RMA?", session_id=issued)
        assert "who offers the RMA?" not in user_texts(limited, issued)
        assert "who offers the RMA?" in user_texts(limited, intruder.session_id)
    finally:
        intruder.close()


def test_socketio_long_and_oversized_messages_get_answers_and_the_server_stays_up(limited):
    client = SocketClient(limited.rasa_url)
    try:
        assert "sentence or two" in reply_text(client.ask("tell me " * 200))
        assert user_texts(limited, client.session_id) == []
    finally:
        client.close()
    oversized = SocketClient(limited.rasa_url)
    try:
        oversized.say({"message": "y" * 200_000, "session_id": oversized.session_id})  # over the packet limit
        time.sleep(2)
    finally:
        oversized.close()
    fresh = SocketClient(limited.rasa_url)
    try:
        assert PAY_FACT in reply_text(fresh.ask(PAY_QUESTION))
    finally:
        fresh.close()


def test_a_conversation_that_runs_too_long_starts_a_new_session(limited):
    """Every turn replays the whole session; past MAX_TURNS_PER_SESSION the next message starts a new one."""
    sender, address = f"turns-{uuid.uuid4()}", "192.0.2.40"
    post(limited, {"sender": sender, "message": "I was a medic in the army, can I get certified?"}, address=address)
    assert any(value for name, value in limited.tracker(sender)["slots"].items() if name.startswith("advisor_"))
    for _ in range(TURNS - 1):
        assert FRESH_START not in reply_text(post(limited, {"sender": sender, "message": "hi"}, address=address).json())
    replies = post(limited, {"sender": sender, "message": PAY_QUESTION}, address=address).json()
    assert FRESH_START in reply_text(replies) and PAY_FACT in reply_text(replies)
    tracker = limited.tracker(sender)
    kinds = [event["event"] for event in tracker["events"]]
    assert kinds.count("session_started") == 2
    new_session = tracker["events"][len(kinds) - 1 - kinds[::-1].index("session_started") :]
    assert [event.get("text") for event in new_session if event["event"] == "user"] == [PAY_QUESTION]
    assert not any(value for name, value in tracker["slots"].items() if name.startswith("advisor_"))
