"""The knowledge file in other languages: each language's wording beside the English, checked.

`knowledge/cma.es.yml` mirrors `knowledge/cma.yml` with only two kinds of content:

- **wording**: the text students read (summaries, duties, the gap subjects, the advisor's
  questions...), replacing the English in that language's answers. Every wording field
  the English entry has must be there, and its numbers must be the English numbers, or
  the action server does not start, naming the entry;
- **vocabulary**: cues, synonyms and answer phrases in that language, *added* to the
  English ones, so every message is read with both (Spanglish works: "cuanto gana un CMA").

Lists of entries are matched by position and must repeat each entry's id, so a moved or
missing entry is named rather than silently mistranslated. Ids, links, figures, sources
and rules are not repeated: they are the same facts in every language.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from fnmatch import fnmatchcase
from typing import Any, Dict, List, Tuple

# Wording fields, by path ("[]" stands for any list index; "*" for any key or index).
# An English string at one of these paths must have its translation.
WORDING = (
    "sources[].cite_as",
    "sources[].accessed",
    "organizations[].role",
    "organizations[].gloss",
    "credentials[].gloss",
    "credentials[].summary",
    "credentials[].qualify",
    "credentials[].focus",
    "credentials[].experience_note",
    "paths[].name",
    "paths[].short",
    "paths[].summary",
    "topics.*",
    "other_meanings[].field",
    "not_covered[].subject",
    "not_covered[].article_says",
    "roles[].name",
    "roles[].plural",
    "roles[].article_says",
    "situations[].label",
    "feelings.reply",
    "advisor.questions[].ask",
    "advisor.questions[].why",
    "advisor.questions[].hint",
    "advisor.questions[].buttons[]",
    "advisor.questions[].options[].title",
    "advisor.rules[].reason",
    "advisor.focus[].note",
    "advisor.steps[].text",
)
# Fields new in a translation (the English has the name itself): required there.
GLOSSES = ("organizations[].gloss", "credentials[].gloss")
# Facts, not words: fields never translated, even under a wording path (topics.pay.figures[].hourly).
FACTS = {"source", "hourly", "yearly", "group", "credential", "program", "url", "id"}
# Vocabulary lists a translation adds to (every message is read with all languages').
VOCABULARY = (
    "credentials[].synonyms",
    "organizations[].synonyms",
    "not_covered[].cues",
    "roles[].synonyms",
    "situations[].cues",
    "feelings.cues",
    "other_meanings[].cues",
    "subject_words",
    "career_words",
    "outside_words",
    "patient_words",
    "first_person_words",
    "advisor_words",
    "unlisted_roles.asked_with",
    "unlisted_roles.title_words",
    "unlisted_roles.own_titles",
    "unlisted_roles.ends_with",
    "topic_words.*",
    "vocabulary.*.*",
    "not_entities",
    "advisor.questions[].options[].phrases",
    "advisor.questions[].none_phrases",
)
# Keys that name the entry a list item is: repeated in the translation, must match.
IDENTITY = ("id", "group", "acronym", "slot", "value", "credential", "credentials")

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


class TranslationError(ValueError):
    """A translation that does not fit its English entry; the message names each entry."""


def numbers(text: str) -> Counter:
    """The numbers in a text, with thousands and decimal marks dropped ("$39,085" = "39085")."""
    return Counter(re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text))


def _matches(path: str, patterns: Tuple[str, ...]) -> bool:
    """Whether a path ("topics.pay.figures[].label") is, or is inside, one of the patterns."""
    for pattern in patterns:
        literal = pattern.replace("[]", "[[][]]")  # fnmatch: "[]" is a set; these are brackets
        if fnmatchcase(path, literal) or fnmatchcase(path, literal + ".*") or fnmatchcase(path, literal + "[[]*"):
            return True
    return False


def _entry(english: Dict[str, Any], where: str) -> str:
    name = next((str(english[key]) for key in IDENTITY if key in english), None)
    return f"{where} ({name})" if name else where


def merge(english: Dict[str, Any], translation: Dict[str, Any], language: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(English with the translation's vocabulary added, the same with its wording too).

    Raises TranslationError listing every entry whose translation is missing, unknown,
    misplaced or has other numbers than the English.
    """
    reading = copy.deepcopy(english)
    problems: List[str] = []
    _add_vocabulary(reading, translation, "", problems)
    worded = copy.deepcopy(reading)
    _word(worded, translation, "", problems, language)
    _require(english, translation, "", problems)
    if problems:
        raise TranslationError("; ".join(problems))
    return reading, worded


