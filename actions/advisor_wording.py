"""How the bot words the advisor's side: its questions, the recommendation, a personal note,
an answer to a student's own situation, feedback, rephrasing, the hand-off and other meanings.

It words decisions made in advisor_rules (what fits, how firmly, what next); it
decides nothing itself. Facts come from `knowledge/`, the school's details from
`knowledge/site.yml`.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from actions.advisor_rules import Fit, PersonalFit, Recommendation, SituationAdvice
from actions.constants import ENGLISH
from actions.knowledge import Knowledge, OtherMeaning, Site
from actions.wording import (
    COMPARE_ALL,
    CREDENTIALS,
    DUTIES,
    ELIGIBILITY,
    EXAM,
    HOW_TO_START,
    PAY,
    PHRASES,
    PROGRAMS,
    START_ADVISOR,
    TALK_TO_ADVISOR,
    Answer,
    Button,
    bullets,
    join,
    payload,
    say,
)

# The 👍/👎 buttons' intents; their titles are worded in feedback_prompt.
FEEDBACK_INTENTS = ("feedback_positive", "feedback_negative")


def standing_words(standing: str, language: str = ENGLISH) -> str:
    """How ready the student is for a credential, as said after its name."""
    return {
        "ready": say(language, "fits you now"),
        "after_program": say(language, "once you finish your program"),
        "check": say(language, "worth checking"),
        "plan": say(language, "your goal"),
    }[standing]


def _without_stop(text: str) -> str:
    """A reason ending in an abbreviation ("EE. UU.") before the sentence's own full stop."""
    return text[:-1] if text.endswith(".") else text


def advisor_intro(language: str = ENGLISH) -> str:
    return say(
        language,
        "Let's find the credential that fits you. I'll ask a few quick questions; "
        'say "stop" any time, or "why?" to know why I ask.',
    )


def advisor_question(kb: Knowledge, slot: str, retry: bool, language: str = ENGLISH) -> Answer:
    """One question with answer buttons (`kb` worded in `language`); a retry says what kind of answer works."""
    question = kb.advisor.question(slot)
    titles = [o.title for o in question.options] or list(question.buttons)
    text = (
        say(language, "Sorry, I didn't catch that. {hint}\n{ask}", hint=question.hint, ask=question.ask)
        if retry
        else question.ask
    )
    return Answer(text, [Button(title, title) for title in titles])


def advisor_skipped(language: str = ENGLISH) -> str:
    return say(language, "No problem, let's leave that one out.")


def advisor_why(kb: Knowledge, slot: Optional[str], language: str = ENGLISH) -> str:
    if slot is None:
        return say(language, "I ask so I can point you to the credentials that fit your situation.")
    return say(language, "{why} Now, back to my question.", why=kb.advisor.question(slot).why)


def fit_line(kb: Knowledge, fit: Fit, language: str = ENGLISH) -> str:
    cred = kb.credential(fit.credential)
    reasons = list(fit.reasons[:1])
    if fit.focus_note:
        reasons.append(fit.focus_note)
    return say(
        language,
        "**{credential}** from the {issuer}, {standing}: {reasons}.",
        credential=cred.id,
        issuer=cred.issuer,
        standing=standing_words(fit.standing, language),
        reasons=_without_stop("; ".join(reasons)),
    )


def recommendation(kb: Knowledge, advice: Recommendation, language: str = ENGLISH) -> Tuple[Answer, Answer]:
    """The personal recommendation and the numbered checklist (`kb` and `advice` worded in `language`)."""
    fits, top = advice.fits, advice.top
    if top:
        intro = (
            say(language, "Here's what fits you:")
            if top.standing != "plan"
            else say(language, "No credential is within reach yet; here's the goal to work towards:")
        )
        text = intro + "\n" + bullets([fit_line(kb, f, language) for f in fits])
    else:
        text = say(
            language,
            "From your answers I can't match a credential yet. "
            "These are the general steps my sources describe; an advisor can help with your situation.",
        )
    if advice.skipped:
        text += "\n" + say(language, "(I left out the questions you skipped.)")
    checklist = (
        say(language, "Your next steps:") + "\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(advice.steps, 1))
    )
    compare_button = (
        COMPARE_ALL
        if len(fits) > 1
        else Button(ELIGIBILITY.title, payload("ask_eligibility", credential=top.credential))
        if top
        else PROGRAMS
    )
    return (
        Answer(text),
        Answer(checklist, [TALK_TO_ADVISOR, compare_button, Button("Redo the questions", payload("start_advisor"))]),
    )


def personal_note(fit: Optional[PersonalFit], language: str = ENGLISH) -> Optional[str]:
    """What the advisor answers mean for a credential asked about later, if anything (`fit` worded in `language`)."""
    if fit is None:
        return None
    if fit.years is None:
        lead = say(language, "For you")
    elif fit.years == 1:
        lead = say(language, "With your {years} year of experience", years=f"{fit.years:g}")
    else:
        lead = say(language, "With your {years} years of experience", years=f"{fit.years:g}")
    return say(
        language,
        "**{lead}:** the {credential} {standing}; {reason}.",
        lead=lead,
        credential=fit.credential,
        standing=standing_words(fit.standing, language),
        reason=_without_stop(fit.reason),
    )


