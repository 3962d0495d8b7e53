"""Every action, and the follow-up patterns, through rasa-sdk's Tracker and CollectingDispatcher."""

from __future__ import annotations

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from cma_stack import ROOT
from tests.helpers import ACTIONS, Conversation, make_tracker, run_action, run_coroutine


def ask(action: str, intent: str, *entities):
    return Conversation().ask(action, intent, *entities)


def test_every_domain_action_is_implemented():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert set(domain["actions"]) == set(ACTIONS)


@pytest.mark.parametrize(
    "action, intent, entities, expected",
    [
        (
            "action_answer_definition",
            "ask_what_is_cma",
            [],
            ["completed training", "American Association of Medical Assistants"],
        ),
        (
            "action_answer_duties",
            "ask_duties",
            [],
            ["vital signs", "Scheduling appointments", "laboratory samples", "vary"],
        ),
        ("action_answer_pay", "ask_pay", [], ["$17.88", "$37,190", "$20.76", "$39,085", "BLS figures", "AAMA figures"]),
        (
            "action_answer_pay_factors",
            "ask_pay_factors",
            [],
            ["geographic region", "work setting", "practice specialty", "urban"],
        ),
        ("action_answer_outlook", "ask_outlook", [], ["16 percent", "2021 and 2031", "about 5 percent", "BLS"]),
        ("action_answer_skills", "ask_skills", [], ["Technical", "Human", "office administration", "customer service"]),
        (
            "action_answer_career_paths",
            "ask_career_paths",
            [],
            ["cardiology", "pediatrics", "registered nurse", "teaching"],
        ),
        ("action_answer_why_certify", "ask_why_certify", [], ["competitive", "tangible proof", "$39,085", "$37,190"]),
        ("action_answer_how_to_become", "ask_how_to_become", [], ["1. ", "accredited", "military", "exam", "Renew"]),
        ("action_answer_programs", "ask_programs", [], ["ABHES", "CAAHEP", "pharmacology", "computer applications"]),
        (
            "action_answer_exam",
            "ask_exam",
            [],
            ["medical terminology", "clinical patient care", "medical laws and ethics"],
        ),
        ("action_answer_renewal", "ask_renewal", [], ["every few years", "renewal fee", "continuing education"]),
        (
            "action_answer_worth_it",
            "ask_worth_it",
            [],
            ["depends on what you want", "$20.76", "$17.88", "16 percent", "as of December 1, 2022"],
        ),
        ("action_answer_credentials", "ask_credentials_list", [], ["CMA", "RMA", "NCMA", "CCMA", "AAMA", "NHA"]),
        (
            "action_answer_credential",
            "ask_credential_details",
            [("credential", "CCMA")],
            ["National Healthcareer Association", "clinical side"],
        ),
        (
            "action_answer_issuer",
            "ask_issuer",
            [("credential", "NCMA")],
            ["National Center for Competency Testing", "https://www.ncctinc.com"],
        ),
        (
            "action_answer_issuer",
            "ask_issuer",
            [],
            ["American Medical Technologists", "National Healthcareer Association"],
        ),
        (
            "action_answer_compare",
            "compare_credentials",
            [("credential", "NCMA"), ("credential", "CCMA")],
            ["NCCT", "NHA", "military"],
        ),
        ("action_answer_eligibility", "ask_eligibility", [("credential", "CMA")], ["CAAHEP or ABHES", "exam"]),
        (
            "action_answer_eligibility",
            "ask_eligibility",
            [("credential", "NCMA")],
            ["don't say how many years", "https://www.ncctinc.com"],
        ),
        ("action_answer_eligibility", "ask_eligibility", [], ["Work experience", "US military", "RMA, NCMA or CCMA"]),
        (
            "action_answer_organization",
            "ask_organization",
            [("organization", "CAAHEP")],
            ["Commission on Accreditation", "https://www.caahep.org"],
        ),
        (
            "action_answer_cost",
            "ask_cost",
            [("credential", "RMA")],
            ["don't cover", "American Medical Technologists", "https://americanmedtech.org"],
        ),
        ("action_answer_duration", "ask_duration", [], ["don't cover", "CAAHEP", "ABHES"]),
    ],
)
def test_topic_answers(action, intent, entities, expected):
    text, buttons = ask(action, intent, *entities)
    for fact in expected:
        assert fact in text, f"{fact!r} missing from:\n{text}"
    assert 2 <= len(buttons) <= 4
    assert all(b["payload"].startswith("/") for b in buttons)


