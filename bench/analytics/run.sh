#!/usr/bin/env bash
# Times the two statements of tasker::postgres::store::analytics on a million seeded tasks
# (seed.sql), for windows of 5 minutes, 1 hour and 24 hours: EXPLAIN ANALYZE of each, as
# prepared. The statements are read out of backends/postgres/src/store/analytics.cpp, so what is
# timed is what the store runs. A scratch server from script/lib/postgres.sh; run from the root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. script/lib/postgres.sh
unset TASKER_DATABASE_URL
postgres_start >/dev/null
trap postgres_stop EXIT
for f in migrations/*.sql; do psql -q -v ON_ERROR_STOP=1 "$TASKER_DATABASE_URL" -f "$f" >/dev/null; done
psql -q -v ON_ERROR_STOP=1 "$TASKER_DATABASE_URL" -f "$here/seed.sql"
queries=$(mktemp)
python3 - "$queries" <<'PY'
import re, sys
s = open('backends/postgres/src/store/analytics.cpp').read()
def sql(name):
    m = re.search(r'constexpr statement ' + name + r'\{\s*"[^"]+",\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\};', s)
    return ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
open(sys.argv[1], 'w').write(f"""
PREPARE counts(text, text, uuid, uuid, bigint, bigint) AS {sql('counts')};
PREPARE sample(bigint[], uuid, uuid, bigint, bigint, bigint) AS {sql('sample')};
SELECT (extract(epoch FROM now() - interval :'win') * 1000000)::bigint AS from_us,
  (extract(epoch FROM now()) * 1000000)::bigint AS to_us,
  (lpad(to_hex((extract(epoch FROM now() - interval :'win' - interval '65 s') * 1000)::bigint), 12, '0')
   || '00000000000000000000')::uuid AS low,
  (lpad(to_hex((extract(epoch FROM now() + interval '5 s') * 1000)::bigint + 1), 12, '0')
   || '00000000000000000000')::uuid AS high,
  (SELECT array_agg(id) FROM tasker.templates) AS tids \\gset
EXPLAIN (ANALYZE, SUMMARY) EXECUTE counts('', '', :'low', :'high', :from_us, :to_us);
EXPLAIN (ANALYZE, SUMMARY) EXECUTE sample(:'tids', :'low', :'high', :from_us, :to_us, 1000);
""")
PY
for win in '5 minutes' '1 hour' '24 hours'; do
    echo "=== window $win"
    psql -q -v ON_ERROR_STOP=1 -v win="$win" "$TASKER_DATABASE_URL" -f "$queries"
done
rm -f "$queries"
