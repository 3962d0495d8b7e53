"""How the bot words its answers on the article's topics, credentials and organizations,
and on what the sources don't cover (gaps and neighbouring roles).

Each composer takes the validated knowledge and the conversation context and
returns an Answer: short text (plain words, **bold** and line breaks only)
plus 2-4 buttons for the natural next questions. No fact, name or number is
written here; they all come from `knowledge/`, worded in the context's language
(the composers are handed that language's Knowledge).

Every sentence around the facts is `say(ctx.language, "English {name}", name=...)`,
translated in `locale/<language>/topics.yml`; fixed button titles are translated when
the answer is sent (`locale/<language>/buttons.yml`). tests/test_phrasebook.py checks both.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple

from actions.constants import (
    CERTIFIED,
    ENGLISH,
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
    PayFigure,
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
    START_ADVISOR,
    TALK_TO_ADVISOR,
    WHY,
    WORTH_IT,
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
    say,
    source_links,
)

# --- the article's topics -----------------------------------------------------


def _bare(text: str) -> str:
    """A fact that a template ends with its own full stop, without its final period ("... EE. UU.")."""
    return text[:-1] if text.endswith(".") else text


def _capitalized(text: str) -> str:
    """A fact used as a heading or list item: capital first letter (its own final period, if any, kept)."""
    text = text.strip()
    return text[:1].upper() + text[1:]


def definition(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.definition
    return Answer(
        f"{topic.summary} {topic.detail} {topic.role}",
        [DUTIES, PAY, CREDENTIALS, HOW_TO_START],
    )


def duties(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.duties
    items = [_capitalized(item) for item in topic.items]
    common = say(ctx.language, "Common duties:")
    return Answer(
        f"{topic.intro} {common}\n{bullets(items)}\n{topic.varies}",
        [SKILLS, PAY, HOW_TO_START],
    )


def _amount(figure: PayFigure, ctx: Context) -> str:
    """A pay figure per hour, per year or both, as asked."""
    if ctx.pay_period == HOURLY:
        return say(ctx.language, "**{hourly} an hour**", hourly=figure.hourly)
    if ctx.pay_period == YEARLY:
        return say(ctx.language, "**{yearly} a year**", yearly=figure.yearly)
    return say(ctx.language, "**{hourly} an hour** or **{yearly} a year**", hourly=figure.hourly, yearly=figure.yearly)


def pay(kb: Knowledge, ctx: Context) -> Answer:
    """National figures only, filtered by what was asked (certified or not, hourly or yearly)."""
    language = ctx.language
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
        lines.append(
            f"{_capitalized(figure.label)}: {figure.measure} {_amount(figure, ctx)} "
            f"{cite(kb, figure.source, language)}."
        )
    intro = ""
    if ctx.location:
        gap = kb.gap("local_pay")
        place = say(language, "your area") if ctx.location == LOCAL else ctx.location
        refs = join([org_ref(kb.organization(o), language) for o in gap.refer_to], "or", language)
        intro = (
            say(
                language,
                "My sources only give national figures, not pay in {place}; for local wages, check {refs}. Nationally:",
                place=place,
                refs=refs,
            )
            + "\n"
        )
    elif cred and cred.id not in {f.credential for f in topic.figures}:
        intro = (
            say(
                language,
                "The article has no separate pay figure for the {credential}; "
                "the closest it gives is for certified medical assistants in general:",
                credential=cred.id,
            )
            + "\n"
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
    sources = source_links(kb, [figure.source for group in groups if (figure := topic.figure(group))], language)
    return Answer(intro + "\n".join(lines) + sources, buttons[:4])


def pay_factors(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.pay
    notes = " ".join(topic.notes)
    factors = say(
        ctx.language, "Wages vary with your {factors}.", factors=_bare(join(topic.factors, language=ctx.language))
    )
    return Answer(
        f"{factors} {notes}",
        [PAY, OUTLOOK, WHY],
    )


def outlook(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.outlook
    growth = say(
        ctx.language,
        "Good news: the {publisher} expects medical assistant jobs to grow by **{growth}** {period}, "
        "much faster than the average for all jobs, {all_jobs_growth} {citation}.",
        publisher=kb.source(topic.source).publisher,
        growth=topic.growth,
        period=topic.period,
        all_jobs_growth=topic.all_jobs_growth,
        citation=cite(kb, topic.source, ctx.language),
    )
    return Answer(
        f"{growth} {topic.summary}{source_links(kb, [topic.source], ctx.language)}",
        [PAY, CAREER, HOW_TO_START],
    )


# "And the other skills?" after one kind of skills was shown.
OTHER_SKILLS: Dict[str, Button] = {
    TECHNICAL: Button("And the technical skills?", payload("inform", skill_type=TECHNICAL)),
    HUMAN: Button("And the human skills?", payload("inform", skill_type=HUMAN)),
}


def skills(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
    topic = kb.topics.skills
    if ctx.skill_type in (TECHNICAL, HUMAN):
        chosen = topic.technical if ctx.skill_type == TECHNICAL else topic.human
        other = HUMAN if ctx.skill_type == TECHNICAL else TECHNICAL
        lines = bullets([f"**{s.name}**: {s.examples}" for s in chosen])
        heading = (
            say(language, "The technical skills medical assistants use:")
            if ctx.skill_type == TECHNICAL
            else say(language, "The human skills medical assistants use:")
        )
        return Answer(f"{heading}\n{lines}", [OTHER_SKILLS[other], PROGRAMS, DUTIES])
    technical = join([s.name.lower() for s in topic.technical], language=language)
    human = join([s.name.lower() for s in topic.human], language=language)
    lines = [
        say(language, "Medical assistants need a blend of technical and human skills."),
        say(language, "**Technical:** {skills}.", skills=_bare(technical)),
        say(language, "**Human:** {skills}.", skills=_bare(human)),
        topic.on_the_job,
    ]
    return Answer(
        "\n".join(lines),
        [
            Button("Technical skills in detail", payload("inform", skill_type=TECHNICAL)),
            Button("Human skills in detail", payload("inform", skill_type=HUMAN)),
            PROGRAMS,
        ],
    )


def career_paths(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.career_paths
    further = say(
        ctx.language,
        "You could specialize in areas such as {specialties}, or {further}.",
        specialties=join(topic.specialties, language=ctx.language),
        further=_bare(join(topic.further, "or", ctx.language)),
    )
    return Answer(f"{topic.summary} {further}", [OUTLOOK, PAY, HOW_TO_START])


def why_certify(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
    topic = kb.topics.why_certify
    certified = kb.topics.pay.figure(CERTIFIED)
    non_certified = kb.topics.pay.figure(NON_CERTIFIED)
    comparison = ""
    if certified and non_certified:
        comparison = " " + say(
            language,
            "On pay, certified medical assistants average {certified_hourly} an hour ({certified_yearly} a year) "
            "{certified_source}, against a {non_certified_hourly} ({non_certified_yearly}) median for "
            "non-certified ones {non_certified_source}.",
            certified_hourly=certified.hourly,
            certified_yearly=certified.yearly,
            certified_source=cite(kb, certified.source, language),
            non_certified_hourly=non_certified.hourly,
            non_certified_yearly=non_certified.yearly,
            non_certified_source=cite(kb, non_certified.source, language),
        )
        comparison += source_links(kb, [certified.source, non_certified.source], language)
    benefits = say(
        language, "Getting certified can help: {benefits}.", benefits=_bare(join(topic.benefits, language=language))
    )
    return Answer(
        f"{benefits} {topic.employers}{comparison}",
        [CREDENTIALS, HOW_TO_START, PAY],
    )


def worth_it(kb: Knowledge, ctx: Context) -> Answer:
    """ "Is it worth it?", "is it a good career?": the sources can't judge that for the student, so the
    reply says so and gives what bears on it (pay and demand); certification and paths are buttons.
    A citation shared by neighbouring figures is said once."""
    language = ctx.language
    outlook = kb.topics.outlook
    growth = say(
        language, "jobs are expected to grow **{growth}** {period}", growth=outlook.growth, period=outlook.period
    )
    certified, non_certified = kb.topics.pay.figure(CERTIFIED), kb.topics.pay.figure(NON_CERTIFIED)
    facts = []
    if certified:
        cited = cite(kb, certified.source, language)
        facts.append(
            say(
                language,
                "Certified medical assistants average {hourly} an hour {citation}.",
                hourly=certified.hourly,
                citation=cited,
            )
        )
    joined = non_certified is not None and non_certified.source == outlook.source
    if non_certified:
        cited = cite(kb, non_certified.source, language)
        if joined:
            facts.append(
                say(
                    language,
                    "Non-certified ones earn a median {hourly}, and {growth} {citation}.",
                    hourly=non_certified.hourly,
                    growth=growth,
                    citation=cited,
                )
            )
        else:
            facts.append(
                say(
                    language,
                    "Non-certified ones earn a median {hourly} {citation}.",
                    hourly=non_certified.hourly,
                    citation=cited,
                )
            )
    if not joined:
        facts.append(f"{_capitalized(growth)} {cite(kb, outlook.source, language)}.")
    sources = [f.source for f in (certified, non_certified) if f] + [outlook.source]
    lead = say(language, "That depends on what you want from your work; here is what my sources say.")
    return Answer(
        f"{lead} {' '.join(facts)}{source_links(kb, sources, language)}",
        [START_ADVISOR, WHY, CAREER, HOW_TO_START],
    )


def how_to_become(kb: Knowledge, ctx: Context) -> Answer:
    """The usual route; a question that names one credential ("how does someone become an RMA?") gets
    that credential's route first (only when named in this question, not remembered from before)."""
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(kb.topics.how_to_become.steps, start=1))
    route = say(ctx.language, "Here's the usual route:")
    named = kb.credential(ctx.compared[0]) if len(set(ctx.compared)) == 1 else None
    first = f"{credential_route(kb, named, ctx)}\n\n" if named else ""
    return Answer(f"{first}{route}\n{steps}", [PROGRAMS, CREDENTIALS, EXAM, SKILLS])


