"""Rasa extensions, loaded with the model (config.yml names addons.action_server_guard)."""

from addons import rasa_patches  # noqa: F401  (applies the fixes on import)
