"""Masks personal details in what students typed (`--redact`): e-mail addresses, phone
numbers, card numbers, ID numbers and dates of birth.

Students sometimes leave contact details for an advisor, or paste a form's worth of
themselves; a report passed around the office, or training data committed to the
repository, should not carry them. The facts students ask about stay readable: pay
("$20.76", "$43,180"), percentages, years of experience, exam names, recent dates.
"""

from __future__ import annotations

import re
from datetime import date

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
CARD_MASK = "[card]"
ID_MASK = "[id]"
DATE_MASK = "[date]"

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A run of digits with the usual separators; masked when it has 7-15 digits
# (a local number up to E.164), which leaves "$37,190", "2024" and "20.76" alone.
PHONE_CANDIDATE = re.compile(r"(?<![\w$])\+?\(?\d[\d ().\-]{5,}\d(?![\w])")
DECIMAL = re.compile(r"\d+\.\d{1,2}")  # 20.76, 1234.50: amounts, not phone numbers

# 13-19 digits, unbroken or in the groups printed on cards (4-4-4-4..., Amex 4-6-5), with
# spaces or dashes; masked only when the Luhn check digit holds, as it does on every card.
CARD_CANDIDATE = re.compile(
    r"(?<![\w$.,])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\w.,]\d|\w)"
)
# "student ID A00123456", "my id is 987654321", "SSN: 123 45 6789": the number after the words.
ID_AFTER_CUE = re.compile(
    r"(\b(?:student\s+(?:id|number|no\.?|num|#)|id|identification|ssn|social\s+security)"
    r"(?:\s+(?:number|no\.?|num|#))?(?:\s*(?:is|was|:|#|=))*\s*)([a-z]{0,3}-?\d+(?:[ -]\d{2,})*[a-z]?)\b",
    re.IGNORECASE,
)
ID_MIN_DIGITS = 4  # "ID 12" is not an identity number
SSN = re.compile(r"(?<![\w$.,-])\d{3}-\d{2}-\d{4}(?![\w-])")
# A letter or two and six or more digits (A00123456): the shape of school and member IDs.
ID_SHAPED = re.compile(r"\b[a-z]{1,2}\d{6,}\b", re.IGNORECASE)

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
DATE = re.compile(
    r"(?<![\w$.,/-])(?:"
    r"(?P<iso_year>\d{4})([-/.])(?P<iso_month>\d{1,2})\2(?P<iso_day>\d{1,2})"  # 1998-03-14
    r"|(?P<first>\d{1,2})([-/.])(?P<second>\d{1,2})\6(?P<num_year>\d{4}|\d{2})"  # 03/14/1998, 14.3.98
    rf"|(?P<month_name>{_MONTH})\s+(?P<month_day>{_DAY})(?:,?\s+(?P<month_year>\d{{4}}))?"  # March 14, 1998
    rf"|(?P<day_month>{_DAY})\s+(?:of\s+)?(?P<day_name>{_MONTH})(?:,?\s+(?P<day_year>\d{{4}}))?"  # 14 March 1998
    r")(?![\w/-]|[.,]\d)",
    re.IGNORECASE,
)
# "born", "DOB", "date of birth", "birthday", "b-day" shortly before a date.
BIRTH_CUE = re.compile(r"\b(?:born|d\.?o\.?b\b|birth|b-?day)", re.IGNORECASE)
BIRTH_CUE_REACH = 25  # characters between the cue and the date ("date of birth is: ")
# Students are 16 or older: a full date that long ago is a birth date far more often than
# anything asked about (an exam day, a class start), which is recent or ahead.
BIRTH_YEARS_AGO = 16


def redact(text: str) -> str:
    """The text with personal details replaced by [email], [card], [id], [date] and [phone]."""
    text = EMAIL.sub(EMAIL_MASK, text)
    text = CARD_CANDIDATE.sub(lambda m: CARD_MASK if _luhn(m.group(0)) else m.group(0), text)
    text = ID_AFTER_CUE.sub(_id_after_cue, text)
    text = ID_SHAPED.sub(ID_MASK, SSN.sub(ID_MASK, text))
    text = DATE.sub(lambda m: DATE_MASK if _birth_date(m, text) else m.group(0), text)
    return PHONE_CANDIDATE.sub(_phone_or_not, text)


def _phone_or_not(match: re.Match) -> str:
    candidate = match.group(0)
    digits = sum(c.isdigit() for c in candidate)
    as_date = DATE.fullmatch(candidate)
    if not 7 <= digits <= 15 or (as_date and _day_month_year(as_date)) or DECIMAL.fullmatch(candidate):
        return candidate  # a date left readable (2026-11-25) is not a phone number either
    return PHONE_MASK


def _id_after_cue(match: re.Match) -> str:
    if sum(c.isdigit() for c in match.group(2)) < ID_MIN_DIGITS:
        return match.group(0)
    return match.group(1) + ID_MASK


def _luhn(candidate: str) -> bool:
    """The check digit card numbers carry; an ordinary long number passes it one time in ten."""
    digits = [int(c) for c in reversed(candidate) if c.isdigit()]
    total = sum(d if i % 2 == 0 else (d * 2 if d < 5 else d * 2 - 9) for i, d in enumerate(digits))
    return total % 10 == 0


def _birth_date(match: re.Match, text: str) -> bool:
    """A real calendar date after a birth cue, or a full date at least BIRTH_YEARS_AGO years back."""
    parts = _day_month_year(match)
    if parts is None:
        return False
    if BIRTH_CUE.search(text[max(0, match.start() - BIRTH_CUE_REACH) : match.start()]):
        return True
    year = parts[2]
    return year is not None and year <= date.today().year - BIRTH_YEARS_AGO


def _day_month_year(match: re.Match) -> tuple[int, int, int | None] | None:
    """(day, month, year or None) when the match is a possible date ("13/14/1998" is not)."""
    found = match.groupdict()
    if found["iso_year"]:
        day, month, year = int(found["iso_day"]), int(found["iso_month"]), int(found["iso_year"])
    elif found["num_year"]:
        first, second = int(found["first"]), int(found["second"])
        day, month = (second, first) if first <= 12 else (first, second)  # US order when both could be
        year = _full_year(found["num_year"])
    else:
        name = found["month_name"] or found["day_name"]
        day = int(re.match(r"\d+", found["month_day"] or found["day_month"]).group(0))
        month = MONTHS[name.rstrip(".").lower()]
        given = found["month_year"] or found["day_year"]
        year = int(given) if given else None
    return (day, month, year) if 1 <= month <= 12 and 1 <= day <= 31 else None


def _full_year(digits: str) -> int:
    """'98' -> 1998 and '24' -> 2024: two digits mean the latest such year not in the future."""
    if len(digits) == 4:
        return int(digits)
    this_year = date.today().year
    year = this_year // 100 * 100 + int(digits)
    return year if year <= this_year else year - 100
