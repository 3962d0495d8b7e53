"""The retention command deletes whole old conversations from a real Rasa SQL tracker store."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.helpers import run_coroutine
from tests.stack import ROOT
from tests.stack import postgres_database

DAY = 86400


def _store(url: str) -> SQLTrackerStore:
    return SQLTrackerStore(Domain.empty(), host=url)


def _save(store: SQLTrackerStore, sender: str, *ages_in_days: float) -> None:
    now = time.time()
    events = []
    for age in ages_in_days:
        when = now - age * DAY
        events += [UserUttered("hi", timestamp=when), ActionExecuted("utter_greet", timestamp=when),
                   BotUttered("hello", timestamp=when)]
    run_coroutine(store.save(DialogueStateTracker.from_events(sender, events)))


def _senders(store: SQLTrackerStore) -> set:
    return set(run_coroutine(store.keys()))


def _prune(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "scripts/prune_conversations.py", "--url", url, *args],
        cwd=ROOT, capture_output=True, text=True, check=True,
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


def test_prune_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'conversations.db'}")


@pytest.mark.stack
def test_prune_postgresql():
    with postgres_database() as url:
        _check(url)
