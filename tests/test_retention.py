"""The retention command deletes whole old conversations from a real Rasa SQL tracker store."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from cma_stack import ROOT, postgres_database
from scripts.prune_conversations import prune
from tests.helpers import run_coroutine

DAY = 86400


def _store(url: str) -> SQLTrackerStore:
    return SQLTrackerStore(Domain.empty(), host=url)


def _save(store: SQLTrackerStore, sender: str, *ages_in_days: float) -> None:
    now = time.time()
    events = []
    for age in ages_in_days:
        when = now - age * DAY
        events += [
            UserUttered("hi", timestamp=when),
            ActionExecuted("utter_greet", timestamp=when),
            BotUttered("hello", timestamp=when),
        ]
    run_coroutine(store.save(DialogueStateTracker.from_events(sender, events)))


def _senders(store: SQLTrackerStore) -> set:
    return set(run_coroutine(store.keys()))


def _prune(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "scripts/prune_conversations.py", "--url", url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _check(url: str) -> None:
    store = _store(url)
    _save(store, "old", 90, 60)
    _save(store, "recently-active", 90, 1)  # started long ago, still going: kept whole
    _save(store, "new", 0.1)
    assert "would delete 1 conversation(s), 6 event(s)" in _prune(url, "--days", "30", "--dry-run")
    assert _senders(store) == {"old", "recently-active", "new"}
    assert "deleted 1 conversation(s), 6 event(s)" in _prune(url, "--days", "30")
    assert _senders(store) == {"recently-active", "new"}
    kept = run_coroutine(_store(url).retrieve_full_tracker("recently-active"))
    assert len([e for e in kept.events if isinstance(e, UserUttered)]) == 2
    assert "deleted 0 conversation(s)" in _prune(url, "--days", "30")


INSERT_EVENT = sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:sender, :type, :at, :data)")


def _message_saved_during_prune(url: str, prune_is_waiting: Callable[[threading.Thread], bool]) -> None:
    """A student writes again to a conversation silent for 90 days while the prune runs.

    The message is inserted in a transaction (as Rasa saves it) that commits only once the
    prune has got as far as it can without it (`prune_is_waiting`): the prune must then
    see it and keep the conversation whole, not delete it with (or around) the new message.
    """
    store = _store(url)
    _save(store, "writing-again", 90, 60)
    _save(store, "old", 90)
    fresh = UserUttered("are you still there?", timestamp=time.time())
    counts: Dict[str, tuple] = {}
    pruning = threading.Thread(target=lambda: counts.update(deleted=prune(url, 30)))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as student:
            saving = student.begin()
            student.execute(
                INSERT_EVENT,
                {
                    "sender": "writing-again",
                    "type": fresh.type_name,
                    "at": fresh.timestamp,
                    "data": json.dumps(fresh.as_dict()),
                },
            )
            pruning.start()
            deadline = time.monotonic() + 30
            while pruning.is_alive() and not prune_is_waiting(pruning):
                assert time.monotonic() < deadline, "the prune neither finished nor got to its delete"
                time.sleep(0.01)
            saving.commit()
            pruning.join(30)
    finally:
        engine.dispose()
    assert counts["deleted"] == (1, 3)
    assert _senders(store) == {"writing-again"}
    kept = run_coroutine(_store(url).retrieve_full_tracker("writing-again"))
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["hi", "hi", "are you still there?"]
    assert len(kept.events) == 7


@pytest.fixture
def statements_in() -> Iterator[Callable[[threading.Thread, str], bool]]:
    """Whether a thread has started an SQL statement beginning with a word (seen through SQLAlchemy's events)."""
    started: Dict[threading.Thread, list] = {}

    def record(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        started.setdefault(threading.current_thread(), []).append(statement.split(None, 1)[0].upper())

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    yield lambda thread, word: word in started.get(thread, [])
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def test_prune_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'conversations.db'}")


def test_prune_sqlite_keeps_a_conversation_written_to_meanwhile(tmp_path, statements_in):
    # SQLite has one writer at a time: the prune's DELETE waits for the student's commit.
    # Committing as soon as the prune reaches its DELETE puts the message between any
    # earlier choice of conversations and the delete itself.
    _message_saved_during_prune(
        f"sqlite:///{tmp_path / 'conversations.db'}", lambda pruning: statements_in(pruning, "DELETE")
    )


@pytest.mark.postgres
def test_prune_postgresql():
    with postgres_database() as url:
        _check(url)


@pytest.mark.postgres
def test_prune_postgresql_keeps_a_conversation_written_to_meanwhile():
    # PostgreSQL lets a DELETE run beside an uncommitted insert: without a lock, the old
    # events would go and the new message stay alone. The student commits once the prune
    # waits for a lock (or has finished, which fails the test).
    with postgres_database() as url:
        watcher = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        waiting = sa.text(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        try:
            with watcher.connect() as watch:
                _message_saved_during_prune(url, lambda pruning: watch.execute(waiting).scalar_one() > 0)
        finally:
            watcher.dispose()
