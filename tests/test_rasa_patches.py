"""The patches of Rasa internals judge exactly like Rasa's own code, and refuse a Rasa they were not written for."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import addons  # noqa: F401  (applies the patch, as loading the model does)
from addons.rasa_patches import _validate_action_result

GOOD = {"events": [{"event": "slot", "name": "topic", "value": "pay"}], "responses": [{"text": "hi"}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"events": [{"event": "slot", "name": "topic", "value": "pay"}], "responses": "nope"},
]


def test_the_patch_is_in_place():
    assert RemoteAction._validate_action_result is _validate_action_result


def test_rasas_own_check_is_kept_for_the_benchmark():
    from addons.rasa_patches import RASA_VALIDATE_ACTION_RESULT

    assert RASA_VALIDATE_ACTION_RESULT is not _validate_action_result
    assert RASA_VALIDATE_ACTION_RESULT(RemoteAction("action_x", None), GOOD) is True


def test_valid_replies_pass():
    assert RemoteAction("action_x", None)._validate_action_result(GOOD) is True


@pytest.mark.parametrize("reply", BAD)
def test_invalid_replies_are_refused_as_before(reply):
    with pytest.raises(jsonschema.ValidationError) as patched:
        RemoteAction("action_x", None)._validate_action_result(reply)
    with pytest.raises(jsonschema.ValidationError) as original:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    assert patched.value.message.startswith(original.value.message)
    assert "Failed to validate Action server response" in patched.value.message


def _event_type_names():
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    return sorted({cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)})


@pytest.mark.parametrize("type_name", _event_type_names())
def test_every_event_type_resolves_to_the_class_rasa_finds(type_name):
    from rasa.shared.core.events import Event

    from addons.rasa_patches import RASA_RESOLVE_BY_TYPE

    assert Event.resolve_by_type(type_name) is RASA_RESOLVE_BY_TYPE(type_name)


def test_unknown_event_names_behave_as_in_rasa():
    from rasa.shared.core.events import Event, UserUttered

    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_an_event_class_defined_later_still_resolves():
    from rasa.shared.core.events import Event, SlotSet

    Event.resolve_by_type("slot")  # the index exists before the new class

    class LateEvent(SlotSet):
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent
    assert Event.from_parameters({"event": "late_event_for_test", "name": "topic", "value": "pay"}).value == "pay"


def test_the_patches_refuse_another_rasa_release():
    from addons.rasa_patches import RasaMismatch, check

    check()  # the installed release passes
    with pytest.raises(RasaMismatch, match="Rasa is 3.7.0, the patches were written for 3.6.21"):
        check("3.7.0")


def test_the_patches_refuse_a_changed_signature(monkeypatch):
    from addons import rasa_patches

    owner, name, parameters, replacement = rasa_patches.PATCHES[0]
    monkeypatch.setattr(rasa_patches, "PATCHES", [(owner, name, [*parameters, "domain"], replacement)])
    with pytest.raises(rasa_patches.RasaMismatch, match="_validate_action_result now takes"):
        rasa_patches.check()


def test_a_server_on_another_rasa_release_refuses_to_start():
    """What an upgrade would do at start-up: stop with a message that says why, before serving anyone."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    script = "import rasa; rasa.__version__ = '3.7.0'; import addons.channels"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "will not run on this Rasa: Rasa is 3.7.0" in result.stderr
