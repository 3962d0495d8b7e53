"""The agreeing classifier (addons/agreement.py), trained for real on a small set, stored and loaded.

Each intent's confidence is the lower of two logistic regressions' probabilities: one on
all the features (counts and the sentence embedding), one on the counts alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.agreement import AgreeingClassifier
from addons.sentence_encoder import SentenceEncoder

EXAMPLES = {
    "ask_pay": [
        "how much do medical assistants make",
        "what is the salary of a cma",
        "what do medical assistants earn per hour",
        "how much money does a medical assistant get paid",
        "average wage for a certified medical assistant",
    ],
    "ask_duties": [
        "what does a medical assistant do",
        "what are the daily tasks of a cma",
        "what are a medical assistant's duties",
        "what does a medical assistant do at work every day",
        "job responsibilities of a medical assistant",
    ],
    "greet": ["hello", "hi there", "good morning", "hey", "hi"],
}


def _pipeline(tmp_path: Path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, node_name="classifier")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    encoder = SentenceEncoder({**SentenceEncoder.get_default_config(), "weight": 5})
    counts = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("counts"), context
    )
    return storage, context, [tokenizer, encoder], counts


def _messages(texts, featurizers, counts):
    messages = [Message(data={"text": text}) for text in texts]
    for featurizer in featurizers:
        featurizer.process(messages)
    counts.process(messages)
    return messages


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("agreement")
    storage, context, featurizers, counts = _pipeline(tmp_path)
    examples = [Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    data = TrainingData(training_examples=examples)
    for featurizer in featurizers:
        featurizer.process_training_data(data)
    counts.train(data)
    counts.process_training_data(data)
    config = {**AgreeingClassifier.get_default_config(), "random_state": 42, "max_iter": 300}
    resource = Resource("classifier")
    classifier = AgreeingClassifier.create(config, storage, resource, context)
    classifier.train(data)
    return storage, context, featurizers, counts, classifier, config, resource


def test_each_confidence_is_the_lower_of_the_two_readings(trained):
    _, _, featurizers, counts, classifier, _, _ = trained
    texts = ["how much does a medical assistant earn", "hello", "what tasks does an ma do each day"]
    messages = _messages(texts, featurizers, counts)
    classifier.process(messages)
    meaning = classifier.clf.predict_proba(classifier._create_X(messages))
    words = classifier.words.predict_proba(classifier._words_X(messages))
    assert list(classifier.clf.classes_) == list(classifier.words.classes_)
    for row, message in enumerate(messages):
        expected = np.minimum(meaning[row], words[row])
        ranking = {entry["name"]: entry["confidence"] for entry in message.get("intent_ranking")}
        for column, name in enumerate(classifier.clf.classes_):
            assert ranking[name] == pytest.approx(expected[column])
        assert message.get("intent")["name"] == classifier.clf.classes_[int(expected.argmax())]
    assert [m.get("intent")["name"] for m in messages] == ["ask_pay", "greet", "ask_duties"]
    # the words-only model does not see the embedding: it has fewer inputs than the other
    assert classifier.words.coef_.shape[1] + 384 == classifier.clf.coef_.shape[1]


def test_both_models_are_stored_and_loaded(trained):
    storage, context, featurizers, counts, classifier, config, resource = trained
    loaded = AgreeingClassifier.load(config, storage, resource, context)
    messages = _messages(["what is the salary of an ma"], featurizers, counts)
    again = _messages(["what is the salary of an ma"], featurizers, counts)
    classifier.process(messages)
    loaded.process(again)
    assert again[0].get("intent_ranking") == messages[0].get("intent_ranking")
    assert again[0].get("intent")["name"] == "ask_pay"
