"""Read conversations from Rasa's SQL tracker store (SQLite or PostgreSQL).

Plain SQLAlchemy over Rasa's `events` table (one row per event, the event as
JSON in `data`) rather than SQLTrackerStore: a report reads every conversation
of a period at once, and this needs no domain and no event loop.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List

import sqlalchemy as sa

from cma_stack import DEFAULT_TRACKER_STORE_URL


def tracker_store_url() -> str:
    """The store `make run` uses: $TRACKER_STORE_URL (as endpoints.yml), else the embedded SQLite file."""
    return os.environ.get("TRACKER_STORE_URL") or DEFAULT_TRACKER_STORE_URL


class StoreError(Exception):
    """The tracker store cannot be read; the message says which one and why (password hidden)."""


@dataclass
class Conversation:
    """One Rasa session of one sender: events from a `session_started` to the next.

    `sender` stays in memory for grouping only; nothing written out uses it.
    """

    sender: str
    events: List[Dict[str, Any]] = field(default_factory=list)


def read_conversations(url: str, start: float, end: float) -> List[Conversation]:
    """All sessions, with all their events, of the senders with an event in [start, end) (Unix times).

    Whole conversations are read so that context (the question before a 👎) is
    there even when it was asked before `start`; the caller counts by timestamp.
    """
    parsed = sa.engine.make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        # Opening it would create an empty file; more likely the URL is wrong or nothing ran yet.
        raise StoreError(
            f"no tracker store at {shown}: has the assistant stored any conversation yet? "
            "(for PostgreSQL set TRACKER_STORE_URL or --url)"
        )
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("events"):
            return []
        query = sa.text(
            "SELECT sender_id, data FROM events WHERE sender_id IN "
            "(SELECT DISTINCT sender_id FROM events WHERE timestamp >= :start AND timestamp < :end) "
            "ORDER BY sender_id, id"
        )
        with engine.connect() as connection:
            rows = connection.execution_options(stream_results=True).execute(query, {"start": start, "end": end})
            return list(_sessions((sender, json.loads(data)) for sender, data in rows))
    except sa.exc.OperationalError as error:
        raise StoreError(f"cannot read the tracker store at {shown}: {error.orig}") from None
    finally:
        engine.dispose()


def _sessions(rows: Iterator[tuple]) -> Iterator[Conversation]:
    """Splits each sender's ordered events into sessions; events before any session start form one too."""
    current: Conversation | None = None
    for sender, event in rows:
        new_sender = current is None or current.sender != sender
        if new_sender or event.get("event") == "session_started":
            carried = []
            if not new_sender and current.events and _is_session_start_action(current.events[-1]):
                carried = [current.events.pop()]  # Rasa logs action_session_start just before session_started
            if current is not None and current.events:
                yield current
            current = Conversation(sender, carried)
        current.events.append(event)
    if current is not None and current.events:
        yield current


def _is_session_start_action(event: Dict[str, Any]) -> bool:
    return event.get("event") == "action" and event.get("name") == "action_session_start"
