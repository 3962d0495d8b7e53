"""How the bot words its answers, built only from the knowledge file.

Every function takes the validated knowledge and the conversation context and
returns an Answer: short text (plain English, **bold** and line breaks only)
plus 2-4 buttons for the natural next questions. No fact, name or number is
written here; they all come from `knowledge/`. Templates must not contain
digits either: the "no invented numbers" test checks every answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from actions.constants import (
    CERTIFIED,
    ENTITY_CERTIFICATION_STATUS,
    ENTITY_CREDENTIAL,
    ENTITY_LOCATION,
    ENTITY_PAY_PERIOD,
    ENTITY_ORGANIZATION,
    ENTITY_SKILL_TYPE,
    HOURLY,
    HUMAN,
    LOCAL,
    NON_CERTIFIED,
    TECHNICAL,
    YEARLY,
)
from actions.advisor import SKIPPED, Fit, Situation, assess, matches, next_steps, recommended
from actions.knowledge import (
    ADVISORS_REFERENCE,
    ISSUER_REFERENCE,
    STATE_REFERENCE,
    Credential,
    Knowledge,
    Organization,
    OtherMeaning,
    Site,
)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> Dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Answer:
    text: str
    buttons: List[Button] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What the student asked about, from this message or earlier in the conversation."""

    credential: Optional[str] = None
    compared: Sequence[str] = ()
    organization: Optional[str] = None
    certification_status: Optional[str] = None
    pay_period: Optional[str] = None
    skill_type: Optional[str] = None
    location: Optional[str] = None

    def but(self, **changes: object) -> "Context":
        return replace(self, **changes)


def payload(intent: str, **entities: str) -> str:
    """A button payload Rasa parses without NLU, e.g. /ask_issuer{"credential":"RMA"}."""
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{intent}"


# Buttons reused across answers; titles are what the student would have typed.
PAY = Button("What do they earn?", payload("ask_pay"))
DUTIES = Button("What do they do?", payload("ask_duties"))
CREDENTIALS = Button("Which credentials exist?", payload("ask_credentials_list"))
HOW_TO_START = Button("How do I become one?", payload("ask_how_to_become"))
OUTLOOK = Button("Job outlook", payload("ask_outlook"))
PAY_FACTORS = Button("What affects pay?", payload("ask_pay_factors"))
SKILLS = Button("Skills I'll need", payload("ask_skills"))
PROGRAMS = Button("Training programs", payload("ask_programs"))
EXAM = Button("The exam", payload("ask_exam"))
RENEWAL = Button("Renewing", payload("ask_renewal"))
CAREER = Button("Where can it lead?", payload("ask_career_paths"))
WHY = Button("Why get certified?", payload("ask_why_certify"))
COMPARE_ALL = Button("Compare them", payload("compare_credentials"))
ELIGIBILITY = Button("How do I qualify?", payload("ask_eligibility"))
COST = Button("What does it cost?", payload("ask_cost"))
DURATION = Button("How long does it take?", payload("ask_duration"))


