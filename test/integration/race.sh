#!/usr/bin/env bash
# TAP: two writers of the same height (issue: ordered writes under concurrency).
#
# On a throwaway cluster on WES_TEST_PORT+3, with blocks 0..10 of the vectors' chain:
#   1. session A writes block 11 and keeps its transaction open; session B writes
#      block 11 (the same block, then another valid block 11) and must wait on a lock
#      (pg_stat_activity, pg_locks); A commits; B fails with WE001; one block 11.
#   2. A writes block 12 and rolls back while B waits with another block 12: B succeeds.
#   3. Under REPEATABLE READ the waiting writer gets 40001 instead.
# Between cases wes_rollback_to frees the height again.
#   4. Four sessions run wes_write_blocks over the same ten blocks at once, plus one
#      wes_write_block of the first of them: one run wins, every other gets WE001,
#      no deadlock (40P01) anywhere, and the chain holds each height once.
#   5. B writes block 12 on top of A's uncommitted block 11: it waits, and once A commits
#      it sees block 11 (spends and references its outputs; a repeated transaction is
#      WE005, not a unique violation).
#   6. An import of a snapshot in chunks holds the chain-state lock from its begin: a
#      writer of block 0 and a second import wait, and fail with WE001 and WE006 once
#      it commits; the chain goes on from the snapshot.
# Sessions are psql processes fed through named pipes.
set -uo pipefail

source "$(dirname "$0")/lib/common.sh"
cd "$INTEG_ROOT" || exit 1
VECTORS=${WES_VECTORS:-$(cd "$INTEG_ROOT/../shared/vectors" 2>/dev/null && pwd || echo "$INTEG_ROOT/test/vectors")}
PORT=$((WES_TEST_PORT + 3))
DB=wes_race
integ_workdir
W=$INTEG_WORK

# psql on the race database (the cluster's PG* variables are exported)
sq() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

declare -A FD PID
# shellcheck disable=SC2317  # called by the EXIT trap
race_cleanup() {
	local s
	for s in "${!PID[@]}"; do kill "${PID[$s]}" 2>/dev/null; done
	integ_cleanup
}
trap race_cleanup EXIT

# A psql session named $1 that reads statements from a pipe; output in $W/$1.out
session_start() {
	mkfifo "$W/$1.in"
	(
		# the pipes of the other sessions must not stay open in this one
		for f in "${FD[@]}"; do eval "exec $f>&-"; done
		PGAPPNAME=$1 exec psql -X -q -At -d "$DB" <"$W/$1.in" >"$W/$1.out" 2>&1
	) &
	PID[$1]=$!
	exec {fd}>"$W/$1.in"
	FD[$1]=$fd
	echo '\set VERBOSITY verbose' >&"$fd"
}
send() { printf '%s\n' "$2" >&"${FD[$1]}"; }
# Close the session's input and wait for it to exit
session_end() {
	# shellcheck disable=SC1083,SC2086,SC2093  # bash closes the fd that FD[$1] holds
	exec {FD[$1]}>&-
	wait "${PID[$1]}" 2>/dev/null
	unset "PID[$1]" "FD[$1]"
	rm -f "$W/$1.in"
}
# Wait until a query prints 1 (up to 20 s)
wait_for() { wait_sql "$PORT" "$DB" 20 "SELECT ($1) = 1"; }
idle_in_tx() { wait_for "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND state = 'idle in transaction'"; }
# The session is waiting for a lock that is not granted, and is still running its statement
waits_on_lock() {
	wait_for "SELECT count(*) FROM pg_stat_activity a WHERE a.application_name = '$1' AND a.state = 'active'
			  AND a.wait_event_type = 'Lock'
			  AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted)"
}
block() { echo "(SELECT raw FROM race_blocks WHERE name = '$1')"; }
tip() { sq -c "SELECT height || ' ' || hash FROM wes.chain_state"; }
hash_of() { sq -c "SELECT wes_block_hash(raw) FROM race_blocks WHERE name = '$1'"; }

plan 34

integ_cluster DIR race "$PORT" 2>/dev/null || bail "cluster did not start"
psql -X -q -d postgres -c "CREATE DATABASE $DB" >/dev/null || bail "createdb failed"
sq -c 'CREATE EXTENSION wes_persist' || bail "CREATE EXTENSION failed"

