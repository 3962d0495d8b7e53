"""The insights report against conversations held with the real stack over REST, on PostgreSQL.

One stack for the module: students' conversations are sent over the REST channel
(typed questions, button payloads, messages the bot does not understand, off-topic
ones, 👍/👎 from the buttons under an answer, a hand-off and the advisor form);
then `python -m insights.report` and `python -m insights.triage` read the tracker
store and their numbers are checked against what was sent and what the bot
replied. The page is rendered in headless Chromium; the screenshot goes to
results/screenshots/insights-report.png, the report and draft to results/insights-e2e/.
"""

from __future__ import annotations

import json
import re
import statistics
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from cma_stack import ROOT, Stack, postgres_database, running_stack
from insights import metrics
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, run_module

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the conversations go to PostgreSQL

SHOTS = ROOT / "results" / "screenshots"

MAX_FORM_STEPS = 10
ASKS_TO_REPHRASE = re.compile(r"\brephrase\b|still not getting it", re.IGNORECASE)

PAY = "how much do medical assistants make per hour?"
DUTIES = "what does a medical assistant do?"
CONTACT = "my email is jane.doe@example.edu, call me at 555-123-4567"
# Typed messages the current model does not understand, or places outside its subject
# (which one each is, is read from the bot's reply, not assumed).
UNCLEAR = [
    "is it hard",
    "whats the catch",
    "could you explain",
    "tell me more",
    "is it difficult",
    "any tips",
    "blorfing the snargle",
    "what is the vibe",
]
OFF_TOPIC = ["what's the best pizza in town?", "can you help me with my taxes?", CONTACT]


@dataclass
class Turn:
    text: str
    replies: List[dict]
    intent: str  # as Rasa's HTTP API reports it

    @property
    def reply_text(self) -> str:
        return "\n".join(r.get("text") or "" for r in self.replies)

    def button(self, payload_prefix: str) -> Optional[str]:
        for reply in self.replies:
            for button in reply.get("buttons") or []:
                if button["payload"].startswith(payload_prefix):
                    return button["payload"]
        return None


@dataclass
class Sent:
    """Everything the students sent, per conversation (sender ids are random)."""

    stack: Stack
    conversations: Dict[str, List[Turn]] = field(default_factory=lambda: defaultdict(list))

    def say(self, sender: str, text: str) -> Turn:
        replies = self.stack.send(sender, text)
        users = [e for e in self.stack.tracker(sender)["events"] if e["event"] == "user"]
        turn = Turn(text, replies, users[-1]["parse_data"]["intent"]["name"])
        self.conversations[sender].append(turn)
        return turn

    def turns(self) -> List[Turn]:
        return [t for turns in self.conversations.values() for t in turns]


@dataclass
class Generated:
    sent: Sent
    trackers: Dict[str, dict]  # Rasa's own view of each conversation (HTTP API)
    report: Dict[str, Any]
    html: str
    out: Path
    triage: str
    triage_stdout: str


def converse(sent: Sent) -> None:
    new = lambda: f"report-{uuid.uuid4().hex}"  # noqa: E731
    first, second, third, fourth = new(), new(), new(), new()
    for text in ("/greet", PAY, DUTIES, "/ask_pay"):
        sent.say(first, text)
    for text in ("/greet", *UNCLEAR[:4], "/ask_duties"):
        sent.say(second, text)
    for text in ("hi", *OFF_TOPIC):
        sent.say(third, text)
    for text in UNCLEAR[4:]:
        sent.say(fourth, text)
    # 👎 on the pay answer, 👍 on duties: the buttons the bot offers under its answer.
    for question, rating in ((PAY, "/feedback_negative"), (DUTIES, "/feedback_positive")):
        student = new()
        payload = sent.say(student, question).button(rating)
        assert payload, f"no {rating} button under the answer to {question!r}"
        sent.say(student, payload)
    sent.say(new(), "/talk_to_human")
    # The advisor form: the first button of every question until the recommendation.
    student = new()
    turn = sent.say(student, "/start_advisor")
    for _ in range(MAX_FORM_STEPS):
        if sent.stack.tracker(student)["slots"].get("recommendation") is not None:
            break
        payload = next((b["payload"] for r in turn.replies for b in r.get("buttons") or []), None)
        assert payload, f"the advisor form asked without buttons: {turn.reply_text!r}"
        turn = sent.say(student, payload)
    else:
        pytest.fail("the advisor form did not finish")


