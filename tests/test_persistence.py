"""Conversations are kept in an SQL tracker store and survive a restart of the Rasa server."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from cma_stack import postgres_database, running_stack

pytestmark = pytest.mark.stack


def replies(stack, sender: str, message: str) -> str:
    return "\n".join(r.get("text", "") for r in stack.send(sender, message))


def _restart_keeps_context(tracker_store_url: str) -> None:
    sender = f"persist-{uuid.uuid4()}"
    with running_stack(tracker_store_url=tracker_store_url) as first:
        assert "American Medical Technologists" in replies(first, sender, "tell me about the RMA")
    with running_stack(tracker_store_url=tracker_store_url) as second:
        # "it" is the RMA: the slot came back from the database, not from memory.
        text = replies(second, sender, "who offers it?")
        assert "American Medical Technologists" in text and "americanmedtech.org" in text
        tracker = second.tracker(sender)
        users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert users == ["tell me about the RMA", "who offers it?"]


def test_sqlite_conversation_survives_restart(tmp_path):
    _restart_keeps_context(f"sqlite:///{tmp_path / 'conversations.db'}")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.mark.postgres
def test_postgresql_conversation_survives_restart(postgres_url):
    _restart_keeps_context(postgres_url)
