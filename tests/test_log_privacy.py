"""The log record factory hides the message being handled, whole or in parts, and nothing else."""

from __future__ import annotations

import asyncio
import logging

from addons import log_privacy
from tests.helpers import run_coroutine


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.getLogRecordFactory()("rasa.test", logging.DEBUG, __file__, 1, message, args, None)


def test_the_whole_text_its_escaped_forms_and_quoted_parts_are_replaced():
    text = 'my name is Zoë "Z" Quetzal, born 1999'
    for line in (
        f"Received user message '{text}'",
        '{"text": %s}' % __import__("json").dumps(text),
        repr({"text": text}),
        '{"value": "Quetzal"}',
    ):
        assert "Quetzal" not in log_privacy.redact(line, text), line
    assert log_privacy.redact("action 'action_listen' ran", text) == "action 'action_listen' ran"
    # A fragment, as Rasa logs the tail of a broken /intent{...} payload.
    broken = '/ask_pay{"location": "quetzal 5550142'
    scrubbed = log_privacy.redact('Continuing without {"location": "quetzal 5550142. ', broken)
    assert "quetzal" not in scrubbed and "5550142" not in scrubbed and scrubbed.startswith("Continuing without")


def test_short_texts_are_replaced_only_where_quoted():
    assert log_privacy.redact("user said 'ok' in this", "ok") == "user said '[message text]' in this"
    assert log_privacy.redact("booking ok", "ok") == "booking ok"


def test_records_of_the_task_handling_a_message_are_scrubbed_and_other_tasks_are_not():
    log_privacy.install()

    async def handle(text: str) -> logging.LogRecord:
        log_privacy.handling(text)
        await asyncio.sleep(0)
        return _record("Received user message '%s'", text)

    async def other() -> logging.LogRecord:
        await asyncio.sleep(0)
        return _record("Received user message '%s'", "someone else's secret words")

    async def both():
        return await asyncio.gather(asyncio.create_task(handle("my secret words here")), asyncio.create_task(other()))

    mine, theirs = run_coroutine(both())
    assert mine.getMessage() == "Received user message '[message text]'"
    assert theirs.getMessage() == "Received user message 'someone else's secret words'"


def test_tracebacks_are_scrubbed_too():
    log_privacy.install()

    async def fail() -> logging.LogRecord:
        log_privacy.handling("please keep this private")
        try:
            raise ValueError("could not parse 'please keep this private'")
        except ValueError:
            import sys

            return logging.getLogRecordFactory()("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    record = run_coroutine(fail())
    assert "please keep this private" not in logging.Formatter().format(record)
    assert "ValueError" in logging.Formatter().format(record)
