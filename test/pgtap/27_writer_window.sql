-- wes_write_blocks holds the outputs of a run of blocks back until the call ends
-- (src/writer_window.c): an output a later block of the run spends goes into
-- wes.outputs once, with its spend mark.  Every table must end up holding the
-- same rows as when the blocks are written one call each; a later block of the
-- run that spends or references an output spent earlier in the run is reported
-- as wes_write_block reports one spent by a stored block; a rejected run leaves
-- nothing.
\ir lib/session.sql

BEGIN;
SELECT plan(20);
\ir lib/chain_state_helpers.sql
\ir lib/wes_state.sql
\ir lib/blocks.sql

-- One wes_write_blocks call, undone: NULL or 'SQLSTATE: message DETAIL: detail' (error_of)
CREATE FUNCTION pg_temp.try_run(blocks bytea[]) RETURNS text
LANGUAGE sql RETURN pg_temp.error_of(format('SELECT wes_write_blocks(%L::bytea[])', blocks));

SELECT is(pg_temp.after(pg_temp.vector_blocks(0, 11), true, 'SELECT pg_temp.state_digest()::text'),
		  pg_temp.after(pg_temp.vector_blocks(0, 11), false, 'SELECT pg_temp.state_digest()::text'),
		  'the 12 blocks of the vectors in one call leave every table as 12 calls do (rows, spend marks, journal, tip)');

-- A window smaller than the run: written out after the block that fills it, mid-run
CREATE TEMP TABLE n_out AS
SELECT pg_temp.after(pg_temp.vector_blocks(0, 11), true, 'SELECT count(*) FROM wes.outputs')::int AS n;
DO $$BEGIN PERFORM set_config('wes_persist.write_window', (SELECT (n / 3)::text FROM n_out), true); END$$;
SELECT is(pg_temp.after(pg_temp.vector_blocks(0, 11), true, 'SELECT pg_temp.state_digest()::text'),
		  pg_temp.after(pg_temp.vector_blocks(0, 11), false, 'SELECT pg_temp.state_digest()::text'),
		  'with a third of the outputs as write_window (written out twice or more), the same rows');

-- write_window = 0: no window, the marks are updates
SET LOCAL wes_persist.write_window = 0;
CREATE TEMP TABLE upd_off AS SELECT pg_stat_get_xact_tuples_updated('wes.outputs'::regclass) AS n;
SELECT cmp_ok(pg_temp.after(pg_temp.vector_blocks(0, 11), true,
							$$SELECT pg_stat_get_xact_tuples_updated('wes.outputs'::regclass)$$)::bigint - (SELECT n FROM upd_off),
			  '>', 0::bigint, 'with write_window = 0, the call sets marks on stored rows');
SELECT is(pg_temp.after(pg_temp.vector_blocks(0, 11), true, 'SELECT pg_temp.state_digest()::text'),
		  pg_temp.after(pg_temp.vector_blocks(0, 11), false, 'SELECT pg_temp.state_digest()::text'),
		  'and leaves the same rows');
RESET wes_persist.write_window;

-- wes_persist.lthash_thread = off: the state commitment computed in the backend itself
CREATE TEMP TABLE digest_on AS
SELECT pg_temp.after(pg_temp.vector_blocks(0, 11), true, 'SELECT pg_temp.state_digest()::text') AS d;
SELECT is((SELECT count(*) FROM pg_ls_dir(format('/proc/%s/task', pg_backend_pid()))), 2::bigint,
		  'a backend that has written blocks runs the LtHash thread beside its own');
SET LOCAL wes_persist.lthash_thread = off;
SELECT is(pg_temp.after(pg_temp.vector_blocks(0, 11), true, 'SELECT pg_temp.state_digest()::text'),
		  (SELECT d FROM digest_on),
		  'with lthash_thread off, the same rows and the same state root and accumulator');
RESET wes_persist.lthash_thread;

-- A spend of the vectors whose output an earlier block made: both inside the run
CREATE TEMP TABLE s AS
SELECT split_part(x, ' ', 1) AS op, split_part(x, ' ', 2) AS by, split_part(x, ' ', 3)::int AS h,
	   split_part(x, ' ', 4)::int AS created
FROM pg_temp.after(pg_temp.vector_blocks(0, 11), false,
	$$SELECT o.outpoint::text || ' ' || i.txid::text || ' ' || i.height || ' ' || o.height
	  FROM wes.inputs i JOIN wes.outputs o ON o.outpoint = i.outpoint
	  WHERE NOT i.reference AND o.height < i.height ORDER BY i.height, i.tx_index LIMIT 1$$) x;
SELECT cmp_ok((SELECT h - created FROM s), '>', 0, 'the vectors spend an output of an earlier block');

