"""The advisor in Spanish: answers understood as Spanish speakers type them, and every advisor
message (questions, recommendation, personal note, feedback, hand-off) worded in Spanish with
the English facts and numbers.

The English behaviour is tests/test_advisor.py's; here the same actions run for a conversation
whose messages were detected as Spanish (actions/language.py).
"""

from __future__ import annotations

import ast
import itertools
import re
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import advisor_wording
from actions.advisor_rules import SKIPPED, Situation, advise_situation, parse_answer, personal_fit, recommend
from actions.constants import ENGLISH, LANGUAGE_KEY, SPANISH
from actions.conversation import KNOWLEDGE, SITE, WORDED
from actions.knowledge import Option, Question
from actions.language import fold
from actions.translations import numbers
from actions.wording import LOCALE_DIR, PHRASES, org_ref, say
from cma_stack import ROOT
from tests.helpers import ACTIONS, run_action, run_coroutine

SPANISH_KNOWLEDGE = SPANISH in WORDED
needs_spanish_knowledge = pytest.mark.skipif(
    not SPANISH_KNOWLEDGE, reason="knowledge/cma.es.yml (the Spanish wording of the knowledge) is not there yet"
)

# English words that do not occur in Spanish sentences; names, addresses and acronyms are removed first.
ENGLISH_WORDS = re.compile(
    r"\b(the|you|your|you're|with|from|and|is|are|it|its|it's|for|what|that|this|can|will|have|of|to|in|on|"
    r"at|or|by|if|yet|here|here's|there|which|who|not|don't|isn't|be|been|an|my|we|our|they|their|"
    r"years?|months?|program|programs|experience|training|work|check|goal|now|sorry|thanks|yes|please)\b",
    re.IGNORECASE,
)
URL = re.compile(r"https?://\S+|\S+@\S+")


def proper_names() -> List[str]:
    """English names that stay English in Spanish answers: bodies, credentials, other meanings, the school."""
    names = [o.name for o in KNOWLEDGE.organizations] + [c.name for c in KNOWLEDGE.credentials]
    names += [m.meaning for m in KNOWLEDGE.other_meanings]
    names += [SITE.school, SITE.advising.contact, SITE.advising.office, SITE.advising.hours]
    return sorted(names, key=len, reverse=True)


def english_left(text: str) -> List[str]:
    """English words in a Spanish text once proper names and addresses are taken out."""
    text = URL.sub(" ", text)
    for name in proper_names():
        text = text.replace(name, " ")
    return ENGLISH_WORDS.findall(text)


def spanish_tracker(
    text: str,
    intent: str,
    requested: Optional[str] = None,
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[dict]] = None,
    language: str = SPANISH,
) -> Tracker:
    """A conversation whose latest message was detected as Spanish (the parse data's `language`)."""
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        LANGUAGE_KEY: language,
    }
    return Tracker(
        sender_id="advisor-es-test",
        slots={"requested_slot": requested, **(slots or {})},
        latest_message=parse_data,
        events=[{"event": "user", "text": text, "parse_data": parse_data, "metadata": {}}],
        paused=False,
        followup_action=None,
        active_loop={"name": "advisor_form"} if requested else {},
        latest_action_name="action_listen",
    )


def extract(text: str, requested: str, intent: str = "inform", slots: Optional[Dict[str, Any]] = None):
    validator = ACTIONS["validate_advisor_form"]
    dispatcher = CollectingDispatcher()
    method = getattr(validator, f"extract_{requested}")
    return run_coroutine(method(dispatcher, spanish_tracker(text, intent, requested, slots), {})), dispatcher.messages


# --- years of experience, in Spanish ----------------------------------------------------


