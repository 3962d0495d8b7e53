"""The knowledge file loads, and a malformed one is refused with file, entry and field named."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from actions.knowledge import DEFAULT_KNOWLEDGE_FILE, KnowledgeError, load_knowledge
from cma_stack import ROOT, action_server_command, free_port, quiet_env


def _raw() -> dict:
    return yaml.safe_load(DEFAULT_KNOWLEDGE_FILE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_file_is_valid_and_complete(kb):
    assert [c.id for c in kb.credentials] == ["CMA", "RMA", "NCMA", "CCMA"]
    assert {c.issuer for c in kb.credentials} == {"AAMA", "AMT", "NCCT", "NHA"}
    assert {"CAAHEP", "ABHES", "BLS"} <= {o.id for o in kb.organizations}
    assert len(kb.topics.duties.items) == 5
    assert len(kb.topics.program.subjects) == 14
    assert len(kb.topics.exam.topics) == 6
    pay = {f.group: (f.hourly, f.yearly) for f in kb.topics.pay.figures}
    assert pay == {"non_certified": ("$17.88", "$37,190"), "certified": ("$20.76", "$39,085")}
    assert kb.topics.outlook.growth == "16 percent"
    assert "5 percent" in kb.topics.outlook.all_jobs_growth
    assert len(kb.topics.skills.technical) == 3 and len(kb.topics.skills.human) == 3
    assert all(o.url.startswith("https://") for o in kb.organizations)


def test_every_fact_is_in_the_article(kb):
    """Figures and names must be the article's own: nothing added from elsewhere."""
    article = ROOT.parent / "shared" / "source" / "cma-article.txt"
    if not article.exists():
        pytest.skip("the source article is not beside the project")
    text = " ".join(article.read_text(encoding="utf-8").split())
    for figure in kb.topics.pay.figures:
        assert figure.hourly in text and figure.yearly in text
    for subject in kb.topics.program.subjects + kb.topics.exam.topics:
        assert subject.lower() in text.lower(), subject
    for org in kb.organizations:
        assert org.name.lower() in text.lower(), org.name
    for cred in kb.credentials:
        assert cred.name.lower() in text.lower()


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d["credentials"][2].pop("issuer"), ["credentials[2] (NCMA)", "'issuer'", "field required"]),
        (
            lambda d: d["credentials"][1].update(issuer="AMX"),
            ["credentials[1] (RMA)", "'issuer'", "unknown organization 'AMX'"],
        ),
        (
            lambda d: d["topics"]["pay"]["figures"][0].update(hourly="17.88 dollars"),
            ["topics.pay.figures[0]", "'hourly'", "not a dollar amount"],
        ),
        (
            lambda d: d["organizations"][0].update(url="http://www.aama-ntl.org"),
            ["organizations[0] (AAMA)", "'url'", "https://"],
        ),
        (
            lambda d: d["credentials"][3].update(source="wikipedia"),
            ["credentials[3] (CCMA)", "'source'", "unknown source 'wikipedia'"],
        ),
        (
            lambda d: d["credentials"].append(dict(d["credentials"][0])),
            ["credentials[4] (CMA)", "'id'", "duplicate id"],
        ),
        (lambda d: d["topics"]["duties"].update(items=[]), ["topics.duties", "'items'", "at least 1"]),
        (lambda d: d["topics"].pop("exam"), ["topics", "'exam'", "field required"]),
        (
            lambda d: d["credentials"][0].update(salary="$99"),
            ["credentials[0] (CMA)", "'salary'", "extra fields not permitted"],
        ),
        (
            lambda d: d["not_covered"][0].update(refer_to=["NOBODY"]),
            ["not_covered[0] (this_school)", "'refer_to'", "unknown organization 'NOBODY'"],
        ),
        (
            lambda d: d["not_covered"][1].update(cues=["score + |pass"]),
            ["not_covered[1]", "'cues[0]'", "empty alternative"],
        ),
        (
            lambda d: d["not_covered"][2].update(cues=["bridge - burn - burning"]),
            ["not_covered[2]", "'cues[0]'", "more than one ' - '"],
        ),
        (
            lambda d: d["other_meanings"][0].update(cues=["baby + |allergy"]),
            ["other_meanings[0]", "'cues[0]'", "empty alternative"],
        ),
        (
            lambda d: d["roles"][0].update(refer_to=["nobody"]),
            ["roles[0] (CNA)", "'refer_to'", "unknown organization 'nobody'"],
        ),
        (
            lambda d: d["roles"][1].update(synonyms=[]),
            ["roles[1] (LPN)", "'synonyms'", "a role is named by its synonyms"],
        ),
        (
            lambda d: d["unlisted_roles"].update(role="astronaut"),
            ["unlisted_roles", "'role'", "unknown role 'astronaut'"],
        ),
        (
            lambda d: d["roles"][2].update(answered_by=["gossip"]),
            ["roles[2]", "'answered_by[0]'", "unknown topic 'gossip'"],
        ),
        (
            lambda d: d["situations"][0].update(sets={"military": "maybe"}),
            ["situations[0] (military)", "'sets.military'", "unknown answer 'maybe'"],
        ),
        (
            lambda d: d["situations"][0].update(sets={"hobby": "yes"}),
            ["situations[0] (military)", "'sets.hobby'", "unknown advisor question"],
        ),
        (
            lambda d: d["situations"][1].update(answer_with=["gossip"]),
            ["situations[1]", "'answer_with[0]'", "unknown topic 'gossip'"],
        ),
        (lambda d: d["feelings"].pop("reply"), ["feelings", "'reply'", "field required"]),
        (
            lambda d: d["not_covered"][-1].update(cues_from="planets"),
            ["not_covered[", "'cues_from'", "unknown vocabulary entity 'planets'"],
        ),
        (
            lambda d: d["not_covered"][0].update(answered_by=["gossip"]),
            ["not_covered[0]", "'answered_by", "unknown topic 'gossip'"],
        ),
        (
            lambda d: d["topics"]["pay"]["figures"][1].update(credential="XYZ"),
            ["topics.pay.figures[1]", "'credential'", "unknown credential 'XYZ'"],
        ),
    ],
)
def test_malformed_file_names_file_entry_and_field(tmp_path, mutate, expected):
    data = _raw()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(path)
    message = str(error.value)
    assert str(path) in message
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("credentials: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="not valid YAML"):
        load_knowledge(bad)
    with pytest.raises(KnowledgeError, match="cannot read"):
        load_knowledge(tmp_path / "missing.yml")
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="mapping"):
        load_knowledge(bad)


@pytest.mark.stack
def test_action_server_refuses_to_start_on_malformed_file(tmp_path):
    data = _raw()
    data["credentials"][1]["issuer"] = "AMX"
    path = _write(tmp_path, data)
    result = subprocess.run(
        action_server_command(free_port()),
        cwd=ROOT,
        env=quiet_env({"CMA_KNOWLEDGE_FILE": str(path)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert str(path) in output
    assert "credentials[1] (RMA)" in output and "'issuer'" in output
    assert "Action endpoint is up and running" not in output
