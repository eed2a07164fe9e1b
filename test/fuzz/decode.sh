#!/usr/bin/env bash
# TAP: fuzz the block decoder with libFuzzer (ASan + UBSan) for WES_FUZZ_SECONDS
# (default 60), seeded with every block of the wire-format vectors.  Builds the
# fuzzer when needed (make fuzz).  The corpus and any crash input stay in
# build/fuzz/block_decode/ (not committed); a crash is a "not ok" that names it.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VECTORS=${WES_VECTORS:-$(cd "$ROOT/../shared/vectors" 2>/dev/null && pwd || echo "$ROOT/test/vectors")}
SECONDS_TO_RUN=${WES_FUZZ_SECONDS:-60}
WORK=$ROOT/build/fuzz/block_decode
FUZZER=$ROOT/test/fuzz/block_decode_fuzzer

echo "1..3"
mkdir -p "$WORK/seeds" "$WORK/corpus" "$WORK/artifacts"
if make -s fuzz >"$WORK/build.log" 2>&1; then
	echo "ok 1 - block_decode_fuzzer builds (clang, -fsanitize=fuzzer,address,undefined)"
else
	echo "not ok 1 - block_decode_fuzzer builds"
	sed 's/^/# /' "$WORK/build.log" | tail -n 30
	echo "ok 2 # SKIP no fuzzer"
	echo "ok 3 # SKIP no fuzzer"
	exit 1
fi

# Seeds: every "hex" string of the vectors (blocks of chain.json and invalid.json), one file each
rm -f "$WORK"/seeds/seed-*
SEEDDIR="$WORK/seeds" perl -ne '
	while (/"hex":\s*"([0-9a-f]*)"/g) {
		open(my $f, ">", sprintf("%s/seed-%03d", $ENV{SEEDDIR}, $n++)) or die "$!";
		binmode $f; print $f pack("H*", $1); close $f;
	}' "$VECTORS"/*.json
nseeds=$(ls "$WORK/seeds" | wc -l)
if [ "$nseeds" -gt 0 ]; then
	echo "ok 2 - $nseeds seed inputs from the vectors"
else
	echo "not ok 2 - no seed inputs found in $VECTORS"
fi

log=$WORK/last-run.log
"$FUZZER" -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$WORK/artifacts/" "$WORK/corpus" "$WORK/seeds" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$rc" -eq 0 ]; then
	echo "ok 3 - no crash, leak or sanitizer report in ${SECONDS_TO_RUN}s (${runs:-?} executions)"
else
	echo "not ok 3 - the fuzzer stopped with status $rc after ${runs:-?} executions"
	grep -E 'ERROR|invariant|SUMMARY|artifact|Test unit written' "$log" | head -n 20 | sed 's/^/# /'
	exit 1
fi