def _has_entries(value: Any) -> bool:
    """A section of entries ("credentials": [...]) rather than an id ("credentials": [NCMA, CCMA])."""
    return isinstance(value, list) and any(isinstance(item, dict) for item in value)


def _is_fact(pattern: str) -> bool:
    return re.sub(r"\[\]$", "", pattern).rsplit(".", 1)[-1] in FACTS


def _pattern(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _add_vocabulary(target: Any, translation: Any, path: str, problems: List[str]) -> None:
    if isinstance(translation, dict):
        for key, value in translation.items():
            sub = f"{path}.{key}" if path else key
            if _matches(_pattern(sub), VOCABULARY):
                if not isinstance(target, dict):
                    continue
                if isinstance(value, dict):
                    target.setdefault(key, {})
                    _add_vocabulary(target[key], value, sub, problems)
                elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                    target.setdefault(key, [])
                    target[key] = target[key] + [v for v in value if v not in target[key]]
                else:
                    problems.append(f"{sub}: expected a list of words")
            elif isinstance(target, dict) and key in target:
                _add_vocabulary(target[key], value, sub, problems)
    elif isinstance(translation, list) and isinstance(target, list):
        for index, (item, value) in enumerate(zip(target, translation, strict=False)):
            _add_vocabulary(item, value, f"{path}[{index}]", problems)


def _word(target: Any, translation: Any, path: str, problems: List[str], language: str) -> None:
    """Put the translation's wording in place, checking ids, lengths and numbers."""
    if isinstance(translation, dict):
        if not isinstance(target, dict):
            problems.append(f"{path}: expected a list, as in English")
            return
        for key, value in translation.items():
            sub = f"{path}.{key}" if path else key
            pattern = _pattern(sub)
            if _matches(pattern, VOCABULARY):
                continue
            if key in IDENTITY and key in target and not _has_entries(value):
                if value != target[key]:
                    problems.append(
                        f"{_entry(target, path)}: field '{key}': '{value}' where English has '{target[key]}'"
                    )
                continue
            if pattern in GLOSSES:
                target[key] = value
                continue
            if key not in target:
                problems.append(f"{_entry(target, path)}: field '{key}': not in the English entry")
                continue
            _word_value(target, key, value, sub, problems, language)
    elif isinstance(translation, list):
        if not isinstance(target, list) or len(target) != len(translation):
            have = len(target) if isinstance(target, list) else "no"
            problems.append(f"{path}: {len(translation)} entries where English has {have}")
            return
        for index, value in enumerate(translation):
            _word_value(target, index, value, f"{path}[{index}]", problems, language)


def _word_value(target: Any, key: Any, value: Any, path: str, problems: List[str], language: str) -> None:
    pattern = _pattern(path)
    english = target[key]
    if isinstance(english, (dict, list)):
        _word(english, value, path, problems, language)
    elif _is_fact(pattern) or not _matches(pattern, WORDING):
        problems.append(f"{path}: a fact, not wording: the same in every language (remove it from the translation)")
    elif not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: expected the {language} text")
    elif numbers(value) != numbers(str(english)):
        problems.append(
            f"{path}: numbers {sorted(numbers(value).elements())} where English has "
            f"{sorted(numbers(str(english)).elements())}"
        )
    else:
        target[key] = value


def _require(english: Any, translation: Any, path: str, problems: List[str]) -> None:
    """Every English wording field, and every gloss, has its translation."""
    if isinstance(english, dict):
        translated = translation if isinstance(translation, dict) else {}
        keys = list(english)
        keys += [k for k in ("gloss",) if f"{_pattern(path)}.{k}" in GLOSSES and k not in english]
        for key in keys:
            sub = f"{path}.{key}" if path else key
            value = english.get(key)
            if key in translated:
                _require(value, translated[key], sub, problems)
            elif _needs(value, _pattern(sub)):
                problems.append(f"{_entry(english, path)}: field '{key}': no translation")
    elif isinstance(english, list):
        translated = translation if isinstance(translation, list) else []
        for index, value in enumerate(english):
            sub = f"{path}[{index}]"
            if index < len(translated):
                _require(value, translated[index], sub, problems)
            elif _needs(value, _pattern(sub)):
                problems.append(f"{sub}: no translation")


def _needs(value: Any, pattern: str) -> bool:
    """Whether this English value (or anything in it) is wording that must be translated."""
    if pattern in GLOSSES:
        return True
    if isinstance(value, dict):
        return any(_needs(v, f"{pattern}.{k}") for k, v in value.items())
    if isinstance(value, list):
        return any(_needs(v, f"{pattern}[]") for v in value)
    return isinstance(value, str) and _matches(pattern, WORDING) and not _is_fact(pattern)
