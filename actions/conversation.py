"""Conversation plumbing shared by the action modules: the knowledge and the school's details
(loaded and checked once, when the action server starts), entities in canonical form, what
the conversation remembers, and how an answer is sent.

A malformed knowledge or site file stops the action server before it accepts a
single request, naming the file, the entry and the field.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advisor_rules import Situation, personal_fit
from actions.advisor_wording import feedback_prompt, personal_note
from actions.constants import (
    ADVISOR_SLOT_PREFIX,
    ENGLISH,
    ENTITY_CERTIFICATION_STATUS,
    ENTITY_CREDENTIAL,
    ENTITY_LOCATION,
    ENTITY_ORGANIZATION,
    ENTITY_PAY_PERIOD,
    ENTITY_SKILL_TYPE,
    READING_KEY,
    SLOT_CERTIFICATION_STATUS,
    SLOT_COMPARED,
    SLOT_CREDENTIAL,
    SLOT_FEEDBACK_ASKED,
    SLOT_LOCATION,
    SLOT_ORGANIZATION,
    SLOT_PAY_PERIOD,
    SLOT_SKILL_TYPE,
    SLOT_TOPIC,
)
from actions.knowledge import ADVISOR_SLOTS, Knowledge, load_languages, load_or_exit, load_site
from actions.language import tracker_language
from actions.reading import Reading
from actions.topic_wording import GAP_TOPICS, TOPICS, gap_answer
from actions.wording import Answer, Context, translated

# The knowledge worded in each language; the English one (with every language's
# vocabulary) is what messages are read with.
WORDED = load_or_exit(load_languages)
KNOWLEDGE = WORDED[ENGLISH]
SITE = load_or_exit(load_site)

# Each entity label maps to the slot that remembers it.
ENTITY_SLOTS = {
    ENTITY_CREDENTIAL: SLOT_CREDENTIAL,
    ENTITY_ORGANIZATION: SLOT_ORGANIZATION,
    ENTITY_CERTIFICATION_STATUS: SLOT_CERTIFICATION_STATUS,
    ENTITY_PAY_PERIOD: SLOT_PAY_PERIOD,
    ENTITY_SKILL_TYPE: SLOT_SKILL_TYPE,
    ENTITY_LOCATION: SLOT_LOCATION,
}


def _canonical_lookup(kb: Knowledge) -> Dict[str, Dict[str, str]]:
    """label -> lowercase phrase or value -> canonical value, for entities that arrive un-normalised."""
    lookup: Dict[str, Dict[str, str]] = {}
    for label, values in kb.entity_vocabulary().items():
        table = lookup.setdefault(label, {})
        for value, phrases in values.items():
            table[value.lower()] = value
            for phrase in phrases:
                table[phrase] = value
    return lookup


CANONICAL = _canonical_lookup(KNOWLEDGE)


def message_entities(tracker: Tracker) -> Dict[str, List[str]]:
    """Known entity values in the latest message, canonical and de-duplicated, in order.

    Values the knowledge file does not know (a typo in a button payload, a
    crafted `/intent{...}` message) are dropped rather than echoed back.
    """
    found: Dict[str, List[str]] = {}
    for entity in tracker.latest_message.get("entities", []):
        label, value = entity.get("entity"), entity.get("value")
        if label not in CANONICAL or not isinstance(value, str):
            continue
        canonical = CANONICAL[label].get(" ".join(value.lower().split()))
        if canonical and canonical not in found.setdefault(label, []):
            found[label].append(canonical)
    return {label: values for label, values in found.items() if values}


def issued_by(organization: Optional[str]) -> Optional[str]:
    """ "Am I eligible for NCCT certification?" asks about the one credential NCCT issues."""
    issued = [c.id for c in KNOWLEDGE.credentials if c.issuer == organization]
    return issued[0] if len(issued) == 1 else None


def first(values: Optional[List[str]]) -> Optional[str]:
    return values[0] if values else None


def remembered_context(tracker: Tracker) -> Context:
    return Context(
        credential=tracker.get_slot(SLOT_CREDENTIAL),
        compared=tuple(tracker.get_slot(SLOT_COMPARED) or ()),
        organization=tracker.get_slot(SLOT_ORGANIZATION),
        certification_status=tracker.get_slot(SLOT_CERTIFICATION_STATUS),
        pay_period=tracker.get_slot(SLOT_PAY_PERIOD),
        skill_type=tracker.get_slot(SLOT_SKILL_TYPE),
        location=tracker.get_slot(SLOT_LOCATION),
        language=language(tracker),
    )


def language(tracker: Tracker) -> str:
    """The language to answer this conversation in now (actions/language.py)."""
    return tracker_language(tracker.events)


def worded(ctx: Context) -> Knowledge:
    """The knowledge worded in the context's language."""
    return WORDED.get(ctx.language, KNOWLEDGE)


