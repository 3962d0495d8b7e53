"""The caching tracker store (addons/tracker_store.py) against Rasa's own SQL tracker store, on real databases.

The same conversations through both stores give the same trackers after every
step; two instances sharing one database, taking turns on one conversation,
each see the other's events with none lost or doubled; a new instance (a
restart) sees everything; and a running Rasa with it keeps a conversation's
context across two instances.

`python -m tests.test_tracker_store [--turns 30] [--conversations 5] [--postgres]` times
retrieve + save per message for both stores (a micro-benchmark; `make bench-isolate` has the
`caching` and `postgres-caching` variants for the whole assistant).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import inspect
import json
import statistics
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Optional, Sequence

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from addons.tracker_store import CachingSQLTrackerStore
from cma_stack import ATOMIC_REDIS_LOCK_STORE, ROOT, free_port, postgres_database, running_stack, start_action_server
from tests.helpers import run_coroutine

CACHING = "addons.tracker_store.CachingSQLTrackerStore"
SLOTS = ["topic", "credential", "organization", "certification_status", "pay_period", "skill_type", "location"]
INTENTS = ["ask_pay", "ask_credential", "ask_duties", "ask_cost", "out_of_scope", "ask_outlook", "greet", "thank"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    yield f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}"


# --------------------------------------------------------------------------- conversations


class Script:
    """Events as Rasa appends them, shaped like our bot's (a user message, an answer, its slots), as dicts.

    Deterministic (timestamps rising from a fixed start unless a step says otherwise, message ids counted),
    so two runs of a script give the same events.
    """

    def __init__(self) -> None:
        self.clock = 1_750_000_000.0
        self.turn = 0
        self.messages = 0
        self.session_start: Optional[float] = None

    def tick(self) -> float:
        self.clock += 0.01
        return self.clock

    def _user(self, text: str, intent: str) -> Event:
        self.messages += 1
        ranking = [{"name": name, "confidence": 0.9 if name == intent else 0.01} for name in [intent, *INTENTS][:10]]
        parse_data = {
            "intent": {"name": intent, "confidence": 0.9},
            "entities": [{"entity": "credential", "value": "CMA", "start": 0, "end": 3, "extractor": "Spacy"}],
            "text": text,
            "message_id": f"message-{self.messages}",
            "metadata": {},
            "text_tokens": [[0, 3], [4, 8]],
            "intent_ranking": ranking,
        }
        return UserUttered(
            text,
            intent=parse_data["intent"],
            parse_data=parse_data,
            input_channel="rest",
            message_id=parse_data["message_id"],
            timestamp=self.tick(),
        )

    def turn_events(self) -> List[Event]:
        """One question and answer: user, featurization, custom action, answer with buttons, its slots, listen."""
        self.turn += 1
        intent = INTENTS[self.turn % len(INTENTS)]
        events: List[Event] = [
            self._user(f"question {self.turn} about pay", intent),
            DefinePrevUserUtteredFeaturization(False, timestamp=self.tick()),
            ActionExecuted(f"action_answer_{intent}", policy="RulePolicy", confidence=1.0, timestamp=self.tick()),
            BotUttered(
                f"Answer {self.turn}: **$20.76 an hour**.",
                data={"buttons": [{"title": "Per year?", "payload": "/inform"}]},
                timestamp=self.tick(),
            ),
        ]
        events += [SlotSet(name, f"{name}-{self.turn}", timestamp=self.tick()) for name in SLOTS]
        events.append(ActionExecuted("action_listen", timestamp=self.tick()))
        return events

    def session_events(self) -> List[Event]:
        """What Rasa appends when a session starts (first message, or after the session expired)."""
        listen = ActionExecuted("action_session_start", timestamp=self.tick())
        started = SessionStarted(timestamp=self.tick())
        self.session_start = started.timestamp
        return [listen, started, ActionExecuted("action_listen", timestamp=self.tick())]

    def step(self, kind: str) -> List[Dict[str, Any]]:
        """The events of one step as dicts (each store decodes its own objects: Rasa changes them)."""
        if kind == "turn":
            events = self.turn_events()
        elif kind == "replace":  # a whole conversation, longer than what is stored of the session
            events = self.session_events() + [event for _ in range(8) for event in self.turn_events()]
        elif kind == "start":
            events = self.session_events()
        elif kind == "new_session":  # the session expired: the next message starts a new one
            events = self.session_events() + self.turn_events()
        elif kind == "form":
            events = [
                self._user("help me choose a program", "ask_advisor"),
                ActionExecuted("advisor_form", timestamp=self.tick()),
                ActiveLoop("advisor_form", timestamp=self.tick()),
                SlotSet("requested_slot", "advisor_experience", timestamp=self.tick()),
                BotUttered("Have you worked in health care?", timestamp=self.tick()),
                ActionExecuted("action_listen", timestamp=self.tick()),
                self._user("no", "deny"),
                ActionExecuted("advisor_form", timestamp=self.tick()),
                SlotSet("advisor_experience", "none", timestamp=self.tick()),
                ActiveLoop(None, timestamp=self.tick()),
                SlotSet("requested_slot", None, timestamp=self.tick()),
                ActionExecuted("action_listen", timestamp=self.tick()),
            ]
        elif kind == "restart":  # the user restarts: Restarted, then a new session at once
            events = [
                self._user("/restart", "restart"),
                ActionExecuted("action_restart", timestamp=self.tick()),
                Restarted(timestamp=self.tick()),
                *self.session_events(),
            ]
        elif kind == "late":  # an event timed before the session start (another clock): Rasa's reads skip it
            assert self.session_start is not None
            events = [SlotSet("location", "texas", timestamp=self.session_start - 1.0), *self.turn_events()]
        elif kind == "skewed_session":  # started by an instance whose clock is behind: before the latest events
            self.clock -= 0.05
            events = self.session_events() + self.turn_events()
        elif kind == "stale_session":  # a SessionStarted older than the current session's start
            assert self.session_start is not None
            events = [
                ActionExecuted("action_session_start", timestamp=self.session_start - 1.5),
                SessionStarted(timestamp=self.session_start - 1.0),
                ActionExecuted("action_listen", timestamp=self.session_start - 0.5),
                *self.turn_events(),
            ]
        elif kind == "noop":  # saved with nothing new
            events = []
        else:
            raise ValueError(kind)
        return [event.as_dict() for event in events]


async def apply_step(store: TrackerStore, sender: str, kind: str, events: List[Dict[str, Any]]) -> None:
    """What Rasa does for one message: get (or create) the tracker, append, save."""
    fresh = deserialise_events(copy.deepcopy(events))
    if kind == "replace":  # Rasa's PUT /conversations/<id>/tracker/events: a tracker not read from the store
        tracker = DialogueStateTracker.from_events(sender, fresh, store.domain.slots)
    else:
        tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
        tracker.model_id = "model-1"  # as Rasa's processor does: update() stamps it on each event
        for event in fresh:
            tracker.update(event)
    await store.save(tracker)


def as_dicts(tracker: Optional[DialogueStateTracker]) -> Optional[Dict[str, Any]]:
    """Everything a tracker says (events and derived state), comparable across stores."""
    if tracker is None:
        return None
    return json.loads(json.dumps(tracker.current_state(EventVerbosity.ALL)))


async def both_reads(store: TrackerStore, sender: str) -> tuple:
    return as_dicts(await store.retrieve(sender)), as_dicts(await store.retrieve_full_tracker(sender))


def without_metadata(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Events as stored, less the model id Rasa's processor stamps on them; JSON-normalised."""
    return [{k: v for k, v in event.items() if k != "metadata"} for event in json.loads(json.dumps(events))]