def test_credential_then_who_offers_it_then_how_to_get_it():
    chat = Conversation()
    text, _ = chat.ask("action_answer_credential", "ask_credential_details", ("credential", "RMA"))
    assert "American Medical Technologists" in text
    text, _ = chat.ask("action_answer_issuer", "ask_issuer")
    assert "American Medical Technologists" in text and "https://americanmedtech.org" in text
    text, _ = chat.ask("action_answer_eligibility", "ask_eligibility")
    assert "For the RMA" in text and "five years" in text


def test_how_to_become_a_named_credential_starts_with_its_route():
    """ "How does someone become an RMA?" gets the RMA's route before the usual one; a credential remembered
    from earlier in the conversation does not narrow a general "how do I become one?"."""
    text, _ = ask("action_answer_how_to_become", "ask_how_to_become", ("credential", "RMA"))
    assert text.startswith("For the RMA (from the AMT)") and "five years" in text and "1. " in text
    chat = Conversation()
    chat.ask("action_answer_credential", "ask_credential_details", ("credential", "RMA"))
    text, _ = chat.ask("action_answer_how_to_become", "ask_how_to_become")
    assert "For the" not in text and text.startswith("Here's the usual route")
    text, _ = ask("action_answer_how_to_become", "ask_how_to_become", ("credential", "CMA"), ("credential", "RMA"))
    assert "For the" not in text  # two named: the usual route covers both


def test_pay_then_per_hour_then_without_certification():
    chat = Conversation()
    text, _ = chat.ask("action_answer_pay", "ask_pay", ("credential", "CMA"))
    assert "$20.76" in text and "$39,085" in text and "$17.88" not in text
    text, _ = chat.ask("action_follow_up", "inform", ("pay_period", "hourly"))
    assert "$20.76 an hour" in text and "$39,085" not in text and "$17.88" not in text
    text, _ = chat.ask("action_follow_up", "inform", ("certification_status", "non_certified"))
    assert "$17.88 an hour" in text and "$20.76" not in text and "$37,190" not in text
    text, _ = chat.ask("action_follow_up", "inform", ("pay_period", "yearly"))
    assert "$37,190 a year" in text and "$17.88" not in text


def test_a_new_pay_question_forgets_old_filters():
    chat = Conversation()
    chat.ask("action_answer_pay", "ask_pay", ("pay_period", "hourly"), ("certification_status", "non_certified"))
    text, _ = chat.ask("action_answer_pay", "ask_pay")
    assert all(figure in text for figure in ("$17.88", "$37,190", "$20.76", "$39,085"))


def test_one_credential_then_another():
    chat = Conversation()
    text, _ = chat.ask("action_answer_credential", "ask_credential_details", ("credential", "NCMA"))
    assert "National Center for Competency Testing" in text
    text, _ = chat.ask("action_follow_up", "inform", ("credential", "CMA"))
    assert "American Association of Medical Assistants" in text and "CAAHEP or ABHES" in text
    assert chat.slots["credential"] == "CMA"


def test_compare_grows_with_follow_ups_and_uses_context():
    chat = Conversation()
    chat.ask("action_answer_credential", "ask_credential_details", ("credential", "RMA"))
    text, _ = chat.ask("action_answer_compare", "compare_credentials", ("credential", "CMA"))
    assert "**RMA**" in text and "**CMA**" in text and "**NCMA**" not in text
    text, _ = chat.ask("action_follow_up", "inform", ("credential", "NCMA"))
    assert all(f"**{c}**" in text for c in ("RMA", "CMA", "NCMA")) and "**CCMA**" not in text
    text, _ = ask("action_answer_compare", "compare_credentials")
    assert all(f"**{c}**" in text for c in ("CMA", "RMA", "NCMA", "CCMA"))


