"""The insights report per language (issue #15), on conversations written with Rasa's own SQLTrackerStore.

Spanish, English and mixed conversations, as the bot stores them: each student message's parse data
carries the language it was detected in ("es", "en", or None for "ok", "CMA?" and button payloads),
and the widget's metadata carries the page's language. A conversation's language is
actions/language.py's conversation_language over its student messages; a message's is its own,
else its conversation's; conversations stored before language detection count as English.
tests/test_report.py covers everything else the report counts.
"""

from __future__ import annotations

import json
from datetime import date, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from insights import metrics, report, triage
from insights.store import read_conversations
from tests.helpers import TrackerScript as Script
from tests.helpers import call, run_coroutine
from tests.helpers import november_2026 as at

PERIOD = metrics.Period(date(2026, 11, 2), date(2026, 11, 8), timezone.utc)
SPANISH_PAGE = {"language": "es", "page": "/es/index.html"}  # the widget's customData on web/es/
ENGLISH_PAGE = {"language": "en", "page": "/index.html"}
SPANISH_PAY = "¿cuánto gana un asistente médico?"


def conversations() -> List[Script]:
    # On the Spanish page, in Spanish; a bare "ok" and the buttons count as Spanish too.
    ana = (
        Script("ana", SPANISH_PAGE)
        .session(at(3, 10))
        .say("/greet", "greet", language=None, action="utter_greet")
        .say(
            SPANISH_PAY,
            "ask_pay",
            language="es",
            reply="Los asistentes médicos certificados ganan **$20.76 por hora**.",
            ask_feedback=True,
        )
        .thumbs_down("pay", language=None)
        .say("q onda con el examen", "nlu_fallback", language="es")
        .say("ok", "affirm", language=None, action="utter_you_are_welcome")
    )
    # Stored before language detection: no language anywhere. English.
    ben = (
        Script("ben")
        .session(at(3, 11))
        .say("/greet", "greet", action="utter_greet")
        .say("how much do CMAs make?", "ask_pay")
        .say("blorf the snargle", "nlu_fallback")
        .say("CMA?", "nlu_fallback")
    )
    # Starts in English, goes on in Spanish: a Spanish conversation, whose first message stays English.
    carla = (
        Script("carla", ENGLISH_PAGE)
        .session(at(4, 9))
        .say("what is a CMA", "ask_what_is_cma", language="en")
        .say("y cuánto cuesta el examen", "nlu_fallback", language="es")
        .say("CMA?", "nlu_fallback", language=None)
    )
    # On the Spanish page but writing English: English, the opening /greet included.
    dan = (
        Script("dan", SPANISH_PAGE)
        .session(at(5, 14))
        .say("/greet", "greet", language=None, action="utter_greet")
        .say(
            "how much do medical assistants earn per hour",
            "ask_pay",
            language="en",
            reply="Certified medical assistants earn about **$20.76 an hour**.",
            ask_feedback=True,
        )
        .thumbs_down("pay", language=None)
    )
    # Only buttons on the Spanish page (the page's language decides): Spanish.
    eva = (
        Script("eva", {"language": "es-MX", "page": "/es/advising.html"})
        .session(at(6, 16))
        .say("/greet", "greet", language=None, action="utter_greet")
        .say("/ask_pay", "ask_pay", language=None)
    )
    # Before the period: must not count.
    old = Script("old", SPANISH_PAGE).session(at(1, 12)).say("no entiendo nada de esto", "nlu_fallback", language="es")
    return [ana, ben, carla, dan, eva, old]


def store(url: str, scripts: List[Script]) -> str:
    tracker_store = SQLTrackerStore(Domain.empty(), host=url)
    for script in scripts:
        run_coroutine(tracker_store.save(DialogueStateTracker.from_events(script.sender, script.events)))
    return url


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return store(f"sqlite:///{tmp_path_factory.mktemp('store') / 'conversations.db'}", conversations())


@pytest.fixture(scope="module")
def numbers(sqlite_url: str) -> Dict[str, Any]:
    return metrics.build(read_conversations(sqlite_url, PERIOD.start, PERIOD.end), PERIOD)


