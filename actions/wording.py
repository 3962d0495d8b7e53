"""The shared pieces of answer wording: an answer, its buttons, the context it is worded for.

Wording modules (topic_wording, advisor_wording) only word what they are handed:
every fact, name and number comes from `knowledge/`, every decision from the
advisor rules (advisor_rules) or the reading of a message (reading). Templates
hold no digits: the "no invented numbers" test checks every answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence

from actions.knowledge import Credential, Knowledge, Organization


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> Dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Answer:
    text: str
    buttons: List[Button] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What the student asked about, from this message or earlier in the conversation."""

    credential: Optional[str] = None
    compared: Sequence[str] = ()
    organization: Optional[str] = None
    certification_status: Optional[str] = None
    pay_period: Optional[str] = None
    skill_type: Optional[str] = None
    location: Optional[str] = None

    def but(self, **changes: object) -> "Context":
        return replace(self, **changes)


def payload(intent: str, **entities: str) -> str:
    """A button payload Rasa parses without NLU, e.g. /ask_issuer{"credential":"RMA"}."""
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{intent}"


# Buttons reused across answers; titles are what the student would have typed.
PAY = Button("What do they earn?", payload("ask_pay"))
DUTIES = Button("What do they do?", payload("ask_duties"))
CREDENTIALS = Button("Which credentials exist?", payload("ask_credentials_list"))
HOW_TO_START = Button("How do I become one?", payload("ask_how_to_become"))
OUTLOOK = Button("Job outlook", payload("ask_outlook"))
PAY_FACTORS = Button("What affects pay?", payload("ask_pay_factors"))
SKILLS = Button("Skills I'll need", payload("ask_skills"))
PROGRAMS = Button("Training programs", payload("ask_programs"))
EXAM = Button("The exam", payload("ask_exam"))
RENEWAL = Button("Renewing", payload("ask_renewal"))
CAREER = Button("Where can it lead?", payload("ask_career_paths"))
WHY = Button("Why get certified?", payload("ask_why_certify"))
COMPARE_ALL = Button("Compare them", payload("compare_credentials"))
ELIGIBILITY = Button("How do I qualify?", payload("ask_eligibility"))
COST = Button("What does it cost?", payload("ask_cost"))
DURATION = Button("How long does it take?", payload("ask_duration"))


def join(items: Sequence[str], last: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def cite(kb: Knowledge, source_id: str) -> str:
    """Where a figure comes from and how current it is: "(BLS figures cited in the article, as of …)"."""
    source = kb.source(source_id)
    return f"({source.cite_as}, as of {source.accessed})" if source.accessed else f"({source.cite_as}, undated)"


def source_links(kb: Knowledge, source_ids: Sequence[str]) -> str:
    """A closing line linking the pages the figures come from (the widget links it, the shell prints it)."""
    sources = [kb.source(source_id) for source_id in dict.fromkeys(source_ids)]
    links = [source.url for source in sources if source.url]
    return f"\nSource: {' and '.join(links)}" if links else ""


def org_ref(org: Organization) -> str:
    return f"the {org.name} ({org.id}, {org.url})"


def issuer_of(kb: Knowledge, cred: Credential) -> Organization:
    return kb.organization(cred.issuer)


def credential_label(cred: Credential) -> str:
    return f"**{cred.id}** ({cred.name})"


START_ADVISOR = Button("Find my credential", payload("start_advisor"))
TALK_TO_ADVISOR = Button("Talk to an advisor", payload("talk_to_human"))
