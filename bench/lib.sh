# shellcheck shell=bash
# Helpers the bench parts share (sourced by bench/parts/NN_*.sh after cd "$WES_ROOT").

# The generator's shape for every bench chain: 1000 transactions a block, 2 in, 2 out
GEN=(tools/wes-gen -q -b 1000 -i 2 -u 2)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# A fresh database with the extension (created quietly: under wal_level = replica
# its CREATE PUBLICATION warns that subscribers would need logical)
fresh_db() {
	sql -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
	sql -d "$1" -c "SET client_min_messages = error" -c "CREATE EXTENSION wes_persist CASCADE"
}

# gen_file OUT wes-gen-options...: written only when missing, through a temporary
# name so that an interrupted run leaves none behind
gen_file() {
	local out=$1; shift
	[ -s "$out" ] && return 0
	"${GEN[@]}" "$@" -o "$out.part"
	mv "$out.part" "$out"
}

# backend_cpu APP DB: wait for the session named APP in database DB to start, then follow
# its backend until it ends; prints the CPU seconds (user + system, from /proc) of the
# backend's own thread and of all its threads.  Started in the background next to the
# client it measures; wall time is noisy on a shared machine, the writer's CPU less so.
backend_cpu() {
	local app=$1 db=$2 pid="" tck main=0 all=0 m a
	tck=$(getconf CLK_TCK)
	for _ in $(seq 400); do
		pid=$(sql -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND application_name = '$app' LIMIT 1")
		[ -n "$pid" ] && break
		sleep 0.05
	done
	while [ -n "$pid" ] && m=$(awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat" 2>/dev/null) &&
		a=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null); do
		main=$m; all=$a
		sleep 0.1
	done
	awk -v m="$main" -v a="$all" -v t="$tck" 'BEGIN { printf "%.2f %.2f\n", m / t, a / t }'
}

# timed_load DB FILE [CPU]: load FILE into DB with wes-load (options from
# WES_BENCH_LOAD_OPTS); prints the seconds it took.  With CPU, the writing backend's CPU
# seconds (its own thread, all its threads: backend_cpu) go to file CPU.
timed_load() {
	local db=$1 file=$2 cpu=${3:-} t0 watch
	[ -z "$cpu" ] || { backend_cpu wes-load "$db" >"$cpu" & watch=$!; }
	t0=$(now)
	# shellcheck disable=SC2086
	tools/wes-load -q ${WES_BENCH_LOAD_OPTS:-} -d "dbname=$db" "$file" >&2
	since "$t0"
	[ -z "$cpu" ] || wait "$watch"
}

# The tables of schema wes, in a stable order
wes_tables() {
	sql -d "$1" -c "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'wes'::regnamespace
	                AND c.relkind = 'r' ORDER BY c.relname"
}

# floor_export DB: every wes table of DB to $WES_BENCH_WORK/floor/<table>.copy, the rows
# of PostgreSQL's floor (COPY of the same rows into the same tables)
floor_export() {
	local db=$1 t
	rm -rf "$WES_BENCH_WORK/floor" && mkdir -p "$WES_BENCH_WORK/floor"
	for t in $(wes_tables "$db"); do
		sql -d "$db" -c "\\copy wes.$t TO '$WES_BENCH_WORK/floor/$t.copy' WITH (FORMAT binary)"
	done
}

# floor_prepare: a fresh database wes_floor with empty wes tables, checkpointed, and
# $WES_BENCH_WORK/floor/copy-in.sql, the psql script that COPYs the exported rows into them
floor_prepare() {
	local db=wes_floor script="$WES_BENCH_WORK/floor/copy-in.sql" t
	fresh_db "$db"
	: >"$script"
	for t in $(wes_tables "$db"); do
		sql -d "$db" -c "TRUNCATE wes.$t"	# the extension's one chain_state row
		echo "\\copy wes.$t FROM '$WES_BENCH_WORK/floor/$t.copy' WITH (FORMAT binary)" >>"$script"
	done
	sql -d "$db" -c "CHECKPOINT"
}

# floor_copy_in CPU: COPY the exported rows into empty tables of a fresh database; prints
# the seconds it took, and writes the COPY backend's CPU seconds (backend_cpu) to file CPU
floor_copy_in() {
	floor_prepare
	timed_script wes_floor "$WES_BENCH_WORK/floor/copy-in.sql" "$1"
}

# Run psql SCRIPT in DB; prints the seconds it took, and writes its backend's CPU
# seconds (backend_cpu) to file CPU
timed_script() {
	local db=$1 script=$2 cpu=$3 t0 watch
	backend_cpu wes-bench-floor "$db" >"$cpu" & watch=$!
	t0=$(now)
	PGAPPNAME=wes-bench-floor sql -d "$db" -f "$script" >&2
	since "$t0"
	wait "$watch"
}

# lookup_tables DB BATCH: the floors of the lookup parts in DB, built from its wes.outputs.
# lookup_plain is a copy of wes.outputs (every column, the spend mark too) with the
# outpoint as a bytea primary key; lookup_plain_full holds the whole answer of
# wes_utxo_lookup (the columns of wes_api.outputs, txid and output_index stored rather
# than derived) under the same kind of key; lookup_ops 100k random outpoints of
# wes.outputs, numbered from 1, in both types; lookup_batches those in arrays of BATCH.
lookup_tables() {
	sql -d "$1" <<SQL
VACUUM ANALYZE wes.outputs;
VACUUM ANALYZE wes.inputs;
DROP TABLE IF EXISTS lookup_plain, lookup_plain_full, lookup_ops, lookup_batches;
CREATE TABLE lookup_plain AS
	SELECT outpoint::bytea AS outpoint, height, kind, owner::bytea AS owner, amount, ref::bytea AS ref, lock, data,
		   spent_by::bytea AS spent_by, spent_height
	FROM wes.outputs;
ALTER TABLE lookup_plain ADD PRIMARY KEY (outpoint);
CREATE TABLE lookup_plain_full AS
	SELECT outpoint::bytea AS outpoint, txid::bytea AS txid, output_index, kind, owner::bytea AS owner, amount,
		   ref::bytea AS ref, lock, data, created_height, spent_by::bytea AS spent_by, spent_height
	FROM wes_api.outputs;
ALTER TABLE lookup_plain_full ADD PRIMARY KEY (outpoint);
CREATE TABLE lookup_ops AS
	SELECT (row_number() OVER ())::integer AS id, outpoint AS op, outpoint::bytea AS k
	FROM (SELECT outpoint FROM wes.outputs ORDER BY random() LIMIT 100000) s;
ALTER TABLE lookup_ops ADD PRIMARY KEY (id);
CREATE TABLE lookup_batches AS
	SELECT b AS id, array_agg(op) AS ops, array_agg(k) AS keys
	FROM (SELECT (id - 1) / $2 AS b, op, k FROM lookup_ops) s GROUP BY b;
VACUUM ANALYZE lookup_plain;
VACUUM ANALYZE lookup_plain_full;
VACUUM ANALYZE lookup_ops;
VACUUM ANALYZE lookup_batches;
SQL
}

# lookup_scripts DIR: the pgbench scripts of one lookup each in DIR, a random row of
# lookup_ops (variable n: its row count) looked up by the join, so each is one statement:
# wes (wes_utxo_lookup), plain (lookup_plain), plain_full (lookup_plain_full) and
# wes_raw (wes.outputs by its key, its own ten columns, none derived)
lookup_scripts() {
	cat >"$1/wes.sql" <<'EOS'
\set id random(1, :n)
SELECT l.* FROM lookup_ops o, wes_utxo_lookup(o.op) l WHERE o.id = :id;
EOS
	cat >"$1/plain.sql" <<'EOS'
\set id random(1, :n)
SELECT p.* FROM lookup_ops o JOIN lookup_plain p ON p.outpoint = o.k WHERE o.id = :id;
EOS
	cat >"$1/plain_full.sql" <<'EOS'
\set id random(1, :n)
SELECT p.* FROM lookup_ops o JOIN lookup_plain_full p ON p.outpoint = o.k WHERE o.id = :id;
EOS
	cat >"$1/wes_raw.sql" <<'EOS'
\set id random(1, :n)
SELECT p.* FROM lookup_ops o JOIN wes.outputs p ON p.outpoint = o.op WHERE o.id = :id;
EOS
}