def test_follow_up_on_another_topic_switches_topic():
    chat = Conversation()
    chat.ask("action_answer_duties", "ask_duties")
    text, _ = chat.ask("action_follow_up", "inform", ("credential", "CCMA"))
    assert "National Healthcareer Association" in text
    text, _ = chat.ask("action_follow_up", "inform", ("location", "Ohio"))
    assert "not pay in Ohio" in text and "bls.gov" in text and "$17.88" in text
    text, _ = chat.ask("action_follow_up", "inform", ("skill_type", "human"))
    assert "Communication" in text and "Customer service" in text and "Basic medical skills" not in text


def test_cost_follows_the_credential_under_discussion():
    chat = Conversation()
    chat.ask("action_answer_credential", "ask_credential_details", ("credential", "CCMA"))
    text, _ = chat.ask("action_answer_cost", "ask_cost")
    assert "https://www.nhanow.com" in text and "aama-ntl.org" not in text


def test_pay_for_another_credential_says_there_is_no_separate_figure():
    text, _ = ask("action_answer_pay", "ask_pay", ("credential", "RMA"))
    assert "no separate pay figure for the RMA" in text and "$20.76" in text


def test_unknown_entity_values_are_ignored_not_echoed():
    text, _ = ask("action_answer_credential", "ask_credential_details", ("credential", "<script>alert(1)</script>"))
    assert "<script>" not in text and "**CMA**" in text  # falls back to the list of credentials
    text, _ = ask("action_answer_pay", "ask_pay", ("location", "x" * 5000))
    assert "xxxx" not in text


def test_fragment_without_context_asks_to_rephrase():
    dispatcher = CollectingDispatcher()
    events = run_coroutine(ACTIONS["action_follow_up"].run(dispatcher, make_tracker("inform"), {}))
    assert dispatcher.messages == [] and [(e["event"], e["name"]) for e in events] == [("followup", "action_rephrase")]


def test_organization_without_a_name_offers_choices():
    text, buttons = ask("action_answer_organization", "ask_organization")
    assert "Which organization" in text
    assert [b["title"] for b in buttons] == ["AAMA", "AMT", "NCCT", "NHA"]


def _typed(text: str, *ranking):
    tracker = make_tracker(ranking[0][0], text=text)
    tracker.latest_message["intent"] = {"name": ranking[0][0], "confidence": ranking[0][1]}
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return tracker


def _run(action: str, tracker):
    dispatcher = CollectingDispatcher()
    events = run_coroutine(ACTIONS[action].run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_an_unsure_guess_about_a_body_the_message_names_is_answered():
    ranking = (("ask_organization", 0.43), ("ask_issuer", 0.37), ("out_of_scope", 0.01))
    tracker = _typed("who runs the bls", *ranking)
    tracker.latest_message["entities"] = [{"entity": "organization", "value": "BLS"}]
    messages, _ = _run("action_answer_organization", tracker)
    assert "US Bureau of Labor Statistics" in messages[0]["text"]
    assert "Did you mean" not in messages[0]["text"]
    # without a body named, the same guess asks which question was meant
    messages, _ = _run("action_answer_organization", _typed("who runs it", *ranking))
    assert "Did you mean one of these?" in messages[0]["text"]


def test_an_unsure_topic_guess_asks_which_question_was_meant():
    messages, events = _run(
        "action_answer_exam",
        _typed("why take it at all", ("ask_exam", 0.42), ("ask_why_certify", 0.3), ("greet", 0.1), ("ask_pay", 0.05)),
    )
    assert len(messages) == 1 and "Did you mean one of these?" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/ask_exam",
        "/ask_why_certify",
        "/ask_pay",
        "/talk_to_human",
    ]
    assert events == []  # nothing remembered: no topic was answered


