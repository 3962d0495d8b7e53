"""The advisor rules: reading answers, and deciding what fits a student and what to do next.

Everything here decides, nothing words: eligibility (which credentials a
situation reaches, and how firmly), the recommendation and its checklist, the
personal fit of a credential asked about later, and what a situation told in a
student's own words calls for. It applies the `advisor` section of the
knowledge file; what fits whom, and why, is data an advising office can edit.
The wording modules turn these decisions into sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from actions.knowledge import STANDINGS, Advisor, Condition, Knowledge, Organization, Question
from actions.language import fold

# A skipped question (the student could not answer after being asked three times).
SKIPPED = "skipped"

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "couple": 2,
    "half": 0.5,
}
# Spanish number words, accent-folded as `fold` leaves them ("dieciséis" -> "dieciseis").
SPANISH_NUMBER_WORDS = {
    "cero": 0,
    "uno": 1,
    "una": 1,
    "un": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
    "treinta": 30,
    "cuarenta": 40,
    "par": 2,  # "un par de años"
    "medio": 0.5,  # "medio año"
    "media": 0.5,
}
_ALL_NUMBER_WORDS = {**NUMBER_WORDS, **SPANISH_NUMBER_WORDS}
# Number words that are only a number beside a unit: "a", "un", "half", "par"; English "once" is not eleven.
_NOT_ALONE = frozenset({"a", "an", "half", "un", "una", "medio", "media", "par", "once"})
# Ways to say "none" in Spanish, besides the question's own none_phrases.
SPANISH_NONE = ("ninguno", "ninguna", "nada", "cero")
_NUMBER = r"\d+(?:\.\d+)?|" + "|".join(sorted(_ALL_NUMBER_WORDS, key=len, reverse=True))
_AND_A_HALF = r"and\s+a\s+half|y\s+medi[oa]"
_AMOUNT = re.compile(
    rf"\b(?P<n>{_NUMBER})(?:\s+(?:{_AND_A_HALF}|½))?(?P<plus>\s*\+)?"
    r"(?:\s+(?:of\s+|de\s+)?(?:a\s+)?|\s*-?\s*)"
    r"(?P<unit>años|año|anos|ano|meses|mes|years?|yrs?|(?<=\d)y|months?|mos?|mths?)\b"
    rf"(?:\s+(?:{_AND_A_HALF})\b)?"
)
_HALF = re.compile(rf"\b(?:{_AND_A_HALF})\b|½")
# "año y medio" says its one: "un año y medio".
_YEAR_AND_A_HALF = re.compile(r"(?<![\w.+½])(?<!\d )(años?|anos?)(?=\s+y\s+medi[oa]\b)")
_RANGE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:-|to|or|o|a|al)\s*\d+(?:\.\d+)?\b")
MAX_YEARS = 60  # anything more is a year ("since 2019"), not a duration
_BARE_NUMBER = re.compile(rf"^\D*?\b(?P<n>{_NUMBER})\b(?P<plus>\s*\+)?\D*$")


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w'+.½-]+", " ", fold(text).replace("’", "'")).split())


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w']){re.escape(phrase.lower())}(?![\w'])", text) is not None


def _number(word: str) -> float:
    return float(word) if word[0].isdigit() else float(_ALL_NUMBER_WORDS[word])


def _with_its_one(words: str) -> str:
    """ "año y medio" -> "un año y medio", unless a number comes first ("dos años y medio")."""

    def one(match: "re.Match[str]") -> str:
        before = words[: match.start()].split()
        said = before[-1] if before else ""
        return match.group(0) if said in _ALL_NUMBER_WORDS or said[:1].isdigit() else "un " + match.group(0)

    return _YEAR_AND_A_HALF.sub(one, words)


def parse_years(text: str, question: Question) -> Optional[float]:
    """Years of experience from "none", "2 years", "about six months", "5+", "a year and a half",
    and in Spanish: "ninguna", "dos años", "unos seis meses", "cinco o más", "año y medio"."""
    words = _with_its_one(_RANGE.sub(r"\1", _words(text)))  # "5-7 years": count what is certain
    amounts = list(_AMOUNT.finditer(words))
    if amounts:
        total = 0.0
        for match in amounts:
            value = _number(match.group("n"))
            if _HALF.search(match.group(0)):
                value += 0.5
            total += value / 12 if match.group("unit").startswith("m") else value
        return round(total, 2) if total <= MAX_YEARS else None
    if any(_contains(words, _words(phrase)) for phrase in [*question.none_phrases, *SPANISH_NONE]):
        return 0.0
    bare = _BARE_NUMBER.match(words)
    if bare and bare.group("n") not in _NOT_ALONE and _number(bare.group("n")) <= MAX_YEARS:
        return _number(bare.group("n")) + (0.5 if _HALF.search(words) else 0)
    return None


def parse_choice(text: str, question: Question) -> Optional[str]:
    """The option whose longest phrase (or title) occurs in the text: "not accredited" beats "accredited"."""
    words = _words(text)
    best: Tuple[int, Optional[str]] = (0, None)
    for option in question.options:
        for phrase in [option.title, option.value, *option.phrases]:
            phrase = _words(phrase)
            if phrase and len(phrase) > best[0] and _contains(words, phrase):
                best = (len(phrase), option.value)
    return best[1]


def parse_answer(text: str, question: Question) -> Optional[str]:
    """The slot value for an answer, as stored in the conversation (years as a number string)."""
    if question.kind == "years":
        years = parse_years(text, question)
        return None if years is None else f"{years:g}"
    return parse_choice(text, question)


@dataclass(frozen=True)
class Situation:
    """The student's answers; None = not asked yet, SKIPPED = could not be answered."""

    program: Optional[str] = None
    experience: Optional[str] = None
    military: Optional[str] = None
    focus: Optional[str] = None

    @property
    def years(self) -> Optional[float]:
        try:
            return float(self.experience) if self.experience not in (None, SKIPPED) else None
        except ValueError:
            return None

    @property
    def known(self) -> bool:
        return any(v not in (None, SKIPPED) for v in (self.program, self.experience, self.military, self.focus))


