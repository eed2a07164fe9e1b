-- Rule 4 (no transaction id twice in the chain) on a chain that starts from a snapshot.
-- Such a chain holds the UTXO set at the snapshot's height but no transaction before
-- it.  Only a transaction that spends nothing can be written again (one that spends
-- breaks rule 5), and the snapshot file lists the ids of those (docs/snapshot-format.md):
-- the import keeps them in wes.prior_txids, the writer refuses them (WE005), and an
-- export from the new chain lists them again with its own.
\ir lib/session.sql

BEGIN;
SELECT plan(26);
\ir lib/wes_state.sql
\ir lib/blocks.sql

-- Block 0: m and l spend nothing (they mint), one output each.  Block 1: s spends m's
-- output; r references l's and has one output.  Block 2: q spends r's.  Block 3: n
-- mints, u spends l's output; block 4: p spends n's.  m, l, r and n spend nothing.
CREATE TEMP TABLE t AS
SELECT pg_temp.tx('{}', ARRAY[pg_temp.output(amount => 5)], '\x6d') AS m,
	   pg_temp.tx('{}', ARRAY[pg_temp.output(amount => 7)], '\x6c') AS l,
	   pg_temp.tx('{}', ARRAY[pg_temp.output(amount => 9)], '\x6e') AS n;
ALTER TABLE t ADD COLUMN s bytea, ADD COLUMN r bytea, ADD COLUMN q bytea, ADD COLUMN p bytea, ADD COLUMN u bytea;
UPDATE t SET s = pg_temp.tx(ARRAY[pg_temp.input(pg_temp.txid(m), 0)], ARRAY[pg_temp.output(amount => 5)], '\x73'),
			 r = pg_temp.tx(ARRAY[pg_temp.input(pg_temp.txid(l), 0, 1)], ARRAY[pg_temp.output(amount => 3)], '\x72'),
			 p = pg_temp.tx(ARRAY[pg_temp.input(pg_temp.txid(n), 0)], ARRAY[pg_temp.output(amount => 9)], '\x70'),
			 u = pg_temp.tx(ARRAY[pg_temp.input(pg_temp.txid(l), 0)], ARRAY[pg_temp.output(amount => 7)], '\x75');
UPDATE t SET q = pg_temp.tx(ARRAY[pg_temp.input(pg_temp.txid(r), 0)], ARRAY[pg_temp.output(amount => 3)], '\x71');
CREATE TEMP TABLE ids AS SELECT pg_temp.txid(m) AS m, pg_temp.txid(l) AS l, pg_temp.txid(r) AS r, pg_temp.txid(n) AS n FROM t;

-- The next block holding txs, with the state root the writer computes for it; blocks
-- 3 and 4 are kept, to be written again on the chain from the snapshot
CREATE FUNCTION pg_temp.next(txs bytea[]) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.with_writer_state_root(pg_temp.next_block(txs))
$$;
CREATE TEMP TABLE later (height int, b bytea);
CREATE FUNCTION pg_temp.write(txs bytea[], keep boolean DEFAULT false) RETURNS wes_hash LANGUAGE plpgsql AS $$
DECLARE
	blk bytea := pg_temp.next(txs);
BEGIN
	IF keep THEN
		INSERT INTO later SELECT coalesce(max(height), 2) + 1, blk FROM later;
	END IF;
	RETURN wes_write_block(blk);
END $$;
-- A snapshot file's transaction ids: after the header (92 bytes, utxo_count at 84) and
-- the records (48 bytes and the output, its length at 44), txid_count and the ids
CREATE FUNCTION pg_temp.file_txids(f bytea) RETURNS bytea[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	p int := 92;
BEGIN
	FOR i IN 1 .. pg_temp.get32(f, 84) LOOP
		p := p + 48 + pg_temp.get32(f, p + 44)::int;
	END LOOP;
	RETURN ARRAY(SELECT substr(f, p + 8 + 32 * j + 1, 32) FROM generate_series(0, pg_temp.get32(f, p)::int - 1) j ORDER BY j);
END $$;

SELECT is((SELECT count(*) FROM (SELECT pg_temp.write(ARRAY[m, l]) FROM t UNION ALL SELECT pg_temp.write(ARRAY[s, r]) FROM t) w),
		  2::bigint, 'blocks 0 (m, l) and 1 (s spends m''s output, r references l''s) are written');
SELECT lives_ok('SELECT wes_snapshot_create()', 'a snapshot of block 1 is kept');
SELECT is((SELECT count(*) FROM (SELECT pg_temp.write(ARRAY[q]) FROM t) w), 1::bigint, 'block 2: q spends r''s output');
CREATE TEMP TABLE f2 AS SELECT string_agg(c, ''::bytea) AS file FROM wes_snapshot_export() c;
SELECT is((SELECT count(*) FROM (SELECT pg_temp.write(ARRAY[n, u], true) FROM t
								 UNION ALL SELECT pg_temp.write(ARRAY[p], true) FROM t) w),
		  2::bigint, 'blocks 3 (n mints, u spends l''s output) and 4 (p spends n''s) are written');
CREATE TEMP TABLE f4 AS SELECT string_agg(c, ''::bytea) AS file FROM wes_snapshot_export() c;

-- The whole chain refuses each again
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[l])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 0 of block 5\) already exists DETAIL: It was written in the block at height 0\.$',
			   'whole chain: l again is WE005');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[m])) FROM t), '^WE005: ',
			   'whole chain: m again is WE005');

