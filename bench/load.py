"""REST load for the benchmark: one user at a time, or N concurrent conversations for a fixed time.

A small asyncio + aiohttp client rather than Locust: client and servers share
this 2-core machine, so the client must cost as little CPU as possible (one
event loop, keep-alive connections, no per-user greenlet or stats machinery),
and aiohttp is already installed with Rasa, so nothing is added. The load model
is Locust's with `wait_time = constant(0)`: closed loop, each virtual user
sends its next message as soon as the previous reply arrives, so the measured
throughput is what the server sustains at that concurrency. The client's own
CPU time is reported with the results.
"""

from __future__ import annotations

import asyncio
import itertools
import resource
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import aiohttp

from bench.stats import latency_summary

TIMEOUT_S = 30


@dataclass
class Outcome:
    """Every request of one measurement: latencies of the answered ones, and what went wrong with the others."""

    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    empty_replies: int = 0


async def _send(session: aiohttp.ClientSession, url: str, sender: str, text: str, outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
            body = await response.json(content_type=None) if response.status == 200 else None
            if response.status != 200:
                outcome.errors.append(f"HTTP {response.status} for {text!r}")
                return
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        outcome.errors.append(f"{type(error).__name__} for {text!r}")
        return
    outcome.latencies.append(time.perf_counter() - started)
    if not body:
        outcome.empty_replies += 1  # answered, but with nothing to show the user


def _session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections), timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)
    )


async def _conversations(url: str, script: Sequence[Sequence[str]], count: int, outcome: Outcome, tag: str) -> None:
    """`count` messages, one at a time, conversation after conversation (a new sender id for each)."""
    async with _session(1) as session:
        sent = 0
        for conversation in itertools.cycle(script):
            sender = f"{tag}-{uuid.uuid4().hex[:12]}"
            for text in conversation:
                if sent == count:
                    return
                await _send(session, url, sender, text, outcome)
                sent += 1


def single_user(url: str, script: Sequence[Sequence[str]], count: int) -> Dict[str, object]:
    """Per-message latency for one user: no queueing, so this is the server's own time per message."""
    outcome = Outcome()
    asyncio.run(_conversations(url, script, count, outcome, "latency"))
    return {
        **latency_summary(outcome.latencies),
        "errors": len(outcome.errors),
        "empty_replies": outcome.empty_replies,
        "error_samples": outcome.errors[:3],
    }


def warm_up(url: str, script: Sequence[Sequence[str]], rounds: int = 2) -> None:
    """Every message of the mix a few times, unmeasured: lazy loading, first-call caches, JIT-free warm paths."""
    count = rounds * sum(len(c) for c in script)
    outcome = Outcome()
    asyncio.run(_conversations(url, script, count, outcome, "warmup"))
    if outcome.errors:
        raise RuntimeError(f"warm-up failed: {outcome.errors[:3]}")


async def _load(url: str, script: Sequence[Sequence[str]], users: int, seconds: float) -> Dict[str, object]:
    outcome = Outcome()
    deadline = time.perf_counter() + seconds

    async def user(index: int) -> None:
        # Each user starts at a different conversation so the mix is spread across the users at every moment.
        conversations = itertools.islice(itertools.cycle(script), index % len(script), None)
        for conversation in conversations:
            sender = f"load-{uuid.uuid4().hex[:12]}"
            for text in conversation:
                if time.perf_counter() >= deadline:
                    return
                await _send(session, url, sender, text, outcome)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    async with _session(users) as session:
        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))
        elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "messages": len(outcome.latencies),
        "messages_per_s": round(len(outcome.latencies) / elapsed, 1),
        "errors": len(outcome.errors),
        "empty_replies": outcome.empty_replies,
        "error_samples": outcome.errors[:3],
        **{key: value for key, value in latency_summary(outcome.latencies).items() if key != "count"},
        "client_cpu_s": round(client_cpu, 1),
    }


def load(url: str, script: Sequence[Sequence[str]], users: int, seconds: float) -> Dict[str, object]:
    """Closed-loop load: `users` conversations at once for `seconds`; requests in flight at the end complete."""
    return asyncio.run(_load(url, script, users, seconds))
