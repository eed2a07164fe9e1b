#!/usr/bin/env bash
# Lookups: wes_utxo_lookup against PostgreSQL's own floor, a plain bytea primary-key
# lookup of the same outpoints in the same database, measured in the same run.
#
# The chain: database wes_bench when an earlier part left it loaded, else
# $WES_BENCH_WORK/chain-<WES_LOOKUP_TXS>.wes (default 100000 transactions; generated when
# missing) loaded into a fresh database wes_lookup.
#
# 1. Single lookups, pgbench -M prepared, WES_LOOKUP_CLIENTS clients (default 2) for
#    WES_LOOKUP_SECONDS (default 10) per run, WES_LOOKUP_REPS runs (default 3; medians).
#    The scripts compared run interleaved in one pgbench run, and each one's mean
#    latency comes from pgbench's transaction log: they share the cores and the buffer
#    cache while measured, so the ratio is fair but a latency is not that of the script
#    run alone.  Each transaction picks a random row
#    of lookup_ops (100k random outpoints of wes.outputs) and looks its outpoint up:
#      wes:    SELECT l.* FROM lookup_ops o, wes_utxo_lookup(o.op) l WHERE o.id = :id
#      floor:  SELECT p.* FROM lookup_ops o JOIN lookup_plain p ON p.outpoint = o.k WHERE o.id = :id
#    lookup_plain is a copy of wes.outputs (every column, the spend mark too) with the
#    outpoint as a bytea primary key.  A second floor, lookup_plain_full, holds the whole
#    answer of wes_utxo_lookup (the columns of wes_api.outputs, txid and output_index
#    stored rather than derived from the outpoint) under the same kind of key.
#    A third script reads the same row from wes.outputs by its key, its own ten columns
#    (those of lookup_plain), without the three the view derives (txid, output_index and
#    the kind's name): what the key and the table cost, apart from the answer's shape.
#    The outpoint comes from a join, so both sides are one statement and one round trip.
#    A second pair passes the outpoint as a bind parameter, as a client does
#    (\gset, then wes_utxo_lookup(:op) against WHERE outpoint = :k): two round trips each.
#    The wes tables are vacuumed first (the state autovacuum keeps them in).  The sizes of
#    both tables and keys are printed: every lookup reads one random leaf and one random heap
#    page, so the larger layout of wes.outputs (fillfactor 50 for its HOT spend marks, a key
#    index filled by random inserts) is part of what separates the ratios from 1
#    (docs/storage.md).  Then the same runs with a hash index on wes.outputs (outpoint),
#    which an operator may add for a read-heavy node (one bucket page instead of a descent;
#    it costs ingest, docs/storage.md), dropped again after.
# 2. Batched: wes_utxo_lookup(wes_outpoint[]) of 10k outpoints in one call (arrays kept
#    in lookup_batches; the query reads amount and spent_by, so rows are fetched, not
#    only index entries), outpoints/s, against = ANY of the same keys on lookup_plain.
#    Also = ANY counting the keys only, an index-only scan of lookup_plain's primary key
#    (vacuumed, so no row is read): what finding 10k keys costs before any row.
set -euo pipefail
cd "$WES_ROOT"
source bench/lib.sh
source scripts/lib.sh >/dev/null
cluster_env "$WES_BENCH_PORT"

TXS=${WES_LOOKUP_TXS:-100000}
SECS=${WES_LOOKUP_SECONDS:-10}
REPS=${WES_LOOKUP_REPS:-3}
CLIENTS=${WES_LOOKUP_CLIENTS:-2}
BATCH=10000
WORK=$WES_BENCH_WORK

# ---- the chain ----
DB=wes_bench
if [ "$(sql -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'wes_bench'")" = 1 ] &&
	[ "$(sql -d wes_bench -c "SELECT coalesce(height, -1) FROM wes.chain_state" 2>/dev/null || echo -1)" -ge 0 ]; then
	echo "chain: database wes_bench (left by an earlier part)"
else
	DB=wes_lookup
	chain="$WORK/chain-$TXS.wes"
	gen_file "$chain" -t "$TXS" -s bench --tip-out "$WORK/chain-$TXS.tip"
	fresh_db "$DB"
	tools/wes-load -q -d "dbname=$DB" "$chain"
	echo "chain: $(basename "$chain") (in the bench's work folder) loaded into $DB"
