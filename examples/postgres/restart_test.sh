#!/usr/bin/env bash
# The database restarts while a cluster runs: an orchestrator and two workers (one attempt in
# ten failing, injected) and a client waiting for 300 diamond tasks all lose their
# connections mid-run. Passes when every process reconnects by itself and every task
# completes with a legal history (tasker-node --verify), no process having exited.
# Needs TASKER_DATABASE_URL (a maintenance database URL) and TASKER_POSTGRES_CTL, a command
# whose `restart` argument restarts that server: script/lib/postgres.sh makes both.
set -euo pipefail
node=$1
if [ -z "${TASKER_POSTGRES_CTL:-}" ]; then
  echo "FAIL: this test restarts the database server, so it needs one it may restart: TASKER_POSTGRES_CTL"
  echo "must name a command whose 'restart' argument restarts the server of TASKER_DATABASE_URL."
  echo "script/lib/postgres.sh (postgres_start) sets both for the server it starts."
  exit 1
fi
tasks=300
# Seconds. Work whose statement the restart cut is made again at once (a claim that went
# through comes back to its owner); only a read whose answer was cut off leaves its messages
# leased until this runs out: short, so the test stays short.
lease=3
template=diamond_workflow_with_retries

start=$(date +%s.%N)
# shellcheck source=examples/postgres/cluster_lib.sh
. "$(dirname "$0")/cluster_lib.sh"
cluster_setup restart

"$node" --url "$url" --migrate
"$node" --url "$url" --role orchestrator --lease $lease >"$log/orchestrator.log" 2>&1 & pids+=($!)
# Every task submitted before the workers start: the restart hits the cluster, not the submission.
"$node" --url "$url" --submit $template --count $tasks --wait --verify >"$log/submit.log" 2>&1 & submitter=$!
until grep -q "submitted" "$log/submit.log"; do
  kill -0 "$submitter" 2>/dev/null || fail "the client could not submit the tasks"
  sleep 0.1
done
for i in 1 2; do
  "$node" --url "$url" --role worker --lease $lease --fail-rate 0.1 --seed $i >"$log/worker$i.log" 2>&1 & pids+=($!)
done
servers=("${pids[@]}")
pids+=("$submitter")

# Restart once a tenth of the tasks is complete: the cluster is busy, most of the work ahead.
until [ "$(sql "SELECT count(*) FROM tasker.tasks WHERE state = 'complete'")" -ge $((tasks / 10)) ]; do
  kill -0 "$submitter" 2>/dev/null || fail "the client exited before the restart"
  sleep 0.1
done
"$TASKER_POSTGRES_CTL" restart
restarted_at=$(date +%s.%N)
complete=$(sql "SELECT count(*) FROM tasker.tasks WHERE state = 'complete'")
echo "restarted the database with $complete of $tasks tasks complete"
[ "$complete" -lt "$tasks" ] || fail "every task was complete before the restart: nothing was tested"

status=0
wait "$submitter" || status=$?
cat "$log/submit.log"
[ $status -eq 0 ] || fail "the cluster did not finish every task after the restart"
for p in "${servers[@]}"; do
  kill -0 "$p" 2>/dev/null || fail "process $p exited during the run"
done
echo "every task complete $(awk -v s="$restarted_at" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')s after the restart;" \
  "$(cat "$log"/orchestrator.log "$log"/worker*.log | grep -c "event=retry") calls retried," \
  "$(cat "$log"/orchestrator.log "$log"/worker*.log | grep -c "event=[a-z_]*_failed") left to their lease or the next read"
echo "test took $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')s"
