#!/usr/bin/env bash
# TAP: batched lookups through shared buffers that no longer hold the pages they were
# found in.
#
# wes_utxo_lookup(wes_outpoint[]) remembers, for the life of the backend, the shared buffer
# each page of wes.outputs and of its key was read from (src/recent_buffers.c), and reads
# the page there next time if the buffer still holds it.  Here shared_buffers (16 MB) is
# smaller than the table and its key, so by the next call of the same session most of
# those buffers hold other pages: of the same relations, at other block numbers.  Every
# call must still find every outpoint with its amount and spend mark.  The pages the
# session read from outside shared buffers show that the buffers were reused between
# calls.  Cluster on WES_TEST_PORT+8.
set -uo pipefail

source "$(dirname "$0")/lib/common.sh"
cd "$INTEG_ROOT" || exit 1
PORT=$((WES_TEST_PORT + 8))
DB=wes_buffers
CALLS=3
integ_workdir
W=$INTEG_WORK

plan 5

"$WES_GEN" -q -t 100000 -b 1000 -s buffers -o "$W/chain.blk"
ok $? "wes-gen writes 100000 transactions in blocks of 1000" || bail "wes-gen failed"

integ_cluster DIR buffers "$PORT" "shared_buffers = 16MB" &&
	q "$PORT" postgres "CREATE DATABASE $DB" && q "$PORT" "$DB" "CREATE EXTENSION wes_persist" &&
	"$WES_LOAD" -q -d "$(conninfo "$PORT" $DB)" "$W/chain.blk" &&
	q "$PORT" "$DB" "VACUUM ANALYZE wes.outputs"
ok $? "a cluster with 16 MB of shared buffers holds the chain" || bail "cluster or load failed"

pages=$(q "$PORT" "$DB" "SELECT (pg_relation_size('wes.outputs') + pg_relation_size('wes.outputs_pkey')) / 8192")
[ "$pages" -gt 4096 ]
ok $? "wes.outputs and its key take $pages pages, twice as many as shared buffers hold (2048)"

# One session, one transaction (its statistics are the transaction's): $CALLS calls of
# every outpoint, each checked against the table read whole
got=$(q "$PORT" "$DB" "BEGIN" \
	"CREATE TEMP TABLE probe AS SELECT array_agg(outpoint ORDER BY random()) AS ops,
		count(*) || ':' || sum(amount) || ':' || count(spent_by) AS expected FROM wes.outputs" \
	"SELECT string_agg((SELECT (SELECT count(*) || ':' || sum(l.amount) || ':' || count(l.spent_by)
		FROM wes_utxo_lookup(p.ops) l) = p.expected FROM probe p WHERE g > 0)::text, ' ' ORDER BY g)
		FROM generate_series(1, $CALLS) g" \
	"SELECT sum(pg_stat_get_xact_blocks_fetched(r) - pg_stat_get_xact_blocks_hit(r))
		FROM unnest('{wes.outputs, wes.outputs_pkey}'::regclass[]) r" \
	"COMMIT")
calls=$(sed -n 1p <<<"$got")
read_in=$(sed -n 2p <<<"$got")
is "$calls" "$(printf 'true%.0s ' $(seq "$CALLS") | sed 's/ $//')" \
	"$CALLS calls of one session find every outpoint, with its amount and spend mark"
[ "${read_in:-0}" -gt "$pages" ]
ok $? "the session read $read_in pages from outside shared buffers, more than the $pages the relations hold: buffers were reused between calls"
