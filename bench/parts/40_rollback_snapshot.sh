#!/usr/bin/env bash
# Rollback and snapshot export/import.
#
# 1. Rollback of WES_BENCH_ROLLBACK_BLOCKS (default 100) blocks of 1000 transactions
#    at the tip of the ingest part's database wes_bench (the chain of WES_BENCH_TXS
#    transactions, default 1M; loaded here from $WES_BENCH_WORK/chain-<txs>.wes,
#    generated when missing, if that part did not run).  Timed as one statement;
#    then wes-load puts the same blocks back (it resumes from the tip) and the state
#    root must be the one from before.  WES_BENCH_REPS rounds (default 3), median.
#    WES_BENCH_ROLLBACK_BLOCKS=0 skips this section.
# 2. Snapshot of a UTXO set of WES_BENCH_SNAP_UTXOS outputs (default 1M; a chain of
#    transactions without inputs until the set is that large): wes-snapshot export
#    from wes_snap_src and import into a fresh wes_snap_dst, each timed, with the
#    floors measured in the same run: COPY TO of the same rows (outpoint, height,
#    encoding of the unspent outputs, and the ids of the transactions that spent
#    nothing, binary) and COPY FROM of the rows an import writes (wes.outputs and
#    wes.prior_txids) into the empty tables of a fresh database.
#    WES_BENCH_SNAP_UTXOS=0 skips this section (to time the rollback alone).
set -euo pipefail
cd "$WES_ROOT"
source bench/lib.sh

TXS=${WES_BENCH_TXS:-1000000}
REPS=${WES_BENCH_REPS:-3}
BLOCKS=${WES_BENCH_ROLLBACK_BLOCKS:-100}
UTXOS=${WES_BENCH_SNAP_UTXOS:-1000000}
WORK=$WES_BENCH_WORK

