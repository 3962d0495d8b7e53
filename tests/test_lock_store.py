"""The Redis lock store of several Rasa instances: each change of a lock is one transaction (real Redis)."""

from __future__ import annotations

import inspect

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from addons.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.redis


def test_it_overrides_rasa_methods_with_the_same_signatures():
    """Rasa's LockStore.lock() calls these; a Rasa that calls them differently must fail here, not in production."""
    for name in ("issue_ticket", "update_lock", "finish_serving", "cleanup"):
        ours = inspect.signature(getattr(AtomicRedisLockStore, name))
        rasas = inspect.signature(getattr(RedisLockStore, name, None) or getattr(LockStore, name))
        assert list(ours.parameters) == list(rasas.parameters), name


def test_rasa_builds_it_from_endpoints_yml():
    from rasa.core.lock_store import LockStore as Store

    store = Store.create(
        EndpointConfig(url="127.0.0.1", type="addons.lock_store.AtomicRedisLockStore", key_prefix="endpointtest")
    )
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix.startswith("endpointtest:")
    store.red.ping()


def _redis_stores(count: int):
    import uuid

    prefix = "test" + uuid.uuid4().hex[:12]
    stores = [AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", key_prefix=prefix)) for _ in range(count)]
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

    threads = [
        threading.Thread(target=instance, args=(store, name), daemon=True)
        for store, name in zip(stores, "ab", strict=True)
    ]
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
    (store,) = _redis_stores(1)
    waiting = store.issue_ticket("d")
    expired = store.issue_ticket("d", lock_lifetime=-1)
    assert [t.number for t in store.get_lock("d").tickets] == [waiting, expired]
    store.update_lock("d")
    assert [t.number for t in store.get_lock("d").tickets] == [waiting]
    store.cleanup("d", waiting)
