#!/usr/bin/env bash
# With a hot standby: wes-load on the bench cluster while a streaming standby replays its
# WAL, asynchronously and synchronously, against the same load with the standby stopped.
#
# The standby is made by pg_basebackup -R -X stream over loopback, with a physical
# replication slot (wes_bench_standby) so that it can be stopped and catch up after; it
# runs on WES_BENCH_PORT + 1 with the primary's settings (hot_standby on), on the same
# two cores: its replay competes with the writer, as it would not on a machine of its own.
# The chain: $WES_BENCH_WORK/standby-<WES_STANDBY_TXS>.wes (default 300000 transactions, 2 in
# / 2 out, 1000 a block).  It is loaded once unmeasured: the first load into a fresh
# cluster creates the 40 or so WAL segment files that the later ones recycle, and in
# trials it was the slowest of its series by 10-25%.  Then WES_STANDBY_REPS
# times (default 5) it is loaded by wes-load into a fresh database wes_standby, after a
# CHECKPOINT, three ways in turn:
#   async: the standby streaming; commits do not wait for it (PostgreSQL's default);
#   sync:  synchronous_standby_names = '*': each commit waits until the standby has
#          flushed the commit's WAL (synchronous_commit = on);
#   alone: the standby stopped; it catches up through its slot after, unmeasured.
# And a fourth, readers: async, with WES_STANDBY_CLIENTS (default 2) readers on the standby
# as wes_reader for the whole load (pgbench -M prepared in rounds of a second against the
# database being loaded: the tip; a random block's first transactions; a UTXO lookup of an
# output of a random block, with its owner's balance).  Their queries meet the replay of
# the load's HOT updates and page pruning, so recovery conflicts can cancel them
# (max_standby_streaming_delay, hot_standby_feedback: PostgreSQL's defaults); the part
# counts the errors the readers see and the conflicts the standby reports.
# PostgreSQL's floor in the same rounds, with the standby streaming (async) and stopped:
# COPY of the rows of the first load into the empty tables of a fresh database wes_floor
# (floor_copy_in, as part 10 does), so that what a standby costs PostgreSQL's own writes
# stands beside what it costs the writer's.
# Printed: tx/s of each (medians) and the ratios to alone, the same for the floor; the
# writer backend's CPU; the CPU the standby's processes and the primary's walsender used
# while the standby received and replayed a load; the WAL a load writes; and how long
# after the end of a load the standby had replayed all of it.
# Checked: the standby streams during async and sync (pg_stat_replication, sync_state);
# at the end, caught up through its slot, its wes_chain_tip() is the primary's and the
# generator's.  The settings of the primary are the bench cluster's (WES_BENCH_SETTINGS).
set -euo pipefail
cd "$WES_ROOT"
source bench/lib.sh
source scripts/lib.sh >/dev/null
cluster_env "$WES_BENCH_PORT"

TXS=${WES_STANDBY_TXS:-300000}
REPS=${WES_STANDBY_REPS:-5}
CLIENTS=${WES_STANDBY_CLIENTS:-2}
PPORT=$WES_BENCH_PORT
SPORT=$((WES_BENCH_PORT + 1))
SLOT=wes_bench_standby
DB=wes_standby
SDIR=$(cluster_dir bench-standby)
WORK=$WES_BENCH_WORK
S=$(mktemp -d)

drop_slot() {
	sql -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
		WHERE slot_name = '$SLOT'" >/dev/null
}
sync_names() {
	sql -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
}
cleanup() {
	cluster_stop "$SDIR"
	rm -rf "$SDIR" "$S"
	sync_names "" || true
	drop_slot || true
	sql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS wes_floor" || true
}
trap cleanup EXIT

# on the standby, from this shell (cluster_start points the libpq variables at it)
ssql() { sql -p "$SPORT" "$@"; }

