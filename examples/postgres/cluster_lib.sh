# shellcheck shell=bash
# Sourced by the cluster tests (cluster_test.sh, restart_test.sh, rabbitmq_cluster_test.sh):
# a database of their own on the TASKER_DATABASE_URL server and a log directory, both removed
# (and every process in `pids` stopped) when the test exits.
#
#   cluster_setup NAME   sets db, url, log and pids; defines sql and fail
: "${TASKER_DATABASE_URL:?TASKER_DATABASE_URL must name a PostgreSQL server (script/test starts one)}"

cluster_setup() {
  db="tasker_$1_$$_$RANDOM"
  psql "$TASKER_DATABASE_URL" -qc "CREATE DATABASE $db"
  url="${TASKER_DATABASE_URL%/*}/$db"
  log=$(mktemp -d)
  pids=()
  trap cluster_cleanup EXIT
}

cluster_cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$TASKER_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$log"
}

# One value from the test's database.
sql() { psql "$url" -XAtqc "$1"; }

# Fails the test, showing the end of every process's log.
fail() {
  echo "FAIL: $*"
  for f in "$log"/*.log; do echo "--- $(basename "$f")"; tail -20 "$f"; done
  exit 1
}
