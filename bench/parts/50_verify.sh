#!/usr/bin/env bash
# wes_verify throughput, in transactions per second (target >= 100k tx/s), over the
# chain part 10 left loaded in database wes_bench (when that database is missing, the
# chain $WES_BENCH_WORK/chain-<WES_BENCH_TXS>.wes is generated if needed and loaded).
# Three runs: every check (wes_verify()), the block-level checks alone (every block but
# the tip: no state and index checks), and amcheck alone (bt_index_check on every
# B-tree index of schema wes, without heapallindexed, as wes_verify runs it by default;
# SET wes_persist.verify_heapallindexed = on makes both deeper), so that the parts'
# shares show.  Each run is one statement in a new connection, as a fresh backend.
# The three alternate WES_VERIFY_REPS times (default 3); the figures are medians.
set -euo pipefail
cd "$WES_ROOT"
source bench/lib.sh

TXS=${WES_BENCH_TXS:-1000000}
WORK=$WES_BENCH_WORK

if ! sql -d wes_bench -c "SELECT 1 FROM wes.chain_state" >/dev/null 2>&1; then
	chain="$WORK/chain-$TXS.wes"
	[ -s "$chain" ] || tools/wes-gen -q -b 1000 -i 2 -u 2 -t "$TXS" -s bench -o "$chain"
	fresh_db wes_bench
	tools/wes-load -q -d dbname=wes_bench "$chain" >&2
fi
sql -d wes_bench -c "CREATE EXTENSION IF NOT EXISTS amcheck"
txs=$(sql -d wes_bench -c "SELECT count(*) FROM wes.transactions")
tip=$(sql -d wes_bench -c "SELECT height FROM wes.chain_state")

# Seconds a statement takes; its output goes to $WORK/verify.out
timed() {
	local t0
	t0=$(now)
	sql -d wes_bench -c "$1" >"$WORK/verify.out"
	since "$t0"
}

AMCHECK="SELECT count(bt_index_check(c.oid, false)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE c.relnamespace = 'wes'::regnamespace AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')"
: >"$WORK/verify-all.s"; : >"$WORK/verify-chain.s"; : >"$WORK/verify-amcheck.s"
for _ in $(seq "${WES_VERIFY_REPS:-3}"); do
	timed "SELECT check_name, height, detail FROM wes_verify()" >>"$WORK/verify-all.s"; echo >>"$WORK/verify-all.s"
	findings=$(wc -l <"$WORK/verify.out")
	[ "$findings" -eq 0 ] || { echo "wes_verify() found $findings problems:" >&2; head -n 20 "$WORK/verify.out" >&2; exit 1; }
	timed "SELECT count(*) FROM wes_verify(0, $((tip - 1)))" >>"$WORK/verify-chain.s"; echo >>"$WORK/verify-chain.s"
	timed "$AMCHECK" >>"$WORK/verify-amcheck.s"; echo >>"$WORK/verify-amcheck.s"
done
all_s=$(median <"$WORK/verify-all.s")
chain_s=$(median <"$WORK/verify-chain.s")
amcheck_s=$(median <"$WORK/verify-amcheck.s")
echo "verify: $(rate "$txs" "$all_s") tx/s ($txs tx, $((tip + 1)) blocks, every check in $all_s s, median of ${WES_VERIFY_REPS:-3}; 0 findings; target >= 100000)"
echo "verify, block-level checks only: $(rate "$txs" "$chain_s") tx/s ($chain_s s)"
echo "verify, amcheck alone (no heapallindexed, as by default): $amcheck_s s"
echo "verify runs (s): every check $(paste -sd' ' "$WORK/verify-all.s"); block-level $(paste -sd' ' "$WORK/verify-chain.s")"