# wait_for SECONDS QUERY [PSQL-OPTIONS...]: until QUERY returns t; fails after SECONDS
wait_for() {
	local limit=$1 query=$2 t0
	shift 2
	t0=$(now)
	until [ "$(sql "$@" -d postgres -c "$query" 2>/dev/null)" = t ]; do
		awk -v s="$(since "$t0")" -v l="$limit" 'BEGIN { exit !(s > l) }' && return 1
		sleep 0.05
	done
}
# replayed SECONDS: until the standby has replayed all the primary has written so far
replayed() {
	wait_for "$1" "SELECT pg_last_wal_replay_lsn() >= '$(sql -d postgres -c "SELECT pg_current_wal_lsn()")'" -p "$SPORT"
}
# Start the standby and wait until the primary streams to it
standby_start() {
	cluster_start "$SDIR" "$SPORT"
	cluster_env "$PPORT"
	wait_for 60 "SELECT count(*) = 1 FROM pg_stat_replication WHERE state = 'streaming'" ||
		{ echo "the standby does not stream" >&2; exit 1; }
}

# The standby's state as the primary sees it: "state sync_state" of its walsender
walsender_state() {
	sql -d postgres -c "SELECT state || ' ' || sync_state FROM pg_stat_replication"
}

# proc_cpu PID...: CPU seconds (user + system) of those processes so far
proc_cpu() {
	local p tck
	tck=$(getconf CLK_TCK)
	for p in "$@"; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done |
		awk -v t="$tck" '{ s += $1 } END { printf "%.2f", s / t }'
}
# ... of the standby's processes (its postmaster's children); of the primary's walsender
standby_cpu() {
	local pids
	mapfile -t pids < <(pgrep -P "$(head -n 1 "$SDIR/postmaster.pid")")
	proc_cpu "${pids[@]}"
}
walsender_cpu() { proc_cpu "$(sql -d postgres -c "SELECT pid FROM pg_stat_replication")"; }

# ---- the chain and the standby ----
chain="$WORK/standby-$TXS.wes"
gen_file "$chain" -t "$TXS" -s bench-standby --tip-out "$WORK/standby-$TXS.tip"
tip_want=$(sed -n 's/^height=//p; s/^hash=//p; s/^state_root=//p' "$WORK/standby-$TXS.tip" | paste -sd'|')
echo "chain: $TXS transactions, $(du -m "$chain" | cut -f1) MB, 2 in / 2 out, 1000 per block"

cluster_stop "$SDIR"
rm -rf "$SDIR"
drop_slot
t0=$(now)
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PPORT" -U postgres -D "$SDIR" -R -X stream -c fast \
	-C -S "$SLOT" >"$S/basebackup.log" 2>&1 || { cat "$S/basebackup.log" >&2; exit 1; }
echo "standby: base backup of $(du -sm "$SDIR" | cut -f1) MB in $(since "$t0") s (pg_basebackup -X stream over loopback, slot $SLOT), port $SPORT"
printf '\nport = %s\nhot_standby = on\n' "$SPORT" >>"$SDIR/postgresql.conf"
standby_start

# The two writers measured: wes-load of the chain into a fresh database, and the floor
prepare_wes() { fresh_db "$DB"; sql -d "$DB" -c "CHECKPOINT"; }
run_wes() { timed_load "$DB" "$chain" "$1"; }
prepare_copy() { floor_prepare; }
run_copy() { timed_script wes_floor "$WORK/floor/copy-in.sql" "$1"; }
# ... and wes-load with readers on the standby (below)
prepare_readers() { prepare_wes; }
run_readers() {
	local s rpid
	: >"$S/readers.out"
	rm -f "$S/readers.done"
	readers_until "$S/readers.done" >/dev/null 2>&1 &
	rpid=$!
	s=$(run_wes "$1")
	touch "$S/readers.done"
	wait "$rpid"
	echo "$s"
}

# The readers' scripts: no samples to prepare, the database is loaded while they read
cat >"$S/tip.sql" <<'EOS'
SELECT * FROM wes_chain_tip();
EOS
cat >"$S/block.sql" <<'EOS'
SELECT coalesce(max(height), 0) AS tip FROM wes_api.tip \gset
\set h random(0, :tip)
SELECT txid, tx_index, size FROM wes_api.transactions WHERE block_height = :h ORDER BY tx_index LIMIT 20;
EOS
cat >"$S/utxo.sql" <<'EOS'
SELECT coalesce(max(height), 0) AS tip FROM wes_api.tip \gset
\set h random(0, :tip)
SELECT l.*, wes_address_balance(l.owner)
FROM (SELECT outpoint FROM wes_api.outputs WHERE created_height = :h LIMIT 1) o, wes_utxo_lookup(o.outpoint) l;
EOS

