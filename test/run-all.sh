#!/usr/bin/env bash
# `make test`: set up, build, install, start a throwaway cluster, run every test
# layer, stop the cluster.  Ends with one line "N passed, N failed"; exits non-zero
# on any failure.
#
# Layers: pg_regress (test/sql -> expected), pgTAP (test/pgtap, pg_prove), the
# codec's C unit tests (plain, ASan+UBSan, valgrind), fuzzing (short runs),
# integration scripts (test/integration: races, replicas, crashes).
# WES_TEST_ONLY="regress pgtap unit fuzz integration" picks layers.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source scripts/lib.sh

export WES_VECTORS=${WES_VECTORS:-$(cd "$ROOT/../shared/vectors" 2>/dev/null && pwd || echo "$ROOT/test/vectors")}
export WES_TEST_PORT=${WES_TEST_PORT:-54340}
ONLY=${WES_TEST_ONLY:-regress pgtap unit fuzz integration}
LOG="$ROOT/results/test-logs"

bash scripts/setup.sh || exit 1
wes_build_install || { echo "build or install failed"; echo "0 passed, 1 failed"; exit 1; }
make -s unit >/dev/null || { echo "codec unit tests do not build"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$LOG"

DIR=$(cluster_dir test)
cluster_fresh "$DIR" "$WES_TEST_PORT" || { echo "0 passed, 1 failed"; exit 1; }
trap 'cluster_stop "$DIR"' EXIT

passed=0
failed=0

# Count TAP lines of a layer's log; a layer that failed without a "not ok" counts one failure
tally_tap() {
	local log=$1 rc=$2 ok nok
	ok=$(grep -cE '^[[:space:]]*ok [0-9]+' "$log")
	nok=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$log")
	[ "$rc" -ne 0 ] && [ "$nok" -eq 0 ] && nok=1
	passed=$((passed + ok))
	failed=$((failed + nok))
}

layer() { printf '\n=== %s ===\n' "$1"; }
want() { [[ " $ONLY " == *" $1 "* ]]; }

if want regress; then
	layer "pg_regress (test/sql)"
	make -s installcheck >"$LOG/regress.log" 2>&1
	rc=$?
	cat "$LOG/regress.log"
	ok=$(grep -cE '\.\.\. ok' "$LOG/regress.log")
	nok=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$LOG/regress.log")
	[ $rc -ne 0 ] && [ "$nok" -eq 0 ] && nok=1
	[ -f regression.diffs ] && [ "$nok" -gt 0 ] && head -n 200 regression.diffs
	passed=$((passed + ok)); failed=$((failed + nok))
fi

if want pgtap; then
	layer "pgTAP (test/pgtap)"
	PGOPTIONS='-c client_min_messages=warning' psql -q -X -d postgres -c 'DROP DATABASE IF EXISTS wes_tap' -c 'CREATE DATABASE wes_tap' >/dev/null
	psql -q -X -d wes_tap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION amcheck' -c 'CREATE EXTENSION wes_persist' >/dev/null
	pg_prove -v -d wes_tap test/pgtap/*.sql >"$LOG/pgtap.log" 2>&1
	rc=$?
	grep -vE '^[[:space:]]*ok [0-9]+' "$LOG/pgtap.log"
	tally_tap "$LOG/pgtap.log" $rc
fi

# Run the TAP scripts test/DIR/*.sh with prove as layer NAME, titled TITLE
prove_layer() {
	local name=$1 dir=$2 title=$3
	want "$name" && ls test/"$dir"/*.sh >/dev/null 2>&1 || return 0
	layer "$title"
	prove -v -e bash test/"$dir"/*.sh >"$LOG/$name.log" 2>&1
	local rc=$?
	grep -vE '^[[:space:]]*ok [0-9]+' "$LOG/$name.log"
	tally_tap "$LOG/$name.log" $rc
}

prove_layer unit unit "codec unit tests (plain, ASan+UBSan, valgrind)"
prove_layer fuzz fuzz "fuzzing (short runs)"
prove_layer integration integration "integration (test/integration)"

echo
echo "logs: $LOG"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
