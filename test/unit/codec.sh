#!/usr/bin/env bash
# TAP: the codec unit-test binary against the wire-format vectors.
# Usage: codec.sh [plain|asan|valgrind]; `make unit` builds the binaries (this builds nothing).
# The binary's own TAP lines pass through; a run that dies or whose sanitizer or
# valgrind reports an error without a "not ok" line of its own adds one.
set -uo pipefail

MODE=${1:-plain}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VECTORS=${WES_VECTORS:-$(cd "$ROOT/../shared/vectors" 2>/dev/null && pwd || echo "$ROOT/test/vectors")}

case $MODE in
plain)
	BIN=$HERE/codec_test
	RUN=("$BIN") ;;
asan)
	BIN=$HERE/codec_test_asan
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	RUN=("$BIN") ;;
valgrind)
	BIN=$HERE/codec_test
	RUN=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$BIN") ;;
*)
	echo "usage: $0 [plain|asan|valgrind]" >&2
	exit 2 ;;
esac

if [ ! -x "$BIN" ]; then
	echo "1..1"
	echo "not ok 1 - $MODE: $(basename "$BIN") is not built (make unit)"
	exit 1
fi
if [ "$MODE" = valgrind ] && ! command -v valgrind >/dev/null; then
	echo "1..1"
	echo "not ok 1 - valgrind is not installed"
	exit 1
fi

OUT=$(mktemp)
ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT
"${RUN[@]}" "$VECTORS" >"$OUT" 2>"$ERR"
rc=$?

# Renumber-free pass-through: keep the binary's lines, replace its plan with ours
grep -v '^1\.\.[0-9]*$' "$OUT" | sed "s/^\(not \)\{0,1\}ok \([0-9]*\) - /&$MODE: /"
n=$(grep -cE '^(not )?ok [0-9]+' "$OUT")
nok=$(grep -cE '^not ok [0-9]+' "$OUT")
if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
	n=$((n + 1))
	echo "not ok $n - $MODE: exited with status $rc"
	sed 's/^/# /' "$ERR" | head -n 60
elif [ -s "$ERR" ]; then
	sed 's/^/# /' "$ERR" | head -n 20
fi
if ! grep -q '^1\.\.[0-9]*$' "$OUT" && [ "$rc" -eq 0 ]; then
	n=$((n + 1))
	echo "not ok $n - $MODE: the binary stopped before its plan"
fi
echo "1..$n"
[ "$rc" -eq 0 ] && [ "$nok" -eq 0 ]
