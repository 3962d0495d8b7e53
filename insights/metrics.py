"""The report's numbers, computed from stored conversations.

Everything here is plain data (dicts and lists) so the HTML page and the JSON
file show exactly the same figures. Sender ids never leave this module.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from actions.constants import (
    ACTION_ADVISOR_CONTACT,
    ACTION_REPHRASE,
    ADVISOR_FORM,
    ENGLISH,
    GAP_OF_INTENT,
    INTENT_FEEDBACK_NEGATIVE,
    INTENT_FEEDBACK_POSITIVE,
    LANGUAGES,
    NLU_FALLBACK,
    READING_GAPS,
    READING_INTENTS,
    READING_KEY,
    READING_ROLES,
    SLOT_RECOMMENDATION,
    SPANISH,
)
from actions.feedback import counted_ratings
from actions.language import conversation_language, message_language
from insights.grouping import group_messages, normalise
from insights.store import Conversation

# --- what the assistant's events mean ------------------------------------------------------
# Slot, form and intent names come from actions/constants.py; the names below are the report's
# own groupings of domain.yml's actions and intents (tests/test_report.py checks each is there).

# Not understood: the FallbackClassifier's intent, and the action that asks to rephrase (after an
# unsure NLU, as the policies' core fallback, or inside a follow-up with nothing to follow).
FALLBACK_INTENTS = frozenset({NLU_FALLBACK})
FALLBACK_ACTIONS = frozenset({ACTION_REPHRASE})
# Questions the assistant recognises as outside its subject, including another "CMA"
# (e.g. Certified Management Accountant).
OUT_OF_SCOPE_INTENTS = frozenset({"out_of_scope", "ask_other_meaning"})
# 👍/👎 buttons; action_record_feedback stores {"rating": "positive"|"negative", "topic": ...} in a
# slot. Which ratings count (known topics, once per topic per conversation): actions/feedback.py.
FEEDBACK_INTENTS = frozenset({INTENT_FEEDBACK_POSITIVE, INTENT_FEEDBACK_NEGATIVE})
# Passing a student on to a human advisor.
HANDOFF_ACTIONS = frozenset({ACTION_ADVISOR_CONTACT})
# The advisor questionnaire (ADVISOR_FORM); on completion action_recommend sets SLOT_RECOMMENDATION
# to a list of credential ids.

# Conversation manners rather than questions: listed, but not in the topics chart.
SMALL_TALK_INTENTS = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "ask_capabilities"})

# What the sources don't cover: addons/knowledge_reader.py's reading of a message names the
# subjects the article lacks (gaps) and the neighbouring roles it does not describe (roles).
GAP = "gap"
ROLE = "role"
ANSWERED_BY_READING = frozenset({*READING_INTENTS, *GAP_OF_INTENT})

CONTEXT_MESSAGES = 3  # student messages shown before each 👎
FIX_FIRST = 10  # groups of failing messages in the "fix first" list
TEXT_LIMIT = 400  # characters of any one message shown (a pasted essay stays readable)

NOT_UNDERSTOOD = "not understood"
THUMBS_DOWN = "rated 👎"

# Languages the assistant answers in (actions/constants.py LANGUAGES), as the report names them.
# A conversation's language is actions/language.py's conversation_language over its student
# messages; a message's is its own (detected as it was read), else its conversation's. Stored
# conversations from before language detection carry none and count as English.
LANGUAGE_NAMES = {ENGLISH: "English", SPANISH: "Spanish"}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


@dataclass(frozen=True)
class Period:
    """Whole days from `since` to `until` (inclusive) in one time zone."""

    since: date
    until: date
    zone: tzinfo

    @property
    def start(self) -> float:
        return datetime.combine(self.since, datetime.min.time(), self.zone).timestamp()

    @property
    def end(self) -> float:
        return datetime.combine(self.until + timedelta(days=1), datetime.min.time(), self.zone).timestamp()

    def contains(self, timestamp: float) -> bool:
        return self.start <= timestamp < self.end

    def day(self, timestamp: float) -> date:
        return datetime.fromtimestamp(timestamp, self.zone).date()

    def days(self) -> List[date]:
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]


# Where the derived wording ("Inform") would not tell an advisor what was asked.
LABELS = {
    "inform": 'Follow-up (e.g. "and per hour?")',
    "ask_what_is_cma": "What is a CMA",
    "definition": "What is a CMA",
    "ask_other_meaning": 'Another "CMA" (e.g. accountant)',
    "start_advisor": "Which credential fits me (questionnaire)",
    "talk_to_human": "Talk to a person",
    "ask_why": "Why the questionnaire asks that",
    "stop": "Stop the questionnaire",
}


def label(name: Optional[str]) -> str:
    """Plain words for an intent or topic id: ask_pay_factors -> "Pay factors"."""
    if not name:
        return "Unknown"
    if name in LABELS:
        return LABELS[name]
    words = name[4:] if name.startswith("ask_") else name
    words = words.replace("_", " ").replace(" cma", " CMA")
    return words[:1].upper() + words[1:]


def _intent(event: Dict[str, Any]) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def _guess(event: Dict[str, Any]) -> Optional[str]:
    """The best real intent the classifier saw for a message that fell back."""
    ranking = (event.get("parse_data") or {}).get("intent_ranking") or []
    names = [r.get("name") for r in ranking if r.get("name") not in FALLBACK_INTENTS]
    return names[0] if names else None


def _subjects(event: Dict[str, Any]) -> Tuple[Tuple[str, str], ...]:
    """(gap | role, id) the knowledge reader found in a message the assistant answered as such."""
    parse_data = event.get("parse_data") or {}
    if ((parse_data.get("intent") or {}).get("name")) not in ANSWERED_BY_READING:
        return ()
    reading = parse_data.get(READING_KEY) or {}
    found = [(GAP, str(g)) for g in reading.get(READING_GAPS) or []]
    found += [(ROLE, str(r)) for r in reading.get(READING_ROLES) or []]
    return tuple(dict.fromkeys(found))


def _is_click(event: Dict[str, Any]) -> bool:
    """A button payload such as /ask_pay (the widget's opening /greet too), not typed text."""
    return (event.get("text") or "").startswith("/")


@dataclass
class Message:
    """One student message, with what the assistant made of it."""

    text: str
    timestamp: float
    intent: Optional[str]
    guess: Optional[str]
    click: bool
    fell_back: bool = False
    subjects: Tuple[Tuple[str, str], ...] = ()  # (gap | role, id) the sources don't cover
    language: str = ENGLISH  # its own, else its conversation's (see LANGUAGE_NAMES)

    def shown(self, clean: Callable[[str], str]) -> str:
        """What an advisor reads: the text, or which button was pressed."""
        if self.click:
            return f"[button: {label(self.intent)}]"
        text = clean(self.text)
        return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"


def _messages(conversation: Conversation) -> List[Tuple[int, Message]]:
    """(event index, message) for each student message; marks those the assistant fell back on.

    Each message's language is its own, else the conversation's (`conversation_lang`).
    """
    found: List[Tuple[int, Message]] = []
    own: List[Optional[str]] = []
    for index, event in enumerate(conversation.events):
        kind = event.get("event")
        if kind == "user":
            intent = _intent(event)
            found.append(
                (
                    index,
                    Message(
                        event.get("text") or "",
                        float(event.get("timestamp") or 0),
                        intent,
                        _guess(event),
                        _is_click(event),
                        intent in FALLBACK_INTENTS,
                        _subjects(event),
                    ),
                )
            )
            own.append(message_language(event.get("parse_data")))
        elif kind == "action" and event.get("name") in FALLBACK_ACTIONS and found:
            found[-1][1].fell_back = True  # understood an intent, but not what to do with it
    language = conversation_lang(conversation)
    for (_, message), told in zip(found, own, strict=True):
        message.language = told or language
    return found


def conversation_lang(conversation: Conversation) -> str:
    """The conversation's language: conversation_language over its student messages (English if none tells)."""
    users = [event for event in conversation.events if event.get("event") == "user"]
    return conversation_language((event.get("parse_data"), event.get("metadata")) for event in users)


@dataclass
class Collected:
    """What one pass over the conversations found; `summary()` turns it into the report's numbers."""

    period: Period
    clean: Callable[[str], str]
    day_conversations: Counter = field(default_factory=Counter)
    day_messages: Counter = field(default_factory=Counter)
    intents: Counter = field(default_factory=Counter)
    lengths: List[int] = field(default_factory=list)  # student messages per conversation
    minutes: List[float] = field(default_factory=list)  # first to last student message
    typed: int = 0
    clicks: int = 0
    fallbacks: List[Message] = field(default_factory=list)
    out_of_scope: List[Message] = field(default_factory=list)
    ratings: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    thumbs_down: List[Dict[str, Any]] = field(default_factory=list)
    down_questions: List[Message] = field(default_factory=list)  # the last student message before each 👎
    handoffs: int = 0
    handoff_conversations: int = 0
    forms_started: int = 0
    recommendations: List[List[str]] = field(default_factory=list)
    uncovered: Dict[Tuple[str, str], List[Message]] = field(default_factory=lambda: defaultdict(list))
    subject_labels: Dict[str, str] = field(default_factory=dict)  # "gap:cost" -> "Costs and fees"
    language_conversations: Counter = field(default_factory=Counter)  # language -> conversations
    language_messages: Counter = field(default_factory=Counter)  # language -> student messages
    language_typed: Counter = field(default_factory=Counter)  # language -> typed student messages


def collect(
    conversations: Iterable[Conversation],
    period: Period,
    clean: Callable[[str], str] = lambda text: text,
    subject_labels: Optional[Dict[str, str]] = None,
) -> Collected:
    """One pass over the conversations; only what happened within `period` counts.

    `clean` is applied to every message text kept for showing (e.g. redaction);
    `subject_labels` names the gaps and roles ("gap:cost" -> "Costs and fees").
    """
    found = Collected(period, clean, subject_labels=dict(subject_labels or {}))
    for conversation in conversations:
        messages = _messages(conversation)
        in_period = [m for _, m in messages if period.contains(m.timestamp)]
        if in_period:
            found.day_conversations[period.day(in_period[0].timestamp)] += 1
            found.language_conversations[conversation_lang(conversation)] += 1
            found.lengths.append(len(in_period))
            found.minutes.append((in_period[-1].timestamp - in_period[0].timestamp) / 60)
        for message in in_period:
            found.day_messages[period.day(message.timestamp)] += 1
            found.language_messages[message.language] += 1
            found.language_typed[message.language] += not message.click
            found.intents[message.intent or "unknown"] += 1
            found.clicks += message.click
            found.typed += not message.click
            if message.fell_back:
                found.fallbacks.append(message)
            if message.intent in OUT_OF_SCOPE_INTENTS:
                found.out_of_scope.append(message)
            for subject in message.subjects:
                found.uncovered[subject].append(message)

        handed_off = False
        ratings = {index: (rating, topic) for index, rating, topic in counted_ratings(conversation.events)}
        for index, event in enumerate(conversation.events):
            if not period.contains(float(event.get("timestamp") or 0)):
                continue
            kind, name = event.get("event"), event.get("name")
            if kind == "action" and name in HANDOFF_ACTIONS:
                found.handoffs += 1
                handed_off = True
            elif kind == "active_loop" and name == ADVISOR_FORM:
                found.forms_started += 1
            elif kind == "slot" and name == SLOT_RECOMMENDATION and isinstance(event.get("value"), list):
                found.recommendations.append([str(c) for c in event["value"]])
            elif index in ratings:
                _feedback(found, conversation, messages, index, *ratings[index])
        found.handoff_conversations += handed_off
    return found


def _feedback(
    found: Collected,
    conversation: Conversation,
    messages: List[Tuple[int, Message]],
    index: int,
    rating: str,
    topic: str,
) -> None:
    found.ratings[topic][rating] += 1
    if rating != "negative":
        return
    earlier = [(i, m) for i, m in messages if i < index]
    before = [m for _, m in earlier if m.intent not in FEEDBACK_INTENTS]
    if before:
        found.down_questions.append(before[-1])
    # The rated answer came before the 👎 click (the action's own "thanks" comes after it).
    clicked = earlier[-1][0] if earlier else index
    # The 👎's language is that of the message that gave it (a button click: its conversation's).
    language = earlier[-1][1].language if earlier else conversation_lang(conversation)
    found.thumbs_down.append(
        {
            "topic": topic,
            "topic_label": label(topic),
            "language": language,
            "language_label": language_name(language),
            "date": found.period.day(float(conversation.events[index]["timestamp"])).isoformat(),
            "messages": [m.shown(found.clean) for m in before[-CONTEXT_MESSAGES:]],
            "bot_answer": _last_bot_text(conversation.events[:clicked], found.clean),
        }
    )


def build(
    conversations: Iterable[Conversation],
    period: Period,
    clean: Callable[[str], str] = lambda text: text,
    subject_labels: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    """All the report's numbers for `period`, as JSON-ready data."""
    return summary(collect(conversations, period, clean, subject_labels))


def summary(found: Collected) -> Dict[str, Any]:
    """The report's numbers; rates are shares of typed messages (buttons are always understood)."""
    period, clean, typed = found.period, found.clean, found.typed
    intents, ratings, recommendations = found.intents, found.ratings, found.recommendations
    return {
        "period": {"since": period.since.isoformat(), "until": period.until.isoformat(), "timezone": str(period.zone)},
        "totals": {
            "conversations": len(found.lengths),
            "messages": typed + found.clicks,
            "typed_messages": typed,
            "button_clicks": found.clicks,
            "median_messages_per_conversation": _median(found.lengths),
            "median_minutes_per_conversation": _median(found.minutes),
        },
        "per_day": [
            {
                "date": day.isoformat(),
                "conversations": found.day_conversations[day],
                "messages": found.day_messages[day],
            }
            for day in period.days()
        ],
        "topics": [
            {"intent": intent, "label": label(intent), "messages": count, "kind": _kind(intent)}
            for intent, count in sorted(intents.items(), key=lambda item: (-item[1], item[0]))
            if intent not in FALLBACK_INTENTS | FEEDBACK_INTENTS
        ],
        "fallback": {
            "messages": len(found.fallbacks),
            "rate": _rate(len(found.fallbacks), typed),
            "texts": _counted(found.fallbacks, clean),
            "by_language": [
                {
                    "language": language,
                    "label": language_name(language),
                    "messages": len(failed),
                    "rate": _rate(len(failed), found.language_typed[language]),
                    "texts": _counted(failed, clean),
                }
                for language in LANGUAGES
                for failed in [[m for m in found.fallbacks if m.language == language]]
            ],
        },
        "out_of_scope": {
            "messages": len(found.out_of_scope),
            "rate": _rate(len(found.out_of_scope), typed),
            "texts": _counted(found.out_of_scope, clean),
        },
        "feedback": {
            "positive": sum(c["positive"] for c in ratings.values()),
            "negative": sum(c["negative"] for c in ratings.values()),
            "by_topic": [
                {"topic": topic, "label": label(topic), "positive": c["positive"], "negative": c["negative"]}
                for topic, c in sorted(
                    ratings.items(), key=lambda item: (-item[1]["negative"], -sum(item[1].values()), item[0])
                )
            ],
            "thumbs_down": found.thumbs_down,
        },
        "handoffs": {"count": found.handoffs, "conversations": found.handoff_conversations},
        "advisor_form": {
            "started": found.forms_started,
            "completed": len(recommendations),
            "by_credential": _ranked(Counter(c for r in recommendations for c in r), "credential"),
            "by_combination": [
                {"credentials": list(combination), "count": count}
                for combination, count in sorted(
                    Counter(tuple(r) for r in recommendations).items(), key=lambda item: (-item[1], item[0])
                )
            ],
            "none_suitable": sum(1 for r in recommendations if not r),
        },
        "fix_first": fix_first(found.fallbacks, found.down_questions, clean),
        "cannot_answer": cannot_answer(found),
        "languages": languages(found),
    }


def languages(found: Collected) -> List[Dict[str, Any]]:
    """Conversations and student messages per language the assistant answers in (each listed, even at 0)."""
    rows = []
    for language in LANGUAGES:
        typed = found.language_typed[language]
        not_understood = sum(1 for m in found.fallbacks if m.language == language)
        rows.append(
            {
                "language": language,
                "label": language_name(language),
                "conversations": found.language_conversations[language],
                "messages": found.language_messages[language],
                "typed_messages": typed,
                "not_understood": not_understood,
                "not_understood_rate": _rate(not_understood, typed),
                "thumbs_down": sum(1 for down in found.thumbs_down if down["language"] == language),
            }
        )
    return rows


def cannot_answer(found: Collected) -> List[Dict[str, Any]]:
    """What students ask that the sources don't cover, by subject, most asked first: content to add."""
    rows = []
    for (kind, subject), messages in found.uncovered.items():
        key = f"{kind}:{subject}"
        rows.append(
            {
                "kind": kind,
                "subject": subject,
                "label": found.subject_labels.get(key) or label(subject),
                "messages": len(messages),
                "texts": _counted(messages, found.clean),
            }
        )
    return sorted(rows, key=lambda row: (-row["messages"], row["label"]))


def _kind(intent: str) -> str:
    """ "question" (the topics chart), "small_talk" or "out_of_scope" (each shown on its own)."""
    if intent in SMALL_TALK_INTENTS:
        return "small_talk"
    return "out_of_scope" if intent in OUT_OF_SCOPE_INTENTS else "question"


def fix_first(
    fallbacks: Sequence[Message], down_questions: Sequence[Message], clean: Callable[[str], str]
) -> List[Dict[str, Any]]:
    """Groups of similar failing messages, the most frequent first: where new training data pays most."""
    reasons: Dict[str, Counter] = defaultdict(Counter)
    spoken: Dict[str, Counter] = defaultdict(Counter)  # normalised text -> its messages' languages
    texts: List[str] = []
    for messages, reason in ((fallbacks, NOT_UNDERSTOOD), (down_questions, THUMBS_DOWN)):
        for message in messages:
            if message.click:
                continue  # a button cannot be rephrased; its 👎 is about the answer, shown elsewhere
            text = clean(message.text)
            texts.append(text)
            reasons[normalise(text)][reason] += 1
            spoken[normalise(text)][message.language] += 1
    result = []
    for group in group_messages(texts)[:FIX_FIRST]:
        why: Counter = sum((reasons[k] for k in group.keys), Counter())
        said: Counter = sum((spoken[k] for k in group.keys), Counter())
        result.append(
            {
                "messages": group.total,
                "not_understood": why[NOT_UNDERSTOOD],
                "thumbs_down": why[THUMBS_DOWN],
                # messages per language, in LANGUAGES order (training examples go to that language's data)
                "languages": {language: said[language] for language in LANGUAGES if said[language]},
                "examples": [
                    {"text": t if len(t) <= TEXT_LIMIT else t[:TEXT_LIMIT] + "…", "count": c}
                    for t, c in zip(group.texts, group.counts, strict=False)
                ],
            }
        )
    return result


def _last_bot_text(events: Sequence[Dict[str, Any]], clean: Callable[[str], str]) -> Optional[str]:
    """The answer being rated: the last bot message, passing over the "Was this helpful?" prompt."""
    for event in reversed(events):
        if event.get("event") == "bot" and event.get("text") and not _asks_for_feedback(event):
            text = clean(_plain(event["text"]))
            return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "…"
    return None


def _plain(text: str) -> str:
    """Bot text without the widget's markdown: **bold** and [links](https://...) as plain words."""
    return re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text).replace("**", "")


def _asks_for_feedback(event: Dict[str, Any]) -> bool:
    buttons = (event.get("data") or {}).get("buttons") or []
    return any(str(b.get("payload", "")).lstrip("/").split("{")[0] in FEEDBACK_INTENTS for b in buttons)


def _counted(messages: Sequence[Message], clean: Callable[[str], str]) -> List[Dict[str, Any]]:
    """Distinct texts (compared normalised) with how often each came, most frequent first."""
    counts: Counter = Counter()
    first: Dict[str, str] = {}
    for message in messages:
        text = message.shown(clean)
        key = normalise(text)
        counts[key] += 1
        first.setdefault(key, text)
    return [
        {"text": first[key], "count": count}
        for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _ranked(counts: Counter, key: str) -> List[Dict[str, Any]]:
    return [{key: name, "count": count} for name, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


def _rate(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _median(values: Sequence[float], digits: int = 1) -> Optional[float]:
    return round(statistics.median(values), digits) if values else None
