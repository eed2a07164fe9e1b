#!/usr/bin/env bash
# TAP: batched lookups, wes_utxo_lookup(wes_outpoint[]), while wes-load writes blocks.
#
# The batched walk of outputs_pkey (src/btree_lookup.c) stays on a leaf between keys and
# reaches the next leaf through a level-1 page it read earlier, holding neither locked
# meanwhile.  A writer splits those pages under it: every output a block adds goes in at
# a random place of the key order.  The walk must then move right as nbtree's own scans do,
# and still find every key.  Here a chain's first blocks are loaded, and the outpoints they
# created are looked up again and again, in one call of many thousands of keys, while
# wes-load writes many times as many outputs again.  Every call must find every outpoint
# with its amount.  VACUUM runs on wes.outputs over and over meanwhile: it prunes the pages
# and removes the dead index entries that the writer's own batched lookups of the outputs
# its blocks spend (wes_writer_probe_many) walk, and the load must still end on the
# generator's state root.  Cluster on WES_TEST_PORT+6.
set -uo pipefail

source "$(dirname "$0")/lib/common.sh"
cd "$INTEG_ROOT" || exit 1
PORT=$((WES_TEST_PORT + 6))
DB=wes_lookups
BLOCKS1=${WES_LOOKUP_RACE_BLOCKS1:-20}
BLOCKS2=${WES_LOOKUP_RACE_BLOCKS2:-250}
TXS=${WES_LOOKUP_RACE_TXS:-400}
integ_workdir
W=$INTEG_WORK

plan 8

"$WES_GEN" -q -n "$BLOCKS1" -b "$TXS" --inblock-share 0.1 -s lookups -o "$W/first.blk" --state-out "$W/first.state" &&
	"$WES_GEN" -q -n "$BLOCKS2" -b "$TXS" --inblock-share 0.1 -s lookups-more --state-in "$W/first.state" \
		-o "$W/more.blk" --tip-out "$W/more.tip"
ok $? "wes-gen writes $BLOCKS1 blocks, then $BLOCKS2 more, of $TXS transactions" || bail "wes-gen failed"

integ_cluster DIR lookups "$PORT" &&
	q "$PORT" postgres "CREATE DATABASE $DB" && q "$PORT" "$DB" "CREATE EXTENSION wes_persist" &&
	"$WES_LOAD" -q -d "$(conninfo "$PORT" $DB)" "$W/first.blk"
ok $? "a cluster on port $PORT holds the first $BLOCKS1 blocks" || bail "cluster or first load failed"

# Every outpoint of the first blocks, in one array (in random order), with their count and
# total amount: rows are never deleted and their amounts never change, so every lookup
# must give exactly these, whatever the writer does meanwhile
q "$PORT" "$DB" "CREATE TABLE probe AS SELECT array_agg(outpoint ORDER BY random()) AS ops, count(*) AS n,
	sum(amount) AS total FROM wes.outputs" "ANALYZE probe"
N=$(q "$PORT" "$DB" "SELECT n FROM probe")
TOTAL=$(q "$PORT" "$DB" "SELECT total FROM probe")
PAGES0=$(q "$PORT" "$DB" "SELECT pg_relation_size('wes.outputs_pkey') / 8192")
cat >"$W/lookup.sql" <<'EOS'
SELECT 1 / (count(*) = :n AND sum(l.amount) = :total)::int FROM probe p, wes_utxo_lookup(p.ops) l;
EOS

# ---- the writer, and lookups for as long as it runs ----
"$WES_LOAD" -d "$(conninfo "$PORT" $DB)" --interval 60 "$W/more.blk" >"$W/more.log" 2>&1 &
loader=$!
(
	n=0
	while kill -0 "$loader" 2>/dev/null; do
		q "$PORT" "$DB" "VACUUM wes.outputs" >/dev/null 2>&1 && n=$((n + 1))
		sleep 0.2
	done
	echo "$n" >"$W/vacuums"
) &
vacuumer=$!
calls=0
failed=""
while kill -0 "$loader" 2>/dev/null; do
	out=$("$PGBENCH" -n -c 2 -j 2 -T 3 -D n="$N" -D total="$TOTAL" -f "$W/lookup.sql" "$DB" 2>&1) ||
		{ failed=$out; break; }
	calls=$((calls + $(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")))
done
wait "$loader"
load_rc=$?
wait "$vacuumer"
[ -z "$failed" ]
ok $? "$calls batched lookups of $N outpoints while wes-load wrote: each found every outpoint, with its amount" ||
	grep -E 'ERROR|abort' <<<"$failed" | head -n 5 | sed 's/^/# /'
[ "$calls" -ge 10 ]
ok $? "at least 10 of them ran during the load ($calls)"
vacuums=$(cat "$W/vacuums" 2>/dev/null || echo 0)
[ "$vacuums" -ge 3 ]
ok $? "VACUUM of wes.outputs ran $vacuums times during the load"

got=$(q "$PORT" "$DB" "SELECT height || '|' || hash || '|' || state_root FROM wes.chain_state")
is "$load_rc|$got" "0|$(tip_row "$W/more.tip")" \
	"wes-load ends on the generator's tip and state root" || sed 's/^/# /' "$W/more.log"

PAGES1=$(q "$PORT" "$DB" "SELECT pg_relation_size('wes.outputs_pkey') / 8192")
[ "$PAGES1" -ge $((PAGES0 * 4)) ]
ok $? "outputs_pkey grew from $PAGES0 to $PAGES1 pages under the lookups (pages split under the walk)"

# After the load: the whole key set in one call, against the table read whole
is "$(q "$PORT" "$DB" "SELECT (SELECT count(*) || ':' || sum(l.amount) || ':' || count(l.spent_by)
		FROM wes_utxo_lookup((SELECT array_agg(outpoint) FROM wes.outputs)) l)
	= (SELECT count(*) || ':' || sum(amount) || ':' || count(spent_by) FROM wes.outputs)")" t \
	"every outpoint of the final chain, in one call: every row, amount and spend mark"