@pytest.fixture(scope="module")
def generated() -> Iterator[Generated]:
    today = datetime.now(timezone.utc).date()
    days = ["--since", str(today - timedelta(days=1)), "--until", str(today + timedelta(days=1))]
    out = ROOT / "results" / "insights-e2e"  # kept for a look: report.html, report.json, triage.yml
    with postgres_database() as url, running_stack(tracker_store_url=url) as stack:
        sent = Sent(stack)
        converse(sent)
        trackers = {sender: stack.tracker(sender) for sender in sent.conversations}
        made = run_module("insights.report", "--url", url, *days, "--redact", "--out", str(out))
        triage = run_module("insights.triage", "--url", url, *days, "--out", str(out / "triage.yml"))
        for result in (made, triage):
            assert result.returncode == 0, result.stdout + result.stderr
    yield Generated(
        sent,
        trackers,
        json.loads((out / "report.json").read_text()),
        (out / "report.html").read_text(),
        out,
        (out / "triage.yml").read_text(),
        triage.stdout,
    )


def fell_back(turn: Turn) -> bool:
    """What the student saw: a request to rephrase (the second in a row also offers a person)."""
    return bool(ASKS_TO_REPHRASE.search(turn.reply_text))


def off_topic(turn: Turn) -> bool:
    return turn.intent in metrics.OUT_OF_SCOPE_INTENTS


def test_conversations_and_messages(generated: Generated) -> None:
    sent, totals = generated.sent, generated.report["totals"]
    turns = sent.turns()
    assert totals["conversations"] == len(sent.conversations)
    assert totals["messages"] == len(turns)
    assert totals["button_clicks"] == sum(t.text.startswith("/") for t in turns)
    assert totals["typed_messages"] == sum(not t.text.startswith("/") for t in turns)
    assert totals["median_messages_per_conversation"] == statistics.median(map(len, sent.conversations.values()))
    per_day = generated.report["per_day"]
    assert len(per_day) == 3
    assert sum(d["messages"] for d in per_day) == len(turns)
    assert sum(d["conversations"] for d in per_day) == len(sent.conversations)


def test_not_understood_and_off_topic_match_the_replies(generated: Generated) -> None:
    typed = [t for t in generated.sent.turns() if not t.text.startswith("/")]
    misunderstood = Counter(t.text for t in typed if fell_back(t))
    assert len(misunderstood) >= 2, "the model now understands every unclear message: pick others for UNCLEAR"
    assert {t.text for t in typed if t.intent in metrics.FALLBACK_INTENTS} <= set(misunderstood)
    fallback = generated.report["fallback"]
    assert {row["text"]: row["count"] for row in fallback["texts"]} == misunderstood
    assert fallback["messages"] == sum(misunderstood.values())
    assert fallback["rate"] == round(sum(misunderstood.values()) / len(typed), 4)

    redacted = {
        t.text.replace("jane.doe@example.edu", "[email]").replace("555-123-4567", "[phone]")
        for t in typed
        if off_topic(t)
    }
    assert len(redacted) >= 2, "the model no longer calls these off-topic: pick others for OFF_TOPIC"
    assert {row["text"] for row in generated.report["out_of_scope"]["texts"]} == redacted
    # The most frequent failures lead the "fix first" list.
    listed = {e["text"] for group in generated.report["fix_first"] for e in group["examples"]}
    assert set(misunderstood) <= listed


