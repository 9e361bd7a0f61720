#!/usr/bin/env bash
# A cluster of separate processes on one PostgreSQL database: two orchestrators and four
# workers run 1,000 diamond tasks, one attempt in ten failing (retryable, injected). One
# worker is SIGKILLed while it runs steps; they come back when their lease ends and other
# workers finish them. Passes when every task completes, no step succeeded twice and every
# history is legal (tasker-node --verify), and when the killed worker's steps completed
# within the lease plus a few seconds of the kill.
# Needs TASKER_DATABASE_URL (a maintenance database URL); uses its own database.
set -euo pipefail
node=$1
tasks=1000
lease=3 # seconds: the killed worker's steps are taken over this long after its last heartbeat
slack=5 # seconds on top of the lease for: redelivery, lost-worker failure, retry backoff, a rerun
template=diamond_workflow_with_retries

start=$(date +%s.%N)
# shellcheck source=examples/postgres/cluster_lib.sh
. "$(dirname "$0")/cluster_lib.sh"
cluster_setup cluster

"$node" --url "$url" --migrate
for i in 1 2; do
  "$node" --url "$url" --role orchestrator >"$log/orchestrator$i.log" 2>&1 & pids+=($!)
done
for i in 1 2 3; do
  "$node" --url "$url" --role worker --lease $lease --fail-rate 0.1 --seed $i >"$log/worker$i.log" 2>&1 & pids+=($!)
done
# The victim's steps wait an hour before running: whatever it claims, it is running when killed.
"$node" --url "$url" --role worker --lease $lease --fail-rate 0.1 --seed 4 --step-delay 3600000 \
  >"$log/victim.log" 2>&1 & victim=$!; pids+=("$victim")

"$node" --url "$url" --submit $template --count $tasks --wait --verify >"$log/submit.log" 2>&1 & submitter=$!
until grep -q "event=step_delayed" "$log/victim.log"; do
  kill -0 "$victim" 2>/dev/null || fail "the victim worker exited before it ran a step"
  kill -0 "$submitter" 2>/dev/null || fail "the tasks finished before the victim worker ran a step"
  sleep 0.1
done
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
killed_at=$(date +%s.%N)

# The steps it was running: task, step name, attempt. Each must still be in progress in that
# attempt, now that nobody renews its lease.
mapfile -t held < <(sed -n 's/.* task=\([0-9a-f-]*\) step=\([a-z_]*\) attempt=\([0-9]*\) event=step_delayed.*/\1 \2 \3/p' "$log/victim.log")
[ ${#held[@]} -gt 0 ] || fail "no step of the victim found in its log"
step_rows() { # task, step name, attempt -> SQL selecting that step's row with the attempt
  echo "SELECT s.task_id, s.idx, s.state, s.attempts, $3 AS attempt FROM tasker.steps s
        JOIN tasker.tasks t ON t.id = s.task_id JOIN tasker.templates tt ON tt.id = t.template_id,
        json_array_elements(tt.definition->'steps') WITH ORDINALITY AS d(step, ord)
        WHERE s.task_id = '$1' AND d.ord - 1 = s.idx AND d.step->>'name' = '$2'"
}
for h in "${held[@]}"; do
  read -r task step attempt <<<"$h"
  state=$(sql "SELECT state || ' ' || attempts FROM ($(step_rows "$task" "$step" "$attempt")) x")
  [ "$state" = "in_progress $attempt" ] || fail "task $task step $step attempt $attempt: $state, not in progress, at the kill"
done
echo "killed worker $victim while it ran ${#held[@]} steps"

status=0
wait "$submitter" || status=$?
cat "$log/submit.log"
[ $status -eq 0 ] || fail "not every task completed, or the database holds violations"

# How long after the kill each of its steps succeeded in a later attempt, elsewhere.
worst=0
for h in "${held[@]}"; do
  read -r task step attempt <<<"$h"
  took=$(sql "SELECT round((extract(epoch FROM min(tr.at) FILTER (WHERE tr.event = 'succeed')) - $killed_at)::numeric, 2)
                     || ' ' || count(*) FILTER (WHERE tr.event = 'fail')
              FROM ($(step_rows "$task" "$step" "$attempt")) x
              JOIN tasker.step_transitions tr ON tr.task_id = x.task_id AND tr.idx = x.idx AND tr.attempt > x.attempt
              WHERE tr.event IN ('succeed', 'fail')")
  read -r seconds failed <<<"$took"
  echo "  $task $step: attempt $attempt killed; succeeded ${seconds}s later (after $failed failed attempts)"
  worst=$(awk -v a="$seconds" -v b="$worst" 'BEGIN { print (a > b ? a : b) }')
done
limit=$((lease + slack))
echo "the killed worker's steps completed elsewhere within ${worst}s of the kill (limit ${limit}s: lease ${lease}s + ${slack}s)"
awk -v w="$worst" -v l="$limit" 'BEGIN { exit !(w <= l) }' || fail "the killed worker's steps took too long to complete elsewhere"
echo "test took $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')s"
