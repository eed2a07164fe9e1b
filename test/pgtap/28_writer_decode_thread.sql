-- wes_write_blocks decodes and hashes the blocks of a call after the first on a second
-- thread, a few blocks ahead of the one being written (wes_persist.decode_thread, default on;
-- src/codec/decode_ahead.c).  With the thread or without it, a run leaves the same
-- rows, and a run with a bad or missing block fails with the same error, naming the
-- same block of the array, and leaves nothing; the thread ends with the call.
\ir lib/session.sql

BEGIN;
SELECT plan(16);
\ir lib/chain_state_helpers.sql
\ir lib/wes_state.sql
\ir lib/blocks.sql

-- One wes_write_blocks call with the thread on or off, undone: the state digest it
-- leaves, or 'SQLSTATE: message CONTEXT: block N of M in the array'
CREATE FUNCTION pg_temp.run_with(blocks bytea[], thread boolean) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	ctx text;
	result text;
BEGIN
	PERFORM set_config('wes_persist.decode_thread', thread::text, true);
	BEGIN
		PERFORM wes_write_blocks(blocks);
		result := pg_temp.state_digest()::text;
		RAISE SQLSTATE 'XX999';
	EXCEPTION WHEN SQLSTATE 'XX999' THEN
		RETURN result;
	END;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, ctx = PG_EXCEPTION_CONTEXT;
	RETURN SQLSTATE || ': ' || msg || ' CONTEXT: ' || coalesce(substring(ctx from 'block \d+ of \d+ in the array'), '');
END
$$;

-- The vectors' 12 blocks with block i (from 0) replaced by b
CREATE FUNCTION pg_temp.run_replacing(i int, b bytea) RETURNS bytea[] LANGUAGE sql AS $$
	SELECT (pg_temp.vector_blocks(0, 11))[1:i] || ARRAY[b] || (pg_temp.vector_blocks(0, 11))[i + 2:12]
$$;

CREATE TEMP TABLE runs (name text PRIMARY KEY, blocks bytea[]);
INSERT INTO runs VALUES
	('whole', pg_temp.vector_blocks(0, 11)),
	-- block 5 cut short by one byte: rule 1
	('cut', pg_temp.run_replacing(5, (SELECT substr(raw, 1, length(raw) - 1) FROM vblocks WHERE height = 5))),
	-- the first block cut short: the writer decodes the first block itself, while the thread starts
	('cut first', pg_temp.run_replacing(0, (SELECT substr(raw, 1, length(raw) - 1) FROM vblocks WHERE height = 0))),
	-- the second cut short: the first block the thread decodes
	('cut second', pg_temp.run_replacing(1, (SELECT substr(raw, 1, length(raw) - 1) FROM vblocks WHERE height = 1))),
	-- block 5 with one bit of its tx_root (header bytes 52..83) flipped: rule 3, from the thread's roots
	('tx_root', pg_temp.run_replacing(5, (SELECT set_byte(raw, 60, get_byte(raw, 60) # 1) FROM vblocks WHERE height = 5))),
	-- block 3 missing
	('null', pg_temp.run_replacing(3, NULL)),
	-- block 2 cut short and block 6 missing: the first in array order is reported
	('cut then null', (pg_temp.run_replacing(2, (SELECT substr(raw, 1, 100) FROM vblocks WHERE height = 2)))[1:6]
					  || ARRAY[NULL::bytea] || pg_temp.vector_blocks(7, 11));

SELECT is(pg_temp.run_with(pg_temp.vector_blocks(0, 11), true), pg_temp.after(pg_temp.vector_blocks(0, 11), false, 'SELECT pg_temp.state_digest()::text'),
		  'the 12 blocks of the vectors in one call, decoded on the thread, leave what 12 one-block calls leave');
SELECT is(pg_temp.run_with(blocks, true), pg_temp.run_with(blocks, false),
		  format('run "%s": the same rows or the same error with the decode thread as without it', name))
FROM runs ORDER BY name;

SELECT matches(pg_temp.run_with(blocks, true), want, format('run "%s": %s', name, want))
FROM runs JOIN (VALUES
	('cut', '^22P03: invalid block: .+ at byte offset \d+: .+ CONTEXT: block 6 of 12 in the array$'),
	('cut first', '^22P03: invalid block: .+ at byte offset \d+: .+ CONTEXT: block 1 of 12 in the array$'),
	('cut second', '^22P03: invalid block: .+ at byte offset \d+: .+ CONTEXT: block 2 of 12 in the array$'),
	('tx_root', '^WE003: tx_root of block 5 does not match its contents CONTEXT: block 6 of 12 in the array$'),
	('null', '^22004: block 4 of the array is null CONTEXT: block 4 of 12 in the array$'),
	('cut then null', '^22P03: invalid block: .+ CONTEXT: block 3 of 12 in the array$')) w(name, want) USING (name)
ORDER BY name;

SELECT is((SELECT count(*) FROM wes.blocks), 0::bigint, 'the failed runs left no block');
SELECT is((SELECT count(*) FROM pg_ls_dir(format('/proc/%s/task', pg_backend_pid()))), 2::bigint,
		  'after the calls, good and failed, the backend runs its own thread and the LtHash thread only');

SELECT * FROM finish();
ROLLBACK;