def test_topics_match_what_rasa_recorded(generated: Generated) -> None:
    recorded = Counter(
        e["parse_data"]["intent"]["name"]
        for tracker in generated.trackers.values()
        for e in tracker["events"]
        if e["event"] == "user"
    )
    expected = {i: n for i, n in recorded.items() if i not in metrics.FALLBACK_INTENTS | metrics.FEEDBACK_INTENTS}
    assert {row["intent"]: row["messages"] for row in generated.report["topics"]} == expected
    # Button payloads are exact: each click is its intent.
    clicks = Counter(t.text[1:] for t in generated.sent.turns() if t.text in ("/ask_pay", "/ask_duties", "/greet"))
    for intent, count in clicks.items():
        assert recorded[intent] >= count


def test_feedback_handoff_and_form(generated: Generated) -> None:
    feedback = generated.report["feedback"]
    assert (feedback["positive"], feedback["negative"]) == (1, 1)
    assert {row["topic"]: (row["positive"], row["negative"]) for row in feedback["by_topic"]} == {
        "pay": (0, 1),
        "duties": (1, 0),
    }
    (down,) = feedback["thumbs_down"]
    assert down["messages"] == [PAY] and "$" in down["bot_answer"]

    def actions(name: str) -> int:
        return sum(
            e["event"] == "action" and e["name"] == name
            for tracker in generated.trackers.values()
            for e in tracker["events"]
        )

    assert generated.report["handoffs"]["count"] == actions("action_advisor_contact") >= 1
    form = generated.report["advisor_form"]
    given = [
        t["slots"]["recommendation"]
        for t in generated.trackers.values()
        if t["slots"].get("recommendation") is not None
    ]
    assert form["completed"] == len(given) == 1 and form["started"] >= 1
    assert form["by_combination"] == [{"credentials": given[0], "count": 1}]


def test_report_has_no_sender_ids_or_contact_details(generated: Generated) -> None:
    for text in (generated.html, json.dumps(generated.report), generated.triage):
        for sender in generated.sent.conversations:
            assert sender not in text
        assert "jane.doe@example.edu" not in text and "555-123-4567" not in text


def test_triage_lists_the_failures(generated: Generated) -> None:
    misunderstood = {t.text for t in generated.sent.turns() if fell_back(t)}
    lines = generated.triage.splitlines()
    assert all(line.startswith("#") for line in lines)
    for text in misunderstood:
        assert f"#     - {text}" in lines
        assert text in generated.triage_stdout
    assert f"#     - {PAY}" in lines  # the question before the 👎


@pytest.mark.browser
def test_page_in_chromium(generated: Generated) -> None:
    """The page as an advisor sees it: readable, charts drawn, nothing fetched, no WCAG A/AA violations."""
    # Playwright's sync API refuses a thread that already runs its loop (the widget tests' browser).
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(render, generated.out / "report.html").result()
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(("file://", "data:"))] == []
    assert seen["charts"] == [True, True]
    totals = generated.report["totals"]
    assert seen["cards"][0].split()[:2] == [str(totals["conversations"]), "conversations"]
    assert seen["cards"][1].split()[:3] == [str(totals["messages"]), "student", "messages"]
    for heading in (
        "What students asked the career assistant",
        "Fix first",
        "What students asked about",
        "Messages the assistant did not understand",
        "How students rated the answers",
        "Advisors",
    ):
        assert heading in seen["headings"]
    assert seen["axe"] == [], json.dumps(seen["axe"], indent=2)


def render(page_path: Path) -> Dict[str, Any]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # bypass_csp lets axe-core in; the page's own policy allows no scripts at all.
            context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            page = context.new_page()
            requests: List[str] = []
            errors: List[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            charts = page.eval_on_selector_all("img.chart", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
            page.screenshot(path=str(SHOTS / "insights-report.png"), full_page=True)
            page.add_script_tag(path=str(ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"))
            axe = page.evaluate(
                """async () => (await axe.run(document, {
                    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                })).violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"""
            )
            return {
                "requests": requests,
                "errors": errors,
                "charts": charts,
                "axe": axe,
                "cards": page.eval_on_selector_all(".card", "cs => cs.map(c => c.innerText)"),
                "headings": page.eval_on_selector_all("h1, h2", "hs => hs.map(h => h.textContent.trim())"),
            }
        finally:
            browser.close()
