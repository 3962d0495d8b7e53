"""Groups similar student messages, so one fix covers every phrasing of a question.

TF-IDF over character n-grams (tolerant of typos and word order, like the
assistant's own featurizer) and average-linkage clustering on cosine distance:
"how much is the exam", "exam cost??" and "how much does the test cost" end up
together, while a handful of one-off messages stay on their own.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Sequence

# Messages closer than this (cosine distance, 0 = same n-grams, 1 = none shared) join a group.
# Chosen on the phrasings in tests/test_report.py: paraphrases merge, different questions do not.
MAX_DISTANCE = 0.7
MAX_CLUSTERED = 3000  # distinct texts compared pairwise (about 70 MB of distances)


@dataclass
class Group:
    """Distinct message texts (most frequent first) and how often each was sent."""

    texts: List[str]
    counts: List[int]
    keys: List[str]  # the normalised texts, to look up what else is known about them

    @property
    def total(self) -> int:
        return sum(self.counts)


def normalise(text: str) -> str:
    """The form messages are compared and deduplicated in: lower case, single spaces."""
    return re.sub(r"\s+", " ", text).strip().lower()


def group_messages(texts: Sequence[str], max_distance: float = MAX_DISTANCE) -> List[Group]:
    """Groups of similar texts, largest (by messages sent) first; ties keep a stable order."""
    counts: Counter = Counter()
    shown: Dict[str, str] = {}  # normalised -> first spelling seen, to show
    for text in texts:
        key = normalise(text)
        if key:
            counts[key] += 1
            shown.setdefault(key, text.strip())
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    # Beyond MAX_CLUSTERED distinct texts (the rarest), each stays on its own: memory grows with the square.
    labels = _cluster(keys[:MAX_CLUSTERED], max_distance)
    labels += [f"single-{n}" for n in range(len(keys) - len(labels))]
    members: Dict[object, List[str]] = {}
    for key, label in zip(keys, labels, strict=False):
        members.setdefault(label, []).append(key)
    groups = [Group([shown[k] for k in ks], [counts[k] for k in ks], ks) for ks in members.values()]
    return sorted(groups, key=lambda g: (-g.total, normalise(g.texts[0])))


def _cluster(keys: List[str], max_distance: float) -> List[int]:
    """A cluster label per key (keys are distinct)."""
    if len(keys) < 2:
        return list(range(len(keys)))
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Rows come L2-normalised, so their products are cosine similarities (0 for a text with no n-grams).
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit_transform(keys)
    distances = np.clip(1.0 - (vectors @ vectors.T).toarray(), 0.0, 1.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    return list(fcluster(tree, t=max_distance, criterion="distance"))
