#!/usr/bin/env bash
# Crash safety, long form: WES_CRASH_ROUNDS (default 20) rounds of
# test/integration/crash.sh (SIGKILL of the postmaster and its backends in the middle of
# a wes-load run, crash recovery, checks, resume).  Its cluster runs on
# WES_BENCH_PORT + 5.  Prints the rounds that passed every check, and the failures.
set -uo pipefail
cd "$WES_ROOT" || exit 1

ROUNDS=${WES_CRASH_ROUNDS:-20}
out=$(WES_CRASH_ROUNDS=$ROUNDS WES_TEST_PORT=$WES_BENCH_PORT bash test/integration/crash.sh 2>&1)
rc=$?
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$out")
passed=$(grep -c '^ok ' <<<"$out")
failed=$(grep -c '^not ok ' <<<"$out")
good=0
bad=""
for ((r = 1; r <= ROUNDS; r++)); do
	if grep -q "^ok .* round $r: wes-load resumes" <<<"$out" && ! grep -q "^not ok .* round $r:" <<<"$out"; then
		good=$((good + 1))
	else
		bad+="${bad:+,}$r"
	fi
done
mid=$(grep -c 'wes-load exit 1' <<<"$out")
tips=$(sed -n 's/.* - round [0-9]*: tip \([0-9]*\) is a committed block.*/\1/p' <<<"$out" | paste -sd' ' -)
echo "crash rounds: $ROUNDS, $good passed every check (failing or not run: ${bad:-none})"
echo "crash checks: $passed passed, $failed failed of ${planned:-?}"
echo "crash kills that interrupted wes-load mid-run: $mid of $ROUNDS; tips after recovery: $tips"
grep -E '^not ok|^#|^Bail' <<<"$out" | head -n 40
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -eq "${planned:-0}" ]
