"""The advisor: understanding answers, the recommendation rules, and the form's actions.

The recommendation is checked over a table of life situations against what
the article says; every reason and step it gives must be traceable to the
knowledge file, and every number in it to the knowledge file or the student.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import advisor_wording
from actions.advisor_rules import (
    SKIPPED,
    Situation,
    advise_situation,
    assess,
    parse_answer,
    personal_fit,
    recommend,
    recommended,
)
from actions.knowledge import DEFAULT_KNOWLEDGE_FILE, DEFAULT_SITE_FILE, KnowledgeError, load_knowledge, load_site
from cma_stack import ROOT
from tests.helpers import ACTIONS, KNOWN_NUMBER_WORDS, KNOWN_NUMBERS, numbers_in, run_action, run_coroutine

KNOWLEDGE_TEXT = " ".join(DEFAULT_KNOWLEDGE_FILE.read_text(encoding="utf-8").split())


def recommendation(kb, situation):
    """The rules decide (advisor_rules.recommend), the wording words it: both, as the action uses them."""
    advice = recommend(kb, situation)
    fits, checklist = advisor_wording.recommendation(kb, advice)
    return fits, checklist, advice.credentials


def personal_note(kb, situation, credential):
    return advisor_wording.personal_note(personal_fit(kb, situation, credential))


# --- understanding answers ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, years",
    [
        ("none", 0),
        ("None yet", 0),
        ("no experience", 0),
        ("zero", 0),
        ("0", 0),
        ("2 years", 2),
        ("two years", 2),
        ("about six months", 0.5),
        ("6 months", 0.5),
        ("a year and a half", 1.5),
        ("eighteen months", 1.5),
        ("3 years and 6 months", 3.5),
        ("5+", 5),
        ("Five or more", 5),
        ("over 5 years", 5),
        ("10 yrs", 10),
        ("about a year", 1),
        ("5-7 years", 5),
        ("I've been an MA for 7 years now", 7),
        ("a couple of years", 2),
        ("4.5", 4.5),
    ],
)
def test_years_of_experience_are_understood(kb, text, years):
    assert parse_answer(text, kb.advisor.question("experience")) == f"{years:g}"


@pytest.mark.parametrize("text", ["dunno", "a few years", "since 2019", "what?", "lots", ""])
def test_unclear_years_are_not_guessed(kb, text):
    assert parse_answer(text, kb.advisor.question("experience")) is None


@pytest.mark.parametrize(
    "slot, text, value",
    [
        ("program", "yes", "accredited"),
        ("program", "Yes, an accredited one", "accredited"),
        ("program", "it's CAAHEP accredited", "accredited"),
        ("program", "yes but it's not accredited", "unaccredited"),
        ("program", "I'm in one now", "in_progress"),
        ("program", "currently enrolled", "in_progress"),
        ("program", "not sure", "not_sure"),
        ("program", "No", "none"),
        ("program", "nope, not yet", "none"),
        ("military", "yes", "yes"),
        ("military", "I was an army medic", "yes"),
        ("military", "nope", "no"),
        ("focus", "clinical", "clinical"),
        ("focus", "I like working with patients", "clinical"),
        ("focus", "admin stuff", "administrative"),
        ("focus", "a bit of both", "both"),
    ],
)
def test_choices_are_understood(kb, slot, text, value):
    assert parse_answer(text, kb.advisor.question(slot)) == value


def test_yes_and_no_in_the_knowledge_file_stay_words(kb):
    """YAML 1.1 would read `yes`/`no` as booleans; the loader must not."""
    phrases = [p for o in kb.advisor.question("military").options for p in o.phrases]
    assert "yes" in phrases and "no" in phrases


# --- the recommendation -------------------------------------------------------------

# (who, situation, credentials recommended in order, standing of the first, phrases the checklist must have)
SITUATIONS = [
    (
        "new student",
        Situation("none", "0", "no", "both"),
        ["CMA"],
        "plan",
        [
            "accredited by CAAHEP",
            "https://www.caahep.org",
            "https://www.abhes.org",
            "Apply for the CMA",
            "exam",
            "renewal",
        ],
    ),
    (
        "graduate of an accredited program",
        Situation("accredited", "0", "no", "administrative"),
        ["CMA", "RMA"],
        "ready",
        ["Apply for the CMA", "https://www.aama-ntl.org", "exam", "renewal"],
    ),
    (
        "experienced MA, five years",
        Situation("none", "5", "no", "clinical"),
        ["RMA", "NCMA", "CCMA"],
        "ready",
        ["Apply for the RMA", "https://americanmedtech.org"],
    ),
    (
        "military-trained, clinical",
        Situation("none", "0", "yes", "clinical"),
        ["NCMA", "CCMA", "RMA"],
        "ready",
        ["Apply for the NCMA", "https://www.ncctinc.com"],
    ),
    (
        "military-trained, administrative",
        Situation("none", "0", "yes", "administrative"),
        ["RMA", "NCMA", "CCMA"],
        "ready",
        ["Apply for the RMA"],
    ),
    (
        "in-progress student",
        Situation("in_progress", "0.5", "no", "both"),
        ["CMA", "RMA", "NCMA", "CCMA"],
        "after_program",
        ["Finish your program", "Apply for the CMA"],
    ),
    (
        "unsure of accreditation, two years",
        Situation("not_sure", "2", "no", "clinical"),
        ["NCMA", "CCMA", "CMA"],
        "check",
        ["Check whether your program is accredited", "Apply for the NCMA"],
    ),
    (
        "two years, no program",
        Situation("none", "2", "no", "both"),
        ["NCMA", "CCMA"],
        "check",
        ["Keep working as a medical assistant", "five years"],
    ),
    (
        "unaccredited graduate",
        Situation("unaccredited", "0", "no", "both"),
        ["RMA"],
        "check",
        ["Apply for the RMA", "AMT"],
    ),
]


@pytest.mark.parametrize("who, situation, expected, standing, steps", SITUATIONS, ids=[s[0] for s in SITUATIONS])
def test_recommendation_for_each_kind_of_person(kb, who, situation, expected, standing, steps):
    fits = recommended(assess(kb.advisor, situation, kb.credential_ids))
    assert [f.credential for f in fits] == expected
    assert fits[0].standing == standing
    text, checklist, ids = recommendation(kb, situation)
    assert ids == expected
    for cred in expected:
        assert f"**{cred}**" in text.text
    assert checklist.text.startswith("Your next steps:\n1. ")
    for phrase in steps:
        assert phrase in checklist.text or phrase in text.text, f"{who}: {phrase!r} missing"


def test_the_article_gap_on_years_is_admitted(kb):
    text, _, _ = recommendation(kb, Situation("none", "2", "no", "clinical"))
    assert "doesn't say how many" in text.text and "NCCT" in text.text and "NHA" in text.text


def test_nothing_matched_falls_back_to_the_articles_general_steps(kb):
    text, checklist, ids = recommendation(kb, Situation(SKIPPED, "0", "no", "both"))
    assert ids == []
    assert "can't match a credential" in text.text and "skipped" in text.text
    assert kb.topics.how_to_become.steps[0] in checklist.text


def _all_situations(kb):
    options = {q.slot: [o.value for o in q.options] for q in kb.advisor.questions}
    for program, years, military, focus in itertools.product(
        options["program"] + [SKIPPED],
        ["0", "0.5", "2", "5", "12", SKIPPED],
        options["military"] + [SKIPPED],
        options["focus"] + [SKIPPED],
    ):
        yield Situation(program, years, military, focus)


def test_every_situation_gets_grounded_advice(kb):
    """All answer combinations: reasons verbatim from the knowledge file, numbers only from it."""
    reasons = {r.reason for r in kb.advisor.rules} | {f.note for f in kb.advisor.focus}
    checked = 0
    for situation in _all_situations(kb):
        for fit in assess(kb.advisor, situation, kb.credential_ids):
            assert set(fit.reasons) <= reasons
        text, checklist, ids = recommendation(kb, situation)
        for part in (text.text, checklist.text, *[b.title for b in checklist.buttons]):
            numbers, words = numbers_in(part)
            assert set(numbers) <= KNOWN_NUMBERS, f"{situation}: {set(numbers) - KNOWN_NUMBERS}"
            assert set(words) <= KNOWN_NUMBER_WORDS, f"{situation}: {set(words) - KNOWN_NUMBER_WORDS}"
        assert len(text.text.split()) <= 130 and len(checklist.text.split()) <= 100, situation
        assert 2 <= len(checklist.buttons) <= 4
        checked += 1
    assert checked == 6 * 6 * 3 * 4


def test_later_answers_are_personal(kb):
    note = personal_note(kb, Situation("none", "5", "no", "clinical"), "RMA")
    assert note.startswith("**With your 5 years of experience:** the RMA fits you now") and "five years" in note
    assert "US military" in personal_note(kb, Situation("none", "0", "yes", "both"), "CCMA")
    assert personal_note(kb, Situation(), "RMA") is None
    assert personal_note(kb, Situation("none", "0", "no", "both"), "RMA") is None


# --- the knowledge and site files refuse mistakes --------------------------------------


def _broken(tmp_path, name, source, change) -> Any:
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda k: k["advisor"]["rules"][0].update(credential="CPA"), "advisor.rules[0] (CPA): field 'credential'"),
        (
            lambda k: k["advisor"]["rules"][1]["when"].update(program=["graduated"]),
            "field 'when.program': unknown answer 'graduated'",
        ),
        (lambda k: k["advisor"]["rules"][2].update(standing="maybe"), "advisor.rules[2]: field 'standing'"),
        (
            lambda k: k["advisor"]["steps"][0].update(text="See {NOPE}"),
            "advisor.steps[0]: field 'text': unknown placeholder '{NOPE}'",
        ),
        (lambda k: k["advisor"]["questions"].pop(), "'focus' must be asked exactly once"),
        (lambda k: k["advisor"]["focus"][0].update(credentials=["XYZ"]), "advisor.focus[0]: field 'credentials'"),
    ],
)
def test_a_broken_advisor_section_is_named(tmp_path, change, where):
    path = _broken(tmp_path, "cma.yml", DEFAULT_KNOWLEDGE_FILE, change)
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(path)
    assert str(path) in str(error.value) and where in str(error.value)


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda s: s["advising"].update(email="advising at school"), "advising: field 'email'"),
        (lambda s: s["advising"].update(booking_url="http://insecure.example.edu"), "advising: field 'booking_url'"),
        (lambda s: s["advising"].pop("phone"), "advising: field 'phone'"),
        (lambda s: s.update(extra="x"), "top level: field 'extra'"),
    ],
)
def test_a_broken_site_file_is_named(tmp_path, change, where):
    path = _broken(tmp_path, "site.yml", DEFAULT_SITE_FILE, change)
    with pytest.raises(KnowledgeError) as error:
        load_site(path)
    assert str(path) in str(error.value) and where in str(error.value)


def test_the_shipped_school_is_clearly_fictional():
    site = load_site()
    assert site.advising.email.endswith(".example") and "riverbend.example/" in site.advising.booking_url
    assert "555" in site.advising.phone and "FICTIONAL" in DEFAULT_SITE_FILE.read_text()


def test_the_shipped_school_matches_the_demo_site():
    """The demo page's advising card and the bot's hand-off must not disagree."""
    site = load_site()
    page = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    assert site.school in page and site.advising.phone in page and site.advising.email in page


# --- the form's actions through rasa-sdk ------------------------------------------------


def form_tracker(
    text: str,
    intent: str,
    requested: Optional[str],
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[dict]] = None,
    confidence: float = 0.9,
) -> Tracker:
    return Tracker(
        sender_id="advisor-test",
        slots={"requested_slot": requested, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "advisor_form"} if requested else {},
        latest_action_name="action_listen",
    )


def extract(text: str, intent: str, requested: str, slots: Optional[Dict[str, Any]] = None, confidence: float = 0.9):
    validator = ACTIONS["validate_advisor_form"]
    tracker = form_tracker(text, intent, requested, slots, confidence=confidence)
    dispatcher = CollectingDispatcher()
    method = getattr(validator, f"extract_{requested}")
    return run_coroutine(method(dispatcher, tracker, {})), dispatcher.messages


@pytest.mark.parametrize(
    "text, intent, requested, value",
    [
        ("about six months", "nlu_fallback", "advisor_experience", "0.5"),
        ("2 years", "inform", "advisor_experience", "2"),
        ("None yet", "deny", "advisor_experience", "0"),
        ("No", "deny", "advisor_military", "no"),
        ("Not sure if it's accredited", "ask_programs", "advisor_program", "not_sure"),
        ("clinical", "ask_duties", "advisor_focus", "clinical"),
        ("never", "stop", "advisor_military", "no"),  # a whole answer wins over the intent
    ],
)
def test_the_form_takes_answers(text, intent, requested, value):
    slots, _ = extract(text, intent, requested)
    assert slots[requested] == value


@pytest.mark.parametrize(
    "text, intent",
    [
        ("how much do they earn?", "ask_pay"),
        ("why do you ask?", "ask_why"),
        ("never mind", "stop"),
        ("can I talk to a person", "talk_to_human"),
        ("what does accredited mean?", "ask_programs"),
    ],
)
def test_the_form_steps_aside_for_digressions(text, intent):
    slots, _ = extract(text, intent, "advisor_program")
    assert slots == {}  # Rasa then rejects the form for this turn and the digression rules answer


def test_a_hesitant_stop_does_not_swallow_an_answer():
    slots, _ = extract("no, I never did a program", "stop", "advisor_program", confidence=0.41)
    assert slots["advisor_program"] == "none"
    slots, _ = extract("never mind", "stop", "advisor_program", confidence=0.97)
    assert slots == {}


def test_only_the_requested_question_is_filled():
    slots, _ = extract("5 years", "inform", "advisor_experience")
    assert slots["advisor_experience"] == "5"
    other, _ = extract("5 years", "inform", "advisor_program")
    assert "advisor_experience" not in other


def test_unclear_answers_are_asked_again_twice_then_skipped():
    slots, _ = extract("banana", "nlu_fallback", "advisor_experience")
    assert slots == {"advisor_retries": {"advisor_experience": 1}}
    slots, _ = extract("banana", "nlu_fallback", "advisor_experience", {"advisor_retries": slots["advisor_retries"]})
    assert slots == {"advisor_retries": {"advisor_experience": 2}}
    slots, messages = extract(
        "banana", "nlu_fallback", "advisor_experience", {"advisor_retries": slots["advisor_retries"]}
    )
    assert slots == {"advisor_experience": SKIPPED, "advisor_retries": None}
    assert "leave that one out" in messages[0]["text"]


def test_a_repeated_question_says_what_kind_of_answer_works():
    messages, _ = run_action("action_ask_advisor_experience", form_tracker("", "inform", "advisor_experience"))
    assert messages[0]["text"].startswith("How many years") and len(messages[0]["buttons"]) == 3
    messages, _ = run_action(
        "action_ask_advisor_experience",
        form_tracker("", "inform", "advisor_experience", {"advisor_retries": {"advisor_experience": 1}}),
    )
    assert messages[0]["text"].startswith("Sorry, I didn't catch that. A number is enough")


def test_why_explains_the_question_on_the_table(kb):
    messages, _ = run_action("action_explain_question", form_tracker("why?", "ask_why", "advisor_military"))
    assert kb.advisor.question("military").why in messages[0]["text"]


@pytest.mark.parametrize(
    "text, explained",
    [
        ("why?", True),
        ("why do you need to know that", True),
        ("¿por qué me lo preguntas?", True),
        # a question of its own the classifier took for "why?": asked again, not explained away
        ("¿Por qué es importante el inglés para trabajar en Estados Unidos?", False),
        ("why is the sky blue today", False),
    ],
)
def test_why_outside_the_questions_explains_only_the_bots_own_asking(text, explained):
    dispatcher = CollectingDispatcher()
    tracker = form_tracker(text, "ask_why", None)
    events = run_coroutine(ACTIONS["action_explain_question"].run(dispatcher, tracker, {}))
    if explained:
        assert dispatcher.messages and events == []
    else:
        assert not dispatcher.messages
        assert events == [{"event": "followup", "name": "action_rephrase", "timestamp": None}]


def test_recommend_keeps_the_result_for_later_answers_and_reports():
    slots = {
        "advisor_program": "none",
        "advisor_experience": "7",
        "advisor_military": "no",
        "advisor_focus": "clinical",
    }
    messages, events = run_action("action_recommend", form_tracker("clinical", "inform", None, slots))
    assert events == {"recommendation": ["RMA", "NCMA", "CCMA"]}
    assert "**RMA**" in messages[0]["text"] and messages[1]["text"].startswith("Your next steps:")
    assert {b["payload"] for b in messages[1]["buttons"]} >= {"/talk_to_human", "/start_advisor"}


def test_start_clears_earlier_answers():
    messages, events = run_action("action_start_advisor", form_tracker("start over", "start_advisor", None))
    assert events["advisor_program"] is None and events["recommendation"] is None
    assert "stop" in messages[0]["text"]


def test_a_credential_asked_about_after_the_form_is_personal():
    slots = {"advisor_program": "none", "advisor_experience": "5", "advisor_military": "no", "advisor_focus": "both"}
    tracker = form_tracker(
        "tell me about the RMA", "ask_credential_details", None, slots, [{"entity": "credential", "value": "RMA"}]
    )
    messages, _ = run_action("action_answer_credential", tracker)
    assert "With your 5 years of experience" in messages[0]["text"]


# --- people, feedback, other meanings ----------------------------------------------------


def test_talk_to_a_person_gives_the_schools_contact():
    site = load_site()
    messages, _ = run_action("action_advisor_contact", form_tracker("human please", "talk_to_human", None))
    text = messages[0]["text"]
    for value in (
        site.school,
        site.advising.email,
        site.advising.phone,
        site.advising.hours,
        site.advising.booking_url,
    ):
        assert value in text


def test_feedback_is_asked_once_per_topic_and_recorded():
    messages, events = run_action("action_answer_pay", form_tracker("what do they earn", "ask_pay", None))
    assert messages[-1]["text"] == "Was this helpful?"
    assert [b["payload"] for b in messages[-1]["buttons"]] == [
        '/feedback_positive{"feedback_topic":"pay"}',
        '/feedback_negative{"feedback_topic":"pay"}',
    ]
    assert events["feedback_asked"] == ["pay"]
    again, events = run_action(
        "action_answer_pay", form_tracker("and per hour", "ask_pay", None, {"feedback_asked": ["pay"]})
    )
    assert all(m.get("text") != "Was this helpful?" for m in again) and "feedback_asked" not in events

    tracker = form_tracker(
        '/feedback_negative{"feedback_topic":"pay"}',
        "feedback_negative",
        None,
        {"topic": "duties"},
        [{"entity": "feedback_topic", "value": "pay"}],
    )
    messages, events = run_action("action_record_feedback", tracker)
    assert events == {"feedback": {"rating": "negative", "topic": "pay"}}
    assert "/talk_to_human" in [b["payload"] for b in messages[0]["buttons"]]
    messages, events = run_action(
        "action_record_feedback", form_tracker("that helped", "feedback_positive", None, {"topic": "duties"})
    )
    assert events == {"feedback": {"rating": "positive", "topic": "duties"}}


def test_no_feedback_question_in_the_middle_of_the_form():
    messages, events = run_action("action_answer_pay", form_tracker("what do they earn?", "ask_pay", "advisor_focus"))
    assert all(m.get("text") != "Was this helpful?" for m in messages)


@pytest.mark.parametrize(
    "text, meaning",
    [
        ("how hard is the CMA accounting exam", "Certified Management Accountant"),
        ("CMA vs CPA for a finance career", "Certified Management Accountant"),
        ("NCMA contract management certification", "National Contract Management Association"),
    ],
)
def test_other_meanings_of_the_acronyms(text, meaning):
    messages, _ = run_action("action_answer_other_meaning", form_tracker(text, "ask_other_meaning", None))
    assert meaning in messages[0]["text"] and "only cover careers in medical assisting" in messages[0]["text"]


def test_every_digression_has_a_rule_that_resumes_the_form():
    """The form steps aside for every intent but the answer ones; each needs a rule, or the student is stuck."""
    from actions.constants import ANSWER_INTENTS

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    rules = yaml.safe_load((ROOT / "data" / "rules" / "advisor.yml").read_text())["rules"]
    handled = {r["steps"][0]["intent"] for r in rules if r.get("condition") and "intent" in r["steps"][0]}
    assert set(domain["intents"]) - set(ANSWER_INTENTS) == handled


def test_the_validation_action_returns_answers_and_retry_counts():
    """The whole rasa-sdk run, not just extraction: the retry count must reach Rasa, or the form is rejected."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    validator = ACTIONS["validate_advisor_form"]

    def validate(text: str, intent: str, slots: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        events = run_coroutine(
            validator.run(CollectingDispatcher(), form_tracker(text, intent, "advisor_experience", slots), domain)
        )
        return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}

    assert validate("banana", "nlu_fallback") == {"advisor_retries": {"advisor_experience": 1}}
    assert validate("two years", "inform") == {"advisor_experience": "2", "advisor_retries": None}
    assert validate("how much do they earn?", "ask_pay") == {}


