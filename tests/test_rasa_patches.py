"""The faster action-reply check must judge exactly like Rasa's own."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import addons  # noqa: F401  (applies the patch, as loading the model does)
from addons.rasa_patches import _validate_action_result

GOOD = {"events": [{"event": "slot", "name": "topic", "value": "pay"}], "responses": [{"text": "hi"}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"events": [{"event": "slot", "name": "topic", "value": "pay"}], "responses": "nope"},
]


def test_the_patch_is_in_place():
    assert RemoteAction._validate_action_result is _validate_action_result


def test_rasas_own_check_is_kept_for_the_benchmark():
    from addons.rasa_patches import RASA_VALIDATE_ACTION_RESULT

    assert RASA_VALIDATE_ACTION_RESULT is not _validate_action_result
    assert RASA_VALIDATE_ACTION_RESULT(RemoteAction("action_x", None), GOOD) is True


def test_valid_replies_pass():
    assert RemoteAction("action_x", None)._validate_action_result(GOOD) is True


@pytest.mark.parametrize("reply", BAD)
def test_invalid_replies_are_refused_as_before(reply):
    with pytest.raises(jsonschema.ValidationError) as patched:
        RemoteAction("action_x", None)._validate_action_result(reply)
    with pytest.raises(jsonschema.ValidationError) as original:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    assert patched.value.message.startswith(original.value.message)
    assert "Failed to validate Action server response" in patched.value.message


def _event_type_names():
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    return sorted({cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)})


@pytest.mark.parametrize("type_name", _event_type_names())
def test_every_event_type_resolves_to_the_class_rasa_finds(type_name):
    from rasa.shared.core.events import Event

    from addons.rasa_patches import RASA_RESOLVE_BY_TYPE

    assert Event.resolve_by_type(type_name) is RASA_RESOLVE_BY_TYPE(type_name)


def test_unknown_event_names_behave_as_in_rasa():
    from rasa.shared.core.events import Event, UserUttered

    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_an_event_class_defined_later_still_resolves():
    from rasa.shared.core.events import Event, SlotSet

    Event.resolve_by_type("slot")  # the index exists before the new class

    class LateEvent(SlotSet):
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent
    assert Event.from_parameters({"event": "late_event_for_test", "name": "topic", "value": "pay"}).value == "pay"


# --- Redis lock store: each change is one transaction (real Redis on 127.0.0.1:6379) ----------------


def _redis_stores(count: int):
    import uuid

    from rasa.core.lock_store import RedisLockStore

    prefix = "test" + uuid.uuid4().hex[:12]
    stores = [RedisLockStore(host="127.0.0.1", key_prefix=prefix) for _ in range(count)]
    try:
        stores[0].red.ping()
    except Exception as error:  # the machine starts Redis before the session; say so if it is not there
        pytest.fail(f"Redis on 127.0.0.1:6379 is needed for this test: {error}")
    return stores


def test_two_instances_issuing_tickets_at_once_never_get_the_same_number():
    from concurrent.futures import ThreadPoolExecutor

    stores = _redis_stores(4)  # four connections, as four Rasa instances would have
    conversation = "same-conversation"

    def issue(store):
        return [store.issue_ticket(conversation) for _ in range(50)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        tickets = [t for batch in pool.map(issue, stores) for t in batch]
    assert sorted(tickets) == list(range(200))
    stores[0].delete_lock(conversation)


def test_two_instances_never_serve_one_conversation_at_the_same_time():
    import asyncio
    import threading

    stores = _redis_stores(2)
    inside, overlaps, served = [0], [], []
    guard = threading.Lock()

    async def handle(store, message):
        async with store.lock("busy-conversation", wait_time_in_seconds=0.005):
            with guard:
                inside[0] += 1
                overlaps.append(inside[0])
            await asyncio.sleep(0.002)
            with guard:
                inside[0] -= 1
                served.append(message)

    def instance(store, name):
        async def run():
            await asyncio.gather(*(handle(store, f"{name}{i}") for i in range(15)))

        asyncio.run(run())

    threads = [threading.Thread(target=instance, args=(store, name), daemon=True) for store, name in zip(stores, "ab")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(served) == 30 and max(overlaps) == 1
    assert stores[0].get_lock("busy-conversation") is None  # the last one out deleted it


def test_finishing_keeps_the_lock_while_someone_waits_and_deletes_it_after():
    store, other = _redis_stores(2)
    first = store.issue_ticket("c")
    second = other.issue_ticket("c")
    store.cleanup("c", first)
    assert [t.number for t in other.get_lock("c").tickets] == [second]
    other.cleanup("c", second)
    assert store.get_lock("c") is None


def test_expired_tickets_are_dropped():
    store, = _redis_stores(1)
    waiting = store.issue_ticket("d")
    expired = store.issue_ticket("d", lock_lifetime=-1)
    assert [t.number for t in store.get_lock("d").tickets] == [waiting, expired]
    store.update_lock("d")
    assert [t.number for t in store.get_lock("d").tickets] == [waiting]
    store.cleanup("d", waiting)
