"""👍/👎: kept only for topics the assistant asks about, once per topic per conversation.

The action runs as the action server runs it (rasa-sdk Tracker in, CollectingDispatcher
out); the conversation's events are written with Rasa's own event classes, in the order
Rasa logs them. The last test goes through the real Rasa server and action server.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.constants import READING_KEY
from actions.feedback import FEEDBACK_TOPICS, counted_ratings
from actions.reading import Reading
from insights import metrics
from insights.store import Conversation
from tests.helpers import ACTIONS, make_tracker, run_coroutine

NOT_NOTED = "I haven't noted it"
ALREADY = "already noted your rating"


class Chat:
    """One conversation's events as Rasa logs them: the message, the action, what it returned."""

    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []
        self.slots: Dict[str, Any] = {}

    def log(self, *events: Event) -> None:
        for event in events:
            self.events.append(event.as_dict())
            if isinstance(event, SlotSet):
                self.slots[event.key] = event.value

    def click(self, payload: str) -> Tuple[str, Dict[str, Any]]:
        """A 👍/👎 payload (`/feedback_negative{"feedback_topic": "pay"}`) or typed text with its intent."""
        intent, _, entities = payload.lstrip("/").partition("{")
        entities = [{"entity": k, "value": v} for k, v in json.loads("{" + entities).items()] if entities else []
        return self.send(payload, intent, entities)

    def send(self, text: str, intent: str, entities: Optional[List[dict]] = None) -> Tuple[str, Dict[str, Any]]:
        message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
        self.log(UserUttered(text, message["intent"], message["entities"]))
        tracker = Tracker(
            sender_id="feedback-test",
            slots=dict(self.slots),
            latest_message=message,
            events=list(self.events),
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )
        dispatcher = CollectingDispatcher()
        returned = run_coroutine(ACTIONS["action_record_feedback"].run(dispatcher, tracker, {}))
        self.log(ActionExecuted("action_record_feedback"), *[SlotSet(e["name"], e["value"]) for e in returned])
        self.log(ActionExecuted("action_listen"))
        return "\n".join(m.get("text") or "" for m in dispatcher.messages), {e["name"]: e["value"] for e in returned}


def prompted_topic(action: str, tracker: Tracker) -> Optional[str]:
    """The topic in the "Was this helpful?" buttons an answer action sends, if it asks."""
    dispatcher = CollectingDispatcher()
    run_coroutine(ACTIONS[action].run(dispatcher, tracker, {}))
    payloads = [
        b["payload"]
        for m in dispatcher.messages
        for b in m.get("buttons") or []
        if b["payload"].startswith("/feedback_")
    ]
    return json.loads("{" + payloads[0].partition("{")[2])["feedback_topic"] if payloads else None


def reading_tracker(reading: Reading) -> Tracker:
    return Tracker(
        sender_id="feedback-test",
        slots={},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
        latest_message={
            "text": "…",
            "intent": {"name": "ask_not_covered", "confidence": 1.0},
            "entities": [],
            READING_KEY: reading.as_dict(),
        },
    )


def test_the_known_topics_are_exactly_those_the_assistant_asks_about():
    asked = {prompted_topic(name, make_tracker("any")) for name in ACTIONS if name.startswith("action_answer_")}
    asked |= {
        prompted_topic("action_answer_reading", reading_tracker(r))
        for r in (Reading(gaps=("exam_retakes",)), Reading(roles=("RN",)), Reading(situations=("military",)))
    }
    assert asked - {None} == FEEDBACK_TOPICS
    for topic in FEEDBACK_TOPICS:
        said, events = Chat().click(f'/feedback_positive{{"feedback_topic": "{topic}"}}')
        assert events == {"feedback": {"rating": "positive", "topic": topic}}, topic
        assert "glad it helped" in said


@pytest.mark.parametrize(
    "payload",
    [
        '/feedback_negative{"feedback_topic": "the bot is useless, fire the advisors"}',
        '/feedback_negative{"feedback_topic": "<script>alert(1)</script>"}',
        '/feedback_negative{"feedback_topic": ""}',
        '/feedback_positive{"feedback_topic": ["pay"]}',
        '/feedback_positive{"feedback_topic": {"topic": "pay"}}',
        '/feedback_positive{"feedback_topic": null}',
    ],
)
def test_a_forged_topic_is_not_recorded(payload: str):
    chat = Chat()
    chat.slots["topic"] = "pay"  # a real topic on the table does not stand in for a forged one
    said, events = chat.click(payload)
    assert events == {} and NOT_NOTED in said and "sorry" not in said


def test_typed_thanks_rate_the_answer_just_given_or_nothing():
    chat = Chat()
    said, events = chat.send("that helped", "feedback_positive")
    assert events == {} and NOT_NOTED in said  # no answer given yet
    chat.slots["topic"] = "duties"
    said, events = chat.send("that helped", "feedback_positive")
    assert events == {"feedback": {"rating": "positive", "topic": "duties"}}


def test_one_rating_per_topic_per_conversation():
    chat = Chat()
    said, events = chat.click('/feedback_negative{"feedback_topic": "pay"}')
    assert events == {"feedback": {"rating": "negative", "topic": "pay"}} and "sorry that didn't help" in said
    for again in ('/feedback_negative{"feedback_topic": "pay"}', '/feedback_positive{"feedback_topic": "pay"}'):
        said, events = chat.click(again)
        assert events == {} and ALREADY in said
    chat.slots["topic"] = "pay"
    said, events = chat.send("that was useful", "feedback_positive")
    assert events == {} and ALREADY in said
    said, events = chat.click('/feedback_positive{"feedback_topic": "duties"}')
    assert events == {"feedback": {"rating": "positive", "topic": "duties"}}
    # What the insights report counts from these events: the same two ratings.
    assert [(rating, topic) for _, rating, topic in counted_ratings(chat.events)] == [
        ("negative", "pay"),
        ("positive", "duties"),
    ]


def test_a_new_session_is_a_new_conversation():
    chat = Chat()
    chat.click('/feedback_negative{"feedback_topic": "pay"}')
    # Rasa carries the slot into the next session (carry_over_slots_to_new_session): not a rating there.
    chat.events = []
    chat.log(
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("feedback", chat.slots["feedback"]),
        ActionExecuted("action_listen"),
    )
    said, events = chat.click('/feedback_positive{"feedback_topic": "pay"}')
    assert events == {"feedback": {"rating": "positive", "topic": "pay"}}


@pytest.mark.stack
def test_over_the_real_stack(stack):
    sender = f"feedback-{uuid.uuid4()}"

    def reply(message: str) -> str:
        return "\n".join(r.get("text", "") for r in stack.send(sender, message))

    assert "Was this helpful?" in reply("what skills do I need?")
    assert "sorry that didn't help" in reply('/feedback_negative{"feedback_topic":"skills"}')
    assert ALREADY in reply('/feedback_positive{"feedback_topic":"skills"}')
    assert NOT_NOTED in reply('/feedback_positive{"feedback_topic":"free pizza"}')
    tracker = stack.tracker(sender)
    assert tracker["slots"]["feedback"] == {"rating": "negative", "topic": "skills"}
    # Rasa's own event log, read by the report's rule: one rating.
    today = date.today()
    period = metrics.Period(today - timedelta(days=1), today + timedelta(days=1), timezone.utc)
    built = metrics.build([Conversation(sender, tracker["events"])], period)
    assert built["feedback"]["by_topic"] == [{"topic": "skills", "label": "Skills", "positive": 0, "negative": 1}]
