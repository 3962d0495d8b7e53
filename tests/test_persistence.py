"""Conversations are kept in an SQL tracker store and survive a restart of the Rasa server."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from tests.stack import running_stack

pytestmark = pytest.mark.stack

POSTGRES_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")


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
    """A throwaway database on the machine's PostgreSQL (127.0.0.1:5432, trust auth)."""
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"cma_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(**POSTGRES_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgresql_conversation_survives_restart(postgres_url):
    _restart_keeps_context(postgres_url)