@pytest.mark.parametrize(
    "text, years",
    [
        ("ninguno", 0),
        ("ninguna", 0),
        ("Ninguna todavía", 0),
        ("nada", 0),
        ("cero", 0),
        ("cero años", 0),
        ("no tengo experiencia", 0),
        ("dos años", 2),
        ("2 años", 2),
        ("Un año", 1),
        ("uno", 1),
        ("como un año", 1),
        ("un año y medio", 1.5),
        ("año y medio", 1.5),
        ("Año y medio", 1.5),
        ("dos años y medio", 2.5),
        ("5 años y medio", 5.5),
        ("uno y medio", 1.5),
        ("medio año", 0.5),
        ("seis meses", 0.5),
        ("6 meses", 0.5),
        ("unos 6 meses", 0.5),
        ("como seis meses", 0.5),
        ("18 meses", 1.5),
        ("dieciocho meses", 1.5),
        ("más de 5 años", 5),
        ("mas de cinco años", 5),
        ("cinco o más", 5),
        ("Cinco o más", 5),
        ("5 o mas", 5),
        ("cinco años o más", 5),
        ("3 años y 6 meses", 3.5),
        ("dos años y 3 meses", 2.25),
        ("de 5 a 7 años", 5),
        ("un par de años", 2),
        ("unos dos años", 2),
        ("casi 8 años", 8),
        ("once años", 11),
        ("doce años", 12),
        ("quince años", 15),
        ("veinte años", 20),
        ("diez", 10),
        ("tres anos", 3),  # typed without ñ
        ("un ano", 1),
        ("1 mes", 0.08),
        ("llevo 4 años trabajando como asistente médico", 4),
    ],
)
def test_spanish_years_are_understood(kb, text, years):
    assert parse_answer(text, kb.advisor.question("experience")) == f"{years:g}"


@pytest.mark.parametrize(
    "text", ["unos años", "algunos años", "varios años", "desde 2019", "ay", "¿qué?", "muchos", ""]
)
def test_unclear_spanish_years_are_not_guessed(kb, text):
    assert parse_answer(text, kb.advisor.question("experience")) is None


@pytest.mark.parametrize("text, years", [("once", None), ("I once worked 2 years", "2"), ("not any", "0")])
def test_spanish_number_words_do_not_change_english(kb, text, years):
    """ "once" is eleven only beside "años"; "any" is not "an" + "y" (years)."""
    assert parse_answer(text, kb.advisor.question("experience")) == years


# --- choices, in Spanish ------------------------------------------------------------------


def test_accents_are_folded_on_both_sides():
    assert fold("Sí, CLÍNICO, Administración, ¿Qué?") == "si, clinico, administracion, ¿que?"
    assert fold("año") == "año"  # ñ is a letter, not an accent
    question = Question(
        slot="focus",
        kind="choice",
        ask="?",
        why=".",
        hint=".",
        options=[
            Option(value="clinical", title="Clínico", phrases=["clínico"]),
            Option(value="both", title="Ambos", phrases=["los dos", "sí"]),
        ],
    )
    assert parse_answer("clinico", question) == "clinical"
    assert parse_answer("CLÍNICO", question) == "clinical"
    assert parse_answer("si", question) == "both"


@needs_spanish_knowledge
@pytest.mark.parametrize(
    "slot, text, value",
    [
        ("program", "sí, acreditado", "accredited"),
        ("program", "si, esta acreditado", "accredited"),
        ("program", "no esta acreditado", "unaccredited"),
        ("program", "sí, pero no está acreditado", "unaccredited"),
        ("program", "estoy en uno", "in_progress"),
        ("program", "no sé", "not_sure"),
        ("program", "no se", "not_sure"),
        ("program", "ninguno", "none"),
        ("military", "sí", "yes"),
        ("military", "si", "yes"),
        ("military", "no", "no"),
        ("focus", "clínico", "clinical"),
        ("focus", "clinico", "clinical"),
        ("focus", "administrativo", "administrative"),
        ("focus", "ambos", "both"),
        ("focus", "los dos", "both"),
    ],
)
def test_spanish_choices_are_understood(slot, text, value):
    slots, _ = extract(text, f"advisor_{slot}")
    assert slots[f"advisor_{slot}"] == value


