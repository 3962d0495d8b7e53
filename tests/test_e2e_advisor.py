"""The advisor over HTTP: multi-turn conversations through the real Rasa server and action server.

Each conversation is typed the way a student would, buttons and free text
mixed, and checked against what the article allows for that life situation.
"""

from __future__ import annotations

import uuid

import pytest

from actions.knowledge import load_site
from tests.helpers import converse, reply_text

pytestmark = pytest.mark.stack


def tracker_slots(stack, sender: str) -> dict:
    return stack.tracker(sender)["slots"]


def test_new_student(stack):
    sender = converse(
        stack,
        [
            (
                "I want to become a medical assistant, where do I start?",
                ["Let's find the credential", "training program"],
                [],
            ),
            ("no", ["How many years"], []),
            ("none", ["US military"], []),
            ("No", ["clinical", "administrative"], []),
            (
                "both",
                [
                    "**CMA**",
                    "your goal",
                    "Your next steps:",
                    "1. Find a medical assistant program accredited",
                    "https://www.caahep.org",
                    "Apply for the CMA",
                ],
                ["**RMA**"],
            ),
        ],
    )
    assert tracker_slots(stack, sender)["recommendation"] == ["CMA"]


def test_graduate_of_an_accredited_program(stack):
    converse(
        stack,
        [
            ("which certification is right for me?", ["accredited by CAAHEP or ABHES"], []),
            ("Yes, an accredited one", ["How many years"], []),
            ("about six months", ["US military"], []),
            ("nope", ["clinical"], []),
            (
                "Administrative",
                ["**CMA** from the AAMA, fits you now", "Apply for the CMA", "https://www.aama-ntl.org"],
                [],
            ),
        ],
    )


def test_experienced_medical_assistant_then_a_personal_follow_up(stack):
    sender = converse(
        stack,
        [
            ("I've worked as an MA for years, which cert should I go for?", ["training program"], []),
            ("no, I never did a program", ["How many years"], []),
            ("7 years", ["US military"], []),
            ("no", ["clinical"], []),
            (
                "clinical",
                [
                    "**RMA** from the AMT, fits you now",
                    "five years",
                    "**NCMA**",
                    "doesn't say how many",
                    "Apply for the RMA",
                ],
                ["Find a medical assistant program"],
            ),
            ("tell me about the RMA", ["American Medical Technologists", "With your 7 years of experience"], []),
        ],
    )
    assert tracker_slots(stack, sender)["advisor_experience"] == "7"


def test_military_trained(stack):
    converse(
        stack,
        [
            ("/start_advisor", ["Let's find the credential"], []),
            ("No", ["How many years"], []),
            ("None yet", ["US military"], []),
            ("yes, I was a navy corpsman", ["clinical"], []),
            (
                "I prefer working with patients",
                ["**NCMA** from the NCCT, fits you now", "**CCMA**", "**RMA**", "US military", "leans clinical"],
                [],
            ),
        ],
    )


def test_in_progress_student(stack):
    converse(
        stack,
        [
            ("help me choose a certification", ["training program"], []),
            ("I'm in one now", ["How many years"], []),
            ("1 year", ["US military"], []),
            ("no", ["clinical"], []),
            ("a bit of both", ["once you finish your program", "Finish your program"], []),
        ],
    )


def test_digression_why_and_reasking(stack):
    sender = converse(
        stack,
        [
            ("what should I do next?", ["training program"], []),
            ("how much do certified medical assistants make?", ["$20.76", "accredited by CAAHEP or ABHES"], []),
            ("why do you ask?", ["decides which doors", "accredited by CAAHEP or ABHES"], []),
            ("not sure", ["How many years"], []),
            ("purple", ["Sorry, I didn't catch that", "How many years"], []),
            ("blah", ["Sorry, I didn't catch that"], []),
            ("bleh", ["leave that one out", "US military"], []),
            ("no", ["clinical"], []),
            ("clinical", ["**CMA**", "worth checking", "Check whether your program is accredited"], []),
        ],
    )
    slots = tracker_slots(stack, sender)
    assert slots["advisor_experience"] == "skipped" and slots["advisor_program"] == "not_sure"


def test_stopping_leaves_cleanly(stack):
    sender = converse(
        stack,
        [
            ("which credential should I get", ["training program"], []),
            ("never mind", ["stopped the questions"], ["How many years"]),
            ("what do medical assistants do?", ["vital signs"], ["training program?"]),
        ],
    )
    assert stack.tracker(sender)["active_loop"] in ({}, None) or not stack.tracker(sender)["active_loop"].get("name")


def test_talk_to_a_person_and_feedback(stack):
    site = load_site()
    sender = converse(
        stack,
        [
            ("can I talk to an advisor", [site.advising.email, site.advising.phone, site.advising.booking_url], []),
            ("what skills do I need?", ["Technical", "Was this helpful?"], []),
            ('/feedback_negative{"feedback_topic":"skills"}', ["sorry that didn't help"], []),
            ("what skills do I need?", ["Technical"], ["Was this helpful?"]),
        ],
    )
    assert tracker_slots(stack, sender)["feedback"] == {"rating": "negative", "topic": "skills"}


def test_two_misunderstandings_offer_a_person(stack):
    sender = f"advisor-{uuid.uuid4()}"
    first = stack.send(sender, "qwxz blorp fnord")
    second = stack.send(sender, "zzkq vrrp glonk")
    assert "rephrase" in reply_text(first)
    assert "talk to a person" in reply_text(second)
    assert "/talk_to_human" in [b["payload"] for r in second for b in r.get("buttons", [])]


@pytest.mark.parametrize(
    "message, meaning",
    [
        ("how do I pass the CMA accounting exam", "Certified Management Accountant"),
        ("is NCMA membership useful for contract management", "National Contract Management Association"),
    ],
)
def test_other_meanings_are_recognised(stack, message, meaning):
    text = reply_text(stack.send(f"advisor-{uuid.uuid4()}", message))
    assert meaning in text and "only cover careers in medical assisting" in text


@pytest.mark.parametrize(
    "message, credentials",
    [
        ("CMA vs RMA", ["**CMA**", "**RMA**"]),
        ("what's the difference between the NCMA and CCMA", ["**NCMA**", "**CCMA**"]),
        ("compare all of them", ["**CMA**", "**RMA**", "**NCMA**", "**CCMA**"]),
    ],
)
def test_comparisons(stack, message, credentials):
    text = reply_text(stack.send(f"advisor-{uuid.uuid4()}", message))
    assert "Side by side" in text
    for label in credentials:
        assert label in text
