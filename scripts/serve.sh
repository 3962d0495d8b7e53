#!/usr/bin/env bash
# Start the assistant for people: `serve.sh shell` (terminal chat) or `serve.sh run`
# (Rasa server with REST + socket.io, action server, demo advising site).
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
RASA=.venv/bin/rasa
MODEL=models/cma.tar.gz
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_PORT=${WEB_PORT:-8000}
ACTIONS_LOG=${ACTIONS_LOG:-.rasa/actions.log}
# Origins allowed to call the Rasa server from a browser (space-separated).
CORS_ORIGINS=${CORS_ORIGINS:-"http://127.0.0.1:${WEB_PORT} http://localhost:${WEB_PORT}"}
export RASA_TELEMETRY_ENABLED=false

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=("$ACTIONS_PORT" "$RASA_PORT")  # rasa shell runs a server on RASA_PORT too
[ "$mode" = shell ] || ports+=("$WEB_PORT")
for port in "${ports[@]}"; do
  if port_in_use "$port"; then
    echo "Port $port is already in use (another 'make run' or 'make shell'?). Stop it, or pick other ports:" >&2
    echo "  RASA_PORT=5006 ACTIONS_PORT=5056 WEB_PORT=8001 make run" >&2
    exit 1
  fi
done

mkdir -p .rasa storage
# endpoints.yml reads these; see the README for PostgreSQL.
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}
export TRACKER_STORE_URL=${TRACKER_STORE_URL:-sqlite:///storage/conversations.db}
export LOCK_STORE_TYPE=${LOCK_STORE_TYPE:-in_memory}
# Rasa's own Redis lock store is not safe across instances (endpoints.yml).
if [ "$LOCK_STORE_TYPE" = redis ]; then export LOCK_STORE_TYPE=addons.lock_store.AtomicRedisLockStore; fi
export REDIS_HOST=${REDIS_HOST:-127.0.0.1}
# Signs the widget's session ids (addons/channels.py); kept so that a restart
# does not start every student's conversation anew.
if [ -z "${SESSION_SECRET:-}" ] && [ -z "${SESSION_SECRET_FILE:-}" ]; then
  if [ ! -s storage/session_secret ]; then
    (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_hex(32))' >storage/session_secret)
  fi
  export SESSION_SECRET_FILE=storage/session_secret
fi
endpoints=endpoints.yml

actions_ready() { curl -sf "http://127.0.0.1:${ACTIONS_PORT}/health" >/dev/null; }

# Runs the action server (loopback only) and starts it again if it crashes.
# If it never comes up (it refuses a malformed knowledge file), say why and stop.
supervise_actions() {
  local child=""
  trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    SANIC_HOST=127.0.0.1 $RASA run actions --port "$ACTIONS_PORT" --actions actions >>"$ACTIONS_LOG" 2>&1 &
    child=$!
    local ready=false
    for _ in $(seq 1 90); do
      if actions_ready; then ready=true; break; fi
      kill -0 "$child" 2>/dev/null || break
      sleep 1
    done
    if ! $ready; then
      echo "The action server did not start:" >&2
      tail -n 20 "$ACTIONS_LOG" >&2
      kill "$child" 2>/dev/null
      exit 1
    fi
    wait "$child" || true
    echo "$(date '+%F %T') action server stopped; restarting it" | tee -a "$ACTIONS_LOG" >&2
    sleep 1
  done
}

: >"$ACTIONS_LOG"
supervise_actions &
supervisor=$!
pids+=("$supervisor")
until actions_ready; do
  kill -0 "$supervisor" 2>/dev/null || exit 1
  sleep 1
done

if [ "$mode" = shell ]; then
  echo "Starting the chat (type /stop to quit)..."
  $RASA shell --model "$MODEL" --endpoints "$endpoints" --port "$RASA_PORT"
  exit 0
fi

# The HTTP API (trackers, model upload, ...) stays off unless RASA_API_TOKEN or
# RASA_API_TOKEN_FILE is set; scripts/rasa_server.py reads it there, not from
# the command line, where `ps` would show it.
# shellcheck disable=SC2086
.venv/bin/python scripts/rasa_server.py --model "$MODEL" --endpoints "$endpoints" --credentials credentials.yml \
  --interface 127.0.0.1 --port "$RASA_PORT" --cors $CORS_ORIGINS &
pids+=($!)
.venv/bin/python -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory web >/dev/null 2>&1 &
pids+=($!)
echo "Rasa server:   http://127.0.0.1:${RASA_PORT}  (REST: /webhooks/rest/webhook, socket.io)"
echo "Action server: http://127.0.0.1:${ACTIONS_PORT}  (log: $ACTIONS_LOG)"
echo "Demo site:     http://127.0.0.1:${WEB_PORT}/  (the chat widget is in the corner)"
echo "Press Ctrl-C to stop."
wait -n || true
echo "A server stopped; shutting down the others (logs: $ACTIONS_LOG and the output above)." >&2
