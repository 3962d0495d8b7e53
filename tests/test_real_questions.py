"""The real-question sets (tests/real_questions.yml, tests/real_questions_es.yml) and how
bench/real_questions.py judges replies.

Running the set through the stack is a measure (`make evaluate`), not a gate;
these tests keep the set honest: collected from public pages, a held-out part
no training example repeats, expectations the knowledge file can meet, and a
judge that can tell each outcome apart.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from actions.language import fold
from bench.real_questions import KINDS, SPLITS, Question, judge, load, summarise
from cma_stack import ROOT

ASK = {"AAMA", "AMT", "NCCT", "NHA", "CAAHEP", "ABHES", "BLS", "advisors"}


# Each set, the fewest questions it must hold (Spanish questions in public are fewer) and its ids' prefix.
SETS = {"real_questions.yml": (150, "rq-"), "real_questions_es.yml": (80, "rq-es-")}


@pytest.fixture(scope="module", params=sorted(SETS))
def questions(request):
    found = load(ROOT / "tests" / request.param)
    assert len(found) >= SETS[request.param][0], request.param
    assert all(q.id.startswith(SETS[request.param][1]) for q in found), request.param
    return found


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def test_the_set_is_well_formed(questions):
    assert len({q.id for q in questions}) == len(questions)
    assert len({_normalised(q.text) for q in questions}) == len(questions)
    for q in questions:
        assert q.source.startswith(("https://", "http://")), q.id
        assert q.expect in KINDS and q.split in SPLITS, q.id
        assert set(q.ask) <= ASK, q.id
        if q.expect in ("answer", "situation"):
            assert q.facts, f"{q.id}: an answer must name the facts it needs"
        if q.expect in ("gap", "role"):
            assert q.ask, f"{q.id}: a gap must say whom to ask"


def test_every_fact_asked_for_is_in_the_knowledge_file(questions):
    known = (ROOT / "knowledge" / "cma.yml").read_text(encoding="utf-8").lower()
    for q in questions:
        for fact in q.facts:
            assert any(alt.strip().lower() in known for alt in fact.split("|")), f"{q.id}: {fact!r}"


def test_the_held_out_part_is_a_third_or_more_and_was_drawn_by_hash(questions):
    """The split was fixed by a hash of the text before any reply was seen (not chosen by results)."""
    counts = Counter(q.split for q in questions)
    assert counts["holdout"] * 3 >= len(questions)
    for q in questions:
        digest = hashlib.sha1(_normalised(q.text).encode()).hexdigest()
        assert q.id.rsplit("-", 1)[1] == digest[:8], q.id
        assert q.split == ("holdout" if int(digest, 16) % 5 < 2 else "tune"), q.id


def _training_examples():
    """Every NLU example's text as Rasa reads it (annotations removed; both the "- text" and the
    "text:/metadata:" forms of data/nlu)."""
    return [m.get("text") for m in load_data(str(ROOT / "data" / "nlu")).training_examples if m.get("text")]


def _words(text: str) -> set:
    return set(re.findall(r"[a-zñ0-9']+", fold(text)))


def test_no_training_example_repeats_a_held_out_question(questions):
    held_out = [q for q in questions if q.split == "holdout"]
    examples = _training_examples()
    assert len(examples) > 3000
    exact = {_normalised(e).rstrip("?!. ") for e in examples}
    example_words = [(example, _words(example)) for example in examples]  # once, not once per question
    for q in held_out:
        assert _normalised(q.text).rstrip("?!. ") not in exact, q.id
        words = _words(q.text)
        if len(words) < 5:
            continue
        for example, other in example_words:
            overlap = len(words & other) / len(words | other)
            assert overlap < 0.8, f"{q.id} ~ training example {example!r}"


# --- the judge ---------------------------------------------------------------------


def _q(expect, facts=(), ask=()):
    return Question(
        id="t", text="?", source="https://example.org", split="tune", expect=expect, facts=tuple(facts), ask=tuple(ask)
    )


GAP = "Sorry, my sources don't cover exam retakes, and I'd rather not guess. To find out, ask the AAMA."
GAP_ES = "Lo siento, mis fuentes no cubren los reintentos del examen, y prefiero no adivinar. Consulta con AAMA."


@pytest.mark.parametrize(
    "question, replies, outcome",
    [
        (_q("answer", ["$17.88"]), ["Non-certified medical assistants: median **$17.88 an hour**."], "pass"),
        (_q("answer", ["$17.88"]), ["Common topics: medical terminology."], "wrong_topic"),
        (_q("answer", ["$17.88"]), [GAP], "honest_gap"),
        (_q("answer", ["$17.88|$20.76"]), ["certified: $20.76 an hour"], "pass"),
        (_q("gap", ask=["AAMA"]), [GAP], "pass"),
        (_q("gap", ask=["AMT"]), [GAP], "honest_gap"),  # said so, but pointed elsewhere
        (_q("gap", ask=["AAMA"]), ["Common topics: medical terminology. Ask the AAMA."], "wrong_topic"),
        (_q("gap", ask=["advisors"]), [GAP.replace("the AAMA", "the Health Sciences Advising office")], "pass"),
        (
            _q("role", ["vital signs"], ["advisors"]),
            ["My sources don't describe nurses, only medical assistants. Vital signs... ask the advising office."],
            "pass",
        ),
        (_q("gap", ask=["AAMA"]), ["Sorry, I didn't quite get that. Could you rephrase it?"], "not_understood"),
        (
            _q("situation", facts=["RMA"]),
            [
                "Thanks for telling me all that. I couldn't pick out one question I can answer from it, and I'd rather"
                " not guess. Could you ask me one thing at a time, such as pay, daily duties or certifications?"
            ],
            "not_understood",
        ),
        (_q("gap", ask=["AAMA"]), [], "not_understood"),
        (
            _q("answer", ["$17.88"]),
            ["I want to be sure I answer the question you asked. Did you mean one of these?"],
            "not_understood",
        ),
        (_q("role", ask=["advisors"]), ["That's outside what I know, sorry."], "refused"),
        (_q("off_topic"), ["That's outside what I know, sorry."], "pass"),
        (_q("off_topic"), ["Here's the usual route: 1. Choose your path."], "wrong_topic"),
        # Spanish replies (locale/es, domain.yml's Spanish variations)
        (_q("gap", ask=["AAMA"]), [GAP_ES], "pass"),
        (_q("gap", ask=["advisors"]), [GAP_ES.replace("AAMA", "la Oficina de Asesoría")], "pass"),
        (_q("answer", ["$17.88"]), [GAP_ES], "honest_gap"),
        (_q("role", ask=["advisors"]), ["Mis fuentes no hablan de enfermeros. Consulta con tu asesor."], "pass"),
        (
            _q("gap", ask=["AAMA"]),
            ["Perdona, no te entendí bien. ¿Me lo puedes decir de otra forma?"],
            "not_understood",
        ),
        (_q("answer", ["$17.88"]), ["Quiero asegurarme. ¿Te referías a alguna de estas opciones?"], "not_understood"),
        (_q("role", ask=["advisors"]), ["Lo siento, eso está fuera de lo que sé."], "refused"),
        # a worry with no question: heard, then asked what would help; asked back, not an answer
        (
            _q("situation", ["CCMA"]),
            ["That's a big step, and it's normal to have doubts along the way. What would you like to know?"],
            "not_understood",
        ),
        (_q("situation", ["CCMA"]), ["Es un gran paso. ¿Qué te gustaría saber? Puedo contarte..."], "not_understood"),
        (
            _q("gap", ask=["AAMA"]),
            ["Este es el camino habitual: 1. Elige tu camino. Consulta con la AAMA."],
            "wrong_topic",
        ),
    ],
)
def test_the_judge_tells_each_outcome_apart(question, replies, outcome):
    assert judge(question, replies) == outcome


def test_a_worry_acknowledged_first_does_not_hide_the_gap():
    ack = "That's a big step, and it's normal to have doubts along the way."
    assert judge(_q("gap", ask=["AAMA"]), [f"{ack} {GAP}"], [ack]) == "pass"
    assert judge(_q("gap", ask=["AAMA"]), [f"{ack} {GAP}"]) == "wrong_topic"


def test_the_summary_counts_each_split_and_wrong_topic_on_its_own():
    rows = [
        {"split": "tune", "expect": "gap", "outcome": "pass"},
        {"split": "holdout", "expect": "gap", "outcome": "wrong_topic"},
        {"split": "holdout", "expect": "answer", "outcome": "pass"},
    ]
    table = summarise(rows)
    assert table["tune"]["pass_rate"] == 100.0
    assert table["holdout"]["wrong_topic"] == 1 and table["holdout"]["wrong_topic_rate"] == 50.0
    assert table["all"]["questions"] == 3 and table["holdout"]["by_kind"] == {"answer": "1/1", "gap": "0/1"}


def test_questions_file_path_is_the_one_make_evaluate_uses():
    assert Path(load.__defaults__[0]) == ROOT / "tests" / "real_questions.yml"
