"""Rasa 3.6 fixes applied at import time (the package is imported when Rasa loads the model).

Every reply from the action server is checked against a JSON schema. Rasa 3.6
calls `jsonschema.validate`, which checks the schema itself and builds a new
validator on every call: about half of the Rasa server's CPU per message in
`make bench-isolate` (86 -> 41 ms per message with the validator built once).
The check stays exactly as strict; only the validator is reused.

Every stored event is turned back into an object by `Event.resolve_by_type`,
which walks the whole Event class tree for each one (about 5 % of the server's
CPU per message in a py-spy profile, more as conversations grow). The lookup
is now a dict, rebuilt when a name is missing so events defined later still
resolve; names it cannot find go to Rasa's own method, unchanged.

Rasa's `RedisLockStore` changes a conversation's lock by reading it, changing
it in Python and writing it back, with nothing stopping another Rasa instance
in between (Rasa issue #9213). When two messages of one conversation reach two
instances at the same moment, both can be issued ticket 0 and run together;
the SQL tracker store then drops one of the user messages
(tests/test_scale.py caught it). Each change is now one Redis transaction
(WATCH / MULTI, retried when the lock changed meanwhile): issuing a ticket,
dropping expired tickets, and finishing (remove the ticket, delete the lock if
nobody waits).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Text, Type

import jsonschema
import rasa.core.actions.action
import rasa.shared.utils.common
from jsonschema.exceptions import best_match
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.shared.core.events import Event

RemoteAction = rasa.core.actions.action.RemoteAction
# Rasa's own method, kept so `make bench-isolate` can measure without the patch.
RASA_VALIDATE_ACTION_RESULT = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Same verdict and message as Rasa's, with the validator built once."""
    error = best_match(_reply_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid."
        )
        raise error
    return True


RemoteAction._validate_action_result = _validate_action_result


# Rasa's own lookup, kept for names the dict does not know (its fallbacks and errors).
RASA_RESOLVE_BY_TYPE = Event.resolve_by_type
_event_classes: Dict[Text, Type[Event]] = {}


def _index_event_classes() -> None:
    """Type name -> class, first match wins as in Rasa's walk of the class tree."""
    _event_classes.clear()
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        _event_classes.setdefault(cls.type_name, cls)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Same answer as Rasa's `Event.resolve_by_type`, without walking the class tree each time."""
    cls = _event_classes.get(type_name)
    if cls is None:
        _index_event_classes()
        cls = _event_classes.get(type_name)
    return cls if cls is not None else RASA_RESOLVE_BY_TYPE(type_name, default)


Event.resolve_by_type = staticmethod(resolve_by_type)


def _change_lock(
    store: RedisLockStore,
    conversation_id: Text,
    change: Callable[[TicketLock], Optional[TicketLock]],
    create: bool = False,
) -> None:
    """Read, `change` and write back the lock in one transaction (retried if another instance wrote it).

    `change` edits the lock and returns it, or None to delete it. With no stored lock it runs only if `create`.
    """
    key = store.key_prefix + conversation_id

    def apply(pipe: Any) -> None:
        stored = pipe.get(key)
        lock = TicketLock.from_dict(json.loads(stored)) if stored else None
        if lock is None and create:
            lock = store.create_lock(conversation_id)
        if lock is not None:
            lock = change(lock)
        pipe.multi()
        if lock is None:
            pipe.delete(key)
        else:
            pipe.set(key, lock.dumps())

    store.red.transaction(apply, key)


def issue_ticket(self: RedisLockStore, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
    issued: List[int] = []  # the last attempt's ticket is the one stored

    def issue(lock: TicketLock) -> TicketLock:
        issued.append(lock.issue_ticket(lock_lifetime))
        return lock

    try:
        _change_lock(self, conversation_id, issue, create=True)
    except Exception as error:
        raise LockError(f"Error while acquiring lock. Error:\n{error}")
    return issued[-1]


def update_lock(self: RedisLockStore, conversation_id: Text) -> None:
    def drop_expired(lock: TicketLock) -> TicketLock:
        lock.remove_expired_tickets()
        return lock

    _change_lock(self, conversation_id, drop_expired)


def _finish(self: RedisLockStore, conversation_id: Text, ticket_number: int, delete_if_idle: bool) -> None:
    def remove(lock: TicketLock) -> Optional[TicketLock]:
        lock.remove_ticket_for(ticket_number)
        return None if delete_if_idle and not lock.is_someone_waiting() else lock

    _change_lock(self, conversation_id, remove)


def finish_serving(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    _finish(self, conversation_id, ticket_number, delete_if_idle=False)


def cleanup(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    """Finish serving and delete the lock if nobody waits, in one step (Rasa does it in three)."""
    _finish(self, conversation_id, ticket_number, delete_if_idle=True)


RedisLockStore.issue_ticket = issue_ticket
RedisLockStore.update_lock = update_lock
RedisLockStore.finish_serving = finish_serving
RedisLockStore.cleanup = cleanup