has_db() { [ "$(sql -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]; }
tip_of() { sql -d "$1" -c "SELECT coalesce(height, -1) FROM wes.chain_state"; }

# ---- 1. rollback ----
if [ "$BLOCKS" != 0 ]; then
chain="$WORK/chain-$TXS.wes"
gen_file "$chain" -t "$TXS" -s bench --tip-out "$WORK/chain-$TXS.tip"
want_root=$(sed -n 's/^state_root=//p' "$WORK/chain-$TXS.tip")
if ! has_db wes_bench || [ "$(sql -d wes_bench -c "SELECT state_root FROM wes.chain_state")" != "$want_root" ]; then
	has_db wes_bench || fresh_db wes_bench
	tools/wes-load -q -d dbname=wes_bench "$chain"
fi
tip=$(tip_of wes_bench)
txs_undone=$(sql -d wes_bench -c "SELECT sum(tx_count) FROM wes.blocks WHERE height > $tip - $BLOCKS")
: >"$WORK/rollback.s"
: >"$WORK/reapply.s"
for _ in $(seq "$REPS"); do
	sql -d wes_bench -c "CHECKPOINT"
	t0=$(now)
	undone=$(sql -d wes_bench -c "SELECT wes_rollback_to($tip - $BLOCKS)")
	since "$t0" >>"$WORK/rollback.s"; echo >>"$WORK/rollback.s"
	[ "$undone" = "$BLOCKS" ] || { echo "wes_rollback_to undid $undone blocks, not $BLOCKS" >&2; exit 1; }
	t0=$(now)
	tools/wes-load -q -d dbname=wes_bench "$chain"
	since "$t0" >>"$WORK/reapply.s"; echo >>"$WORK/reapply.s"
	got=$(sql -d wes_bench -c "SELECT state_root FROM wes.chain_state")
	[ "$got" = "$want_root" ] || { echo "state root after re-applying: $got, expected $want_root" >&2; exit 1; }
done
rollback_s=$(median <"$WORK/rollback.s")
echo "rollback of $BLOCKS blocks ($txs_undone tx) at the tip of $TXS tx: $rollback_s s (median of $REPS; target <= 2 s)"
reapply_s=$(median <"$WORK/reapply.s")
echo "the same blocks written again by wes-load: $reapply_s s, same state root; rollback/write time: $(ratio "$rollback_s" "$reapply_s")"
fi

# ---- 2. snapshot export and import ----
[ "$UTXOS" -gt 0 ] || exit 0
snapchain="$WORK/utxos-$UTXOS.wes"
gen_file "$snapchain" -t $((UTXOS / 2)) --utxo-target "$UTXOS" -s bench-snap --tip-out "$WORK/utxos-$UTXOS.tip"
snap_root=$(sed -n 's/^state_root=//p' "$WORK/utxos-$UTXOS.tip")
if ! has_db wes_snap_src || [ "$(sql -d wes_snap_src -c "SELECT state_root FROM wes.chain_state")" != "$snap_root" ]; then
	fresh_db wes_snap_src
	tools/wes-load -q -d dbname=wes_snap_src "$snapchain"
fi
count=$(sql -d wes_snap_src -c "SELECT utxo_count FROM wes.chain_state")
file="$WORK/utxos-$UTXOS.wessnap"
: >"$WORK/export.s"; : >"$WORK/import.s"; : >"$WORK/export-floor.s"; : >"$WORK/import-floor.s"
for _ in $(seq "$REPS"); do
	rm -f "$file"
	sql -d wes_snap_src -c "CHECKPOINT"
	t0=$(now)
	tools/wes-snapshot export -q -d dbname=wes_snap_src -o "$file"
	since "$t0" >>"$WORK/export.s"; echo >>"$WORK/export.s"
	t0=$(now)
	sql -d wes_snap_src -c "\\copy (SELECT outpoint, height, wes.output_encoding(kind, owner, amount, ref, lock, data) FROM wes.outputs WHERE spent_height IS NULL ORDER BY outpoint) TO '$WORK/floor-utxos.copy' WITH (FORMAT binary)" \
		-c "\\copy (SELECT txid FROM wes.transactions WHERE input_count = 0 ORDER BY txid) TO '$WORK/floor-txids.copy' WITH (FORMAT binary)"
	since "$t0" >>"$WORK/export-floor.s"; echo >>"$WORK/export-floor.s"

	fresh_db wes_snap_dst
	sql -d wes_snap_dst -c "CHECKPOINT"
	t0=$(now)
	tools/wes-snapshot import -q -d dbname=wes_snap_dst -i "$file"
	since "$t0" >>"$WORK/import.s"; echo >>"$WORK/import.s"
	[ "$(sql -d wes_snap_dst -c "SELECT state_root FROM wes.chain_state")" = "$snap_root" ] ||
		{ echo "imported state root is not $snap_root" >&2; exit 1; }

	# the floor: the rows the import wrote, copied into empty tables of a fresh database
	sql -d wes_snap_dst -c "\\copy wes.outputs TO '$WORK/floor-o.copy' WITH (FORMAT binary)" \
		-c "\\copy wes.prior_txids TO '$WORK/floor-p.copy' WITH (FORMAT binary)"
	fresh_db wes_snap_floor
	sql -d wes_snap_floor -c "CHECKPOINT"
	t0=$(now)
	sql -d wes_snap_floor -c "\\copy wes.outputs FROM '$WORK/floor-o.copy' WITH (FORMAT binary)" \
		-c "\\copy wes.prior_txids FROM '$WORK/floor-p.copy' WITH (FORMAT binary)"
	since "$t0" >>"$WORK/import-floor.s"; echo >>"$WORK/import-floor.s"
	sql -d postgres -c "DROP DATABASE wes_snap_floor"
done
export_s=$(median <"$WORK/export.s"); import_s=$(median <"$WORK/import.s")
efloor_s=$(median <"$WORK/export-floor.s"); ifloor_s=$(median <"$WORK/import-floor.s")
echo "snapshot file: $count UTXOs, $(sql -d wes_snap_src -c "SELECT count(*) FROM wes.transactions WHERE input_count = 0") transaction ids, $(du -m "$file" | cut -f1) MB"
echo "snapshot export: $export_s s, $(rate "$count" "$export_s") UTXOs/s (median of $REPS; target <= 10 s); floor (COPY TO of the same rows) $efloor_s s, ratio $(ratio "$efloor_s" "$export_s")"
echo "snapshot import: $import_s s, $(rate "$count" "$import_s") UTXOs/s (target <= 10 s); floor (COPY FROM of the rows written) $ifloor_s s, ratio $(ratio "$ifloor_s" "$import_s")"
rm -f "$WORK"/floor-*.copy
sql -d postgres -c "DROP DATABASE wes_snap_dst"