-- Block 12 on top of the vectors' tip, spending or referencing that output again
CREATE TEMP TABLE bad AS
SELECT pg_temp.block(12, decode(j#>>'{tip,hash}', 'hex'),
					 ARRAY[pg_temp.tx(ARRAY[pg_temp.input(decode(split_part(op, ':', 1), 'hex'), split_part(op, ':', 2)::bigint, 0)],
									  ARRAY[pg_temp.output()], '\x01')]) AS spend,
	   pg_temp.block(12, decode(j#>>'{tip,hash}', 'hex'),
					 ARRAY[pg_temp.tx(ARRAY[pg_temp.input(decode(split_part(op, ':', 1), 'hex'), split_part(op, ':', 2)::bigint, 1)],
									  ARRAY[pg_temp.output()], '\x02')]) AS ref
FROM v, s;

SELECT matches(pg_temp.try_run(pg_temp.vector_blocks(0, 11) || (SELECT spend FROM bad)),
			   format('^WE004: input 0 of transaction 0 in block 12 spends outpoint %s, which is already spent DETAIL: Transaction %s spent it in the block at height %s\.$',
					  op, by, h),
			   'a later block of the run spending an output an earlier block of the run spent: WE004 naming the spender and its height')
FROM s;
SELECT matches(pg_temp.try_run(pg_temp.vector_blocks(0, 11) || (SELECT ref FROM bad)),
			   format('^WE004: input 0 of transaction 0 in block 12 references outpoint %s, which is already spent DETAIL: Transaction %s spent it in the block at height %s\.$',
					  op, by, h),
			   'and referencing it: the same')
FROM s;
-- The same block on its own after the 12 stored blocks says the same (the message does not depend on the window)
SELECT is(pg_temp.after(pg_temp.vector_blocks(0, 11), false,
						format('SELECT pg_temp.try_block(%L)', (SELECT spend FROM bad))),
		  pg_temp.try_run(pg_temp.vector_blocks(0, 11) || (SELECT spend FROM bad)),
		  'which is what wes_write_block says when the spend is stored');

-- A transaction of an earlier block of the run written again (its outputs held in the
-- window): rule 4, WE005 naming the block that has it, as one call per block says; also
-- when its state root is wrong too (rule 4 comes before rule 6)
CREATE TEMP TABLE rep AS SELECT pg_temp.tx(ARRAY[]::bytea[], ARRAY[pg_temp.output()], '\x07'::bytea) AS t0;
ALTER TABLE rep ADD g bytea, ADD b1 bytea, ADD b1_root bytea;
UPDATE rep SET g = pg_temp.with_writer_state_root(pg_temp.block(0, pg_temp.zeros(32), ARRAY[t0]));
UPDATE rep SET b1 = pg_temp.block(1, wes_block_hash(g)::bytea, ARRAY[t0]),
			   b1_root = pg_temp.block(1, wes_block_hash(g)::bytea, ARRAY[t0], NULL, decode(repeat('ab', 32), 'hex'));
SELECT matches(pg_temp.try_run(ARRAY[g, b1]),
			   format('^WE005: transaction %s \(transaction 0 of block 1\) already exists DETAIL: It was written in the block at height 0\.$',
					  encode(pg_temp.txid(t0), 'hex')),
			   'a run whose second block repeats a transaction of its first: WE005 naming the first')
FROM rep;
SELECT is(pg_temp.try_run(ARRAY[g, b1_root]), pg_temp.try_run(ARRAY[g, b1]),
		  'and the same when that block''s state root is wrong as well') FROM rep;
SELECT is(pg_temp.after(ARRAY[g], false, format('SELECT pg_temp.try_block(%L)', b1)), pg_temp.try_run(ARRAY[g, b1]),
		  'which is what wes_write_block says with the first block stored') FROM rep;

-- A rejected run leaves nothing: not a held row, not a stored one
SAVEPOINT rejected;
SELECT throws_ok(format('SELECT wes_write_blocks(%L::bytea[])', pg_temp.vector_blocks(0, 11) || (SELECT spend FROM bad)),
				 'WE004', NULL, 'the run with the bad block fails');
ROLLBACK TO SAVEPOINT rejected;
SELECT is((SELECT count(*) FROM wes.outputs) + (SELECT count(*) FROM wes.blocks), 0::bigint,
		  'and left no row of any block of it');

-- The run for real: no output row is updated, the marks go in with the rows (the
-- counter also counts what the undone writes above updated)
CREATE TEMP TABLE upd0 AS SELECT pg_stat_get_xact_tuples_updated('wes.outputs'::regclass) AS n;
SELECT is(wes_write_blocks(pg_temp.vector_blocks(0, 11)), 12::bigint, 'the 12 blocks in one call');
SELECT is(pg_stat_get_xact_tuples_updated('wes.outputs'::regclass) - (SELECT n FROM upd0), 0::bigint,
		  'no row of wes.outputs was updated: every spend mark of the run went in with its row');
SELECT is((SELECT count(*) FROM wes.outputs o JOIN wes.inputs i ON i.outpoint = o.outpoint AND NOT i.reference
		   WHERE o.spent_by = i.txid AND o.spent_height = i.height), (SELECT jsonb_array_length(j->'spent')::bigint FROM v),
		  'every spend of the vectors is its output''s spend mark');

-- A second run on top: its spends of outputs stored by the first are marks by update
-- (the block is made first: learning its state root writes it once, undone)
CREATE TEMP TABLE b2 AS
SELECT pg_temp.with_writer_state_root(pg_temp.next_block(
		  ARRAY[pg_temp.tx(ARRAY[pg_temp.input(decode(split_part(u, ':', 1), 'hex'), split_part(u, ':', 2)::bigint, 0)],
						   ARRAY[pg_temp.output()], '\x03')])) AS b
FROM (SELECT min(u) AS u FROM v, jsonb_array_elements_text(j->'utxos') u) x;
CREATE TEMP TABLE upd AS SELECT pg_stat_get_xact_tuples_updated('wes.outputs'::regclass) AS n;
SELECT is(wes_write_blocks(ARRAY[(SELECT b FROM b2)]), 1::bigint, 'a block spending an output of the first run');
SELECT is(pg_stat_get_xact_tuples_updated('wes.outputs'::regclass) - (SELECT n FROM upd), 1::bigint,
		  'sets its mark on the stored row');

SELECT * FROM finish();
ROLLBACK;