@needs_spanish_knowledge
@pytest.mark.parametrize("slot", ["program", "experience", "military", "focus"])
def test_every_spanish_button_answers_its_question(slot):
    """A tapped button sends its title: each Spanish title is understood, as its option (or a number)."""
    spanish = WORDED[SPANISH].advisor.question(slot)
    english = KNOWLEDGE.advisor.question(slot)
    if spanish.options:
        for es, en in zip(spanish.options, english.options, strict=True):
            slots, _ = extract(es.title, f"advisor_{slot}", intent="affirm")
            assert slots[f"advisor_{slot}"] == en.value, es.title
    else:
        for es, en in zip(spanish.buttons, english.buttons, strict=True):
            slots, _ = extract(es, f"advisor_{slot}", intent="inform")
            english_years = parse_answer(en, english)
            assert slots[f"advisor_{slot}"] == english_years, es


# --- the advisor's words in Spanish --------------------------------------------------------


def advisor_keys() -> List[str]:
    """Every English sentence actions/advisor_wording.py says (say's literal keys, literal button titles)."""
    tree = ast.parse((ROOT / "actions" / "advisor_wording.py").read_text(encoding="utf-8"))
    keys = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        position = {"say": 1, "Button": 0}.get(name)
        if position is not None and len(node.args) > position:
            key = node.args[position]
            if name == "say":
                assert isinstance(key, ast.Constant), f"line {node.lineno}: say() needs a literal English key"
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                keys.append(key.value)
    return keys


def test_every_advisor_sentence_has_its_spanish():
    keys = advisor_keys()
    assert len(keys) > 30
    assert [k for k in keys if k not in PHRASES.catalogs.get(SPANISH, {})] == []


def test_the_advisor_phrasebook_has_no_stale_entries():
    """locale/es/advisor.yml holds only what advisor_wording says (others' sentences have their own file)."""
    entries = yaml.safe_load((LOCALE_DIR / SPANISH / "advisor.yml").read_text(encoding="utf-8"))
    assert sorted(set(entries) - set(advisor_keys())) == []


def test_spanish_advisor_sentences_keep_names_and_numbers():
    catalog = PHRASES.catalogs[SPANISH]
    for english in advisor_keys():
        spanish = catalog[english]
        assert numbers(spanish) == numbers(english), english
        assert english_left(spanish.format(**{k: "" for k in re.findall(r"{(\w+)}", spanish)})) == [], spanish


def situations():
    programs = [None, SKIPPED] + [o.value for o in KNOWLEDGE.advisor.question("program").options]
    for program, years, military, focus in itertools.product(
        programs, [None, "0", "1", "2.5", "5", "8"], [None, "yes", "no"], [None, "clinical", "administrative", "both"]
    ):
        yield Situation(program, years, military, focus)


def recommendation_in(language: str, situation: Situation):
    kb = WORDED[language]
    advice = recommend(kb, situation, lambda org: org_ref(org, language))
    return advisor_wording.recommendation(kb, advice, language), advice.credentials


@needs_spanish_knowledge
def test_the_spanish_recommendation_is_spanish_with_the_english_facts():
    for situation in situations():
        (fits_es, steps_es), ids_es = recommendation_in(SPANISH, situation)
        (fits_en, steps_en), ids_en = recommendation_in(ENGLISH, situation)
        assert ids_es == ids_en
        for es, en in ((fits_es, fits_en), (steps_es, steps_en)):
            assert english_left(es.text) == [], (situation, es.text)
            assert ".." not in es.text, es.text  # a reason ending in "EE. UU." gets no second full stop
            assert numbers(es.text) == numbers(en.text), (situation, es.text, en.text)
            assert [b.payload for b in es.buttons] == [b.payload for b in en.buttons]
        assert fits_es.text != fits_en.text and steps_es.text != steps_en.text


