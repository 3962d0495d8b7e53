"""Two readings of a message must agree: by its words, and by its words and meaning.

The sentence embedding (addons/sentence_encoder.py) lets the classifier place questions
asked in words the training data never used, and it also makes it sure of itself on
questions that belong to no intent (a patient's question, a long story). A confident answer
to another question is the worst outcome, so `AgreeingClassifier` trains two logistic
regressions on the same examples: one on the count features alone (the words), one on the
counts and the embedding (the meaning). Each intent's confidence is the lower of the two
probabilities, "both are at least this sure"; where they disagree, neither guess is sure
enough and the FallbackClassifier's thresholds (config.yml) ask back with the likeliest topics.

It is Rasa's own LogisticRegressionClassifier (same settings, same storage) with a second
model beside the first.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, vstack
from sklearn.base import clone

WORDS_FILE = "{name}.words.skops"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AgreeingClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression on all features, checked by one on the words alone."""

    @staticmethod
    def _words_X(messages: List[Message]) -> csr_matrix:
        rows = []
        for message in messages:
            sentence = message.get_sparse_features(attribute=TEXT)[1]
            rows.append(csr_matrix(sentence.features if sentence else []))
        return vstack(rows)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return super().train(training_data)
        self.words = clone(self.clf)
        self.words.fit(self._words_X(examples), [e.get(INTENT) for e in examples])
        return super().train(training_data)  # fits self.clf and persists both

    def process(self, messages: List[Message]) -> List[Message]:
        if not messages:
            return messages
        meaning = self.clf.predict_proba(self._create_X(messages))
        words = self.words.predict_proba(self._words_X(messages))
        word_column = {name: index for index, name in enumerate(self.words.classes_)}
        for row, message in enumerate(messages):
            ranking = sorted(
                (
                    {"name": name, "confidence": float(min(p, words[row][word_column[name]]))}
                    for name, p in zip(self.clf.classes_, meaning[row], strict=True)
                ),
                key=lambda entry: -entry["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        super().persist()
        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.words, model_dir / WORDS_FILE.format(name=self._resource.name))

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage, resource, execution_context, **kwargs: Any):
        import skops.io as sio

        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        with model_storage.read_from(resource) as model_dir:
            path = model_dir / WORDS_FILE.format(name=resource.name)
            untrusted = sio.get_untrusted_types(file=path)
            if untrusted:  # as Rasa's own classifier: only types skops trusts are loaded
                raise ValueError(f"{path} holds types skops does not trust: {untrusted}")
            component.words = sio.load(path, trusted=untrusted)
        return component
