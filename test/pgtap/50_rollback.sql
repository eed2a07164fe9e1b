-- wes_rollback_to over the vectors' 12-block chain: back to every height, the
-- state root of that block and the exact table contents written up to it, then
-- the same blocks again give the same contents; the journal's reach (WE006),
-- a different block after a rollback, and a corrupted UTXO row caught by the root check.
\ir lib/session.sql

BEGIN;
SELECT plan(73);
\ir lib/chain_state_helpers.sql

-- Write the chain block by block, keeping the digest of every table after each height
CREATE TEMP TABLE digests (height bigint PRIMARY KEY, d text[]);
INSERT INTO digests VALUES (-1, pg_temp.state_digest());
CREATE FUNCTION pg_temp.load_with_digests() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
	FOR r IN SELECT height, raw FROM vblocks ORDER BY height LOOP
		PERFORM wes_write_block(r.raw);
		INSERT INTO digests VALUES (r.height, pg_temp.state_digest());
	END LOOP;
END $$;
SELECT pg_temp.load_with_digests();

-- Back to h from the tip, then forward again (4 tests per height)
CREATE FUNCTION pg_temp.round_trip(h bigint) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE tip bigint := (SELECT max(height) FROM vblocks);
BEGIN
	RETURN NEXT is(wes_rollback_to(h), tip - h, format('rollback to %s undoes %s blocks', h, tip - h));
	RETURN NEXT is((SELECT state_root::text FROM wes.chain_state),
				   coalesce((SELECT state_root FROM vblocks WHERE height = h), pg_temp.empty_state_root()),
				   format('after rollback to %s the state root is block %s''s', h, h));
	RETURN NEXT is(pg_temp.state_digest(), (SELECT d FROM digests WHERE height = h),
				   format('after rollback to %s every table holds what it held after block %s', h, h));
	PERFORM wes_write_blocks(pg_temp.vector_blocks(h + 1, tip));
	RETURN NEXT is(pg_temp.state_digest(), (SELECT d FROM digests WHERE height = tip),
				   format('blocks %s..%s written again give identical tables', h + 1, tip));
END $$;
SELECT pg_temp.round_trip(h) FROM generate_series(10, -1, -1) h;

SELECT is(wes_rollback_to(11), 0::bigint, 'rollback to the tip undoes nothing');
SELECT is(pg_temp.state_digest(), (SELECT d FROM digests WHERE height = 11), '... and changes nothing');

-- Requests that cannot be served
SELECT throws_ok('SELECT wes_rollback_to(12)', 'WE006', NULL, 'rollback above the tip is WE006');
SELECT throws_ok('SELECT wes_rollback_to(-2)', 'WE006', NULL, 'rollback below the empty chain is WE006');
SELECT throws_ok('SELECT wes_rollback_to(NULL)', '22004', 'wes_rollback_to: height must not be null',
				 'rollback to NULL is 22004 (a height a query did not find is not the tip)');

-- A different block after a rollback: an empty block 10 on top of block 9
SELECT is(wes_rollback_to(9), 2::bigint, 'rollback to 9 undoes 2 blocks');
SELECT isnt(wes_write_block(pg_temp.empty_block_after(9, 42))::text, (SELECT hash FROM vblocks WHERE height = 10),
			'a different block 10 is accepted after the rollback');
SELECT results_eq('SELECT height, state_root::text FROM wes.chain_state',
				  $$SELECT 10::bigint, state_root FROM vblocks WHERE height = 9$$,
				  'the tip is the new block 10, with block 9''s state');
SELECT is(wes_rollback_to(9), 1::bigint, 'the new block comes off again');
SELECT is(wes_write_blocks(pg_temp.vector_blocks(10, 11)), 2::bigint, 'and the original blocks 10 and 11 go back on');
SELECT is(pg_temp.state_digest(), (SELECT d FROM digests WHERE height = 11), '... with identical tables');

-- The journal's reach: journal_depth = 2 keeps blocks 10 and 11 only
SELECT is(wes_rollback_to(8), 3::bigint, 'rollback to 8');
SET LOCAL wes_persist.journal_depth = 2;
SELECT is(wes_write_blocks(pg_temp.vector_blocks(9, 11)), 3::bigint, 'blocks 9..11 written with journal_depth = 2');
SELECT is((SELECT array_agg(height ORDER BY height) FROM wes.journal), '{10,11}'::bigint[],
		  'the journal keeps the last 2 blocks');
SELECT throws_ok('SELECT wes_rollback_to(8)', 'WE006', NULL, 'rollback beyond the journal is WE006');
SELECT is((SELECT height FROM wes.chain_state), 11::bigint, '... and changes nothing');
SELECT is(wes_rollback_to(9), 2::bigint, 'rollback within the journal works');
SELECT is((SELECT state_root::text FROM wes.chain_state), (SELECT state_root FROM vblocks WHERE height = 9),
		  '... to block 9''s state root');
RESET wes_persist.journal_depth;
SELECT is(wes_write_blocks(pg_temp.vector_blocks(10, 11)), 2::bigint, 'blocks 10 and 11 again');

SELECT is((pg_temp.state_digest())[2:6], (SELECT d[2:6] FROM digests WHERE height = 11),
		  '... with identical transactions, inputs, outputs, UTXOs and receipts');

-- A damaged unspent output: the root check refuses to move the tip
UPDATE wes.outputs SET data = data || '\x00'::bytea
WHERE outpoint = (SELECT u.outpoint FROM wes.outputs u WHERE u.height = 11 AND u.spent_height IS NULL ORDER BY u.outpoint LIMIT 1);
SELECT throws_ok('SELECT wes_rollback_to(10)', 'XX001', NULL, 'a rollback whose result misses block 10''s root is refused (XX001)');
SELECT results_eq('SELECT height, state_root::text FROM wes.chain_state',
				  $$SELECT 11::bigint, state_root FROM vblocks WHERE height = 11$$, '... and the tip stays');

UPDATE wes.outputs SET data = substr(data, 1, length(data) - 1)
WHERE outpoint = (SELECT u.outpoint FROM wes.outputs u WHERE u.height = 11 AND u.spent_height IS NULL ORDER BY u.outpoint LIMIT 1);

-- The writer role may roll back (SECURITY DEFINER); nobody else
SET LOCAL ROLE wes_writer;
SELECT is(wes_rollback_to(9), 2::bigint, 'wes_writer rolls back (the row repaired)');
RESET ROLE;
SELECT is((SELECT state_root::text FROM wes.chain_state), (SELECT state_root FROM vblocks WHERE height = 9),
		  '... to block 9''s state root');
SELECT ok(NOT has_function_privilege('wes_reader', 'wes_rollback_to(bigint)', 'EXECUTE')
		  AND NOT has_function_privilege('public', 'wes_rollback_to(bigint)', 'EXECUTE'),
		  'neither wes_reader nor PUBLIC may roll back');

SELECT * FROM finish();
ROLLBACK;
