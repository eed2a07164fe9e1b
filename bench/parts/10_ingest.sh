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
#    files in $WES_BENCH_WORK (written only when missing).  Each measured stretch is
#    also written again from a rolled-back, vacuumed state, and by PostgreSQL's own
#    floor (COPY of the same rows) from that state: how much of the fall from 1M to
#    10M outputs PostgreSQL itself shows on the same rows (step 4 below).
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

# Check FILE with no database; prints the seconds it took
timed_check() {
	local t0
	t0=$(now)
	tools/wes-load -q --check "$1" >&2
	since "$t0"
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
for _ in $(seq "$REPS"); do
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
# Each measured segment is written in three ways (measure_point):
#   1. by wes-load right after the stream and a CHECKPOINT, with autovacuum working
#      through what the stream left, as after any fast sync: the target's figure;
#   2. by wes-load again, after the segment is rolled back (wes_rollback_to), the
#      tables vacuumed and a CHECKPOINT taken: the writer alone;
#   3. by PostgreSQL's own floor from that same state: the rows the segment wrote
#      (exported after 1) COPYed in, and the spend marks it set on older outputs and
#      the chain-state row set by UPDATE.  The state is then exported again and must
#      be the writer's, byte for byte; the chain goes on from it.
# 2 and 3 alternate WES_BENCH_SEG_REPS times (default 3; medians).  2 against 3 is
# ingest/floor at that size; 3 at 10M against 3 at 1M is how much PostgreSQL itself
# slows down on the same rows.
BIG_TXS=${WES_BENCH_BIG_TXS:-5000000}
M=$((BIG_TXS / 50))
SEG_REPS=${WES_BENCH_SEG_REPS:-3}
big() { echo "$WORK/big-$BIG_TXS-$1"; }
stream() {	# stream N transactions from state file IN (or genesis) into wes_bench_big, state to OUT
	local n=$1 in=$2 out=$3 from=()
	[ -n "$in" ] && from=(--state-in "$in")
	# shellcheck disable=SC2086
	"${GEN[@]}" -t "$n" -s bench-big "${from[@]}" --state-out "$out.part" -o - |
		tools/wes-load -q $LOAD_OPTS -d dbname=wes_bench_big -
	mv "$out.part" "$out"
}

# Export to DIR what a segment wrote above height H0: its rows of every wes table, the
# spend marks it set on outputs created at or below H0, and the chain state.  ORDER is
# key (each table's key order, to compare two states) or ctid (the order the rows
# went in, which the floor's COPY follows as the 1M floor's does)
segment_export() {
	local h0=$1 dir=$2 order=$3 t w k
	rm -rf "$dir" && mkdir -p "$dir"
	for t in $(wes_tables wes_bench_big); do
		case $t in
		blocks | journal | snapshots) w="height > $h0" k=height ;;
		transactions) w="block_height > $h0" k="block_height, tx_index" ;;
		inputs) w="height > $h0" k="height, tx_index, input_index" ;;
		outputs) w="height > $h0" k=outpoint ;;
		chain_state) w=true k=id ;;
		resource_content | prior_txids)	# content stays through a rollback, the ids come from a
			# snapshot import; the bench's chains store no content and start at genesis
			[ "$(sql -d wes_bench_big -c "SELECT count(*) FROM wes.$t")" = 0 ] && continue
			echo "segment floor: wes.$t holds rows (the bench's chains have none)" >&2; exit 1 ;;
		*) echo "segment floor: table wes.$t unknown here" >&2; exit 1 ;;
		esac
		[ "$order" = key ] || k=ctid
		sql -d wes_bench_big -c "\\copy (SELECT * FROM wes.$t WHERE $w ORDER BY $k) TO '$dir/$t.copy' WITH (FORMAT binary)"
	done
	sql -d wes_bench_big -c "\\copy ($(marks_query "$h0") ORDER BY o.outpoint) TO '$dir/marks.copy' WITH (FORMAT binary)"
}

# The query of the spend marks a segment above H0 set on outputs created at or below it
# (one line: psql's \copy takes its query from one)
marks_query() {
	echo "SELECT o.outpoint, o.spent_by, o.spent_height FROM wes.inputs i JOIN wes.outputs o ON o.outpoint = i.outpoint WHERE i.height > $1 AND NOT i.reference AND o.height <= $1"
}

# Undo the segment above H0, vacuum and CHECKPOINT: the state 2 and 3 start from
segment_undo() {
	sql -d wes_bench_big -c "SELECT wes_rollback_to($1)" >/dev/null
	sql -d wes_bench_big -c "VACUUM (ANALYZE) wes.blocks, wes.transactions, wes.outputs, wes.inputs, wes.journal, wes.snapshots, wes.chain_state"
	sql -d wes_bench_big -c "CHECKPOINT"
}

