#!/usr/bin/env bash
# A cluster of separate processes on one PostgreSQL database: one orchestrator, two workers,
# tasks submitted by a fourth process. One worker is SIGKILLed while tasks run; its steps
# come back when their leases end and the other worker finishes them. Passes when every
# task completes. Needs TASKER_DATABASE_URL (a maintenance database URL); uses its own database.
set -euo pipefail
node=$1
: "${TASKER_DATABASE_URL:?TASKER_DATABASE_URL must name a PostgreSQL server (script/test starts one)}"

db="tasker_cluster_$$_$RANDOM"
psql "$TASKER_DATABASE_URL" -qc "CREATE DATABASE $db"
url="${TASKER_DATABASE_URL%/*}/$db"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$TASKER_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT

log=$(mktemp -d)
"$node" --url "$url" --migrate
"$node" --url "$url" --role orchestrator >"$log/orchestrator.log" 2>&1 & pids+=($!)
"$node" --url "$url" --role worker >"$log/worker1.log" 2>&1 & victim=$!; pids+=($victim)
"$node" --url "$url" --role worker >"$log/worker2.log" 2>&1 & pids+=($!)

# Submitted in the background; the victim is killed once the first tasks are done.
"$node" --url "$url" --submit diamond_workflow --count 40 --wait >"$log/submit.log" 2>&1 & submitter=$!
until grep -q "submitted" "$log/submit.log" 2>/dev/null; do
  kill -0 "$submitter" 2>/dev/null || break
  sleep 0.2
done
kill -KILL "$victim"
echo "killed worker $victim"

status=0
wait "$submitter" || status=$?
cat "$log/submit.log"
if [ $status -ne 0 ]; then
  echo "--- orchestrator"; tail -20 "$log/orchestrator.log"
  echo "--- worker 2"; tail -20 "$log/worker2.log"
fi
rm -rf "$log"
exit $status