@needs_spanish_knowledge
def test_the_recommend_action_answers_in_the_conversations_language():
    slots = {
        "advisor_program": "none",
        "advisor_experience": "7",
        "advisor_military": "no",
        "advisor_focus": "clinical",
    }
    messages, events = run_action("action_recommend", spanish_tracker("clínico", "inform", None, slots))
    assert events == {"recommendation": ["RMA", "NCMA", "CCMA"]}
    assert "**RMA**" in messages[0]["text"] and messages[1]["text"].startswith(say(SPANISH, "Your next steps:"))
    for message in messages:
        assert english_left(message["text"]) == [], message["text"]
    titles = [b["title"] for b in messages[1]["buttons"]]
    assert say(SPANISH, "Redo the questions") in titles
    assert all(PHRASES.title(SPANISH, t) == t for t in titles)  # already in Spanish
    english, _ = run_action("action_recommend", spanish_tracker("clinical", "inform", None, slots, language=ENGLISH))
    assert english[1]["text"].startswith("Your next steps:")


@needs_spanish_knowledge
@pytest.mark.parametrize("slot", ["program", "experience", "military", "focus"])
@pytest.mark.parametrize("retries", [0, 1])
def test_the_advisor_asks_in_spanish(slot, retries):
    requested = f"advisor_{slot}"
    slots = {"advisor_retries": {requested: retries}} if retries else {}
    messages, _ = run_action(f"action_ask_{requested}", spanish_tracker("", "inform", requested, slots))
    (english,), _ = run_action(
        f"action_ask_{requested}", spanish_tracker("", "inform", requested, slots, language=ENGLISH)
    )
    text = messages[0]["text"]
    assert WORDED[SPANISH].advisor.question(slot).ask in text
    assert english_left(text) == [], text
    assert numbers(text) == numbers(english["text"])
    assert len(messages[0]["buttons"]) == len(english["buttons"])
    for button in messages[0]["buttons"]:
        assert english_left(button["title"]) == [], button


@needs_spanish_knowledge
@pytest.mark.parametrize("slot", ["program", "experience", "military", "focus"])
def test_why_is_answered_in_spanish(slot):
    messages, _ = run_action("action_explain_question", spanish_tracker("¿por qué?", "ask_why", f"advisor_{slot}"))
    assert messages[0]["text"].startswith(WORDED[SPANISH].advisor.question(slot).why)
    assert english_left(messages[0]["text"]) == []


def test_the_questionnaire_frame_is_spanish():
    messages, _ = run_action(
        "action_start_advisor", spanish_tracker("quiero saber qué certificación me conviene", "start_advisor")
    )
    assert messages[0]["text"] == say(SPANISH, advisor_wording.advisor_intro()) != advisor_wording.advisor_intro()
    assert english_left(messages[0]["text"]) == []
    validator = ACTIONS["validate_advisor_form"]
    slots = {"advisor_retries": {"advisor_experience": 2}}
    dispatcher = CollectingDispatcher()
    run_coroutine(
        validator.extract_advisor_experience(
            dispatcher, spanish_tracker("banana", "nlu_fallback", "advisor_experience", slots), {}
        )
    )
    assert dispatcher.messages[0]["text"] == say(SPANISH, "No problem, let's leave that one out.")


@needs_spanish_knowledge
def test_a_credential_asked_about_after_the_form_is_personal_in_spanish():
    slots = {"advisor_program": "none", "advisor_experience": "5", "advisor_military": "no", "advisor_focus": "both"}
    tracker = spanish_tracker(
        "háblame de la RMA", "ask_credential_details", None, slots, [{"entity": "credential", "value": "RMA"}]
    )
    messages, _ = run_action("action_answer_credential", tracker)
    note = advisor_wording.personal_note(
        personal_fit(WORDED[SPANISH], Situation("none", "5", "no", "both"), "RMA"), SPANISH
    )
    assert note and note in messages[0]["text"]
    assert note.startswith("**" + say(SPANISH, "With your {years} years of experience", years="5"))
    assert english_left(note) == [], note


@needs_spanish_knowledge
def test_one_year_is_singular():
    situation = Situation("none", "1", "no", "both")
    spanish = advisor_wording.personal_note(personal_fit(WORDED[SPANISH], situation, "NCMA"), SPANISH)
    english = advisor_wording.personal_note(personal_fit(KNOWLEDGE, situation, "NCMA"))
    assert spanish.startswith("**" + say(SPANISH, "With your {years} year of experience", years="1") + ":**")
    assert english.startswith("**With your 1 year of experience:**")


