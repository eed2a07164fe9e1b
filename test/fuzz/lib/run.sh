# Shared by the fuzz scripts of test/fuzz: fuzz_run NAME SECONDS prints the TAP of one
# libFuzzer run (ASan + UBSan) of test/fuzz/NAME_fuzzer, seeded with every block of the
# wire-format vectors.  Builds the fuzzers when needed (make fuzz).  The corpus and any
# crash input stay in build/fuzz/NAME/ (not committed); a crash is a "not ok" that names it.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$ROOT"
VECTORS=${WES_VECTORS:-$(cd "$ROOT/../shared/vectors" 2>/dev/null && pwd || echo "$ROOT/test/vectors")}

fuzz_run() {
	local name=$1 seconds=$2
	local work=$ROOT/build/fuzz/$name fuzzer=$ROOT/test/fuzz/${name}_fuzzer
	local log=$work/last-run.log nseeds rc runs

	echo "1..3"
	mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
	if make -s "test/fuzz/${name}_fuzzer" >"$work/build.log" 2>&1; then
		echo "ok 1 - ${name}_fuzzer builds (clang, -fsanitize=fuzzer,address,undefined)"
	else
		echo "not ok 1 - ${name}_fuzzer builds"
		sed 's/^/# /' "$work/build.log" | tail -n 30
		echo "ok 2 # SKIP no fuzzer"
		echo "ok 3 # SKIP no fuzzer"
		return 1
	fi

	# Seeds: every "hex" string of the vectors (blocks of chain.json and invalid.json), one file each
	rm -f "$work"/seeds/seed-*
	SEEDDIR="$work/seeds" perl -ne '
		while (/"hex":\s*"([0-9a-f]*)"/g) {
			open(my $f, ">", sprintf("%s/seed-%03d", $ENV{SEEDDIR}, $n++)) or die "$!";
			binmode $f; print $f pack("H*", $1); close $f;
		}' "$VECTORS"/*.json
	nseeds=$(ls "$work/seeds" | wc -l)
	if [ "$nseeds" -gt 0 ]; then
		echo "ok 2 - $nseeds seed inputs from the vectors"
	else
		echo "not ok 2 - no seed inputs found in $VECTORS"
	fi

	"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" "$work/seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok 3 - no crash, leak or sanitizer report in ${seconds}s (${runs:-?} executions)"
	else
		echo "not ok 3 - the fuzzer stopped with status $rc after ${runs:-?} executions"
		grep -E 'ERROR|invariant|expected|SUMMARY|artifact|Test unit written' "$log" | head -n 20 | sed 's/^/# /'
		return 1
	fi
}
