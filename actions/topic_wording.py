"""How the bot words its answers on the article's topics, credentials and organizations,
and on what the sources don't cover (gaps and neighbouring roles).

Each composer takes the validated knowledge and the conversation context and
returns an Answer: short text (plain English, **bold** and line breaks only)
plus 2-4 buttons for the natural next questions. No fact, name or number is
written here; they all come from `knowledge/`.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from actions.constants import (
    CERTIFIED,
    ENTITY_CERTIFICATION_STATUS,
    ENTITY_CREDENTIAL,
    ENTITY_LOCATION,
    ENTITY_ORGANIZATION,
    ENTITY_PAY_PERIOD,
    ENTITY_SKILL_TYPE,
    GAP_OF_INTENT,
    HOURLY,
    HUMAN,
    LOCAL,
    NON_CERTIFIED,
    TECHNICAL,
    YEARLY,
)
from actions.knowledge import (
    ADVISORS_REFERENCE,
    ISSUER_REFERENCE,
    STATE_REFERENCE,
    Credential,
    Knowledge,
    Organization,
    Site,
)
from actions.wording import (
    CAREER,
    COMPARE_ALL,
    COST,
    CREDENTIALS,
    DURATION,
    DUTIES,
    ELIGIBILITY,
    EXAM,
    HOW_TO_START,
    OUTLOOK,
    PAY,
    PAY_FACTORS,
    PROGRAMS,
    RENEWAL,
    SKILLS,
    TALK_TO_ADVISOR,
    WHY,
    Answer,
    Button,
    Context,
    bullets,
    cite,
    credential_label,
    issuer_of,
    join,
    org_ref,
    payload,
    sentence,
    source_links,
)

# --- the article's topics -----------------------------------------------------


def definition(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.definition
    return Answer(
        f"{topic.summary} {topic.detail} {topic.role}",
        [DUTIES, PAY, CREDENTIALS, HOW_TO_START],
    )


def duties(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.duties
    items = [sentence(item)[:-1] for item in topic.items]
    return Answer(
        f"{topic.intro} Common duties:\n{bullets(items)}\n{topic.varies}",
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
        lines.append(f"{sentence(figure.label)[:-1]}: {figure.measure} {amount} {cite(kb, figure.source)}.")
    intro = ""
    if ctx.location:
        gap = kb.gap("local_pay")
        place = "your area" if ctx.location == LOCAL else ctx.location
        refs = join([org_ref(kb.organization(o)) for o in gap.refer_to], "or")
        intro = (
            f"My sources only give national figures, not pay in {place}; for local wages, check {refs}. Nationally:\n"
        )
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
    sources = source_links(kb, [figure.source for group in groups if (figure := topic.figure(group))])
    return Answer(intro + "\n".join(lines) + sources, buttons[:4])


def pay_factors(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.pay
    notes = " ".join(topic.notes)
    return Answer(
        f"Wages vary with your {join(topic.factors)}. {notes}",
        [PAY, OUTLOOK, WHY],
    )


def outlook(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.outlook
    return Answer(
        f"Good news: the {kb.source(topic.source).publisher} expects medical assistant jobs to grow by "
        f"**{topic.growth}** {topic.period}, "
        f"much faster than the average for all jobs, {topic.all_jobs_growth} {cite(kb, topic.source)}. "
        f"{topic.summary}{source_links(kb, [topic.source])}",
        [PAY, CAREER, HOW_TO_START],
    )


def skills(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.skills
    if ctx.skill_type in (TECHNICAL, HUMAN):
        chosen = topic.technical if ctx.skill_type == TECHNICAL else topic.human
        other = HUMAN if ctx.skill_type == TECHNICAL else TECHNICAL
        lines = bullets([f"**{s.name}**: {s.examples}" for s in chosen])
        return Answer(
            f"The {ctx.skill_type} skills medical assistants use:\n{lines}",
            [Button(f"And the {other} skills?", payload("inform", skill_type=other)), PROGRAMS, DUTIES],
        )
    technical = join([s.name.lower() for s in topic.technical])
    human = join([s.name.lower() for s in topic.human])
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
        f"{topic.summary} You could specialize in areas such as {join(topic.specialties)}, "
        f"or {join(topic.further, 'or')}.",
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
            f"{cite(kb, certified.source)}, against a {non_certified.hourly} ({non_certified.yearly}) median for "
            f"non-certified ones {cite(kb, non_certified.source)}."
            f"{source_links(kb, [certified.source, non_certified.source])}"
        )
    return Answer(
        f"Getting certified can help: {join(topic.benefits)}. {topic.employers}{comparison}",
        [CREDENTIALS, HOW_TO_START, PAY],
    )


def how_to_become(kb: Knowledge, ctx: Context) -> Answer:
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(kb.topics.how_to_become.steps, start=1))
    return Answer(f"Here's the usual route:\n{steps}", [PROGRAMS, CREDENTIALS, EXAM, SKILLS])


def programs(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.program
    return Answer(
        f"{topic.summary} Subjects include {join(topic.subjects)}.",
        [DURATION, EXAM, HOW_TO_START],
    )


def exam(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.exam
    cred = kb.credential(ctx.credential)
    whose = f"The {cred.id} comes from the {issuer_of(kb, cred).name} ({cred.issuer}). " if cred else ""
    return Answer(
        f"{whose}{topic.summary} Common topics: {join(topic.topics)}.",
        [RENEWAL, ELIGIBILITY, COST],
    )


def renewal(kb: Knowledge, ctx: Context) -> Answer:
    return Answer(kb.topics.renewal.summary, [COST, EXAM, WHY])


# --- credentials and organizations --------------------------------------------


def credentials_list(kb: Knowledge, ctx: Context) -> Answer:
    lines = [f"{credential_label(c)} from the {issuer_of(kb, c).id}" for c in kb.credentials]
    return Answer(
        f"Common nationally accredited credentials:\n{bullets(lines)}",
        [COMPARE_ALL, ELIGIBILITY] + [_about(c) for c in kb.credentials[:2]],
    )


def _about(cred: Credential) -> Button:
    return Button(f"About the {cred.id}", payload("ask_credential_details", credential=cred.id))


def credential_details(kb: Knowledge, ctx: Context) -> Answer:
    cred = kb.credential(ctx.credential)
    if cred is None:
        return credentials_list(kb, ctx)
    issuer = issuer_of(kb, cred)
    other = next(c for c in kb.credentials if c.id != cred.id)
    return Answer(
        f"The {credential_label(cred)} comes from the {issuer.name} ({issuer.id}). "
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
        lines = [f"{c.id}: {issuer_of(kb, c).name} ({issuer_of(kb, c).id})" for c in kb.credentials]
        return Answer(f"Each credential has its own issuer:\n{bullets(lines)}", [COMPARE_ALL, ELIGIBILITY])
    org = issuer_of(kb, cred)
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
        routes = join([kb.path(r).short for r in cred.routes], "or")
        focus = cred.focus or "focus not described in my sources"
        note = f" ({cred.experience_note})" if cred.experience_note and len(chosen) <= 2 else ""
        lines.append(f"**{cred.id}** · {issuer_of(kb, cred).id} · {routes}{note} · {focus}")
    return Answer(
        "Side by side (issuer · ways to qualify · focus):\n"
        + "\n".join(lines)
        + (f"\n{kb.topics.exam.summary}" if len(chosen) <= 2 else ""),
        [ELIGIBILITY, EXAM] + [_about(c) for c in chosen[:2]],
    )


def eligibility(kb: Knowledge, ctx: Context) -> Answer:
    cred = kb.credential(ctx.credential)
    if cred is None:
        lines = []
        for path in kb.paths:
            holders = [c.id for c in kb.credentials if path.id in c.routes]
            notes = [
                f"{c.id}: {c.experience_note}"
                for c in kb.credentials
                if path.id == "work_experience" and path.id in c.routes and c.experience_note
            ]
            if holders:
                extra = f" ({c_note})" if (c_note := "; ".join(notes)) else ""
                lines.append(f"**{sentence(path.short)[:-1]}**: {join(holders, 'or')}{extra}")
        return Answer(
            "It depends on the credential. Routes the article describes:\n"
            + bullets(lines)
            + f"\n{kb.topics.exam.summary}",
            [_about(c) for c in kb.credentials[:2]] + [COMPARE_ALL, PROGRAMS],
        )
    text = f"For the {cred.id} (from the {issuer_of(kb, cred).id}): {cred.qualify}."
    if "exam" not in cred.qualify:
        text += " Then pass the certification exam."
    programs = {p.id for p in kb.paths if p.program}
    if set(cred.routes) <= programs:
        # A program-only credential: say the way in for those without a program ("do I need school?").
        routes = [p for p in kb.paths if not p.program]
        others = [c.id for c in kb.credentials if any(p.id in c.routes for p in routes)]
        text += f" Without a program, the {join(others)} accept {join([p.short for p in routes], 'or')}."
    if cred.experience_note is None and "work_experience" in cred.routes:
        orgs = referrals(kb, "experience_years", ctx)
        text += (
            f" My sources don't say how many years of experience the {cred.id} asks for; "
            f"check with {join([org_ref(o) for o in orgs], 'or')}."
        )
    return Answer(text, [EXAM, PROGRAMS, COST])


def organization(kb: Knowledge, ctx: Context) -> Answer:
    if ctx.organization is None:
        return Answer(
            "Which organization? These are the ones my sources mention:",
            [Button(o.id, payload("ask_organization", organization=o.id)) for o in kb.organizations[:4]],
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
            orgs.extend(issuer_of(kb, c) for c in ([cred] if cred else kb.credentials))
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
GAP_TOPICS = tuple(GAP_OF_INTENT.values())

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


# --- the student's own words: gaps, neighbouring roles, situations (actions/reading.py) ---------


def _advisors_ref(site: Site) -> str:
    office = site.advising
    name = office.office.split(" (")[0]
    return f"{site.school}'s {name} ({office.email}, {office.phone})"


def referral(kb: Knowledge, site: Site, refs: Sequence[str], ctx: Context) -> str:
    """ "Ask X, Y or Z.": organizations, the issuer(s), the school's advisors, the state."""
    cred = kb.credential(ctx.credential)
    parts: List[str] = []
    for ref in refs:
        if ref == ISSUER_REFERENCE:
            if cred:
                parts.append(org_ref(issuer_of(kb, cred)))
            else:
                issuers = [f"{issuer_of(kb, c).id} for the {c.id} ({issuer_of(kb, c).url})" for c in kb.credentials]
                parts.append("the body that issues the credential: " + join(issuers))
        elif ref == ADVISORS_REFERENCE:
            parts.append(_advisors_ref(site))
        elif ref == STATE_REFERENCE:
            parts.append("the state where you plan to work")
        else:
            parts.append(org_ref(kb.organization(ref)))
    unique = list(dict.fromkeys(parts))
    if any("," in part for part in unique[:-1]):
        return f"To find out, ask {'; or '.join(unique)}."
    return f"To find out, ask {join(unique, 'or')}."


