"""REST load for the benchmark: one user at a time, or N concurrent conversations for a fixed time.

A small asyncio + aiohttp client rather than Locust: client and servers share
this 2-core machine, so the client must cost as little CPU as possible (one
event loop, keep-alive connections, no per-user greenlet or stats machinery),
and aiohttp is already installed with Rasa, so nothing is added. The load model
is Locust's with `wait_time = constant(0)`: closed loop, each virtual user
sends its next message as soon as the previous reply arrives, so the measured
throughput is what the server sustains at that concurrency. The client's own
CPU time is reported with the results.

Behind nginx only socket.io is reachable (deploy/nginx.conf keeps REST
private), so the instances behind it are measured as students reach them:
one socket.io connection per conversation, as the widget opens, each virtual user from its own loopback address
(127.0.<n>.1: nginx's `ip_hash` keys on the first three octets, so this is how
many students look to it), over WebSocket as the widget once upgraded. socket.io has no "end of reply": the number of
bot messages each scripted message gets is learnt first (`reply_counts`) and a
message counts as answered when that many have arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import resource
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import aiohttp
import websockets

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


def _session(connections: int, keepalive: bool = True) -> aiohttp.ClientSession:
    """`keepalive=False`: a new connection per request, as a proxy without upstream keep-alive sends them."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, force_close=not keepalive),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
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


async def _load(
    url: str, script: Sequence[Sequence[str]], users: int, seconds: float, keepalive: bool = True
) -> Dict[str, object]:
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
    async with _session(users, keepalive) as session:
        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))
        elapsed = time.perf_counter() - started
    return _summary(outcome, users, elapsed, cpu_before)


def _summary(outcome: Outcome, users: int, elapsed: float, cpu_before: resource.struct_rusage) -> Dict[str, object]:
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


def load(
    url: str, script: Sequence[Sequence[str]], users: int, seconds: float, keepalive: bool = True
) -> Dict[str, object]:
    """Closed-loop load: `users` conversations at once for `seconds`; requests in flight at the end complete."""
    return asyncio.run(_load(url, script, users, seconds, keepalive))


# --------------------------------------------------------------------------- socket.io through nginx


def client_address(index: int) -> str:
    """Loopback source address of virtual student `index`: a /24 of its own, as nginx's ip_hash sees students."""
    return f"127.0.{index % 254 + 1}.1"


