"""Experiment only (bench/isolate.py): Rasa validating action-server replies against a schema compiled once.

Rasa 3.6 checks every action-server reply with `jsonschema.validate(reply,
schema)`, which first re-validates the (constant) schema against the JSON
Schema meta-schema and builds a new validator: with jsonschema 4.17 that is
most of the Rasa server's CPU time per custom action. This replaces the method,
in processes started with this folder on PYTHONPATH, by the same validation
with a validator built once; invalid replies are still rejected with the same
best-matching error. The proposed fix for the assistant is this same code in addons/.
"""

from functools import lru_cache
from typing import Any, Dict

import jsonschema
import rasa.core.actions.action
from jsonschema.exceptions import best_match


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The response schema is a constant: check it and build its validator once per process."""
    schema = rasa.core.actions.action.RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    error = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += ". Failed to validate Action server response from API."
        raise error
    return True


rasa.core.actions.action.RemoteAction._validate_action_result = _validate_action_result