def run(coroutine: Any) -> Any:
    return run_coroutine(coroutine)


# --------------------------------------------------------------------------- Rasa's extension point


def test_rasa_builds_it_from_endpoints_yml(domain, tmp_path):
    """As endpoints.yml names it: Rasa's loader passes host=url and the other keys; it stays async (no wrapper)."""
    config = EndpointConfig(url=f"sqlite:///{tmp_path / 'c.db'}", type=CACHING, cache_size="7")
    store = TrackerStore.create(config, domain)
    assert type(store) is CachingSQLTrackerStore  # not AwaitableTrackerStore: Rasa found the methods async
    assert store.cache_size == 7 and store.domain is domain
    assert str(store.engine.url) == config.url


def test_it_overrides_rasa_methods_with_the_same_signatures():
    for name in ("retrieve", "save", "_event_query"):
        ours = inspect.signature(getattr(CachingSQLTrackerStore, name))
        rasas = inspect.signature(getattr(SQLTrackerStore, name))
        assert list(ours.parameters) == list(rasas.parameters), name
        assert inspect.iscoroutinefunction(getattr(CachingSQLTrackerStore, name)) == inspect.iscoroutinefunction(
            getattr(SQLTrackerStore, name)
        )


# --------------------------------------------------------------------------- (1) same trackers as Rasa's store

