"""50 concurrent conversations of 20 messages on PostgreSQL: no errors, every turn stored, memory flat."""

from __future__ import annotations

import json

import pytest

from cma_stack import ROOT, postgres_database, running_stack
from scripts.soak import check, soak

pytestmark = [pytest.mark.stack, pytest.mark.postgres]


def test_soak_50_conversations_of_20_messages():
    with postgres_database() as url, running_stack(tracker_store_url=url) as stack:
        result = soak(stack, conversations=50, messages=20)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "soak.json").write_text(json.dumps(result, indent=2))
    assert result["messages"] == 1000
    assert check(result) == [], result