fi
echo "rows: $(sql -d "$DB" -c "SELECT 'outputs ' || (SELECT count(*) FROM wes.outputs) || ', spent ' ||
	(SELECT count(*) FROM wes.inputs WHERE NOT reference) || ', utxos ' || (SELECT count(*) FROM wes_api.utxos)")"

# ---- the floor table and the outpoints to look up ----
lookup_tables "$DB" "$BATCH"
# The pages a lookup lands on at random (lookup_plain is packed by one build)
echo "footprint: $(sql -d "$DB" -c "SELECT string_agg(format('%s %s', r::text, pg_size_pretty(pg_relation_size(r))), ', ' ORDER BY o)
	FROM unnest('{wes.outputs, wes.outputs_pkey, lookup_plain, lookup_plain_pkey}'::regclass[]) WITH ORDINALITY AS t(r, o)")"
N=$(sql -d "$DB" -c "SELECT count(*) FROM lookup_ops")
NB=$(sql -d "$DB" -c "SELECT count(*) FROM lookup_batches WHERE cardinality(ops) = $BATCH")
# both sides must find every outpoint
[ "$(sql -d "$DB" -c "SELECT count(*) FROM lookup_ops o, wes_utxo_lookup(o.op) l")" = "$N" ] ||
	{ echo "wes_utxo_lookup misses outpoints" >&2; exit 1; }

S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
lookup_scripts "$S"
cat >"$S/wes_param.sql" <<'EOS'
\set id random(1, :n)
SELECT op FROM lookup_ops WHERE id = :id \gset
SELECT * FROM wes_utxo_lookup(:op::wes_outpoint);
EOS
cat >"$S/plain_param.sql" <<'EOS'
\set id random(1, :n)
SELECT k FROM lookup_ops WHERE id = :id \gset
SELECT * FROM lookup_plain WHERE outpoint = :k::bytea;
EOS
cat >"$S/wes_batch.sql" <<'EOS'
\set b random(0, :nb - 1)
SELECT count(l.amount) + count(l.spent_by) FROM lookup_batches b, wes_utxo_lookup(b.ops) l WHERE b.id = :b;
EOS
cat >"$S/plain_batch.sql" <<'EOS'
\set b random(0, :nb - 1)
SELECT count(p.amount) FROM lookup_batches b JOIN lookup_plain p ON p.outpoint = ANY (b.keys) WHERE b.id = :b;
EOS
cat >"$S/index_batch.sql" <<'EOS'
\set b random(0, :nb - 1)
SELECT count(*) FROM lookup_batches b JOIN lookup_plain p ON p.outpoint = ANY (b.keys) WHERE b.id = :b;
EOS

# tps of one pgbench run of script NAME (errors abort the part)
bench() {
	local name=$1 secs=$2 clients=$3 out
	out=$("$PGBENCH" -n -M prepared -c "$clients" -j "$clients" -T "$secs" -D n="$N" -D nb="$NB" \
		-f "$S/$name.sql" "$DB" 2>&1) || { echo "$out" >&2; return 1; }
	if grep -q 'number of failed transactions: [1-9]' <<<"$out"; then echo "$out" >&2; return 1; fi
	sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out"
}

# Mean latency in microseconds of each of the scripts NAME... run interleaved in one
# pgbench run (each transaction picks one of them at random), in the order given:
# every script meets the same machine at the same moments, which on a shared machine
# separates costs a few percent apart where back-to-back runs do not
mixed() {
	local secs=$1 out files=(); shift
	for name in "$@"; do files+=(-f "$S/$name.sql@1"); done
	rm -rf "$S/log"; mkdir "$S/log"
	out=$(cd "$S/log" && "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$secs" -D n="$N" -D nb="$NB" \
		-l --sampling-rate 0.2 "${files[@]}" "$DB" 2>&1) || { echo "$out" >&2; return 1; }
	if grep -q 'number of failed transactions: [1-9]' <<<"$out"; then echo "$out" >&2; return 1; fi
	# log lines: client transaction latency_us script_no epoch epoch_us
	cat "$S"/log/pgbench_log.* | awk -v n=$# '{ sum[$4] += $3; cnt[$4]++ }
		END { for (i = 0; i < n; i++) printf "%s%.2f", i ? " " : "", sum[i] / cnt[i]; print "" }'
}