# Blocks: the vectors' 0..11; e11 (empty, on block 10); a12 and b12 (empty, on 11, different
# nonces); r13..r22 (empty, on b12).  Empty blocks: both roots H(""), state root unchanged.
sq -v chain="$(cat "$VECTORS/chain.json")" >/dev/null <<'SQL' || bail "building the blocks failed"
\i test/pgtap/lib/blocks.sql
CREATE TABLE race_blocks (name text PRIMARY KEY, raw bytea NOT NULL);
INSERT INTO race_blocks
SELECT 'v' || lpad(b->>'height', 2, '0'), decode(b->>'hex', 'hex') FROM jsonb_array_elements(:'chain'::jsonb->'blocks') b;
CREATE FUNCTION pg_temp.empty_block(h bigint, prev bytea, root bytea, nonce numeric) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.header(h, prev, pg_temp.mth('{}'), pg_temp.mth('{}'), root, 1700000000000 + h * 1000, nonce) || pg_temp.le32(0)
$$;
CREATE TEMP TABLE s AS
SELECT (SELECT decode(b->>'state_root', 'hex') FROM jsonb_array_elements(:'chain'::jsonb->'blocks') b WHERE b->>'height' = '10') AS r10,
	   (SELECT decode(b->>'state_root', 'hex') FROM jsonb_array_elements(:'chain'::jsonb->'blocks') b WHERE b->>'height' = '11') AS r11;
INSERT INTO race_blocks SELECT 'e11', pg_temp.empty_block(11, wes_block_hash(raw)::bytea, r10, 1) FROM race_blocks, s WHERE name = 'v10';
INSERT INTO race_blocks SELECT 'a12', pg_temp.empty_block(12, wes_block_hash(raw)::bytea, r11, 1) FROM race_blocks, s WHERE name = 'v11';
INSERT INTO race_blocks SELECT 'b12', pg_temp.empty_block(12, wes_block_hash(raw)::bytea, r11, 2) FROM race_blocks, s WHERE name = 'v11';
DO $$
DECLARE
	prev bytea := (SELECT raw FROM race_blocks WHERE name = 'b12');
BEGIN
	FOR h IN 13 .. 22 LOOP
		prev := pg_temp.empty_block(h, wes_block_hash(prev)::bytea, (SELECT r11 FROM s), 0);
		INSERT INTO race_blocks VALUES ('r' || h, prev);
	END LOOP;
END
$$;
SELECT count(wes_write_block(raw)) FROM (SELECT raw FROM race_blocks WHERE name BETWEEN 'v00' AND 'v10' ORDER BY name) b;
-- c12 spends an output block 11 creates and references another; d12 repeats a transaction of
-- block 11.  c12's state_root is the one the writer expects after block 11 (asked inside a
-- transaction that is rolled back); what matters below is that it is accepted at all.
CREATE TEMP TABLE b11 AS
SELECT pg_temp.txid(pg_temp.block_item(raw, 'transactions[' || i || ']')) AS txid, i
FROM race_blocks, generate_series(0, 8) i WHERE name = 'v11';
CREATE TEMP TABLE live11 AS
SELECT decode(split_part(o, ':', 1), 'hex') AS txid, split_part(o, ':', 2)::int AS idx
FROM jsonb_array_elements_text(:'chain'::jsonb->'utxos') o
WHERE decode(split_part(o, ':', 1), 'hex') IN (SELECT txid FROM b11) ORDER BY o LIMIT 2;
CREATE TEMP TABLE c12 AS
SELECT pg_temp.block(12, wes_block_hash(v.raw)::bytea,
					 ARRAY[pg_temp.tx(ARRAY[pg_temp.input(a.txid, a.idx), pg_temp.input(b.txid, b.idx, 1)], ARRAY[pg_temp.output()])]) AS raw
