-- Rule 4 (no transaction id twice in the chain) on a chain that starts from a snapshot.
-- Such a chain holds the UTXO set at the snapshot's height but no transaction before
-- it.  A transaction from before the snapshot, written again, is refused (WE005) when
-- one of its outputs is in that set, as on the whole chain.  When none is (all were
-- spent before the snapshot), nothing here knows its id: the block is accepted where
-- the whole chain refuses it.  Only a transaction that spends nothing can be written
-- again at all (docs/snapshot-format.md); this pins where that boundary lies.
\ir lib/session.sql

BEGIN;
SELECT plan(8);
\ir lib/wes_state.sql
\ir lib/blocks.sql

-- Block 0: m and l spend nothing (they mint), each with one output; block 1: s spends m's.
-- After block 1, l's output is unspent and m's is spent.
CREATE TEMP TABLE t AS
SELECT pg_temp.tx('{}', ARRAY[pg_temp.output(amount => 5)], '\x6d') AS m,
	   pg_temp.tx('{}', ARRAY[pg_temp.output(amount => 7)], '\x6c') AS l;
ALTER TABLE t ADD COLUMN s bytea;
UPDATE t SET s = pg_temp.tx(ARRAY[pg_temp.input(pg_temp.txid(m), 0)], ARRAY[pg_temp.output(amount => 5)], '\x73');
-- The next block holding txs, with the state root the writer computes for it
CREATE FUNCTION pg_temp.next(txs bytea[]) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.with_writer_state_root(pg_temp.next_block(txs))
$$;

SELECT is((SELECT count(*) FROM (SELECT wes_write_block(pg_temp.next(ARRAY[m, l])) FROM t
								 UNION ALL SELECT wes_write_block(pg_temp.next(ARRAY[s])) FROM t) w), 2::bigint,
		  'blocks 0 (m, l) and 1 (s spends m''s output) are written');

-- The whole chain refuses either again
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[l])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 0 of block 2\) already exists DETAIL: It was written in the block at height 0\.$',
			   'whole chain: l again in block 2 is WE005');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[m])) FROM t), '^WE005: ',
			   'whole chain: m again in block 2 is WE005');

-- The same chain from the snapshot of block 1
CREATE TEMP TABLE f AS SELECT string_agg(c, ''::bytea) AS file FROM wes_snapshot_export() c;
SELECT is(wes_rollback_to(-1), 2::bigint, 'rolled back to the empty chain');
SELECT is((SELECT height FROM wes_snapshot_import((SELECT file FROM f))), 1::bigint, 'the snapshot of block 1 is imported');
SELECT is((SELECT count(*) FROM wes.transactions), 0::bigint, 'it brings no transaction, only the UTXO set');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[l])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 0 of block 2\) already exists DETAIL: It was written in the block at height 0\.$',
			   'from the snapshot: l again is still WE005 (its output is in the set)');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next(ARRAY[m])) FROM t), '^ok [0-9a-f]{64}$',
			   'from the snapshot: m again is accepted (all its outputs were spent before the snapshot)');

SELECT * FROM finish();
ROLLBACK;
