"""Summarise a `rasa test nlu` run (cross-validation or a held-out file) as results/summary.md.

Usage: python scripts/summarize_eval.py RESULTS_DIR [RESULTS_DIR ...]
Prints the summary and appends it to results/summary.md; exits 1 when the
quality floor (weighted intent F1 >= 0.95, every intent >= 0.85) is missed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List, Tuple

WEIGHTED_F1_FLOOR = 0.95
INTENT_F1_FLOOR = 0.85
SUMMARY = Path("results") / "summary.md"


def summarise(results: Path) -> Tuple[str, bool]:
    report: Dict[str, dict] = json.loads((results / "intent_report.json").read_text())
    weighted = report["weighted avg"]["f1-score"]
    intents = {
        name: values for name, values in report.items()
        if isinstance(values, dict) and "support" in values and name not in ("micro avg", "macro avg", "weighted avg")
    }
    confused: List[Tuple[int, str, str]] = []
    for name, values in intents.items():
        for other, count in (values.get("confused_with") or {}).items():
            confused.append((count, name, other))
    confused.sort(reverse=True)
    lines = [
        f"## {results}",
        "",
        f"- weighted intent F1: **{weighted:.3f}** (floor {WEIGHTED_F1_FLOOR})",
        f"- accuracy: {report.get('accuracy', float('nan')):.3f}",
        f"- examples: {sum(v['support'] for v in intents.values())}",
        "",
        "| intent | F1 | precision | recall | support |",
        "|---|---|---|---|---|",
    ]
    for name, values in sorted(intents.items(), key=lambda item: item[1]["f1-score"]):
        lines.append(
            f"| {name} | {values['f1-score']:.3f} | {values['precision']:.3f} | {values['recall']:.3f} | {values['support']} |"
        )
    lines += ["", "Most confused (true → predicted: count):", ""]
    lines += [f"- {name} → {other}: {count}" for count, name, other in confused[:8]] or ["- none"]
    for entity_report in sorted(results.glob("*Extractor_report.json")):
        data = json.loads(entity_report.read_text())
        lines += ["", f"Entities ({entity_report.stem.replace('_report', '')}): weighted F1 "
                  f"**{data['weighted avg']['f1-score']:.3f}**"]
        for label, values in sorted(data.items()):
            if isinstance(values, dict) and "support" in values and not label.endswith("avg") and label != "no_entity":
                lines.append(f"- {label}: F1 {values['f1-score']:.3f} (support {values['support']})")
    images = [p.name for p in sorted(results.glob("*.png"))]
    if images:
        lines += ["", "Images: " + ", ".join(images)]
    ok = weighted >= WEIGHTED_F1_FLOOR and all(v["f1-score"] >= INTENT_F1_FLOOR for v in intents.values())
    return "\n".join(lines) + "\n", ok


def main(paths: List[str]) -> int:
    SUMMARY.parent.mkdir(exist_ok=True)
    all_ok = True
    with SUMMARY.open("a", encoding="utf-8") as out:
        for path in paths:
            text, ok = summarise(Path(path))
            all_ok &= ok
            print(text)
            out.write(text + "\n")
    print(f"written to {SUMMARY}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