def test_a_sure_guess_or_a_button_is_answered():
    messages, _ = _run("action_answer_exam", _typed("what is on the exam", ("ask_exam", 0.9), ("ask_pay", 0.05)))
    assert "Common topics" in messages[0]["text"]
    messages, _ = _run("action_answer_exam", _typed("/ask_exam", ("ask_exam", 0.42), ("ask_pay", 0.3)))
    assert "Common topics" in messages[0]["text"]


def test_a_reading_intent_without_a_reading_asks_to_rephrase():
    """A typed payload such as /ask_not_covered skips the knowledge reader: no silence, a rephrase."""
    messages, events = _run("action_answer_reading", make_tracker("ask_not_covered", text="/ask_not_covered"))
    assert messages == [] and events == [{"event": "followup", "timestamp": None, "name": "action_rephrase"}]


@pytest.mark.parametrize("channel, asked", [("cmdline", False), ("socketio", True), ("rest", True)])
def test_the_feedback_question_is_not_asked_in_the_shell(channel, asked):
    """In `rasa shell` the 👍/👎 buttons become a menu the student must step past before typing."""
    tracker = make_tracker("ask_pay", text="how much do they make")
    tracker.events = [
        {
            "event": "user",
            "text": "how much do they make",
            "input_channel": channel,
            "parse_data": tracker.latest_message,
        }
    ]
    dispatcher = CollectingDispatcher()
    run_coroutine(ACTIONS["action_answer_pay"].run(dispatcher, tracker, {}))
    prompts = [m for m in dispatcher.messages if "helpful" in (m.get("text") or "")]
    assert bool(prompts) is asked, dispatcher.messages
    assert "$20.76" in dispatcher.messages[0]["text"]


def test_worth_it_says_every_figure_once_with_its_source(kb):
    from actions.topic_wording import worth_it
    from actions.wording import Context

    shared = worth_it(kb, Context()).text
    assert shared.count("as of December 1, 2022") == 1  # the pay median and the growth share the BLS citation
    # A growth figure from another source than the median keeps its own sentence and citation.
    outlook = kb.topics.outlook.copy(update={"source": "article"})
    apart = worth_it(kb.copy(update={"topics": kb.topics.copy(update={"outlook": outlook})}), Context()).text
    assert "16 percent" in apart and "(the Coursera article my answers are based on, undated)" in apart
    assert apart.count("as of December 1, 2022") == 1


@pytest.mark.parametrize(
    "text, language, acknowledged, asked",
    [
        ("I'm so nervous about my CCMA test next week, there is so much to review", "en", True, True),
        ("estoy muy nerviosa por mi examen de la próxima semana", "es", True, True),
        ("blorf the snargle", "en", False, False),
    ],
)
def test_a_worry_that_asks_nothing_is_heard_not_called_not_understood(kb, text, language, acknowledged, asked):
    from actions.conversation import WORDED
    from actions.reading import read

    tracker = make_tracker("nlu_fallback", text=text)
    tracker.latest_message["reading"] = read(kb, text).as_dict()
    tracker.events.append({"event": "user", "text": text, "parse_data": {"language": language}})
    messages, _ = run_action("action_rephrase", tracker)
    reply = messages[0]["text"]
    feelings = WORDED[language].feelings.reply
    assert reply.startswith(feelings) is acknowledged
    assert ("didn't quite get that" not in reply and "no te entendí" not in reply) is asked


