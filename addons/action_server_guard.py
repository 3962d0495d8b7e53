"""Never leave a student in silence when the action server is down.

When a custom action cannot be run (the action server is down, crashed or
unreachable), Rasa logs the error, drops the action's events and, by default,
sends nothing: the student waits for an answer that never comes, on every
channel. This policy notices exactly that case, a custom action that ran in a
live conversation and left no trace (no message, no slot), and predicts a
response that says so in words. Forms are the same case: the questionnaire's
form runs `validate_advisor_form` and `action_ask_*` on the action server, and
when they fail Rasa logs the form as run with nothing else, so a form that
left no trace gets the same words (it stays active; the next answer retries). Because it works on the tracker, it covers
REST, socket.io (the widget) and `rasa shell` alike. What follows the
response (waiting for the student) is an ordinary rule in data/rules/.

A slow action server is the same failure seen later: Rasa 3.6 waits up to five
minutes for it and has no setting for that, so importing this module (which
Rasa does when it loads the model) caps the wait at ACTION_TIMEOUT_SECONDS
(default 8, below the widget's 10-second patience).
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Text

import rasa.core.actions.action
from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

RESPONSE = "response"
ACTION_TIMEOUT_ENV = "ACTION_TIMEOUT_SECONDS"
DEFAULT_ACTION_TIMEOUT = 8.0


def _cap_action_server_wait() -> None:
    """Rasa reads this module-level constant on every call to the action server."""
    seconds = float(os.environ.get(ACTION_TIMEOUT_ENV) or DEFAULT_ACTION_TIMEOUT)
    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = seconds


_cap_action_server_wait()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ActionServerGuardPolicy(Policy):
    """Predicts the 'cannot look that up' response after a custom action failed."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above the RulePolicy, whose rules would otherwise go straight back to listening.
        return {POLICY_PRIORITY: RULE_POLICY_PRIORITY + 1, RESPONSE: "utter_action_server_down"}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn: the rule is fixed."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        response = self.config[RESPONSE]
        if not _is_live(tracker):
            return self._prediction(probabilities)
        last = tracker.events[-1] if tracker.events else None
        if isinstance(last, ActionExecuted) and (
            last.action_name in domain.user_actions or last.action_name in domain.form_names
        ):
            probabilities[domain.index_for_action(response)] = 1.0
        elif tracker.latest_action_name == response:
            # Said it; now wait for the student, even inside the questionnaire, where
            # Rasa's loop prediction would run the failing form again.
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        else:
            return self._prediction(probabilities)
        # A loop's own prediction (the questionnaire) outranks every other policy unless this one is too.
        return self._prediction(probabilities, is_no_user_prediction=True)


def _is_live(tracker: DialogueStateTracker) -> bool:
    """A real conversation, not a training or test story (those never start a session)."""
    return any(isinstance(event, SessionStarted) for event in tracker.events)
