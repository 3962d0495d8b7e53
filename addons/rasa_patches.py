"""Rasa 3.6 hot spots fixed at import time (the package is imported when Rasa loads the model).

Every reply from the action server is checked against a JSON schema. Rasa 3.6
calls `jsonschema.validate`, which checks the schema itself and builds a new
validator on every call: about half of the Rasa server's CPU per message in
`make bench-isolate` (86 -> 41 ms per message with the validator built once).
The check stays exactly as strict; only the validator is reused.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

import jsonschema
import rasa.core.actions.action
from jsonschema.exceptions import best_match

RemoteAction = rasa.core.actions.action.RemoteAction
# Rasa's own method, kept so `make bench-isolate` can measure without the patch.
RASA_VALIDATE_ACTION_RESULT = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Same verdict and message as Rasa's, with the validator built once."""
    error = best_match(_reply_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid."
        )
        raise error
    return True


RemoteAction._validate_action_result = _validate_action_result
