"""`rasa run ...` (or `rasa shell ...`) with the API token from the environment and no deprecation noise.

A token on the command line is visible to every user of the machine in `ps`.
This starts Rasa in-process with the same arguments it is given, adding
`--enable-api --auth-token` from RASA_API_TOKEN or the file RASA_API_TOKEN_FILE
names; the process list shows only this script and its other arguments.
Without either, the API stays off, as in plain `rasa run`.

`rasa_server.py shell ...` starts `rasa shell` the same way (no API, no token).
Both hide the deprecation warnings Rasa 3.6's dependencies print at import
time (two screens before "Bot loaded"); other warnings are shown as before.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any, List, Optional

TOKEN_ENV = "RASA_API_TOKEN"
TOKEN_FILE_ENV = "RASA_API_TOKEN_FILE"


def api_token() -> Optional[str]:
    token = os.environ.get(TOKEN_ENV, "").strip()
    path = os.environ.get(TOKEN_FILE_ENV, "").strip()
    if not token and path:
        token = Path(path).read_text().strip()
    return token or None


def rasa_arguments(args: List[str]) -> List[str]:
    if any(arg.startswith("--auth-token") for arg in args):
        sys.exit(f"Give the API token in {TOKEN_ENV} or {TOKEN_FILE_ENV}, not on the command line (ps shows it).")
    if args[:1] == ["shell"]:
        return ["rasa", *args]
    token = api_token()
    return ["rasa", "run", *args, *(["--enable-api", "--auth-token", token] if token else [])]


def hide_deprecation_warnings() -> None:
    """Libraries reset warning filters while Rasa imports them, so PYTHONWARNINGS=ignore is not enough."""
    show = warnings.showwarning

    def showwarning(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
        if not issubclass(category, (DeprecationWarning, PendingDeprecationWarning)):
            show(message, category, *args, **kwargs)

    warnings.showwarning = showwarning


def main() -> None:
    hide_deprecation_warnings()
    sys.argv = rasa_arguments(sys.argv[1:])
    for name in (TOKEN_ENV, TOKEN_FILE_ENV):  # not inherited by anything Rasa starts
        os.environ.pop(name, None)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
