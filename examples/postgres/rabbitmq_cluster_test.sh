#!/usr/bin/env bash
# The two-process example on RabbitMQ: the same tasker-node as on PGMQ with --broker rabbitmq
# (state in PostgreSQL, messages through the outbox and RabbitMQ). One orchestrator and two
# workers run 200 diamond tasks with injected retryable failures; one worker is SIGKILLed
# while it holds steps, which RabbitMQ redelivers when its connection drops. Passes when every
# task completes, no step succeeded twice and every history is legal (tasker-node --verify).
# Needs TASKER_DATABASE_URL and TASKER_RABBITMQ_URL; uses its own database and queue names.
set -euo pipefail
node=$1
: "${TASKER_RABBITMQ_URL:?TASKER_RABBITMQ_URL must name a RabbitMQ server (script/test starts one)}"
tasks=200
lease=3

# shellcheck source=examples/postgres/cluster_lib.sh
. "$(dirname "$0")/cluster_lib.sh"
cluster_setup rabbit_cluster
# Not a shell function: $! must be the node's own pid, for the kill below.
on_rabbitmq=(--url "$url" --broker rabbitmq)

"$node" "${on_rabbitmq[@]}" --migrate
"$node" "${on_rabbitmq[@]}" --role orchestrator >"$log/orchestrator.log" 2>&1 & pids+=($!)
"$node" "${on_rabbitmq[@]}" --role worker --lease $lease --fail-rate 0.1 --seed 1 >"$log/worker.log" 2>&1 & pids+=($!)
# The victim's steps wait an hour before running: whatever it holds, it holds when killed.
"$node" "${on_rabbitmq[@]}" --role worker --lease $lease --fail-rate 0.1 --seed 2 --step-delay 3600000 >"$log/victim.log" 2>&1 & victim=$!
pids+=("$victim")

started=$(date +%s)
"$node" "${on_rabbitmq[@]}" --submit diamond_workflow_with_retries --count $tasks --wait --verify >"$log/submit.log" 2>&1 & submitter=$!
until grep -q "event=step_delayed" "$log/victim.log"; do
  kill -0 "$victim" 2>/dev/null || fail "the victim worker exited before it ran a step"
  kill -0 "$submitter" 2>/dev/null || fail "the tasks finished before the victim worker ran a step"
  sleep 0.1
done
kill -KILL "$victim"; killed_at=$(date +%s); echo "killed $(( killed_at - started )) s after submitting"
echo "killed worker $victim while it held steps"

wait "$submitter" || fail "the tasks did not all complete, or --verify found a violation"
cat "$log/submit.log"
echo "finished $(( $(date +%s) - killed_at )) s after the kill"
grep -q "running on rabbitmq" "$log/worker.log" || fail "the worker did not run on RabbitMQ"