@needs_spanish_knowledge
def test_what_the_student_told_is_answered_in_spanish():
    kb = WORDED[SPANISH]
    told = [s.id for s in kb.situations]
    for situation_id in told:
        advice = advise_situation(kb, Situation(None, "6", "yes", None), [situation_id])
        answer = advisor_wording.situation_answer(kb, advice, [], SPANISH)
        assert english_left(answer.text) == [], answer.text


# --- feedback and people, in Spanish ---------------------------------------------------------


def test_the_feedback_prompt_and_thanks_are_spanish():
    prompt = advisor_wording.feedback_prompt("pay", SPANISH)
    assert prompt.text == say(SPANISH, "Was this helpful?") != "Was this helpful?"
    assert [b.title for b in prompt.buttons] == ["👍 Sí", "👎 No"]
    assert [b.payload for b in prompt.buttons] == [b.payload for b in advisor_wording.feedback_prompt("pay").buttons]
    tracker = spanish_tracker("me sirvió", "feedback_positive", None, {"topic": "pay"})
    messages, events = run_action("action_record_feedback", tracker)
    assert messages[0]["text"] == say(SPANISH, "Thanks, glad it helped! 😊")
    assert events == {"feedback": {"rating": "positive", "topic": "pay"}}
    messages, _ = run_action(
        "action_record_feedback", spanish_tracker("no me sirvió", "feedback_negative", None, {"topic": "pay"})
    )
    assert english_left(messages[0]["text"]) == [], messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/talk_to_human", "/start_advisor", "/ask_how_to_become"]
    messages, _ = run_action(
        "action_record_feedback", spanish_tracker("bien", "feedback_positive", None, {"topic": None})
    )
    assert english_left(messages[0]["text"]) == []


def test_the_feedback_question_after_an_answer_is_spanish():
    messages, _ = run_action("action_answer_pay", spanish_tracker("¿cuánto gana un CMA?", "ask_pay"))
    assert messages[-1]["text"] == say(SPANISH, "Was this helpful?")
    assert [b["title"] for b in messages[-1]["buttons"]] == ["👍 Sí", "👎 No"]


def test_the_advising_contact_is_spanish():
    messages, _ = run_action(
        "action_advisor_contact", spanish_tracker("quiero hablar con una persona", "talk_to_human")
    )
    text = messages[0]["text"]
    for value in (
        SITE.school,
        SITE.advising.email,
        SITE.advising.phone,
        SITE.advising.booking_url,
        SITE.office(SPANISH),
        SITE.hours(SPANISH),
    ):
        assert value in text
    for label in ("E-mail: {email}", "Phone: {phone}", "Hours: {hours}", "Book an appointment: {url}"):
        assert say(SPANISH, label, email="", phone="", hours="", url="") in text
    assert english_left(text) == [], text
    assert numbers(text) == numbers(advisor_wording.advising_contact(SITE).text)


def test_rephrase_and_other_meanings_are_spanish():
    for again in (False, True):
        answer = advisor_wording.rephrase(again, SPANISH)
        assert english_left(answer.text) == [] and answer.text != advisor_wording.rephrase(again).text
    kb = WORDED.get(SPANISH, KNOWLEDGE)
    for meaning in kb.other_meanings:
        answer = advisor_wording.other_meaning(kb, meaning, SPANISH)
        if SPANISH_KNOWLEDGE:
            assert english_left(answer.text) == [], answer.text
        assert meaning.meaning in answer.text


def test_english_conversations_stay_english():
    messages, _ = run_action(
        "action_start_advisor", spanish_tracker("find my credential", "start_advisor", language=ENGLISH)
    )
    assert messages[0]["text"] == advisor_wording.advisor_intro()
    messages, _ = run_action(
        "action_advisor_contact", spanish_tracker("a person please", "talk_to_human", language=ENGLISH)
    )
    assert messages[0]["text"] == advisor_wording.advising_contact(SITE).text
