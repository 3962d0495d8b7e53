"""No answer the bot can give contains a number the knowledge file does not.

Every topic is composed for every combination of context the actions can
pass (each credential, organization, pay filter, skill type, place, and
comparison), and the fixed responses in domain.yml are checked too.
"""

from __future__ import annotations

import itertools
from typing import Iterator, Tuple

import pytest
import yaml

from actions.topic_wording import TOPICS
from actions.wording import Answer, Context
from cma_stack import ROOT
from tests.helpers import KNOWN_NUMBER_WORDS, KNOWN_NUMBERS, NUMBER, numbers_in


@pytest.fixture(scope="module", params=["en", "es"])
def language(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def worded(language):
    """The knowledge worded in the language under test (actions/conversation.py's WORDED)."""
    from actions.conversation import WORDED

    return WORDED[language]


def all_answers(kb, language: str = "en") -> Iterator[Tuple[str, Context, Answer]]:
    credentials = [None, *kb.credential_ids, "UNKNOWN"]
    comparisons = [(), *itertools.combinations(kb.credential_ids, 2), tuple(kb.credential_ids)]
    for topic, compose in TOPICS.items():
        for credential, status, period, skill, location, organization, compared in itertools.product(
            credentials,
            [None, "certified", "non_certified"],
            [None, "hourly", "yearly"],
            [None, "technical", "human"],
            [None, "local", "Texas"],
            [None, *[o.id for o in kb.organizations]] if topic == "organization" else [None],
            comparisons if topic == "compare" else [()],
        ):
            ctx = Context(credential, compared, organization, status, period, skill, location, language)
            yield topic, ctx, compose(kb, ctx)


def test_the_check_itself_catches_an_invented_number():
    numbers, words = numbers_in("Exams cost $125 and take three hours.")
    assert set(numbers) - KNOWN_NUMBERS == {"125"}
    assert set(words) - KNOWN_NUMBER_WORDS == {"three"}


def test_no_action_answer_contains_a_number_not_in_the_knowledge_file(worded, language):
    checked = 0
    for topic, ctx, answer in all_answers(worded, language):
        texts = [answer.text] + [b.title for b in answer.buttons]
        for text in texts:
            numbers, words = numbers_in(text)
            assert set(numbers) <= KNOWN_NUMBERS, f"{topic} {ctx}: invented {set(numbers) - KNOWN_NUMBERS} in {text!r}"
            assert set(words) <= KNOWN_NUMBER_WORDS, f"{topic} {ctx}: invented {set(words) - KNOWN_NUMBER_WORDS}"
        checked += 1
    assert checked > 10_000


def test_fixed_responses_contain_nonumbers_in():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        for variant in variants:
            texts = [variant.get("text", "")] + [b["title"] for b in variant.get("buttons", [])]
            for text in texts:
                numbers, words = numbers_in(text)
                assert not numbers and not words, f"{name}: {text!r}"


@pytest.mark.parametrize("limit", [85])
def test_answers_are_short_and_offer_next_questions(worded, language, limit):
    longest = 0
    for topic, ctx, answer in all_answers(worded, language):
        words = len(answer.text.split())
        longest = max(longest, words)
        assert words <= limit, f"{topic} {ctx}: {words} words:\n{answer.text}"
        assert 2 <= len(answer.buttons) <= 4, f"{topic} {ctx}: {len(answer.buttons)} buttons"
    assert longest > 0


# --- answers to what the knowledge reader recognised (gaps, roles, situations) -----------

SITE_TEXT = (ROOT / "knowledge" / "site.yml").read_text(encoding="utf-8")
KNOWN_WITH_SITE = KNOWN_NUMBERS | set(NUMBER.findall(SITE_TEXT))


def reading_answers(kb, language: str = "en"):
    """Every gap (alone, in pairs, with each credential and a role), role and situation answer."""
    from actions.advisor_rules import Situation, advise_situation
    from actions.advisor_wording import situation_answer
    from actions.knowledge import load_site
    from actions.topic_wording import gap_answer, role_answer

    site = load_site()
    gap_ids = [g.id for g in kb.not_covered]
    role_ids = [r.id for r in kb.roles]
    for credential in [None, *kb.credential_ids]:
        ctx = Context(credential=credential, language=language)
        for gap in gap_ids:
            yield f"gap {gap}", gap_answer(kb, site, [gap], ctx)
        for pair in itertools.combinations(gap_ids, 2):
            yield f"gaps {pair}", gap_answer(kb, site, list(pair), ctx, role_ids[:2])
        for role in role_ids:
            for with_topic in (False, True):
                yield f"role {role}", role_answer(kb, site, [role], ctx, with_topic)
    for entry in kb.situations:
        sets = {slot: ("6" if value == "years" else value) for slot, value in entry.sets.items()}
        for situation in (Situation(**sets), Situation()):
            advice = advise_situation(kb, situation, [entry.id])
            texts = [TOPICS[t](kb, Context(language=language)).text for t in advice.topics]
            yield f"situation {entry.id}", situation_answer(kb, advice, texts, language)


def test_reading_answers_contain_no_number_the_knowledge_or_site_file_does_not(worded, language):
    checked = 0
    for name, answer in reading_answers(worded, language):
        for text in [answer.text] + [b.title for b in answer.buttons]:
            numbers, words = numbers_in(text)
            assert set(numbers) <= KNOWN_WITH_SITE, f"{name}: invented {set(numbers) - KNOWN_WITH_SITE} in {text!r}"
            assert set(words) <= KNOWN_NUMBER_WORDS, f"{name}: invented {set(words) - KNOWN_NUMBER_WORDS}"
        assert 2 <= len(answer.buttons) <= 4, name
        checked += 1
    assert checked > 1000


# How each language's gap and role answers begin, and how they say whom to ask.
GAP_WORDS = {
    "en": ("my sources don't cover", "To find out, ask", "My sources don't describe"),
    "es": ("mis fuentes no cubren", "Para averiguarlo, consulta con", "Mis fuentes no hablan de"),
}


def test_a_gap_answer_says_so_in_its_first_sentence_and_names_whom_to_ask(worded, language):
    not_covered, ask, no_role = GAP_WORDS[language]
    for name, answer in reading_answers(worded, language):
        if name.startswith("gap"):
            first = answer.text.split(". ")[0]
            assert not_covered in first, f"{name}: {first!r}"
            assert ask in answer.text, name
        elif name.startswith("role"):
            assert answer.text.startswith(no_role), name


def test_answers_with_figures_say_where_they_come_from_and_how_current_they_are(kb):
    """Pay and growth figures carry their source's date (or say it has none) and a link where the source has one."""
    figures = {f.hourly: f.source for f in kb.topics.pay.figures} | {kb.topics.outlook.growth: kb.topics.outlook.source}
    checked = 0
    for topic, _ctx, answer in all_answers(kb):
        for figure, source_id in figures.items():
            if figure not in answer.text:
                continue
            source = kb.source(source_id)
            assert (f"as of {source.accessed}" if source.accessed else "undated") in answer.text, (topic, figure)
            if source.url:
                assert f"Source: {source.url}" in answer.text or source.url in answer.text.split("Source: ")[-1]
            checked += 1
    assert checked >= 5
