"""Reading a student's own words against the knowledge file: what they ask that the article lacks,
which neighbouring roles they mean, what they say about themselves, and how they feel.

Pure functions over `Knowledge`; no Rasa here. The NLU component
addons/knowledge_reader.py runs `read` on every typed message and routes by it
(`reading_intent`); the actions word the answer from the reading it stores.
Why cues and not more intents: the questions the article cannot answer look
like the ones it can ("how many times can I take the exam?" vs "what is on the
exam?"), and a classifier trained on our own phrasing confuses them; the cues
live in the knowledge file beside the gap they recognise, where they can be
read, tested and extended.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Pattern, Sequence, Tuple

from actions.advisor_rules import NUMBER_WORDS, parse_years
from actions.constants import ASK_ABOUT_ROLE, ASK_NOT_COVERED, ASK_OTHER_MEANING, GAP_OF_INTENT, SHARE_SITUATION
from actions.knowledge import YEARS_FROM_TEXT, Knowledge
from actions.language import fold

OUT_OF_SCOPE = "out_of_scope"

Span = Tuple[int, int]

_QUESTION_WORDS = r"how|what|where|when|which|who|why|is|are|do|does|can|could|will|would|should|am"
_MORE_QUESTIONS = re.compile(
    rf"\b(?:and|also|plus)\s+(?:{_QUESTION_WORDS})\b"
    r"|\b(?:y|tambien|ademas)\s+(?:cuanto|cuanta|cuantos|cuantas|que|q|como|donde|cuando|cual|cuales|quien|hay|puedo)\b"
)
_NUMBER = r"\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# "for six years", "5 years as an MA", "2 yrs of experience": a duration said about MA work.
_YEARS_AS_MA = re.compile(
    rf"\b(?:(?P<a>(?:{_NUMBER})(?:\s+and\s+a\s+half)?\+?\s*(?:years?|yrs?|months?))\s+"
    r"(?:of\s+)?(?:[\w-]+\s+){0,3}?(?:experience|exp|as\s+an?\s+(?:medical\s+assistant|ma|cma)|working|in\s+the\s+field"
    r"|doing\s+this|doing\s+it|on\s+the\s+job|at\s+this\s+job|in\s+this\s+job)"
    rf"|(?:medical\s+assistant|\bma|\bcma)\s+for\s+(?:about\s+|almost\s+|over\s+|nearly\s+|the\s+past\s+|the\s+last\s+)?"
    rf"(?P<b>(?:{_NUMBER})(?:\s+and\s+a\s+half)?\+?\s*(?:years?|yrs?|months?)))\b"
)


def normalise(text: str) -> str:
    """Lowercase words without accents ("cuánto" = "cuanto") separated by single spaces; apostrophes
    and hyphens kept, other punctuation dropped."""
    text = fold(text).replace("’", "'").replace("‘", "'")
    return " ".join(re.sub(r"[^\w'\-+]+|_", " ", text).split())


def _part(part: str) -> Pattern[str]:
    alts = []
    for alt in part.split("|"):
        words = normalise(alt.strip().rstrip("*"))
        alts.append(re.escape(words) + (r"[\w'\-]*" if alt.strip().endswith("*") else ""))
    return re.compile(rf"(?<![\w'\-])(?:{'|'.join(sorted(alts, key=len, reverse=True))})(?![\w'\-])")


@lru_cache(maxsize=2048)
def compile_cue(cue: str) -> Tuple[Pattern[str], ...]:
    """The patterns of a cue's parts (what follows " - " is not a part: see `cue_exclusion`)."""
    return tuple(_part(part) for part in cue.partition(" - ")[0].split(" + "))


@lru_cache(maxsize=2048)
def cue_exclusion(cue: str) -> Optional[Pattern[str]]:
    """What must not occur for the cue to match: "bridge - burn*|burning a bridge" (a bridge program,
    not a burnt bridge); "i work as an ma - can i|could i" (said of oneself, not asked)."""
    _, dash, excluded = cue.partition(" - ")
    return _part(excluded) if dash else None


def match_cue(cue: str, words: str) -> Optional[List[Span]]:
    """The spans of each part when every part occurs and nothing excluded does, else None."""
    excluded = cue_exclusion(cue)
    if excluded is not None and excluded.search(words):
        return None
    spans = []
    for pattern in compile_cue(cue):
        found = pattern.search(words)
        if found is None:
            return None
        spans.append(found.span())
    return spans


