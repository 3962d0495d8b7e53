"""The message mixes: realistic conversations, each bot asked about what it was built for.

Ours: student questions of which about two thirds are answered by custom actions
(pay, credentials, exam, follow-ups that reuse slots), the rest by rules (small
talk, bot challenge, out of scope). The baseline answers its own intents: the
`rasa init` mood bot's stories and rules. Both bots get the same shape of load:
short conversations, every message expecting at least one reply.
"""

from __future__ import annotations

from typing import List

OURS: List[List[str]] = [
    [
        "hi",
        "what does a medical assistant do?",
        "how much do CMAs make?",
        "and per hour?",
        "what about without certification?",
        "thanks!",
    ],
    [
        "what certifications are there?",
        "tell me about the RMA",
        "who offers it?",
        "how much is the exam fee?",
        "how long does it take?",
        "bye",
    ],
    [
        "how do I become a medical assistant",
        "do I need to be certified?",
        "what's on the cma exam",
        "do I have to renew it?",
        "what are the ccma eligibility rules",
        "thank you",
    ],
    [
        "are you a bot?",
        "what can you do?",
        "cma vs rma",
        "and the ccma?",
        "what skills do I need?",
        "and the people skills?",
    ],
    [
        "hello",
        "what's the job outlook?",
        "where can this career lead?",
        "what's the NCMA?",
        "how much do medical assistants earn in texas",
        "how do I become a pilot",
    ],
]

BASELINE: List[List[str]] = [
    ["hello", "I am feeling great", "bye"],
    ["hi", "I am sad", "yes", "goodbye"],
    ["hey", "I feel very unhappy", "no"],
    ["are you a bot?", "good morning", "I'm great", "bye"],
]


def flat(conversations: List[List[str]]) -> List[str]:
    return [message for conversation in conversations for message in conversation]
