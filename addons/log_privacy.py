"""No student's words in any log line, at any level, from any library.

Rasa, Sanic and structlog log the message text in several places (debug lines,
the REST channel's failure path, broken `/intent{...}` payloads). Rather than
chase each one, the channels put the text of the message being handled in a
context variable, and a log record factory, installed once for the whole
process, replaces that text (also in its JSON-escaped and repr forms, and in
tracebacks) before any handler sees the record; warnings are shown through
the same redaction. Context variables follow the
asyncio task that handles the message, so concurrent conversations never see
each other's text.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import warnings
from functools import lru_cache
from typing import Any, Callable, List, Optional

REDACTED = "[message text]"
WORD = "[…]"
# Shorter texts ("hi", "ok") would blank out ordinary words of every log line;
# they are redacted only where they stand quoted, as libraries log them.
SHORT = 4

_current_text: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("cma_message_text", default=None)
_installed: List[Callable[..., logging.LogRecord]] = []


def handling(text: Any) -> None:
    """Marks `text` as the message this task is handling (until the next one)."""
    _current_text.set(text if isinstance(text, str) and text.strip() else None)


@lru_cache(maxsize=64)
def _forms(text: str) -> List[str]:
    """The ways a library may have written `text` into a log line."""
    escaped = json.dumps(text)[1:-1]
    ascii_escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    quoted = repr(text)[1:-1]
    forms = {text, escaped, ascii_escaped, quoted, text.strip()}
    if len(text.strip()) < SHORT:
        forms = {f"{quote}{form}{quote}" for form in forms for quote in ("'", '"')}
    return sorted((form for form in forms if form), key=len, reverse=True)


# A quoted string in a log line: Rasa logs parts of a message (entity values,
# tokens) as quoted JSON or Python strings.
QUOTED = re.compile(r"""(["'])((?:\\.|(?!\1).){%d,}?)\1""" % SHORT)


def redact(line: str, text: Optional[str] = None) -> str:
    """`line` with every form of `text` (default: the current message), and quoted parts of it, replaced."""
    text = text if text is not None else _current_text.get()
    if not text or not line:
        return line
    for form in _forms(text):
        if form in line:
            line = line.replace(form, REDACTED if len(text.strip()) >= SHORT else f"'{REDACTED}'")
    lowered = text.lower()

    def part_of_text(match: "re.Match[str]") -> str:
        inner = match.group(2)
        try:
            inner = json.loads(f'"{inner}"') if match.group(1) == '"' else inner
        except ValueError:
            pass
        return f"{match.group(1)}{REDACTED}{match.group(1)}" if inner.strip().lower() in lowered else match.group(0)

    line = QUOTED.sub(part_of_text, line)
    words = _words_of(text)
    return words.sub(WORD, line) if words is not None else line


@lru_cache(maxsize=64)
def _words_of(text: str) -> "Optional[re.Pattern[str]]":
    """The text's longer words and numbers: libraries also log fragments of a message (a broken payload's tail)."""
    words = sorted(set(re.findall(r"\w{%d,}|\d{3,}" % SHORT, text.lower())), key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, words)), re.IGNORECASE)


def install() -> None:
    """Wraps the process's log record factory once; later calls do nothing."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        text = _current_text.get()
        if text:
            _scrub(record, text)
        return record

    _installed.append(previous)
    logging.setLogRecordFactory(factory)

    # Rasa warns about a broken `/intent{...}` payload with its text, through `warnings`, not logging.
    show = warnings.showwarning

    def showwarning(message: Any, category: Any, filename: str, lineno: int, *args: Any, **kwargs: Any) -> None:
        text = _current_text.get()
        if text:
            message = redact(str(message), text)
        show(message, category, filename, lineno, *args, **kwargs)

    warnings.showwarning = showwarning


def _scrub(record: logging.LogRecord, text: str) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep only what cannot hold the text
        message = str(record.msg)
    record.msg, record.args = redact(message, text), ()
    if record.exc_info:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info), text)
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info, text)
