"""Run actions the way the action server does: rasa-sdk Tracker in, CollectingDispatcher out."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import os
import re
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import yaml
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import DEFAULT_KNOWLEDGE_FILE, PROJECT_ROOT
from addons.language import VOCABULARY_FIELDS
from cma_stack import ROOT, quiet_env


@functools.lru_cache(maxsize=1)
def _actions() -> Dict[str, Action]:
    """Our actions by name, imported on first use: importing them loads (and checks) the knowledge
    files, which tests of the report and of broken knowledge files must not depend on."""
    from actions import questionnaire_actions, topic_actions

    return {
        cls().name(): cls()
        for module in (topic_actions, questionnaire_actions)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, Action)
        and cls.__module__ == module.__name__
        and cls not in (topic_actions.TopicAnswer, questionnaire_actions.AskAdvisorQuestion)
    }


def __getattr__(name: str) -> Any:
    if name == "ACTIONS":  # `from tests.helpers import ACTIONS`, built on first use
        return _actions()
    raise AttributeError(name)


def make_tracker(
    intent: str, entities: Sequence[Tuple[str, str]] = (), slots: Optional[Dict[str, Any]] = None, text: str = ""
) -> Tracker:
    return Tracker(
        sender_id="test-user",
        slots=dict(slots or {}),
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [{"entity": label, "value": value} for label, value in entities],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_coroutine(coroutine: Any) -> Any:
    """Run an action's coroutine on its own loop in a worker thread.

    Playwright's sync API keeps an event loop running in the main thread for
    the browser tests' session, so asyncio.run() there would refuse.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_action(action: str, tracker: Any) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Run one of our actions on a hand-built tracker: (messages sent, slots set)."""
    dispatcher = CollectingDispatcher()
    events = run_coroutine(_actions()[action].run(dispatcher, tracker, {"slots": {}, "forms": {}}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


class Conversation:
    """Keeps slots between turns, as Rasa would, so follow-ups can be tested."""

    def __init__(self) -> None:
        self.slots: Dict[str, Any] = {}

    def ask(self, action_name: str, intent: str, *entities: Tuple[str, str]) -> Tuple[str, List[dict]]:
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(intent, entities, self.slots)
        events = run_coroutine(_actions()[action_name].run(dispatcher, tracker, {}))
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        text = "\n".join(m.get("text") or "" for m in dispatcher.messages)
        responses = [m["response"] for m in dispatcher.messages if m.get("response")]
        # The answer's own buttons; a "Was this helpful?" prompt may follow it (tested separately).
        answer_buttons = dispatcher.messages[0]["buttons"] if dispatcher.messages else []
        return text + "".join(f"<{r}>" for r in responses), answer_buttons


# --------------------------------------------------------------------------- demo site and browser
# Shared by tests that put the demo pages in front of a test server (tests/test_nginx.py).

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_SERVER_URL = "http://127.0.0.1:5005"  # what the committed demo pages embed as data-server-url


def copy_demo_site(docroot: Path, server_url: str) -> Path:
    """web/ in `docroot`: the demo pages embedding `server_url`, everything else symlinked to web/."""
    docroot.mkdir(parents=True, exist_ok=True)
    web = Path(__file__).resolve().parent.parent / "web"
    for entry in web.iterdir():
        if entry.suffix == ".html":
            page = entry.read_text()
            assert DEMO_SERVER_URL in page, f"{entry.name} no longer embeds {DEMO_SERVER_URL}"
            (docroot / entry.name).write_text(page.replace(DEMO_SERVER_URL, server_url))
        else:
            (docroot / entry.name).symlink_to(entry)  # widget/, node_modules/, site.css ...
    return docroot


def _session_from(address: str) -> Any:
    """A requests session whose connections leave from `address` (added for tests/test_instances.py)."""
    import requests
    from requests.adapters import HTTPAdapter

    class FromAddress(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["source_address"] = (address, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify=False, and no proxy for loopback
    session.verify = False  # the test proxy's throwaway certificate
    for scheme in ("http://", "https://"):
        session.mount(scheme, FromAddress())
    return session


class SocketClient:
    """A socket.io client speaking Rasa's protocol, as the widget does (polling, like its first handshake)."""

    def __init__(
        self,
        url: str,
        session_id: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
        address: Optional[str] = None,
    ):
        """`address`: connect from this loopback address (how nginx's ip_hash tells students apart), any
        certificate accepted (a test proxy's); None: as before, the system's choice."""
        import logging
        import queue

        import socketio

        quiet = logging.getLogger("tests.socketio")
        quiet.setLevel(logging.CRITICAL)
        self.replies: "queue.Queue[dict]" = queue.Queue()
        self.session: "queue.Queue[str]" = queue.Queue()
        options: Dict[str, Any] = {}
        if address is not None:
            options = {"http_session": _session_from(address), "ssl_verify": False}
        self.sio = socketio.Client(reconnection=False, engineio_logger=quiet, **options)
        self.sio.on("bot_uttered", self.replies.put)
        self.sio.on("session_confirm", self.session.put)
        self.sio.connect(url, transports=["polling"], wait_timeout=20, headers=headers or {})
        self.session_id = self.request_session(session_id)

    def request_session(self, session_id: Optional[str]) -> str:
        """Asks to continue `session_id` (None: a new one); returns the id the server confirmed."""
        self.sio.emit("session_request", {"session_id": session_id})
        self.session_id = self.session.get(timeout=30)
        return self.session_id

    def say(self, payload: Any) -> None:
        self.sio.emit("user_uttered", payload)

    def ask(self, message: str, timeout: float = 60, session_id: Optional[str] = None) -> List[dict]:
        """Sends `message` (in `session_id`, default the confirmed one) and collects the replies."""
        import queue

        self.say({"message": message, "session_id": session_id or self.session_id, "customData": {"page": "/"}})
        replies = [self.replies.get(timeout=timeout)]
        while True:
            try:
                replies.append(self.replies.get(timeout=3))
            except queue.Empty:
                return replies

    def close(self) -> None:
        self.sio.disconnect()


def reply_text(replies: Sequence[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def converse(stack: Any, turns: Sequence[Tuple[str, Sequence[str], Sequence[str]]], sender: str = "") -> str:
    """Several turns of one conversation over REST: (message, must appear, must not appear); returns the sender."""
    sender = sender or f"e2e-{uuid.uuid4()}"
    for question, facts, absent in turns:
        text = reply_text(stack.send(sender, question))
        for fact in facts:
            assert fact in text, f"{fact!r} not in reply to {question!r}:\n{text}"
        for fact in absent:
            assert fact not in text, f"{fact!r} should not be in reply to {question!r}:\n{text}"
    return sender


# --------------------------------------------------------------------------- numbers
# Every number an answer gives must be in the knowledge file (or said by the student).

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NUMBER_WORDS = re.compile(
    r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred|thousand|million|dozen|half"
    # Spanish ("un"/"una"/"uno" are also articles, and "once" is English too: "once you finish", so left out)
    r"|cero|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|trece|catorce|quince|dieciséis|"
    r"diecisiete|dieciocho|diecinueve|veinte|treinta|cuarenta|cincuenta|cien|ciento|mil|millón|millones|docena)\b",
    re.IGNORECASE,
)
# "1. Choose your path" is a list marker, not a fact.
LIST_MARKER = re.compile(r"^\d+\. ", re.MULTILINE)

# Fields that hold words people type, not facts: a "6 months" in a gap's cues is no source for a 6.
_VOCABULARY_FIELDS = VOCABULARY_FIELDS | {"topic_words"}


def _wording(node: Any) -> Iterator[str]:
    """Every value of a knowledge file outside its vocabulary fields, as text."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _VOCABULARY_FIELDS:
                yield from _wording(value)
    elif isinstance(node, list):
        for item in node:
            yield from _wording(item)
    elif node is not None:
        yield str(node)


# The knowledge file's wording in every language (knowledge/cma.es.yml), its vocabulary left out.
_KNOWLEDGE_TEXT = "\n".join(
    text
    for path in sorted(DEFAULT_KNOWLEDGE_FILE.parent.glob("cma*.yml"))
    for text in _wording(yaml.safe_load(path.read_text(encoding="utf-8")))
)
KNOWN_NUMBERS = set(NUMBER.findall(_KNOWLEDGE_TEXT))
KNOWN_NUMBER_WORDS = {w.lower() for w in NUMBER_WORDS.findall(_KNOWLEDGE_TEXT)}


def numbers_in(text: str) -> Tuple[List[str], List[str]]:
    """The figures and the number words in `text` (list markers left out)."""
    text = LIST_MARKER.sub("", text)
    return NUMBER.findall(text), [w.lower() for w in NUMBER_WORDS.findall(text)]


# --------------------------------------------------------------------------- browser

# Replaces socket.io-client with a scripted server, for the situations the real bot
# cannot be made to produce on demand: a reply that never comes and hostile text.
# window.__sent records what the widget emitted; window.__bot(msg) plays a bot reply.
# The first bot message after the latest user message whose text matches, read from the page as
# it is at each check (an index taken earlier can point past the end: a conversation the server
# replaces clears the log under the test). Whitespace is collapsed, as Playwright's has_text does.
_LATEST_REPLY = """([source, flags]) => {
  const log = [...document.querySelector('.rcw-log').children];
  const after = log.slice(log.findLastIndex((m) => m.matches('.rcw-user')) + 1);
  const text = (m) => (m.querySelector('.rcw-bubble')?.innerText || '').replace(/\\s+/g, ' ').trim();
  const found = after.find((m) => m.matches('.rcw-bot:not(.rcw-typing)') && new RegExp(source, flags).test(text(m)));
  return found ? text(found) : null;
}"""


def bot_reply(page: Any, pattern: "re.Pattern[str] | str", timeout_ms: float) -> str:
    """Waits for the widget's reply to the latest user message that matches `pattern` (a text: found
    anywhere in it, any case) and returns its text; fails with the conversation as the page shows it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if isinstance(pattern, str):
        source, flags = re.escape(" ".join(pattern.split())), "i"
    else:
        source, flags = pattern.pattern, "i" if pattern.flags & re.IGNORECASE else ""
    try:
        return page.wait_for_function(_LATEST_REPLY, arg=[source, flags], timeout=timeout_ms).json_value()
    except PlaywrightTimeout:
        shown = page.locator(".rcw-log").inner_text()
        raise AssertionError(f"no reply matching {source!r} after the latest user message: {shown!r}") from None


SCRIPTED_SOCKET = """
window.__sent = [];
window.io = () => {
  const handlers = {};
  const fire = (event, arg) => (handlers[event] || []).forEach((handler) => handler(arg));
  const socket = {
    connected: false,
    on(event, handler) { (handlers[event] = handlers[event] || []).push(handler); return socket; },
    connect() { setTimeout(() => { socket.connected = true; fire('connect'); }); return socket; },
    disconnect() { socket.connected = false; fire('disconnect', 'io client disconnect'); return socket; },
    emit(event, data) {
      window.__sent.push({event, data});
      if (event === 'session_request') setTimeout(() => fire('session_confirm', 'scripted-session'));
    },
  };
  window.__bot = (message) => fire('bot_uttered', message);
  return socket.connect();
};
"""


def run_axe(page: Any) -> list:
    """WCAG 2.1 A/AA violations axe-core finds in a Playwright page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(PROJECT_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"))
    return page.evaluate(
        """async () => (await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        })).violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )


# --------------------------------------------------------------------------- stored conversations
# For the insights report: conversations written the way Rasa logs them.


def november_2026(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc).timestamp()


class TrackerScript:
    """Builds one sender's events the way Rasa logs them, one turn at a time.

    `page`: the widget's metadata on every message (None: REST, or an old widget). `language`: what
    addons/language.py put in the parse data (None: the message could not tell; MISSING, the default:
    stored before there was language detection)."""

    MISSING = object()

    def __init__(self, sender: str, page: Optional[Dict[str, str]] = None) -> None:
        self.sender = sender
        self.page = page
        self.events: List[Event] = []
        self.time = 0.0

    def session(self, when: float) -> "TrackerScript":
        self.time = when
        self.events += [
            ActionExecuted("action_session_start", timestamp=when),
            SessionStarted(timestamp=when),
            ActionExecuted("action_listen", timestamp=when),
        ]
        return self

    def say(
        self,
        text: str,
        intent: str,
        guess: Optional[str] = None,
        *then: Event,
        language: Any = MISSING,
        reply: str = "ok",
        action: Optional[str] = None,
        ask_feedback: bool = False,
    ) -> "TrackerScript":
        """One turn: the message (`guess`: the runner-up intent), the action's reply and the events it
        returned (`then`); `ask_feedback` adds the 👍/👎 prompt, in the page's language."""
        self.time += 30
        ranking = [{"name": intent, "confidence": 0.3}] + ([{"name": guess, "confidence": 0.2}] if guess else [])
        parse_data: Dict[str, Any] = {"intent_ranking": ranking}
        if language is not TrackerScript.MISSING:
            parse_data["language"] = language
        self.events.append(
            UserUttered(
                text,
                {"name": intent, "confidence": 0.3},
                parse_data=parse_data,
                metadata=dict(self.page) if self.page else None,
                timestamp=self.time,
            )
        )
        action = action or ("action_rephrase" if intent == "nlu_fallback" else f"action_answer_{intent}")
        self.events += [ActionExecuted(action, timestamp=self.time), BotUttered(reply, timestamp=self.time)]
        if ask_feedback:  # as actions/conversation.py does under a topic's first answer
            spanish = str((self.page or {}).get("language", "")).startswith("es")
            yes, no, prompt = ("👍 Sí", "👎 No", "¿Te sirvió?") if spanish else ("👍 Yes", "👎 No", "Was this helpful?")
            buttons = [
                {"title": yes, "payload": '/feedback_positive{"feedback_topic": "x"}'},
                {"title": no, "payload": '/feedback_negative{"feedback_topic": "x"}'},
            ]
            self.events.append(BotUttered(prompt, data={"buttons": buttons}, timestamp=self.time))
        for event in then:
            event.timestamp = self.time
        self.events += [*then, ActionExecuted("action_listen", timestamp=self.time)]
        return self

    def thumbs_down(self, topic: str, language: Any = MISSING) -> "TrackerScript":
        return self.say(
            "/feedback_negative",
            "feedback_negative",
            None,
            SlotSet("feedback", {"rating": "negative", "topic": topic}),
            language=language,
            action="action_record_feedback",
        )


def run_module(module: str, *args: str) -> subprocess.CompletedProcess:
    """The command as make runs it, in its own process (five minutes at most)."""
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, env=quiet_env(), timeout=300
    )


def call(main: Callable[[List[str]], int], *args: str) -> Tuple[int, str, str]:
    """A command's main() in this process (faster): exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit:  # argparse's usage errors
            status = exit.code
    return status, out.getvalue(), err.getvalue()
