"""Shared fixtures: the knowledge base, and the real running stack for end-to-end tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cma_stack import QUIET_ENV, Stack, free_port, running_stack  # noqa: E402

# The same quiet Rasa in this process as in the servers (e.g. SQLAlchemy 1.4's legacy-API notice, which
# Rasa 3.6 uses on purpose); whatever the environment already says wins.
for _name, _value in QUIET_ENV.items():
    os.environ.setdefault(_name, _value)

from actions.knowledge import Knowledge, load_knowledge  # noqa: E402


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return load_knowledge()


@pytest.fixture(scope="session")
def site_port() -> int:
    """Where the browser tests serve the demo site; the shared stack allows this origin (CORS)."""
    return free_port()


@pytest.fixture(scope="session")
def stack(site_port: int) -> Iterator[Stack]:
    """One action server + Rasa server for every end-to-end and browser test in the run."""
    with running_stack([f"http://127.0.0.1:{site_port}"]) as running:
        yield running
