"""Entity F1 of the trained model, which `rasa test nlu` cannot give us.

Rasa's NLU evaluation drops the entities of "pretrained" extractors, and
`SpacyEntityExtractor` is one of them, so our rule-based entities never appear
in its reports. This parses every annotated example with the real model and
compares spans: a prediction counts when label, start and end all match the
annotation (values are not compared: synonyms map them afterwards).

The ruler's patterns come from knowledge/cma.yml, not from the NLU examples,
so scoring it on the training data is a fair test too; the held-out file is
the fresh one.

Usage: python -m bench.entities --model models/cma.tar.gz --out results/entities.json data/nlu tests/nlu_holdout.yml
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

Span = Tuple[str, int, int]  # label, start, end


def spans(entities: Iterable[dict]) -> Set[Span]:
    return {(e["entity"], int(e["start"]), int(e["end"])) for e in entities}


def report(pairs: Iterable[Tuple[Set[Span], Set[Span]]]) -> Dict[str, dict]:
    """Per-label precision/recall/F1 and the support-weighted average, shaped like Rasa's *_report.json."""
    true_pos: Counter = Counter()
    false_pos: Counter = Counter()
    false_neg: Counter = Counter()
    for expected, predicted in pairs:
        for label, *_ in expected & predicted:
            true_pos[label] += 1
        for label, *_ in predicted - expected:
            false_pos[label] += 1
        for label, *_ in expected - predicted:
            false_neg[label] += 1
    result: Dict[str, dict] = {}
    for label in sorted(set(true_pos) | set(false_pos) | set(false_neg)):
        tp, fp, fn = true_pos[label], false_pos[label], false_neg[label]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[label] = {
            "precision": precision,
            "recall": recall,
            "f1-score": f1,
            "support": tp + fn,
            "false_positives": fp,
        }
    support = sum(values["support"] for values in result.values())
    result["weighted avg"] = {
        key: (sum(v[key] * v["support"] for v in result.values()) / support if support else 0.0)
        for key in ("precision", "recall", "f1-score")
    }
    result["weighted avg"]["support"] = support
    return result


async def _evaluate(model: Path, nlu_paths: List[str]) -> Dict[str, object]:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # One debug line per parsed message otherwise.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    results: Dict[str, object] = {}
    for path in nlu_paths:
        pairs = []
        mistakes = []
        for example in load_data(path).intent_examples:
            text = example.get("text")
            parsed = await agent.parse_message(text)
            expected, predicted = spans(example.get("entities") or []), spans(parsed.get("entities") or [])
            pairs.append((expected, predicted))
            if expected != predicted:
                mistakes.append(
                    {"text": text, "missed": sorted(expected - predicted), "unexpected": sorted(predicted - expected)}
                )
        results[path] = {"report": report(pairs), "examples": len(pairs), "mistakes": mistakes}
    return results


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("nlu", nargs="+", help="NLU files or folders with entity annotations")
    args = parser.parse_args(argv)
    results = asyncio.run(_evaluate(args.model, args.nlu))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    for path, result in results.items():
        print(
            f"{path}: entity weighted F1 {result['report']['weighted avg']['f1-score']:.3f} "
            f"over {result['examples']} examples, {len(result['mistakes'])} with a mistake"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