@functools.lru_cache(maxsize=1)
def _unverified_tls() -> ssl.SSLContext:
    """One client TLS context for every connection (building one loads the CA store: about 30 ms of CPU)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the throwaway certificate of a test or bench proxy
    return context


class SocketConversation:
    """One student's widget connection over socket.io (to nginx or a Rasa instance), from a chosen address.

    As web/widget/rasa-chat.js does it once upgraded: a WebSocket with the
    page's Origin, `session_request` with the id to continue (None: a new
    conversation), `user_uttered` with the confirmed id, replies as
    `bot_uttered` events. Engine.IO v4 / Socket.IO v5 framing written out
    (open `0`, ping `2` / pong `3`, namespace `40`, events `42[...]`) over the
    `websockets` package: python-socketio's asyncio client needs aiohttp's
    ClientWSTimeout (aiohttp >= 3.10) for WebSockets, Rasa 3.6 pins 3.9, and the
    hand-written client costs the shared CPU least.
    """

    def __init__(self, url: str, address: str = "127.0.0.1", origin: Optional[str] = None) -> None:
        self.url, self.address, self.origin = url, address, origin or url
        self.session_id: Optional[str] = None
        self._replies: "asyncio.Queue[dict]" = asyncio.Queue()
        self._confirmed: "asyncio.Queue[str]" = asyncio.Queue()
        self._socket: Optional[websockets.WebSocketClientProtocol] = None
        self._reader: Optional["asyncio.Task[None]"] = None

    async def connect(self, session_id: Optional[str] = None, timeout: float = TIMEOUT_S) -> str:
        """Opens the connection and the conversation; the session id the server confirmed."""
        secure = self.url.startswith("https://")
        context = _unverified_tls() if secure else None
        address = ("wss://" if secure else "ws://") + self.url.split("://", 1)[1]
        self._socket = await websockets.connect(
            f"{address}/socket.io/?EIO=4&transport=websocket",
            ssl=context,
            origin=self.origin,
            local_addr=(self.address, 0),
            open_timeout=timeout,
            ping_interval=None,  # Engine.IO pings itself
            compression=None,
        )
        try:
            opening = await asyncio.wait_for(self._socket.recv(), timeout)
            if not str(opening).startswith("0"):
                raise ConnectionError(f"no Engine.IO open packet: {opening!r}")
            await self._socket.send("40")
            connected = await asyncio.wait_for(self._socket.recv(), timeout)
            if not str(connected).startswith("40"):
                raise ConnectionError(f"namespace refused: {connected!r}")
            self._reader = asyncio.get_running_loop().create_task(self._read())
            await self._emit("session_request", {"session_id": session_id})
            self.session_id = await asyncio.wait_for(self._confirmed.get(), timeout)
        except BaseException:
            await self.close()
            raise
        return self.session_id

    async def _emit(self, event: str, data: object) -> None:
        assert self._socket is not None, "connect() first"
        await self._socket.send("42" + json.dumps([event, data]))

    async def _read(self) -> None:
        assert self._socket is not None
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self._socket:
                if frame == "2":
                    await self._socket.send("3")
                elif isinstance(frame, str) and frame.startswith("42"):
                    event, *args = json.loads(frame[2:])
                    if event == "bot_uttered" and args:
                        self._replies.put_nowait(args[0])
                    elif event == "session_confirm" and args:
                        self._confirmed.put_nowait(args[0])

    async def ask(
        self, text: str, expected: Optional[int] = None, quiet: float = 1.0, timeout: float = TIMEOUT_S
    ) -> List[dict]:
        """Sends `text`; the replies: `expected` of them, or (None) all that come until `quiet` seconds pass."""
        await self._emit("user_uttered", {"message": text, "session_id": self.session_id, "customData": {"page": "/"}})
        replies = [await self._reply(timeout)]
        while expected is None or len(replies) < expected:
            try:
                replies.append(await self._reply(quiet if expected is None else timeout))
            except asyncio.TimeoutError:
                if expected is None:
                    break
                raise
        return replies

    async def _reply(self, timeout: float) -> dict:
        if self._reader is not None and self._reader.done() and self._replies.empty():
            raise ConnectionError("the server closed the connection")
        return await asyncio.wait_for(self._replies.get(), timeout)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


async def _learn(url: str, script: Sequence[Sequence[str]], origin: Optional[str]) -> List[List[int]]:
    async def conversation(index: int, messages: Sequence[str]) -> List[int]:
        client = SocketConversation(url, client_address(200 + index), origin)
        await client.connect()
        try:
            return [len(await client.ask(text, quiet=1.0)) for text in messages]
        finally:
            await client.close()

    return list(await asyncio.gather(*(conversation(i, c) for i, c in enumerate(script))))


def reply_counts(url: str, script: Sequence[Sequence[str]], origin: Optional[str] = None) -> List[List[int]]:
    """How many bot messages each scripted message gets over socket.io; asked twice, they must agree."""
    first, second = asyncio.run(_learn(url, script, origin)), asyncio.run(_learn(url, script, origin))
    if first != second:
        raise RuntimeError(f"the replies per message are not repeatable, socket.io cannot be timed: {first} {second}")
    return first


async def _socket_user(
    url: str,
    script: Sequence[Sequence[str]],
    counts: Sequence[Sequence[int]],
    index: int,
    outcome: Outcome,
    deadline: float,
    origin: Optional[str],
    limit: Optional[int] = None,
) -> None:
    """One virtual student, conversation after conversation (a new connection each), until `deadline` or `limit`."""
    sent = 0
    order = itertools.islice(itertools.cycle(range(len(script))), index % len(script), None)
    for number in order:
        if time.perf_counter() >= deadline or sent == limit:
            return
        client = SocketConversation(url, client_address(index), origin)
        try:
            await client.connect()
        except Exception as error:  # noqa: BLE001 - any failure to connect is an error of the run
            outcome.errors.append(f"connect: {type(error).__name__}")
            sent += 1  # an attempt: a dead server must not keep a limited run going
            await asyncio.sleep(0.5)
            continue
        try:
            for text, expected in zip(script[number], counts[number], strict=True):
                if time.perf_counter() >= deadline or sent == limit:
                    return
                started = time.perf_counter()
                try:
                    await client.ask(text, expected=expected)
                except (asyncio.TimeoutError, ConnectionError) as error:
                    outcome.errors.append(f"{type(error).__name__} for {text!r}")
                    sent += 1
                    break  # this connection's replies are out of step now: a new conversation
                outcome.latencies.append(time.perf_counter() - started)
                sent += 1
        finally:
            await client.close()


def socket_single_user(
    url: str, script: Sequence[Sequence[str]], counts: Sequence[Sequence[int]], count: int, origin: Optional[str] = None
) -> Dict[str, object]:
    """Per-message latency of one student over socket.io (connection set-up not timed)."""
    outcome = Outcome()
    asyncio.run(_socket_user(url, script, counts, 0, outcome, float("inf"), origin, limit=count))
    return {
        **latency_summary(outcome.latencies),
        "errors": len(outcome.errors),
        "empty_replies": 0,
        "error_samples": outcome.errors[:3],
    }


async def _socket_load(
    url: str,
    script: Sequence[Sequence[str]],
    counts: Sequence[Sequence[int]],
    users: int,
    seconds: float,
    origin: Optional[str],
) -> Dict[str, object]:
    outcome = Outcome()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_socket_user(url, script, counts, i, outcome, deadline, origin) for i in range(users)))
    return _summary(outcome, users, time.perf_counter() - started, cpu_before)


def socket_load(
    url: str,
    script: Sequence[Sequence[str]],
    counts: Sequence[Sequence[int]],
    users: int,
    seconds: float,
    origin: Optional[str] = None,
) -> Dict[str, object]:
    """Closed-loop load over socket.io: `users` students, each from its own address, for `seconds`."""
    return asyncio.run(_socket_load(url, script, counts, users, seconds, origin))
