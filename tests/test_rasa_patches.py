"""The faster action-reply check must judge exactly like Rasa's own."""

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