def _join(items: Sequence[str], last: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _cite(kb: Knowledge, source_id: str) -> str:
    return f"({kb.source(source_id).cite_as})"


def _org_ref(org: Organization) -> str:
    return f"the {org.name} ({org.id}, {org.url})"


def _issuer(kb: Knowledge, cred: Credential) -> Organization:
    return kb.organization(cred.issuer)


def _credential_label(cred: Credential) -> str:
    return f"**{cred.id}** ({cred.name})"


# --- the article's topics -----------------------------------------------------


def definition(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.definition
    return Answer(
        f"{topic.summary} {topic.detail} {topic.role}",
        [DUTIES, PAY, CREDENTIALS, HOW_TO_START],
    )


def duties(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.duties
    items = [_sentence(item)[:-1] for item in topic.items]
    return Answer(
        f"{topic.intro} Common duties:\n{_bullets(items)}\n{topic.varies}",
        [SKILLS, PAY, HOW_TO_START],
    )


def pay(kb: Knowledge, ctx: Context) -> Answer:
    """National figures only, filtered by what was asked (certified or not, hourly or yearly)."""
    topic = kb.topics.pay
    groups = [ctx.certification_status] if ctx.certification_status else [CERTIFIED, NON_CERTIFIED]
    cred = kb.credential(ctx.credential)
    if cred and not ctx.certification_status:
        groups = [CERTIFIED]
    lines = []
    for group in groups:
        figure = topic.figure(group)
        if figure is None:
            continue
        if ctx.pay_period == HOURLY:
            amount = f"**{figure.hourly} an hour**"
        elif ctx.pay_period == YEARLY:
            amount = f"**{figure.yearly} a year**"
        else:
            amount = f"**{figure.hourly} an hour** or **{figure.yearly} a year**"
        lines.append(f"{_sentence(figure.label)[:-1]}: {figure.measure} {amount} {_cite(kb, figure.source)}.")
    intro = ""
    if ctx.location:
        gap = kb.gap("local_pay")
        place = "your area" if ctx.location == LOCAL else ctx.location
        refs = _join([_org_ref(kb.organization(o)) for o in gap.refer_to], "or")
        intro = f"My sources only give national figures, not pay in {place}; for local wages, check {refs}. Nationally:\n"
    elif cred and cred.id not in {f.credential for f in topic.figures}:
        intro = (
            f"The article has no separate pay figure for the {cred.id}; "
            f"the closest it gives is for certified medical assistants in general:\n"
        )
    buttons: List[Button] = []
    if ctx.pay_period != HOURLY:
        buttons.append(Button("Per hour?", payload("inform", pay_period=HOURLY)))
    if ctx.pay_period != YEARLY:
        buttons.append(Button("Per year?", payload("inform", pay_period=YEARLY)))
    if ctx.certification_status != NON_CERTIFIED:
        buttons.append(Button("Without certification?", payload("inform", certification_status=NON_CERTIFIED)))
    else:
        buttons.append(Button("With certification?", payload("inform", certification_status=CERTIFIED)))
    buttons.append(PAY_FACTORS)
    return Answer(intro + "\n".join(lines), buttons[:4])


def pay_factors(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.pay
    notes = " ".join(topic.notes)
    return Answer(
        f"Wages vary with your {_join(topic.factors)}. {notes}",
        [PAY, OUTLOOK, WHY],
    )


def outlook(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.outlook
    return Answer(
        f"Good news: the BLS expects medical assistant jobs to grow by **{topic.growth}** {topic.period}, "
        f"much faster than the average for all jobs, {topic.all_jobs_growth} {_cite(kb, topic.source)}. "
        f"{topic.summary}",
        [PAY, CAREER, HOW_TO_START],
    )


def skills(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.skills
    if ctx.skill_type in (TECHNICAL, HUMAN):
        chosen = topic.technical if ctx.skill_type == TECHNICAL else topic.human
        other = HUMAN if ctx.skill_type == TECHNICAL else TECHNICAL
        lines = _bullets([f"**{s.name}**: {s.examples}" for s in chosen])
        return Answer(
            f"The {ctx.skill_type} skills medical assistants use:\n{lines}",
            [Button(f"And the {other} skills?", payload("inform", skill_type=other)), PROGRAMS, DUTIES],
        )
    technical = _join([s.name.lower() for s in topic.technical])
    human = _join([s.name.lower() for s in topic.human])
    return Answer(
        f"Medical assistants need a blend of technical and human skills.\n"
        f"**Technical:** {technical}.\n**Human:** {human}.\n{topic.on_the_job}",
        [
            Button("Technical skills in detail", payload("inform", skill_type=TECHNICAL)),
            Button("Human skills in detail", payload("inform", skill_type=HUMAN)),
            PROGRAMS,
        ],
    )


def career_paths(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.career_paths
    return Answer(
        f"{topic.summary} You could specialize in areas such as {_join(topic.specialties)}, "
        f"or {_join(topic.further, 'or')}.",
        [OUTLOOK, PAY, HOW_TO_START],
    )


def why_certify(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.why_certify
    certified = kb.topics.pay.figure(CERTIFIED)
    non_certified = kb.topics.pay.figure(NON_CERTIFIED)
    comparison = ""
    if certified and non_certified:
        comparison = (
            f" On pay, certified medical assistants average {certified.hourly} an hour ({certified.yearly} a year) "
            f"{_cite(kb, certified.source)}, against a {non_certified.hourly} ({non_certified.yearly}) median for "
            f"non-certified ones {_cite(kb, non_certified.source)}."
        )
    return Answer(
        f"Getting certified can help: {_join(topic.benefits)}. {topic.employers}{comparison}",
        [CREDENTIALS, HOW_TO_START, PAY],
    )


def how_to_become(kb: Knowledge, ctx: Context) -> Answer:
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(kb.topics.how_to_become.steps, start=1))
    return Answer(f"Here's the usual route:\n{steps}", [PROGRAMS, CREDENTIALS, EXAM, SKILLS])


def programs(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.program
    return Answer(
        f"{topic.summary} Subjects include {_join(topic.subjects)}.",
        [DURATION, EXAM, HOW_TO_START],
    )


def exam(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.exam
    cred = kb.credential(ctx.credential)
    whose = f"The {cred.id} comes from the {_issuer(kb, cred).name} ({cred.issuer}). " if cred else ""
    return Answer(
        f"{whose}{topic.summary} Common topics: {_join(topic.topics)}.",
        [RENEWAL, ELIGIBILITY, COST],
    )


def renewal(kb: Knowledge, ctx: Context) -> Answer:
    return Answer(kb.topics.renewal.summary, [COST, EXAM, WHY])


# --- credentials and organizations --------------------------------------------


def credentials_list(kb: Knowledge, ctx: Context) -> Answer:
    lines = [f"{_credential_label(c)} from the {_issuer(kb, c).id}" for c in kb.credentials]
    return Answer(
        f"Common nationally accredited credentials:\n{_bullets(lines)}",
        [COMPARE_ALL, ELIGIBILITY]
        + [_about(c) for c in kb.credentials[:2]],
    )


def _about(cred: Credential) -> Button:
    return Button(f"About the {cred.id}", payload("ask_credential_details", credential=cred.id))


def credential_details(kb: Knowledge, ctx: Context) -> Answer:
    cred = kb.credential(ctx.credential)
    if cred is None:
        return credentials_list(kb, ctx)
    issuer = _issuer(kb, cred)
    other = next(c for c in kb.credentials if c.id != cred.id)
    return Answer(
        f"The {_credential_label(cred)} comes from the {issuer.name} ({issuer.id}). "
        f"It's {cred.summary}. To qualify: {cred.qualify}.",
        [
            Button("How do I get it?", payload("ask_eligibility", credential=cred.id)),
            Button(f"Compare with the {other.id}", payload("compare_credentials", credential=other.id)),
            EXAM,
            COST,
        ],
    )


def issuer(kb: Knowledge, ctx: Context) -> Answer:
    cred = kb.credential(ctx.credential)
    if cred is None:
        lines = [f"{c.id}: {_issuer(kb, c).name} ({_issuer(kb, c).id})" for c in kb.credentials]
        return Answer(f"Each credential has its own issuer:\n{_bullets(lines)}", [COMPARE_ALL, ELIGIBILITY])
    org = _issuer(kb, cred)
    return Answer(
        f"The {cred.id} ({cred.name}) is offered by the **{org.name}** ({org.id}). Official site: {org.url}",
        [
            Button("How do I get it?", payload("ask_eligibility", credential=cred.id)),
            Button(f"More about the {org.id}", payload("ask_organization", organization=org.id)),
            COMPARE_ALL,
        ],
    )


def compare(kb: Knowledge, ctx: Context) -> Answer:
    chosen = [c for c in (kb.credential(i) for i in ctx.compared) if c] or list(kb.credentials)
    lines = []
    for cred in chosen:
        routes = _join([kb.path(r).short for r in cred.routes], "or")
        focus = cred.focus or "focus not described in my sources"
        note = f" ({cred.experience_note})" if cred.experience_note and len(chosen) <= 2 else ""
        lines.append(f"**{cred.id}** · {_issuer(kb, cred).id} · {routes}{note} · {focus}")
    return Answer(
        "Side by side (issuer · ways to qualify · focus):\n" + "\n".join(lines)
        + (f"\n{kb.topics.exam.summary}" if len(chosen) <= 2 else ""),
        [ELIGIBILITY, EXAM]
        + [_about(c) for c in chosen[:2]],
    )


def eligibility(kb: Knowledge, ctx: Context) -> Answer:
    cred = kb.credential(ctx.credential)
    if cred is None:
        lines = []
        for path in kb.paths:
            holders = [c.id for c in kb.credentials if path.id in c.routes]
            notes = [f"{c.id}: {c.experience_note}" for c in kb.credentials
                     if path.id == "work_experience" and path.id in c.routes and c.experience_note]
            if holders:
                extra = f" ({c_note})" if (c_note := "; ".join(notes)) else ""
                lines.append(f"**{_sentence(path.short)[:-1]}**: {_join(holders, 'or')}{extra}")
        return Answer(
            "It depends on the credential. Routes the article describes:\n"
            + _bullets(lines)
            + f"\n{kb.topics.exam.summary}",
            [_about(c) for c in kb.credentials[:2]] + [COMPARE_ALL, PROGRAMS],
        )
    text = f"For the {cred.id}: {cred.qualify}."
    if "exam" not in cred.qualify:
        text += " Then pass the certification exam."
    if cred.experience_note is None and "work_experience" in cred.routes:
        orgs = referrals(kb, "experience_years", ctx)
        text += (
            f" My sources don't say how many years of experience the {cred.id} asks for; "
            f"check with {_join([_org_ref(o) for o in orgs], 'or')}."
        )
    return Answer(text, [EXAM, PROGRAMS, COST])


def organization(kb: Knowledge, ctx: Context) -> Answer:
    if ctx.organization is None:
        return Answer(
            "Which organization? These are the ones my sources mention:",
            [
                Button(o.id, payload("ask_organization", organization=o.id))
                for o in kb.organizations[:4]
            ],
        )
    org = kb.organization(ctx.organization)
    return Answer(
        f"The **{org.name}** ({org.id}) {org.role}. Official site: {org.url}",
        [CREDENTIALS, PROGRAMS, HOW_TO_START],
    )


# --- what the article does not cover --------------------------------------------


def referrals(kb: Knowledge, gap_id: str, ctx: Context) -> List[Organization]:
    """The official bodies among a gap's referrals; "issuer" means the credential under discussion's."""
    orgs: List[Organization] = []
    cred = kb.credential(ctx.credential)
    for ref in kb.gap(gap_id).refer_to:
        if ref == ISSUER_REFERENCE:
            orgs.extend(_issuer(kb, c) for c in ([cred] if cred else kb.credentials))
        elif ref not in (ADVISORS_REFERENCE, STATE_REFERENCE):
            orgs.append(kb.organization(ref))
    return orgs


Composer = Callable[[Knowledge, Context], Answer]

# Topic name (kept in the `topic` slot) -> how to answer it.
TOPICS: Dict[str, Composer] = {
    "definition": definition,
    "duties": duties,
    "pay": pay,
    "pay_factors": pay_factors,
    "outlook": outlook,
    "skills": skills,
    "career_paths": career_paths,
    "why_certify": why_certify,
    "how_to_become": how_to_become,
    "programs": programs,
    "exam": exam,
    "renewal": renewal,
    "credentials": credentials_list,
    "credential": credential_details,
    "issuer": issuer,
    "compare": compare,
    "eligibility": eligibility,
    "organization": organization,
}

# Topics that are gaps of the knowledge file: answered by gap_answer (it needs the school's site file).
GAP_TOPICS = ("cost", "duration")

# For a bare follow-up ("and the RMA?"), the topics that can take the new
# detail; otherwise the follow-up starts the default topic for that entity.
TOPICS_BY_ENTITY: Dict[str, List[str]] = {
    ENTITY_CREDENTIAL: ["credential", "issuer", "eligibility", "compare", "cost", "exam", "pay"],
    ENTITY_ORGANIZATION: ["organization"],
    ENTITY_SKILL_TYPE: ["skills"],
    ENTITY_CERTIFICATION_STATUS: ["pay"],
    ENTITY_PAY_PERIOD: ["pay"],
    ENTITY_LOCATION: ["pay"],
}


# --- the advisor conversation ------------------------------------------------------

START_ADVISOR = Button("Find my credential", payload("start_advisor"))
TALK_TO_ADVISOR = Button("Talk to an advisor", payload("talk_to_human"))
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
        "say \"stop\" any time, or \"why?\" to know why I ask."
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


def _fit_line(kb: Knowledge, fit: Fit) -> str:
    cred = kb.credential(fit.credential)
    reasons = list(fit.reasons[:1])
    if fit.focus_note:
        reasons.append(fit.focus_note)
    return f"**{cred.id}** from the {cred.issuer}, {STANDING_WORDS[fit.standing]}: " + "; ".join(reasons) + "."


def recommendation(kb: Knowledge, situation: Situation) -> Tuple[Answer, Answer, List[str]]:
    """The personal recommendation, the numbered checklist, and the credential ids recommended."""
    fits = recommended(assess(kb.advisor, situation, kb.credential_ids))
    top = fits[0] if fits else None
    if fits:
        intro = "Here's what fits you:" if top.standing != "plan" else (
            "No credential is within reach yet; here's the goal to work towards:"
        )
        text = intro + "\n" + _bullets([_fit_line(kb, f) for f in fits])
    else:
        text = (
            "From your answers I can't match a credential yet. "
            "These are the general steps my sources describe; an advisor can help with your situation."
        )
    skipped = [q.slot for q in kb.advisor.questions if getattr(situation, q.slot) == SKIPPED]
    if skipped:
        text += "\n(I left out the questions you skipped.)"
    steps = next_steps(kb, situation, top) if fits else list(kb.topics.how_to_become.steps)
    checklist = "Your next steps:\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
    compare_button = (
        Button("Compare them", payload("compare_credentials")) if len(fits) > 1 else
        Button("How do I qualify?", payload("ask_eligibility", credential=top.credential)) if top else PROGRAMS
    )
    return (
        Answer(text),
        Answer(checklist, [TALK_TO_ADVISOR, compare_button, Button("Redo the questions", payload("start_advisor"))]),
        [f.credential for f in fits],
    )


def personal_note(kb: Knowledge, situation: Situation, credential_id: Optional[str]) -> Optional[str]:
    """What the advisor answers mean for a credential asked about later, if anything."""
    if not situation.known or credential_id is None:
        return None
    fit = next((f for f in assess(kb.advisor, situation, kb.credential_ids) if f.credential == credential_id), None)
    if fit is None:
        return None
    years = situation.years
    lead = f"With your {years:g} years of experience" if years and years >= 1 and any(
        r.credential == credential_id and (r.when.min_years or r.when.above_years is not None)
        and matches(r.when, situation) for r in kb.advisor.rules
    ) else "For you"
    return f"**{lead}:** the {credential_id} {STANDING_WORDS[fit.standing]}; {fit.reasons[0]}."


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
        + _bullets([
            f"E-mail: {office.email}",
            f"Phone: {office.phone}",
            f"Hours: {office.hours}",
            f"Book an appointment: {office.booking_url}",
        ]),
        [START_ADVISOR, HOW_TO_START],
    )


def other_meaning(kb: Knowledge, meaning: OtherMeaning) -> Answer:
    """The student means another "CMA": say so, and what this bot does cover."""
    here = kb.credential(meaning.acronym)
    ours = f"{here.name}" if here else "a medical assisting credential"
    return Answer(
        f"It sounds like you mean the {meaning.meaning} ({meaning.field}). Sorry, I only cover careers in "
        f"medical assisting: here, {meaning.acronym} means {ours}.",
        [Button(f"What's the {meaning.acronym}?", payload("ask_credential_details", credential=meaning.acronym))
         if here else CREDENTIALS, PAY, HOW_TO_START],
    )


# --- the student's own words: gaps, neighbouring roles, situations (actions/reading.py) ---------

def _advisors_ref(site: Site) -> str:
    office = site.advising
    name = office.office.split(" (")[0]
    return f"{site.school}'s {name} ({office.email}, {office.phone})"


def referral(kb: Knowledge, site: Site, refs: Sequence[str], ctx: Context) -> str:
    """"Ask X, Y or Z.": organizations, the issuer(s), the school's advisors, the state."""
    cred = kb.credential(ctx.credential)
    parts: List[str] = []
    for ref in refs:
        if ref == ISSUER_REFERENCE:
            if cred:
                parts.append(_org_ref(_issuer(kb, cred)))
            else:
                issuers = [f"{_issuer(kb, c).id} for the {c.id} ({_issuer(kb, c).url})" for c in kb.credentials]
                parts.append("the body that issues the credential: " + _join(issuers))
        elif ref == ADVISORS_REFERENCE:
            parts.append(_advisors_ref(site))
        elif ref == STATE_REFERENCE:
            parts.append("the state where you plan to work")
        else:
            parts.append(_org_ref(kb.organization(ref)))
    unique = list(dict.fromkeys(parts))
    if any("," in part for part in unique[:-1]):
        return f"To find out, ask {'; or '.join(unique)}."
    return f"To find out, ask {_join(unique, 'or')}."


def gap_answer(
    kb: Knowledge, site: Site, gap_ids: Sequence[str], ctx: Context, role_ids: Sequence[str] = ()
) -> Answer:
    """The sources don't cover it: said first, then the nearest things the article says, then whom to ask.

    Roles named alongside ("how long from MA to RN?") add what the article says about them.
    """
    gaps = [kb.gap(g) for g in gap_ids]
    sentences = [f"Sorry, my sources don't cover {gaps[0].subject}, and I'd rather not guess."]
    sentences += [f"They don't cover {gap.subject} either." for gap in gaps[1:]]
    notes = [g.article_says for g in gaps] + [kb.role(r).article_says for r in role_ids]
    sentences += list(dict.fromkeys(note for note in notes if note))
    refs = [ref for gap in gaps for ref in gap.refer_to]
    sentences.append(referral(kb, site, refs, ctx))
    buttons = [TALK_TO_ADVISOR] if ADVISORS_REFERENCE in refs else []
    return Answer(" ".join(sentences), (buttons + [HOW_TO_START, CREDENTIALS, PROGRAMS])[:3])


def _pay_and_outlook(kb: Knowledge) -> str:
    """One sentence for comparing careers: national pay and job growth, with their sources."""
    outlook = kb.topics.outlook
    figures = [f"{f.hourly} an hour for {f.label} ({f.measure}, {kb.source(f.source).publisher})"
               for f in kb.topics.pay.figures]
    return (f"Pay is {_join(figures)}, and jobs are expected to grow {outlook.growth} {outlook.period} "
            f"{_cite(kb, outlook.source)}.")


def role_answer(kb: Knowledge, site: Site, role_ids: Sequence[str], ctx: Context, with_topic: bool) -> Answer:
    """Neighbouring roles are in scope: what the article says about medical assistants, and whom to ask."""
    roles = [kb.role(r) for r in role_ids]
    sentences = [f"My sources don't describe {_join([r.plural for r in roles])}, only medical assistants, "
                 f"so I can't compare the two roles."]
    sentences += list(dict.fromkeys(r.article_says for r in roles if r.article_says))
    if not with_topic:
        sentences.append(f"What they say about medical assistants: {kb.topics.definition.role} "
                         f"{kb.topics.duties.intro} {_pay_and_outlook(kb)}")
    refs = [ref for role in roles for ref in role.refer_to]
    sentences.append(referral(kb, site, refs, ctx).replace("To find out, ask", f"For the {roles[0].name} side, ask", 1))
    return Answer(" ".join(sentences), [TALK_TO_ADVISOR, DUTIES, HOW_TO_START])


def situation_answer(kb: Knowledge, situation: Situation, circumstances: Sequence[str], ctx: Context) -> Answer:
    """What the student told us about themselves, run through the advisor rules; the questionnaire comes next."""
    entries = [kb.situation(c) for c in circumstances]
    fits = [f for f in recommended(assess(kb.advisor, situation, kb.credential_ids)) if f.standing != "plan"]
    about = _join([e.label for e in entries])
    # Situations that set no advisor answer (already certified, wants nursing) say it with topic answers.
    unset = [e for e in entries if not any(getattr(situation, slot, None) not in (None, SKIPPED) for slot in e.sets)]
    topics = list(dict.fromkeys(t for e in unset for t in e.answer_with))
    if not fits and not topics:
        topics = ["how_to_become"]
    text = f"From what you've told me ({about}):"
    if fits:
        text += "\n" + _bullets([_fit_line(kb, f) for f in fits])
    if topics:
        text += "\n" + " ".join(TOPICS[t](kb, ctx).text for t in topics[:2])
    text += "\nFor a full recommendation with next steps, tap **Find my credential**."
    return Answer(text, [START_ADVISOR, ELIGIBILITY, TALK_TO_ADVISOR])