# Per conversation: sessions started by expiry, a form, an event older than the session start, sessions
# started by a clock that is behind, a restart, a tracker saved without being read (HTTP API), empty saves.
STEPS = [
    "start",
    "turn",
    "turn",
    "form",
    "noop",
    "turn",
    "new_session",
    "turn",
    "late",
    "turn",
    "skewed_session",
    "turn",
    "restart",
    "turn",
    "replace",
    "turn",
    "noop",
    "stale_session",
    "turn",
    "new_session",
    "turn",
    "turn",
]


def _same_as_plain(domain: Domain, databases: Callable[[], ContextManager[str]], cache_size: int) -> None:
    with databases() as plain_url, databases() as cached_url:
        plain = SQLTrackerStore(domain, host=plain_url)
        cached = CachingSQLTrackerStore(domain, host=cached_url, cache_size=cache_size)
        senders = [f"same-{index}" for index in range(3)]
        scripts = {sender: Script() for sender in senders}
        for position, kind in enumerate(STEPS):
            for offset, sender in enumerate(senders):
                step = STEPS[(position + offset) % len(STEPS)] if position else kind  # conversations out of step
                events = scripts[sender].step(step)
                for store in (plain, cached):
                    run(apply_step(store, sender, step, events))
                for reader in senders:
                    expected = run(both_reads(plain, reader))
                    assert run(both_reads(cached, reader)) == expected, (position, sender, step, reader)
        if cache_size:
            assert cached.hits > 50 and cached.misses > 3  # both paths were compared, not only one
        else:
            assert cached.hits == 0  # 0 turns memory off
        assert len(cached._kept) <= cache_size
        plain.engine.dispose()
        cached.engine.dispose()


@pytest.mark.parametrize("cache_size", [1000, 2, 0])  # 3 conversations: with 2, evictions too
def test_same_trackers_as_rasas_store_sqlite(domain, tmp_path, cache_size):
    _same_as_plain(domain, lambda: sqlite_database(tmp_path), cache_size)


@pytest.mark.postgres
def test_same_trackers_as_rasas_store_postgresql(domain):
    _same_as_plain(domain, postgres_database, 1000)


def test_handed_out_trackers_are_copies(domain, tmp_path):
    """Rasa changes the trackers it gets; that must not reach the kept one before it is saved."""
    store = CachingSQLTrackerStore(domain, host=f"sqlite:///{tmp_path / 'c.db'}")
    script = Script()
    for kind in ("start", "turn"):
        run(apply_step(store, "copies", kind, script.step(kind)))
    before = as_dicts(run(store.retrieve("copies")))
    tracker = run(store.retrieve("copies"))
    tracker.update(SlotSet("topic", "changed"))
    tracker.events[-1].timestamp = 0
    tracker.slots["credential"].value = "changed"
    assert as_dicts(run(store.retrieve("copies"))) == before
    assert store.hits >= 2