# readers_until FLAG: pgbench rounds of a second on the standby until file FLAG exists;
# the reports go to $S/readers.out
readers_until() {
	until [ -e "$1" ]; do
		PGOPTIONS="-c role=wes_reader" "$PGBENCH" -n -M prepared -h /tmp -p "$SPORT" -U postgres \
			-c "$CLIENTS" -j 2 -T 1 -f "$S/tip.sql" -f "$S/block.sql" -f "$S/utxo.sql" "$DB" \
			>>"$S/readers.out" 2>&1 || echo "pgbench exit status $?" >>"$S/readers.out"
	done
}

# reader_stats SECONDS: "tps errors conflicts" of the readers of the load just done
reader_stats() {
	local n bad errors conflicts
	n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$S/readers.out" |
		awk '{ s += $1 } END { print s + 0 }')
	bad=$(grep -iE 'error|aborted|exit status' "$S/readers.out" || true)
	errors=$(( $(grep -c . <<<"$bad" || true) +
		$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$S/readers.out" | awk '{ s += $1 } END { print s + 0 }') ))
	conflicts=$(ssql -d postgres -c "SELECT coalesce(sum(confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin
		+ confl_deadlock), 0) FROM pg_stat_database_conflicts WHERE datname = '$DB'")
	[ -z "$bad" ] || sort <<<"$bad" | uniq -c | head -n 5 | sed 's/^/  readers: /' >&2
	echo "$(rate "$n" "$1") $errors $conflicts"
}

# load MODE WRITER [WALSENDER-STATE]: one measured write by WRITER (wes or copy); appends
# "tx/s cpu wal_mb" to $S/MODE, and for a write the standby streamed (in that state),
# "catch-up-s standby-cpu walsender-cpu" to $S/MODE.standby
load() {
	local mode=$1 writer=$2 want=${3:-} s cpu wal0 wal1 c0 w0 t_end
	"prepare_$writer"
	if [ -n "$want" ]; then
		replayed 60 || { echo "$mode: the standby did not replay the fresh database" >&2; exit 1; }
		[ "$(walsender_state)" = "$want" ] ||
			{ echo "$mode: the standby is '$(walsender_state)', not '$want'" >&2; exit 1; }
		c0=$(standby_cpu)
		w0=$(walsender_cpu)
	fi
	wal0=$(sql -d postgres -c "SELECT wal_bytes FROM pg_stat_wal")
	s=$("run_$writer" "$S/cpu")
	t_end=$(now)
	wal1=$(sql -d postgres -c "SELECT wal_bytes FROM pg_stat_wal")
	cpu=$(cut -d' ' -f1 "$S/cpu")
	echo "$(rate "$TXS" "$s") $cpu $(awk -v a="$wal0" -v b="$wal1" 'BEGIN { printf "%.0f", (b - a) / 1048576 }')" >>"$S/$mode"
	[ "$writer" != readers ] || reader_stats "$s" >>"$S/readers.stats"
	[ -n "$want" ] || return 0
	replayed 600 || { echo "$mode: the standby did not replay the load within 600 s" >&2; exit 1; }
	echo "$(awk -v a="$t_end" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')" \
		"$(awk -v a="$c0" -v b="$(standby_cpu)" 'BEGIN { printf "%.2f", b - a }')" \
		"$(awk -v a="$w0" -v b="$(walsender_cpu)" 'BEGIN { printf "%.2f", b - a }')" >>"$S/$mode.standby"
}

