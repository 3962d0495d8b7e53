"""Which 👍/👎 ratings count: one per answer topic per conversation, for topics the assistant asks about.

The feedback buttons carry their topic in the payload (`/feedback_negative{"feedback_topic": "pay"}`),
so anyone can send any topic, as often as they like. action_record_feedback checks a rating
against this before keeping it; the insights report counts by the same rule, so conversations
stored before the action checked count the same way. No knowledge file is read here: the
report imports this module too.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

from actions.constants import ACTION_RECORD_FEEDBACK, FEEDBACK_RATINGS, FEEDBACK_READING_TOPICS, SLOT_FEEDBACK
from actions.topic_wording import GAP_TOPICS, TOPICS

# Every topic actions/conversation.py's ask_feedback is called with: a topic answer or a gap
# (answer_topic), or the kind of answer to the student's own words (action_answer_reading).
FEEDBACK_TOPICS = frozenset({*TOPICS, *GAP_TOPICS, *FEEDBACK_READING_TOPICS})


def known_topic(topic: Any) -> bool:
    """A topic the assistant asks feedback about (a forged payload may carry any JSON value)."""
    return isinstance(topic, str) and topic in FEEDBACK_TOPICS


def counted_ratings(events: Iterable[Dict[str, Any]]) -> Iterator[Tuple[int, str, str]]:
    """(event index, rating, topic) of each rating that counts in one conversation's events.

    A rating is the `feedback` slot as action_record_feedback set it (Rasa logs the action
    just before the events it returned); the same slot carried into a new session by
    action_session_start is not another rating. Unknown topics and a topic's later ratings
    do not count.
    """
    last_action: Optional[str] = None
    rated = set()
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind == "action":
            last_action = event.get("name")
        elif kind == "slot" and event.get("name") == SLOT_FEEDBACK and last_action == ACTION_RECORD_FEEDBACK:
            value = event.get("value")
            rating, topic = (value.get("rating"), value.get("topic")) if isinstance(value, dict) else (None, None)
            if rating in FEEDBACK_RATINGS and known_topic(topic) and topic not in rated:
                rated.add(topic)
                yield index, rating, topic
