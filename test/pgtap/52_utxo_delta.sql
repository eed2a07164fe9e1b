-- Incremental snapshots: wes_api.utxo_changes (the journal, per block) and
-- wes_api.utxo_delta(from, to) (the net change of the UTXO set between two heights),
-- over the vectors' 12-block chain, against the sets alive at each height as the
-- outputs' created and spent heights give them; the ranges it refuses, the journal's
-- reach, a chain from a snapshot, and who may read them.
\ir lib/session.sql

BEGIN;
SELECT plan(29);
\ir lib/chain_state_helpers.sql

SELECT is(wes_write_blocks(pg_temp.vector_blocks(0, 11)), 12::bigint, 'the vectors'' chain is written');

-- The set alive at the end of every height, -1 (the empty set) to 11
CREATE TEMP TABLE alive AS
SELECT h, o.outpoint::text AS op
FROM generate_series(-1, 11) h JOIN wes_api.outputs o
  ON o.created_height <= h AND (o.spent_height IS NULL OR o.spent_height > h);
CREATE TEMP TABLE pairs AS SELECT a, b FROM generate_series(-1, 11) a, generate_series(-1, 11) b WHERE a <= b;
-- The set at a, with the delta from a to b applied (remove, then add), in outpoint order
CREATE FUNCTION pg_temp.applied(a int, b int) RETURNS text[] LANGUAGE sql STABLE AS $$
	SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM (
		(SELECT op FROM alive WHERE h = a
		 EXCEPT ALL SELECT d.outpoint::text FROM wes_api.utxo_delta(a, b) d WHERE d.change = 'removed')
		UNION ALL SELECT d.outpoint::text FROM wes_api.utxo_delta(a, b) d WHERE d.change = 'added') s(x)
$$;
CREATE FUNCTION pg_temp.alive_at(b int) RETURNS text[] LANGUAGE sql STABLE AS $$
	SELECT coalesce(array_agg(op ORDER BY op), '{}') FROM alive WHERE h = b
$$;

SELECT cmp_ok((SELECT count(*) FROM alive a JOIN alive b ON b.op = a.op AND b.h = 11 WHERE a.h = 5), '<',
			  (SELECT count(*) FROM alive WHERE h = 5), 'the history spends outputs: the set at 5 is not inside the set at 11');
SELECT is((SELECT count(*) FROM pairs WHERE pg_temp.applied(a, b) <> pg_temp.alive_at(b)), 0::bigint,
		  'for each of the 91 pairs of heights a <= b from -1 to 11, the set at a with the delta applied is the set at b');
SELECT is((SELECT count(*) FROM pairs p, wes_api.utxo_delta(p.a, p.b) d
		   WHERE d.change = 'removed' AND d.outpoint::text NOT IN (SELECT op FROM alive WHERE h = p.a)), 0::bigint,
		  'every outpoint a delta removes is in the set at its start');
SELECT is((SELECT count(*) FROM pairs p, wes_api.utxo_delta(p.a, p.b) d
		   WHERE d.change = 'added' AND d.outpoint::text IN (SELECT op FROM alive WHERE h = p.a)), 0::bigint,
		  '... and none it adds');
SELECT is((SELECT count(*) FROM pairs p, wes_api.utxo_delta(p.a, p.b) d
		   WHERE d.outpoint::text NOT IN (SELECT op FROM alive WHERE h = p.a) AND d.outpoint::text NOT IN (SELECT op FROM alive WHERE h = p.b)), 0::bigint,
		  'an output created and spent inside the range is in neither part');
SELECT set_eq($$SELECT outpoint::text, kind, owner::text, amount, ref::text, lock, data, created_height FROM wes_api.utxo_delta(-1, 11)$$,
			  $$SELECT outpoint::text, kind, owner::text, amount, ref::text, lock, data, created_height FROM wes_api.utxos$$,
			  'the delta from the empty set to the tip adds the UTXO set, each output with its columns');
SELECT set_eq($$SELECT outpoint::text FROM wes_api.utxo_delta(-1, 11)$$, $$SELECT jsonb_array_elements_text(j->'utxos') FROM v$$,
			  '... which is the vectors'' UTXO set');
SELECT is((SELECT count(*) FROM wes_api.utxo_delta(7, 7)), 0::bigint, 'from a height to itself, nothing changes');