load async wes "streaming async"	# the unmeasured first load, whose rows the floor copies
floor_export "$DB"
for f in async sync alone async-copy alone-copy readers; do : >"$S/$f"; : >"$S/$f.standby"; done
: >"$S/readers.stats"
for _ in $(seq "$REPS"); do
	load async wes "streaming async"
	load async-copy copy "streaming async"
	load readers readers "streaming async"
	sync_names '*'
	wait_for 30 "SELECT count(*) = 1 FROM pg_stat_replication WHERE sync_state = 'sync'" ||
		{ echo "the standby did not become synchronous" >&2; exit 1; }
	load sync wes "streaming sync"
	sync_names ""
	cluster_stop "$SDIR"
	load alone wes
	load alone-copy copy
	standby_start
done

# col FILE N: the median of column N
col() { awk -v n="$2" '{ print $n }' "$1" | median; }
alone=$(col "$S/alone" 1)
echo "ingest with the standby stopped: $alone tx/s (median of $REPS; writer backend CPU $(col "$S/alone" 2) s; WAL $(col "$S/alone" 3) MB a load)"
for mode in async sync; do
	case $mode in
	async) what="an async standby streaming" ;;
	sync) what="a synchronous standby (synchronous_standby_names = '*': each commit waits for its flush)" ;;
	esac
	r=$(col "$S/$mode" 1)
	echo "ingest with $what: $r tx/s; ratio $(ratio "$r" "$alone") (writer backend CPU $(col "$S/$mode" 2) s; standby's processes $(col "$S/$mode.standby" 2) s CPU, the primary's walsender $(col "$S/$mode.standby" 3) s; it had replayed the whole load $(col "$S/$mode.standby" 1) s after the load ended)"
done
r=$(col "$S/readers" 1)
echo "ingest with an async standby and $CLIENTS readers on it: $r tx/s; ratio $(ratio "$r" "$alone"), to async without readers $(ratio "$r" "$(col "$S/async" 1)") (standby's processes $(col "$S/readers.standby" 2) s CPU; it had replayed the whole load $(col "$S/readers.standby" 1) s after the load ended)"
echo "readers on the standby during the load: $(col "$S/readers.stats" 1) tps (median; tip, a block's transactions, a UTXO lookup with its owner's balance; pgbench -M prepared -c $CLIENTS as wes_reader); errors $(awk '{ s += $2 } END { print s + 0 }' "$S/readers.stats"), recovery conflicts $(awk '{ s += $3 } END { print s + 0 }' "$S/readers.stats") over the $REPS loads (target 0)"
floor=$(col "$S/alone-copy" 1)
r=$(col "$S/async-copy" 1)
echo "PostgreSQL's floor, COPY of the same rows: $floor tx/s with the standby stopped, $r with it streaming (async); ratio $(ratio "$r" "$floor") (COPY's backend CPU $(col "$S/alone-copy" 2) and $(col "$S/async-copy" 2) s; standby's processes $(col "$S/async-copy.standby" 2) s, the walsender $(col "$S/async-copy.standby" 3) s)"
echo "ingest/floor: $(ratio "$alone" "$floor") with the standby stopped, $(ratio "$(col "$S/async" 1)" "$r") with it streaming (async)"
echo "runs (tx/s: async sync alone readers | floor: async alone): $(paste -d' ' <(cut -d' ' -f1 "$S/async") <(cut -d' ' -f1 "$S/sync") \
	<(cut -d' ' -f1 "$S/alone") <(cut -d' ' -f1 "$S/readers") <(sed 's/ .*//; s/^/| /' "$S/async-copy") <(cut -d' ' -f1 "$S/alone-copy") |
	paste -sd';' | sed 's/;/; /g')"

# ---- the standby caught up through its slot: the primary's tip, the generator's ----
replayed 600 || { echo "the standby did not catch up after the last round" >&2; exit 1; }
tip_q="SELECT height || '|' || hash || '|' || state_root FROM wes_chain_tip()"
ptip=$(sql -d "$DB" -c "$tip_q")
stip=$(ssql -d "$DB" -c "$tip_q")
if [ "$ptip" = "$tip_want" ] && [ "$stip" = "$ptip" ]; then
	echo "standby, caught up through its slot after the last round: wes_chain_tip() is the primary's and the generator's (height ${ptip%%|*})"
else
	echo "standby tip '$stip', primary '$ptip', generator '$tip_want': they differ" >&2
	exit 1
fi
