"""The real-question evaluation: questions people asked in public, sent through the real stack.

tests/real_questions.yml holds questions copied from public pages (forums, FAQ
pages, "people also ask" lists), each with its page address and what a correct
reply must do. This module sends every one, as the first message of its own
conversation, over REST to a running action server + Rasa server and judges
the reply:

- pass          it does what the entry expects
- wrong_topic   a confident answer (no "my sources don't cover", no "please
                rephrase", no "outside what I know") that is not what was asked:
                the worst outcome, counted on its own
- honest_gap    says its sources don't cover it, where the entry expected an
                answer or a personal reply (or pointed to the wrong people)
- not_understood  asked the student to rephrase
- refused       called an in-scope question outside what it knows

Usage: python -m bench.real_questions [--model models/cma.tar.gz] [--out results/real_questions]
Writes results.json (every reply), failures.md (every failure, by split) and
summary.json; prints the table. Exit status 0: this is a measure, not a gate.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "real_questions.yml"
OUTCOMES = ("pass", "wrong_topic", "honest_gap", "not_understood", "refused")
KINDS = ("answer", "gap", "role", "situation", "off_topic")
SPLITS = ("tune", "holdout")

# How the bot's replies say what they are (actions/wording, locale/es and domain.yml), in English and Spanish.
NOT_COVERED = re.compile(
    r"\b(?:my sources|the article)\b[^.\n]*?\b(?:don't|do not|doesn't|does not)\s+"
    r"(?:cover|say|give|describe|mention|have|list)"
    r"|\b(?:mis fuentes|el art[ií]culo)\b[^.\n]*?\bno\s+(?:\w+\s+)?"
    r"(?:cubren|cubre|dicen|dice|dan|da|describen|describe|hablan|habla|mencionan|menciona|tienen|tiene|incluyen|incluye)\b",
    re.IGNORECASE,
)
# "Please rephrase", "one thing at a time" after a long story, or "did you mean one of these?"
# (topic_wording.clarify): asked back, not answered.
REPHRASE = re.compile(
    r"didn't quite get that|still not getting it|Did you mean one of these|What would you like to know\?"
    r"|couldn't pick out one question"
    r"|no te entend[ií] bien|todav[ií]a no te entiendo|te refer[ií]as a (?:una|alguna) de estas"
    r"|no supe distinguir en tu mensaje una pregunta"
    r"|¿Qu[eé] te gustar[ií]a saber\?",
    re.IGNORECASE,
)
# The out-of-scope reply and the "you mean another CMA" reply both say this.
OUT_OF_SCOPE = re.compile(
    r"outside what I know|I only cover careers in medical assisting"
    r"|fuera de lo que s[eé]|solo hablo de la carrera de asistente m[eé]dico",
    re.IGNORECASE,
)
# The school's advising office (knowledge/site.yml) counts as "advisors".
ADVISORS = re.compile(r"advising office|advisors?\b|talk to an advisor|asesor(?:a|es|as)?\b|asesor[ií]a", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    source: str
    split: str
    expect: str
    facts: Sequence[str] = ()
    ask: Sequence[str] = ()
    note: str = ""


def load(path: Path = QUESTIONS) -> List[Question]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Question(
            id=e["id"],
            text=e["text"],
            source=e["source"],
            split=e["split"],
            expect=e["expect"],
            facts=tuple(e.get("facts") or ()),
            ask=tuple(e.get("ask") or ()),
            note=e.get("note", ""),
        )
        for e in entries
    ]


def first_sentence(text: str, skip: Sequence[str] = ()) -> str:
    """The first sentence, after any of `skip` (the acknowledgement of a worry) at the start."""
    text = re.sub(r"\*\*", "", text.strip())
    for lead in skip:
        if lead and text.startswith(lead):
            text = text[len(lead) :].strip()
    match = re.search(r"(?<=[.!?])\s|\n", text)
    return text[: match.start()] if match else text


def _has(text: str, fact: str) -> bool:
    """A fact is present when any of its "a|b" alternatives is, case and ** ignored."""
    plain = text.replace("**", "").lower()
    return any(alt.strip().lower() in plain for alt in fact.split("|"))


def _names(text: str, who: str) -> bool:
    if who == "advisors":
        return ADVISORS.search(text) is not None
    return re.search(rf"\b{re.escape(who)}\b", text) is not None


def judge(question: Question, replies: Sequence[str], acknowledgements: Sequence[str] = ()) -> str:
    """The outcome of one question, from the texts the bot sent back (in order).

    `acknowledgements`: sentences that may come before the answer's first sentence
    (the knowledge file's reply to a worry), so "says so first" is judged after them.
    """
    texts = [r for r in replies if r]
    whole = "\n".join(texts)
    first = first_sentence(texts[0], acknowledgements) if texts else ""
    says_gap = NOT_COVERED.search(first) is not None
    if not texts or REPHRASE.search(whole):
        return "not_understood"
    if OUT_OF_SCOPE.search(whole):
        return "pass" if question.expect == "off_topic" else "refused"
    if question.expect == "off_topic":
        return "wrong_topic"
    facts_ok = all(_has(whole, fact) for fact in question.facts)
    asked_ok = not question.ask or any(_names(whole, who) for who in question.ask)
    if question.expect in ("answer", "situation"):
        # Every fact asked for is there: answered, even if another part was an honest "not covered".
        if facts_ok:
            return "pass"
        return "honest_gap" if says_gap else "wrong_topic"
    # gap and role: say first that the sources don't cover it, then where to ask.
    if not says_gap:
        return "wrong_topic"
    return "pass" if facts_ok and asked_ok else "honest_gap"


def summarise(results: Iterable[dict]) -> Dict[str, dict]:
    """Per split: how many, each outcome, pass rate and wrong-topic rate (percent, one decimal)."""
    table: Dict[str, dict] = {}
    results = list(results)
    for split in (*SPLITS, "all"):
        rows = [r for r in results if split == "all" or r["split"] == split]
        counts = Counter(r["outcome"] for r in rows)
        total = len(rows)
        table[split] = {
            "questions": total,
            **{outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
            "pass_rate": round(100 * counts.get("pass", 0) / total, 1) if total else 0.0,
            "wrong_topic_rate": round(100 * counts.get("wrong_topic", 0) / total, 1) if total else 0.0,
            "by_kind": {
                kind: f"{sum(1 for r in rows if r['expect'] == kind and r['outcome'] == 'pass')}"
                f"/{sum(1 for r in rows if r['expect'] == kind)}"
                for kind in KINDS
                if any(r["expect"] == kind for r in rows)
            },
        }
    return table


def table_text(summary: Dict[str, dict]) -> str:
    head = f"{'split':<8} {'n':>4} {'pass':>6} {'wrong':>6} {'gap':>5} {'unclr':>6} {'refus':>6}   by kind"
    lines = [head]
    for split, row in summary.items():
        kinds = "  ".join(f"{k} {v}" for k, v in row["by_kind"].items())
        lines.append(
            f"{split:<8} {row['questions']:>4} {row['pass_rate']:>5.1f}% {row['wrong_topic_rate']:>5.1f}% "
            f"{row['honest_gap']:>5} {row['not_understood']:>6} {row['refused']:>6}   {kinds}"
        )
    return "\n".join(lines)


def failures_markdown(results: Sequence[dict]) -> str:
    lines = ["# Real-question failures", ""]
    for split in SPLITS:
        failed = [r for r in results if r["split"] == split and r["outcome"] != "pass"]
        lines += [f"## {split} ({len(failed)} failed)", ""]
        for r in sorted(failed, key=lambda r: (OUTCOMES.index(r["outcome"]), r["id"])):
            reply = " / ".join(r["replies"]).replace("\n", " ")
            lines += [
                f"### {r['id']} · {r['outcome']} · expected {r['expect']}"
                + (f" {list(r['facts'])}" if r["facts"] else "")
                + (f" ask {list(r['ask'])}" if r["ask"] else ""),
                f"> {r['text']}",
                "",
                f"intent `{r['intent']}` · {r['source']}",
                "",
                f"Reply: {reply[:600]}",
                "",
            ]
    return "\n".join(lines)


def acknowledgements() -> List[str]:
    """The knowledge file's acknowledgement of a worry (said before the facts), in each language."""
    from actions.knowledge import load_languages

    replies = [getattr(kb, "feelings", None) for kb in load_languages().values()]  # (older files: none)
    return [feelings.reply for feelings in replies if feelings]


def ask_all(questions: Sequence[Question], send, parse) -> List[dict]:
    """Each question as the first message of a fresh conversation; `send` returns the bot's messages."""
    results = []
    skip = acknowledgements()
    for question in questions:
        messages = send(f"rq-{question.id}", question.text)
        replies = [m.get("text") or "" for m in messages]
        results.append(
            {
                **question.__dict__,
                "facts": list(question.facts),
                "ask": list(question.ask),
                "replies": replies,
                "intent": parse(question.text),
                "outcome": judge(question, replies, skip),
            }
        )
    return results


def rejudge(results: Sequence[dict], questions: Sequence[Question]) -> List[dict]:
    """Judge stored replies again with today's expectations and scorer (e.g. an earlier model's run)."""
    by_id = {q.id: q for q in questions}
    skip = acknowledgements()
    return [
        {
            **r,
            "split": by_id[r["id"]].split,
            "expect": by_id[r["id"]].expect,
            "facts": list(by_id[r["id"]].facts),
            "ask": list(by_id[r["id"]].ask),
            "outcome": judge(by_id[r["id"]], r["replies"], skip),
        }
        for r in results
        if r["id"] in by_id
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "real_questions")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--rejudge", type=Path, help="judge an earlier results.json again instead of asking")
    parser.add_argument("--split", choices=SPLITS, help="ask only this part (tuning: --split tune)")
    args = parser.parse_args(argv)

    import requests

    from cma_stack import running_stack

    questions = [q for q in load(args.questions) if args.split in (None, q.split)]
    if args.rejudge:
        results = rejudge(json.loads(args.rejudge.read_text(encoding="utf-8")), questions)
        print(table_text(summarise(results)))
        return 0
    with running_stack() as stack:

        def parse(text: str) -> str:
            response = requests.post(
                f"{stack.rasa_url}/model/parse", params={"token": stack.api_token}, json={"text": text}, timeout=30
            )
            intent = response.json().get("intent") or {}
            return f"{intent.get('name')} {intent.get('confidence', 0):.2f}"

        results = ask_all(questions, stack.send, parse)
    summary = summarise(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (args.out / "failures.md").write_text(failures_markdown(results), encoding="utf-8")
    print(f"Real-question set ({args.questions}), one fresh conversation per question:")
    print(table_text(summary))
    print(f"Every reply: {args.out / 'results.json'}; failures: {args.out / 'failures.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
