#!/usr/bin/env bash
# Starts, stops and reports the offline servers of the local stack: DynamoDB Local and the SQS
# server. Each is started in the background with its PID in .local/run/<name>.pid and its log in
# .local/log/<name>.log, waited for with a bounded readiness loop, and stopped by that PID only.
#
# Usage: local/servers.sh start|stop|status|env
# Env:   BANBAN_DYNAMODB_PORT (default 8000), BANBAN_SQS_PORT (default 9324),
#        BANBAN_READY_TIMEOUT seconds (default 30),
#        BANBAN_RUN_NAME (default "run"): a set of servers of its own, so `make test` (name "test",
#        other ports) never finds, reuses or stops the servers of a running `make run`.
# `env` prints the endpoint variables for the servers (for eval or a Makefile).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
RUN_NAME="${BANBAN_RUN_NAME:-run}"
RUN="$LOCAL/run/$RUN_NAME"
LOGS="$LOCAL/log/$RUN_NAME"
DDB_PORT="${BANBAN_DYNAMODB_PORT:-8000}"
SQS_PORT="${BANBAN_SQS_PORT:-9324}"
READY_TIMEOUT="${BANBAN_READY_TIMEOUT:-30}"

log() { printf 'servers: %s\n' "$*" >&2; }

# alive NAME: true when the recorded PID is a running process.
alive() {
  local pidfile="$RUN/$1.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# listening PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ready NAME PORT: the server answers a real request, not merely accepts connections.
ready() {
  case "$1" in
    # DynamoDB answers any POST with a JSON error once the HTTP stack is up (400 without a target).
    dynamodb) curl -s -o /dev/null -m 2 -X POST "http://127.0.0.1:$2/" ;;
    sqs) curl -s -o /dev/null -m 2 -X POST -H 'Content-Type: application/x-amz-json-1.0' \
           -H 'X-Amz-Target: AmazonSQS.ListQueues' -d '{}' "http://127.0.0.1:$2/" ;;
  esac
}

# start_one NAME PORT DIR CMD...: starts CMD in DIR unless already running, then waits until ready.
start_one() {
  local name="$1" port="$2" dir="$3"; shift 3
  if alive "$name"; then
    log "$name: already running (pid $(cat "$RUN/$name.pid"), port $port)"
    return 0
  fi
  rm -f "$RUN/$name.pid"
  if listening "$port"; then
    log "$name: port $port is taken by another process; set the port variable to use another"
    return 1
  fi
  # setsid gives the server its own process group, so Ctrl-C in the caller's terminal does not
  # reach it and stop kills the whole group (java and node may spawn helpers).
  (cd "$dir" && exec setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null) &
  local pid=$!
  echo "$pid" >"$RUN/$name.pid"
  local deadline=$((SECONDS + READY_TIMEOUT))
  until ready "$name" "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name: exited during startup; log $LOGS/$name.log:"
      tail -n 20 "$LOGS/$name.log" >&2 || true
      rm -f "$RUN/$name.pid"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name: not ready on port $port after ${READY_TIMEOUT}s; stopping it (log $LOGS/$name.log)"
      stop_one "$name"
      return 1
    fi
    sleep 0.1 # poll interval of the readiness loop, bounded by the deadline above
  done
  log "$name: ready on http://127.0.0.1:$port (pid $pid)"
}

# stop_one NAME: TERM the recorded process group, wait (bounded), then KILL.
stop_one() {
  local name="$1" pidfile="$RUN/$1.pid"
  if ! alive "$name"; then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: did not stop on TERM; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$name: stopped (pid $pid)"
}

need() {
  [[ -f "$LOCAL/dynamodb/DynamoDBLocal.jar" && -d "$ROOT/local/sqs/node_modules/local-aws-sqs" ]] || {
    log "servers not fetched; run local/fetch.sh first"
    exit 1
  }
}

cmd="${1:-}"
mkdir -p "$RUN" "$LOGS"
case "$cmd" in
  start)
    need
    start_one dynamodb "$DDB_PORT" "$LOCAL/dynamodb" \
      java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT"
    start_one sqs "$SQS_PORT" "$ROOT/local/sqs" node server.mjs "$SQS_PORT"
    ;;
  stop)
    stop_one sqs
    stop_one dynamodb
    ;;
  status)
    rc=0
    for name in dynamodb sqs; do
      if alive "$name"; then log "$name: running (pid $(cat "$RUN/$name.pid"))"; else log "$name: stopped"; rc=3; fi
    done
    exit "$rc"
    ;;
  env)
    echo "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DDB_PORT"
    echo "AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$SQS_PORT"
    echo "BANBAN_TEST_DYNAMODB=http://127.0.0.1:$DDB_PORT"
    echo "BANBAN_TEST_SQS=http://127.0.0.1:$SQS_PORT"
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
