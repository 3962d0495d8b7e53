"""The entity vocabulary comes from the knowledge file, and the spaCy pipeline built from it finds entities."""

from __future__ import annotations

import subprocess
import sys

import pytest

from actions.constants import NOT_AN_ENTITY
from cma_stack import ROOT

SPACY_DIR = ROOT / "build" / "spacy_cma"


def test_generated_synonyms_match_the_knowledge_file():
    result = subprocess.run(
        [sys.executable, "scripts/build_nlu.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_credential_and_organization_has_name_and_plural_phrases(kb):
    vocab = kb.entity_vocabulary()
    for cred in kb.credentials:
        phrases = vocab["credential"][cred.id]
        assert {cred.id.lower(), cred.id.lower() + "s", cred.name.lower(), cred.name.lower() + "s"} <= set(phrases)
    for org in kb.organizations:
        assert {org.id.lower(), org.name.lower()} <= set(vocab["organization"][org.id])


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    if not (SPACY_DIR / "meta.json").exists():
        pytest.fail(f"{SPACY_DIR} is missing: run `make vocab`")
    return spacy.load(SPACY_DIR)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "how much do Certified Medical Assistants make per hour in New York",
            [("credential", "CMA"), ("pay_period", "hourly"), ("location", "New York")],
        ),
        ("whats the difference between the ncma and CCMAs", [("credential", "NCMA"), ("credential", "CCMA")]),
        (
            "is the national certified medical assistant from the NCCT",
            [("credential", "NCMA"), ("organization", "NCCT")],
        ),
        ("the rma's requirements", [("credential", "RMA")]),
        ("what about non-certified ones", [("certification_status", "non_certified")]),
        ("and the soft skills?", [("skill_type", "human")]),
        ("registered medical assistants", [("credential", "RMA")]),
        ("what does a medical assistant do", []),
        # phrases that hold a pay period's words and mean something else (knowledge `not_entities`)
        ("¿qué debo saber a la hora de elegir un programa?", []),
        ("¿cuánto gana un asistente médico a la hora?", [("pay_period", "hourly")]),
        ("i started a year ago", []),
        ("how much do they make a year", [("pay_period", "yearly")]),
    ],
)
def test_entity_ruler_finds_and_normalises(nlp, text, expected):
    doc = nlp(text.lower())
    assert [(ent.label_, ent.ent_id_) for ent in doc.ents if ent.label_ != NOT_AN_ENTITY] == expected
