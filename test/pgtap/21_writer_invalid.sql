-- Every case of the vectors' invalid.json, on top of the vectors' 12-block chain:
-- each raises its SQLSTATE with a message that names what is wrong, and leaves the
-- tip, the state root and the row count of every wes table as they were.
\ir lib/session.sql

BEGIN;
SELECT plan(44);
\ir lib/wes_state.sql

\set chain `cat $WES_VECTORS/chain.json`
\set invalid `cat $WES_VECTORS/invalid.json`
CREATE TEMP TABLE v AS SELECT :'chain'::jsonb AS chain, :'invalid'::jsonb AS invalid;
CREATE TEMP TABLE cases AS
SELECT n, c->>'why' AS why, c->>'sqlstate' AS sqlstate, decode(c->>'hex', 'hex') AS raw
FROM v, jsonb_array_elements(invalid->'cases') WITH ORDINALITY AS x(c, n);

SELECT is((SELECT count(*) FROM pg_temp.vector_blocks((SELECT chain FROM v)) b
		   WHERE wes_write_block(b.raw)::text = b.hash), 12::bigint,
		  'the vectors'' 12 blocks are written');
SELECT is((SELECT height FROM wes.chain_state), (SELECT (invalid->>'tip_height')::bigint FROM v),
		  'the tip is the height invalid.json expects');
CREATE TEMP TABLE before AS SELECT pg_temp.wes_state() AS s;

-- What the message of each SQLSTATE must name
CREATE FUNCTION pg_temp.expected_message(c cases) RETURNS text LANGUAGE sql AS $$
	SELECT CASE c.sqlstate
		WHEN '22P03' THEN '^22P03: invalid block: [a-z_.\[\]0-9 ]+ at byte offset [0-9]+: '
		WHEN 'WE001' THEN '^WE001: block height [0-9]+ .* DETAIL: The next block must have height 12\.'
		WHEN 'WE002' THEN '^WE002: prev_hash of block 12 .*' || (SELECT chain#>>'{tip,hash}' FROM v)
		WHEN 'WE003' THEN '^WE003: ' || split_part(c.why, ' ', 1) || ' of block 12 does not match'
		WHEN 'WE004' THEN '^WE004: input [0-9]+ of transaction [0-9]+ in block 12 spends outpoint [0-9a-f]{64}:[0-9]+, which '
						  || CASE WHEN c.why LIKE '%already spent%' THEN 'is already spent' ELSE 'does not exist' END
	END
$$;

CREATE FUNCTION pg_temp.run_cases() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	c cases;
	stmt text;
BEGIN
	FOR c IN SELECT * FROM cases ORDER BY n LOOP
		stmt := format('SELECT wes_write_block(%L::bytea)', c.raw);
		RETURN NEXT throws_ok(stmt, c.sqlstate, NULL, format('%s: %s', c.why, c.sqlstate));
		RETURN NEXT matches(pg_temp.error_of(stmt), pg_temp.expected_message(c),
							format('%s: the message names what is wrong', c.why));
		RETURN NEXT is(pg_temp.wes_state(), (SELECT s FROM before),
					   format('%s: tip, state root and row counts unchanged', c.why));
	END LOOP;
END
$$;
SELECT * FROM pg_temp.run_cases();

SELECT is((SELECT count(*) FROM cases), 10::bigint, 'invalid.json has the 10 cases this file plans for');

-- A run of blocks is all or nothing: a valid block 12 (empty: its roots are H("") and
-- the tip's state root) followed by a rejected block leaves nothing behind
CREATE TEMP TABLE empty12 AS
SELECT '\x01000000'::bytea || '\x0c00000000000000'::bytea || '\x0000000000000000'::bytea
	   || hash::bytea
	   || decode('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8', 'hex')
	   || decode('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8', 'hex')
	   || state_root::bytea || '\x0000000000000000'::bytea || '\x00000000'::bytea AS raw
FROM wes.chain_state;
SELECT throws_ok(format('SELECT wes_write_blocks(ARRAY[%L::bytea, %L::bytea])',
						(SELECT raw FROM empty12), (SELECT raw FROM cases WHERE why = 'truncated header')),
				 '22P03', NULL, 'wes_write_blocks: a valid block then a truncated one fails');
SELECT is(pg_temp.wes_state(), (SELECT s FROM before), 'wes_write_blocks: the valid block of the failed run is not written');

-- The array position of a rejected block is in the error's context; a NULL element is refused
CREATE FUNCTION pg_temp.context_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	ctx text;
BEGIN
	EXECUTE stmt;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
	RETURN ctx;
END
$$;
SELECT matches(pg_temp.context_of(format('SELECT wes_write_blocks(ARRAY[%L::bytea, %L::bytea])',
										 (SELECT raw FROM empty12), (SELECT raw FROM cases WHERE why = 'height gap'))),
			   'block 2 of 2 in the array', 'wes_write_blocks: the error''s context names the array element');
SELECT throws_ok(format('SELECT wes_write_blocks(ARRAY[%L::bytea, NULL])', (SELECT raw FROM empty12)),
				 '22004', 'block 2 of the array is null', 'wes_write_blocks: a NULL element is 22004');
-- A NULL argument is refused, not taken for nothing to do (STRICT returned NULL)
SELECT throws_ok('SELECT wes_write_block(NULL::bytea)', '22004', 'wes_write_block: block must not be null',
				 'wes_write_block(NULL) is 22004');
SELECT throws_ok('SELECT wes_write_block(NULL::jsonb)', '22004', 'wes_write_block: block must not be null',
				 'wes_write_block(NULL::jsonb) is 22004');
SELECT throws_ok('SELECT wes_write_blocks(NULL)', '22004', 'wes_write_blocks: blocks must not be null',
				 'wes_write_blocks(NULL) is 22004');
SELECT is(pg_temp.wes_state(), (SELECT s FROM before), 'nothing of the refused runs was written');

-- The rejections left nothing behind that stops the next valid block, written as wes_writer
SELECT raw AS empty12 FROM empty12 \gset
SET LOCAL ROLE wes_reader;
SELECT throws_ok(format('SELECT wes_write_block(%L::bytea)', :'empty12'), '42501', NULL,
				 'wes_reader may not call wes_write_block');
RESET ROLE;
SET LOCAL ROLE wes_writer;
SELECT lives_ok(format('SELECT wes_write_block(%L::bytea)', :'empty12'),
				'after every rejection, a valid block 12 is accepted from wes_writer');
RESET ROLE;
SELECT is((SELECT height FROM wes.chain_state), 12::bigint, 'the tip moves to 12');

SELECT * FROM finish();
ROLLBACK;