def gap_answer(kb: Knowledge, site: Site, gap_ids: Sequence[str], ctx: Context, role_ids: Sequence[str] = ()) -> Answer:
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
    figures = [
        f"{f.hourly} an hour for {f.label} ({f.measure}, {kb.source(f.source).publisher})"
        for f in kb.topics.pay.figures
    ]
    sources = [figure.source for figure in kb.topics.pay.figures] + [outlook.source]
    return (
        f"Pay is {join(figures)}, and jobs are expected to grow {outlook.growth} {outlook.period} "
        f"{cite(kb, outlook.source)}.{source_links(kb, sources)}"
    )


def role_answer(kb: Knowledge, site: Site, role_ids: Sequence[str], ctx: Context, with_topic: bool) -> Answer:
    """Neighbouring roles are in scope: what the article says about medical assistants, and whom to ask."""
    roles = [kb.role(r) for r in role_ids]
    sentences = [
        f"My sources don't describe {join([r.plural for r in roles])}, only medical assistants, "
        f"so I can't compare the two roles."
    ]
    sentences += list(dict.fromkeys(r.article_says for r in roles if r.article_says))
    if not with_topic:
        sentences.append(
            f"What they say about medical assistants: {kb.topics.definition.role} "
            f"{kb.topics.duties.intro} {_pay_and_outlook(kb)}"
        )
    refs = [ref for role in roles for ref in role.refer_to]
    sentences.append(referral(kb, site, refs, ctx).replace("To find out, ask", f"For the {roles[0].name} side, ask", 1))
    return Answer(" ".join(sentences), [TALK_TO_ADVISOR, DUTIES, HOW_TO_START])


