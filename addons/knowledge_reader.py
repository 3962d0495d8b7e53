"""An NLU graph component that reads each typed message against the knowledge file.

It runs after the intent classifier and the FallbackClassifier (config.yml) and
routes by what the knowledge file recognises in the student's own words
(actions/reading.py):

- a detail the article lacks ("how many times can I retake the exam?") becomes
  `ask_not_covered`;
- a neighbouring role ("CNA vs CMA?", "nurse or MA?") becomes `ask_about_role`;
- a situation ("I was a medic in the army") becomes `share_situation`.

What it read (the gaps, roles and situations by id, what the situation means for
the advisor's questions, a worry) goes into the parse data as `reading`, where the
actions, the tracker store and the insights report find it. (Not as entities:
they have no place in the text, and Rasa's evaluation requires one.)

The classifier's own best topic stays in `reading.asked`, so an answer can add
the medical-assistant side ("do nurses or MAs make more?" -> pay). When the
classifier alone picks one of these three intents but the knowledge file does not
recognise, its next-best intent is used (or the fallback). Control intents
("stop", "talk to a person", "which credential fits me?") are never re-routed. Button payloads
("/intent{...}") are left as they are.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.constants import (
    ASK_ABOUT_ROLE,
    ASK_ISSUER,
    ASK_NOT_COVERED,
    ASK_OTHER_MEANING,
    ASK_WHY,
    CONTROL_INTENTS,
    ENTITY_CREDENTIAL,
    ENTITY_ORGANIZATION,
    GAP_OF_INTENT,
    NLU_FALLBACK,
    READING_INTENTS,
    READING_KEY,
    START_ADVISOR,
    TALK_TO_HUMAN,
    TOPIC_OF_INTENT,
)
from actions.knowledge import Knowledge, load_knowledge
from actions.language import fold
from actions.reading import (
    OFF_SUBJECT_CONFIDENCE,
    OUT_OF_SCOPE,
    Reading,
    asks_why_the_bot_asks,
    is_a_story,
    names_an_ambiguous_acronym,
    normalise,
    off_subject_question,
    read,
    reading_intent,
    settle,
)

# A classifier guess that decides routing must be at least this sure (the fallback threshold).
ASKED_CONFIDENCE = 0.25
# A guess that starts the questionnaire or a hand-over must be as sure as a topic answer
# (TOPIC_CONFIDENCE in actions/topic_actions.py); below it the student is asked back.
REQUEST_CONFIDENCE = 0.5


# Words of three letters or more; a message most of whose words the training data never used
# ("qwxz blorp fnord") is not understood, whatever the classifier's flat guess says.
_WORD = re.compile(r"[a-z][a-z']{2,}")
VOCABULARY_FILE = "vocabulary.json"
# Below a third of known words in a message of three words or more: not understood. Shorter
# messages are left to the classifier, whose character n-grams read "heyy" and "hellooo".
KNOWN_WORDS_NEEDED = 1 / 3
WORDS_FOR_A_VERDICT = 3


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class KnowledgeReader(GraphComponent):
    """Routes messages by the gaps, roles and situations the knowledge file names."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # knowledge_file None: knowledge/cma.yml, or the file named by CMA_KNOWLEDGE_FILE, as for the
        # action server. The thresholds are the FallbackClassifier's (config.yml), applied again
        # when a guess without evidence is set aside.
        return {"knowledge_file": None, "threshold": 0.25, "ambiguity_threshold": 0.04}

    def __init__(
        self,
        knowledge: Knowledge,
        threshold: float = 0.25,
        ambiguity: float = 0.04,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        vocabulary: Optional[Set[str]] = None,
    ) -> None:
        self.knowledge = knowledge
        self.threshold = threshold
        self.ambiguity = ambiguity
        self.vocabulary = vocabulary  # None: not trained, no check
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KnowledgeReader":
        return cls(
            load_knowledge(config.get("knowledge_file")),
            config["threshold"],
            config["ambiguity_threshold"],
            model_storage,
            resource,
        )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "KnowledgeReader":
        component = cls.create(config, model_storage, resource, execution_context)
        with model_storage.read_from(resource) as directory:
            component.vocabulary = set(json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8")))
        return component

    def train(self, training_data: TrainingData) -> Resource:
        """Keeps the words the training examples use, to tell an unknown language or gibberish apart."""
        words = sorted({w for m in training_data.training_examples for w in _WORD.findall(fold(m.get(TEXT) or ""))})
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(words), encoding="utf-8")
        self.vocabulary = set(words)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _mostly_unknown_words(self, text: str) -> bool:
        words = _WORD.findall(fold(text))
        if self.vocabulary is None or len(words) < WORDS_FOR_A_VERDICT:
            return False
        return sum(w in self.vocabulary for w in words) < KNOWN_WORDS_NEEDED * len(words)

    def _about_something_else(self, intent: Dict[str, Any], reading: Reading, text: str) -> bool:
        """A question that names nothing of this subject, answered with a weak topic guess or not at all
        ("what is telemedicine?"), is outside what the assistant knows, not a misunderstanding to rephrase.
        Chat, control and form answers are not judged here, nor is "what do you mean?" (reading.py)."""
        name = intent.get("name")
        if name == NLU_FALLBACK:
            confidence = 0.0
        elif name in TOPIC_OF_INTENT:
            confidence = float(intent.get("confidence") or 0.0)
        else:
            return False
        if reading.everyday and reading.empty and confidence < OFF_SUBJECT_CONFIDENCE:
            return True  # a gap's everyday words and no career: "¿qué es el examen médico para inmigración?"
        if reading.on_subject or not reading.empty or confidence >= OFF_SUBJECT_CONFIDENCE:
            return False  # most messages stop here, before their words are looked up
        unknown = self.vocabulary is not None and any(w not in self.vocabulary for w in _WORD.findall(fold(text)))
        return off_subject_question(reading, text, confidence, unknown)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            self._route(message, read(self.knowledge, text))
        return messages

    def _route(self, message: Message, reading: Reading) -> None:
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        asked = _asked(ranking)
        sure = asked if asked and asked["confidence"] >= ASKED_CONFIDENCE else None
        name = intent.get("name")
        text = message.get(TEXT) or ""
        asked_topic = TOPIC_OF_INTENT.get((sure or {}).get("name", ""))
        reading = settle(self.knowledge, reading, asked_topic)
        routed = reading_intent(self.knowledge, reading, asked_topic, name)
        # Another "CMA" is only meant where an acronym that has other meanings is said.
        unfounded_other = name == ASK_OTHER_MEANING and not names_an_ambiguous_acronym(self.knowledge, normalise(text))
        if name == ASK_OTHER_MEANING and routed != ASK_OTHER_MEANING and not unfounded_other:
            routed = None  # the classifier recognised another "CMA" by words the file does not list
        content = routed in (ASK_NOT_COVERED, ASK_ABOUT_ROLE)
        # A story that does not ask which credential fits is not a request for the questionnaire
        # (none of the training data's requests is one), however the classifier took it.
        unasked_advisor = name == START_ADVISOR and not reading.choosing and is_a_story(text)
        # Starting the questionnaire or handing over to a person on a weak guess answers another question
        # ("Q: What is your next career step?" taken for the questionnaire at 0.39): as sure as a topic
        # answer must be, unless the message asks which credential fits.
        unsure_request = (
            name in (START_ADVISOR, TALK_TO_HUMAN)
            and float(intent.get("confidence") or 0.0) < REQUEST_CONFIDENCE
            and not (name == START_ADVISOR and reading.choosing)
        )
        unasked_advisor = unasked_advisor or (unsure_request and name == START_ADVISOR)
        unasked_person = unsure_request and name == TALK_TO_HUMAN
        if (
            name in CONTROL_INTENTS
            and not unasked_advisor
            and not unasked_person
            and not (
                content
                and (
                    name == TALK_TO_HUMAN
                    or (name == ASK_WHY and not asks_why_the_bot_asks(text))
                    or (name == START_ADVISOR and not reading.choosing)
                )
            )
        ):
            # "I was a medic, which credential fits me?" starts the questionnaire (pre-filled). Asking for a
            # person about a subject the sources lack gets that subject's answer, which names the advisors;
            # so does a "why …?" about such a subject rather than about the bot's asking ("why is the
            # NCLEX so important?"), and a question taken for the questionnaire that asks about another role
            # or such a subject without asking which credential fits ("Should you become an X-ray tech
            # with MA training?").
            routed = None
        if routed == ASK_OTHER_MEANING:
            message.set(INTENT, {"name": routed, "confidence": 1.0}, add_to_output=True)
        elif routed:
            message.set(INTENT, {"name": routed, "confidence": 1.0}, add_to_output=True)
        elif self._mostly_unknown_words(text):
            message.set(INTENT, {"name": NLU_FALLBACK, "confidence": intent.get("confidence", 0.0)}, add_to_output=True)
        else:
            # Guesses set aside like the unsupported ones: another "CMA" where no such acronym is said,
            # the questionnaire for a story that does not ask for it, "who issues it?" about bodies that
            # issue no credential ("who runs the BLS?").
            set_aside = {
                intent_name
                for intent_name, applies in (
                    (ASK_OTHER_MEANING, unfounded_other),
                    (START_ADVISOR, unasked_advisor),
                    (TALK_TO_HUMAN, unasked_person),
                    (ASK_ISSUER, self._names_no_issuer(message)),
                )
                if applies
            }
            decided = self._decide_without_unsupported(name, ranking, reading, set_aside)
            if decided:
                message.set(INTENT, decided, add_to_output=True)
            if self._about_something_else(message.get(INTENT) or {}, reading, text):
                message.set(INTENT, {"name": OUT_OF_SCOPE, "confidence": 1.0}, add_to_output=True)
        message.set(READING_KEY, {**reading.as_dict(), "asked": asked}, add_to_output=True)

    def _names_no_issuer(self, message: Message) -> bool:
        """The message names bodies, none of which issues a credential, and no credential."""
        entities = message.get(ENTITIES) or []
        if any(e.get("entity") == ENTITY_CREDENTIAL for e in entities):
            return False
        bodies = {e.get("value") for e in entities if e.get("entity") == ENTITY_ORGANIZATION}
        return bool(bodies) and not bodies & {credential.issuer for credential in self.knowledge.credentials}

    def _decide_without_unsupported(
        self,
        name: Optional[str],
        ranking: List[Dict[str, Any]],
        reading: Reading,
        set_aside: Set[str],
    ) -> Optional[Dict[str, Any]]:
        """Decide again without the guesses the file can show no evidence for.

        The reading intents, and the gap intents (ask_cost, ask_duration) whose gap the
        message does not name, are only answered on evidence, and so are the intents the
        caller has found no ground for (`set_aside`). When one of them is the
        classifier's guess, or made the guess ambiguous enough for the fallback ("the
        typical paycheck": pay 0.43, cost 0.40), the FallbackClassifier's rule is applied
        again to the guesses that remain: the next best, or the fallback. A fallback on a
        message that names nothing of this subject stays a fallback.
        """

        def unsupported(entry: Dict[str, Any]) -> bool:
            gap = GAP_OF_INTENT.get(entry.get("name") or "")
            if entry.get("name") in set_aside:
                return True
            return entry.get("name") in READING_INTENTS or (gap is not None and gap not in reading.gaps)

        real = [r for r in ranking if r.get("name") != NLU_FALLBACK]
        if not reading.on_subject and name == NLU_FALLBACK:
            return None  # "qwxz blorp fnord": nothing of this subject to vouch for another guess
        if not real or not any(unsupported(r) for r in real[:2]) or (name != NLU_FALLBACK and not unsupported(real[0])):
            return None
        rest = [r for r in real if not unsupported(r)]
        top = rest[0] if rest else None
        runner_up = rest[1]["confidence"] if len(rest) > 1 else 0.0
        if top and top["confidence"] >= self.threshold and top["confidence"] - runner_up >= self.ambiguity:
            return {"name": top["name"], "confidence": top["confidence"]}
        return {"name": NLU_FALLBACK, "confidence": (real[0].get("confidence") or 0.0)}


def _asked(ranking: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The classifier's best guess at a topic other than the reading's own intents and the gaps, if any.

    How sure it must be is decided where it is used (actions/reading.py, answer_plan).
    """
    for entry in ranking:
        if entry.get("name") in (NLU_FALLBACK, *READING_INTENTS, *GAP_OF_INTENT):
            continue
        return {"name": entry["name"], "confidence": round(float(entry.get("confidence") or 0.0), 3)}
    return None