def test_deleted_conversation_is_not_served_from_memory(domain, tmp_path):
    """scripts/prune_conversations.py deletes whole conversations behind the store's back."""
    store = CachingSQLTrackerStore(domain, host=f"sqlite:///{tmp_path / 'c.db'}")
    script = Script()
    for kind in ("start", "turn"):
        run(apply_step(store, "pruned", kind, script.step(kind)))
    assert run(store.retrieve("pruned")) is not None
    with store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'pruned'"))
    assert run(store.retrieve("pruned")) is None


def test_a_new_domain_forgets_kept_trackers(domain, tmp_path):
    store = CachingSQLTrackerStore(domain, host=f"sqlite:///{tmp_path / 'c.db'}")
    script = Script()
    for kind in ("start", "turn"):
        run(apply_step(store, "domain", kind, script.step(kind)))
    run(store.retrieve("domain"))
    assert store._kept
    store.domain = domain  # what Rasa's agent does when it loads a model
    assert not store._kept


# --------------------------------------------------------------------------- (2) two instances, (3) restart

# Which instance serves each step: runs of one, switches, both with the conversation in memory.
TAKERS = "AABABBBAABAB"
SHARED_STEPS = ["start", "turn", "turn", "form", "turn", "new_session", "turn", "turn", "noop", "turn", "turn", "turn"]


def _two_instances_alternate(domain: Domain, url: str) -> None:
    instances = {
        "A": CachingSQLTrackerStore(domain, host=url),
        "B": CachingSQLTrackerStore(domain, host=url),
    }
    referee = SQLTrackerStore(domain, host=url)  # Rasa's own reading of the same database
    sender, script, written = "shared", Script(), []
    for taker, kind in zip(TAKERS, SHARED_STEPS, strict=True):
        events = script.step(kind)
        run(apply_step(instances[taker], sender, kind, events))
        written += without_metadata(events)
        truth = run(both_reads(referee, sender))
        assert without_metadata(truth[1]["events"]) == written  # every event exactly once, in order
        for name, store in instances.items():
            assert run(both_reads(store, sender)) == truth, (taker, kind, name)
    for store in instances.values():
        assert store.hits > 0 and store.misses > 1  # served from memory, and read again after the other wrote
        store.engine.dispose()
    referee.engine.dispose()


def test_two_instances_alternating_on_one_sqlite_conversation(domain, tmp_path):
    _two_instances_alternate(domain, f"sqlite:///{tmp_path / 'shared.db'}")


@pytest.mark.postgres
def test_two_instances_alternating_on_one_postgresql_conversation(domain):
    with postgres_database() as url:
        _two_instances_alternate(domain, url)


# Without a lock (Rasa's in-memory lock store across instances, the HTTP API's PUT): reads and writes interleave.
# Rasa's store then writes what its count says (here it drops A's turn); the caching one must write the same.
INTERLEAVED = [
    ("A", "read"),
    ("B", "read"),
    ("B", "write"),
    ("A", "write"),
    ("A", "read"),
    ("B", "write"),
    ("B", "read"),
    ("A", "replace"),
    ("B", "write"),
    ("A", "read"),
    ("A", "write"),
]


def _interleaved(domain: Domain, store_class: type, url: str) -> List[Any]:
    """What is stored after each write (read by a third, plain store: reading through A or B would refresh them)."""
    instances = {"A": store_class(domain, host=url), "B": store_class(domain, host=url)}
    referee = SQLTrackerStore(domain, host=url)
    script, held, seen = Script(), {}, []
    run(apply_step(instances["A"], "race", "start", script.step("start")))
    for name, operation in INTERLEAVED:
        store = instances[name]
        if operation == "read":
            held[name] = run(store.retrieve("race"))
            continue
        events = deserialise_events(script.step("turn"))
        if operation == "replace":
            tracker = DialogueStateTracker.from_events("race", events, domain.slots)
        else:
            tracker = held.pop(name, None) or run(store.retrieve("race"))
            for event in events:
                tracker.update(event)
        run(store.save(tracker))
        seen.append(run(both_reads(referee, "race")))
    seen += [run(both_reads(store, "race")) for store in instances.values()]
    for store in (*instances.values(), referee):
        store.engine.dispose()
    return seen


