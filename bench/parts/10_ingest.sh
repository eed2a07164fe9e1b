#!/usr/bin/env bash
# Ingest: wes-load through wes_write_block against PostgreSQL's own floor.
#
# 1. A chain of WES_BENCH_TXS transactions (default 1000000; 2 inputs, 2 outputs,
#    1000 per block) from wes-gen, kept as $WES_BENCH_WORK/chain-<txs>.wes (with
#    chain-<txs>.tip, wes-gen's --tip-out) for later parts; written only when missing.
# 2. Loaded through wes-load into a fresh database wes_bench (left loaded for later
#    parts): ingest tx/s.
# 3. The floor: every table of schema wes exported from wes_bench (COPY TO, binary),
#    then COPY FROM STDIN into a second fresh database with the extension, whose
#    tables are empty and carry the same indexes; the COPY-in of all tables together
#    is timed.  floor tx/s = transactions / that time; the ratio is ingest / floor.
#    The CPU seconds of the writing backend and of COPY's are read from /proc meanwhile
#    (backend_cpu): on a shared machine they move less than the wall times, and
#    COPY's / the writer's own thread is the same ratio in CPU.
#    Also timed: wes-load --check of the same file, every rule of the wire format
#    with no database (decode, txids, Merkle roots, LtHash, the UTXO set in a hash
#    table).  The writer does that work and the floor's writes in one backend, so
#    floor / (floor + check) is about the best ratio it can reach: the ceiling.
# 4. Unless WES_BENCH_BIG=0: the rate over the last 100 blocks of a chain holding
#    ~10M outputs (5M transactions) against the rate over the last 100 blocks of
#    the same chain when it held 1M outputs (500k transactions); WES_BENCH_BIG_TXS
#    scales that chain (the measured stretches are its last fiftieth before each point).  The segments not
#    measured stream from wes-gen straight into wes-load; the measured ones are
#    files in $WES_BENCH_WORK (written only when missing).
#
# WES_BENCH_REPS=N (default 3) repeats steps 2 and 3 N times (alternating) and reports medians.
set -euo pipefail
cd "$WES_ROOT"
source bench/lib.sh

TXS=${WES_BENCH_TXS:-1000000}
REPS=${WES_BENCH_REPS:-3}
BIG=${WES_BENCH_BIG:-1}
WORK=$WES_BENCH_WORK
LOAD_OPTS=${WES_BENCH_LOAD_OPTS:-}

# Load FILE into DB; prints the seconds it took.  With a third argument CPU, the writing
# backend's CPU seconds (its own thread, all its threads: backend_cpu) go to file CPU.
timed_load() {
	local db=$1 file=$2 cpu=${3:-} t0 watch
	[ -z "$cpu" ] || { backend_cpu wes-load "$db" >"$cpu" & watch=$!; }
	t0=$(now)
	# shellcheck disable=SC2086
	tools/wes-load -q $LOAD_OPTS -d "dbname=$db" "$file" >&2
	since "$t0"
	[ -z "$cpu" ] || wait "$watch"
}

# Check FILE with no database; prints the seconds it took
timed_check() {
	local t0
	t0=$(now)
	tools/wes-load -q --check "$1" >&2
	since "$t0"
}

# The tables of schema wes, in a stable order
wes_tables() {
	sql -d "$1" -c "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'wes'::regnamespace
	                AND c.relkind = 'r' ORDER BY c.relname"
}

# Export every wes table of DB to $WORK/floor/<table>.copy
floor_export() {
	local db=$1 t
	rm -rf "$WORK/floor" && mkdir -p "$WORK/floor"
	for t in $(wes_tables "$db"); do
		sql -d "$db" -c "\\copy wes.$t TO '$WORK/floor/$t.copy' WITH (FORMAT binary)"
	done
}

# COPY the exported rows into empty tables of a fresh database; prints the seconds it
# took, and writes the COPY backend's CPU seconds (backend_cpu) to file $1
floor_copy_in() {
	local db=wes_floor script="$WORK/floor/copy-in.sql" cpu=$1 t t0 watch
	fresh_db "$db"
	: >"$script"
	for t in $(wes_tables "$db"); do
		sql -d "$db" -c "TRUNCATE wes.$t"	# the extension's one chain_state row
		echo "\\copy wes.$t FROM '$WORK/floor/$t.copy' WITH (FORMAT binary)" >>"$script"
	done
	sql -d "$db" -c "CHECKPOINT"
	backend_cpu wes-bench-floor "$db" >"$cpu" & watch=$!
	t0=$(now)
	PGAPPNAME=wes-bench-floor sql -d "$db" -f "$script" >&2
	since "$t0"
	wait "$watch"
}

# ---- 1. the chain ----
chain="$WORK/chain-$TXS.wes"
gen_file "$chain" -t "$TXS" -s bench --tip-out "$WORK/chain-$TXS.tip"
want_root=$(sed -n 's/^state_root=//p' "$WORK/chain-$TXS.tip")
echo "chain: $TXS transactions, $(du -m "$chain" | cut -f1) MB, 2 in / 2 out, 1000 per block"
[ -z "$LOAD_OPTS" ] || echo "wes-load options: $LOAD_OPTS"

