"""Run actions the way the action server does: rasa-sdk Tracker in, CollectingDispatcher out."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import questionnaire_actions, topic_actions

ACTIONS: Dict[str, Action] = {
    cls().name(): cls()
    for module in (topic_actions, questionnaire_actions)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Action) and cls.__module__ == module.__name__
    and cls not in (topic_actions.TopicAnswer, questionnaire_actions.AskAdvisorQuestion)
}


def make_tracker(intent: str, entities: Sequence[Tuple[str, str]] = (), slots: Optional[Dict[str, Any]] = None,
                 text: str = "") -> Tracker:
    return Tracker(
        sender_id="test-user",
        slots=dict(slots or {}),
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [{"entity": label, "value": value} for label, value in entities],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_coroutine(coroutine: Any) -> Any:
    """Run an action's coroutine on its own loop in a worker thread.

    Playwright's sync API keeps an event loop running in the main thread for
    the browser tests' session, so asyncio.run() there would refuse.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Conversation:
    """Keeps slots between turns, as Rasa would, so follow-ups can be tested."""

    def __init__(self) -> None:
        self.slots: Dict[str, Any] = {}

    def ask(self, action_name: str, intent: str, *entities: Tuple[str, str]) -> Tuple[str, List[dict]]:
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(intent, entities, self.slots)
        events = run_coroutine(ACTIONS[action_name].run(dispatcher, tracker, {}))
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        text = "\n".join(m.get("text") or "" for m in dispatcher.messages)
        responses = [m["response"] for m in dispatcher.messages if m.get("response")]
        # The answer's own buttons; a "Was this helpful?" prompt may follow it (tested separately).
        answer_buttons = dispatcher.messages[0]["buttons"] if dispatcher.messages else []
        return text + "".join(f"<{r}>" for r in responses), answer_buttons
