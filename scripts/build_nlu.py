"""Build what the NLU pipeline needs from the knowledge file, so vocabulary is never typed twice.

Writes:
- build/spacy_cma/: a spaCy pipeline (`spacy.blank("en")` + an EntityRuler whose
  patterns are every phrase of the knowledge file's entity vocabulary), loaded
  by Rasa's SpacyNLP; nothing is downloaded.
- data/nlu/vocabulary.yml: the same phrases as Rasa synonyms, so the
  EntitySynonymMapper turns "registered medical assistants" into "RMA".

Usage: python scripts/build_nlu.py [--check]
  --check  exit 1 if data/nlu/vocabulary.yml is out of date (used by the tests).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.constants import NOT_AN_ENTITY  # noqa: E402
from actions.knowledge import KnowledgeError, knowledge_path, load_knowledge  # noqa: E402

SPACY_DIR = ROOT / "build" / "spacy_cma"
VOCABULARY_FILE = ROOT / "data" / "nlu" / "vocabulary.yml"


def vocabulary_yaml(vocab: dict) -> str:
    lines = [
        "# Generated from knowledge/cma.yml by `make vocab` (scripts/build_nlu.py). Do not edit:",
        "# change the knowledge file instead. Maps what people type to canonical entity values.",
        'version: "3.1"',
        "nlu:",
    ]
    for label in sorted(vocab):
        for value, phrases in vocab[label].items():
            others = [p for p in phrases if p != value]
            if not others:
                continue
            lines.append(f"- synonym: {_quote(value)}")
            lines.append("  examples: |")
            lines.extend(f"    - {p}" for p in others)
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    return f'"{value}"'


def build_spacy(vocab: dict, not_entities: Sequence[str] = ()) -> None:
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(
        [
            {"label": label, "pattern": phrase, "id": value}
            for label, values in sorted(vocab.items())
            for value, phrases in values.items()
            for phrase in phrases
        ]
        + [{"label": NOT_AN_ENTITY, "pattern": phrase.lower()} for phrase in not_entities]
    )
    nlp.meta["name"] = "cma"
    nlp.meta["description"] = "Entity vocabulary of the CMA assistant, generated from knowledge/cma.yml"
    SPACY_DIR.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(SPACY_DIR)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check data/nlu/vocabulary.yml is current")
    args = parser.parse_args()
    try:
        kb = load_knowledge()
        vocab = kb.entity_vocabulary()
    except KnowledgeError as error:
        print(error, file=sys.stderr)
        return 1
    expected = vocabulary_yaml(vocab)
    if args.check:
        current = VOCABULARY_FILE.read_text(encoding="utf-8") if VOCABULARY_FILE.exists() else ""
        if current != expected:
            print(f"{VOCABULARY_FILE} is out of date with {knowledge_path()}: run `make vocab`", file=sys.stderr)
            return 1
        return 0
    VOCABULARY_FILE.write_text(expected, encoding="utf-8")
    build_spacy(vocab, kb.not_entities)
    print(f"wrote {VOCABULARY_FILE.relative_to(ROOT)} and {SPACY_DIR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
