"""Two languages: which one a message and a conversation are in, and the Spanish knowledge file's checks.

No Rasa server here; the end-to-end Spanish conversations are in tests/test_e2e_spanish.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.constants import ENGLISH, SPANISH
from actions.knowledge import DEFAULT_KNOWLEDGE_FILE, KnowledgeError, load_languages, translation_path
from actions.language import conversation_language, fold, page_language, tracker_language
from actions.translations import numbers
from addons.language import detect, learn, lexicons


@pytest.fixture(scope="module")
def lexicon():
    return lexicons(load_languages())


@pytest.mark.parametrize(
    "text",
    [
        "¿Cuánto gana un asistente médico certificado?",
        "cuanto gana un CMA",
        "q hace un asistente medico",
        "mi hija quiere ser auxiliar medico, que tiene que estudiar",
        "hola",
        "gracias!",
        "fui medico en el ejercito, puedo sacar la certificacion?",
    ],
)
def test_spanish_messages_are_spanish(lexicon, text):
    assert detect(text, lexicon) == SPANISH


@pytest.mark.parametrize(
    "text",
    [
        "How much do CMAs make?",
        "what is the difference between a CNA and a CMA",
        "I was a medic in the army, can I get certified?",
        "thanks",
        "hi there",
    ],
)
def test_english_messages_are_english(lexicon, text):
    assert detect(text, lexicon) == ENGLISH


@pytest.mark.parametrize("text", ["ok", "CMA", "RMA?", "/ask_pay", '/inform{"pay_period":"hourly"}', "", "👍", "5"])
def test_messages_that_cannot_tell_say_so(lexicon, text):
    assert detect(text, lexicon) is None


def test_training_examples_teach_words_that_tell_a_language():
    lexicon = {ENGLISH: frozenset({"the", "how", "much"}), SPANISH: frozenset({"el", "que", "cuanto", "un"})}
    learned = learn(lexicon, ["cuanto gana el asistente que trabaja", "how much is the salary"], margin=2)
    assert "gana" in learned[SPANISH] and "trabaja" in learned[SPANISH]
    assert "salary" in learned[ENGLISH]
    # One telling word is not enough to learn from ("el CMA"): nothing new is learned.
    assert learn(lexicon, ["el sueldo"], margin=2)[SPANISH] == lexicon[SPANISH]


def test_fold_drops_accents_but_not_enye():
    assert fold("¿Cuánto CUESTA la Certificación?") == "¿cuanto cuesta la certificacion?"
    assert fold("año") == "año"


def _user(language=None, page=None):
    return {"event": "user", "parse_data": {"language": language}, "metadata": {"language": page} if page else {}}


def test_the_conversation_is_in_the_language_of_its_latest_telling_message():
    assert tracker_language([_user(SPANISH), _user(None)]) == SPANISH  # "ok" keeps Spanish
    assert tracker_language([_user(SPANISH), _user(ENGLISH)]) == ENGLISH  # switched mid-conversation
    assert tracker_language([_user(ENGLISH), {"event": "bot", "text": "hola"}, _user(None)]) == ENGLISH


def test_the_page_language_decides_only_before_any_message_tells():
    assert tracker_language([_user(None, page="es-MX")]) == SPANISH  # the greeting on a Spanish page
    assert tracker_language([_user(ENGLISH, page="es")]) == ENGLISH  # an English writer on a Spanish page
    assert tracker_language([]) == ENGLISH
    assert conversation_language([(None, None)]) == ENGLISH


@pytest.mark.parametrize(
    "tag,expected", [("es", SPANISH), ("es-US", SPANISH), ("EN-gb", ENGLISH), ("fr", None), (3, None)]
)
def test_page_language_tags(tag, expected):
    assert page_language(tag) == expected


def test_numbers_ignore_thousands_and_decimal_marks():
    assert numbers("$39,085 a year") == numbers("39.085 $ al año")
    assert numbers("16 percent") != numbers("61 %")


# --- the Spanish knowledge file --------------------------------------------------------------


@pytest.fixture
def knowledge_pair(tmp_path: Path):
    """A copy of the shipped knowledge file and its Spanish wording, to break one at a time."""
    english = tmp_path / "cma.yml"
    english.write_text(DEFAULT_KNOWLEDGE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    spanish_file = translation_path(DEFAULT_KNOWLEDGE_FILE, SPANISH)
    if not spanish_file.exists():
        pytest.fail(f"{spanish_file} is missing: the assistant must answer in Spanish")
    spanish = yaml.safe_load(spanish_file.read_text(encoding="utf-8"))
    return english, spanish, translation_path(english, SPANISH)


def _write(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_shipped_spanish_wording_fits_the_english(knowledge_pair):
    english, spanish, spanish_path = knowledge_pair
    _write(spanish_path, spanish)
    languages = load_languages(english)
    assert set(languages) == {ENGLISH, SPANISH}
    en, es = languages[ENGLISH], languages[SPANISH]
    assert [c.id for c in es.credentials] == [c.id for c in en.credentials]
    assert es.topics.pay.figures[0].hourly == en.topics.pay.figures[0].hourly  # figures are facts
    assert es.topics.duties.intro != en.topics.duties.intro  # wording is Spanish
    # Every message is read with both languages' words.
    assert set(es.not_covered[0].cues) == set(en.not_covered[0].cues)
    assert any("enfermer" in synonym for role in en.roles for synonym in role.synonyms)


def test_a_missing_translation_stops_the_server_naming_the_entry(knowledge_pair):
    english, spanish, spanish_path = knowledge_pair
    del spanish["credentials"][1]["summary"]
    _write(spanish_path, spanish)
    with pytest.raises(KnowledgeError, match=r"credentials\[1\] \(RMA\).*summary.*no translation"):
        load_languages(english)


def test_a_translation_with_other_numbers_stops_the_server(knowledge_pair):
    english, spanish, spanish_path = knowledge_pair
    spanish["topics"]["outlook"]["growth"] = "61 %"
    _write(spanish_path, spanish)
    with pytest.raises(KnowledgeError, match=r"topics\.outlook\.growth: numbers \['61'\] where English has \['16'\]"):
        load_languages(english)


def test_a_translated_fact_or_a_moved_entry_is_refused(knowledge_pair):
    english, spanish, spanish_path = knowledge_pair
    spanish["topics"]["pay"]["figures"][0]["hourly"] = "$17.88"
    spanish["credentials"][0]["id"], spanish["credentials"][1]["id"] = "RMA", "CMA"
    _write(spanish_path, spanish)
    with pytest.raises(KnowledgeError) as raised:
        load_languages(english)
    assert "a fact, not wording" in str(raised.value)
    assert "'RMA' where English has 'CMA'" in str(raised.value)
