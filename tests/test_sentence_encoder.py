"""The sentence encoder (addons/sentence_encoder.py): the real all-MiniLM-L6-v2, run in NumPy, offline.

The reference numbers are the model's own: its published model card shows these three
similarities for "That is a happy person", computed with sentence-transformers and PyTorch.
Matching them to three decimals shows the NumPy encoder, its WordPiece tokenizer and the
pooling are the model's, not an approximation of it.
"""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from addons.sentence_encoder import (
    DIMENSIONS,
    MAX_TOKENS,
    WORD_VECTORS,
    SentenceEncoder,
    encoder,
    model_dir,
    similarity,
)


@pytest.mark.parametrize(
    "other, expected",
    [("That is a happy dog", 0.695), ("That is a very happy person", 0.943), ("Today is a sunny day", 0.257)],
)
def test_similarities_are_the_models_own(other, expected):
    assert similarity("That is a happy person", other) == pytest.approx(expected, abs=0.001)


def test_the_tokenizer_is_berts_uncased_wordpiece():
    tokenizer = encoder().tokenizer
    # [CLS] that is a happy person [SEP], ids of the model's own vocab.txt
    assert tokenizer.encode("That is a happy person") == [101, 2008, 2003, 1037, 3407, 2711, 102]
    # accents are stripped and punctuation split off, as BERT's basic tokenizer does
    assert tokenizer.encode("Cuánto?") == tokenizer.encode("cuanto ?")
    # a very long message is cut to what the model was trained on
    assert len(tokenizer.encode("word " * 1000)) == MAX_TOKENS


def test_meaning_not_words_brings_questions_together():
    """What it is there for: a question in other words is nearer its topic than another topic."""
    pay = "How much do medical assistants earn?"
    assert similarity("What's the typical paycheck for an MA?", pay) > similarity(
        "What's the typical paycheck for an MA?", "What does a medical assistant do every day?"
    )


def test_batches_give_the_same_vectors_as_single_messages_and_are_cached():
    texts = ["hi", "How long does it take to become a certified medical assistant?", "¿Cuánto gana?"]
    model = encoder()
    for text in texts:
        model.cache.pop(text, None)
    together = model.embed(texts)
    alone = np.stack([model.embed([text])[0] for text in texts])
    assert together.shape == (3, DIMENSIONS)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert all(text in model.cache for text in texts)
    assert model.embed([]).shape == (0, DIMENSIONS)


def test_the_component_adds_a_weighted_sentence_feature_the_classifier_reads():
    message = Message(data={"text": "What does a CMA do?"})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    SentenceEncoder({**SentenceEncoder.get_default_config(), "weight": 5}).process([message])
    sequence, sentence = message.get_dense_features("text")
    assert sentence.features.shape == (1, DIMENSIONS)
    assert np.linalg.norm(sentence.features) == pytest.approx(5.0, abs=1e-4)
    assert sequence.features.shape[0] == len(message.get("text_tokens"))
    empty = Message(data={"text": ""})
    SentenceEncoder(SentenceEncoder.get_default_config()).process([empty])
    assert empty.get_dense_features("text") == (None, None)


def test_word_vectors_are_read_in_place_not_loaded():
    """A message uses a few dozen of the 30,522 word-piece vectors: the table stays in the wheel's file
    (a read-only memory map), so a Rasa server holds only the pages it has read (about 21 MB less
    resident memory than a copy), and it cannot be written to by mistake."""
    table = encoder().w[WORD_VECTORS]
    assert isinstance(table, np.memmap) and table.dtype == np.float32
    assert table.shape == (30_522, DIMENSIONS)
    assert not table.flags.writeable
    # the map is the file's tensor: the [CLS] vector as the safetensors library reads it
    from safetensors import safe_open

    with safe_open(str(model_dir() / "model.safetensors"), framework="numpy") as weights:
        assert np.array_equal(table[101], weights.get_tensor(WORD_VECTORS)[101])
