"""The phrasebook (locale/<language>/*.yml) words every answer the actions can give.

Every `say(language, "English")` in actions/*.py and every fixed button title
(`Button("English", ...)`) must have its Spanish, with the same {placeholders};
every Spanish entry must still be used; and load_phrasebook refuses a translation
whose placeholders or numbers differ from its English, naming the phrase.

With the Spanish knowledge (knowledge/cma.es.yml), every topic, gap and role answer for
a Spanish-speaking student is in Spanish, text and buttons: no piece of an English
template is left in it, and a gap answer says first that the sources don't cover it.
"""

from __future__ import annotations

import ast
import itertools
import re
import string
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest
import yaml

from actions.knowledge import Knowledge, KnowledgeError
from actions.topic_wording import BUTTON_OF_INTENT, TOPICS, clarify, gap_answer, role_answer
from actions.wording import LOCALE_DIR, Answer, Button, Context, join, load_phrasebook, placeholders
from actions.wording import translated as as_sent
from cma_stack import ROOT

SPANISH = "es"
ACTIONS = sorted((ROOT / "actions").glob("*.py"))


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def _literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _calls(name: str) -> Iterator[Tuple[str, ast.Call]]:
    """Every call to `name` (a function or a method) in actions/*.py, with where it is."""
    for path in ACTIONS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Call) and _called(node) == name:
                yield f"{path.name}:{node.lineno}", node


def said() -> Dict[str, str]:
    """English phrase -> where it is said: `say(x, "<literal>")`."""
    calls = _calls("say")
    return {node.args[1].value: where for where, node in calls if len(node.args) >= 2 and _literal(node.args[1])}


def button_titles() -> Dict[str, str]:
    """Fixed button titles -> where: `Button("<literal>", ...)`, translated when the answer is sent."""
    return {node.args[0].value: where for where, node in _calls("Button") if node.args and _literal(node.args[0])}


def list_words() -> Dict[str, str]:
    """The last words of `join` ("and" by default, "or"), said through the phrasebook."""
    words = {"and": "wording.py join (default)"}
    for where, node in _calls("join"):
        last = node.args[1] if len(node.args) >= 2 else next((k.value for k in node.keywords if k.arg == "last"), None)
        if last is not None and _literal(last):
            words[last.value] = where
    return words


def english_phrases() -> Dict[str, str]:
    return {**list_words(), **button_titles(), **said()}


def catalog(language: str = SPANISH, directory: Path = LOCALE_DIR) -> Dict[str, Tuple[str, str]]:
    """English -> (translation, file) over every locale/<language>/*.yml, read as written."""
    entries: Dict[str, Tuple[str, str]] = {}
    for path in sorted((directory / language).glob("*.yml")):
        for english, translated in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            entries[english] = (translated, path.name)
    return entries


def test_the_scan_finds_the_answers_phrases():
    phrases = english_phrases()
    assert "Sorry, my sources don't cover {subject}, and I'd rather not guess." in phrases
    assert "About the {credential}" in phrases  # a button title with a placeholder, through say
    assert "Talk to an advisor" in phrases  # a fixed button title
    assert {"and", "or"} <= set(phrases)
    assert len(phrases) > 80


def test_every_say_is_a_literal_english_phrase():
    """A computed phrase could not be found by this test, so it could go untranslated."""
    computed = [
        f"{where}: {ast.unparse(node)}"
        for where, node in _calls("say")
        if not (len(node.args) >= 2 and _literal(node.args[1])) and ast.unparse(node) != "say(language, last)"
    ]
    assert not computed, "say() with a phrase that is not a string literal:\n" + "\n".join(computed)


def test_every_phrase_and_button_title_has_its_spanish():
    spanish = catalog()
    problems: List[str] = []
    for english, where in sorted(english_phrases().items(), key=lambda item: item[1]):
        translated, _ = spanish.get(english, (None, None))
        if not isinstance(translated, str) or not translated.strip():
            problems.append(f"{where}: no Spanish for {english!r}")
        elif placeholders(translated) != placeholders(english):
            problems.append(f"{where}: {english!r} -> {translated!r}: other placeholders")
    assert not problems, "locale/es is missing phrases:\n" + "\n".join(problems)


def test_no_spanish_phrase_is_left_over():
    used = set(english_phrases())
    stale = [f"{where}: {english!r}" for english, (_, where) in catalog().items() if english not in used]
    assert not stale, "locale/es has phrases no action says any more:\n" + "\n".join(stale)


def test_the_spanish_phrasebook_loads():
    assert set(load_phrasebook().catalogs[SPANISH]) == set(catalog())


