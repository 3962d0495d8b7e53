"""The CMA assistant's custom actions; `rasa run actions --actions actions` registers every Action here.

Rooms: knowledge (load and check the knowledge file), reading (a message read
against it), advisor_rules (what fits whom, what next), wording /
topic_wording / advisor_wording (sentences only), conversation (plumbing the
actions share), topic_actions and questionnaire_actions (the Rasa actions),
constants (names shared with the domain and the NLU data).
"""
