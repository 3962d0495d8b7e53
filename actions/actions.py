"""Custom actions: one per kind of question, each answering from the knowledge file.

The knowledge file is loaded when the action server imports this module; a
malformed file stops the server before it accepts a single request.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advisor import Situation
from actions.answers import (
    GAP_TOPICS,
    TOPICS,
    TOPICS_BY_ENTITY,
    Answer,
    Context,
    feedback_prompt,
    gap_answer,
    personal_note,
    rephrase,
    role_answer,
    situation_answer,
)
from actions.constants import (
    ADVISOR_SLOT_PREFIX,
    ENTITY_CERTIFICATION_STATUS,
    ENTITY_CREDENTIAL,
    ENTITY_LOCATION,
    ENTITY_ORGANIZATION,
    ENTITY_PAY_PERIOD,
    ENTITY_SKILL_TYPE,
    SLOT_CERTIFICATION_STATUS,
    SLOT_COMPARED,
    SLOT_CREDENTIAL,
    SLOT_FEEDBACK_ASKED,
    SLOT_LOCATION,
    SLOT_ORGANIZATION,
    SLOT_PAY_PERIOD,
    SLOT_SKILL_TYPE,
    SLOT_TOPIC,
    READING_KEY,
    TOPIC_OF_INTENT,
)
from actions.knowledge import ADVISOR_SLOTS, Knowledge, load_knowledge, load_or_exit, load_site
from actions.reading import Reading, answer_plan


KNOWLEDGE = load_or_exit(load_knowledge)
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
    """"Am I eligible for NCCT certification?" asks about the one credential NCCT issues."""
    issued = [c.id for c in KNOWLEDGE.credentials if c.issuer == organization]
    return issued[0] if len(issued) == 1 else None


def _first(values: Optional[List[str]]) -> Optional[str]:
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
    )


def utter(dispatcher: CollectingDispatcher, answer: Answer) -> None:
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
        return gap_answer(KNOWLEDGE, SITE, [topic], ctx)
    return TOPICS[topic](KNOWLEDGE, ctx)


def ask_feedback(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str) -> List[EventType]:
    """"Was this helpful?" once per topic, never in the middle of the questionnaire."""
    asked = list(tracker.get_slot(SLOT_FEEDBACK_ASKED) or [])
    if topic in asked or tracker.active_loop_name is not None:
        return []
    utter(dispatcher, feedback_prompt(topic))
    return [SlotSet(SLOT_FEEDBACK_ASKED, asked + [topic])]


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str, ctx: Context) -> List[EventType]:
    """Answer, make it personal where the advisor answers allow, and ask for feedback once per topic."""
    answer = compose(topic, ctx)
    note = personal_note(KNOWLEDGE, situation(tracker), ctx.credential) if topic in PERSONAL_TOPICS else None
    if note:
        answer = Answer(f"{answer.text}\n{note}", answer.buttons)
    feeling = Reading.from_dict(tracker.latest_message.get(READING_KEY)).feeling
    if feeling and KNOWLEDGE.feelings:
        answer = Answer(f"{KNOWLEDGE.feelings.reply} {answer.text}", answer.buttons)
    utter(dispatcher, answer)
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


class TopicAnswer(Action):
    """Answers a full question on one topic.

    Details such as "hourly" or "in Texas" count only when said in this
    question; the credential and organization under discussion carry over, so
    "who offers it?" after "tell me about the RMA" means the RMA.
    """

    topic: Text = ""
    carries_credential = True

    def name(self) -> Text:
        return f"action_answer_{self.topic}"

    def context(self, tracker: Tracker) -> Context:
        said = message_entities(tracker)
        remembered = remembered_context(tracker)
        credentials = said.get(ENTITY_CREDENTIAL, [])
        credential = _first(credentials) or issued_by(_first(said.get(ENTITY_ORGANIZATION)))
        if credential is None and self.carries_credential:
            credential = remembered.credential
        return Context(
            credential=credential,
            compared=tuple(credentials),
            organization=_first(said.get(ENTITY_ORGANIZATION)) or remembered.organization,
            certification_status=_first(said.get(ENTITY_CERTIFICATION_STATUS)),
            pay_period=_first(said.get(ENTITY_PAY_PERIOD)),
            skill_type=_first(said.get(ENTITY_SKILL_TYPE)),
            location=_first(said.get(ENTITY_LOCATION)),
        )

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return answer_topic(dispatcher, tracker, self.topic, self.context(tracker))


class ActionAnswerDefinition(TopicAnswer):
    topic = "definition"


class ActionAnswerDuties(TopicAnswer):
    topic = "duties"


class ActionAnswerPay(TopicAnswer):
    """Pay for "them" means medical assistants in general, whatever credential was discussed before."""

    topic = "pay"
    carries_credential = False


class ActionAnswerPayFactors(TopicAnswer):
    topic = "pay_factors"


class ActionAnswerOutlook(TopicAnswer):
    topic = "outlook"


class ActionAnswerSkills(TopicAnswer):
    topic = "skills"


class ActionAnswerCareerPaths(TopicAnswer):
    topic = "career_paths"


class ActionAnswerWhyCertify(TopicAnswer):
    topic = "why_certify"


class ActionAnswerHowToBecome(TopicAnswer):
    topic = "how_to_become"


class ActionAnswerPrograms(TopicAnswer):
    topic = "programs"


class ActionAnswerExam(TopicAnswer):
    topic = "exam"


class ActionAnswerRenewal(TopicAnswer):
    topic = "renewal"


class ActionAnswerCredentials(TopicAnswer):
    topic = "credentials"


class ActionAnswerCredential(TopicAnswer):
    topic = "credential"


class ActionAnswerIssuer(TopicAnswer):
    """"Who runs the AAMA?" names an organization, not a credential: describe the organization."""

    topic = "issuer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        said = message_entities(tracker)
        if ENTITY_ORGANIZATION in said and ENTITY_CREDENTIAL not in said:
            return await ActionAnswerOrganization().run(dispatcher, tracker, domain)
        return await super().run(dispatcher, tracker, domain)


class ActionAnswerEligibility(TopicAnswer):
    topic = "eligibility"


class ActionAnswerOrganization(TopicAnswer):
    topic = "organization"


class ActionAnswerCost(TopicAnswer):
    topic = "cost"


class ActionAnswerDuration(TopicAnswer):
    topic = "duration"


class ActionAnswerCompare(TopicAnswer):
    """Compares the credentials named; one named plus one under discussion makes a pair; none means all."""

    topic = "compare"

    def context(self, tracker: Tracker) -> Context:
        ctx = super().context(tracker)
        named = list(ctx.compared)
        remembered = tracker.get_slot(SLOT_CREDENTIAL)
        if len(named) == 1 and remembered and remembered != named[0]:
            named = [remembered, named[0]]
        elif len(named) == 1:
            named = []
        return ctx.but(compared=tuple(named))


class ActionFollowUp(Action):
    """Answers a fragment ("and the RMA?", "per hour?", "in Texas?") in the light of the last topic.

    If the last topic can take the new detail, it is answered again with it;
    otherwise the detail starts its own topic (a credential's details, pay, ...).
    """

    def name(self) -> Text:
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        said = message_entities(tracker)
        topic = tracker.get_slot(SLOT_TOPIC)
        ctx = remembered_context(tracker)
        if not said and topic not in TOPICS and topic not in GAP_TOPICS:
            # Nothing to follow up: the same "please rephrase" as any misunderstanding, counted as one.
            return [FollowupAction(ActionRephrase.NAME)]
        credentials = said.get(ENTITY_CREDENTIAL, [])
        previous = topic
        if len(credentials) >= 2:
            topic = "compare"
        elif said and not all(topic in TOPICS_BY_ENTITY[label] for label in said):
            topic = TOPICS_BY_ENTITY[next(iter(said))][0]
        if topic != previous:
            # A new topic keeps only who or what is being discussed, not the old topic's filters;
            # pay is about medical assistants in general unless a credential is named now.
            ctx = Context(
                credential=None if topic == "pay" else ctx.credential,
                organization=ctx.organization,
            )
        if topic == "compare":
            before = list(ctx.compared) or ([ctx.credential] if ctx.credential else [])
            compared = credentials if len(credentials) >= 2 else before + [c for c in credentials if c not in before]
            ctx = ctx.but(compared=tuple(compared))
        for label, values in said.items():
            ctx = ctx.but(**{ENTITY_SLOTS[label]: values[0]})
        return answer_topic(dispatcher, tracker, topic, ctx)


class ActionAnswerReading(TopicAnswer):
    """Answers what addons/knowledge_reader.py recognised in the student's own words.

    In order: a short acknowledgement of a worry; the subjects the sources don't
    cover, or the neighbouring roles they don't describe; what the student's
    situation means under the advisor rules (remembered for later answers); and
    the classifier's topic, where it adds the part of the question the article answers.
    """

    topic = "reading"

    def name(self) -> Text:
        return "action_answer_reading"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        data = tracker.latest_message.get(READING_KEY) or {}
        reading = Reading.from_dict(data)
        guess = data.get("asked") or {}
        asked = TOPIC_OF_INTENT.get(guess.get("name") or "")
        ctx = self.context(tracker)
        plan = answer_plan(reading, asked, float(guess.get("confidence") or 0.0))
        personal = Situation(**{**situation(tracker).__dict__, **reading.sets})
        answers: List[Answer] = []
        for part in plan.parts:
            if part == "gaps":
                answers.append(gap_answer(KNOWLEDGE, SITE, reading.gaps, ctx, reading.roles))
            elif part == "roles":
                answers.append(role_answer(KNOWLEDGE, SITE, reading.roles, ctx, with_topic=plan.topic is not None))

            elif part == "situation":
                answers.append(situation_answer(KNOWLEDGE, personal, reading.situations, ctx))
        topics = [plan.topic] if plan.topic else [t for g in reading.gaps[:1] for t in KNOWLEDGE.gap(g).answer_with]
        answers += [compose(topic, ctx) for topic in topics]
        if reading.feeling and KNOWLEDGE.feelings and answers:
            answers[0] = Answer(f"{KNOWLEDGE.feelings.reply} {answers[0].text}", answers[0].buttons)
        for answer in answers:
            utter(dispatcher, answer)
        events: List[EventType] = [SlotSet(slot_name(slot), value) for slot, value in reading.sets.items()]
        events += remember(topics[-1], ctx) if topics else [SlotSet(SLOT_TOPIC, None)]
        return events + ask_feedback(dispatcher, tracker, plan.feedback_topic)


class ActionRephrase(Action):
    """Not understood (NLU unsure, or no rule fits): ask to rephrase; twice in a row, offer a person."""

    NAME = "action_rephrase"

    def name(self) -> Text:
        return self.NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
        # The previous turn's reply was also a rephrase: the events end "... action_rephrase, action_listen".
        again = len(actions) >= 2 and actions[-2:] == [self.name(), "action_listen"]
        utter(dispatcher, rephrase(again))
        return []
