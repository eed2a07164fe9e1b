-- A block's writes belong to the caller's transaction, subtransactions included: a
-- savepoint rolled back over a successful write takes all of it back and the same blocks
-- can then be written again in the same transaction; a PL/pgSQL exception block that
-- catches a refused block undoes what it wrote before the refusal and nothing else; and
-- blocks can be written by one statement over a table of them, or through a cursor.
-- The writer keeps nothing of the chain in the backend between calls, so each call
-- starts from what the transaction sees.
\ir lib/session.sql

BEGIN;
SELECT plan(18);
CREATE EXTENSION IF NOT EXISTS amcheck;

\ir lib/vector_file.sql

-- What any write leaves at height h, summed over every table that has a height
CREATE FUNCTION pg_temp.rows_at(h bigint) RETURNS bigint LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM wes.blocks WHERE height = h)
		 + (SELECT count(*) FROM wes.transactions WHERE block_height = h)
		 + (SELECT count(*) FROM wes.inputs WHERE height = h)
		 + (SELECT count(*) FROM wes.outputs WHERE height = h)
		 + (SELECT count(*) FROM wes.outputs WHERE spent_height = h)
		 + (SELECT count(*) FROM wes.journal WHERE height = h)
$$;
-- The chain state agrees with block h: height, hash and state root
CREATE FUNCTION pg_temp.at_block(h bigint) RETURNS boolean LANGUAGE sql AS $$
	SELECT s.height = b.height AND s.hash = b.hash AND s.state_root = b.state_root
	FROM wes.chain_state s, wes.blocks b WHERE b.height = h
$$;

SELECT is(wes_write_blocks(ARRAY(SELECT raw FROM vblocks WHERE height < 3 ORDER BY height)), 3::bigint,
		  'blocks 0-2 in one call');

-- A savepoint rolled back over one block's write, then over a run of blocks
SAVEPOINT one;
SELECT is((SELECT wes_write_block(raw)::text FROM vblocks WHERE height = 3),
		  (SELECT hash FROM vblocks WHERE height = 3),
		  'block 3 is written after a savepoint');
SELECT cmp_ok((SELECT count(*) FROM wes.outputs WHERE spent_height = 3), '>', 0::bigint,
			  'it spends outputs of earlier blocks (their spend marks are set)');
ROLLBACK TO SAVEPOINT one;
SELECT ok(pg_temp.at_block(2), 'rolled back to the savepoint: the chain state is block 2''s again');
SELECT is(pg_temp.rows_at(3), 0::bigint, 'and no row of block 3 is left, spend marks included');
SELECT is((SELECT wes_write_block(raw)::text FROM vblocks WHERE height = 3),
		  (SELECT hash FROM vblocks WHERE height = 3),
		  'the same block is written again in the same transaction');
SAVEPOINT run;
SELECT is(wes_write_blocks(ARRAY(SELECT raw FROM vblocks WHERE height BETWEEN 4 AND 6 ORDER BY height)), 3::bigint,
		  'blocks 4-6 in one call after a savepoint');
ROLLBACK TO SAVEPOINT run;
SELECT ok(pg_temp.at_block(3) AND pg_temp.rows_at(4) + pg_temp.rows_at(5) + pg_temp.rows_at(6) = 0,
		  'rolled back: block 3 is the tip and nothing of blocks 4-6 is left');
SELECT is(wes_write_blocks(ARRAY(SELECT raw FROM vblocks WHERE height BETWEEN 4 AND 6 ORDER BY height)), 3::bigint,
		  'the same call then writes blocks 4-6');
SELECT ok(pg_temp.at_block(6), 'and the chain state is block 6''s');

-- An exception block: a good block, then a refused one; the handler undoes both
CREATE TEMP TABLE caught (sqlstate text);
DO $$
BEGIN
	BEGIN
		PERFORM wes_write_block(raw) FROM vblocks WHERE height = 7;
		PERFORM wes_write_block(raw) FROM vblocks WHERE height = 9;
	EXCEPTION WHEN OTHERS THEN
		INSERT INTO caught VALUES (SQLSTATE);
	END;
END $$;
SELECT is((SELECT string_agg(sqlstate, ',') FROM caught), 'WE001', 'the handler catches the gap at block 9 (WE001)');
SELECT ok(pg_temp.at_block(6) AND pg_temp.rows_at(7) = 0,
		  'and block 7, written in the same subtransaction, is undone with it');
DO $$
BEGIN
	PERFORM wes_write_block(raw) FROM vblocks WHERE height = 7;
	BEGIN
		PERFORM wes_write_block(raw) FROM vblocks WHERE height = 9;
	EXCEPTION WHEN SQLSTATE 'WE001' THEN
		NULL;
	END;
	PERFORM wes_write_block(raw) FROM vblocks WHERE height = 8;
END $$;
SELECT ok(pg_temp.at_block(8), 'a refused block caught in its own subtransaction leaves the blocks around it: tip 8');

-- One statement over a table of blocks, in height order; then a cursor
SELECT is((SELECT count(wes_write_block(raw)) FROM (SELECT raw FROM vblocks WHERE height IN (9, 10) ORDER BY height) s),
		  2::bigint, 'one SELECT writes blocks 9 and 10, a call a row');
SELECT ok(pg_temp.at_block(10), 'and the chain state is block 10''s');
DECLARE c CURSOR FOR SELECT height, wes_write_block(raw) FROM vblocks WHERE height >= 11 ORDER BY height;
-- MOVE runs the cursor's query for the row it skips
MOVE FORWARD 1 IN c;
CLOSE c;
SELECT results_eq(
	'SELECT height, hash::text, state_root::text FROM wes.chain_state',
	$$SELECT (j#>>'{tip,height}')::bigint, j#>>'{tip,hash}', j#>>'{tip,state_root}' FROM v$$,
	'a cursor that writes block 11 reaches the vectors'' tip and state root');
SELECT set_eq('SELECT outpoint::text FROM wes_api.utxos',
			  $$SELECT jsonb_array_elements_text(j->'utxos') FROM v$$,
			  'the UTXO set is the vectors'' utxos');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'wes_verify() finds nothing');

SELECT * FROM finish();
ROLLBACK;