def feedback_prompt(topic: str, language: str = ENGLISH) -> Answer:
    titles = (say(language, "👍 Yes"), say(language, "👎 No"))
    return Answer(
        say(language, "Was this helpful?"),
        [
            Button(title, payload(intent, feedback_topic=topic))
            for title, intent in zip(titles, FEEDBACK_INTENTS, strict=True)
        ],
    )


def feedback_thanks(positive: bool, language: str = ENGLISH) -> Answer:
    if positive:
        return Answer(say(language, "Thanks, glad it helped! 😊"))
    return Answer(
        say(
            language,
            "Thanks for telling me, and sorry that didn't help. Would you like to talk it over with a person?",
        ),
        [TALK_TO_ADVISOR, START_ADVISOR, HOW_TO_START],
    )


def feedback_not_recorded(already_rated: bool, language: str = ENGLISH) -> Answer:
    """A rating that is not kept: a second one for the same answer, or one for no answer given."""
    if already_rated:
        return Answer(say(language, "Thanks, I've already noted your rating for that answer."))
    return Answer(say(language, "Thanks! I couldn't tell which of my answers that was about, so I haven't noted it."))


# --- not understood -------------------------------------------------------------------


def rephrase(again: bool, language: str = ENGLISH, worried: bool = False, story: bool = False) -> Answer:
    """Not understood; the second time in a row, a person is offered too. A worry with no question in
    it ("I'm so nervous about my exam next week") is not "not understood": the student is asked what
    would help (the worry itself is acknowledged before this, actions/conversation.py). A long story
    (`story`) is not asked to be "rephrased": the student is thanked and asked one thing at a time,
    with the questionnaire offered as the way to a personal answer."""
    if worried and not again:
        return Answer(
            say(
                language,
                "What would you like to know? I can tell you what the exam covers, what the credentials are, "
                "or which one fits you.",
            ),
            [EXAM, CREDENTIALS, START_ADVISOR, TALK_TO_ADVISOR],
        )
    if again:
        return Answer(
            say(
                language,
                "Sorry, I'm still not getting it. Would you like to talk to a person at the advising office, "
                "or try something else?",
            ),
            [TALK_TO_ADVISOR, START_ADVISOR, PAY],
        )
    if story:
        return Answer(
            say(
                language,
                "Thanks for telling me all that. I couldn't pick out one question I can answer from it, and I'd "
                "rather not guess. Could you ask me one thing at a time, such as pay, daily duties or "
                "certifications? Or I can ask you a few quick questions to find the credential that fits you.",
            ),
            [START_ADVISOR, PAY, CREDENTIALS, TALK_TO_ADVISOR],
        )
    return Answer(
        say(
            language,
            "Sorry, I didn't quite get that. Could you rephrase it? For example, you could ask about pay, "
            "daily duties, certifications or how to get started.",
        ),
        [PAY, DUTIES, CREDENTIALS, START_ADVISOR],
    )


# --- people and other meanings -----------------------------------------------------


def advising_contact(site: Site, language: str = ENGLISH) -> Answer:
    """The school's own advisors, from knowledge/site.yml (the office's name and hours in `language`)."""
    office = site.advising
    return Answer(
        say(
            language,
            "You can talk to a person at {school}'s **{office}** ({contact}):",
            school=site.school,
            office=site.office(language),
            contact=site.contact(language),
        )
        + "\n"
        + bullets(
            [
                say(language, "E-mail: {email}", email=office.email),
                say(language, "Phone: {phone}", phone=office.phone),
                say(language, "Hours: {hours}", hours=site.hours(language)),
                say(language, "Book an appointment: {url}", url=office.booking_url),
            ]
        ),
        [START_ADVISOR, HOW_TO_START],
    )


def other_meaning(kb: Knowledge, meaning: OtherMeaning, language: str = ENGLISH) -> Answer:
    """The student means another "CMA": say so, and what this bot does cover (`kb` worded in `language`)."""
    here = kb.credential(meaning.acronym)
    if here is None:
        ours = say(language, "a medical assisting credential")
    elif here.gloss and language != ENGLISH:
        ours = f"{here.name} ({here.gloss})"
    else:
        ours = here.name
    return Answer(
        say(
            language,
            "It sounds like you mean the {meaning} ({field}). Sorry, I only cover careers in "
            "medical assisting: here, {acronym} means {ours}.",
            meaning=meaning.meaning,
            field=meaning.field,
            acronym=meaning.acronym,
            ours=ours,
        ),
        [
            Button(
                say(language, "What's the {acronym}?", acronym=meaning.acronym),
                payload("ask_credential_details", credential=meaning.acronym),
            )
            if here
            else CREDENTIALS,
            PAY,
            HOW_TO_START,
        ],
    )


def situation_answer(
    kb: Knowledge, advice: SituationAdvice, topic_texts: Sequence[str], language: str = ENGLISH
) -> Answer:
    """What the student told us about themselves, through the advisor rules; the questionnaire comes next.

    `kb` and `advice` are worded in `language`, as are the topic answers' texts."""
    text = say(language, "From what you've told me ({told}):", told=join(advice.labels, language=language))
    if advice.fits:
        text += "\n" + bullets([fit_line(kb, f, language) for f in advice.fits])
    if topic_texts:
        text += "\n" + " ".join(topic_texts)
    text += "\n" + say(
        language,
        "For a full recommendation with next steps, tap **{button}**.",
        button=PHRASES.title(language, START_ADVISOR.title),
    )
    return Answer(text, [START_ADVISOR, ELIGIBILITY, TALK_TO_ADVISOR])