def _best_match(cues: Iterable[str], words: str) -> Optional[Tuple[int, List[Span]]]:
    """The most parts any matching cue has, and the spans of every matching cue."""
    best: Optional[Tuple[int, List[Span]]] = None
    for cue in cues:
        spans = match_cue(cue, words)
        if spans is not None:
            best = (max(len(spans), best[0] if best else 0), (best[1] if best else []) + spans)
    return best


def _inside(span: Span, taken: Sequence[Span]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in taken)


@dataclass(frozen=True)
class Reading:
    """What a message says, beyond the classifier's intent."""

    gaps: Tuple[str, ...] = ()
    roles: Tuple[str, ...] = ()
    situations: Tuple[str, ...] = ()
    sets: Dict[str, str] = field(default_factory=dict)  # advisor slot -> answer, e.g. {"military": "yes"}
    feeling: bool = False
    questions: int = 1  # how many questions the message seems to ask
    other_meaning: bool = False  # "CMA" as in the accountants' credential, not ours
    on_subject: bool = True  # names medical assisting or health care (subject_words, credentials, roles)
    topics: Tuple[str, ...] = ()  # topics the article answers whose words are in the message (topic_words)
    outside: bool = False  # a question no career answer fits (outside_words: "which of the following …"; a patient's)
    choosing: bool = False  # asks which credential fits the asker (advisor_words: the questionnaire's question)
    compared: bool = False  # names a medical assistant beside another role ("CNA vs CMA?"; unlisted_roles.own_titles)
    everyday: bool = False  # a gap's everyday words without a career ("el examen médico para inmigración"; find_gaps)

    @property
    def empty(self) -> bool:
        return not (self.gaps or self.roles or self.situations or self.feeling)

    def as_dict(self) -> Dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]) -> "Reading":
        data = data or {}
        return cls(
            gaps=tuple(data.get("gaps") or ()),
            roles=tuple(data.get("roles") or ()),
            situations=tuple(data.get("situations") or ()),
            sets=dict(data.get("sets") or {}),
            feeling=bool(data.get("feeling")),
            questions=int(data.get("questions") or 1),
            other_meaning=bool(data.get("other_meaning")),
            on_subject=bool(data.get("on_subject", True)),
            topics=tuple(data.get("topics") or ()),
            outside=bool(data.get("outside")),
            choosing=bool(data.get("choosing")),
            compared=bool(data.get("compared")),
            everyday=bool(data.get("everyday")),
        )


# Between sentences in normalised words (`sentence_words`): a gap cue's parts must all lie in one
# sentence ("… and now where am I? … they decided to hire someone else" asks nothing about where MAs
# are hired).
SENTENCE_BREAK = " . "
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_ABBREVIATION = re.compile(r"(?:^|[\s.])[A-Za-z]\.$")  # "the U.S." and "e.g." end no sentence