@pytest.mark.parametrize(
    "text, entities, held",
    [
        # the issuer named: the one credential it gives
        ("I have passed the National Healthcareer Association's exam!", [("organization", "NHA")], "CCMA"),
        ("I'm already certified, I got my RMA last year", [("credential", "RMA")], "RMA"),
        # "my next to last step" is no plan
        (
            "I have passed the National Healthcareer Association's exam, my next to last step on becoming an MA",
            [("organization", "NHA")],
            "CCMA",
        ),
        # an aim, not what they hold
        ("I'm already certified, should I get the CCMA too?", [("credential", "CCMA")], None),
        ("I'm already certified, no idea which one", [], None),
    ],
)
def test_a_certified_student_hears_the_credential_they_named(kb, text, entities, held):
    from actions.reading import read

    tracker = make_tracker("share_situation", entities, text=text)
    tracker.latest_message["reading"] = {**read(kb, text).as_dict(), "asked": None}
    messages, _ = run_action("action_answer_reading", tracker)
    said = messages[0]["text"].split("\n")[0]
    assert "already certified" in said
    assert (f"already certified ({held})" in said) if held else ("already certified (" not in said)


@pytest.mark.parametrize(
    "text, language, expected",
    [
        (
            "I went to a technical school for medical assistant about 4 years ago. Right out of school I got a "
            "job in a hospital as a PCT. They didn't require certification. Now I look at their offerings.",
            "en",
            "Thanks for telling me all that.",
        ),
        (
            "Terminé la escuela hace años. Trabajo en un hospital desde entonces. No me pidieron certificación. "
            "Ahora veo lo que ofrecen.",
            "es",
            "Gracias por contármelo todo.",
        ),
        ("blorf the snargle", "en", "Sorry, I didn't quite get that."),
    ],
)
def test_a_long_story_not_understood_is_thanked_and_asked_one_thing_at_a_time(kb, text, language, expected):
    from actions.reading import read

    tracker = make_tracker("nlu_fallback", text=text)
    tracker.latest_message["reading"] = read(kb, text).as_dict()
    tracker.events.append({"event": "user", "text": text, "parse_data": {"language": language}})
    messages, _ = run_action("action_rephrase", tracker)
    assert messages[0]["text"].startswith(expected)
    story = expected != "Sorry, I didn't quite get that."
    assert "/start_advisor" in [b["payload"] for b in messages[0]["buttons"]]
    assert ("rephrase" in messages[0]["text"]) is not story


@pytest.mark.parametrize(
    "text, ranking, clarified",
    [
        # about this subject: the likeliest topics as buttons
        ("Why Do Medical Assistants Get Paid So Little?", [("nlu_fallback", 0.25), ("ask_pay_factors", 0.28)], True),
        # guesses too weak to offer, or a message about nothing of this subject: examples of what to ask
        ("Why Do Medical Assistants Get Paid So Little?", [("nlu_fallback", 0.25), ("ask_pay_factors", 0.05)], False),
        ("qwxz blorp fnord", [("nlu_fallback", 0.25), ("ask_pay", 0.2)], False),
    ],
)
def test_a_question_about_this_subject_not_understood_is_offered_the_likeliest_topics(kb, text, ranking, clarified):
    from actions.reading import read

    tracker = make_tracker("nlu_fallback", text=text)
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    tracker.latest_message["reading"] = read(kb, text).as_dict()
    messages, _ = run_action("action_rephrase", tracker)
    reply = messages[0]["text"]
    assert reply.startswith("I want to be sure I answer the question you asked.") is clarified
    assert ("/ask_pay_factors" in [b["payload"] for b in messages[0]["buttons"]]) is clarified


def test_a_role_answer_names_whom_to_ask_before_its_source_line(kb):
    """The figures' source closes the answer: "For the physician assistant side, ask …" is not glued to it."""
    from actions.reading import read

    text = "Exactly what is a PA and how are they different from a physician?"
    tracker = make_tracker("ask_about_role", text=text)
    tracker.latest_message["reading"] = {**read(kb, text).as_dict(), "asked": None}
    messages, _ = run_action("action_answer_reading", tracker)
    body, _, source = messages[0]["text"].rpartition("\n")
    assert body.startswith("My sources don't describe physician assistants")
    assert "For the physician assistant side, ask" in body and "Source:" not in body
    assert source.startswith("Source: https://")
