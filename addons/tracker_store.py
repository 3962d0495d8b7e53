"""An SQL tracker store that keeps recently used conversations in memory and writes only new events.

Named in endpoints.yml (`tracker_store: type: addons.tracker_store.CachingSQLTrackerStore`,
`url:` as for `type: SQL`, optional `cache_size:`, default 1000 conversations),
Rasa's extension point for tracker stores. Rasa's `SQLTrackerStore` reads every
event of the conversation's latest session for every message, decodes each and
replays it into a new tracker, then counts them again to find which events of
the saved tracker are new: the work grows with the conversation.

Here a retrieve asks the database one cheap, indexed question first, the marker
`(max(id), count(*))` of the conversation's events. When it is the marker this
process saw after its own last read or write, nothing was added or deleted
since, by this or any other Rasa instance sharing the database, and a copy of
the tracker kept in memory is returned; otherwise the events are loaded as
Rasa loads them. A save checks the marker the same way and then knows how many
of the session's events are stored without Rasa's count; it writes the rest,
exactly the events Rasa would write, and applies them to the kept tracker as
Rasa's next read would (decoded from the JSON written; a new session: only
its rows). Where that read is not certain (an event timed before the session
start, a session start older than kept events), the conversation is dropped
from memory and read again next time. Several instances stay correct as with
Rasa's store: the lock store keeps them from writing one conversation at once.

Limits: `retrieve_full_tracker` (every session: HTTP API, insights) is Rasa's,
uncached. Events changed in place by hand (UPDATE) are not noticed; deleting
whole conversations (scripts/prune_conversations.py) is. On SQLite, ids freed
by deleting the newest rows of the table can be reused: another instance that
wrote exactly as many events under the same ids would fool the marker (one
instance per SQLite file, as shipped, cannot). Memory: about 0.07 MB per kept
conversation of 6 turns of our bot, 0.3 MB at 30 turns.
"""

from __future__ import annotations

import itertools
import json
import logging
import pickle
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 1000

# (id of the newest stored event, number of stored events) of one conversation.
Marker = Tuple[Optional[int], int]


@dataclass
class _Kept:
    """One conversation as Rasa's `retrieve` would build it from the rows the marker describes."""

    marker: Marker
    tracker: DialogueStateTracker  # never handed out: Rasa changes the trackers it gets
    session_rows: int  # stored events of the latest session: what Rasa's `_additional_events` counts
    session_start: Optional[float]  # timestamp of the latest stored SessionStarted (Rasa's session filter)
    newest: Optional[float]  # the latest timestamp among those rows


