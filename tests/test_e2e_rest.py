"""End to end over HTTP: the real action server and Rasa server, questions phrased unlike the training data."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import converse, reply_text

pytestmark = pytest.mark.stack

# (question, facts every one of which must appear in the replies)
QUESTIONS = [
    ("yo what exactly is a certified medical assistant anyway", ["completed training", "certification exam"]),
    ("describe a normal workday for a medical assistant", ["vital signs", "laboratory samples"]),
    ("what kind of stuff would i be doing on the job", ["Scheduling appointments"]),
    ("ballpark earnings for medical assistants who never got certified?", ["$17.88", "$37,190"]),
    pytest.param(
        "is the money better in big cities",
        ["urban", "living expenses"],
        # Known regression (issue #15, docs/performance.md#spanish): with the Spanish examples in the
        # same model this question's guess fell from 0.79 to 0.49, under the 0.5 the actions need to
        # answer outright, so it is asked back. Strict: it fails the run once it passes again.
        marks=pytest.mark.xfail(strict=True, reason="bilingual model: pay_factors 0.49 < 0.5, asked back"),
    ),
    ("will there still be MA jobs in ten years", ["16 percent", "2021 and 2031"]),
    ("is this a growing field or dying", ["16 percent"]),
    ("which certs are out there for MAs", ["CMA", "RMA", "NCMA", "CCMA"]),
    ("give me the rundown on the CCMA", ["National Healthcareer Association", "clinical side"]),
    ("what's the deal with the registered medical assistant credential", ["American Medical Technologists"]),
    ("which organization hands out the NCMA", ["National Center for Competency Testing"]),
    ("who administers the cma credential", ["American Association of Medical Assistants"]),
    ("how is the rma different from the cma", ["**CMA**", "**RMA**", "AMT", "AAMA"]),
    ("ncma versus ccma, which one is more clinical", ["**NCMA**", "**CCMA**"]),
    ("do i need to go to school to get the cma", ["CAAHEP", "ABHES"]),
    ("i've worked as an MA for five years with no diploma, can I get the RMA", ["five years"]),
    ("i got medical training in the navy, does that count for certification", ["military"]),
    ("what steps does it take to become a certified MA", ["1. ", "exam"]),
    ("what subjects would an ma program teach me", ["pharmacology", "medical coding"]),
    ("what is covered on the certification test", ["clinical patient care", "medical laws and ethics"]),
    ("do i have to recertify at some point", ["every few years", "continuing education"]),
    ("what abilities should a good medical assistant have", ["Technical", "Human"]),
    ("what soft skills matter most for this job", ["Communication", "Customer service"]),
    ("could this job lead to nursing later", ["registered nurse"]),
    ("what's the point of being certified if i can work without it", ["competitive", "tangible proof"]),
    ("what fee do they charge for the cma exam", ["don't cover", "aama-ntl.org"]),
    ("how many months is a typical ma program", ["don't cover", "caahep.org", "abhes.org"]),
    ("what do medical assistants earn in florida", ["not pay in Florida", "bls.gov", "$17.88"]),
    ("what is the abhes", ["Accrediting Bureau of Health Education Schools", "https://www.abhes.org"]),
    ("who runs the bls", ["US Bureau of Labor Statistics"]),
    ("what's the forecast for rain tomorrow", ["only cover careers in medical assisting"]),
    ("are you a real person", ["I'm a bot"]),
]


def test_a_weak_guess_asks_which_question_was_meant_instead_of_answering(stack):
    """ "Paycheck" is a word the classifier has barely seen (ask_pay 0.43): the student picks the question."""
    replies = stack.send(f"e2e-{uuid.uuid4()}", "what's the typical paycheck for a certified MA")
    assert "Did you mean one of these?" in replies[0]["text"]
    assert {"title": "What do they earn?", "payload": "/ask_pay"} in replies[0]["buttons"]
    assert "$20.76" in reply_text(stack.send(f"e2e-{uuid.uuid4()}", "/ask_pay"))


@pytest.mark.parametrize(
    "question, facts", QUESTIONS, ids=[q.values[0] if hasattr(q, "values") else q[0] for q in QUESTIONS]
)
def test_question_gets_the_facts(stack, question, facts):
    text = reply_text(stack.send(f"e2e-{uuid.uuid4()}", question))
    for fact in facts:
        assert fact in text, f"{fact!r} not in reply to {question!r}:\n{text}"


def test_follow_ups_about_a_credential(stack):
    converse(
        stack,
        [
            ("tell me about the RMA", ["American Medical Technologists"], []),
            ("who offers it?", ["American Medical Technologists", "americanmedtech.org"], []),
            ("how do I get it?", ["For the RMA", "five years"], []),
        ],
    )


def test_follow_ups_about_pay(stack):
    converse(
        stack,
        [
            ("how much do CMAs make?", ["$20.76", "$39,085"], ["$17.88"]),
            ("and per hour?", ["$20.76 an hour"], ["$39,085"]),
            ("what about without certification?", ["$17.88 an hour"], ["$20.76"]),
        ],
    )


def test_follow_up_switches_credential(stack):
    converse(
        stack,
        [
            ("what's the NCMA?", ["National Center for Competency Testing"], []),
            ("and the CMA?", ["American Association of Medical Assistants"], ["National Center"]),
        ],
    )


def test_button_payload_with_entities(stack):
    converse(
        stack,
        [
            ('/ask_eligibility{"credential":"CCMA"}', ["For the CCMA", "nhanow.com"], []),
        ],
    )


@pytest.mark.parametrize(
    "message",
    ["asdf qwerty zxcv", "🙂🙂🙂", "ÇÀ ÉTÉ ??? 医疗助理", "x" * 10_000, "how much " * 1500],
    ids=["gibberish", "emoji", "non-latin", "10k-chars", "10k-repeated-words"],
)
def test_junk_gets_a_polite_answer(stack, message):
    replies = stack.send(f"e2e-{uuid.uuid4()}", message)
    assert replies and reply_text(replies).strip()


def test_dead_action_server_is_reported_in_words():
    """No action server at all: the student is told, not left waiting in silence."""
    from cma_stack import running_stack

    with running_stack(with_actions=False) as rasa_only:
        sender = f"e2e-{uuid.uuid4()}"
        text = reply_text(rasa_only.send(sender, "how much do certified medical assistants make"))
        assert "can't look that up right now" in text
        # Responses that need no action server keep working.
        assert "You're welcome" in reply_text(rasa_only.send(sender, "thank you so much"))


def test_hung_action_server_is_reported_within_seconds():
    """An action server that accepts the request and never answers: the student hears back in seconds."""
    import socket
    import threading
    import time

    from cma_stack import running_stack

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []

    def accept_and_hang() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)  # read nothing, answer nothing

    threading.Thread(target=accept_and_hang, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"
    try:
        with running_stack(action_endpoint=url, env={"ACTION_TIMEOUT_SECONDS": "3"}) as hung:
            started = time.monotonic()
            text = reply_text(hung.send(f"e2e-{uuid.uuid4()}", "what skills does a medical assistant need"))
            assert "can't look that up right now" in text
            assert time.monotonic() - started < 15
    finally:
        listener.close()
        for connection in held:
            connection.close()


# --- questions in students' own words (addons/knowledge_reader.py) ----------------------------

OWN_WORDS = [
    # a detail the article lacks: said first, the nearest fact, whom to ask
    (
        "if i fail the cma exam how soon can i try again",
        ["my sources don't cover how many times", "aama-ntl.org"],
        ["Common topics"],
    ),
    ("is the ccma test given online or in person", ["don't cover where, when or in what format", "nhanow.com"], []),
    (
        "is it legal for an MA to give flu shots in my state",
        ["don't cover what a medical assistant may legally do", "administering medications", "Advising office"],
        [],
    ),
    (
        "are there MA programs at night for people who work days",
        ["don't cover whether programs are offered online, in the evening", "caahep.org"],
        [],
    ),
    # a kind of detail the topic's answer lacks: said first, then that topic's answer, then whom to ask
    ("how often do i need to renew my rma", ["don't cover that exact number", "every few years", "AMT"], []),
    (
        "what are the requirements to become a medical assistant in california",
        ["don't cover the rules of a particular state", "the state where you plan to work", "CAAHEP"],
        [],
    ),
    (
        "can a medical assistant work for two doctors at the same time",
        ["don't cover what a medical assistant may legally do", "aama-ntl.org"],
        [],
    ),
    # but not beside a topic whose answer gives it
    ("how much do medical assistants make an hour", ["$17.88", "$20.76"], ["don't cover"]),
    # a credential's requirements name its issuer, and the way in without a program
    ("do i need to go to school to take the cma", ["For the CMA (from the AAMA)", "Without a program", "RMA"], []),
    # a neighbouring role: in scope, what the article says about MAs, whom to ask
    (
        "whats the difference between an x-ray tech and a medical assistant",
        ["My sources don't describe radiologic and imaging technologists"],
        ["outside what I know"],
    ),
    (
        "whats the difference between a cna and a medical assistant",
        ["My sources don't describe certified nursing assistants", "vital signs", "Advising office"],
        ["outside what I know"],
    ),
    ("who earns more, an LPN or a medical assistant", ["don't describe licensed practical", "$17.88"], []),
    ("can an MA go on to become a nurse", ["registered nurse"], ["don't describe"]),
    # the student's own situation, heard and answered with the advisor rules
    (
        "i spent 6 years as a navy corpsman, can i get certified as an MA",
        ["From what you've told me", "**RMA**", "**NCMA**", "**CCMA**", "military"],
        ["didn't quite get that"],
    ),
    # a worry acknowledged before the facts
    (
        "i'm so nervous, how long does it take to become a medical assistant",
        ["normal to have doubts", "don't cover how long"],
        [],
    ),
    # two questions in one: the covered part answered too
    ("what do medical assistants earn and how long is the training?", ["don't cover how long", "$17.88"], []),
    # another "CMA" altogether
    ("is the cma harder than the cpa exam", ["Certified Management Accountant"], []),
]


@pytest.mark.parametrize("question, facts, absent", OWN_WORDS, ids=[q for q, _, _ in OWN_WORDS])
def test_own_words_get_the_honest_answer(stack, question, facts, absent):
    converse(stack, [(question, facts, absent)])


def test_a_situation_is_remembered_for_later_answers(stack):
    sender = converse(
        stack,
        [
            (
                "I've been working as a medical assistant for 7 years, no certification yet",
                ["**RMA**", "fits you now"],
                [],
            ),
            ("tell me about the RMA", ["With your 7 years of experience"], []),
        ],
    )
    assert stack.tracker(sender)["slots"]["advisor_experience"] == "7"


def test_a_situation_with_a_request_for_advice_prefills_the_questionnaire(stack):
    sender = converse(
        stack,
        [
            (
                "I was an army medic, which certification is right for me?",
                ["Let's find the credential", "training program"],
                [],
            ),
            ("no", ["How many years"], []),
            ("none", ["clinical", "administrative"], ["US military"]),  # the military question is not asked again
            ("clinical", ["**NCMA** from the NCCT, fits you now"], []),
        ],
    )
    assert stack.tracker(sender)["slots"]["advisor_military"] == "yes"


def test_a_gap_question_during_the_questionnaire_is_answered_and_the_question_asked_again(stack):
    converse(
        stack,
        [
            ("/start_advisor", ["Let's find the credential"], []),
            ("do i need a high school diploma first?", ["don't cover admission requirements", "training program"], []),
            ("no", ["How many years"], []),
        ],
    )


def test_questionnaire_with_a_dead_action_server_says_so_every_turn():
    """The form calls the action server to check each answer and ask the next question: no silence when it dies."""
    from cma_stack import running_stack

    with running_stack() as stack:
        sender = f"e2e-{uuid.uuid4()}"
        assert "Have you completed" in reply_text(stack.send(sender, "/start_advisor"))
        actions = stack.processes[0]
        actions.kill()
        actions.wait()
        for answer in ("yes", "I graduated from an accredited program last year"):
            replies = stack.send(sender, answer)
            assert len(replies) == 1 and "can't look that up right now" in replies[0]["text"], replies


def test_questionnaire_with_a_hung_action_server_says_so_within_seconds():
    import socket
    import threading
    import time

    from cma_stack import running_stack

    with running_stack(env={"ACTION_TIMEOUT_SECONDS": "3"}) as stack:
        sender = f"e2e-{uuid.uuid4()}"
        assert "Have you completed" in reply_text(stack.send(sender, "/start_advisor"))
        # The action server stops; in its place, one that accepts requests and never answers.
        actions = stack.processes[0]
        actions.kill()
        actions.wait()
        hung = socket.socket()
        hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hung.bind(("127.0.0.1", int(stack.action_url.rsplit(":", 1)[1])))
        hung.listen()
        held = []

        def accept_and_hang() -> None:
            while True:
                try:
                    held.append(hung.accept())
                except OSError:
                    return

        threading.Thread(target=accept_and_hang, daemon=True).start()
        try:
            started = time.monotonic()
            replies = stack.send(sender, "yes")
            assert len(replies) == 1 and "can't look that up right now" in replies[0]["text"], replies
            assert time.monotonic() - started < 15
        finally:
            hung.close()


def test_a_follow_up_with_nothing_to_follow_gets_one_reply(stack):
    """First message "what about that one?": no earlier topic. One request to rephrase, not ten.

    ("What about the exam" names its topic: it is answered as a question about the exam.)
    """
    replies = stack.send(f"e2e-{uuid.uuid4()}", "what about that one?")
    assert len(replies) == 1, [reply.get("text", "")[:60] for reply in replies]
    assert "medical terminology" in reply_text(stack.send(f"e2e-{uuid.uuid4()}", "what about the exam"))


def test_a_new_session_starts_without_the_previous_students_answers(stack):
    """Shared computers: after the session expires (or Start over), nothing of the questionnaire carries over."""
    sender = f"e2e-{uuid.uuid4()}"
    stack.send(sender, "I was a medic in the army and have 3 years of experience, can I get certified?")
    before = {
        name: value
        for name, value in stack.tracker(sender)["slots"].items()
        if name.startswith("advisor_") and value is not None
    }
    assert before, "the situation should have filled some questionnaire answers"
    stack.send(sender, "/session_start")
    after = stack.tracker(sender)["slots"]
    assert all(after.get(name) is None for name in before), {name: after.get(name) for name in before}


def test_the_widget_forgets_after_the_time_rasa_does():
    import re

    import yaml

    from cma_stack import ROOT

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())["session_config"]
    widget = (ROOT / "web" / "widget" / "rasa-chat.js").read_text()
    assert domain["carry_over_slots_to_new_session"] is False
    assert int(re.search(r"DEFAULT_SESSION_MINUTES = (\d+)", widget).group(1)) == domain["session_expiration_time"]
