"""An NLU graph component that reads each typed message against the knowledge file.

It runs after the intent classifier and the FallbackClassifier (config.yml) and
routes by what the knowledge file recognises in the student's own words
(actions/reading.py):

- a detail the article lacks ("how many times can I retake the exam?") becomes
  `ask_not_covered`, with a `gap` entity per subject;
- a neighbouring role ("CNA vs CMA?", "nurse or MA?") becomes `ask_about_role`,
  with a `role` entity per role;
- a situation ("I was a medic in the army") becomes `share_situation`, with a
  `situation` entity per situation.

The classifier's own best topic stays in `reading.asked`, so an answer can add
the medical-assistant side ("do nurses or MAs make more?" -> pay). When the
classifier alone picks a role or a situation that the knowledge file does not
recognise, its next-best intent is used (or the fallback); a guess of
`ask_not_covered` without a known subject stays, and is answered with a plain
"my sources don't cover that" (honest, if less specific). Control intents
("stop", "talk to a person", "which credential fits me?") are never re-routed. Button payloads
("/intent{...}") are left as they are.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.constants import (
    CONTROL_INTENTS,
    ENTITY_GAP,
    GAP_OF_INTENT,
    ENTITY_ROLE,
    ENTITY_SITUATION,
    NLU_FALLBACK,
    READING_KEY,
    TOPIC_OF_INTENT,
)
from actions.knowledge import Knowledge, load_knowledge
from actions.reading import ASK_ABOUT_ROLE, READING_INTENTS, SHARE_SITUATION, Reading, read, reading_intent

EXTRACTOR = "KnowledgeReader"
# A classifier guess that decides routing must be at least this sure (the fallback threshold).
ASKED_CONFIDENCE = 0.25
# "The CMA accounting exam": another CMA altogether; the reading does not override it.
OTHER_MEANING = "ask_other_meaning"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class KnowledgeReader(GraphComponent):
    """Routes messages by the gaps, roles and situations the knowledge file names."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # None: knowledge/cma.yml, or the file named by CMA_KNOWLEDGE_FILE, as for the action server.
        return {"knowledge_file": None}

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KnowledgeReader":
        return cls(load_knowledge(config.get("knowledge_file")))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

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
        routed = reading_intent(self.knowledge, reading, TOPIC_OF_INTENT.get((sure or {}).get("name", "")), name)
        if name == OTHER_MEANING and routed != OTHER_MEANING:
            routed = None  # the classifier recognised another "CMA" by words the file does not list
        if name in CONTROL_INTENTS:
            routed = None  # "I was a medic, which credential fits me?" starts the questionnaire (pre-filled)
        if routed == OTHER_MEANING:
            message.set(INTENT, {"name": routed, "confidence": 1.0}, add_to_output=True)
        elif routed:
            message.set(INTENT, {"name": routed, "confidence": 1.0}, add_to_output=True)
            entities = list(message.get(ENTITIES) or [])
            for label, values in ((ENTITY_GAP, reading.gaps), (ENTITY_ROLE, reading.roles),
                                  (ENTITY_SITUATION, reading.situations)):
                entities += [{"entity": label, "value": value, "extractor": EXTRACTOR} for value in values]
            message.set(ENTITIES, entities, add_to_output=True)
        elif name in (ASK_ABOUT_ROLE, SHARE_SITUATION):
            # The classifier guessed a role or a situation the file does not recognise: next best, or fallback.
            # (A guess of ask_not_covered stays: "my sources don't cover that" is honest without a subject.)
            fallback = dict(sure) if sure else {"name": NLU_FALLBACK, "confidence": intent.get("confidence", 0.0)}
            message.set(INTENT, fallback, add_to_output=True)
        message.set(READING_KEY, {**reading.as_dict(), "asked": asked}, add_to_output=True)


def _asked(ranking: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The classifier's best guess at a topic other than the reading's own intents and the gaps, if any.

    How sure it must be is decided where it is used (actions/reading.py, answer_plan).
    """
    for entry in ranking:
        if entry.get("name") in (NLU_FALLBACK, *READING_INTENTS, *GAP_OF_INTENT):
            continue
        return {"name": entry["name"], "confidence": round(float(entry.get("confidence") or 0.0), 3)}
    return None
