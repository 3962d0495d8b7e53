"""Start and stop the assistant: the action server, Rasa and the demo site.

One library for `make run` / `make shell` (`python -m cma_stack run|shell`), the
tests, the benchmark and the soak run:

- processes.py: paths, the quiet environment, free ports, one server at a time
  (action server, with a restart supervisor for `make run`; Rasa through
  scripts/rasa_server.py; the demo site), readiness waits that show the log's
  tail, clean stops;
- proxy.py: Debian's nginx with the shipped deploy/nginx.conf (its `# SITE:`
  values templated) in front of one or more Rasa instances;
- stack.py: `running_stack()`, the whole assistant on free ports (tests,
  benchmark, soak run; several instances, nginx in front with `proxy=True`),
  `postgres_database()` and `ensure_postgres_database()`;
- serve.py: `make run` (`INSTANCES=n`: n instances behind nginx) and `make shell`.
"""

from cma_stack.processes import (
    ATOMIC_REDIS_LOCK_STORE,
    CACHING_TRACKER_STORE,
    CREDENTIALS,
    MODEL,
    PYTHON,
    QUIET_ENV,
    RASA,
    ROOT,
    SQL_TRACKER_STORE,
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
    tracker_store_type,
    write_endpoints,
)
from cma_stack.proxy import (
    NGINX,
    SHIPPED_NGINX_CONF,
    Proxy,
    copy_demo_site,
    self_signed_certificate,
    start_nginx,
    templated,
)
from cma_stack.serve import DEFAULT_TRACKER_STORE_URL
from cma_stack.stack import Stack, ensure_postgres_database, postgres_database, running_stack

__all__ = [
    "ATOMIC_REDIS_LOCK_STORE",
    "CACHING_TRACKER_STORE",
    "CREDENTIALS",
    "DEFAULT_TRACKER_STORE_URL",
    "MODEL",
    "NGINX",
    "PYTHON",
    "Proxy",
    "QUIET_ENV",
    "RASA",
    "ROOT",
    "SHIPPED_NGINX_CONF",
    "SQL_TRACKER_STORE",
    "Service",
    "Stack",
    "StartError",
    "SupervisedActionServer",
    "action_server_command",
    "copy_demo_site",
    "ensure_postgres_database",
    "free_port",
    "http_ok",
    "port_in_use",
    "postgres_database",
    "quiet_env",
    "running_stack",
    "self_signed_certificate",
    "spawn",
    "start_action_server",
    "start_nginx",
    "start_rasa",
    "start_site",
    "stop_all",
    "templated",
    "tracker_store_type",
    "write_endpoints",
]
