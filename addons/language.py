"""Two languages, one model: the graph components and the response generator for Spanish.

- `AccentFolder` (after the tokenizer, config.yml): the classifier sees "cuánto" and
  "cuanto" as one word, as students type both;
- `LanguageDetector` (config.yml): puts each message's language in its parse data
  (`language`: "en", "es", or None when the message cannot tell), offline, from
  spaCy's own stop-word lists and the words of each language's wording in the
  knowledge file;
- `BilingualResponses` (endpoints.yml `nlg`): the domain's responses in the
  conversation's language (their Spanish variations carry `condition: language es`).

Which language a conversation is in is decided in one place, actions/language.py.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.endpoints import EndpointConfig
from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
from spacy.lang.es.stop_words import STOP_WORDS as SPANISH_STOP_WORDS

from actions.constants import ENGLISH, LANGUAGE_KEY, SPANISH
from actions.knowledge import Knowledge, load_languages
from actions.language import conversation_language

_WORD = re.compile(r"[a-zñ]+")
# Marks only Spanish uses; "¿cuanto?" is Spanish however few its words.
_SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]")
# Words of a chat the knowledge file's wording never uses: greetings, thanks, yes.
CHAT_WORDS = {
    ENGLISH: "hi hello hey thanks thank bye goodbye yes yeah yep sure okay please what how much".split(),
    SPANISH: "hola buenas gracias adios chao si vale claro porfa favor que q cuanto cuanta bueno".split(),
}
# Fields of the knowledge file that hold a language's vocabulary rather than its wording
# (every language's cues are read for every message, so they say nothing of its language).
VOCABULARY_FIELDS = {"cues", "synonyms", "phrases", "none_phrases", "subject_words", "vocabulary", "id", "url"}


def fold(text: str) -> str:
    """Lowercase without accents: "Cuánto" -> "cuanto" (ñ kept: "año" is not "ano")."""
    text = text.lower().replace("ñ", "\0")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return stripped.replace("\0", "ñ")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in VOCABULARY_FIELDS:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def lexicons(languages: Dict[str, Knowledge]) -> Dict[str, FrozenSet[str]]:
    """Words that tell each language, from spaCy's stop words and the knowledge file's wording.

    A word both languages use ("a", "no", "me", "CMA", "AAMA") tells neither.
    """
    words: Dict[str, set] = {
        ENGLISH: {fold(w) for w in ENGLISH_STOP_WORDS} | set(CHAT_WORDS[ENGLISH]),
        SPANISH: {fold(w) for w in SPANISH_STOP_WORDS} | set(CHAT_WORDS[SPANISH]),
    }
    for language, knowledge in languages.items():
        for text in _strings(knowledge.dict()):
            words[language].update(w for w in _WORD.findall(fold(text)) if len(w) > 1)
    shared = words[ENGLISH] & words[SPANISH]
    return {language: frozenset(found - shared) for language, found in words.items()}


def detect(text: str, lexicon: Dict[str, FrozenSet[str]]) -> Optional[str]:
    """The language a message is written in, or None when it cannot tell ("ok", "CMA?", "/greet")."""
    if not text or text.startswith("/"):
        return None
    tokens = _WORD.findall(fold(text))
    score = {language: sum(token in words for token in tokens) for language, words in lexicon.items()}
    if _SPANISH_MARKS.search(text.lower()):
        score[SPANISH] = score.get(SPANISH, 0) + 1
    best = max(score.values())
    leaders = [language for language, points in score.items() if points == best]
    return leaders[0] if best > 0 and len(leaders) == 1 else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class AccentFolder(GraphComponent):
    """Token lemmas without accents, so the count features read "cuánto" and "cuanto" alike."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AccentFolder":
        return cls()

    def _fold(self, message: Message) -> None:
        for token in message.get(TOKENS_NAMES[TEXT]) or []:
            token.lemma = fold(token.lemma or token.text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._fold(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._fold(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class LanguageDetector(GraphComponent):
    """Each message's language, in its parse data, for the actions and the responses."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"knowledge_file": None}  # None: as the action server (knowledge/cma.yml, CMA_KNOWLEDGE_FILE)

    def __init__(self, lexicon: Dict[str, FrozenSet[str]]) -> None:
        self.lexicon = lexicon

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(lexicons(load_languages(config.get("knowledge_file"))))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(LANGUAGE_KEY, detect(message.get(TEXT) or "", self.lexicon), add_to_output=True)
        return messages


class BilingualResponses(TemplatedNaturalLanguageGenerator):
    """The domain's responses, picking the variation for the conversation's language.

    A response's Spanish variation has `condition: [{type: slot, name: language, value: es}]`;
    the `language` slot is filled here, per response, from actions/language.py.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        filled_slots = tracker.current_slot_values()
        filled_slots[LANGUAGE_KEY] = conversation_language(
            (event.parse_data, event.metadata) for event in tracker.events if isinstance(event, UserUttered)
        )
        return self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
