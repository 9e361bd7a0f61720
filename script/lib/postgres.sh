# Starts a throw-away PostgreSQL 15 server on loopback, in a temp dir, for the test suite.
# Source this file, call `postgres_start`, and `postgres_stop` when done (script/test does
# both, with a trap). When TASKER_DATABASE_URL is already set, that server is used instead
# and nothing is started.

postgres_bin=/usr/lib/postgresql/15/bin
postgres_dir=""

postgres_start() {
  if [ -n "${TASKER_DATABASE_URL:-}" ]; then
    echo "==> postgres: using TASKER_DATABASE_URL"
    return
  fi
  postgres_dir=$(mktemp -d /tmp/tasker-postgres.XXXXXX)
  chmod 755 "$postgres_dir"
  local as_postgres=()
  if [ "$(id -u)" -eq 0 ]; then
    install -d -o postgres "$postgres_dir/data" "$postgres_dir/sock" "$postgres_dir/log"
    as_postgres=(runuser -u postgres --)
  else
    mkdir -p "$postgres_dir/data" "$postgres_dir/sock" "$postgres_dir/log"
  fi
  "${as_postgres[@]}" "$postgres_bin/initdb" -D "$postgres_dir/data" -A trust -U postgres --no-sync >"$postgres_dir/initdb.log" 2>&1 \
    || { cat "$postgres_dir/initdb.log" >&2; return 1; }
  # fsync off: the tests need a real server, not durable disks (benchmarks set their own).
  # A random high port; another one if it is taken.
  local port started=""
  for _ in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 30000))
    if "${as_postgres[@]}" "$postgres_bin/pg_ctl" -D "$postgres_dir/data" -w -l "$postgres_dir/log/server.log" \
      -o "-p $port -k $postgres_dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
      start >/dev/null 2>&1; then
      started=yes
      break
    fi
  done
  [ -n "$started" ] || { echo "postgres: could not start; server log:" >&2; cat "$postgres_dir/log/server.log" >&2; return 1; }
  export TASKER_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  postgres_run_as=("${as_postgres[@]}")
  echo "==> postgres: started on 127.0.0.1:$port ($postgres_dir)"
}

postgres_stop() {
  [ -n "$postgres_dir" ] || return 0
  "${postgres_run_as[@]}" "$postgres_bin/pg_ctl" -D "$postgres_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$postgres_dir"
  postgres_dir=""
}