def utter(dispatcher: CollectingDispatcher, answer: Answer, language: str = ENGLISH) -> None:
    answer = translated(answer, language)
    dispatcher.utter_message(text=answer.text, buttons=[b.as_dict() for b in answer.buttons])


def slot_name(question_slot: str) -> str:
    """The domain slot holding an advisor answer: "program" -> advisor_program."""
    return ADVISOR_SLOT_PREFIX + question_slot


def situation(tracker: Tracker) -> Situation:
    """The advisor answers given so far in this conversation."""
    return Situation(**{slot: tracker.get_slot(slot_name(slot)) for slot in ADVISOR_SLOTS})


# Topics whose answers can say what the student's own situation means for them.
PERSONAL_TOPICS = ("credential", "eligibility", "issuer")


def compose(topic: str, ctx: Context) -> Answer:
    """A topic's answer; the gaps among topics (cost, duration) are worded like every other gap."""
    if topic in GAP_TOPICS:
        return gap_answer(worded(ctx), SITE, [topic], ctx)
    return TOPICS[topic](worded(ctx), ctx)


# `rasa shell` turns the last message's buttons into a menu the student must step
# past before typing the next question; there the 👍/👎 question is not asked.
SHELL_CHANNEL = "cmdline"


def ask_feedback(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str) -> List[EventType]:
    """ "Was this helpful?" once per topic, never in the middle of the questionnaire nor in the shell."""
    asked = list(tracker.get_slot(SLOT_FEEDBACK_ASKED) or [])
    if topic in asked or tracker.active_loop_name is not None or tracker.get_latest_input_channel() == SHELL_CHANNEL:
        return []
    answering_in = language(tracker)
    utter(dispatcher, feedback_prompt(topic, answering_in), answering_in)
    return [SlotSet(SLOT_FEEDBACK_ASKED, asked + [topic])]


def acknowledging(reading: Reading, answer: Answer, language: str = ENGLISH) -> Answer:
    """A worry in the message ("I hope I made the right decision") is acknowledged before the facts,
    in the answer's language."""
    feelings = WORDED.get(language, KNOWLEDGE).feelings
    if reading.feeling and feelings:
        return Answer(f"{feelings.reply} {answer.text}", answer.buttons)
    return answer


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str, ctx: Context) -> List[EventType]:
    """Answer, make it personal where the advisor answers allow, and ask for feedback once per topic."""
    answer = compose(topic, ctx)
    note = (
        personal_note(personal_fit(worded(ctx), situation(tracker), ctx.credential), ctx.language)
        if topic in PERSONAL_TOPICS
        else None
    )
    if note:
        answer = Answer(f"{answer.text}\n{note}", answer.buttons)
    reading = Reading.from_dict(tracker.latest_message.get(READING_KEY))
    utter(dispatcher, acknowledging(reading, answer, ctx.language), ctx.language)
    return remember(topic, ctx) + ask_feedback(dispatcher, tracker, topic)


def remember(topic: str, ctx: Context) -> List[EventType]:
    """Keep what this answer was about, so the next "and per hour?" or "who offers it?" has a referent."""
    return [
        SlotSet(SLOT_TOPIC, topic),
        SlotSet(SLOT_CREDENTIAL, ctx.credential),
        SlotSet(SLOT_COMPARED, list(ctx.compared) or None),
        SlotSet(SLOT_ORGANIZATION, ctx.organization),
        SlotSet(SLOT_CERTIFICATION_STATUS, ctx.certification_status),
        SlotSet(SLOT_PAY_PERIOD, ctx.pay_period),
        SlotSet(SLOT_SKILL_TYPE, ctx.skill_type),
        SlotSet(SLOT_LOCATION, ctx.location),
    ]
