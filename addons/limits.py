"""What one client may send, and the plain answers it gets when it sends more.

A message is read by Rasa's single event loop; one huge message or a fast
stream of them delays every other student. The channels (addons/channels.py)
check each message here before anything else happens to it.

Settings (environment, read when the Rasa server starts):
- MAX_MESSAGE_CHARS (default 1000): longer messages get TOO_LONG, unprocessed.
- MAX_REQUEST_BYTES (default 65536): larger HTTP bodies and socket.io packets
  are refused before they are read (413 with TOO_LONG over REST).
- RATE_PER_SENDER (default "30/60"): messages per seconds for one conversation.
- RATE_PER_ADDRESS (default "120/60"): for one network address (a school lab
  behind one address shares it; raise it if yours is large).
- MAX_TURNS_PER_SESSION (default 200): after this many messages in one
  conversation without a pause of SESSION_MINUTES (default 60, Rasa's
  session_expiration_time), the next one starts a new session. Each turn reads,
  replays and sends the whole session to the action server, so an endless one
  would make every turn slower; no student's conversation comes near 200.
- RATE_LIMITS=off turns both rates off (the test and benchmark stacks, which
  send from one address as fast as they can; tests/test_limits.py keeps them on).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Optional, Tuple

TOO_LONG = (
    "That's a long message: I can read up to {limit:,} characters at a time. Could you ask it in a sentence or two?"
)
TOO_FAST = "You're sending messages faster than I can read them. Please wait a few seconds and try again."
FRESH_START = (
    "We've covered a lot in this conversation, so I've started a fresh one to keep my answers quick. "
    "Here's my answer to your last message:"
)
NO_TEXT = "I didn't get a message there. What would you like to know about becoming a medical assistant?"
# The same, to a page in Spanish (its `language` metadata: these are said before any message is read).
IN_SPANISH = {
    TOO_LONG: "Es un mensaje largo: puedo leer hasta {limit:,} caracteres a la vez. ¿Puedes preguntarlo en una o "
    "dos frases?",
    TOO_FAST: "Estás enviando mensajes más rápido de lo que puedo leerlos. Espera unos segundos y vuelve a intentarlo.",
    FRESH_START: "Hemos hablado de muchas cosas en esta conversación, así que empecé una nueva para responder rápido. "
    "Esta es mi respuesta a tu último mensaje:",
    NO_TEXT: "No me llegó ningún mensaje. ¿Qué te gustaría saber sobre cómo ser asistente médico?",
}


def worded(text: str, language: Optional[str]) -> str:
    """One of the texts above in the page's language (English unless the page is Spanish)."""
    return IN_SPANISH.get(text, text) if language == "es" else text


DEFAULT_MAX_MESSAGE_CHARS = 1000
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
MAX_SENDER_CHARS = 128


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def _rate_env(name: str, default: str) -> Tuple[int, float]:
    """ "30/60" -> 30 messages per 60 seconds."""
    value = os.environ.get(name, "").strip() or default
    count, _, seconds = value.partition("/")
    if not (count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) > 0):
        raise ValueError(f"{name} must look like 30/60 (messages/seconds), not {value!r}")
    return int(count), float(seconds)


@dataclass
class TokenBuckets:
    """`count` messages per `seconds` for each key, with bursts up to `count`."""

    count: int
    seconds: float
    buckets: Dict[str, Tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, when)
    max_keys: int = 50_000

    def allow(self, key: str, now: Optional[float] = None) -> bool:
        now = time.monotonic() if now is None else now
        rate = self.count / self.seconds
        tokens, when = self.buckets.get(key, (float(self.count), now))
        tokens = min(float(self.count), tokens + (now - when) * rate)
        allowed = tokens >= 1.0
        self.buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self.buckets) > self.max_keys:
            self._forget_full(now)
        return allowed

    def _forget_full(self, now: float) -> None:
        """Keys whose bucket has refilled carry no information; dropping them bounds memory."""
        rate = self.count / self.seconds
        full = [key for key, (tokens, when) in self.buckets.items() if tokens + (now - when) * rate >= self.count]
        for key in full:
            del self.buckets[key]


@dataclass
class SessionTurns:
    """Messages per conversation since it last paused for a session's expiry time (one process's view)."""

    max_turns: int
    idle_seconds: float
    seen: Dict[str, Tuple[int, float]] = field(default_factory=dict)  # sender -> (turns, last message)

    def start_anew(self, sender: str, now: Optional[float] = None) -> bool:
        """Counts a message; True when it is one too many and the conversation should start a new session."""
        now = time.monotonic() if now is None else now
        turns, last = self.seen.get(sender, (0, now))
        turns = 0 if now - last > self.idle_seconds else turns
        anew = turns >= self.max_turns
        self.seen[sender] = (1 if anew else turns + 1, now)
        if len(self.seen) > 50_000:
            for key in [key for key, (_, when) in self.seen.items() if now - when > self.idle_seconds]:
                del self.seen[key]
        return anew


@dataclass
class Limits:
    """The limits of one Rasa process (each instance counts for itself)."""

    max_message_chars: int
    max_request_bytes: int
    per_sender: Optional[TokenBuckets]
    per_address: Optional[TokenBuckets]
    turns: SessionTurns

    @classmethod
    def from_env(cls) -> "Limits":
        rates_on = os.environ.get("RATE_LIMITS", "on").strip().lower() not in {"off", "0", "false", "no"}
        return cls(
            max_message_chars=_int_env("MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS),
            max_request_bytes=_int_env("MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES),
            per_sender=TokenBuckets(*_rate_env("RATE_PER_SENDER", "30/60")) if rates_on else None,
            per_address=TokenBuckets(*_rate_env("RATE_PER_ADDRESS", "120/60")) if rates_on else None,
            turns=SessionTurns(_int_env("MAX_TURNS_PER_SESSION", 200), 60.0 * _int_env("SESSION_MINUTES", 60)),
        )

    def refusal(self, text: object, sender: str, address: str) -> Optional[str]:
        """Which answer to give instead of processing the message (TOO_LONG, TOO_FAST, NO_TEXT), or None."""
        if not isinstance(text, str) or not text.strip():
            return NO_TEXT
        if len(text) > self.max_message_chars:
            return TOO_LONG
        if self.per_address is not None and not self.per_address.allow(address):
            return TOO_FAST
        if self.per_sender is not None and not self.per_sender.allow(sender):
            return TOO_FAST
        return None

    def say(self, refusal: str, language: Optional[str] = None) -> str:
        """A refusal's words in the page's language, the limit filled in."""
        return worded(refusal, language).format(limit=self.max_message_chars)

    def too_long(self, language: Optional[str] = None) -> str:
        return self.say(TOO_LONG, language)


@lru_cache(maxsize=1)
def shared_limits() -> Limits:
    """One set of counters for both channels: an address's rate covers REST and socket.io together."""
    return Limits.from_env()