def test_unlocked_interleaving_writes_what_rasas_store_writes(domain, tmp_path):
    plain = _interleaved(domain, SQLTrackerStore, f"sqlite:///{tmp_path / 'plain.db'}")
    cached = _interleaved(domain, CachingSQLTrackerStore, f"sqlite:///{tmp_path / 'cached.db'}")
    assert cached == plain


def _restart(domain: Domain, url: str) -> None:
    first = CachingSQLTrackerStore(domain, host=url)
    script, written = Script(), []
    for kind in ("start", "turn", "new_session", "turn"):
        events = script.step(kind)
        run(apply_step(first, "restart", kind, events))
        written += without_metadata(events)
    before = run(both_reads(first, "restart"))
    first.engine.dispose()  # the process stops

    second = CachingSQLTrackerStore(domain, host=url)
    assert run(both_reads(second, "restart")) == before
    events = script.step("turn")
    run(apply_step(second, "restart", "turn", events))
    full = run(SQLTrackerStore(domain, host=url).retrieve_full_tracker("restart"))
    assert without_metadata([e.as_dict() for e in full.events]) == written + without_metadata(events)
    second.engine.dispose()


def test_restart_sees_everything_sqlite(domain, tmp_path):
    _restart(domain, f"sqlite:///{tmp_path / 'restart.db'}")


@pytest.mark.postgres
def test_restart_sees_everything_postgresql(domain):
    with postgres_database() as url:
        _restart(domain, url)


# --------------------------------------------------------------------------- (4) the running assistant


@pytest.mark.stack
@pytest.mark.postgres
@pytest.mark.redis
def test_two_rasa_instances_with_it_keep_a_conversations_context(tmp_path):
    """Two Rasa servers with the caching store on one PostgreSQL, turns alternating: the slots cross instances.

    running_stack() writes `type: SQL`; Rasa's argument parser keeps the last `--endpoints`, so
    ours, naming the caching store, comes after it (with our own action server to point at).
    """
    actions = start_action_server(free_port(), tmp_path / "actions.log")
    with ExitStack() as cleanup:
        cleanup.callback(actions.stop)
        actions.wait_ready(90)
        url = cleanup.enter_context(postgres_database())
        endpoints = tmp_path / "endpoints.yml"
        endpoints.write_text(
            f"action_endpoint:\n  url: {actions.url}/webhook\n"
            f"tracker_store:\n  type: {CACHING}\n  url: {url}\n  cache_size: 100\n"
            f"lock_store:\n  type: {ATOMIC_REDIS_LOCK_STORE}\n  url: 127.0.0.1\n"
            f"  key_prefix: cmatest{uuid.uuid4().hex[:8]}\n"
        )
        stack = cleanup.enter_context(
            running_stack(
                tracker_store_url=url,
                rasa_instances=2,
                action_endpoint=f"{actions.url}/webhook",
                extra_args=["--endpoints", str(endpoints)],
            )
        )
        sender = f"caching-{uuid.uuid4()}"
        # (message, in the answer, not in it (what the answer without context says), instance). Instance 1
        # keeps the conversation from its second turn; instance 2 then writes: instance 1 must notice.
        turns = [
            ("tell me about the RMA", "American Medical Technologists", "AAMA", 0),
            ("who offers it?", "americanmedtech.org", "AAMA", 0),  # "it" = the RMA
            ("how much do CMAs make?", "$20.76", "RMA", 1),
            ("and per hour?", "$20.76 an hour", "Non-certified", 0),  # the pay of the CMA, from instance 2's turn
            ("who offers it?", "AAMA", "americanmedtech.org", 1),  # "it" = the CMA now
        ]
        for message, expected, unexpected, instance in turns:
            text = "\n".join(r.get("text", "") for r in stack.send(sender, message, url=stack.rasa_urls[instance]))
            assert expected in text and unexpected not in text, (message, text)
        users = [e["text"] for e in stack.tracker(sender)["events"] if e["event"] == "user"]
        assert users == [turn[0] for turn in turns]
        # It was the caching store (a store Rasa cannot import falls back to memory, with a warning).
        for name in ("rasa", "rasa2"):
            assert "not found" not in stack.log(name), stack.log(name)[-2000:]
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            stored = connection.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": sender}
            ).scalar()
        engine.dispose()
        assert stored == len(turns)