def matches(when: Condition, situation: Situation) -> bool:
    for slot in ("program", "military", "focus"):
        allowed = getattr(when, slot)
        if allowed is not None and getattr(situation, slot) not in allowed:
            return False
    years = situation.years
    bounds = (when.min_years, when.above_years, when.max_years)
    if any(b is not None for b in bounds) and years is None:
        return False
    if when.min_years is not None and years < when.min_years:
        return False
    if when.above_years is not None and years <= when.above_years:
        return False
    if when.max_years is not None and years >= when.max_years:
        return False
    return True


@dataclass
class Fit:
    """One credential for this student: how ready they are for it and why."""

    credential: str
    standing: str
    reasons: List[str] = field(default_factory=list)
    focus_fit: Optional[str] = None  # "good", "poor" or None
    focus_note: Optional[str] = None

    def sort_key(self) -> Tuple[int, int]:
        focus_rank = {"good": 0, None: 1, "poor": 2}[self.focus_fit]
        return STANDINGS.index(self.standing), focus_rank


def assess(advisor: Advisor, situation: Situation, credential_order: Sequence[str]) -> List[Fit]:
    """Every credential some rule supports, strongest standing first, then best focus fit."""
    fits: Dict[str, Fit] = {}
    for rule in advisor.rules:
        if not matches(rule.when, situation):
            continue
        fit = fits.get(rule.credential)
        if fit is None:
            fits[rule.credential] = Fit(rule.credential, rule.standing, [rule.reason])
            continue
        if STANDINGS.index(rule.standing) < STANDINGS.index(fit.standing):
            fit.standing = rule.standing
            fit.reasons.insert(0, rule.reason)
        elif rule.reason not in fit.reasons:
            fit.reasons.append(rule.reason)
    for fit_rule in advisor.focus:
        if situation.focus not in fit_rule.when:
            continue
        for cred in fit_rule.credentials:
            if cred in fits and fits[cred].focus_fit is None:
                fits[cred].focus_fit, fits[cred].focus_note = fit_rule.fit, fit_rule.note
    return sorted(fits.values(), key=lambda f: (f.sort_key(), credential_order.index(f.credential)))


def recommended(fits: Sequence[Fit]) -> List[Fit]:
    """What to recommend: the credentials within reach; if none is, the goals to plan for."""
    within_reach = [f for f in fits if f.standing != "plan"]
    return within_reach or list(fits)


def english_reference(org: Organization) -> str:
    """How a step names a body unless told otherwise: "the American Association ... (AAMA, https://...)"."""
    return f"the {org.name} ({org.id}, {org.url})"


