"""A Redis lock store whose every change of a lock is one Redis transaction.

Named in endpoints.yml (`lock_store: type: addons.lock_store.AtomicRedisLockStore`),
Rasa's extension point for lock stores. Rasa's own `RedisLockStore` changes a
conversation's lock by reading it, changing it in Python and writing it back,
with nothing stopping another Rasa instance in between (Rasa issue #9213):
when two messages of one conversation reach two instances at the same moment,
both can be issued ticket 0 and run together, and the SQL tracker store then
drops one of the user messages (tests/test_scale.py caught it). Here each
change is one transaction (WATCH / MULTI, retried when the lock changed
meanwhile): issuing a ticket, dropping expired tickets, and finishing (remove
the ticket, delete the lock if nobody waits).
"""

from __future__ import annotations

import json
from typing import Any, Callable, List, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, safe for several Rasa instances sharing one conversation."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Rasa builds custom lock stores from the endpoint; tests may pass RedisLockStore's arguments."""
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change_lock(
        self, conversation_id: Text, change: Callable[[TicketLock], Optional[TicketLock]], create: bool = False
    ) -> None:
        """Read, `change` and write back the lock in one transaction (retried if another instance wrote it).

        `change` edits the lock and returns it, or None to delete it. With no stored lock it runs only if `create`.
        """
        key = self.key_prefix + conversation_id

        def apply(pipe: Any) -> None:
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            if lock is None and create:
                lock = self.create_lock(conversation_id)
            if lock is not None:
                lock = change(lock)
            pipe.multi()
            if lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, lock.dumps())

        self.red.transaction(apply, key)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        issued: List[int] = []  # the last attempt's ticket is the one stored

        def issue(lock: TicketLock) -> TicketLock:
            issued.append(lock.issue_ticket(lock_lifetime))
            return lock

        try:
            self._change_lock(conversation_id, issue, create=True)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return issued[-1]

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: TicketLock) -> TicketLock:
            lock.remove_expired_tickets()
            return lock

        self._change_lock(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._finish(conversation_id, ticket_number, delete_if_idle=False)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Finish serving and delete the lock if nobody waits, in one step (Rasa does it in three)."""
        self._finish(conversation_id, ticket_number, delete_if_idle=True)

    def _finish(self, conversation_id: Text, ticket_number: int, delete_if_idle: bool) -> None:
        def remove(lock: TicketLock) -> Optional[TicketLock]:
            lock.remove_ticket_for(ticket_number)
            return None if delete_if_idle and not lock.is_someone_waiting() else lock

        self._change_lock(conversation_id, remove)
