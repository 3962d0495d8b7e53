"""Which language to answer in: the student's latest message's, else the page's, else English.

Each message's language is detected as it is read (addons/language.py puts it in the
parse data, or None when a message cannot tell: "ok", "CMA", a tapped button). The
conversation's language is that of the newest message that could tell, so a student
may switch mid-conversation and a bare "ok" keeps the language in use; before any such
message, the page's own language (the widget's `language` metadata) decides.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple

from actions.constants import ENGLISH, LANGUAGE_KEY, LANGUAGES

# (parse data, metadata) of each user message, oldest first.
UserMessage = Tuple[Optional[Mapping[str, Any]], Optional[Mapping[str, Any]]]


def fold(text: str) -> str:
    """Lowercase without accents, as students type: "Cuánto" -> "cuanto" (ñ kept: "año" is not "ano")."""
    text = text.lower().replace("ñ", "\0")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return stripped.replace("\0", "ñ")


def message_language(parse_data: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The language a message was written in, if it could tell."""
    language = (parse_data or {}).get(LANGUAGE_KEY)
    return language if language in LANGUAGES else None


def page_language(value: Any) -> Optional[str]:
    """A page's language tag as one we answer in: "es-MX" -> "es"; anything else None."""
    if not isinstance(value, str):
        return None
    language = value.strip().lower()[:2]
    return language if language in LANGUAGES else None


def conversation_language(messages: Iterable[UserMessage]) -> str:
    """The language to answer in after these messages, oldest first (see the module docstring)."""
    return latest_language(reversed(list(messages)))


def latest_language(newest_first: Iterable[UserMessage]) -> str:
    """conversation_language over messages newest first: it stops at the first that tells."""
    hint = None
    for parse_data, metadata in newest_first:
        language = message_language(parse_data)
        if language:
            return language
        page = page_language((metadata or {}).get(LANGUAGE_KEY))
        if hint is None and page:
            hint = page
    return hint or ENGLISH


def tracker_language(events: Sequence[Mapping[str, Any]]) -> str:
    """The language over a tracker's events as the action server sees them (dicts), read from the
    newest back, so a long conversation costs no more than its last few messages."""
    return latest_language(
        (event.get("parse_data"), event.get("metadata")) for event in reversed(events) if event.get("event") == "user"
    )
