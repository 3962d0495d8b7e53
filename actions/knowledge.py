"""Load and validate the knowledge file: the single source of every fact the bot states.

The file is checked once, at action-server start. Anything wrong (a missing
field, an unknown source or organization, a typo in a credential's issuer)
stops the server with a message naming the file, the entry and the field, so a
half-valid knowledge base never answers students.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Type, TypeVar

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, root_validator, validator

from actions.constants import ENGLISH, LANGUAGES, TOPIC_OF_INTENT
from actions.language import fold
from actions.translations import TranslationError, merge

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_FILE = PROJECT_ROOT / "knowledge" / "cma.yml"
KNOWLEDGE_FILE_ENV = "CMA_KNOWLEDGE_FILE"
DEFAULT_SITE_FILE = PROJECT_ROOT / "knowledge" / "site.yml"
SITE_FILE_ENV = "CMA_SITE_FILE"

# Entity labels whose vocabulary comes from named entries rather than the
# `vocabulary` section.
CREDENTIAL = "credential"
ORGANIZATION = "organization"

logger = logging.getLogger(__name__)


class _YamlLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so answers like `yes`, `no`, `on` stay words."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class KnowledgeError(Exception):
    """The knowledge file cannot be used; the message says where and why."""


def _https(value: str) -> str:
    """Links students are sent to must be secure."""
    if not value.startswith("https://"):
        raise ValueError("must be an https:// address")
    return value


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True
        min_anystr_length = 1


class Source(_Strict):
    id: str
    title: str
    publisher: str
    cite_as: str
    url: Optional[str] = None
    accessed: Optional[str] = None


class Organization(_Strict):
    id: str
    name: str
    role: str
    gloss: Optional[str] = None  # the name explained in the answer's language (US names stay in English)
    url: str
    source: str
    synonyms: List[str] = Field(default_factory=list)

    _url_is_https = validator("url", allow_reuse=True)(lambda cls, value: _https(value))


class Credential(_Strict):
    id: str
    name: str
    gloss: Optional[str] = None  # the name explained in the answer's language
    issuer: str
    summary: str
    qualify: str
    focus: Optional[str] = None
    routes: List[str] = Field(min_items=1)
    source: str
    experience_note: Optional[str] = None
    synonyms: List[str] = Field(default_factory=list)


class Path_(_Strict):
    id: str
    name: str
    short: str
    summary: str
    source: str
    accreditors: List[str] = Field(default_factory=list)
    program: bool = False  # a training program, as opposed to experience or military training


class PayFigure(_Strict):
    group: str
    label: str
    measure: str
    hourly: str
    yearly: str
    source: str
    credential: Optional[str] = None  # the credential this figure describes, if one

    @validator("group")
    def _known_group(cls, value: str) -> str:
        if value not in ("certified", "non_certified"):
            raise ValueError("must be 'certified' or 'non_certified'")
        return value

    @validator("hourly", "yearly")
    def _is_money(cls, value: str) -> str:
        if not re.fullmatch(r"\$\d{1,3}(,\d{3})*(\.\d{2})?", value):
            raise ValueError(f"'{value}' is not a dollar amount like $17.88 or $37,190")
        return value


class Definition(_Strict):
    summary: str
    detail: str
    role: str
    source: str


class Duties(_Strict):
    intro: str
    items: List[str] = Field(min_items=1)
    varies: str
    source: str


class Pay(_Strict):
    figures: List[PayFigure] = Field(min_items=1)
    factors: List[str] = Field(min_items=1)
    notes: List[str] = Field(default_factory=list)
    source: str

    def figure(self, group: str) -> Optional[PayFigure]:
        return next((f for f in self.figures if f.group == group), None)


class Outlook(_Strict):
    growth: str
    period: str
    all_jobs_growth: str
    summary: str
    source: str


class Program(_Strict):
    summary: str
    subjects: List[str] = Field(min_items=1)
    source: str


class Exam(_Strict):
    summary: str
    topics: List[str] = Field(min_items=1)
    source: str


class Renewal(_Strict):
    summary: str
    source: str


class Skill(_Strict):
    name: str
    examples: str


class Skills(_Strict):
    technical: List[Skill] = Field(min_items=1)
    human: List[Skill] = Field(min_items=1)
    on_the_job: str
    source: str


class CareerPaths(_Strict):
    specialties: List[str] = Field(min_items=1)
    further: List[str] = Field(min_items=1)
    summary: str
    source: str


class WhyCertify(_Strict):
    benefits: List[str] = Field(min_items=1)
    employers: str
    source: str


class HowToBecome(_Strict):
    steps: List[str] = Field(min_items=1)
    source: str


class Topics(_Strict):
    definition: Definition
    duties: Duties
    pay: Pay
    outlook: Outlook
    program: Program
    exam: Exam
    renewal: Renewal
    skills: Skills
    career_paths: CareerPaths
    why_certify: WhyCertify
    how_to_become: HowToBecome


# Who a student is sent to besides the organizations: the issuer of the credential
# under discussion, the school's advising office (site.yml), the state they work in.
ISSUER_REFERENCE = "issuer"
ADVISORS_REFERENCE = "advisors"
STATE_REFERENCE = "state"
REFERENCES = (ISSUER_REFERENCE, ADVISORS_REFERENCE, STATE_REFERENCE)

# Answers that `answer_with` may name (the topic answers in actions/wording).
ANSWER_TOPICS = (
    "definition",
    "duties",
    "pay",
    "pay_factors",
    "outlook",
    "skills",
    "career_paths",
    "why_certify",
    "worth_it",
    "how_to_become",
    "programs",
    "exam",
    "renewal",
    "credentials",
    "eligibility",
    "compare",
)


# In a gap's `answer_with`: the topic the student asked about, as the classifier saw it, gives the
# nearest facts ("how many CEUs for the CMA?" -> what the article says about renewal).
ASKED_TOPIC = "asked"


def _topic(value: str) -> str:
    if value not in ANSWER_TOPICS:
        raise ValueError(f"unknown topic '{value}' (known: {', '.join(ANSWER_TOPICS)})")
    return value


def _classified_topic(value: str) -> str:
    if value not in TOPIC_OF_INTENT.values():
        raise ValueError(f"unknown topic '{value}' (known: {', '.join(TOPIC_OF_INTENT.values())})")
    return value


def _cue_syntax(cue: str) -> str:
    """A cue is parts joined by " + ", each part alternatives joined by "|", then optionally " - " and
    alternatives that must not occur; none may be empty."""
    wanted, dash, excluded = cue.partition(" - ")
    parts = wanted.split(" + ") + ([excluded] if dash else [])
    if " - " in excluded:
        raise ValueError(f"cue '{cue}' has more than one ' - ' (write 'a + b - c|d')")
    for part in parts:
        if not all(alt.strip().strip("*") for alt in part.split("|")):
            raise ValueError(f"cue '{cue}' has an empty alternative (write 'a|b + c - d')")
    return cue


class Gap(_Strict):
    """A question the article does not answer, what it says nearby, and who to ask instead."""

    id: str
    subject: str
    refer_to: List[str] = Field(min_items=1)
    label: Optional[str] = None
    article_says: Optional[str] = None
    answer_with: List[str] = Field(default_factory=list)  # topic answers that give the article's nearest facts
    cues: List[str] = Field(default_factory=list)
    # A kind of detail ("how many", "may an MA ...?") rather than a subject: read only when no subject gap
    # is, and not when the topic the classifier saw is one of these, whose answer gives that detail.
    answered_by: Optional[List[str]] = None
    # An entity of `vocabulary` whose words are one more cue ("location": "in California", "my state").
    cues_from: Optional[str] = None
    # Its words are everyday outside health-care careers too ("vaccines", "visa", "English level"): a cue of
    # one part reads it only beside `career_words`, a credential's, body's or role's name, a pronoun pointing
    # back, or in a short question (actions/reading.py `read`).
    everyday_words: bool = False

    _cues_parse = validator("cues", each_item=True, allow_reuse=True)(lambda cls, value: _cue_syntax(value))
    _known_topics = validator("answer_with", each_item=True, allow_reuse=True)(
        lambda cls, value: value if value == ASKED_TOPIC else _topic(value)
    )
    _answering_topics = validator("answered_by", each_item=True, allow_reuse=True)(
        lambda cls, value: _classified_topic(value)
    )

    @property
    def is_detail(self) -> bool:
        return self.answered_by is not None


class Role(_Strict):
    """A neighbouring role (CNA, nurse, ...): in scope, but the article does not describe it."""

    id: str
    name: str
    plural: str
    synonyms: List[str] = Field(default_factory=list)  # only the unlisted roles' entry has none
    refer_to: List[str] = Field(min_items=1)
    article_says: Optional[str] = None
    answered_by: List[str] = Field(default_factory=list)  # topics whose answer covers the role

    _known_topics = validator("answered_by", each_item=True, allow_reuse=True)(lambda cls, value: _topic(value))


class UnlistedRoles(_Strict):
    """Jobs asked about by a title the roles do not list ("what does a patient care coordinator do?")."""

    role: str  # the role entry whose answer they get
    asked_with: List[str] = Field(min_items=1)  # phrases a title follows
    title_words: List[str] = Field(min_items=1)  # words that make a title ("technician")
    own_titles: List[str] = Field(min_items=1)  # titles that mean a medical assistant
    ends_with: List[str] = Field(min_items=1)  # words after a title ("do", "earn")


class Circumstance(_Strict):
    """Something a student says about themselves that decides the answer ("I was an army medic")."""

    id: str
    label: str
    cues: List[str] = Field(min_items=1)
    sets: Dict[str, str] = Field(default_factory=dict)  # advisor slot -> option value ("years": read from text)
    answer_with: List[str] = Field(default_factory=list)
    # The student already holds a credential: what keeps and grows it (answer_with), not credentials to aim for.
    holds_credential: bool = False

    _cues_parse = validator("cues", each_item=True, allow_reuse=True)(lambda cls, value: _cue_syntax(value))
    _known_topics = validator("answer_with", each_item=True, allow_reuse=True)(lambda cls, value: _topic(value))


class Feelings(_Strict):
    """Worries ("I hope I made the right decision") get this acknowledgement before the facts."""

    reply: str
    cues: List[str] = Field(min_items=1)

    _cues_parse = validator("cues", each_item=True, allow_reuse=True)(lambda cls, value: _cue_syntax(value))


class OtherMeaning(_Strict):
    """Another thing the same letters stand for, e.g. CMA = Certified Management Accountant."""

    acronym: str
    meaning: str
    field: str
    cues: List[str] = Field(min_items=1)  # cue syntax ("baby + allergy"), as elsewhere

    _cues_parse = validator("cues", each_item=True, allow_reuse=True)(lambda cls, value: _cue_syntax(value))


# --- the advisor conversation ----------------------------------------------------

ADVISOR_SLOTS = ("program", "experience", "military", "focus")
YEARS_FROM_TEXT = "years"  # a situation's `sets: {experience: years}`: read the number from the message
STANDINGS = ("ready", "after_program", "check", "plan")  # strongest first


def _standing(value: str) -> str:
    if value not in STANDINGS:
        raise ValueError(f"unknown standing '{value}' (known: {', '.join(STANDINGS)})")
    return value


class Option(_Strict):
    value: str
    title: str
    phrases: List[str] = Field(default_factory=list)


class Question(_Strict):
    slot: str
    kind: str
    ask: str
    why: str
    hint: str
    options: List[Option] = Field(default_factory=list)  # choice questions
    buttons: List[str] = Field(default_factory=list)  # years question: example answers
    none_phrases: List[str] = Field(default_factory=list)  # years question: ways to say "none"

    @validator("slot")
    def _known_slot(cls, value: str) -> str:
        if value not in ADVISOR_SLOTS:
            raise ValueError(f"unknown slot '{value}' (known: {', '.join(ADVISOR_SLOTS)})")
        return value

    @validator("kind")
    def _known_kind(cls, value: str) -> str:
        if value not in ("choice", "years"):
            raise ValueError("must be 'choice' or 'years'")
        return value

    @root_validator(skip_on_failure=True)
    def _options_fit_kind(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if values["kind"] == "choice" and len(values["options"]) < 2:
            raise ValueError("a choice question needs at least two options")
        if values["kind"] == "years" and values["options"]:
            raise ValueError("a years question takes `buttons` and `none_phrases`, not options")
        return values


class Condition(_Strict):
    """Answers a rule needs; every key given must hold. A skipped answer satisfies nothing."""

    program: Optional[List[str]] = None
    military: Optional[List[str]] = None
    focus: Optional[List[str]] = None
    min_years: Optional[float] = None
    above_years: Optional[float] = None
    max_years: Optional[float] = None


class AdvisorRule(_Strict):
    credential: str
    when: Condition
    standing: str
    reason: str
    source: str

    _known_standing = validator("standing", allow_reuse=True)(lambda cls, value: _standing(value))


class FocusFit(_Strict):
    credentials: List[str] = Field(min_items=1)
    when: List[str] = Field(min_items=1)
    fit: str
    note: str

    @validator("fit")
    def _known_fit(cls, value: str) -> str:
        if value not in ("good", "poor"):
            raise ValueError("must be 'good' or 'poor'")
        return value


class Step(_Strict):
    when: Condition
    text: str
    top_standing: Optional[List[str]] = None

    _known_standing = validator("top_standing", each_item=True, allow_reuse=True)(lambda cls, value: _standing(value))


class Advisor(_Strict):
    questions: List[Question] = Field(min_items=1)
    rules: List[AdvisorRule] = Field(min_items=1)
    focus: List[FocusFit] = Field(default_factory=list)
    steps: List[Step] = Field(min_items=1)

    def question(self, slot: str) -> Question:
        return next(q for q in self.questions if q.slot == slot)


class Knowledge(_Strict):
    sources: List[Source] = Field(min_items=1)
    organizations: List[Organization] = Field(min_items=1)
    credentials: List[Credential] = Field(min_items=1)
    paths: List[Path_] = Field(min_items=1)
    topics: Topics
    not_covered: List[Gap] = Field(min_items=1)
    roles: List[Role] = Field(default_factory=list)
    situations: List[Circumstance] = Field(default_factory=list)
    feelings: Optional[Feelings] = None
    subject_words: List[str] = Field(default_factory=list)  # cues: a message about medical assisting
    career_words: List[str] = Field(default_factory=list)  # cues: working or training (gives everyday words context)
    outside_words: List[str] = Field(default_factory=list)  # cues: a question no career answer fits (exam drills)
    patient_words: List[str] = Field(default_factory=list)  # cues: a patient's question (outside unless a career)
    first_person_words: List[str] = Field(default_factory=list)  # cues: said about oneself (a situation may follow)
    advisor_words: List[str] = Field(default_factory=list)  # cues: asks which credential fits the asker
    unlisted_roles: Optional[UnlistedRoles] = None
    topic_words: Dict[str, List[str]] = Field(default_factory=dict)  # topic -> cues naming it

    @validator("topic_words")
    def _topic_words_parse(cls, value: Dict[str, List[str]]) -> Dict[str, List[str]]:
        for topic, cues in value.items():
            _topic(topic)
            for cue in cues:
                _cue_syntax(cue)
        return value

    _subject_cues_parse = validator(
        "subject_words",
        "career_words",
        "outside_words",
        "patient_words",
        "first_person_words",
        "advisor_words",
        each_item=True,
        allow_reuse=True,
    )(lambda cls, value: _cue_syntax(value))
    other_meanings: List[OtherMeaning] = Field(default_factory=list)
    advisor: Advisor
    vocabulary: Dict[str, Dict[str, List[str]]]
    # Phrases that hold an entity's words but mean something else ("a la hora de" = "when it comes to",
    # not an hourly wage): the entity ruler reads them as one longer span that is no entity.
    not_entities: List[str] = Field(default_factory=list)

    @root_validator(skip_on_failure=True)
    def _references_resolve(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        """Every id a fact points at must exist; these are the typos a schema cannot see."""
        problems: List[str] = []
        for section in ("sources", "organizations", "credentials", "paths", "not_covered", "roles", "situations"):
            seen = set()
            for index, entry in enumerate(values[section]):
                if entry.id in seen:
                    problems.append(f"{section}[{index}] ({entry.id}): field 'id': duplicate id '{entry.id}'")
                seen.add(entry.id)
        source_ids = {s.id for s in values["sources"]}
        org_ids = {o.id for o in values["organizations"]}
        path_ids = {p.id for p in values["paths"]}

        def check(where: str, field: str, value: str, allowed: Iterable[str], kind: str) -> None:
            allowed = set(allowed)
            if value not in allowed:
                problems.append(
                    f"{where}: field '{field}': unknown {kind} '{value}' (known: {', '.join(sorted(allowed))})"
                )

        for section in ("organizations", "credentials", "paths"):
            for index, entry in enumerate(values[section]):
                check(f"{section}[{index}] ({entry.id})", "source", entry.source, source_ids, "source")
        for index, cred in enumerate(values["credentials"]):
            where = f"credentials[{index}] ({cred.id})"
            check(where, "issuer", cred.issuer, org_ids, "organization")
            for route in cred.routes:
                check(where, "routes", route, path_ids, "path")
        for index, path in enumerate(values["paths"]):
            for org in path.accreditors:
                check(f"paths[{index}] ({path.id})", "accreditors", org, org_ids, "organization")
        for section in ("not_covered", "roles"):
            for index, entry in enumerate(values[section]):
                for org in entry.refer_to:
                    check(
                        f"{section}[{index}] ({entry.id})", "refer_to", org, org_ids | set(REFERENCES), "organization"
                    )
        topics: Topics = values["topics"]
        for name in Topics.__fields__:
            check(f"topics.{name}", "source", getattr(topics, name).source, source_ids, "source")
        credential_ids = {c.id for c in values["credentials"]}
        for index, figure in enumerate(topics.pay.figures):
            check(f"topics.pay.figures[{index}]", "source", figure.source, source_ids, "source")
            if figure.credential:
                check(f"topics.pay.figures[{index}]", "credential", figure.credential, credential_ids, "credential")
        for index, gap in enumerate(values["not_covered"]):
            if gap.cues_from:
                check(
                    f"not_covered[{index}] ({gap.id})",
                    "cues_from",
                    gap.cues_from,
                    set(values["vocabulary"]),
                    "vocabulary entity",
                )
            if gap.is_detail and not (gap.cues or gap.cues_from):
                problems.append(f"not_covered[{index}] ({gap.id}): a kind of detail needs cues")
        for label in values["vocabulary"]:
            if label in (CREDENTIAL, ORGANIZATION):
                problems.append(
                    f"vocabulary.{label}: field '{label}': "
                    f"{label} names come from the '{label}s' entries, not the vocabulary"
                )
        unlisted: Optional[UnlistedRoles] = values.get("unlisted_roles")
        role_ids = {r.id for r in values["roles"]}
        if unlisted:
            check("unlisted_roles", "role", unlisted.role, role_ids, "role")
        for index, role in enumerate(values["roles"]):
            if not role.synonyms and not (unlisted and role.id == unlisted.role):
                problems.append(f"roles[{index}] ({role.id}): field 'synonyms': a role is named by its synonyms")
        problems.extend(_advisor_problems(values["advisor"], credential_ids, org_ids, source_ids))
        problems.extend(_situation_problems(values["situations"], values["advisor"]))
        if problems:
            raise ValueError("; ".join(problems))
        return values

    # --- look-ups used by the actions -------------------------------------

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def organization(self, org_id: str) -> Organization:
        return next(o for o in self.organizations if o.id == org_id)

    def credential(self, cred_id: Optional[str]) -> Optional[Credential]:
        return next((c for c in self.credentials if c.id == cred_id), None)

    def path(self, path_id: str) -> Path_:
        return next(p for p in self.paths if p.id == path_id)

    def gap(self, gap_id: str) -> Gap:
        return next(g for g in self.not_covered if g.id == gap_id)

    def gap_cues(self, gap: Gap) -> List[str]:
        """A gap's cues, with the words of its `cues_from` entity as one more."""
        if not gap.cues_from:
            return gap.cues
        words = [
            word
            for value, synonyms in self.vocabulary[gap.cues_from].items()
            for word in ([value] if value[:1].isupper() else []) + list(synonyms)
        ]
        return [*gap.cues, "|".join(words)]

    def role(self, role_id: str) -> Role:
        return next(r for r in self.roles if r.id == role_id)

    def situation(self, situation_id: str) -> Circumstance:
        return next(s for s in self.situations if s.id == situation_id)

    @property
    def credential_ids(self) -> List[str]:
        return [c.id for c in self.credentials]

    def entity_vocabulary(self) -> Dict[str, Dict[str, List[str]]]:
        """Entity label -> canonical value -> lowercase phrases people use for it.

        Credential and organization phrases are derived from their entries
        (id, full name, synonyms, plurals), so a new credential needs no NLU edit.
        """
        vocab: Dict[str, Dict[str, List[str]]] = {CREDENTIAL: {}, ORGANIZATION: {}}
        for cred in self.credentials:
            base = [cred.id, cred.name, *cred.synonyms]
            vocab[CREDENTIAL][cred.id] = _phrases(base + [b + "s" for b in base])
        for org in self.organizations:
            vocab[ORGANIZATION][org.id] = _phrases([org.id, org.name, *org.synonyms])
        for label, values in self.vocabulary.items():
            # A capitalized value is a name ("Texas") and matches itself; a lowercase
            # one is an id ("certified") and matches only its listed phrases.
            vocab[label] = {
                value: _phrases(([value] if value[:1].isupper() else []) + phrases) for value, phrases in values.items()
            }
        return vocab


