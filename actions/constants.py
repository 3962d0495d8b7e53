"""Names shared by the domain, the NLU data and the actions, kept in one place."""

# Entities (labels produced by the spaCy EntityRuler built from the knowledge file).
ENTITY_CREDENTIAL = "credential"
ENTITY_ORGANIZATION = "organization"
ENTITY_CERTIFICATION_STATUS = "certification_status"
ENTITY_PAY_PERIOD = "pay_period"
ENTITY_SKILL_TYPE = "skill_type"
ENTITY_LOCATION = "location"
# The entity ruler's label for knowledge `not_entities` ("a la hora de"): longer than the entity phrase it
# holds, so it wins the overlap; config.yml's `dimensions` leave it out, so it never reaches a slot.
NOT_AN_ENTITY = "not_an_entity"
# Where addons/knowledge_reader.py leaves its reading of a message (parse data, so the
# actions and the insights report see it): gaps, roles and situations by knowledge-file id.
READING_KEY = "reading"
READING_GAPS = "gaps"
READING_ROLES = "roles"

# Slots: what the conversation is about, so follow-ups like "and per hour?" or
# "who offers it?" can be answered. All are set by the actions (custom mappings).
SLOT_TOPIC = "topic"
SLOT_CREDENTIAL = "credential"
SLOT_COMPARED = "compared_credentials"
SLOT_ORGANIZATION = "organization"
SLOT_CERTIFICATION_STATUS = "certification_status"
SLOT_PAY_PERIOD = "pay_period"
SLOT_SKILL_TYPE = "skill_type"
SLOT_LOCATION = "location"

# Canonical entity values the wording depends on.
CERTIFIED = "certified"
NON_CERTIFIED = "non_certified"
HOURLY = "hourly"
YEARLY = "yearly"
TECHNICAL = "technical"
HUMAN = "human"
LOCAL = "local"

# The advisor form and what it remembers for the rest of the conversation.
ADVISOR_FORM = "advisor_form"
ADVISOR_SLOT_PREFIX = "advisor_"  # + a question's slot in the knowledge file: advisor_program, ...
SLOT_ADVISOR_RETRIES = "advisor_retries"
SLOT_RECOMMENDATION = "recommendation"
REQUESTED_SLOT = "requested_slot"

# Feedback: what was asked about (at most once per topic) and what the student said.
SLOT_FEEDBACK = "feedback"
SLOT_FEEDBACK_ASKED = "feedback_asked"
ENTITY_FEEDBACK_TOPIC = "feedback_topic"
INTENT_FEEDBACK_POSITIVE = "feedback_positive"
INTENT_FEEDBACK_NEGATIVE = "feedback_negative"

# Messages that answer the advisor's question rather than change the subject.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "greet", "thanks", "nlu_fallback", "share_situation"})
# Messages that steer the conversation even when they look like an answer ("never mind").
ASK_WHY = "ask_why"
TALK_TO_HUMAN = "talk_to_human"
START_ADVISOR = "start_advisor"
CONTROL_INTENTS = frozenset({"stop", ASK_WHY, TALK_TO_HUMAN, START_ADVISOR, "goodbye"})
# Another "CMA" (accounting, contract management): a classifier intent the reading can also confirm.
ASK_OTHER_MEANING = "ask_other_meaning"
NLU_FALLBACK = "nlu_fallback"

# Which topic answer a classifier intent asks for (used when a reading adds the article's side).
TOPIC_OF_INTENT = {
    "ask_what_is_cma": "definition",
    "ask_duties": "duties",
    "ask_pay": "pay",
    "ask_pay_factors": "pay_factors",
    "ask_outlook": "outlook",
    "ask_skills": "skills",
    "ask_career_paths": "career_paths",
    "ask_why_certify": "why_certify",
    "ask_worth_it": "worth_it",
    "ask_how_to_become": "how_to_become",
    "ask_programs": "programs",
    "ask_exam": "exam",
    "ask_renewal": "renewal",
    "ask_credentials_list": "credentials",
    "ask_credential_details": "credential",
    "ask_issuer": "issuer",
    "compare_credentials": "compare",
    "ask_eligibility": "eligibility",
}

# Who issues a credential: a guess that needs a credential, or a body that issues one, to be about.
ASK_ISSUER = "ask_issuer"

# Classifier intents that already answer one gap of the knowledge file (same answer, no re-routing).
GAP_OF_INTENT = {"ask_cost": "cost", "ask_duration": "duration"}

# The intents addons/knowledge_reader.py routes to, on evidence the knowledge file shows.
ASK_NOT_COVERED = "ask_not_covered"
ASK_ABOUT_ROLE = "ask_about_role"
SHARE_SITUATION = "share_situation"
READING_INTENTS = (ASK_NOT_COVERED, ASK_ABOUT_ROLE, SHARE_SITUATION)

# What a 👍/👎 can rate besides the topic answers (actions/topic_wording.py TOPICS and GAP_TOPICS):
# an answer to the student's own words, by kind (actions/reading.py answer_plan's feedback_topic).
FEEDBACK_READING_TOPICS = ("not_covered", "role", "situation")
ACTION_RECORD_FEEDBACK = "action_record_feedback"
# Asks to rephrase (also the core fallback, config.yml); the insights report counts it as "not understood".
ACTION_REPHRASE = "action_rephrase"
# The hand-off to the school's advisors; the report counts it.
ACTION_ADVISOR_CONTACT = "action_advisor_contact"
FEEDBACK_RATINGS = ("positive", "negative")

# Languages the assistant answers in. One model reads both; each user message's parse
# data carries the language it was written in (addons/language.py), or None when it
# cannot tell ("ok", "CMA", a button); a page may send its own language as a hint.
ENGLISH = "en"
SPANISH = "es"
LANGUAGES = (ENGLISH, SPANISH)
LANGUAGE_KEY = "language"  # in a message's parse data and in its metadata (the page's hint)
