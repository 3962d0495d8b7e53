"""The shared pieces of answer wording: an answer, its buttons, the context it is worded for,
and the phrasebook that words them in the student's language.

Wording modules (topic_wording, advisor_wording) only word what they are handed:
every fact, name and number comes from `knowledge/`, every decision from the
advisor rules (advisor_rules) or the reading of a message (reading). Templates
hold no digits: the "no invented numbers" test checks every answer.

Every sentence around the facts is written in English, as `say(language, "text {name}",
name=...)`; `locale/<language>/*.yml` holds each sentence's translation, keyed by the
English (as gettext does). A translation with other placeholders or digits than its
English stops the action server; tests/test_phrasebook.py checks that every `say` and
every button title has its translation.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml

from actions.constants import ENGLISH, LANGUAGES
from actions.knowledge import PROJECT_ROOT, Credential, Knowledge, KnowledgeError, Organization, load_or_exit
from actions.translations import numbers

LOCALE_DIR = PROJECT_ROOT / "locale"


class Phrasebook:
    """The answers' fixed sentences in each language, keyed by their English."""

    def __init__(self, catalogs: Mapping[str, Mapping[str, str]]) -> None:
        self.catalogs = catalogs

    def say(self, language: str, english: str, **values: Any) -> str:
        """`english` in `language`, its {placeholders} filled; English where a phrase lacks one."""
        catalog = self.catalogs.get(language, {}) if language != ENGLISH else {}
        return catalog.get(english, english).format(**values)

    def title(self, language: str, english: str) -> str:
        """A fixed button title in `language` (titles with placeholders go through `say`)."""
        catalog = self.catalogs.get(language, {}) if language != ENGLISH else {}
        return catalog.get(english, english)


def placeholders(template: str) -> List[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


def load_phrasebook(directory: Path = LOCALE_DIR) -> Phrasebook:
    """Every `locale/<language>/*.yml`, checked: same placeholders and digits as the English key."""
    catalogs: Dict[str, Dict[str, str]] = {}
    problems: List[str] = []
    for language in LANGUAGES:
        for path in sorted((directory / language).glob("*.yml")) if language != ENGLISH else []:
            try:
                entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as error:
                raise KnowledgeError(f"{path}: cannot read the phrases: {error}") from error
            catalog = catalogs.setdefault(language, {})
            for english, translated in entries.items():
                where = f"{path.name}: '{english}'"
                if not isinstance(translated, str) or not translated.strip():
                    problems.append(f"{where}: no translation")
                elif placeholders(translated) != placeholders(english):
                    problems.append(
                        f"{where}: placeholders {placeholders(translated)} where English has {placeholders(english)}"
                    )
                elif numbers(translated) != numbers(english):
                    problems.append(f"{where}: other numbers than the English")
                elif catalog.get(english, translated) != translated:
                    problems.append(f"{where}: translated twice, differently")
                else:
                    catalog[english] = translated
    if problems:
        raise KnowledgeError(
            f"{directory}: the phrasebook is invalid; the action server will not start.\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )
    return Phrasebook(catalogs)


PHRASES = load_or_exit(load_phrasebook)
say = PHRASES.say


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
    language: str = ENGLISH  # the language to answer in (actions/language.py)

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
WORTH_IT = Button("Is it worth it?", payload("ask_worth_it"))
COMPARE_ALL = Button("Compare them", payload("compare_credentials"))
ELIGIBILITY = Button("How do I qualify?", payload("ask_eligibility"))
COST = Button("What does it cost?", payload("ask_cost"))
DURATION = Button("How long does it take?", payload("ask_duration"))


# Spanish "y" becomes "e" before an "i" sound ("enfermeros e intérpretes", but "agua y hielo"), and
# "o" becomes "u" before an "o" sound ("CMA u otra"); bold marks and other signs before the word do not count.
_SPANISH_E = re.compile(r"^\W*(?:h?[ií](?![aeoáéó]))", re.IGNORECASE)
_SPANISH_U = re.compile(r"^\W*h?[oó]", re.IGNORECASE)


def join(items: Sequence[str], last: str = "and", language: str = ENGLISH) -> str:
    """ "a, b and c" (Spanish: "a, b y c"; "and" and "or" are translated, "y"/"o" as the next word needs)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    word = say(language, last)
    if word == "y" and _SPANISH_E.match(items[-1]):
        word = "e"
    elif word == "o" and _SPANISH_U.match(items[-1]):
        word = "u"
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def cite(kb: Knowledge, source_id: str, language: str = ENGLISH) -> str:
    """Where a figure comes from and how current it is: "(BLS figures cited in the article, as of …)"."""
    source = kb.source(source_id)
    if source.accessed:
        return say(language, "({source}, as of {date})", source=source.cite_as, date=source.accessed)
    return say(language, "({source}, undated)", source=source.cite_as)


def source_links(kb: Knowledge, source_ids: Sequence[str], language: str = ENGLISH) -> str:
    """A closing line linking the pages the figures come from (the widget links it, the shell prints it)."""
    sources = [kb.source(source_id) for source_id in dict.fromkeys(source_ids)]
    links = [source.url for source in sources if source.url]
    return "\n" + say(language, "Source: {links}", links=f" {say(language, 'and')} ".join(links)) if links else ""


def org_ref(org: Organization, language: str = ENGLISH) -> str:
    """The body's English name, its gloss in the answer's language where it has one, id and address."""
    if org.gloss and language != ENGLISH:
        return say(
            language, "the {name} ({gloss}; {id}, {url})", name=org.name, gloss=org.gloss, id=org.id, url=org.url
        )
    return say(language, "the {name} ({id}, {url})", name=org.name, id=org.id, url=org.url)


def issuer_of(kb: Knowledge, cred: Credential) -> Organization:
    return kb.organization(cred.issuer)


def credential_label(cred: Credential, language: str = ENGLISH) -> str:
    if cred.gloss and language != ENGLISH:
        return f"**{cred.id}** ({cred.name}, {cred.gloss})"
    return f"**{cred.id}** ({cred.name})"


def translated(answer: Answer, language: str) -> Answer:
    """The answer with its fixed button titles in `language` (the text is worded in it already)."""
    if language == ENGLISH:
        return answer
    return Answer(answer.text, [Button(PHRASES.title(language, b.title), b.payload) for b in answer.buttons])


START_ADVISOR = Button("Find my credential", payload("start_advisor"))
TALK_TO_ADVISOR = Button("Talk to an advisor", payload("talk_to_human"))
