"""How the bot words the advisor's side: its questions, the recommendation, a personal note,
an answer to a student's own situation, feedback, rephrasing, the hand-off and other meanings.

It words decisions made in advisor_rules (what fits, how firmly, what next); it
decides nothing itself. Facts come from `knowledge/`, the school's details from
`knowledge/site.yml`.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from actions.advisor_rules import Fit, PersonalFit, Recommendation, SituationAdvice
from actions.knowledge import Knowledge, OtherMeaning, Site
from actions.wording import (
    CREDENTIALS,
    DUTIES,
    ELIGIBILITY,
    HOW_TO_START,
    PAY,
    PROGRAMS,
    START_ADVISOR,
    TALK_TO_ADVISOR,
    Answer,
    Button,
    bullets,
    join,
    payload,
)

FEEDBACK_BUTTONS = (("👍 Yes", "feedback_positive"), ("👎 No", "feedback_negative"))

STANDING_WORDS = {
    "ready": "fits you now",
    "after_program": "once you finish your program",
    "check": "worth checking",
    "plan": "your goal",
}


def advisor_intro() -> str:
    return (
        "Let's find the credential that fits you. I'll ask a few quick questions; "
        'say "stop" any time, or "why?" to know why I ask.'
    )


def advisor_question(kb: Knowledge, slot: str, retry: bool) -> Answer:
    """One question with answer buttons; a retry says what kind of answer works."""
    question = kb.advisor.question(slot)
    titles = [o.title for o in question.options] or list(question.buttons)
    text = f"Sorry, I didn't catch that. {question.hint}\n{question.ask}" if retry else question.ask
    return Answer(text, [Button(title, title) for title in titles])


def advisor_skipped() -> str:
    return "No problem, let's leave that one out."


def advisor_why(kb: Knowledge, slot: Optional[str]) -> str:
    if slot is None:
        return "I ask so I can point you to the credentials that fit your situation."
    return f"{kb.advisor.question(slot).why} Now, back to my question."


def fit_line(kb: Knowledge, fit: Fit) -> str:
    cred = kb.credential(fit.credential)
    reasons = list(fit.reasons[:1])
    if fit.focus_note:
        reasons.append(fit.focus_note)
    return f"**{cred.id}** from the {cred.issuer}, {STANDING_WORDS[fit.standing]}: " + "; ".join(reasons) + "."


def recommendation(kb: Knowledge, advice: Recommendation) -> Tuple[Answer, Answer]:
    """The personal recommendation and the numbered checklist."""
    fits, top = advice.fits, advice.top
    if top:
        intro = (
            "Here's what fits you:"
            if top.standing != "plan"
            else ("No credential is within reach yet; here's the goal to work towards:")
        )
        text = intro + "\n" + bullets([fit_line(kb, f) for f in fits])
    else:
        text = (
            "From your answers I can't match a credential yet. "
            "These are the general steps my sources describe; an advisor can help with your situation."
        )
    if advice.skipped:
        text += "\n(I left out the questions you skipped.)"
    checklist = "Your next steps:\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(advice.steps, 1))
    compare_button = (
        Button("Compare them", payload("compare_credentials"))
        if len(fits) > 1
        else Button("How do I qualify?", payload("ask_eligibility", credential=top.credential))
        if top
        else PROGRAMS
    )
    return (
        Answer(text),
        Answer(checklist, [TALK_TO_ADVISOR, compare_button, Button("Redo the questions", payload("start_advisor"))]),
    )


def personal_note(fit: Optional[PersonalFit]) -> Optional[str]:
    """What the advisor answers mean for a credential asked about later, if anything."""
    if fit is None:
        return None
    lead = f"With your {fit.years:g} years of experience" if fit.years is not None else "For you"
    return f"**{lead}:** the {fit.credential} {STANDING_WORDS[fit.standing]}; {fit.reason}."


def feedback_prompt(topic: str) -> Answer:
    return Answer(
        "Was this helpful?",
        [Button(title, payload(intent, feedback_topic=topic)) for title, intent in FEEDBACK_BUTTONS],
    )


def feedback_thanks(positive: bool) -> Answer:
    if positive:
        return Answer("Thanks, glad it helped! 😊")
    return Answer(
        "Thanks for telling me, and sorry that didn't help. Would you like to talk it over with a person?",
        [TALK_TO_ADVISOR, START_ADVISOR, HOW_TO_START],
    )


def feedback_not_recorded(already_rated: bool) -> Answer:
    """A rating that is not kept: a second one for the same answer, or one for no answer given."""
    if already_rated:
        return Answer("Thanks, I've already noted your rating for that answer.")
    return Answer("Thanks! I couldn't tell which of my answers that was about, so I haven't noted it.")


# --- not understood -------------------------------------------------------------------


def rephrase(again: bool) -> Answer:
    """Not understood; the second time in a row, a person is offered too."""
    if again:
        return Answer(
            "Sorry, I'm still not getting it. Would you like to talk to a person at the advising office, "
            "or try something else?",
            [TALK_TO_ADVISOR, START_ADVISOR, PAY],
        )
    return Answer(
        "Sorry, I didn't quite get that. Could you rephrase it? For example, you could ask about pay, "
        "daily duties, certifications or how to get started.",
        [PAY, DUTIES, CREDENTIALS, START_ADVISOR],
    )


# --- people and other meanings -----------------------------------------------------


def advising_contact(site: Site) -> Answer:
    """The school's own advisors, from knowledge/site.yml."""
    office = site.advising
    return Answer(
        f"You can talk to a person at {site.school}'s **{office.office}** ({office.contact}):\n"
        + bullets(
            [
                f"E-mail: {office.email}",
                f"Phone: {office.phone}",
                f"Hours: {office.hours}",
                f"Book an appointment: {office.booking_url}",
            ]
        ),
        [START_ADVISOR, HOW_TO_START],
    )


def other_meaning(kb: Knowledge, meaning: OtherMeaning) -> Answer:
    """The student means another "CMA": say so, and what this bot does cover."""
    here = kb.credential(meaning.acronym)
    ours = f"{here.name}" if here else "a medical assisting credential"
    return Answer(
        f"It sounds like you mean the {meaning.meaning} ({meaning.field}). Sorry, I only cover careers in "
        f"medical assisting: here, {meaning.acronym} means {ours}.",
        [
            Button(f"What's the {meaning.acronym}?", payload("ask_credential_details", credential=meaning.acronym))
            if here
            else CREDENTIALS,
            PAY,
            HOW_TO_START,
        ],
    )


def situation_answer(kb: Knowledge, advice: SituationAdvice, topic_texts: Sequence[str]) -> Answer:
    """What the student told us about themselves, through the advisor rules; the questionnaire comes next."""
    text = f"From what you've told me ({join(advice.labels)}):"
    if advice.fits:
        text += "\n" + bullets([fit_line(kb, f) for f in advice.fits])
    if topic_texts:
        text += "\n" + " ".join(topic_texts)
    text += "\nFor a full recommendation with next steps, tap **Find my credential**."
    return Answer(text, [START_ADVISOR, ELIGIBILITY, TALK_TO_ADVISOR])