def programs(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.program
    subjects = say(
        ctx.language, "Subjects include {subjects}.", subjects=_bare(join(topic.subjects, language=ctx.language))
    )
    return Answer(
        f"{topic.summary} {subjects}",
        [DURATION, EXAM, HOW_TO_START],
    )


def _comes_from(kb: Knowledge, cred: Credential, credential: str, language: str) -> str:
    """ "The CMA comes from the American Association of Medical Assistants (AAMA)." """
    issuer = issuer_of(kb, cred)
    return say(
        language,
        "The {credential} comes from the {issuer} ({issuer_id}).",
        credential=credential,
        issuer=issuer.name,
        issuer_id=issuer.id,
    )


def exam(kb: Knowledge, ctx: Context) -> Answer:
    topic = kb.topics.exam
    cred = kb.credential(ctx.credential)
    whose = f"{_comes_from(kb, cred, cred.id, ctx.language)} " if cred else ""
    common = say(ctx.language, "Common topics: {topics}.", topics=_bare(join(topic.topics, language=ctx.language)))
    return Answer(
        f"{whose}{topic.summary} {common}",
        [RENEWAL, ELIGIBILITY, COST],
    )


def renewal(kb: Knowledge, ctx: Context) -> Answer:
    return Answer(kb.topics.renewal.summary, [COST, EXAM, WHY])


# --- credentials and organizations --------------------------------------------


def credentials_list(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
    lines = [
        say(
            language,
            "{credential} from the {issuer}",
            credential=credential_label(c, language),
            issuer=issuer_of(kb, c).id,
        )
        for c in kb.credentials
    ]
    heading = say(language, "Common nationally accredited credentials:")
    return Answer(
        f"{heading}\n{bullets(lines)}",
        [COMPARE_ALL, ELIGIBILITY] + [_about(c, language) for c in kb.credentials[:2]],
    )


def _about(cred: Credential, language: str) -> Button:
    return Button(
        say(language, "About the {credential}", credential=cred.id),
        payload("ask_credential_details", credential=cred.id),
    )


def credential_details(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
    cred = kb.credential(ctx.credential)
    if cred is None:
        return credentials_list(kb, ctx)
    other = next(c for c in kb.credentials if c.id != cred.id)
    what = say(
        language, "It's {summary}. To qualify: {qualify}.", summary=_bare(cred.summary), qualify=_bare(cred.qualify)
    )
    return Answer(
        f"{_comes_from(kb, cred, credential_label(cred, language), language)} {what}",
        [
            Button("How do I get it?", payload("ask_eligibility", credential=cred.id)),
            Button(
                say(language, "Compare with the {credential}", credential=other.id),
                payload("compare_credentials", credential=other.id),
            ),
            EXAM,
            COST,
        ],
    )


def issuer(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
    cred = kb.credential(ctx.credential)
    if cred is None:
        lines = [f"{c.id}: {issuer_of(kb, c).name} ({issuer_of(kb, c).id})" for c in kb.credentials]
        heading = say(language, "Each credential has its own issuer:")
        return Answer(f"{heading}\n{bullets(lines)}", [COMPARE_ALL, ELIGIBILITY])
    org = issuer_of(kb, cred)
    return Answer(
        say(
            language,
            "The {credential} ({name}) is offered by the **{issuer}** ({issuer_id}). Official site: {url}",
            credential=cred.id,
            name=cred.name,
            issuer=org.name,
            issuer_id=org.id,
            url=org.url,
        ),
        [
            Button("How do I get it?", payload("ask_eligibility", credential=cred.id)),
            Button(
                say(language, "More about the {organization}", organization=org.id),
                payload("ask_organization", organization=org.id),
            ),
            COMPARE_ALL,
        ],
    )


def compare(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
    chosen = [c for c in (kb.credential(i) for i in ctx.compared) if c] or list(kb.credentials)
    lines = []
    for cred in chosen:
        routes = join([kb.path(r).short for r in cred.routes], "or", language)
        focus = cred.focus or say(language, "focus not described in my sources")
        note = f" ({cred.experience_note})" if cred.experience_note and len(chosen) <= 2 else ""
        lines.append(f"**{cred.id}** · {issuer_of(kb, cred).id} · {routes}{note} · {focus}")
    return Answer(
        say(language, "Side by side (issuer · ways to qualify · focus):")
        + "\n"
        + "\n".join(lines)
        + (f"\n{kb.topics.exam.summary}" if len(chosen) <= 2 else ""),
        [ELIGIBILITY, EXAM] + [_about(c, language) for c in chosen[:2]],
    )


def credential_route(kb: Knowledge, cred: Credential, ctx: Context) -> str:
    """How to earn one credential: its issuer, its routes, the exam, and the way in without a program."""
    language = ctx.language
    text = say(
        language,
        "For the {credential} (from the {issuer}): {qualify}.",
        credential=cred.id,
        issuer=issuer_of(kb, cred).id,
        qualify=_bare(cred.qualify),
    )
    # Whether the route already names the exam ("exam" is also in the Spanish "examen").
    if "exam" not in cred.qualify.lower():
        text += " " + say(language, "Then pass the certification exam.")
    programs = {p.id for p in kb.paths if p.program}
    if set(cred.routes) <= programs:
        # A program-only credential: say the way in for those without a program ("do I need school?").
        routes = [p for p in kb.paths if not p.program]
        others = [c.id for c in kb.credentials if any(p.id in c.routes for p in routes)]
        text += " " + say(
            language,
            "Without a program, the {credentials} accept {routes}.",
            credentials=join(others, language=language),
            routes=_bare(join([p.short for p in routes], "or", language)),
        )
    if cred.experience_note is None and "work_experience" in cred.routes:
        orgs = referrals(kb, "experience_years", ctx)
        text += " " + say(
            language,
            "My sources don't say how many years of experience the {credential} asks for; check with {refs}.",
            credential=cred.id,
            refs=join([org_ref(o, language) for o in orgs], "or", language),
        )
    return text


def eligibility(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
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
                lines.append(f"**{_capitalized(path.short)}**: {join(holders, 'or', language)}{extra}")
        return Answer(
            say(language, "It depends on the credential. Routes the article describes:")
            + "\n"
            + bullets(lines)
            + f"\n{kb.topics.skills.on_the_job}",
            [_about(c, language) for c in kb.credentials[:2]] + [COMPARE_ALL, PROGRAMS],
        )
    return Answer(credential_route(kb, cred, ctx), [EXAM, PROGRAMS, COST])


def organization(kb: Knowledge, ctx: Context) -> Answer:
    language = ctx.language
    if ctx.organization is None:
        return Answer(
            say(language, "Which organization? These are the ones my sources mention:"),
            [Button(o.id, payload("ask_organization", organization=o.id)) for o in kb.organizations[:4]],
        )
    org = kb.organization(ctx.organization)
    if org.gloss and language != ENGLISH:
        text = say(
            language,
            "The **{name}** ({gloss}; {id}) {role}. Official site: {url}",
            name=org.name,
            gloss=org.gloss,
            id=org.id,
            role=_bare(org.role),
            url=org.url,
        )
    else:
        text = say(
            language,
            "The **{name}** ({id}) {role}. Official site: {url}",
            name=org.name,
            id=org.id,
            role=_bare(org.role),
            url=org.url,
        )
    return Answer(text, [CREDENTIALS, PROGRAMS, HOW_TO_START])


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
    "worth_it": worth_it,
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


def _advisors_ref(site: Site, language: str) -> str:
    """The school's advising office, named in the answer's language, with its e-mail and phone."""
    office = site.office(language).split(" (")[0]
    return say(
        language,
        "{school}'s {office} ({email}, {phone})",
        school=site.school,
        office=office,
        email=site.advising.email,
        phone=site.advising.phone,
    )


def referral(kb: Knowledge, site: Site, refs: Sequence[str], ctx: Context, role: Optional[str] = None) -> str:
    """ "To find out, ask X, Y or Z." (for a neighbouring `role`: "For the nurse side, ask ...").

    X, Y and Z are organizations, the issuer(s), the school's advisors, the state.
    """
    language = ctx.language
    cred = kb.credential(ctx.credential)
    parts: List[str] = []
    for ref in refs:
        if ref == ISSUER_REFERENCE:
            if cred:
                parts.append(org_ref(issuer_of(kb, cred), language))
            else:
                issuers = [
                    say(
                        language,
                        "{issuer} for the {credential} ({url})",
                        issuer=issuer_of(kb, c).id,
                        credential=c.id,
                        url=issuer_of(kb, c).url,
                    )
                    for c in kb.credentials
                ]
                parts.append(
                    say(
                        language,
                        "the body that issues the credential: {issuers}",
                        issuers=join(issuers, language=language),
                    )
                )
        elif ref == ADVISORS_REFERENCE:
            parts.append(_advisors_ref(site, language))
        elif ref == STATE_REFERENCE:
            parts.append(say(language, "the state where you plan to work"))
        else:
            parts.append(org_ref(kb.organization(ref), language))
    unique = list(dict.fromkeys(parts))
    if any("," in part for part in unique[:-1]):
        whom = unique[0]
        for other in unique[1:]:
            whom = say(language, "{whom}; or {other}", whom=whom, other=other)
    else:
        whom = join(unique, "or", language)
    if role is not None:
        return say(language, "For the {role} side, ask {whom}.", role=role, whom=whom)
    return say(language, "To find out, ask {whom}.", whom=whom)


def gap_answer(kb: Knowledge, site: Site, gap_ids: Sequence[str], ctx: Context, role_ids: Sequence[str] = ()) -> Answer:
    """The sources don't cover it: said first, then the nearest things the article says, then whom to ask.

    Roles named alongside ("how long from MA to RN?") add what the article says about them.
    """
    language = ctx.language
    gaps = [kb.gap(g) for g in gap_ids]
    sentences = [
        say(language, "Sorry, my sources don't cover {subject}, and I'd rather not guess.", subject=gaps[0].subject)
    ]
    sentences += [say(language, "They don't cover {subject} either.", subject=_bare(gap.subject)) for gap in gaps[1:]]
    notes = [g.article_says for g in gaps] + [kb.role(r).article_says for r in role_ids]
    sentences += list(dict.fromkeys(note for note in notes if note))
    refs = [ref for gap in gaps for ref in gap.refer_to]
    sentences.append(referral(kb, site, refs, ctx))
    buttons = [TALK_TO_ADVISOR] if ADVISORS_REFERENCE in refs else []
    return Answer(" ".join(sentences), (buttons + [HOW_TO_START, CREDENTIALS, PROGRAMS])[:3])


def _pay_and_outlook(kb: Knowledge, language: str) -> Tuple[str, List[str]]:
    """One sentence for comparing careers: national pay and job growth, and the sources to link."""
    outlook = kb.topics.outlook
    figures = [
        say(
            language,
            "{hourly} an hour for {label} ({measure}, {publisher})",
            hourly=f.hourly,
            label=f.label,
            measure=f.measure,
            publisher=kb.source(f.source).publisher,
        )
        for f in kb.topics.pay.figures
    ]
    sources = [figure.source for figure in kb.topics.pay.figures] + [outlook.source]
    growth = say(
        language,
        "Pay is {figures}, and jobs are expected to grow {growth} {period} {citation}.",
        figures=join(figures, language=language),
        growth=outlook.growth,
        period=outlook.period,
        citation=cite(kb, outlook.source, language),
    )
    return growth, sources


def role_answer(
    kb: Knowledge, site: Site, role_ids: Sequence[str], ctx: Context, with_topic: bool, compared: bool = True
) -> Answer:
    """Neighbouring roles are in scope: what the article says about medical assistants, and whom to ask.

    `compared`: the student set the role beside medical assisting ("CNA vs CMA?"), so the answer says it
    cannot compare them; "what does a phlebotomist do?" compares nothing."""
    language = ctx.language
    roles = [kb.role(r) for r in role_ids]
    named = join([r.plural for r in roles], language=language)
    if compared:
        lacking = say(
            language,
            "My sources don't describe {roles}, only medical assistants, so I can't compare the two roles.",
            roles=named,
        )
    else:
        lacking = say(language, "My sources don't describe {roles}, only medical assistants.", roles=named)
    sentences = [lacking]
    sentences += list(dict.fromkeys(r.article_says for r in roles if r.article_says))
    sources: List[str] = []
    if not with_topic:
        said = say(language, "What they say about medical assistants:")
        figures, sources = _pay_and_outlook(kb, language)
        sentences.append(f"{said} {kb.topics.definition.role} {kb.topics.duties.intro} {figures}")
    refs = [ref for role in roles for ref in role.refer_to]
    listed = roles[0].synonyms  # a job asked about by an unlisted title has no side to name ("that job")
    sentences.append(referral(kb, site, refs, ctx, role=roles[0].name if listed else None))
    # The source line closes the answer, after whom to ask (not between the figures and the referral).
    return Answer(" ".join(sentences) + source_links(kb, sources, language), [TALK_TO_ADVISOR, DUTIES, HOW_TO_START])


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
    "ask_worth_it": WORTH_IT,
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


def clarify(intents: Sequence[str], language: str = ENGLISH) -> Answer:
    """Not sure which question was asked: the likeliest ones as buttons, rather than a confident wrong answer.

    The buttons' titles are translated when the answer is sent (actions/conversation.py utter).
    """
    buttons = list(dict.fromkeys(BUTTON_OF_INTENT[i] for i in intents if i in BUTTON_OF_INTENT))[:3]
    return Answer(
        say(
            language,
            "I want to be sure I answer the question you asked. Did you mean one of these? "
            "If not, could you put it another way?",
        ),
        buttons + [TALK_TO_ADVISOR] if len(buttons) >= 1 else [HOW_TO_START, CREDENTIALS, TALK_TO_ADVISOR],
    )