def test_a_second_misunderstanding_in_a_row_offers_a_person():
    def tracker(actions: List[str]) -> Tracker:
        events = [{"event": "action", "name": name} for name in actions]
        return Tracker("t", {}, {"intent": {"name": "nlu_fallback"}}, events, False, None, {}, "action_listen")

    first, _ = run_action("action_rephrase", tracker(["action_listen", "action_answer_pay", "action_listen"]))
    assert first[0]["text"].startswith("Sorry, I didn't quite get that")
    second, _ = run_action("action_rephrase", tracker(["action_listen", "action_rephrase", "action_listen"]))
    assert "talk to a person" in second[0]["text"]
    assert "/talk_to_human" in [b["payload"] for b in second[0]["buttons"]]


def test_a_student_who_already_holds_a_credential_gets_what_keeps_it_and_what_they_qualify_for_now(kb):
    # "I passed the NHA's exam; my practicum starts next week": in a program, and already certified
    advice = advise_situation(kb, Situation(program="in_progress"), ["in_program", "certified"])
    assert advice.fits == [] and advice.topics == ["renewal", "career_paths"]
    # already certified and a US military medic: a second credential they qualify for now stays
    advice = advise_situation(kb, Situation(military="yes"), ["certified", "military"])
    assert {f.credential for f in advice.fits} == {"RMA", "NCMA", "CCMA"}
    # in a program and nothing more: the credentials within reach once it is finished
    advice = advise_situation(kb, Situation(program="in_progress"), ["in_program"])
    assert {f.credential for f in advice.fits} >= {"CMA", "RMA"}
