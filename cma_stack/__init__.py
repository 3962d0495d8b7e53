"""Start and stop the assistant: the action server, Rasa and the demo site.

One library for `make run` / `make shell` (`python -m cma_stack run|shell`), the
tests, the benchmark and the soak run:

- processes.py: paths, the quiet environment, free ports, one server at a time
  (action server, with a restart supervisor for `make run`; Rasa through
  scripts/rasa_server.py; the demo site), readiness waits that show the log's
  tail, clean stops;
- stack.py: `running_stack()`, the whole assistant on free ports (tests,
  benchmark, soak run), and `postgres_database()`;
- serve.py: `make run` and `make shell`.
"""

from cma_stack.processes import (
    ATOMIC_REDIS_LOCK_STORE,
    CREDENTIALS,
    MODEL,
    PYTHON,
    QUIET_ENV,
    RASA,
    ROOT,
    Service,
    StartError,
    SupervisedActionServer,
    action_server_command,
    free_port,
    http_ok,
    port_in_use,
    quiet_env,
    spawn,
    start_action_server,
    start_rasa,
    start_site,
    stop_all,
    write_endpoints,
)
from cma_stack.serve import DEFAULT_TRACKER_STORE_URL
from cma_stack.stack import Stack, postgres_database, running_stack

__all__ = [
    "ATOMIC_REDIS_LOCK_STORE",
    "CREDENTIALS",
    "DEFAULT_TRACKER_STORE_URL",
    "MODEL",
    "PYTHON",
    "QUIET_ENV",
    "RASA",
    "ROOT",
    "Service",
    "Stack",
    "StartError",
    "SupervisedActionServer",
    "action_server_command",
    "free_port",
    "http_ok",
    "port_in_use",
    "postgres_database",
    "quiet_env",
    "running_stack",
    "spawn",
    "start_action_server",
    "start_rasa",
    "start_site",
    "stop_all",
    "write_endpoints",
]