def by_language(rows: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {row["language"]: row for row in rows}


def test_conversations_and_messages_per_language(numbers: Dict[str, Any]) -> None:
    languages = by_language(numbers["languages"])
    assert [row["language"] for row in numbers["languages"]] == ["en", "es"]
    assert languages["en"] == {
        "language": "en",
        "label": "English",
        "conversations": 2,  # ben (no language stored), dan (English on the Spanish page)
        "messages": 8,  # ben 4, dan 3, carla's first
        "typed_messages": 5,
        "not_understood": 2,
        "not_understood_rate": 0.4,
        "thumbs_down": 1,
    }
    assert languages["es"] == {
        "language": "es",
        "label": "Spanish",
        "conversations": 3,  # ana, carla (switched), eva (buttons on the Spanish page)
        "messages": 9,  # ana 5, carla's last two, eva 2
        "typed_messages": 5,
        "not_understood": 3,
        "not_understood_rate": 0.6,
        "thumbs_down": 1,
    }
    # The per-language numbers add up to the report's totals.
    totals = numbers["totals"]
    assert totals["conversations"] == sum(row["conversations"] for row in numbers["languages"]) == 5
    assert totals["messages"] == sum(row["messages"] for row in numbers["languages"]) == 17
    assert totals["typed_messages"] == sum(row["typed_messages"] for row in numbers["languages"])


def test_not_understood_split_per_language(numbers: Dict[str, Any]) -> None:
    fallback = numbers["fallback"]
    assert fallback["messages"] == 5 and fallback["rate"] == 0.5
    split = by_language(fallback["by_language"])
    assert (split["en"]["label"], split["es"]["label"]) == ("English", "Spanish")
    assert split["en"]["texts"] == [{"text": "blorf the snargle", "count": 1}, {"text": "CMA?", "count": 1}]
    assert (split["en"]["messages"], split["en"]["rate"]) == (2, 0.4)
    # "CMA?" tells no language: its conversation's (Spanish, after "y cuánto cuesta el examen").
    spanish = {row["text"] for row in split["es"]["texts"]}
    assert spanish == {"q onda con el examen", "y cuánto cuesta el examen", "CMA?"}
    assert (split["es"]["messages"], split["es"]["rate"]) == (3, 0.6)
    assert "no entiendo nada de esto" not in json.dumps(numbers, ensure_ascii=False)  # before the period
    # The list of every language is as before: the same text in both languages counts together.
    assert {row["text"]: row["count"] for row in fallback["texts"]} == {
        "CMA?": 2,
        "blorf the snargle": 1,
        "q onda con el examen": 1,
        "y cuánto cuesta el examen": 1,
    }


def test_thumbs_down_labelled_with_its_language(numbers: Dict[str, Any]) -> None:
    downs = numbers["feedback"]["thumbs_down"]
    assert [(d["language"], d["language_label"], d["messages"][-1]) for d in downs] == [
        ("es", "Spanish", SPANISH_PAY),
        ("en", "English", "how much do medical assistants earn per hour"),
    ]
    assert downs[0]["bot_answer"] == "Los asistentes médicos certificados ganan $20.76 por hora."


def test_fix_first_groups_say_which_language(numbers: Dict[str, Any]) -> None:
    groups = {example["text"]: group for group in numbers["fix_first"] for example in group["examples"]}
    assert groups["blorf the snargle"]["languages"] == {"en": 1}
    assert groups["y cuánto cuesta el examen"]["languages"] == {"es": 2}  # with "q onda con el examen"
    assert groups["CMA?"]["languages"] == {"en": 1, "es": 1}  # ben's, and carla's in Spanish
    assert groups[SPANISH_PAY]["languages"] == {"es": 1}  # the question before the Spanish 👎
    for group in numbers["fix_first"]:
        assert sum(group["languages"].values()) == group["messages"]


def test_html_splits_and_labels_by_language(sqlite_url: str, tmp_path: Path) -> None:
    written = report.write_report(sqlite_url, PERIOD, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert json.loads((tmp_path / "report.json").read_text())["languages"] == written["languages"]
    assert '<h2 id="languages">Languages</h2>' in page
    assert (
        '<tr><td>Spanish</td><td class="n">3</td><td class="n">9</td><td class="n">5</td>'
        '<td class="n">3 (60.0%)</td><td class="n">1</td></tr>'
    ) in page
    assert "<caption>In Spanish: 3 typed messages (60.0% of those typed in Spanish)</caption>" in page
    assert "<caption>In English: 2 typed messages (40.0% of those typed in English)</caption>" in page
    # Spanish quotes are marked as Spanish for screen readers.
    assert '<td class="quote" lang="es">q onda con el examen</td>' in page
    assert '<td class="quote" lang="en">blorf the snargle</td>' in page
    # ... but not the report's own "[button: …]" wording.
    assert f'<li class="quote">[button: Greet]</li><li class="quote" lang="es">{SPANISH_PAY}</li>' in page
    assert ', 2026-11-03 <span class="tag">Spanish</span>' in page
    assert ', 2026-11-05 <span class="tag">English</span>' in page
    # "Fix first": each group tagged with its languages (and how many of each when mixed).
    assert '<span class="tag">English 1</span><span class="tag">Spanish 1</span>' in page
    assert '<span class="quote" lang="es">“y cuánto cuesta el examen”</span>' in page
    assert '<span class="quote">“CMA?”</span>' in page  # a mixed group: no one language


def test_english_only_report_keeps_its_lists(tmp_path: Path) -> None:
    """Old conversations (no language stored) count as English, and the lists are not split."""
    ben = next(script for script in conversations() if script.sender == "ben")
    url = store(f"sqlite:///{tmp_path / 'old.db'}", [ben])
    written = report.write_report(url, PERIOD, tmp_path)
    assert by_language(written["languages"])["en"]["conversations"] == 1
    assert by_language(written["languages"])["es"] == {
        "language": "es",
        "label": "Spanish",
        "conversations": 0,
        "messages": 0,
        "typed_messages": 0,
        "not_understood": 0,
        "not_understood_rate": None,
        "thumbs_down": 0,
    }
    assert by_language(written["fallback"]["by_language"])["en"]["texts"] == written["fallback"]["texts"]
    page = (tmp_path / "report.html").read_text()
    assert '<td class="quote">blorf the snargle</td>' in page  # the one table, as before
    assert "<caption>In English" not in page and 'class="tag">English' not in page and 'lang="es"' not in page


def test_triage_drafts_one_file_per_language(sqlite_url: str, tmp_path: Path) -> None:
    """Spanish messages are drafted beside the Spanish training data (es/), English ones beside the English."""
    out = tmp_path / "nlu" / "triage.yml"
    status, printed, err = call(
        triage.main, "--url", sqlite_url, "--since", "2026-11-02", "--until", "2026-11-08", "--out", str(out)
    )
    assert status == 0, err

    def examples(path: Path) -> List[str]:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert all(line.startswith("#") for line in lines)
        labelled = yaml.safe_load("\n".join(line[2:] for line in lines[lines.index('# version: "3.1"') :]))
        return sorted(e[2:] for entry in labelled["nlu"] for e in entry["examples"].splitlines())

    assert examples(out) == ["CMA?", "blorf the snargle", "how much do medical assistants earn per hour"]
    spanish = out.parent / "es" / "triage.yml"
    assert examples(spanish) == sorted(["CMA?", "q onda con el examen", "y cuánto cuesta el examen", SPANISH_PAY])
    assert "in Spanish the assistant did not understand" in spanish.read_text(encoding="utf-8")
    assert f"wrote {spanish}:" in printed and f"wrote {out}:" in printed

    # Labelling started in the Spanish draft: neither file is overwritten without --force.
    spanish.write_text(spanish.read_text(encoding="utf-8").replace("# nlu:", "nlu:"), encoding="utf-8")
    status, _, err = call(triage.main, "--url", sqlite_url, "--out", str(out))
    assert status == 1 and str(spanish) in err and "labelling in progress" in err
