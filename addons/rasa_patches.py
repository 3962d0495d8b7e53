"""Rasa 3.6 speed fixes, applied by one explicit, version-checked call: `apply()` (see below).

Every reply from the action server is checked against a JSON schema. Rasa 3.6
calls `jsonschema.validate`, which checks the schema itself and builds a new
validator on every call: about half of the Rasa server's CPU per message in
`make bench-isolate` (86 -> 41 ms per message with the validator built once).
The check stays exactly as strict; only the validator is reused.

Every stored event is turned back into an object by `Event.resolve_by_type`,
which walks the whole Event class tree for each one (about 5 % of the server's
CPU per message in a py-spy profile, more as conversations grow). The lookup
is now a dict, rebuilt when a name is missing so events defined later still
resolve; names it cannot find go to Rasa's own method, unchanged.

They replace Rasa internals, which no extension point reaches, so they are
applied by one explicit call, `apply()` (from addons/__init__.py, which Rasa
imports with the channels and the model's components). It first checks the
Rasa version and the signatures of what it replaces, and refuses to start on a
mismatch: an upgrade must fail at start-up, on the developer's machine, not
quietly change behaviour in production. (The Redis lock fix is a proper
subclass now: addons/lock_store.py.)
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Text, Type

import jsonschema
import rasa
import rasa.core.actions.action
import rasa.shared.utils.common
from jsonschema.exceptions import best_match
from rasa.shared.core.events import Event

# The Rasa release these patches were written and tested against.
RASA_VERSION = "3.6.21"

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


# Rasa's own lookup, kept for names the dict does not know (its fallbacks and errors).
RASA_RESOLVE_BY_TYPE = Event.resolve_by_type
_event_classes: Dict[Text, Type[Event]] = {}


def _index_event_classes() -> None:
    """Type name -> class, first match wins as in Rasa's walk of the class tree."""
    _event_classes.clear()
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        _event_classes.setdefault(cls.type_name, cls)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Same answer as Rasa's `Event.resolve_by_type`, without walking the class tree each time."""
    cls = _event_classes.get(type_name)
    if cls is None:
        _index_event_classes()
        cls = _event_classes.get(type_name)
    return cls if cls is not None else RASA_RESOLVE_BY_TYPE(type_name, default)


# What each patch replaces: (owner, attribute, the parameters Rasa's version takes, the replacement).
PATCHES: List[tuple] = [
    (RemoteAction, "_validate_action_result", ["self", "result"], _validate_action_result),
    (Event, "resolve_by_type", ["type_name", "default"], staticmethod(resolve_by_type)),
]


class RasaMismatch(RuntimeError):
    """The installed Rasa is not the one these patches replace parts of."""


def check(version: str = rasa.__version__) -> None:
    """Raises RasaMismatch, naming what differs, unless Rasa is the release the patches were written for."""
    problems = []
    if version != RASA_VERSION:
        problems.append(f"Rasa is {version}, the patches were written for {RASA_VERSION}")
    for owner, name, parameters, _ in PATCHES:
        original = _originals.get((owner, name), getattr(owner, name, None))
        if original is None:
            problems.append(f"{owner.__name__}.{name} no longer exists")
            continue
        found = list(inspect.signature(original).parameters)
        if found != parameters:
            problems.append(f"{owner.__name__}.{name} now takes {found}, not {parameters}")
    if problems:
        raise RasaMismatch(
            "addons/rasa_patches.py replaces Rasa internals and will not run on this Rasa: "
            + "; ".join(problems)
            + ". Check each patch against the new Rasa, then update RASA_VERSION and PATCHES."
        )


_originals: Dict[tuple, Callable[..., Any]] = {}


def apply() -> None:
    """Checks, then applies every patch once."""
    check()
    for owner, name, _, replacement in PATCHES:
        if (owner, name) not in _originals:
            _originals[(owner, name)] = getattr(owner, name)
            setattr(owner, name, replacement)
