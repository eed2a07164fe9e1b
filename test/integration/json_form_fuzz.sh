#!/usr/bin/env bash
# TAP: fuzz the JSON form's conversions inside a real server.  The conversions use
# PostgreSQL's jsonb, so a standalone libFuzzer binary cannot link them; instead
# json_form_fuzz.sql feeds thousands of mutants of the vectors' blocks (keys deleted
# or added, values of every wrong type, truncated and grown hex, numbers out of
# range, deep nesting, array elements dropped or repeated) to wes_block_from_jsonb,
# and truncated and altered bytes to wes_block_to_jsonb, in a throwaway cluster on
# WES_TEST_PORT+1.  Every mutant must either convert (and then round-trip exactly)
# or fail with 22023 (22P03 for bytes) naming where; the server must stay up.
# WES_JSON_FUZZ_FORMS / WES_JSON_FUZZ_BYTES / WES_JSON_FUZZ_SEED tune the run.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
export WES_TEST_PORT=${WES_TEST_PORT:-54340}
source scripts/lib.sh
VECTORS=${WES_VECTORS:-$(cd "$ROOT/../shared/vectors" 2>/dev/null && pwd || echo "$ROOT/test/vectors")}
PORT=$((WES_TEST_PORT + 1))
N_FORMS=${WES_JSON_FUZZ_FORMS:-6000}
N_BYTES=${WES_JSON_FUZZ_BYTES:-2400}
SEED=${WES_JSON_FUZZ_SEED:-0.42}
DIR=$(cluster_dir json-fuzz)

echo "1..11"
trap 'cluster_stop "$DIR"' EXIT
if cluster_fresh "$DIR" "$PORT" >/dev/null 2>&1 &&
	psql -X -q -d postgres -c 'CREATE EXTENSION wes_persist' >/dev/null 2>&1; then
	echo "ok 1 - a throwaway cluster on port $PORT with the extension"
else
	echo "not ok 1 - a throwaway cluster on port $PORT with the extension"
	exit 1
fi

q() { psql -X -q -At -d postgres -c "$1" 2>&1; }

# check N DESCRIPTION QUERY: ok when QUERY returns no row; else not ok and the rows
check() {
	local n=$1 what=$2 out
	out=$(q "$3")
	if [ -z "$out" ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		printf '%s\n' "$out" | head -n 10 | sed 's/^/# /'
	fi
}

start=$(date +%s)
log=$DIR.fuzz.log
WES_VECTORS=$VECTORS psql -X -q -d postgres -v n_forms="$N_FORMS" \
	-v n_bytes="$N_BYTES" -v seed="$SEED" -f test/integration/json_form_fuzz.sql >"$log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
if [ $rc -eq 0 ]; then
	echo "ok 2 - every mutant was fed to the conversions (${secs}s)"
else
	echo "not ok 2 - the mutation run stopped (psql status $rc after ${secs}s)"
	tail -n 20 "$log" | sed 's/^/# /'
fi

# A crash would have ended the run above; check the server is up and answering anyway
if "$PGBIN/pg_isready" -q -h /tmp -p "$PORT" && [ "$(q 'SELECT 1')" = 1 ]; then
	echo "ok 3 - the server is still up"
else
	echo "not ok 3 - the server is not answering"
fi
if grep -qE 'terminated by signal|PANIC|was terminated' "$DIR/server.log"; then
	echo "not ok 4 - the server log reports a crashed backend"
	grep -E 'terminated by signal|PANIC|was terminated' "$DIR/server.log" | head -n 5 | sed 's/^/# /'
else
	echo "ok 4 - no backend crashed (server log)"
fi

counts=$(q "SELECT count(*) FILTER (WHERE what = 'form'), count(*) FILTER (WHERE what = 'form' AND accepted),
				   count(*) FILTER (WHERE what = 'bytes'), count(*) FILTER (WHERE what = 'bytes' AND accepted)
			FROM outcome")
IFS='|' read -r forms forms_ok bytes bytes_ok <<<"$counts"
if [ "${forms:-0}" -ge $((N_FORMS * 9 / 10)) ] && [ "${forms_ok:-0}" -gt 0 ] && [ "$forms_ok" -lt "$forms" ]; then
	echo "ok 5 - $forms mutated forms: $forms_ok converted, $((forms - forms_ok)) rejected"
else
	echo "not ok 5 - expected about $N_FORMS mutated forms, some converted and some rejected (got: $counts)"
fi
check 6 "every rejected form failed with 22023, never another SQLSTATE" \
	"SELECT sqlstate, kind, jpath, message FROM outcome WHERE what = 'form' AND NOT accepted AND sqlstate <> '22023' LIMIT 5"
check 7 "every converted form round-trips: from_jsonb(to_jsonb(b)) = b" \
	"SELECT kind, jpath FROM outcome WHERE what = 'form' AND accepted AND round_trip IS NOT TRUE LIMIT 5"
# The path a message names must be the mutated value's (or one inside it; $.receipts for a
# count that no longer matches), a deleted key's, or an added key's
read -r -d '' paths_named <<'SQL'
SELECT kind, jpath, message FROM (
	SELECT kind, jpath, message, substring(message FROM '^invalid JSON form of a block at (\$[^:]*): ') AS at
	FROM outcome WHERE what = 'form' AND sqlstate = '22023') o
WHERE at IS NULL
   OR (kind = 'delete' AND jpath !~ '\]$' AND message <> 'invalid JSON form of a block at ' || jpath || ': missing key')
   OR (kind = 'unknown_key' AND message <> 'invalid JSON form of a block at ' || jpath || '.zz: unknown key')
   OR (kind NOT IN ('delete', 'unknown_key', 'drop_elem', 'dup_elem')
	   AND at <> jpath AND NOT starts_with(at, jpath || '.') AND NOT starts_with(at, jpath || '[')
	   AND at <> '$.receipts')
LIMIT 5
SQL
check 8 "every 22023 names the JSON path of what is wrong" "$paths_named"
check 9 "numbers written as strings and upper-case hex give the original bytes" \
	"SELECT kind, jpath, accepted, same_bytes, message FROM outcome
	 WHERE what = 'form' AND kind IN ('as_string', 'upper')
	   AND NOT (accepted AND same_bytes) AND NOT (kind = 'as_string' AND jpath ~ '\.(version|index)$')
	   AND NOT (kind = 'upper' AND jpath ~ '\.(kind|status|resource_type|media_type|name)$') LIMIT 5"
if [ "${bytes:-0}" -ge $((N_BYTES / 2)) ] && [ "${bytes_ok:-0}" -gt 0 ]; then
	echo "ok 10 - $bytes truncated or altered blocks: $bytes_ok converted, $((bytes - bytes_ok)) rejected"
else
	echo "not ok 10 - expected truncated and altered blocks, some converting (got: $counts)"
fi
check 11 "altered bytes: 22P03 or an exact round trip, nothing else" \
	"SELECT kind, sqlstate, message FROM outcome WHERE what = 'bytes'
	   AND ((accepted AND round_trip IS NOT TRUE) OR (NOT accepted AND sqlstate <> '22P03')) LIMIT 5"