# --------------------------------------------------------------------------- micro-benchmark


def benchmark(domain: Domain, url: str, store_class: type, turns: int, conversations: int) -> Dict[str, float]:
    """Per message, as Rasa's processor does it: retrieve (get_or_create_tracker), append one turn, save."""
    store = store_class(domain, host=url)
    loop = asyncio.new_event_loop()
    run_sync = loop.run_until_complete
    scripts = {f"bench-{uuid.uuid4().hex[:8]}-{i}": Script() for i in range(conversations)}
    retrieve_ms: List[float] = []
    save_ms: List[float] = []
    last: List[float] = []
    for turn in range(turns):
        for sender, script in scripts.items():  # users take turns, as under load
            events = deserialise_events(script.step("start" if turn == 0 else "turn"))
            started = time.perf_counter()
            tracker = run_sync(store.get_or_create_tracker(sender, append_action_listen=False))
            middle = time.perf_counter()
            tracker.model_id = "model-1"
            for event in events:
                tracker.update(event)
            saving = time.perf_counter()
            run_sync(store.save(tracker))
            ended = time.perf_counter()
            retrieve_ms.append((middle - started) * 1000)
            save_ms.append((ended - saving) * 1000)
            if turn == turns - 1:
                last.append((middle - started + ended - saving) * 1000)
    store.engine.dispose()
    loop.close()
    total = [r + s for r, s in zip(retrieve_ms, save_ms, strict=True)]
    return {
        "retrieve_ms": statistics.mean(retrieve_ms),
        "save_ms": statistics.mean(save_ms),
        "message_ms": statistics.mean(total),
        "p95_ms": statistics.quantiles(total, n=20)[-1],
        "last_turn_ms": statistics.mean(last),
    }


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description="retrieve + save per message: Rasa's SQL store vs the caching one")
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--conversations", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also on the machine's PostgreSQL")
    args = parser.parse_args(argv)
    import tempfile

    domain = Domain.load(str(ROOT / "domain.yml"))
    kinds: List[tuple] = [("sqlite", lambda: sqlite_database(Path(tempfile.mkdtemp())))]
    if args.postgres:
        kinds.append(("postgresql", postgres_database))
    print(f"{args.conversations} conversations x {args.turns} turns (12 events a turn), median of {args.rounds} rounds")
    print("| database | store | retrieve ms | save ms | per message ms | p95 ms | last turn ms |")
    print("|---|---|---|---|---|---|---|")
    for name, databases in kinds:
        for store_class in (SQLTrackerStore, CachingSQLTrackerStore):
            results = []
            for _ in range(args.rounds):
                with databases() as url:
                    results.append(benchmark(domain, url, store_class, args.turns, args.conversations))
            row = {key: statistics.median(r[key] for r in results) for key in results[0]}
            print(
                f"| {name} | {store_class.__name__} | {row['retrieve_ms']:.2f} | {row['save_ms']:.2f} | "
                f"{row['message_ms']:.2f} | {row['p95_ms']:.2f} | {row['last_turn_ms']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