def next_steps(
    kb: Knowledge, situation: Situation, top: Optional[Fit], refer: Callable[[Organization], str] = english_reference
) -> List[str]:
    """The checklist: every step whose conditions hold, with its placeholders filled in
    (`refer` names the certifying body in the steps' language: actions.wording.org_ref)."""
    values = {org.id: org.url for org in kb.organizations}
    if top is not None:
        cred = kb.credential(top.credential)
        issuer = kb.organization(cred.issuer)
        values.update(credential=cred.id, issuer=refer(issuer))
    steps = []
    for step in kb.advisor.steps:
        needs_top = "{credential}" in step.text or "{issuer}" in step.text
        standing_ok = step.top_standing is None or (top is not None and top.standing in step.top_standing)
        if matches(step.when, situation) and standing_ok and (top is not None or not needs_top):
            steps.append(step.text.format(**values))
    return steps


@dataclass(frozen=True)
class Recommendation:
    """What the questionnaire's answers lead to: fits (strongest first), the checklist, skipped questions."""

    fits: List[Fit]
    steps: List[str]
    skipped: List[str]

    @property
    def top(self) -> Optional[Fit]:
        return self.fits[0] if self.fits else None

    @property
    def credentials(self) -> List[str]:
        return [f.credential for f in self.fits]


def recommend(
    kb: Knowledge, situation: Situation, refer: Callable[[Organization], str] = english_reference
) -> Recommendation:
    """The credentials within reach (or the goals to plan for) and the steps; general steps if none fits.

    The rules are the same in every language; `kb` worded in the student's language gives
    the reasons and steps in it, and `refer` names a body in it."""
    fits = recommended(assess(kb.advisor, situation, kb.credential_ids))
    steps = next_steps(kb, situation, fits[0], refer) if fits else list(kb.topics.how_to_become.steps)
    skipped = [q.slot for q in kb.advisor.questions if getattr(situation, q.slot) == SKIPPED]
    return Recommendation(fits, steps, skipped)


@dataclass(frozen=True)
class PersonalFit:
    """What a student's answers mean for one credential they ask about later."""

    credential: str
    standing: str
    reason: str
    years: Optional[float] = None  # said when an experience rule is what makes it fit


def personal_fit(kb: Knowledge, situation: Situation, credential_id: Optional[str]) -> Optional[PersonalFit]:
    if not situation.known or credential_id is None:
        return None
    fit = next((f for f in assess(kb.advisor, situation, kb.credential_ids) if f.credential == credential_id), None)
    if fit is None:
        return None
    years = situation.years
    by_experience = (
        years is not None
        and years >= 1
        and any(
            r.credential == credential_id
            and (r.when.min_years or r.when.above_years is not None)
            and matches(r.when, situation)
            for r in kb.advisor.rules
        )
    )
    return PersonalFit(credential_id, fit.standing, fit.reasons[0], years if by_experience else None)


@dataclass(frozen=True)
class SituationAdvice:
    """What a situation told in the student's own words calls for: fits within reach and topics to add."""

    labels: List[str]
    fits: List[Fit]
    topics: List[str]


def advise_situation(
    kb: Knowledge, situation: Situation, circumstances: Sequence[str], held: Optional[str] = None
) -> SituationAdvice:
    """Fits within reach under the advisor rules; situations that set no answer (already certified,
    wants nursing) bring their topics; with nothing to say, the general route. A student who already
    holds a credential gets what keeps and grows it, and only the credentials they qualify for now;
    `held` names it where the student did ("I passed the NHA's exam": the CCMA)."""
    entries = [kb.situation(c) for c in circumstances]
    holding = [e for e in entries if e.holds_credential]
    fits = [f for f in recommended(assess(kb.advisor, situation, kb.credential_ids)) if f.standing != "plan"]
    if holding:
        # "I passed my CCMA exam; my practicum starts next week": nothing to aim for once a program is
        # finished; a second credential they qualify for now ("I'm a CMA and was an army medic") stays.
        fits = [f for f in fits if f.standing == "ready"]
    unset = [e for e in entries if not any(getattr(situation, slot, None) not in (None, SKIPPED) for slot in e.sets)]
    topics = list(dict.fromkeys(t for e in unset for t in e.answer_with))
    if not fits and not topics:
        topics = ["how_to_become"]
    labels = [f"{e.label} ({held})" if e.holds_credential and held else e.label for e in entries]
    return SituationAdvice(labels, fits, topics[:2])
