#!/usr/bin/env bash
# `make test`: set up, build, install, start a throwaway cluster, run every test
# layer, stop the cluster.  Ends with one line "N passed, N failed"; exits non-zero
# on any failure.
#
# Layers: pg_regress (test/sql -> expected), pgTAP (test/pgtap, pg_prove), both
# again with the extension built with UBSan, the codec's C unit tests (plain,
# ASan+UBSan, valgrind), fuzzing (short runs), integration scripts
# (test/integration: races, replicas, crashes).
# WES_TEST_ONLY="regress pgtap ubsan unit fuzz integration" picks layers.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
source scripts/lib.sh

export WES_VECTORS=${WES_VECTORS:-$(cd "$ROOT/../shared/vectors" 2>/dev/null && pwd || echo "$ROOT/test/vectors")}
export WES_TEST_PORT=${WES_TEST_PORT:-54340}
ONLY=${WES_TEST_ONLY:-regress pgtap ubsan unit fuzz integration}
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

# Count pg_regress's "... ok" and "... FAILED" lines of a log; a run that failed without one counts one failure
tally_regress() {
	local log=$1 rc=$2 ok nok
	ok=$(grep -cE '\.\.\. ok' "$log")
	nok=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$log")
	[ "$rc" -ne 0 ] && [ "$nok" -eq 0 ] && nok=1
	[ -f regression.diffs ] && [ "$nok" -gt 0 ] && head -n 200 regression.diffs
	passed=$((passed + ok))
	failed=$((failed + nok))
}

# pgTAP's files in a fresh database DB, TAP output in LOG
run_pgtap() {
	local db=$1 log=$2 rc
	PGOPTIONS='-c client_min_messages=warning' psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $db" \
		-c "CREATE DATABASE $db" >/dev/null
	psql -q -X -d "$db" -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION amcheck' -c 'CREATE EXTENSION wes_persist' >/dev/null
	pg_prove -v -d "$db" test/pgtap/*.sql >"$log" 2>&1
	rc=$?
	grep -vE '^[[:space:]]*ok [0-9]+' "$log"
	tally_tap "$log" $rc
}

layer() { printf '\n=== %s ===\n' "$1"; }
want() { [[ " $ONLY " == *" $1 "* ]]; }

if want regress; then
	layer "pg_regress (test/sql)"
	make -s installcheck >"$LOG/regress.log" 2>&1
	rc=$?
	cat "$LOG/regress.log"
	tally_regress "$LOG/regress.log" $rc
fi

if want pgtap; then
	layer "pgTAP (test/pgtap)"
	run_pgtap wes_tap "$LOG/pgtap.log"
fi

# Both again with the extension built with UBSan (signed overflow included); each report in
# the server log is a failure.  The plain build is installed again after.
if want ubsan; then
	layer "pg_regress and pgTAP, the extension built with UBSan"
	from=$(($(wc -l <"$DIR/server.log") + 1))
	if wes_build_install_ubsan "$ROOT/results/ubsan-build" >"$LOG/ubsan-build.log" 2>&1 &&
		ldd "${WES_PG_PREFIX:-}$(pg_config --pkglibdir)/wes_persist.so" | grep -q libubsan; then
		make -s installcheck >"$LOG/ubsan-regress.log" 2>&1
		rc=$?
		grep -E '\.\.\. (FAILED|failed)' "$LOG/ubsan-regress.log"
		tally_regress "$LOG/ubsan-regress.log" $rc
		run_pgtap wes_tap_ubsan "$LOG/ubsan-pgtap.log"
		reports=$(tail -n +"$from" "$DIR/server.log" | grep -c 'runtime error:')
		echo "UBSan reports in the server log: $reports"
		tail -n +"$from" "$DIR/server.log" | grep -A4 'runtime error:'
		if [ "$reports" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + reports)); fi
	else
		cat "$LOG/ubsan-build.log"
		echo "the UBSan build does not build or install"
		failed=$((failed + 1))
	fi
	wes_build_install || { echo "the plain build does not install again"; failed=$((failed + 1)); }
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
