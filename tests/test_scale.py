"""Two Rasa instances behind one site: shared PostgreSQL tracker store, Redis locks, nothing lost."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List, Tuple

import pytest
import requests

from cma_stack import Stack, postgres_database, running_stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres, pytest.mark.redis]

TURNS = [
    ("tell me about the RMA", "American Medical Technologists"),
    ("who offers it?", "americanmedtech.org"),
    ("how do I get it?", "For the RMA"),
    ("how much do CMAs make?", "$20.76"),
    ("and per hour?", "$20.76 an hour"),
    ("what about without certification?", "$17.88 an hour"),
]


@pytest.fixture(scope="module")
def two_instances() -> Iterator[Stack]:
    with (
        postgres_database() as url,
        running_stack(
            tracker_store_url=url, rasa_instances=2, redis_lock_prefix=f"cmatest{uuid.uuid4().hex[:8]}"
        ) as stack,
    ):
        yield stack


def _user_texts(stack: Stack, sender: str) -> List[str]:
    return [e["text"] for e in stack.tracker(sender)["events"] if e["event"] == "user"]


# The first answer on a topic is followed by this prompt, a second bot message of the same turn.
FEEDBACK_PROMPT = "Was this helpful?"


def _bot_texts(stack: Stack, sender: str) -> List[str]:
    """The answers stored, one per turn (feedback prompts left out)."""
    return [e["text"] for e in stack.tracker(sender)["events"] if e["event"] == "bot" and e["text"] != FEEDBACK_PROMPT]


def _converse(stack: Stack, sender: str, turns=TURNS, offset: int = 0) -> List[Tuple[str, str]]:
    """Each turn goes to the other instance, as a load balancer without stickiness would send it."""
    answers = []
    for index, (message, _) in enumerate(turns):
        url = stack.rasa_urls[(index + offset) % len(stack.rasa_urls)]
        text = "\n".join(r.get("text", "") for r in stack.send(sender, message, url=url))
        answers.append((message, text))
    return answers


def test_one_conversation_alternating_between_instances_keeps_context(two_instances):
    sender = f"scale-{uuid.uuid4()}"
    for (message, text), (_, expected) in zip(_converse(two_instances, sender), TURNS, strict=False):
        assert expected in text, f"{message!r} -> {text!r}"
    assert _user_texts(two_instances, sender) == [m for m, _ in TURNS]
    assert len(_bot_texts(two_instances, sender)) == len(TURNS)


def test_many_concurrent_conversations_are_stored_in_order(two_instances):
    senders = [f"scale-{uuid.uuid4()}" for _ in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda s: _converse(two_instances, s[1], offset=s[0]), enumerate(senders)))
    for sender, answers in zip(senders, results, strict=False):
        for (message, text), (_, expected) in zip(answers, TURNS, strict=False):
            assert expected in text, f"{sender}: {message!r} -> {text!r}"
        assert _user_texts(two_instances, sender) == [m for m, _ in TURNS]
        assert len(_bot_texts(two_instances, sender)) == len(TURNS)


def test_one_message_burst_to_both_instances_never_interleaves(two_instances):
    """Two messages of one conversation at once, one per instance: the Redis lock serialises them."""
    sender = f"scale-{uuid.uuid4()}"
    messages = ["how much do CMAs make?", "what are the duties of a medical assistant?"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda i: two_instances.send(sender, messages[i], url=two_instances.rasa_urls[i]), range(2)))
    events = [e for e in two_instances.tracker(sender)["events"] if e["event"] in ("user", "bot")]
    kinds = [e["event"] for e in events]
    # Each user message is followed by its own reply (an answer, maybe a feedback prompt)
    # before the next user message starts.
    turns = [kind for i, kind in enumerate(kinds) if i == 0 or kind != kinds[i - 1]]
    assert turns == ["user", "bot", "user", "bot"], kinds


def test_killing_one_instance_mid_load_loses_nothing(two_instances):
    senders = [f"scale-{uuid.uuid4()}" for _ in range(6)]
    sent = {s: [] for s in senders}
    victim = two_instances.rasa_processes[1]
    for index, (message, _) in enumerate(TURNS):
        if index == 3:
            victim.terminate()
            victim.wait(timeout=30)
        for sender in senders:
            url = two_instances.rasa_urls[index % 2]
            try:
                two_instances.send(sender, message, url=url)
            except requests.RequestException:
                # The balancer's retry: the surviving instance takes the message.
                two_instances.send(sender, message, url=two_instances.rasa_urls[0])
            sent[sender].append(message)
    for sender in senders:
        assert _user_texts(two_instances, sender) == sent[sender]
        assert len(_bot_texts(two_instances, sender)) == len(sent[sender])