-- The journal as a view: per block, against the outputs' created and spent heights
SELECT set_eq($$SELECT height, change, outpoint::text FROM wes_api.utxo_changes$$,
			  $$SELECT created_height, 'added', outpoint::text FROM wes_api.outputs
				WHERE spent_height IS NULL OR spent_height > created_height
				UNION ALL
				SELECT spent_height, 'removed', outpoint::text FROM wes_api.outputs
				WHERE spent_height > created_height$$,
			  'wes_api.utxo_changes: what each block added (not spent in it) and removed (older outputs)');

-- Ranges that are not served
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(9, 3)', '22023',
				 'a UTXO delta goes from a height of -1 or more to one at least as high (given 9 to 3)',
				 'a range that runs backwards is 22023');
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(-2, 3)', '22023', NULL, '... and one from below -1');
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(3, NULL)', '22004', 'a UTXO delta needs both heights (given 3 to NULL)',
				 'a NULL height is 22004, not an empty delta');
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(NULL, 3)', '22004', 'a UTXO delta needs both heights (given NULL to 3)',
				 '... at either end');
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(3, 12)', 'WE006', 'the state at height 12 is not known here: the tip is at 11',
				 'a range past the tip is WE006');

-- The journal's reach: with journal_depth 4, blocks 8..11 keep theirs
SAVEPOINT depth;
SELECT is(wes_rollback_to(-1), 12::bigint, 'rolled back to the empty chain');
SET LOCAL wes_persist.journal_depth = 4;
SELECT is(wes_write_blocks(pg_temp.vector_blocks(0, 11)), 12::bigint, 'written again with wes_persist.journal_depth 4');
SELECT is((SELECT min(height) FROM wes_api.utxo_changes), 8::bigint, 'the journal keeps blocks 8..11');
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(6, 11)', 'WE006', 'no UTXO delta from height 6: the journal starts at height 8',
				 'with wes_persist.journal_depth 4, a delta from 6 is beyond the journal (WE006)');
SELECT is((SELECT count(*) FROM pairs WHERE a >= 7 AND pg_temp.applied(a, b) <> pg_temp.alive_at(b)), 0::bigint,
		  '... and every delta from 7 on is served, and right');
ROLLBACK TO SAVEPOINT depth;

-- A chain from a snapshot at 6 holds no state before it
SAVEPOINT from_snapshot;
SELECT is(wes_rollback_to(6), 5::bigint, 'rolled back to block 6');
CREATE TEMP TABLE file6 AS SELECT string_agg(c, ''::bytea) AS f FROM wes_snapshot_export() c;
SELECT is(wes_rollback_to(-1), 7::bigint, '... exported, and rolled back to the empty chain');
SELECT is((SELECT height FROM wes_snapshot_import((SELECT f FROM file6))), 6::bigint, 'the snapshot of block 6 is imported');
SELECT is(wes_write_blocks(pg_temp.vector_blocks(7, 11)), 5::bigint, '... and blocks 7..11 written on it');
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(5, 11)', 'WE006',
				 'the state at height 5 is not held here: this chain starts from a snapshot at height 6',
				 'on a chain from a snapshot at 6, a delta from 5 is WE006');
SELECT is((SELECT count(*) FROM pairs WHERE a >= 6 AND pg_temp.applied(a, b) <> pg_temp.alive_at(b)), 0::bigint,
		  '... and every delta from 6 on is the whole chain''s');
ROLLBACK TO SAVEPOINT from_snapshot;

-- wes_reader reads both; a role without it neither
SET LOCAL ROLE wes_reader;
SELECT is((SELECT count(*) FROM wes_api.utxo_delta(-1, 11)), (SELECT count(*) FROM wes_api.utxos), 'wes_reader calls wes_api.utxo_delta');
SELECT ok((SELECT count(*) FROM wes_api.utxo_changes) > 0, '... and reads wes_api.utxo_changes');
RESET ROLE;
CREATE ROLE wes_test_no_reader;
SET LOCAL ROLE wes_test_no_reader;
SELECT throws_ok('SELECT * FROM wes_api.utxo_delta(-1, 11)', '42501', NULL, 'a role without wes_reader may not call it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
