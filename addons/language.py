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

import json
import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Text, Tuple

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
from actions.language import fold, latest_language

_WORD = re.compile(r"[a-zñ]+")
# Marks only Spanish uses; "¿cuanto?" is Spanish however few its words.
_SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]")
# Words of a chat the knowledge file's wording never uses: greetings, thanks, yes.
CHAT_WORDS = {
    ENGLISH: "hi hello hey thanks thank bye goodbye yes yeah yep sure okay please what how much".split(),
    SPANISH: "hola buenas gracias adios chao si vale claro porfa favor que q cuanto cuanta bueno".split(),
}
LEXICON_FILE = "lexicon.json"
# Fields of the knowledge file that hold a language's vocabulary rather than its wording
# (every language's cues are read for every message, so they say nothing of its language).
VOCABULARY_FIELDS = {
    "cues",
    "synonyms",
    "phrases",
    "none_phrases",
    "subject_words",
    "outside_words",
    "advisor_words",
    "asked_with",
    "title_words",
    "own_titles",
    "ends_with",
    "vocabulary",
    "id",
    "url",
}


def _worded(english: Any, other: Any) -> Iterable[Tuple[str, str]]:
    """(English, other language) for every text the translation words differently.

    Names that stay English in every language (bodies, titles, labels) tell neither.
    """
    if isinstance(english, str) and isinstance(other, str):
        if english != other:
            yield english, other
    elif isinstance(english, dict) and isinstance(other, dict):
        for key, value in english.items():
            if key not in VOCABULARY_FIELDS and key in other:
                yield from _worded(value, other[key])
    elif isinstance(english, list) and isinstance(other, list):
        for pair in zip(english, other, strict=False):
            yield from _worded(*pair)


def lexicons(languages: Dict[str, Knowledge]) -> Dict[str, FrozenSet[str]]:
    """Words that tell each language, from spaCy's stop words and the knowledge file's wording.

    A word both languages use ("a", "no", "me", "CMA", "AAMA") tells neither.
    """
    words: Dict[str, set] = {
        ENGLISH: {fold(w) for w in ENGLISH_STOP_WORDS} | set(CHAT_WORDS[ENGLISH]),
        SPANISH: {fold(w) for w in SPANISH_STOP_WORDS} | set(CHAT_WORDS[SPANISH]),
    }
    english = languages[ENGLISH].dict()
    for language, knowledge in languages.items():
        if language == ENGLISH:
            continue
        for english_text, text in _worded(english, knowledge.dict()):
            words[ENGLISH].update(w for w in _WORD.findall(fold(english_text)) if len(w) > 1)
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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class LanguageDetector(GraphComponent):
    """Each message's language, in its parse data, for the actions and the responses.

    Its words start as spaCy's stop words and the knowledge file's wording in each language;
    training adds the words of every training example whose language those already tell
    clearly (by CLEAR_MARGIN words or more), so "necesito" and "sueldo" tell Spanish too.
    """

    CLEAR_MARGIN = 2

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"knowledge_file": None}  # None: as the action server (knowledge/cma.yml, CMA_KNOWLEDGE_FILE)

    def __init__(
        self,
        lexicon: Dict[str, FrozenSet[str]],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        self.lexicon = lexicon
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(lexicons(load_languages(config.get("knowledge_file"))), model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LanguageDetector":
        with model_storage.read_from(resource) as directory:
            words = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
        return cls({language: frozenset(found) for language, found in words.items()}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self.lexicon = learn(self.lexicon, (m.get(TEXT) or "" for m in training_data.training_examples))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(
                json.dumps({language: sorted(found) for language, found in self.lexicon.items()}), encoding="utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(LANGUAGE_KEY, detect(message.get(TEXT) or "", self.lexicon), add_to_output=True)
        return messages


def learn(
    lexicon: Dict[str, FrozenSet[str]], texts: Iterable[str], margin: int = LanguageDetector.CLEAR_MARGIN
) -> Dict[str, FrozenSet[str]]:
    """The lexicon plus the words of each text whose language it tells by `margin` words or more."""
    words: Dict[str, set] = {language: set(found) for language, found in lexicon.items()}
    for text in texts:
        tokens = [t for t in _WORD.findall(fold(text)) if len(t) > 1]
        score = {language: sum(t in found for t in tokens) for language, found in lexicon.items()}
        ranked = sorted(score.values(), reverse=True)
        if len(ranked) > 1 and ranked[0] - ranked[1] >= margin:
            best = max(score, key=score.__getitem__)
            words[best].update(tokens)
    shared = set.intersection(*words.values())
    return {language: frozenset(found - shared) for language, found in words.items()}


class BilingualResponses(TemplatedNaturalLanguageGenerator):
    """The domain's responses, picking the variation for the conversation's language.

    A response's Spanish variation has `condition: [{type: slot, name: language, value: es}]`;
    the `language` slot is filled here, per response, from actions/language.py (newest message first).
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
        filled_slots[LANGUAGE_KEY] = latest_language(
            (event.parse_data, event.metadata) for event in reversed(tracker.events) if isinstance(event, UserUttered)
        )
        return self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)
