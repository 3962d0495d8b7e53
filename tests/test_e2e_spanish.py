"""End to end in Spanish over HTTP: the real action server and Rasa server, one model for both languages.

Questions are written the way Spanish-speaking students type (accents or none, "q",
Spanglish); every figure in a Spanish answer is the knowledge file's, and a student
may switch language mid-conversation.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.helpers import converse, reply_text

pytestmark = pytest.mark.stack

# English sentences the Spanish answers must never fall back to.
ENGLISH_LEAKS = re.compile(r"\b(?:the|and|you|with|your|sources|don't|what|would|like)\b", re.IGNORECASE)

# (question, facts every one of which must appear in the replies)
QUESTIONS = [
    ("¿Cuánto gana un asistente médico certificado?", ["$20.76", "$39,085", "hora"]),
    ("cuanto gana un CMA al año", ["$39,085", "año"]),
    ("q hace un asistente medico en un consultorio", ["signos vitales"]),
    ("que certificaciones hay para asistente medico", ["CMA", "RMA", "NCMA", "CCMA"]),
    ("quien otorga el RMA", ["American Medical Technologists", "americanmedtech.org"]),
    ("fui medico en el ejercito, puedo sacar la certificacion?", ["RMA", "NCMA", "CCMA"]),
    ("que temas vienen en el examen de certificacion", ["farmacología"]),
    ("hay trabajo para asistentes medicos en el futuro?", ["16", "2021", "2031"]),
    ("¿cuántas veces puedo tomar el examen si lo repruebo?", ["mis fuentes no", "aama-ntl.org"]),
    ("¿Cuál es la diferencia entre un CNA y un asistente médico?", ["mis fuentes no", "asesor"]),
    ("¿puedo estudiar para asistente médico si no tengo papeles?", ["mis fuentes no", "asesor"]),
    ("¿eres un robot?", ["bot"]),
    ("¿cómo está el clima en Miami mañana?", ["fuera de lo que sé"]),
]


@pytest.mark.parametrize("question, facts", QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_spanish_question_gets_the_facts_in_spanish(stack, question, facts):
    text = reply_text(stack.send(f"e2e-es-{uuid.uuid4()}", question))
    for fact in facts:
        assert fact.lower() in text.lower(), f"{fact!r} not in reply to {question!r}:\n{text}"
    prose = re.sub(r"https?://\S+|\([^)]*\)|\*\*[^*]*\*\*|[A-Z][a-z]+(?: [A-Z][a-z]+)+", " ", text)
    assert not ENGLISH_LEAKS.search(prose), f"English in the Spanish reply to {question!r}:\n{text}"


def test_a_spanish_greeting_on_a_spanish_page_before_any_words(stack):
    """The widget's "/greet" tells no language; the page's does (message metadata)."""
    replies = stack.send(f"e2e-es-{uuid.uuid4()}", "/greet", metadata={"language": "es-US"})
    assert replies[0]["text"].startswith("¡Hola!")
    assert {"title": "¿Cuánto ganan?", "payload": "/ask_pay"} in replies[0]["buttons"]


def test_spanish_follow_ups_keep_the_language_and_the_subject(stack):
    converse(
        stack,
        [
            ("¿cuánto ganan los asistentes médicos certificados?", ["$20.76", "$39,085"], ["$17.88"]),
            ("¿y por hora?", ["$20.76", "por hora"], ["$39,085"]),
            ("ok", [], []),
            ("¿y sin certificación?", ["$17.88"], ["$20.76"]),
        ],
    )


def test_a_student_may_switch_language_mid_conversation(stack):
    sender = f"e2e-es-{uuid.uuid4()}"
    english = reply_text(stack.send(sender, "how much do certified medical assistants make?"))
    assert "an hour" in english
    spanish = reply_text(stack.send(sender, "¿y qué hacen en el trabajo?"))
    assert "signos vitales" in spanish
    back = reply_text(stack.send(sender, "what about the exam?"))
    assert "medical terminology" in back


def test_the_advisor_questionnaire_in_spanish(stack):
    sender = f"e2e-es-{uuid.uuid4()}"
    asked = [
        reply_text(stack.send(sender, message))
        for message in ("¿qué certificación me conviene a mí?", "no", "ninguno", "sí, fui médico del ejército")
    ]
    assert "programa" in asked[0].lower()  # have you completed a program?
    assert "años" in asked[1]  # how many years?
    assert "militar" in asked[2].lower() or "fuerzas armadas" in asked[2].lower()  # military training?
    assert "clínic" in asked[3].lower()  # clinical or administrative?
    result = reply_text(stack.send(sender, "clínico"))
    for credential in ("RMA", "NCMA", "CCMA"):
        assert credential in result
    prose = re.sub(r"https?://\S+|\([^)]*\)|\*\*[^*]*\*\*|[A-Z][a-z]+(?: [A-Z][a-z]+)+", " ", result)
    assert not ENGLISH_LEAKS.search(prose), result
