"""Names shared by the domain, the NLU data and the actions, kept in one place."""

# Entities (labels produced by the spaCy EntityRuler built from the knowledge file).
ENTITY_CREDENTIAL = "credential"
ENTITY_ORGANIZATION = "organization"
ENTITY_CERTIFICATION_STATUS = "certification_status"
ENTITY_PAY_PERIOD = "pay_period"
ENTITY_SKILL_TYPE = "skill_type"
ENTITY_LOCATION = "location"

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