# The floor: the segment exported in DIR written by COPY and UPDATE; prints the
# seconds, the backend's CPU seconds to file CPU
segment_floor() {
	local dir=$1 cpu=$2 script=$1/floor.sql f t
	: >"$script"
	for f in "$dir"/*.copy; do
		t=$(basename "$f" .copy)
		[ "$t" = marks ] || [ "$t" = chain_state ] ||
			echo "\\copy wes.$t FROM '$f' WITH (FORMAT binary)" >>"$script"
	done
	cat >>"$script" <<SQL
CREATE TEMP TABLE segment_marks (outpoint wes_outpoint, spent_by wes_hash, spent_height bigint);
\\copy segment_marks FROM '$dir/marks.copy' WITH (FORMAT binary)
ANALYZE segment_marks;
UPDATE wes.outputs o SET spent_by = m.spent_by, spent_height = m.spent_height
FROM segment_marks m WHERE o.outpoint = m.outpoint;
CREATE TEMP TABLE segment_state AS SELECT * FROM wes.chain_state WITH NO DATA;
\\copy segment_state FROM '$dir/chain_state.copy' WITH (FORMAT binary)
UPDATE wes.chain_state s SET height = t.height, hash = t.hash, state_root = t.state_root,
	accumulator = t.accumulator, base_height = t.base_height, utxo_count = t.utxo_count
FROM segment_state t;
SQL
	timed_script wes_bench_big "$script" "$cpu"
}

# measure_point FILE NAME: the writes of the segment in FILE, 2 and 3 alternating
# SEG_REPS times; seconds to $WORK/NAME.first, NAME.again and NAME.floor (a line a
# round), CPU seconds to NAME.again.cpu and NAME.floor.cpu (the writer's own thread,
# COPY's backend)
measure_point() {
	local file=$1 name=$2 dir="$WORK/segment" h0 root f
	h0=$(sql -d wes_bench_big -c "SELECT height FROM wes.chain_state")
	sql -d wes_bench_big -c "CHECKPOINT"
	timed_load wes_bench_big "$file" >"$WORK/$name.first"
	root=$(sql -d wes_bench_big -c "SELECT state_root FROM wes.chain_state")
	segment_export "$h0" "$dir/writer" key
	segment_export "$h0" "$dir/rows" ctid
	sql -d wes_bench_big -c "SELECT count(*) FROM ($(marks_query "$h0")) m" >"$WORK/$name.marks"
	: >"$WORK/$name.again"; : >"$WORK/$name.floor"; : >"$WORK/$name.again.cpu"; : >"$WORK/$name.floor.cpu"
	for _ in $(seq "$SEG_REPS"); do
		segment_undo "$h0"
		timed_load wes_bench_big "$file" "$WORK/cpu" >>"$WORK/$name.again"; echo >>"$WORK/$name.again"
		cat "$WORK/cpu" >>"$WORK/$name.again.cpu"
		[ "$(sql -d wes_bench_big -c "SELECT state_root FROM wes.chain_state")" = "$root" ] ||
			{ echo "segment $name written again: another state root" >&2; exit 1; }
		segment_undo "$h0"
		segment_floor "$dir/rows" "$WORK/cpu" >>"$WORK/$name.floor"; echo >>"$WORK/$name.floor"
		cat "$WORK/cpu" >>"$WORK/$name.floor.cpu"
		segment_export "$h0" "$dir/floor" key
		for f in "$dir/writer"/*.copy; do
			cmp -s "$f" "$dir/floor/$(basename "$f")" ||
				{ echo "segment floor: wes.$(basename "$f" .copy) is not what the writer wrote" >&2; exit 1; }
		done
	done
}

# report_point NAME WHAT: a measured segment's line (medians of the rounds)
report_point() {
	local first again floor
	first=$(cat "$WORK/$1.first") again=$(median <"$WORK/$1.again") floor=$(median <"$WORK/$1.floor")
	echo "ingest at $2 (last $M tx): $(rate "$M" "$first") tx/s; written again from the state" \
		"before it, rolled back, vacuumed, checkpointed: $(rate "$M" "$again") tx/s; the floor from" \
		"that state (COPY of the same rows, UPDATE of $(cat "$WORK/$1.marks") older outputs' spend marks):" \
		"$(rate "$M" "$floor") tx/s; ingest/floor $(ratio "$floor" "$again")," \
		"in CPU $(ratio "$(cut -d' ' -f1 <"$WORK/$1.floor.cpu" | median)" "$(cut -d' ' -f1 <"$WORK/$1.again.cpu" | median)")" \
		"(medians of $SEG_REPS; runs, s: $(paste -d'|' "$WORK/$1.again" "$WORK/$1.floor" | tr '\n' ' ')| first $first)"
}

fresh_db wes_bench_big
[ -s "$(big B.state)" ] || rm -f "$(big B.wes)"	# B.state comes with B.wes
stream $((BIG_TXS / 10 - M)) "" "$(big A.state)"
gen_file "$(big B.wes)" -s bench-big --state-in "$(big A.state)" -t "$M" --state-out "$(big B.state)"
measure_point "$(big B.wes)" at1m
report_point at1m "$((BIG_TXS / 5)) outputs"
stream $((BIG_TXS - BIG_TXS / 10 - M)) "$(big B.state)" "$(big C.state)"
gen_file "$(big D.wes)" -s bench-big --state-in "$(big C.state)" -t "$M"
measure_point "$(big D.wes)" at10m
report_point at10m "$(sql -d wes_bench_big -c "SELECT count(*) FROM wes.outputs") outputs"
tenth() { ratio "$(median <"$WORK/at1m.$1")" "$(median <"$WORK/at10m.$1")"; }	# a rate at 10M / at 1M
echo "ingest 10M/1M outputs: $(tenth first) (target >= 0.8)"
echo "ingest 10M/1M outputs, written again from the state before: $(tenth again); PostgreSQL's floor, the same rows by COPY: $(tenth floor)"
sql -d postgres -c "DROP DATABASE wes_bench_big"