-- wes_verify() finds ids in wes.prior_txids on a chain that holds its whole history
INSERT INTO wes.prior_txids VALUES (pg_temp.zeros(32));
SELECT results_eq($$SELECT height, detail FROM wes_verify() WHERE check_name = 'prior_txids'$$,
				  $$VALUES (NULL::bigint, 'this chain was not started from a snapshot (base_height 0), but wes.prior_txids holds ids: 1')$$,
				  'wes_verify() names ids in wes.prior_txids on a chain not started from a snapshot');
DELETE FROM wes.prior_txids;

-- What the files list: the transactions that spent nothing, whether their outputs are spent or not
SELECT is(pg_temp.file_txids((SELECT file FROM f2)), (SELECT ARRAY(SELECT x FROM unnest(ARRAY[m, l, r]) x ORDER BY x) FROM ids),
		  'the file of block 2 lists m, l and r, in ascending order (s and q spend)');
SELECT is(pg_temp.file_txids((SELECT string_agg(c, ''::bytea) FROM wes_snapshot_export(1) c)),
		  (SELECT ARRAY(SELECT x FROM unnest(ARRAY[m, l, r]) x ORDER BY x) FROM ids),
		  'the file of the snapshot kept at block 1, rebuilt after block 4, lists them too, not n');
SELECT is(pg_temp.file_txids((SELECT file FROM f4)), (SELECT ARRAY(SELECT x FROM unnest(ARRAY[m, l, r, n]) x ORDER BY x) FROM ids),
		  'the file of block 4 lists m, l, r and n');

-- The same chain from the snapshot of block 2
SELECT is(wes_rollback_to(-1), 5::bigint, 'rolled back to the empty chain');
SELECT is((SELECT height FROM wes_snapshot_import((SELECT file FROM f2))), 2::bigint, 'the snapshot of block 2 is imported');
SELECT is((SELECT count(*) FROM wes.transactions), 0::bigint, 'it brings no transaction');
SELECT is((SELECT array_agg(txid::bytea ORDER BY txid) FROM wes.prior_txids), pg_temp.file_txids((SELECT file FROM f2)),
		  'wes.prior_txids holds the file''s ids');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[l])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 0 of block 3\) already exists DETAIL: It was written in the block at height 0\.$',
			   'from the snapshot: l again is WE005 (its output is in the set)');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[m])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 0 of block 3\) already exists DETAIL: It was written below height 3, before the snapshot this chain starts from \(wes\.prior_txids\)\.$',
			   'from the snapshot: m again is WE005 (all its outputs were spent before the snapshot)');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[r])) FROM t), '^WE005: .* before the snapshot this chain starts from',
			   'from the snapshot: r again, which only references, is WE005');
-- Rule 4 before rule 5: a transaction spending nothing that exists, then m
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[
					pg_temp.tx(ARRAY[pg_temp.input(pg_temp.zeros(32), 0)], ARRAY[pg_temp.output()]), m])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 1 of block 3\) already exists',
			   'rule 4 is reported before rule 5: m after a transaction with a missing input is WE005');

-- Blocks 3 and 4 again: the chain from the snapshot exports the file of the whole chain
SELECT is((SELECT count(*) FROM (SELECT wes_write_block(b) FROM later ORDER BY height) w), 2::bigint,
		  'blocks 3 and 4 are written on the chain from the snapshot');
SELECT is((SELECT string_agg(c, ''::bytea) FROM wes_snapshot_export() c), (SELECT file FROM f4),
		  'its file of block 4 is byte for byte the whole chain''s: the imported ids and n');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[l])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 0 of block 5\) already exists DETAIL: It was written in the block at height 0\.$',
			   'l again, its output spent after the snapshot, is WE005 (that output''s row, spend-marked, names it)');
SELECT matches((SELECT pg_temp.try_block(pg_temp.next_block(ARRAY[n])) FROM t),
			   '^WE005: transaction [0-9a-f]{64} \(transaction 0 of block 5\) already exists DETAIL: It was written in the block at height 3\.$',
			   'n again is WE005, found in wes.transactions');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'wes_verify() finds nothing on the chain from the snapshot');
-- wes_verify() finds an id both listed and written (as a writer that skipped the lookup would leave)
INSERT INTO wes.prior_txids SELECT n FROM ids;
SELECT results_eq($$SELECT check_name, height, detail FROM wes_verify() WHERE check_name = 'prior_txids'$$,
				  $$SELECT 'prior_txids'::text, 3::bigint, format('transaction %s is in wes.prior_txids, as written before '
				  'the snapshot this chain starts from, and in the block at height 3', encode(n, 'hex')) FROM ids$$,
				  'wes_verify() names an id of wes.prior_txids that a block holds too');
DELETE FROM wes.prior_txids p USING ids WHERE p.txid::bytea = ids.n;
SELECT is(wes_rollback_to(2), 2::bigint, 'rolled back to the snapshot''s height');
SELECT is((SELECT array_agg(txid::bytea ORDER BY txid) FROM wes.prior_txids), pg_temp.file_txids((SELECT file FROM f2)),
		  'the rollback leaves wes.prior_txids as the import left it');

SELECT * FROM finish();
ROLLBACK;
