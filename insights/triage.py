"""Turn what the assistant failed on into draft training data a maintainer labels.

Usage: python -m insights.triage [--since 2026-11-01] [--until 2026-11-30] [--url SQLALCHEMY_URL]
                                 [--timezone UTC] [--out data/nlu/triage.yml] [--force]
Lists the typed messages that fell back or whose answer was rated 👎, grouped by
similar wording, and writes them as an NLU file that is entirely commented out:
training and `rasa data validate` ignore it until someone uncomments a group and
sets its intent. One file per language, beside that language's training data: the
English draft at --out, the Spanish one in the `es/` folder beside it
(data/nlu/es/triage.yml), each message by the language the report gives it.
E-mail addresses and phone numbers are always masked, since the files are meant
to be committed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from actions.constants import ENGLISH, SPANISH
from insights import metrics
from insights.grouping import group_messages, normalise
from insights.privacy import redact
from insights.report import period_from_args, period_text
from insights.store import StoreError, read_conversations, tracker_store_url

DEFAULT_OUT = Path("data/nlu/triage.yml")
# Where each language's training data lives, relative to the English draft's folder (data/nlu/es/).
LANGUAGE_FOLDERS = {ENGLISH: "", SPANISH: "es"}
UNKNOWN_INTENT = "CHOOSE_AN_INTENT"  # no guess available: the maintainer must pick one


@dataclass
class TriageGroup:
    examples: List[str]  # distinct wordings, most frequent first
    messages: int
    not_understood: int
    thumbs_down: int
    suggestion: str  # the intent the current model leans to; to be checked


def draft_paths(out: Path) -> Dict[str, Path]:
    """Each language's draft: the English one at `out`, the others in their folder beside it."""
    return {language: out.parent / folder / out.name for language, folder in LANGUAGE_FOLDERS.items()}


def triage_groups(found: metrics.Collected, language: str) -> List[TriageGroup]:
    """Failing typed messages (redacted) in `language`, grouped by similarity, largest group first."""
    reasons: Dict[str, Counter] = defaultdict(Counter)
    leanings: Dict[str, Counter] = defaultdict(Counter)
    texts: List[str] = []
    for message, reason in [(m, metrics.NOT_UNDERSTOOD) for m in found.fallbacks] + [
        (m, metrics.THUMBS_DOWN) for m in found.down_questions
    ]:
        text = " ".join(redact(message.text).split())  # one line: each example is one YAML list item
        if message.language != language:
            continue
        if message.click or len(text) > metrics.TEXT_LIMIT:
            continue  # a button is not a phrasing; a pasted essay is no training example
        key = normalise(text)
        texts.append(text)
        reasons[key][reason] += 1
        # A fallback's best guess, or the intent a 👎 answer was given for (perhaps the wrong one).
        intent = message.guess if message.fell_back else message.intent
        if intent:
            leanings[key][intent] += 1
    groups = []
    for group in group_messages(texts):
        why: Counter = sum((reasons[k] for k in group.keys), Counter())
        lean: Counter = sum((leanings[k] for k in group.keys), Counter())
        suggestion = min(lean, key=lambda intent: (-lean[intent], intent)) if lean else UNKNOWN_INTENT
        groups.append(
            TriageGroup(group.texts, group.total, why[metrics.NOT_UNDERSTOOD], why[metrics.THUMBS_DOWN], suggestion)
        )
    return groups


def _why(group: TriageGroup) -> str:
    parts = [
        f"{group.not_understood} not understood" if group.not_understood else "",
        f"{group.thumbs_down} rated 👎" if group.thumbs_down else "",
    ]
    return ", ".join(p for p in parts if p)


def render_yaml(groups: Sequence[TriageGroup], period: metrics.Period, language: str) -> str:
    """The draft NLU file: every line a comment; removing one "# " per line gives valid Rasa training data."""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    total = sum(g.messages for g in groups)
    lines = [
        f"# Draft training data from conversations, {period_text(period)} (make triage, {generated}).",
        f"# {total} typed message(s) in {metrics.language_name(language)} the assistant did not understand or "
        "whose answer was rated 👎,",
        f"# in {len(groups)} group(s) of similar wording, largest first. Nothing here is used until uncommented.",
        "# To label a group:",
        '#   1. uncomment `version`, `nlu:` and the group (remove one "# " from the start of each line);',
        "#   2. set the intent: keep the current model's guess, pick another from domain.yml, or out_of_scope;",
        "#   3. delete examples that do not belong (or move them to another group);",
        "#   4. run `make validate train`; then move the examples into this folder's file for that intent.",
        "# A group rated 👎 may need a better answer (knowledge/cma.yml) rather than more examples.",
        "# `make triage` overwrites this file only while nothing in it is uncommented (--force to overwrite anyway).",
        "# E-mail addresses and phone numbers are masked.",
        "#",
        '# version: "3.1"',
        "# nlu:",
    ]
    for number, group in enumerate(groups, 1):
        lines += [
            "#",
            f"# # Group {number}: {group.messages} message(s), {_why(group)}; the model's guess: {group.suggestion}",
            f"# - intent: {group.suggestion}",
            "#   examples: |",
            *[f"#     - {example}" for example in group.examples],
        ]
    return "\n".join(lines) + "\n"


def has_labelling(path: Path) -> bool:
    """Whether someone has started uncommenting the draft (so it must not be overwritten)."""
    return path.exists() and any(
        line.strip() and not line.lstrip().startswith("#") for line in path.read_text(encoding="utf-8").splitlines()
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", help="first day, YYYY-MM-DD (default: 30 days before --until)")
    parser.add_argument("--until", help="last day, YYYY-MM-DD, included (default: today)")
    parser.add_argument("--url", default=tracker_store_url(), help="tracker store SQLAlchemy URL")
    parser.add_argument("--timezone", default=os.environ.get("REPORT_TIMEZONE", "UTC"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the draft NLU file to write")
    parser.add_argument("--force", action="store_true", help="overwrite the file even if labelling has started")
    args = parser.parse_args(argv)
    try:
        period = period_from_args(args.since, args.until, args.timezone)
    except ValueError as error:
        parser.error(str(error))
    drafts = draft_paths(args.out)
    started = [path for path in drafts.values() if has_labelling(path)]
    if started and not args.force:
        print(
            f"{', '.join(map(str, started))}: uncommented lines (labelling in progress): not overwritten. "
            "Move the labelled examples into the training data first, or use --force.",
            file=sys.stderr,
        )
        return 1
    try:
        found = metrics.collect(read_conversations(args.url, period.start, period.end), period)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    for language, path in drafts.items():
        groups = triage_groups(found, language)
        print(f"{metrics.language_name(language)}:")
        for number, group in enumerate(groups, 1):
            print(f"{number}. {group.messages} message(s), {_why(group)}; model's guess: {group.suggestion}")
            for example in group.examples:
                print(f"     {example}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_yaml(groups, period, language), encoding="utf-8")
        print(f"wrote {path}: {len(groups)} group(s) to label, all commented out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