def sentences(text: str) -> List[str]:
    """The sentences of a message, at ". ", "? ", "! " and line breaks."""
    found: List[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if found and _ABBREVIATION.search(found[-1]):
            found[-1] += " " + piece
        elif piece.strip():
            found.append(piece)
    return found


# A message this long is a story, not a question ("I went to a technical school for medical
# assistant about 4 years ago. Right out of school I got a job…"): real posts run to several sentences.
STORY_SENTENCES = 3
STORY_WORDS = 40


def is_a_story(text: str) -> bool:
    """Whether a message is a story: asking to "rephrase" it would be unkind, and it is not a request."""
    return len(sentences(text)) >= STORY_SENTENCES or len(text.split()) >= STORY_WORDS


def sentence_words(text: str) -> str:
    """`normalise` sentence by sentence, with SENTENCE_BREAK between them."""
    return SENTENCE_BREAK.join(w for w in (normalise(s) for s in sentences(text)) if w)


def _best_match_in_a_sentence(cues: Iterable[str], words: str) -> Optional[Tuple[int, List[Span]]]:
    """As `_best_match`, but every part of a cue must lie within one sentence of `sentence_words`."""
    best: Optional[Tuple[int, List[Span]]] = None
    start = 0
    for chunk in words.split(SENTENCE_BREAK):
        found = _best_match(cues, chunk)
        if found:
            spans = [(a + start, b + start) for a, b in found[1]]
            best = (max(found[0], best[0] if best else 0), (best[1] if best else []) + spans)
        start += len(chunk) + len(SENTENCE_BREAK)
    return best


def find_gaps(kb: Knowledge, words: str, about_a_career: bool = True) -> Tuple[List[str], bool]:
    """Gaps whose cues match within a sentence, strongest first; a weaker one whose words all lie inside
    a stronger match is dropped. A gap of everyday words needs a cue of several parts in a message not
    `about_a_career` ("vaccines for a US visa" asks nothing about what an MA may do; "do I need a green
    card to work?" does ask about working); the second value says whether one was passed over so."""
    found = []
    everyday = False
    for index, gap in enumerate(kb.not_covered):
        best = _best_match_in_a_sentence(kb.gap_cues(gap), words)
        if best and gap.everyday_words and not about_a_career and best[0] < 2:
            everyday = True
            continue
        if best:
            found.append((-best[0], index, gap.id, best[1]))
    taken: List[Span] = []
    gaps = []
    for _, _, gap_id, spans in sorted(found):
        if all(_inside(span, taken) for span in spans):
            continue
        gaps.append(gap_id)
        taken.extend(spans)
    subjects = [g for g in gaps if not kb.gap(g).is_detail]
    return (subjects or gaps)[:2], everyday


def settle(kb: Knowledge, reading: Reading, asked_topic: Optional[str]) -> Reading:
    """Drops the kinds of detail the asked topic's answer gives ("how much do MAs make?" is answered by pay)."""
    gaps = tuple(g for g in reading.gaps if asked_topic is None or asked_topic not in (kb.gap(g).answered_by or ()))
    return reading if gaps == reading.gaps else replace(reading, gaps=gaps)


def find_roles(kb: Knowledge, words: str) -> List[str]:
    """Neighbouring roles named, in order of mention; the longest phrase wins where two overlap.
    A body's name is not a role ("American Medical Technologists" names no lab technologist).

    Hyphens join role names to what surrounds them ("MA-to-RN programs", "pre-nursing"), so they
    separate words here, in the message and in the names alike ("x-ray tech" = "x ray tech")."""
    hits = []
    words = mask_body_names(kb, words).replace("-", " ")
    for role in kb.roles:
        for synonym in role.synonyms:
            for found in compile_cue(synonym.replace("|", " ").replace("-", " "))[0].finditer(words):
                hits.append((found.start(), -(found.end() - found.start()), found.end(), role.id))
    roles: List[str] = []
    taken: List[Span] = []
    for start, _, end, role_id in sorted(hits, key=lambda h: (h[1], h[0])):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        roles.append((start, role_id))  # type: ignore[arg-type]
    ordered = [role_id for _, role_id in sorted(roles)]  # type: ignore[misc]
    return list(dict.fromkeys(ordered))


# How many words after "what does a" may make a job title ("patient care coordinator").
TITLE_WORDS = 5
_ARTICLES = frozenset({"a", "an", "the", "un", "una", "el", "la", "los", "las"})


@lru_cache(maxsize=16)
def _title_reader(
    asked_with: Tuple[str, ...], title_words: Tuple[str, ...], own_titles: Tuple[str, ...], ends_with: Tuple[str, ...]
) -> Tuple[Pattern[str], FrozenSet[str], Pattern[str], FrozenSet[str]]:
    """`unlisted_roles` compiled once: what a title follows, its words, our own titles, what ends it."""
    alts = sorted((re.escape(normalise(p)) for p in asked_with), key=len, reverse=True)
    asked = re.compile(rf"(?<![\w'\-])(?:{'|'.join(alts)})\s+((?:\S+\s*){{1,{TITLE_WORDS}}})")
    ends = frozenset(normalise(w) or w for w in ends_with)  # "." (a sentence break) normalises to nothing
    return asked, frozenset(normalise(w) for w in title_words), _part("|".join(own_titles)), ends


def _titles(kb: Knowledge) -> Optional[Tuple[Pattern[str], FrozenSet[str], Pattern[str], FrozenSet[str]]]:
    spec = kb.unlisted_roles
    if spec is None:
        return None
    return _title_reader(tuple(spec.asked_with), tuple(spec.title_words), tuple(spec.own_titles), tuple(spec.ends_with))


def unlisted_role(kb: Knowledge, words: str) -> bool:
    """Whether a question asks about a job by a title that names neither a medical assistant nor a listed
    role ("what does a patient care coordinator do?"; knowledge `unlisted_roles`). Call it only when
    `find_roles` found none."""
    reader = _titles(kb)
    if reader is None:
        return False
    asked, titles, own, ends = reader
    for found in asked.finditer(words):
        title: List[str] = []
        for word in found.group(1).split():
            if word in ends:
                break
            title.append(word)
        said = [w for w in title if w not in _ARTICLES]
        if any(w in titles for w in said) and len(said) >= 2 and not own.search(" ".join(said)):
            return True
    return False


def names_a_medical_assistant(kb: Knowledge, words: str) -> bool:
    """Whether the words name a medical assistant (`unlisted_roles.own_titles`: "MA", "asistente médico")."""
    reader = _titles(kb)
    return reader is not None and reader[2].search(words) is not None


def years_of_experience(kb: Knowledge, words: str) -> Optional[str]:
    """ "six years as an MA" -> "6"; None when no duration of MA work is said."""
    found = _YEARS_AS_MA.search(words)
    if not found:
        return None
    years = parse_years(found.group("a") or found.group("b"), kb.advisor.question("experience"))
    return None if years is None else f"{years:g}"


def find_situations(kb: Knowledge, words: str) -> Tuple[List[str], Dict[str, str]]:
    situations: List[str] = []
    sets: Dict[str, str] = {}
    for entry in kb.situations:
        if _best_match(entry.cues, words) is None:
            continue
        situations.append(entry.id)
        for slot, value in entry.sets.items():
            if value == YEARS_FROM_TEXT:
                years = years_of_experience(kb, words)
                if years is not None:
                    sets.setdefault(slot, years)
            else:
                sets.setdefault(slot, value)
    return situations, sets


def count_questions(text: str) -> int:
    words = fold(text)
    return max(text.count("?"), 1 + len(_MORE_QUESTIONS.findall(words)), 1)


def means_something_else(kb: Knowledge, words: str) -> bool:
    """The acronym and one of its other meaning's cues ("the CMA exam vs the CPA exam"), or its full name.

    A cue may have parts ("baby + allergy"): a baby alone does not make CMA a milk allergy."""
    return any(
        compile_cue(meaning.meaning)[0].search(words)
        or (compile_cue(meaning.acronym + "*")[0].search(words) and _best_match(meaning.cues, words) is not None)
        for meaning in kb.other_meanings
    )


# "Why?" is about the bot's own asking when short or when it says so ("why do you need to know
# that?"); "why is English important for work in the US?" is a question of its own that the
# classifier took for "why?".
_ABOUT_ASKING = re.compile(r"\b(?:ask|asks|asking|asked|question|questions|know|pregunt\w*|saber)\b")
SHORT_WHY = 3  # words


def asks_why_the_bot_asks(text: str) -> bool:
    words = fold(text)
    return len(words.split()) <= SHORT_WHY or _ABOUT_ASKING.search(words) is not None


# A typed question that names nothing of this subject is answered "outside what I know" when the
# classifier's topic is no surer than this (TOPIC_CONFIDENCE in actions/topic_actions.py, under which
# a topic is not answered outright either): "¿Qué es el GED?", "what is telemedicine?".
OFF_SUBJECT_CONFIDENCE = 0.5
_ASKS_A_QUESTION = re.compile(rf"\?|^\W*(?:{_QUESTION_WORDS})\b")
OFF_SUBJECT_WORDS = 3  # fewer words ("why?", "how much?") are follow-ups, not questions of their own
# Words that point back into the conversation ("what do you mean by that?", "¿a qué te refieres?"):
# such a message is about what was said, not a new subject.
# So do pronouns: "what do they do all day?" is about medical assistants.
_POINTS_BACK = re.compile(
    r"\b(?:you|your|u|that|this|it|they|them|their|he|she|his|her|mean|meant"
    r"|tu|tus|usted|ustedes|eso|esto|ellos|ellas|refieres|refiere|dijiste|quieres decir)\b"
)


def off_subject_question(reading: Reading, text: str, topic_confidence: float, names_something_new: bool) -> bool:
    """Whether a question is about something else: it names something the training data never
    mentions (`names_something_new`: "telemedicine", "hepatitis") and no part of this subject, the
    knowledge file reads nothing in it, it does not point back into the conversation, and the topic
    the classifier would answer fits poorly (`topic_confidence`; 0 for a fallback). A question in
    known words only ("¿qué hacen todo el día?") may be about medical assistants without saying so."""
    words = fold(text)
    return (
        names_something_new
        and reading.empty
        and not reading.on_subject
        and not reading.other_meaning
        and len(words.split()) >= OFF_SUBJECT_WORDS
        and _ASKS_A_QUESTION.search(words) is not None
        and _POINTS_BACK.search(words) is None
        and topic_confidence < OFF_SUBJECT_CONFIDENCE
    )


# Words of a plan or a question ("I'm certified and want the RMA", "should I get the CCMA?"): a
# credential named beside them is an aim, not the one the student holds.
_AIMS = re.compile(
    r"\b(?:want|wanna|plan|planning|hope|hoping|going to|gonna|thinking|considering|should|could|would|will"
    r"|next(?! to last)"
    r"|quiero|quisiera|pienso|planeo|deberia|podria|voy a)\b"
)


def held_credential(text: str, named: Sequence[str], said_at: Sequence[int] = ()) -> Optional[str]:
    """The credential a student who says they are certified holds: the only one the message names
    (directly or by its issuer), unless the sentence naming it (at the character offsets `said_at`;
    without them, the whole message) speaks of plans or asks what to get. A plan in another sentence
    ("I passed the NHA's exam. I will start my practicum next week.") is about something else."""
    named = list(dict.fromkeys(named))
    if len(named) != 1:
        return None
    said = [text]
    if said_at:
        said, start = [], 0
        for sentence in sentences(text):
            start = text.find(sentence, start)
            if any(start <= at < start + len(sentence) for at in said_at):
                said.append(sentence)
            start += len(sentence)
    return named[0] if not any(_AIMS.search(fold(s)) for s in said) else None


def names_an_ambiguous_acronym(kb: Knowledge, words: str) -> bool:
    """Whether the message says an acronym that has other meanings (CMA, NCMA): without one, a guess
    that another "CMA" is meant has nothing to stand on ("¿los médicos son contratados…?")."""
    return any(compile_cue(meaning.acronym + "*")[0].search(words) for meaning in kb.other_meanings)


def _field_names(kb: Knowledge, roles: bool = True) -> str:
    """One cue of every credential's, body's and (with `roles`) role's name."""
    names = [n for c in kb.credentials for n in (c.id, c.name, *c.synonyms)]
    names += [n for o in kb.organizations for n in (o.id, o.name, *o.synonyms)]
    names += [n for r in kb.roles for n in r.synonyms] if roles else []
    return "|".join(n.replace("|", " ") for n in names)


def names_something_of_the_field(kb: Knowledge, words: str) -> bool:
    """Whether a message names a credential, a body or a role (not merely health care)."""
    return _best_match([_field_names(kb)], words) is not None


def on_subject(kb: Knowledge, words: str, names_the_field: bool) -> bool:
    """Whether a message names medical assisting or health care at all (`names_the_field`: as found by
    `names_something_of_the_field`, read once per message)."""
    return names_the_field or _best_match(kb.subject_words, words) is not None


@lru_cache(maxsize=16)
def _names_pattern(names: Tuple[Tuple[str, str], ...]) -> Tuple[Pattern[str], Dict[str, str]]:
    """One pattern for every name of several words (longest first), and the id each stands for."""
    ids: Dict[str, str] = {}
    for synonym, role_id in names:
        phrase = normalise(synonym)
        if " " in phrase:
            ids.setdefault(phrase, role_id.lower())
    alternation = "|".join(re.escape(phrase) for phrase in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<![\w'\-])(?:{alternation})(?![\w'\-])"), ids


def mask_body_names(kb: Knowledge, words: str) -> str:
    """Organizations' and credentials' names of several words replaced by their ids."""
    names = [(n, o.id) for o in kb.organizations for n in (o.name, *o.synonyms)]
    names += [(n, c.id) for c in kb.credentials for n in (c.name, *c.synonyms)]
    pattern, ids = _names_pattern(tuple(names))
    return pattern.sub(lambda found: ids[found.group(0)], words)


def mask_role_names(kb: Knowledge, words: str) -> str:
    """Words inside a role's name are not evidence of a gap: "licensed practical nurse" asks no license question.

    One compiled pattern for all names: a pattern per name went through `re`'s own cache, which the
    several hundred names overflow, so every message recompiled them."""
    pattern, ids = _names_pattern(tuple((s, r.id) for r in kb.roles for s in r.synonyms))
    return pattern.sub(lambda found: ids[found.group(0)], words)


_ASKS = re.compile(
    rf"^\W*(?:{_QUESTION_WORDS}|may|has|have|did|was|were|any|anyone)\b|\?|\b(?:wondering|want to know|"
    r"would like to know|my question|can anyone|does anyone|anyone know|any advice|advice on|please help|"
    r"tell me|vs|versus|confused|not sure|unsure|need help|someone can help|can someone|could someone)\b"
)


def asks_something(text: str) -> bool:
    """Whether a message asks anything: a one-sentence message always does; a story of several
    sentences only with a question in it ("I start my externship on Monday. I'm so nervous."
    mentions externships but asks nothing about them)."""
    said = sentences(text)
    return len(said) <= 1 or any(_ASKS.search(sentence.lower()) for sentence in said)


# A question this short leans on the conversation, whose subject is a career in medical assisting: "do I
# need a visa?", "¿hay que saber inglés?". So does one of a few more words about the asker ("do I need a
# social security number?"). A longer one says what it is about ("what level of English does each type of
# US visa require?", "what should I do if I am pregnant and need to get an x-ray?").
SHORT_QUESTION = 5  # words
SHORT_QUESTION_ABOUT_ONESELF = 8


def leans_on_the_conversation(words: str, about_oneself: bool) -> bool:
    """Whether a message takes its subject from the conversation: a short one, or one that points back
    ("do they give shots?" is about the medical assistants being discussed)."""
    count = len(words.split())
    return (
        count <= SHORT_QUESTION
        or (about_oneself and count <= SHORT_QUESTION_ABOUT_ONESELF)
        or _POINTS_BACK.search(words) is not None
    )


def asked_as_a_patient(kb: Knowledge, words: str) -> bool:
    """A patient's question ("can I see my doctor without an appointment?", "¿cómo encuentro a un médico?"):
    no career answer fits it, unless it names a medical assistant, a credential or a body, or says a word
    of working or training ("do medical assistants make appointments?", "¿los asistentes médicos piden
    citas?"). Doctors and nurses may be named: patients see them."""
    return (
        _best_match(kb.patient_words, words) is not None
        and _best_match(kb.career_words, words) is None
        and not names_a_medical_assistant(kb, words)
        and _best_match([_field_names(kb, roles=False)], words) is None
    )


def read(kb: Knowledge, text: str) -> Reading:
    """Gaps and roles asked about, situations (said in the first person), a worry, and how many questions."""
    words = normalise(text)
    asked = sentence_words(text) if asks_something(text) else ""
    about_oneself = _best_match(kb.first_person_words, words) is not None
    situations, sets = find_situations(kb, words) if about_oneself else ([], {})
    feelings = kb.feelings
    roles = find_roles(kb, asked) or ([kb.unlisted_roles.role] if unlisted_role(kb, asked) else [])
    masked = mask_role_names(kb, asked)
    named = names_something_of_the_field(kb, words)
    career = named or _best_match(kb.career_words, words) is not None or leans_on_the_conversation(words, about_oneself)
    gaps, everyday = find_gaps(kb, masked, career)
    return Reading(
        gaps=tuple(gaps),
        roles=tuple(roles),
        situations=tuple(situations),
        sets=sets,
        feeling=bool(feelings and _best_match(feelings.cues, words)),
        questions=count_questions(text),
        other_meaning=means_something_else(kb, words),
        on_subject=on_subject(kb, words, named),
        topics=tuple(topic for topic, cues in kb.topic_words.items() if _best_match(cues, asked)),
        outside=_best_match(kb.outside_words, words) is not None or asked_as_a_patient(kb, words),
        choosing=_best_match(kb.advisor_words, words) is not None,
        compared=bool(roles) and names_a_medical_assistant(kb, masked),
        everyday=everyday and not gaps,
    )


def reading_intent(
    kb: Knowledge, reading: Reading, asked_topic: Optional[str], classified: Optional[str] = None
) -> Optional[str]:
    """What to answer first: a gap, then a neighbouring role, then the student's situation.

    A role question the article does answer ("can an MA become a nurse?" asked as
    career paths, where the role lists career_paths in `answered_by`) stays with its topic.
    A message the classifier calls out of scope and that names nothing of this subject
    ("how much does flight school cost?") is not read as a gap.
    """
    reading = settle(kb, reading, asked_topic)
    if reading.other_meaning:
        return ASK_OTHER_MEANING
    if reading.outside:
        return OUT_OF_SCOPE
    if reading.gaps and (reading.on_subject or classified != OUT_OF_SCOPE):
        if reading.gaps == (GAP_OF_INTENT.get(classified or ""),) and reading.questions < 2:
            return None  # "how much is the exam?" classified ask_cost is answered as that gap already
        return ASK_NOT_COVERED
    if reading.roles and not all(asked_topic in kb.role(r).answered_by for r in reading.roles):
        return ASK_ABOUT_ROLE
    if (
        reading.situations
        and not reading.sets
        and asked_topic
        and all(asked_topic in kb.situation(s).answer_with for s in reading.situations)
    ):
        return None  # "could I become a nurse later?" asked as career paths is answered as such
    if reading.situations:
        return SHARE_SITUATION
    return None


# Topics that can stand for "the medical-assistant side" of a question about another role.
_ROLE_TOPICS = (
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
    "eligibility",
)
# Topics a situation answer already covers: adding them would say the same thing twice.
_SITUATION_COVERS = ("how_to_become", "eligibility", "credentials", "credential", "issuer", "compare")


@dataclass(frozen=True)
class Plan:
    """The parts of an answer to a reading, in order, and the topic asked alongside (if any)."""

    parts: Tuple[str, ...]
    topic: Optional[str]
    feedback_topic: str


# How sure the classifier must be of the topic it saw beside a reading's subject: as sure as
# the fallback threshold, except beside a gap in a message of several questions, where the
# gap's own words pull its confidence down ("what do they earn and how long is the training?":
# the gap takes 0.55 and ask_duration 0.16, leaving ask_pay 0.09). The gap is still said first.
ASKED_CONFIDENCE = 0.25
ASKED_BESIDE_A_GAP = 0.05


def answer_plan(reading: Reading, asked: Optional[str], confidence: float = 1.0, nearest: bool = False) -> Plan:
    """Gaps or roles lead; a situation is heard; the classifier's topic is added where it answers a part.

    With a gap, the topic is added only when the message asks more than one
    question ("how much do they make and how long is the program?"): with a single
    question, the classifier's topic is the neighbouring question we must not answer,
    unless `nearest`: the gap is a detail of that very topic ("how many CEUs?" about
    renewal), whose answer then follows the "my sources don't say" as the nearest facts.
    """
    parts = []
    if reading.gaps:
        parts.append("gaps")
    elif reading.roles:
        parts.append("roles")
    if reading.situations and (reading.sets or not parts):
        parts.append("situation")
    several = "gaps" in parts and reading.questions >= 2
    topic = asked if confidence >= (ASKED_BESIDE_A_GAP if several else ASKED_CONFIDENCE) else None
    if (several or (reading.roles and not reading.gaps)) and reading.topics and topic not in reading.topics:
        # The question's own words over a weak guess: the other question of two ("what do they earn
        # and ...?"), or what is compared with another role ("who makes more, a CNA or an MA?").
        topic = reading.topics[0]
    if "gaps" in parts and not several and not nearest:
        topic = None
    if reading.roles and not reading.gaps and topic not in _ROLE_TOPICS:
        topic = None  # "how does an MA differ from a nurse?" is not a question about issuers
    if "situation" in parts and topic in _SITUATION_COVERS:
        topic = None
    kind = "not_covered" if "gaps" in parts else "role" if reading.roles else "situation"
    return Plan(tuple(parts), topic, kind)