# ---- 2 and 3: ingest and the floor ----
: >"$WORK/ingest.s"
: >"$WORK/floor.s"
: >"$WORK/check.s"
: >"$WORK/ingest.cpu"
: >"$WORK/floor.cpu"
for rep in $(seq "$REPS"); do
	fresh_db wes_bench
	sql -d wes_bench -c "CHECKPOINT"
	timed_load wes_bench "$chain" "$WORK/cpu" >>"$WORK/ingest.s"; echo >>"$WORK/ingest.s"
	cat "$WORK/cpu" >>"$WORK/ingest.cpu"
	timed_check "$chain" >>"$WORK/check.s"; echo >>"$WORK/check.s"
	got_root=$(sql -d wes_bench -c "SELECT state_root FROM wes.chain_state")
	[ "$got_root" = "$want_root" ] || { echo "state root $got_root, expected $want_root" >&2; exit 1; }
	floor_export wes_bench
	floor_copy_in "$WORK/cpu" >>"$WORK/floor.s"; echo >>"$WORK/floor.s"
	cat "$WORK/cpu" >>"$WORK/floor.cpu"
	sql -d postgres -c "DROP DATABASE wes_floor"
done
ingest_s=$(median <"$WORK/ingest.s")
floor_s=$(median <"$WORK/floor.s")
ingest=$(rate "$TXS" "$ingest_s")
floor=$(rate "$TXS" "$floor_s")
echo "ingest: $ingest tx/s ($TXS tx in $ingest_s s, median of $REPS; target >= 25000)"
echo "ingest floor (COPY of the final rows, same indexes): $floor tx/s ($floor_s s)"
echo "ingest/floor: $(ratio "$ingest" "$floor") (target >= 0.9)"
check_s=$(median <"$WORK/check.s")
echo "checks alone, no database (wes-load --check): $(rate "$TXS" "$check_s") tx/s ($check_s s)"
echo "ingest/floor ceiling, floor / (floor + checks): $(ratio "$floor_s" "$(awk -v a="$floor_s" -v b="$check_s" 'BEGIN { print a + b }')")"
writer_main=$(cut -d' ' -f1 <"$WORK/ingest.cpu" | median)
writer_all=$(cut -d' ' -f2 <"$WORK/ingest.cpu" | median)
floor_cpu=$(cut -d' ' -f1 <"$WORK/floor.cpu" | median)
echo "CPU of the writing backend (from /proc, median): its own thread $writer_main s ($(ratio "$writer_main" "$ingest_s") of the load's time), all its threads $writer_all s; COPY's backend $floor_cpu s ($(ratio "$floor_cpu" "$floor_s") of the floor's time)"
echo "ingest/floor in CPU, COPY's backend / the writer's own thread: $(ratio "$floor_cpu" "$writer_main") (runs, writer own/all | COPY: $(paste -d'|' "$WORK/ingest.cpu" "$WORK/floor.cpu" | tr '\n' ';' | sed 's/;$//; s/;/; /g'))"
echo "rows: $(sql -d wes_bench -c "SELECT 'transactions ' || (SELECT count(*) FROM wes.transactions) ||
	', inputs ' || (SELECT count(*) FROM wes.inputs) || ', outputs ' || (SELECT count(*) FROM wes.outputs) ||
	', utxos ' || (SELECT count(*) FROM wes_api.utxos)")"

[ "$BIG" = 0 ] && { echo "ingest at 10M outputs: skipped (WES_BENCH_BIG=0)"; exit 0; }

# ---- 4. the rate at 10M outputs against the rate at 1M ----
# Segments of one chain of BIG_TXS transactions (seed bench-big; 2 outputs each): A
# streamed, B measured (the last BIG_TXS/50 transactions before the chain holds 1M
# outputs), C streamed, D measured (the last BIG_TXS/50 before it holds 10M).
BIG_TXS=${WES_BENCH_BIG_TXS:-5000000}
M=$((BIG_TXS / 50))
big() { echo "$WORK/big-$BIG_TXS-$1"; }
stream() {	# stream N transactions from state file IN (or genesis) into wes_bench_big, state to OUT
	local n=$1 in=$2 out=$3 from=()
	[ -n "$in" ] && from=(--state-in "$in")
	# shellcheck disable=SC2086
	"${GEN[@]}" -t "$n" -s bench-big "${from[@]}" --state-out "$out.part" -o - |
		tools/wes-load -q $LOAD_OPTS -d dbname=wes_bench_big -
	mv "$out.part" "$out"
}
fresh_db wes_bench_big
[ -s "$(big B.state)" ] || rm -f "$(big B.wes)"	# B.state comes with B.wes
stream $((BIG_TXS / 10 - M)) "" "$(big A.state)"
gen_file "$(big B.wes)" -s bench-big --state-in "$(big A.state)" -t "$M" --state-out "$(big B.state)"
sql -d wes_bench_big -c "CHECKPOINT"
at1m_s=$(timed_load wes_bench_big "$(big B.wes)")
stream $((BIG_TXS - BIG_TXS / 10 - M)) "$(big B.state)" "$(big C.state)"
gen_file "$(big D.wes)" -s bench-big --state-in "$(big C.state)" -t "$M"
sql -d wes_bench_big -c "CHECKPOINT"
at10m_s=$(timed_load wes_bench_big "$(big D.wes)")
outputs=$(sql -d wes_bench_big -c "SELECT count(*) FROM wes.outputs")
at1m=$(rate "$M" "$at1m_s")
at10m=$(rate "$M" "$at10m_s")
echo "ingest at $((BIG_TXS / 5)) outputs (last $M tx): $at1m tx/s"
echo "ingest at $outputs outputs (last $M tx): $at10m tx/s"
echo "ingest 10M/1M outputs: $(ratio "$at10m" "$at1m") (target >= 0.8)"
sql -d postgres -c "DROP DATABASE wes_bench_big"
