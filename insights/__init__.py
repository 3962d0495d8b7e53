"""Conversation insights for the advising office: a report of what students ask and
where the assistant failed (`make report`), and a draft of training data from the
failures (`make triage`). Both read the Rasa tracker store and never show sender ids.
"""