class AdvisingContact(_Strict):
    office: str
    contact: str
    email: str
    phone: str
    hours: str
    booking_url: str

    @validator("email")
    def _is_email(cls, value: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError(f"'{value}' is not an e-mail address")
        return value

    @validator("phone")
    def _is_phone(cls, value: str) -> str:
        if not re.fullmatch(r"[+()\d][\d ()./-]{6,}", value):
            raise ValueError(f"'{value}' is not a phone number")
        return value

    _url_is_https = validator("booking_url", allow_reuse=True)(lambda cls, value: _https(value))


class SiteWording(_Strict):
    """The advising office's words in another language (name, advisor's title, hours; addresses are the same)."""

    office: str
    contact: str
    hours: str


class Site(_Strict):
    """The school running the assistant: the human advisors students are handed to."""

    school: str
    advising: AdvisingContact
    es: Optional[SiteWording] = None

    def office(self, language: str) -> str:
        return self._worded(language, "office")

    def contact(self, language: str) -> str:
        return self._worded(language, "contact")

    def hours(self, language: str) -> str:
        return self._worded(language, "hours")

    def _worded(self, language: str, field: str) -> str:
        """A field of the advising office in `language`, where the file words it; else the English."""
        wording = getattr(self, language, None) if language != ENGLISH else None
        return getattr(wording or self.advising, field)


def _advisor_problems(
    advisor: Advisor, credential_ids: Iterable[str], org_ids: Iterable[str], source_ids: Iterable[str]
) -> List[str]:
    """Rules may only use questions, options, credentials and placeholders that exist."""
    problems: List[str] = []
    credential_ids, org_ids = set(credential_ids), set(org_ids)
    asked = [q.slot for q in advisor.questions]
    for slot in ADVISOR_SLOTS:
        if asked.count(slot) != 1:
            problems.append(f"advisor.questions: field 'slot': '{slot}' must be asked exactly once")
    options = {q.slot: {o.value for o in q.options} for q in advisor.questions}

    def check_condition(where: str, when: Condition) -> None:
        for slot in ("program", "military", "focus"):
            for value in getattr(when, slot) or []:
                if value not in options.get(slot, set()):
                    problems.append(f"{where}: field 'when.{slot}': unknown answer '{value}'")

    for index, rule in enumerate(advisor.rules):
        where = f"advisor.rules[{index}] ({rule.credential})"
        if rule.credential not in credential_ids:
            problems.append(f"{where}: field 'credential': unknown credential '{rule.credential}'")
        if rule.source not in source_ids:
            problems.append(f"{where}: field 'source': unknown source '{rule.source}'")
        check_condition(where, rule.when)
    for index, fit in enumerate(advisor.focus):
        where = f"advisor.focus[{index}]"
        for cred in fit.credentials:
            if cred not in credential_ids:
                problems.append(f"{where}: field 'credentials': unknown credential '{cred}'")
        for value in fit.when:
            if value not in options.get("focus", set()):
                problems.append(f"{where}: field 'when': unknown answer '{value}'")
    known = org_ids | {"credential", "issuer"}
    for index, step in enumerate(advisor.steps):
        where = f"advisor.steps[{index}]"
        check_condition(where, step.when)
        for name in re.findall(r"{([^{}]*)}", step.text):
            if name not in known:
                problems.append(f"{where}: field 'text': unknown placeholder '{{{name}}}'")
    return problems


def _situation_problems(situations: Iterable[Circumstance], advisor: Advisor) -> List[str]:
    """What a situation sets must be an advisor answer: an option of a choice question, or years."""
    problems: List[str] = []
    questions = {q.slot: q for q in advisor.questions}
    for index, entry in enumerate(situations):
        for slot, value in entry.sets.items():
            where = f"situations[{index}] ({entry.id}): field 'sets.{slot}'"
            if slot not in questions:
                problems.append(f"{where}: unknown advisor question (known: {', '.join(ADVISOR_SLOTS)})")
                continue
            question = questions[slot]
            allowed = {o.value for o in question.options} if question.kind == "choice" else {YEARS_FROM_TEXT}
            if value not in allowed:
                problems.append(f"{where}: unknown answer '{value}' (known: {', '.join(sorted(allowed))})")
    return problems


def _phrases(items: Iterable[str]) -> List[str]:
    """Lowercase, de-duplicated, in first-seen order (stable generated files); each phrase with
    accents is followed by its spelling without them ("sin certificación", "sin certificacion")."""
    seen: Dict[str, None] = {}
    for item in items:
        phrase = " ".join(item.lower().replace("_", " ").split())
        if phrase:
            seen.setdefault(phrase, None)
            seen.setdefault(fold(phrase), None)
    return list(seen)


def knowledge_path() -> Path:
    return Path(os.environ.get(KNOWLEDGE_FILE_ENV) or DEFAULT_KNOWLEDGE_FILE)


def site_path() -> Path:
    return Path(os.environ.get(SITE_FILE_ENV) or DEFAULT_SITE_FILE)


def translation_path(path: Path, language: str) -> Path:
    """Where a language's wording of a knowledge file lives: cma.yml -> cma.es.yml."""
    return path.with_name(f"{path.stem}.{language}{path.suffix}")


def load_knowledge(path: Optional[Path] = None) -> Knowledge:
    """Read and validate the knowledge file, or raise KnowledgeError naming file, entry and field.

    The English wording, with every translation's vocabulary added: what messages are read with.
    """
    return load_languages(path)[ENGLISH]


def load_languages(path: Optional[Path] = None) -> Dict[str, Knowledge]:
    """The knowledge in each language it is worded in: English, and each translation beside it.

    A translation that misses an entry's wording, or whose numbers differ from the
    English, raises KnowledgeError naming the entry. A knowledge file with no
    translation beside it (a test's own file, say) is English only.
    """
    path = Path(path) if path else knowledge_path()
    english = _read(path)
    raw = {ENGLISH: english}
    worded: Dict[str, Dict[str, Any]] = {}
    for language in LANGUAGES:
        other = translation_path(path, language)
        if language == ENGLISH or not other.exists():
            continue
        try:
            raw[ENGLISH], worded[language] = merge(raw[ENGLISH], _read(other), language)
        except TranslationError as error:
            raise KnowledgeError(
                f"{other}: the {language} wording does not fit {path.name}; the action server will not start.\n"
                + "\n".join(f"  - {problem}" for problem in str(error).split("; "))
            ) from error
    languages = {ENGLISH: _parse(path, raw[ENGLISH], Knowledge)}
    for language, data in worded.items():
        languages[language] = _parse(translation_path(path, language), data, Knowledge)
    return languages


def load_site(path: Optional[Path] = None) -> Site:
    """Read and validate the school's settings file, failing the same way as the knowledge file."""
    return _load(Path(path) if path else site_path(), Site)


Model = TypeVar("Model", Knowledge, Site)


def load_or_exit(load: Callable[[], Model]) -> Model:
    """For the action server: a bad file stops it before it answers anyone, saying why."""
    try:
        return load()
    except KnowledgeError as error:
        logger.error("%s", error)
        sys.exit(str(error))


def _load(path: Path, model: Type[Model]) -> Model:
    return _parse(path, _read(path), model)


def _read(path: Path) -> Dict[str, Any]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except OSError as error:
        raise KnowledgeError(f"{path}: cannot read the file ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: expected a mapping of sections at the top level")
    return raw


def _parse(path: Path, raw: Dict[str, Any], model: Type[Model]) -> Model:
    try:
        return model.parse_obj(raw)
    except ValidationError as error:
        raise KnowledgeError(_describe(path, raw, error)) from error


def _describe(path: Path, raw: Dict[str, Any], error: ValidationError) -> str:
    lines = [f"{path}: the file is invalid; the action server will not start."]
    for problem in error.errors():
        loc: Tuple[Any, ...] = problem["loc"]
        if loc == ("__root__",):
            lines.extend(f"  - {item}" for item in problem["msg"].split("; "))
            continue
        entry, field = _entry_and_field(raw, loc)
        lines.append(f"  - {entry}: field '{field}': {problem['msg']}")
    return "\n".join(lines)


def _entry_and_field(raw: Dict[str, Any], loc: Tuple[Any, ...]) -> Tuple[str, str]:
    """Turn pydantic's location into an entry like 'credentials[2] (NCMA)' and a field like 'issuer'."""
    last_key = max(i for i, key in enumerate(loc) if isinstance(key, str))
    return _format_loc(raw, loc[:last_key]) or "top level", _format_loc(None, loc[last_key:])


def _format_loc(raw: Any, loc: Tuple[Any, ...]) -> str:
    text, node = "", raw
    for key in loc:
        if isinstance(key, int):
            text += f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
        else:
            text += f".{key}" if text else str(key)
            node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        text += f" ({node['id']})"
    return text