def _copy(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A deep copy (a pickle round trip: about 4× faster than copy.deepcopy on a 30-turn tracker)."""
    return pickle.loads(pickle.dumps(tracker, pickle.HIGHEST_PROTOCOL))


def _latest(timestamps: Iterable[Optional[float]]) -> Optional[float]:
    """SQL's max(): NULLs left out, NULL if nothing is left."""
    return max((timestamp for timestamp in timestamps if timestamp is not None), default=None)


class CachingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with an LRU of recent conversations, checked against the database on every use."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        **kwargs: Any,
    ) -> None:
        """Rasa passes `host=url`, `domain`, `event_broker` and the endpoint's other keys (`cache_size` here)."""
        self._kept: "OrderedDict[Text, _Kept]" = OrderedDict()
        self.cache_size = int(cache_size)  # from `${VAR}` in endpoints.yml it is a string
        self.hits = 0  # retrieves served from memory, and read from the database (tests, measurements)
        self.misses = 0
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        events = self.SQLEvent.__table__
        self._marker_query = sa.select(sa.func.max(events.c.id), sa.func.count(events.c.id)).where(
            events.c.sender_id == sa.bindparam("sender_id")
        )

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        """A new model may bring other slots: trackers kept with the old ones are forgotten."""
        self._domain = domain or Domain.empty()
        self.forget()

    def forget(self, sender_id: Optional[Text] = None) -> None:
        """Drop one conversation (or all) from memory; the next retrieve reads the database."""
        if sender_id is None:
            self._kept.clear()
        else:
            self._kept.pop(sender_id, None)

    def _marker(self, session: Any, sender_id: Text) -> Marker:
        newest, count = session.execute(self._marker_query, {"sender_id": sender_id}).one()
        return newest, count

    def _keep(self, sender_id: Text, kept: _Kept) -> None:
        if self.cache_size <= 0 or not kept.session_rows:  # no rows: Rasa's retrieve says None
            return
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.cache_size:
            self._kept.popitem(last=False)

    def _tracker(self, sender_id: Text, data: List[Text]) -> DialogueStateTracker:
        """As SQLTrackerStore._retrieve builds it from the rows' JSON: decoded and replayed."""
        return DialogueStateTracker.from_dict(sender_id, [json.loads(text) for text in data], self.domain.slots)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session's tracker: a copy of the kept one if the marker is unchanged, else as Rasa reads it."""
        with self.session_scope() as session:
            # The marker is read before the events: if a write lands in between, the kept marker is older
            # than the events and the next use reads again (never the other way round).
            marker = self._marker(session, sender_id)
            kept = self._kept.get(sender_id)
            if kept is not None and kept.marker == marker:
                self._kept.move_to_end(sender_id)
                self.hits += 1
                return _copy(kept.tracker)
            self._kept.pop(sender_id, None)
            self.misses += 1
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            if not self.domain or not rows:  # as SQLTrackerStore._retrieve
                return None
            tracker = self._tracker(sender_id, [row.data for row in rows])
            # Rasa's filter keeps timestamps >= the latest SessionStarted's, so that row is among these.
            session_start = _latest(row.timestamp for row in rows if row.type_name == SessionStarted.type_name)
            newest = _latest(row.timestamp for row in rows)
            self._keep(sender_id, _Kept(marker, tracker, len(rows), session_start, newest))
            return _copy(tracker)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the events Rasa would write (those after the stored ones of the session), then update memory."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)  # back only once the write is committed
        with self.session_scope() as session:
            marker = self._marker(session, sender_id)
            if kept is None or kept.marker != marker:
                kept = None
                if marker == (None, 0):  # nothing stored: Rasa's next read is what is written now
                    kept = _Kept(marker, self._tracker(sender_id, []), 0, None, None)
            # Rasa's `_additional_events` counts the stored rows of the session; the kept entry knows it.
            if kept is not None:
                stored = kept.session_rows
            else:
                stored = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
            rows = [self._row(sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            written = [self.SQLEvent(**row) for row in rows]
            session.add_all(written)
            session.flush()  # the ids, in insertion order (read now: the commit expires the objects)
            ids = [event.id for event in written]
            session.commit()
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")
        if kept is not None:
            after = self._after_write(sender_id, kept, rows, ids)
            if after is not None:
                self._keep(sender_id, after)

    def _after_write(
        self, sender_id: Text, kept: _Kept, rows: List[Dict[Text, Any]], ids: List[int]
    ) -> Optional[_Kept]:
        """Rasa's next read once `rows` are stored after `kept`'s, or None where that is not certain.

        Rows are decoded from the JSON written, as Rasa's read decodes them (never the caller's objects).
        """
        marker = (max(ids, default=kept.marker[0]), kept.marker[1] + len(rows))
        starts = [row["timestamp"] for row in rows if row["type_name"] == SessionStarted.type_name]
        session_start = _latest([kept.session_start, *starts])
        if session_start != kept.session_start:
            # A new session: Rasa reads the rows from its start on. Only new ones if every kept row is older.
            if kept.newest is not None and kept.newest >= session_start:
                return None
            session = [row for row in rows if row["timestamp"] is not None and row["timestamp"] >= session_start]
            tracker = self._tracker(sender_id, [row["data"] for row in session])
            return _Kept(marker, tracker, len(session), session_start, _latest(row["timestamp"] for row in session))
        if session_start is not None and any(
            row["timestamp"] is None or row["timestamp"] < session_start for row in rows
        ):
            return None  # Rasa's session filter would leave that row out
        for event in deserialise_events([json.loads(row["data"]) for row in rows]):
            kept.tracker.update(event)
        kept.marker = marker
        kept.session_rows += len(rows)
        kept.newest = _latest([kept.newest, *(row["timestamp"] for row in rows)])
        return kept

    @staticmethod
    def _row(sender_id: Text, event: Event) -> Dict[Text, Any]:
        """The columns of one events row, exactly as SQLTrackerStore.save fills them."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
