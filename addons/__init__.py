"""Rasa extensions: channels (credentials.yml), lock store (endpoints.yml), graph components (config.yml).

Rasa imports this package before any of them, so the one explicit call that
patches Rasa internals where no extension point exists lives here; it refuses
to start on a Rasa release it was not written for (addons/rasa_patches.py).
"""

from addons import rasa_patches

rasa_patches.apply()