FROM race_blocks v, (SELECT * FROM live11 ORDER BY txid, idx LIMIT 1) a, (SELECT * FROM live11 ORDER BY txid DESC, idx DESC LIMIT 1) b
WHERE v.name = 'v11';
INSERT INTO race_blocks
SELECT 'd12', pg_temp.block(12, wes_block_hash(raw)::bytea, ARRAY[pg_temp.block_item(raw, 'transactions[3]')]) FROM race_blocks WHERE name = 'v11';
BEGIN;
SELECT wes_write_block(raw) FROM race_blocks WHERE name = 'v11';
SELECT substring(pg_temp.try_block(raw) from 'Expected ([0-9a-f]{64})') AS c12root FROM c12 \gset
ROLLBACK;
INSERT INTO race_blocks SELECT 'c12', overlay(raw placing decode(:'c12root', 'hex') from 117) FROM c12;
SQL
is "$(tip)" "10 $(hash_of v10)" "blocks 0..10 are written; the race blocks are built"

# ---- 1. A holds block 11; B writes block 11 and waits; A commits; B gets WE001 ----
race_commit() {
	local b_block=$1 what=$2
	session_start A
	send A "BEGIN; SELECT wes_write_block($(block v11));"
	idle_in_tx A
	ok $? "$what: A wrote block 11 and holds its transaction open" || return
	session_start B
	send B "SELECT wes_write_block($(block "$b_block"));"
	waits_on_lock B
	ok $? "$what: B writing block 11 waits on a lock held by A"
	send A "COMMIT;"
	session_end A
	session_end B
	grep -q 'ERROR:  WE001: block height 11 is already written' "$W/B.out"
	ok $? "$what: after A commits, B fails with WE001" || sed 's/^/# B: /' "$W/B.out"
	is "$(tip) $(sq -c 'SELECT count(*) FROM wes.blocks WHERE height = 11')" "11 $(hash_of v11) 1" \
		"$what: the tip is A's block 11, written once"
}
race_commit v11 "the same block 11"
sq -c 'SELECT wes_rollback_to(10)' >/dev/null
is "$(tip)" "10 $(hash_of v10)" "wes_rollback_to(10) frees height 11 again"
race_commit e11 "another valid block 11"

# ---- 2. A rolls back: B, which waited, succeeds ----
session_start A
send A "BEGIN; SELECT wes_write_block($(block a12));"
idle_in_tx A
ok $? "A wrote block 12 (nonce 1) and holds its transaction open"
session_start B
send B "SELECT wes_write_block($(block b12));"
waits_on_lock B
ok $? "B writing another block 12 (nonce 2) waits"
send A "ROLLBACK;"
session_end A
session_end B
grep -q "^$(hash_of b12)\$" "$W/B.out" && ! grep -q ERROR "$W/B.out"
ok $? "after A rolls back, B's block 12 is written and returns its hash" || sed 's/^/# B: /' "$W/B.out"
is "$(tip) $(sq -c 'SELECT count(*) FROM wes.blocks WHERE height = 12')" "12 $(hash_of b12) 1" "the tip is B's block 12"

# ---- 3. REPEATABLE READ: the waiting writer cannot serialize ----
session_start A
send A "BEGIN; SELECT wes_write_block($(block r13));"
idle_in_tx A
session_start B
send B "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1; SELECT wes_write_block($(block r13)); ROLLBACK;"
waits_on_lock B
ok $? "a REPEATABLE READ writer of block 13 waits too"
send A "COMMIT;"
session_end A
session_end B
grep -q 'ERROR:  40001' "$W/B.out"
ok $? "after A commits it fails with 40001 (retry in a new transaction)" || sed 's/^/# B: /' "$W/B.out"
sq -c 'SELECT wes_rollback_to(12)' >/dev/null
is "$(tip)" "12 $(hash_of b12)" "wes_rollback_to(12) frees height 13 again"

# ---- 4. Runs of blocks at once: one wins, no deadlock ----
session_start H
send H "BEGIN; SELECT height FROM wes.chain_state FOR UPDATE;"
idle_in_tx H
run="SELECT wes_write_blocks(ARRAY(SELECT raw FROM race_blocks WHERE name BETWEEN 'r13' AND 'r22' ORDER BY name));"
for s in W1 W2 W3 W4; do
	session_start $s
	send $s "$run"
