"""The insights report and triage on conversations written with Rasa's own SQLTrackerStore.

Known conversations (fallbacks, out-of-scope, 👍/👎, hand-offs, advisor form) go
into a throwaway tracker store; the report's numbers, redaction, the date range,
the HTML and the triage draft are checked against them. The real stack over REST
is in tests/test_report_rest.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    SlotSet,
)
from rasa.shared.core.trackers import DialogueStateTracker

from cma_stack import RASA, ROOT, postgres_database, quiet_env
from insights import metrics, report, triage
from insights.grouping import group_messages
from insights.privacy import redact
from insights.store import read_conversations
from tests.helpers import TrackerScript as Script
from tests.helpers import call, run_coroutine, run_module
from tests.helpers import november_2026 as at

PERIOD = metrics.Period(date(2026, 11, 2), date(2026, 11, 8), timezone.utc)
SENDER_IDS = ["sender-alpha-7f3a", "sender-bravo-91c2", "sender-charlie-0d4e", "sender-delta-55aa", "sender-echo-b7e1"]
PAY_ANSWER = "Certified medical assistants earn about **$20.76 an hour** ([AAMA](https://www.aama-ntl.org/))."


def feedback(rating: str, topic: str) -> SlotSet:
    return SlotSet("feedback", {"rating": rating, "topic": topic})


def conversations() -> List[Script]:
    alpha = (
        Script(SENDER_IDS[0])
        .session(at(3, 10))
        .say("/greet", "greet", action="utter_greet")
        .say("how much do CMAs make?", "ask_pay", None, SlotSet("topic", "pay"), reply=PAY_ANSWER, ask_feedback=True)
        .say(
            "/feedback_negative",
            "feedback_negative",
            None,
            feedback("negative", "pay"),
            action="action_record_feedback",
        )
        # Two hours later: a second session of the same sender.
        .session(at(5, 9))
        .say("hi", "greet", action="utter_greet")
    )
    bravo = (
        Script(SENDER_IDS[1])
        .session(at(3, 11))
        .say("what does the exam cost", "nlu_fallback", "ask_cost")
        .say("how much does the exam cost??", "nlu_fallback", "ask_cost")
        .say("exam price", "ask_cost")
        .say(
            "/feedback_positive",
            "feedback_positive",
            None,
            feedback("positive", "cost"),
            action="action_record_feedback",
        )
        .say("are you about certified management accountants", "ask_other_meaning", action="utter_other_meaning")
        .say("i want to be a pilot", "out_of_scope", action="utter_out_of_scope")
        # A follow-up with nothing to follow: the action hands over to action_rephrase.
        .say("and what about it", "inform", None, ActionExecuted("action_rephrase"), action="action_follow_up")
    )
    charlie = (
        Script(SENDER_IDS[2])
        .session(at(4, 15))
        .say("email me at jane.doe@school.edu or 555-123-4567", "nlu_fallback", "ask_organization")
        .say("can I talk to an advisor", "ask_advisor", action="action_advisor_contact")
        .say("/start_advisor_form", "start_advisor_form", None, ActiveLoop("advisor_form"), action="advisor_form")
        .say(
            "I already work in a clinic",
            "inform",
            None,
            SlotSet("recommendation", ["RMA", "CCMA"]),
            ActiveLoop(None),
            action="action_recommend",
        )
        # Understood as an intent, but the policies were unsure what to do: a core fallback.
        .say("what does the exam cost", "ask_cost", action="action_rephrase")
    )
    delta = (
        Script(SENDER_IDS[3])
        .session(at(8, 23, 50))
        .say("/start_advisor_form", "start_advisor_form", None, ActiveLoop("advisor_form"), action="advisor_form")
        .say("no", "deny", None, SlotSet("recommendation", []), ActiveLoop(None), action="action_recommend")
        .say("what's on the exam", "ask_exam")
        .say("and how long is it", "inform")
        .say(
            "/feedback_negative",
            "feedback_negative",
            None,
            feedback("negative", "exam"),
            action="action_record_feedback",
        )
    )
    # Before the period: must not count.
    echo = (
        Script(SENDER_IDS[4])
        .session(at(1, 12))
        .say("how much do CMAs make?", "ask_pay")
        .say("exam fee?", "nlu_fallback", "ask_cost")
    )
    return [alpha, bravo, charlie, delta, echo]


def fill(url: str) -> None:
    store = SQLTrackerStore(Domain.empty(), host=url)
    for script in conversations():
        run_coroutine(store.save(DialogueStateTracker.from_events(script.sender, script.events)))


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'conversations.db'}"
    fill(url)
    return url


@pytest.fixture(scope="module")
def numbers(sqlite_url: str) -> Dict[str, Any]:
    return metrics.build(read_conversations(sqlite_url, PERIOD.start, PERIOD.end), PERIOD)


def test_sessions_are_conversations(sqlite_url: str) -> None:
    found = read_conversations(sqlite_url, PERIOD.start, PERIOD.end)
    # alpha has two sessions; echo (before the period) is not read at all.
    assert sorted(c.sender for c in found) == sorted(SENDER_IDS[:1] * 2 + SENDER_IDS[1:4])
    assert all(c.events[0]["name"] == "action_session_start" for c in found)


def test_totals_and_days(numbers: Dict[str, Any]) -> None:
    assert numbers["totals"] == {
        "conversations": 5,
        "messages": 21,
        "typed_messages": 15,
        "button_clicks": 6,
        "median_messages_per_conversation": 5,  # lengths 3, 1, 7, 6, 5
        "median_minutes_per_conversation": 2.0,  # 1, 0, 3, 2.5, 2
    }
    per_day = {d["date"]: (d["conversations"], d["messages"]) for d in numbers["per_day"]}
    assert len(per_day) == 7 and per_day["2026-11-02"] == (0, 0)
    assert per_day["2026-11-03"] == (2, 10)
    assert per_day["2026-11-04"] == (1, 5)
    assert per_day["2026-11-05"] == (1, 1)
    # delta starts 23:50 on the 8th (the last day): all its messages count, at 23:50:30 ... 23:52:30.
    assert per_day["2026-11-08"] == (1, 5)


def test_topics_fallbacks_and_out_of_scope(numbers: Dict[str, Any]) -> None:
    topics = {t["intent"]: t["messages"] for t in numbers["topics"]}
    assert topics["ask_cost"] == 2 and topics["greet"] == 2 and topics["ask_pay"] == 1
    assert "nlu_fallback" not in topics and "feedback_negative" not in topics
    assert numbers["topics"][0] == {
        "intent": "inform",
        "label": 'Follow-up (e.g. "and per hour?")',
        "messages": 3,
        "kind": "question",
    }
    kinds = {t["intent"]: t["kind"] for t in numbers["topics"]}
    assert (kinds["greet"], kinds["out_of_scope"], kinds["ask_other_meaning"], kinds["ask_pay"]) == (
        "small_talk",
        "out_of_scope",
        "out_of_scope",
        "question",
    )

    fallback = numbers["fallback"]
    assert fallback["messages"] == 5  # three NLU fallbacks, one by the policies, one by an action
    assert fallback["rate"] == round(5 / 15, 4)
    assert fallback["texts"][0] == {"text": "what does the exam cost", "count": 2}
    assert {"text": "email me at jane.doe@school.edu or 555-123-4567", "count": 1} in fallback["texts"]
    assert {"text": "and what about it", "count": 1} in fallback["texts"]
    assert "exam fee?" not in json.dumps(numbers)  # before the period

    assert numbers["out_of_scope"]["messages"] == 2
    assert {row["text"] for row in numbers["out_of_scope"]["texts"]} == {
        "are you about certified management accountants",
        "i want to be a pilot",
    }


def test_feedback_handoffs_and_form(numbers: Dict[str, Any]) -> None:
    feedback = numbers["feedback"]
    assert (feedback["positive"], feedback["negative"]) == (1, 2)
    assert {row["topic"]: (row["positive"], row["negative"]) for row in feedback["by_topic"]} == {
        "pay": (0, 1),
        "exam": (0, 1),
        "cost": (1, 0),
    }
    pay, exam = feedback["thumbs_down"]
    assert pay["topic"] == "pay" and pay["messages"] == ["[button: Greet]", "how much do CMAs make?"]
    assert pay["bot_answer"] == "Certified medical assistants earn about $20.76 an hour (AAMA)."  # markdown dropped
    # The two last student messages before the 👎, oldest first; the form's "no" before them as well.
    assert exam["messages"] == ["no", "what's on the exam", "and how long is it"]

    assert numbers["handoffs"] == {"count": 1, "conversations": 1}
    form = numbers["advisor_form"]
    assert (form["started"], form["completed"], form["none_suitable"]) == (2, 2, 1)
    assert form["by_credential"] == [{"credential": "CCMA", "count": 1}, {"credential": "RMA", "count": 1}]
    assert form["by_combination"] == [{"credentials": [], "count": 1}, {"credentials": ["RMA", "CCMA"], "count": 1}]


def test_forged_topics_and_repeated_clicks_do_not_count(tmp_path: Path) -> None:
    """As stored before action_record_feedback checked: each click kept, whatever its topic.

    Only the first rating of a topic the assistant asks about counts, once per conversation;
    the slot Rasa carries into the next session is not another rating.
    """

    def rated(script: Script, rating: str, topic: Any) -> Script:
        return script.say(
            f"/feedback_{rating}",
            f"feedback_{rating}",
            None,
            SlotSet("feedback", {"rating": rating, "topic": topic}),
            action="action_record_feedback",
        )

    script = (
        Script("clicker")
        .session(at(3, 10))
        .say("how much do CMAs make?", "ask_pay", None, SlotSet("topic", "pay"), reply=PAY_ANSWER, ask_feedback=True)
    )
    for rating, topic in (
        ("negative", "pay"),
        ("negative", "pay"),
        ("positive", "pay"),
        ("negative", "free pizza"),
        ("negative", "<script>"),
        ("negative", None),
    ):
        rated(script, rating, topic)
    script.session(at(5, 9))
    script.events.insert(-1, SlotSet("feedback", {"rating": "negative", "topic": "pay"}, timestamp=at(5, 9)))
    script.say("hi", "greet", action="utter_greet")

    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    run_coroutine(
        SQLTrackerStore(Domain.empty(), host=url).save(DialogueStateTracker.from_events(script.sender, script.events))
    )
    feedback = metrics.build(read_conversations(url, PERIOD.start, PERIOD.end), PERIOD)["feedback"]
    assert (feedback["positive"], feedback["negative"]) == (0, 1)
    assert feedback["by_topic"] == [{"topic": "pay", "label": "Pay", "positive": 0, "negative": 1}]
    (down,) = feedback["thumbs_down"]
    assert down["topic"] == "pay" and down["messages"] == ["how much do CMAs make?"]


def test_fix_first_groups_similar_failures(numbers: Dict[str, Any]) -> None:
    first = numbers["fix_first"][0]
    assert first["messages"] == 3 and first["not_understood"] == 3
    assert [e["text"] for e in first["examples"]] == ["what does the exam cost", "how much does the exam cost??"]
    questions_rated_down = [g for g in numbers["fix_first"] if g["thumbs_down"]]
    assert {g["examples"][0]["text"] for g in questions_rated_down} == {"how much do CMAs make?", "and how long is it"}


def test_no_sender_ids_anywhere(sqlite_url: str, tmp_path: Path) -> None:
    written = report.write_report(sqlite_url, PERIOD, tmp_path)
    for text in (json.dumps(written), (tmp_path / "report.json").read_text(), (tmp_path / "report.html").read_text()):
        for sender in SENDER_IDS:
            assert sender not in text


def test_redact() -> None:
    assert redact("mail jane.doe+cma@school.edu or call (555) 123-4567") == "mail [email] or call [phone]"
    assert redact("+1 555 123 4567, 555.123.4567, 5551234567 or 123-4567") == "[phone], [phone], [phone] or [phone]"
    kept = "pay is $37,190 a year or $20.76 an hour, since 2024, zip 90210, on 2026-11-25"
    assert redact(kept) == kept


def test_redacted_report(sqlite_url: str, tmp_path: Path) -> None:
    written = report.write_report(sqlite_url, PERIOD, tmp_path, redacted=True)
    assert {"text": "email me at [email] or [phone]", "count": 1} in written["fallback"]["texts"]
    for name in ("report.json", "report.html"):
        text = (tmp_path / name).read_text()
        assert "jane.doe@school.edu" not in text and "555-123-4567" not in text
        assert "email me at [email] or [phone]" in text


def test_the_report_counts_only_what_the_domain_has() -> None:
    """Each action, intent, form and slot the report looks for is declared in domain.yml (or is Rasa's own intent)."""
    from rasa.shared.core.constants import DEFAULT_INTENTS

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    actions = set(domain["actions"]) | set(domain["responses"])
    intents = set(domain["intents"]) | set(DEFAULT_INTENTS)
    assert metrics.FALLBACK_ACTIONS | metrics.HANDOFF_ACTIONS <= actions
    assert (
        metrics.FALLBACK_INTENTS
        | metrics.FEEDBACK_INTENTS
        | metrics.OUT_OF_SCOPE_INTENTS
        | metrics.SMALL_TALK_INTENTS
        | metrics.ANSWERED_BY_READING
    ) <= intents
    assert metrics.ADVISOR_FORM in domain["forms"] and metrics.SLOT_RECOMMENDATION in domain["slots"]


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    store = SQLTrackerStore(Domain.empty(), host=url)
    hostile = '<script>alert(1)</script><img src="https://tracker.example/x.png">'
    script = Script("someone").session(at(3, 9)).say(hostile, "nlu_fallback", "ask_pay")
    run_coroutine(store.save(DialogueStateTracker.from_events(script.sender, script.events)))
    report.write_report(url, PERIOD, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "<script" not in page and 'tracker.example/x.png">' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page.replace(
        "https://tracker.example", ""
    )


def test_empty_store_and_period(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    SQLTrackerStore(Domain.empty(), host=url)  # creates the events table
    written = report.write_report(url, PERIOD, tmp_path)
    assert written["totals"]["conversations"] == 0 and written["fallback"]["rate"] is None
    assert "No conversations in this period." in (tmp_path / "report.html").read_text()


def test_command_line(sqlite_url: str, tmp_path: Path) -> None:
    result = run_module(
        "insights.report",
        "--url",
        sqlite_url,
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-08",
        "--redact",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.returncode == 0, result.stderr
    assert "2 Nov 2026 to 8 Nov 2026: 5 conversation(s), 21 message(s), 5 not understood, 2 rated 👎" in result.stdout
    written = json.loads((tmp_path / "out" / "report.json").read_text())
    assert written["redacted"] is True and written["period"] == {
        "since": "2026-11-02",
        "until": "2026-11-08",
        "timezone": "UTC",
    }


def test_time_zone_and_bad_arguments(sqlite_url: str, tmp_path: Path) -> None:
    # Days in another time zone: delta's 23:50 UTC on the 8th is 12:50 on the 9th in Auckland.
    status, _, err = call(
        report.main,
        "--url",
        sqlite_url,
        "--since",
        "2026-11-09",
        "--until",
        "2026-11-09",
        "--timezone",
        "Pacific/Auckland",
        "--out",
        str(tmp_path / "nz"),
    )
    assert status == 0, err
    assert json.loads((tmp_path / "nz" / "report.json").read_text())["totals"]["conversations"] == 1

    for bad, reason in (
        (["--since", "2026-13-01"], "is not a date"),
        (["--since", "2026-11-09", "--until", "2026-11-08"], "is after"),
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
    ):
        status, _, err = call(report.main, "--url", sqlite_url, *bad, "--out", str(tmp_path / "bad"))
        assert status == 2 and reason in err


def test_missing_or_unreachable_store(tmp_path: Path) -> None:
    # A store that is not there is an error, not an empty report (and no empty file is left behind).
    missing = tmp_path / "storage" / "conversations.db"
    for main in (report.main, triage.main):
        status, _, err = call(main, "--url", f"sqlite:///{missing}", "--out", str(tmp_path / "missing"))
        assert status == 1 and "no tracker store at sqlite:///" in err
    assert not missing.exists()
    status, _, err = call(
        report.main, "--url", "postgresql://postgres:SECRET@127.0.0.1:1/none", "--out", str(tmp_path / "missing")
    )
    assert status == 1 and "cannot read the tracker store at postgresql://postgres:***@" in err
    assert "SECRET" not in err


# --------------------------------------------------------------------------- triage


def test_grouping_keeps_different_questions_apart() -> None:
    groups = group_messages(
        [
            "how much is the exam",
            "how much is the exam?",
            "exam cost",
            "how much does the exam cost",
            "whats the exam cost",
            "can i study online",
            "are there online programs",
            "online classes?",
            "do you like pizza",
        ]
    )
    as_sets = [set(g.texts) for g in groups]
    assert groups[0].total == 5 and as_sets[0] == {
        "how much is the exam",
        "how much is the exam?",
        "exam cost",
        "how much does the exam cost",
        "whats the exam cost",
    }
    assert {"do you like pizza"} in as_sets
    assert not any({"how much is the exam", "can i study online"} <= s for s in as_sets)


def test_grouping_beyond_the_pairwise_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rarest texts past MAX_CLUSTERED are listed alone rather than compared."""
    monkeypatch.setattr("insights.grouping.MAX_CLUSTERED", 2)
    groups = group_messages(["exam cost"] * 3 + ["whats the exam cost"] * 2 + ["how much does the exam cost"])
    assert [g.texts for g in groups] == [["exam cost", "whats the exam cost"], ["how much does the exam cost"]]


def test_triage_draft_is_commented_out_and_labels_into_valid_yaml(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "triage.yml"
    result = run_module(
        "insights.triage", "--url", sqlite_url, "--since", "2026-11-02", "--until", "2026-11-08", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    draft = out.read_text()
    assert all(line.startswith("#") for line in draft.splitlines())
    assert yaml.safe_load(draft) is None
    assert "jane.doe@school.edu" not in draft and "email me at [email] or [phone]" in draft
    assert "1. 3 message(s), 3 not understood; model's guess: ask_cost" in result.stdout

    # What a maintainer gets by removing one "# " from every line below the instructions: Rasa NLU data.
    lines = draft.splitlines()
    body = lines[lines.index('# version: "3.1"') :]
    labelled = yaml.safe_load("\n".join(line[2:] for line in body))
    assert labelled["version"] == "3.1"
    first = labelled["nlu"][0]
    assert first["intent"] == "ask_cost"
    assert first["examples"].splitlines() == ["- what does the exam cost", "- how much does the exam cost??"]
    intents = [entry["intent"] for entry in labelled["nlu"]]
    assert {"ask_pay", "inform", "ask_organization"} <= set(intents)  # 👎 questions keep the intent they got

    # Started labelling: not overwritten without --force.
    out.write_text(draft.replace("# nlu:", "nlu:"))
    status, _, err = call(triage.main, "--url", sqlite_url, "--out", str(out))
    assert status == 1 and "labelling in progress" in err
    assert "nlu:" in out.read_text().splitlines()
    assert call(triage.main, "--url", sqlite_url, "--out", str(out), "--force")[0] == 0
    assert "nlu:" not in out.read_text().splitlines()


def test_rasa_data_validate_passes_with_the_draft(sqlite_url: str, tmp_path: Path) -> None:
    """`rasa data validate --fail-on-warnings` on the project's data plus a generated triage.yml."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("triage.yml"))
    status, _, err = call(
        triage.main,
        "--url",
        sqlite_url,
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-08",
        "--out",
        str(data / "nlu" / "triage.yml"),
    )
    assert status == 0, err
    validate = subprocess.run(
        [
            str(RASA),
            "data",
            "validate",
            "--fail-on-warnings",
            "--data",
            str(data),
            "--domain",
            "domain.yml",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=quiet_env(),
        timeout=600,
    )
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr[-3000:]


@pytest.mark.postgres
def test_postgresql_store(numbers: Dict[str, Any]) -> None:
    """The same conversations give the same numbers from PostgreSQL."""
    with postgres_database() as url:
        fill(url)
        assert metrics.build(read_conversations(url, PERIOD.start, PERIOD.end), PERIOD) == numbers


def test_what_students_ask_that_the_sources_do_not_cover_is_grouped_by_subject():
    """Messages the knowledge reader answered as gaps or roles become the content-gap list (others don't count)."""
    from insights.store import Conversation

    def user(text: str, intent: str, minute: int, *tags: Tuple[str, str]) -> Dict[str, Any]:
        reading = {"gaps": [v for k, v in tags if k == "gap"], "roles": [v for k, v in tags if k == "role"]}
        return {
            "event": "user",
            "text": text,
            "timestamp": at(3, 10, minute),
            "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "reading": reading},
        }

    conversations = [
        Conversation(
            "a",
            [
                user("can I retake the cma exam?", "ask_not_covered", 1, ("gap", "exam_retakes")),
                user("what if I fail the test", "ask_not_covered", 2, ("gap", "exam_retakes")),
                user("how much do MAs make", "ask_pay", 3),
                # read as a role, but answered as career paths (the article covers it): not a gap
                user("can an MA become a nurse", "ask_career_paths", 4, ("role", "RN")),
            ],
        ),
        Conversation(
            "b",
            [
                user("CNA vs CMA?", "ask_about_role", 4, ("role", "CNA")),
                user("retake policy???", "ask_not_covered", 5, ("gap", "exam_retakes"), ("role", "CNA")),
            ],
        ),
    ]
    labels = {"gap:exam_retakes": "Exam retakes", "role:CNA": "Compared with CNAs"}
    rows = metrics.build(conversations, PERIOD, subject_labels=labels)["cannot_answer"]
    assert [(r["label"], r["kind"], r["messages"]) for r in rows] == [
        ("Exam retakes", "gap", 3),
        ("Compared with CNAs", "role", 2),
    ]
    assert {t["text"] for t in rows[0]["texts"]} == {
        "can I retake the cma exam?",
        "what if I fail the test",
        "retake policy???",
    }
    # without the knowledge file's names, the ids still say what it is
    assert metrics.build(conversations, PERIOD)["cannot_answer"][0]["label"] == "Exam retakes"


def test_the_report_names_subjects_from_the_knowledge_file():
    labels = report.subject_labels()
    assert labels["gap:exam_retakes"] == "Exam retakes"
    assert labels["role:CNA"].startswith("Compared with certified nursing assistants")
    assert labels["role:other_role"] == "Jobs the file does not list"  # asked about by a title it lacks
