"""The report's redaction (`--redact`): personal details go, the facts students ask about stay."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from insights import metrics
from insights.privacy import redact
from insights.store import Conversation


@pytest.mark.parametrize(
    "text, redacted",
    [
        # Dates of birth: after a cue, or a full date far enough back to be one.
        ("born 03/14/1998", "born [date]"),
        ("DOB 1998-03-14", "DOB [date]"),
        ("March 14, 1998", "[date]"),
        ("my date of birth is: 3-14-98, am I too old?", "my date of birth is: [date], am I too old?"),
        ("born on the 14th of March, 1998 in Ohio", "born on the [date] in Ohio"),
        ("my birthday is 14 March", "my birthday is [date]"),
        ("d.o.b. 14.03.1998", "d.o.b. [date]"),
        # Student, member and social security numbers.
        ("student ID A00123456", "student ID [id]"),
        ("my id is 987654321", "my id is [id]"),
        ("student number: 20231234, thanks", "student number: [id], thanks"),
        ("SSN 123-45-6789", "SSN [id]"),
        ("it's 123-45-6789", "it's [id]"),
        ("social security number is 123 45 6789", "social security number is [id]"),
        ("I am a00123456 at school", "I am [id] at school"),
        # Card numbers (their Luhn check digit holds), however they are spaced.
        ("card 4111 1111 1111 1111 exp 09/27", "card [card] exp 09/27"),
        ("4111-1111-1111-1111", "[card]"),
        ("pay with 4111111111111111?", "pay with [card]?"),
        ("amex 3782 822463 10005", "amex [card]"),
        ("visa 4222222222222", "visa [card]"),
        # Still masked as before.
        ("mail jane.doe+cma@school.edu or call (555) 123-4567", "mail [email] or call [phone]"),
    ],
)
def test_personal_details_are_masked(text: str, redacted: str) -> None:
    assert redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "Certified medical assistants earn about $20.76 an hour, $43,180 a year",
        "$1,234,567 total and 16.5 percent growth, 15% more",
        "I have 5 years of experience, 2 yrs in a clinic",
        "I am 45 years old, is it too late?",
        "CMA (AAMA), RMA (AMT), NCMA or CCMA exam",
        "the exam has 200 questions between 2021 and 2031",
        "class starts 01/12/2026 and the exam is on 2026-11-25",
        "may 5 work? I may 2 years ago",
        "3.5 GPA, zip 90210, since 2024, version 3.10.13, open 8:30 to 5:00",
        "my id card expired",
        "student of 2019",
        "1234 5678 9012 3456",  # 16 digits, but no card's check digit
        "4111 1111 1111 1112",
    ],
)
def test_facts_students_ask_about_are_kept(text: str) -> None:
    assert redact(text) == text


def test_a_recent_date_is_kept_unless_it_is_a_birthday() -> None:
    recent = date.today().replace(day=1).strftime("%m/%d/%Y")
    assert redact(f"my exam is on {recent}") == f"my exam is on {recent}"
    assert redact(f"my birthday is {recent}") == "my birthday is [date]"


def test_the_redacted_report_shows_no_birth_date_id_or_card() -> None:
    period = metrics.Period(date(2026, 11, 2), date(2026, 11, 8), timezone.utc)
    typed = "I'm born 03/14/1998, student ID A00123456, card 4111 1111 1111 1111: how much do CMAs earn, $20.76?"
    when = datetime(2026, 11, 3, 10, tzinfo=timezone.utc).timestamp()
    message = {"event": "user", "text": typed, "timestamp": when, "parse_data": {"intent": {"name": "nlu_fallback"}}}
    built = metrics.build([Conversation("someone", [message])], period, clean=redact)
    assert built["fallback"]["texts"] == [
        {"text": "I'm born [date], student ID [id], card [card]: how much do CMAs earn, $20.76?", "count": 1}
    ]