# --- not sure which question was asked ------------------------------------------------

BUTTON_OF_INTENT: Dict[str, Button] = {
    "ask_what_is_cma": Button("What is a CMA?", payload("ask_what_is_cma")),
    "ask_duties": DUTIES,
    "ask_pay": PAY,
    "ask_pay_factors": PAY_FACTORS,
    "ask_outlook": OUTLOOK,
    "ask_skills": SKILLS,
    "ask_career_paths": CAREER,
    "ask_why_certify": WHY,
    "ask_how_to_become": HOW_TO_START,
    "ask_programs": PROGRAMS,
    "ask_exam": EXAM,
    "ask_renewal": RENEWAL,
    "ask_credentials_list": CREDENTIALS,
    "ask_credential_details": Button("About a credential", payload("ask_credentials_list")),
    "ask_issuer": Button("Who issues each credential?", payload("ask_issuer")),
    "compare_credentials": COMPARE_ALL,
    "ask_eligibility": ELIGIBILITY,
}


def clarify(intents: Sequence[str]) -> Answer:
    """Not sure which question was asked: the likeliest ones as buttons, rather than a confident wrong answer."""
    buttons = list(dict.fromkeys(BUTTON_OF_INTENT[i] for i in intents if i in BUTTON_OF_INTENT))[:3]
    return Answer(
        "I want to be sure I answer the question you asked. Did you mean one of these? "
        "If not, could you put it another way?",
        buttons + [TALK_TO_ADVISOR] if len(buttons) >= 1 else [HOW_TO_START, CREDENTIALS, TALK_TO_ADVISOR],
    )
