"""Experiment only (bench/isolate.py): Rasa 3.6's own action-reply validation, without our patch.

addons/rasa_patches.py makes Rasa build its action-reply schema validator once.
Processes started with this folder on PYTHONPATH apply that module first (so
loading the model later changes nothing) and then put Rasa's original method
back, to measure what the patch saves.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from addons import rasa_patches  # noqa: E402

rasa_patches.RemoteAction._validate_action_result = rasa_patches.RASA_VALIDATE_ACTION_RESULT
