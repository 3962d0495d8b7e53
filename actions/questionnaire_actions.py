"""Actions of the advisor questionnaire and around it: the form, its questions and "why?",
the recommendation, the hand-off to the school's advisors, feedback, and another "CMA".

The questions, the rules behind the recommendation and the school's contact
details all come from `knowledge/`; these classes only run the conversation.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advisor_rules import SKIPPED, parse_answer, recommend
from actions.advisor_wording import (
    advising_contact,
    advisor_intro,
    advisor_question,
    advisor_skipped,
    advisor_why,
    feedback_not_recorded,
    feedback_thanks,
    other_meaning,
    recommendation,
)
from actions.constants import (
    ACTION_ADVISOR_CONTACT,
    ACTION_RECORD_FEEDBACK,
    ACTION_REPHRASE,
    ADVISOR_FORM,
    ADVISOR_SLOT_PREFIX,
    ANSWER_INTENTS,
    CONTROL_INTENTS,
    ENTITY_FEEDBACK_TOPIC,
    INTENT_FEEDBACK_POSITIVE,
    NLU_FALLBACK,
    READING_KEY,
    REQUESTED_SLOT,
    SLOT_ADVISOR_RETRIES,
    SLOT_FEEDBACK,
    SLOT_RECOMMENDATION,
    SLOT_TOPIC,
)
from actions.conversation import KNOWLEDGE, SITE, WORDED, language, situation, slot_name, utter
from actions.feedback import counted_ratings, known_topic
from actions.knowledge import ADVISOR_SLOTS, Knowledge, Option, Question
from actions.language import fold
from actions.reading import Reading, asks_why_the_bot_asks
from actions.wording import org_ref

# An answer that cannot be understood is asked again at most this many times.
MAX_RETRIES = 2
# How sure NLU must be that an answer-like message ("no, I never did one") is really "stop".
CONTROL_CONFIDENCE = 0.6


def _normalise(text: str) -> str:
    """Lowercase, accents folded ("Sí" = "si"), outer punctuation ("¿...?", "¡...!") and spacing dropped."""
    return " ".join(fold(text).replace("’", "'").strip(" .!?¡¿").split())


def _worded(lang: str) -> Knowledge:
    """The knowledge worded in `lang` (English while that language's wording is missing)."""
    return WORDED.get(lang, KNOWLEDGE)


def _answerable(question: Question) -> Question:
    """The question as answers are read: its options' phrases (every language's) and their titles
    in every language, so a tapped Spanish button ("Sí, pero no acreditado") is understood too."""
    if not question.options:
        return question
    options = []
    for index, option in enumerate(question.options):
        titles = [kb.advisor.question(question.slot).options[index].title for kb in WORDED.values()]
        extra = [t for t in titles if t not in (option.title, *option.phrases)]
        options.append(Option(value=option.value, title=option.title, phrases=[*option.phrases, *extra]))
    return question.copy(update={"options": options})


# The advisor's questions as answers are read (the English knowledge holds every language's phrases).
ANSWERABLE = {slot: _answerable(KNOWLEDGE.advisor.question(slot)) for slot in ADVISOR_SLOTS}
# Example answers on the years question's buttons, in every language ("None yet", "Ninguna todavía").
YEARS_BUTTONS = {
    slot: [b for kb in WORDED.values() for b in kb.advisor.question(slot).buttons] for slot in ADVISOR_SLOTS
}


def _exact_option(text: str, question: Question) -> bool:
    """A tapped button or a one-word answer that is exactly one of the options."""
    said = _normalise(text)
    phrases = [*question.buttons, *YEARS_BUTTONS.get(question.slot, []), *question.none_phrases]
    for option in question.options:
        phrases += [option.title, option.value, *option.phrases]
    return said in {_normalise(p) for p in phrases}


class ValidateAdvisorForm(FormValidationAction):
    """Understands the answer to the question just asked, or steps aside for a digression.

    Returning nothing makes Rasa reject the form for this turn, so the rules for
    questions, "why?", "stop" and the like answer instead and the form resumes.
    """

    def name(self) -> Text:
        return f"validate_{ADVISOR_FORM}"

    async def extract_advisor_program(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict:
        return self._extract("program", dispatcher, tracker)

    async def extract_advisor_experience(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict:
        return self._extract("experience", dispatcher, tracker)

    async def extract_advisor_military(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict:
        return self._extract("military", dispatcher, tracker)

    async def extract_advisor_focus(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict:
        return self._extract("focus", dispatcher, tracker)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[EventType]:
        """Extraction has already checked each answer; keep the answers and the retry count.

        (rasa-sdk's default would drop `advisor_retries`, which is not one of the form's slots.)
        """
        keep = {slot_name(slot) for slot in ADVISOR_SLOTS} | {SLOT_ADVISOR_RETRIES}
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items() if name in keep]

    def _extract(self, question_slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        slot = slot_name(question_slot)
        if tracker.get_slot(REQUESTED_SLOT) != slot:
            return {}
        question = ANSWERABLE[question_slot]
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name") or NLU_FALLBACK
        confidence = (tracker.latest_message.get("intent") or {}).get("confidence") or 0.0
        exact = _exact_option(text, question)
        # "I served as a medic in the army" answers the military question although no option is said.
        read_from_story = Reading.from_dict(tracker.latest_message.get(READING_KEY)).sets.get(question_slot)
        value = parse_answer(text, question) or read_from_story
        # "never mind" steers away even though "never" could answer; a hesitant guess does not.
        if not exact and intent in CONTROL_INTENTS and (value is None or confidence >= CONTROL_CONFIDENCE):
            return {}
        digression = intent not in ANSWER_INTENTS
        if value is not None and (exact or not (digression and "?" in text)):
            return {slot: value, SLOT_ADVISOR_RETRIES: None}
        if digression:
            return {}
        retries = (tracker.get_slot(SLOT_ADVISOR_RETRIES) or {}).get(slot, 0) + 1
        if retries > MAX_RETRIES:
            dispatcher.utter_message(text=advisor_skipped(language(tracker)))
            return {slot: SKIPPED, SLOT_ADVISOR_RETRIES: None}
        return {SLOT_ADVISOR_RETRIES: {slot: retries}}


class AskAdvisorQuestion(Action):
    """Asks one advisor question (action_ask_<slot>); after a misunderstanding, with a hint."""

    question_slot: Text = ""

    def name(self) -> Text:
        return f"action_ask_{slot_name(self.question_slot)}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        retries = (tracker.get_slot(SLOT_ADVISOR_RETRIES) or {}).get(slot_name(self.question_slot), 0)
        lang = language(tracker)
        utter(dispatcher, advisor_question(_worded(lang), self.question_slot, retries > 0, lang), lang)
        return []


class AskProgram(AskAdvisorQuestion):
    question_slot = "program"


class AskExperience(AskAdvisorQuestion):
    question_slot = "experience"


class AskMilitary(AskAdvisorQuestion):
    question_slot = "military"


class AskFocus(AskAdvisorQuestion):
    question_slot = "focus"


class ActionStartAdvisor(Action):
    """Starts the advisor afresh: earlier answers are cleared so "start over" means it.

    What the same message says about the student ("I was an army medic, which
    credential fits me?") is kept, so the form does not ask it again.
    """

    def name(self) -> Text:
        return "action_start_advisor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=advisor_intro(language(tracker)))
        told = Reading.from_dict(tracker.latest_message.get(READING_KEY)).sets
        return [SlotSet(slot_name(slot), told.get(slot)) for slot in ADVISOR_SLOTS] + [
            SlotSet(SLOT_ADVISOR_RETRIES, None),
            SlotSet(SLOT_RECOMMENDATION, None),
        ]


class ActionRecommend(Action):
    """The personal recommendation and checklist, kept in a slot for later answers and reports."""

    def name(self) -> Text:
        return "action_recommend"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        lang = language(tracker)
        kb = _worded(lang)
        # The same rules in every language; the reasons and steps in the student's.
        advice = recommend(kb, situation(tracker), partial(org_ref, language=lang))
        fits, checklist = recommendation(kb, advice, lang)
        utter(dispatcher, fits, lang)
        utter(dispatcher, checklist, lang)
        return [SlotSet(SLOT_RECOMMENDATION, advice.credentials)]


class ActionExplainQuestion(Action):
    """ "Why do you ask?": the reason for the question on the table, from the knowledge file."""

    def name(self) -> Text:
        return "action_explain_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT) if tracker.active_loop_name == ADVISOR_FORM else None
        question_slot = requested[len(ADVISOR_SLOT_PREFIX) :] if requested else None
        lang = language(tracker)
        slot = question_slot if question_slot in ADVISOR_SLOTS else None
        if slot is None and not asks_why_the_bot_asks(tracker.latest_message.get("text") or ""):
            # "why is English important for work in the US?": a question of its own, asked again
            return [FollowupAction(ACTION_REPHRASE)]
        dispatcher.utter_message(text=advisor_why(_worded(lang), slot, lang))
        return []


class ActionAdvisorContact(Action):
    """Hands the student to the school's human advisors (knowledge/site.yml)."""

    def name(self) -> Text:
        return ACTION_ADVISOR_CONTACT

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        lang = language(tracker)
        utter(dispatcher, advising_contact(SITE, lang), lang)
        return []


class ActionRecordFeedback(Action):
    """Keeps 👍/👎 in the conversation (slot `feedback`) so the insights report can count it.

    Only for a topic the assistant asks about, once per topic per conversation
    (actions/feedback.py): button payloads can be typed with any topic, and clicked again.
    """

    def name(self) -> Text:
        return ACTION_RECORD_FEEDBACK

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        positive = (tracker.latest_message.get("intent") or {}).get("name") == INTENT_FEEDBACK_POSITIVE
        # The button's topic; typed thanks ("that helped") rate the answer just given.
        named = [
            e.get("value")
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == ENTITY_FEEDBACK_TOPIC
        ]
        topic = named[0] if named else tracker.get_slot(SLOT_TOPIC)
        lang = language(tracker)
        if not known_topic(topic):
            utter(dispatcher, feedback_not_recorded(already_rated=False, language=lang), lang)
            return []
        if topic in {rated for _, _, rated in counted_ratings(tracker.events)}:
            utter(dispatcher, feedback_not_recorded(already_rated=True, language=lang), lang)
            return []
        utter(dispatcher, feedback_thanks(positive, lang), lang)
        return [SlotSet(SLOT_FEEDBACK, {"rating": "positive" if positive else "negative", "topic": topic})]


class ActionAnswerOtherMeaning(Action):
    """ "The CMA accounting exam": another CMA; say politely that it is outside what the bot covers."""

    def name(self) -> Text:
        return "action_answer_other_meaning"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = _normalise(tracker.latest_message.get("text") or "")

        def score(meaning: Any) -> int:
            said = f" {text} "
            return sum(f" {_normalise(cue)} " in said for cue in meaning.cues) * 2 + (
                f" {meaning.acronym.lower()} " in said
            )

        if not KNOWLEDGE.other_meanings:
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        best = max(range(len(KNOWLEDGE.other_meanings)), key=lambda i: score(KNOWLEDGE.other_meanings[i]))
        lang = language(tracker)
        kb = _worded(lang)
        utter(dispatcher, other_meaning(kb, kb.other_meanings[best], lang), lang)
        return []