# Per run: wes, plain, plain_full, wes_raw; then wes_param, plain_param.  The ratios are the
# floor's latency over wes_utxo_lookup's (>= 1.0: the lookup costs no more), medians of
# the runs' ratios
: >"$S/single"; : >"$S/param"
for _ in $(seq "$REPS"); do
	mixed "$SECS" wes plain plain_full wes_raw >>"$S/single"
	mixed "$SECS" wes_param plain_param >>"$S/param"
done
col_median() { awk -v c="$2" '{ print $c }' "$1" | median; }
ratio_median() { awk -v a="$2" -v b="$3" '{ print $b / $a }' "$1" | median | awk '{ printf "%.2f", $1 }'; }
us() { printf '%.1f' "$1"; }
echo "single lookup wes_utxo_lookup(op): $(us "$(col_median "$S/single" 1)") us; plain bytea primary key (wes.outputs' columns): $(us "$(col_median "$S/single" 2)") us; ratio $(ratio_median "$S/single" 1 2) (target >= 1.0; mean latency, the scripts interleaved in one pgbench -M prepared -c $CLIENTS -T $SECS run, median of $REPS runs)"
echo "single lookup against a plain table holding the same answer (output and spend): $(us "$(col_median "$S/single" 3)") us; ratio $(ratio_median "$S/single" 1 3)"
echo "the same row read from wes.outputs by its key, its own ten columns (no derived txid, output_index, kind name): $(us "$(col_median "$S/single" 4)") us; ratio to plain $(ratio_median "$S/single" 4 2); wes_utxo_lookup's ratio to it $(ratio_median "$S/single" 1 4)"
echo "single lookup, outpoint as a bind parameter: $(us "$(col_median "$S/param" 1)") us; plain: $(us "$(col_median "$S/param" 2)") us; ratio $(ratio_median "$S/param" 1 2)"
echo "single lookup runs (us: wes plain plain_full wes_raw | wes_param plain_param): $(paste -d'|' "$S/single" "$S/param" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"

# (the later parts use the same database: the index goes even if this part fails)
trap 'sql -d "$DB" -c "DROP INDEX IF EXISTS wes.bench_outpoint_hash" >/dev/null 2>&1; rm -rf "$S"' EXIT
sql -d "$DB" -c "CREATE INDEX bench_outpoint_hash ON wes.outputs USING hash (outpoint)"
: >"$S/hashed"
for _ in $(seq "$REPS"); do mixed "$SECS" wes plain plain_full >>"$S/hashed"; done
echo "single lookup with a hash index on outpoint added ($(sql -d "$DB" -c "SELECT pg_size_pretty(pg_relation_size('wes.bench_outpoint_hash'))")): $(us "$(col_median "$S/hashed" 1)") us; plain: $(us "$(col_median "$S/hashed" 2)") us; ratio $(ratio_median "$S/hashed" 1 2); against the same answer: ratio $(ratio_median "$S/hashed" 1 3) (runs: $(tr '\n' ';' <"$S/hashed" | sed 's/;$//; s/;/; /g'))"
sql -d "$DB" -c "DROP INDEX wes.bench_outpoint_hash"

: >"$S/wes_batch.tps"; : >"$S/plain_batch.tps"; : >"$S/index_batch.tps"
for _ in $(seq "$REPS"); do
	bench wes_batch "$SECS" 1 >>"$S/wes_batch.tps"
	bench plain_batch "$SECS" 1 >>"$S/plain_batch.tps"
	bench index_batch "$SECS" 1 >>"$S/index_batch.tps"
done
# Outpoints a second of batches of $BATCH at TPS calls a second
outpoints_per_s() { awk -v t="$1" -v b="$BATCH" 'BEGIN { printf "%.0f", t * b }'; }
wb=$(median <"$S/wes_batch.tps"); pb=$(median <"$S/plain_batch.tps"); ib=$(median <"$S/index_batch.tps")
echo "batched wes_utxo_lookup(wes_outpoint[]) of $BATCH: $(outpoints_per_s "$wb") outpoints/s, $(awk -v t="$wb" 'BEGIN { printf "%.1f", 1000 / t }') ms a call (target >= 500000/s); plain = ANY: $(outpoints_per_s "$pb") outpoints/s; ratio $(ratio "$wb" "$pb")"
echo "batched floor without rows: plain = ANY as an index-only scan (the keys, no row read): $(outpoints_per_s "$ib") outpoints/s; ratio $(ratio "$wb" "$ib")"

sql -d "$DB" -c "DROP TABLE lookup_plain, lookup_plain_full, lookup_ops, lookup_batches"