done
session_start W5
send W5 "SELECT wes_write_block($(block r13));"
all=1
for s in W1 W2 W3 W4 W5; do waits_on_lock $s || all=0; done
[ $all -eq 1 ]
ok $? "five writers (four runs of blocks 13..22, one block 13) all wait behind the chain-state lock"
send H "COMMIT;"
for s in H W1 W2 W3 W4 W5; do session_end $s; done
winners=$(cat "$W"/W[1-4].out | grep -cx 10)
single=$(grep -cx "$(hash_of r13)" "$W/W5.out")
is "$((winners + single))" 1 "exactly one writer wins (a run returns 10, or the single block its hash)"
losers=$(cat "$W"/W[1-5].out | grep -c 'ERROR:  WE001: block height 13 is already written')
is "$losers" 4 "the four others fail with WE001 for height 13"
deadlocks=$(cat "$W"/W[1-5].out "$DIR/server.log" | grep -c '40P01\|deadlock detected')
is "$deadlocks" 0 "no deadlock in any session or in the server log"
expected_tip=$([ "$winners" = 1 ] && echo "22 $(hash_of r22)" || echo "13 $(hash_of r13)")
is "$(tip)" "$expected_tip" "the tip is the winner's last block"
is "$(sq -c 'SELECT count(*) = count(DISTINCT height) AND max(height) + 1 = count(*) FROM wes.blocks')" t \
	"every height from 0 to the tip is written once"

# ---- 5. The next height behind an uncommitted block: B sees A's block once it commits ----
sq -c 'SELECT wes_rollback_to(10)' >/dev/null
race_next() {
	local b_block=$1 what=$2 want=$3
	session_start A
	send A "BEGIN; SELECT wes_write_block($(block v11));"
	idle_in_tx A
	session_start B
	send B "SELECT wes_write_block($(block "$b_block"));"
	waits_on_lock B
	ok $? "$what: B writing block 12 on A's uncommitted block 11 waits"
	send A "COMMIT;"
	session_end A
	session_end B
	grep -q "$want" "$W/B.out"
	ok $? "$what: after A commits, B $4" || sed 's/^/# B: /' "$W/B.out"
}
race_next c12 "spending block 11's outputs" "^$(hash_of c12)\$" "is written (it sees block 11's outputs)"
is "$(tip)" "12 $(hash_of c12)" "the tip is B's block 12"
sq -c 'SELECT wes_rollback_to(10)' >/dev/null
race_next d12 "repeating a transaction of block 11" 'ERROR:  WE005: transaction [0-9a-f]* (transaction 0 of block 12) already exists' \
	"fails with WE005 (it sees block 11's transactions)"
is "$(tip)" "11 $(hash_of v11)" "the tip is A's block 11"

# ---- 6. An import in chunks holds off a genesis writer and a second import ----
sq -c "CREATE TABLE race_file AS SELECT string_agg(c, ''::bytea) AS f FROM wes_snapshot_export() c" \
	-c 'SELECT wes_rollback_to(-1)' >/dev/null
is "$(sq -c 'SELECT count(*) FROM wes.chain_state WHERE height IS NULL')" 1 "the snapshot of block 11 is exported; the chain is empty"
session_start A
send A "BEGIN; SELECT wes_snapshot_import_begin();"
idle_in_tx A
session_start B
send B "SELECT wes_write_block($(block v00));"
session_start C
send C "SELECT height FROM wes_snapshot_import((SELECT f FROM race_file));"
waits_on_lock B && waits_on_lock C
ok $? "while A imports in chunks, a writer of block 0 and a second import wait on a lock"
send A "SELECT wes_snapshot_import_append(f) FROM race_file; SELECT height FROM wes_snapshot_import_finish(); COMMIT;"
for s in A B C; do session_end $s; done
grep -q 'ERROR:  WE001: block height 0 is below the first height this database accepts' "$W/B.out"
ok $? "after A commits, the writer of block 0 fails with WE001" || sed 's/^/# B: /' "$W/B.out"
grep -q 'ERROR:  WE006: a snapshot can be imported only into an empty chain' "$W/C.out"
ok $? "... and the second import with WE006" || sed 's/^/# C: /' "$W/C.out"
is "$(tip) $(sq -c 'SELECT base_height FROM wes.chain_state') $(sq -c "SELECT wes_write_block($(block a12)) IS NOT NULL")" \
	"11 $(hash_of v11) 12 t" "the tip is the snapshot's block 11, and block 12 follows it"

exit $((T_FAILED > 0))