def _locale(tmp_path: Path, entries: Dict[str, str]) -> Path:
    (tmp_path / SPANISH).mkdir()
    (tmp_path / SPANISH / "phrases.yml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_load_phrasebook_takes_a_good_translation(tmp_path):
    book = load_phrasebook(_locale(tmp_path, {"Subjects include {subjects}.": "Las materias: {subjects}."}))
    assert book.say(SPANISH, "Subjects include {subjects}.", subjects="x") == "Las materias: x."
    assert book.say("en", "Subjects include {subjects}.", subjects="x") == "Subjects include x."
    assert book.say(SPANISH, "Not translated {x}", x="y") == "Not translated y"


@pytest.mark.parametrize(
    "english, translated, why",
    [
        ("Subjects include {subjects}.", "Las materias incluyen {materias}.", "placeholders"),
        ("Subjects include {subjects}.", "Las materias incluyen {subjects} {subjects} {extra}.", "placeholders"),
        ("Subjects include {subjects}.", "Las materias incluyen {subjects}, en unas 2 semanas.", "numbers"),
        ("Subjects include {subjects}.", "", "no translation"),
    ],
)
def test_load_phrasebook_refuses_a_translation_that_does_not_fit(tmp_path, english, translated, why):
    with pytest.raises(KnowledgeError) as refused:
        load_phrasebook(_locale(tmp_path, {english: translated, "Common topics: {topics}.": "Temas: {topics}."}))
    message = str(refused.value)
    assert english in message and why in message and "will not start" in message
    assert "Common topics" not in message  # only the faulty phrase is named


def test_the_same_phrase_translated_differently_in_two_files_is_refused(tmp_path):
    (tmp_path / SPANISH).mkdir()
    for name, translated in (("a.yml", "y"), ("b.yml", "e")):
        (tmp_path / SPANISH / name).write_text(yaml.safe_dump({"and": translated}), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="'and': translated twice"):
        load_phrasebook(tmp_path)


def test_templates_and_their_translations_hold_no_digits():
    """Numbers come from the knowledge file only (tests/test_no_invented_numbers.py)."""
    for english, (translated, where) in catalog().items():
        assert not any(c.isdigit() for c in english + str(translated)), f"{where}: {english!r}"


# --- the topic answers in Spanish: no English sentence leaks (knowledge/cma.es.yml) -----------------


WORD = re.compile(r"[\w']+")


def _words(text: str) -> str:
    """Lowercase words between single spaces, padded: " as of ", so a phrase matches whole words only."""
    return " " + " ".join(WORD.findall(text.lower())) + " "


def english_pieces() -> List[str]:
    """The words of every English phrase around its placeholders and punctuation, two words or more
    (" as of ", " common duties "), as _words gives them."""
    pieces: Set[str] = set()
    for english in english_phrases():
        for text, _, _, _ in string.Formatter().parse(english):
            for piece in re.split(r"[()·:;,.?!\n]|\*\*", text):
                if len(_words(piece).split()) >= 2:
                    pieces.add(_words(piece))
    return sorted(pieces)


# English words no Spanish sentence uses, nor the English names kept in Spanish answers (bodies,
# credentials): they catch what the pieces above cannot ("; or ", a list joined with "and").
ENGLISH_WORDS = [" the ", " and ", " or ", " you ", " your ", " is ", " to "]
ENGLISH_PIECES = english_pieces() + ENGLISH_WORDS
ENGLISH_TITLES = set(button_titles())


@pytest.fixture(scope="module")
def spanish() -> Knowledge:
    """The knowledge worded in Spanish, as the action server has it."""
    from actions.conversation import WORDED

    return WORDED[SPANISH]


def spanish_topic_answers(kb: Knowledge) -> Iterator[Tuple[str, Answer]]:
    """Every topic answer for a Spanish context: each credential, pay filter, skill type, place, body, pair."""
    credentials = [None, *kb.credential_ids]
    for topic, compose in TOPICS.items():
        for credential, status, period, skill, location, organization, compared in itertools.product(
            credentials,
            [None, "certified", "non_certified"],
            [None, "hourly", "yearly"],
            [None, "technical", "human"] if topic == "skills" else [None],
            [None, "local", "Texas"] if topic == "pay" else [None],
            [None, *[o.id for o in kb.organizations]] if topic == "organization" else [None],
            [(), *itertools.combinations(kb.credential_ids, 2)] if topic == "compare" else [()],
        ):
            ctx = Context(credential, compared, organization, status, period, skill, location, SPANISH)
            yield f"{topic} {ctx}", compose(kb, ctx)


def spanish_reading_answers(kb: Knowledge) -> Iterator[Tuple[str, Answer]]:
    """Every gap answer (alone for each credential, in pairs with roles), role answer and 'did you mean'."""
    from actions.conversation import SITE

    gap_ids = [g.id for g in kb.not_covered]
    role_ids = [r.id for r in kb.roles]
    for credential in [None, *kb.credential_ids]:
        ctx = Context(credential=credential, language=SPANISH)
        for gap in gap_ids:
            yield f"gap {gap} {credential}", gap_answer(kb, SITE, [gap], ctx)
        for pair in itertools.combinations(gap_ids, 2) if credential is None else ():
            yield f"gaps {pair}", gap_answer(kb, SITE, list(pair), ctx, role_ids[:2])
        for role in role_ids:
            for with_topic in (False, True):
                yield f"role {role} {credential}", role_answer(kb, SITE, [role], ctx, with_topic)
        yield f"roles {role_ids[:3]}", role_answer(kb, SITE, role_ids[:3], ctx, False)
        yield f"roles {role_ids[:3]} not compared", role_answer(kb, SITE, role_ids[:3], ctx, False, compared=False)
    for intents in ([], list(BUTTON_OF_INTENT)):
        yield f"clarify {intents}", clarify(intents, SPANISH)


def english_in(answer: Answer) -> List[str]:
    """English phrases left in an answer as sent in Spanish (its text and button titles)."""
    sent = as_sent(answer, SPANISH)
    leaks = [f"button {b.title!r}" for b in sent.buttons if b.title in ENGLISH_TITLES]
    for text in [sent.text] + [b.title for b in sent.buttons]:
        words = _words(text)
        leaks += [f"{piece.strip()!r} in {text!r}" for piece in ENGLISH_PIECES if piece in words]
    return leaks


def test_the_leak_check_catches_english():
    english = Answer("Lo siento. Common duties: x; or y. Sitio oficial: z", [Button("Compare with the CMA", "/x")])
    leaks = " ".join(english_in(english))
    assert all(f"'{words}' in" in leaks for words in ("common duties", "or", "compare with the"))
    spanish = Answer("Tareas habituales: x (AAMA, https://www.aama-ntl.org)", [Button("Talk to an advisor", "/x")])
    assert english_in(spanish) == []  # a fixed title is translated when sent


def test_every_topic_answer_is_in_spanish_for_a_spanish_student(spanish):
    checked = 0
    for name, answer in spanish_topic_answers(spanish):
        leaks = english_in(answer)
        assert not leaks, f"{name}: English in a Spanish answer:\n" + "\n".join(leaks)
        checked += 1
    assert checked > 1000


def test_every_gap_and_role_answer_is_in_spanish_and_says_first_what_the_sources_lack(spanish):
    checked = 0
    for name, answer in spanish_reading_answers(spanish):
        leaks = english_in(answer)
        assert not leaks, f"{name}: English in a Spanish answer:\n" + "\n".join(leaks)
        if name.startswith("gap"):
            first = answer.text.split(". ")[0]
            assert first.startswith("Lo siento, mis fuentes no cubren "), f"{name}: {first!r}"
            assert "Para averiguarlo, consulta con " in answer.text, name
        elif name.startswith("role"):
            assert answer.text.startswith("Mis fuentes no hablan de "), name
            assert "consulta con " in answer.text, name
        checked += 1
    assert checked > 500


def test_spanish_answers_name_the_advising_office_in_spanish(spanish):
    from actions.conversation import SITE

    office = SITE.office(SPANISH).split(" (")[0]
    answer = gap_answer(spanish, SITE, ["credit_transfer"], Context(language=SPANISH))
    assert f"{office} de {SITE.school}" in answer.text
    if office != SITE.advising.office.split(" (")[0]:
        assert SITE.advising.office.split(" (")[0] not in answer.text


@pytest.mark.parametrize(
    "items, last, language, said",
    [
        (["enfermeros", "intérpretes"], "and", "es", "enfermeros e intérpretes"),
        (["CNA", "**Higienistas**"], "and", "es", "CNA e **Higienistas**"),
        (["agua", "hielo"], "and", "es", "agua y hielo"),  # "hie" is no "i" sound
        (["el CMA", "otra"], "or", "es", "el CMA u otra"),
        (["CMA", "RMA", "NCMA"], "or", "es", "CMA, RMA o NCMA"),
        (["nurses", "interpreters"], "and", "en", "nurses and interpreters"),
    ],
)
def test_spanish_and_and_or_change_before_the_same_sound(items, last, language, said):
    assert join(items, last, language) == said


def test_a_job_asked_about_by_an_unlisted_title_gets_the_role_answer_without_naming_a_side(kb):
    from actions.conversation import SITE

    text = role_answer(kb, SITE, ["other_role"], Context(), False).text
    assert text.startswith("My sources don't describe that job, only medical assistants")
    assert "To find out, ask" in text and " side, ask" not in text


def test_a_role_asked_about_alone_is_not_said_to_be_compared(kb):
    from actions.conversation import SITE

    alone = role_answer(kb, SITE, ["phlebotomist"], Context(), False, compared=False).text
    assert alone.startswith("My sources don't describe phlebotomists, only medical assistants.")
    assert "compare" not in alone
    beside = role_answer(kb, SITE, ["phlebotomist"], Context(), False).text
    assert "so I can't compare the two roles" in beside
