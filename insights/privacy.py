"""Masks e-mail addresses and phone numbers in what students typed (`--redact`).

Students sometimes leave contact details for an advisor; a report passed around
the office, or training data committed to the repository, should not carry them.
"""

from __future__ import annotations

import re

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A run of digits with the usual separators; masked when it has 7-15 digits
# (a local number up to E.164), which leaves "$37,190", "2024" and "20.76" alone.
PHONE_CANDIDATE = re.compile(r"(?<![\w$])\+?\(?\d[\d ().\-]{5,}\d(?![\w])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL = re.compile(r"\d+\.\d{1,2}")  # 20.76, 1234.50: amounts, not phone numbers


def redact(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by [email] and [phone]."""
    return PHONE_CANDIDATE.sub(_phone_or_not, EMAIL.sub(EMAIL_MASK, text))


def _phone_or_not(match: re.Match) -> str:
    candidate = match.group(0)
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or ISO_DATE.fullmatch(candidate) or DECIMAL.fullmatch(candidate):
        return candidate
    return PHONE_MASK
