-- The writer puts rows into its tables directly (table_multi_insert and the
-- index entries, as COPY does): a run of blocks in one call sees its own rows,
-- under REPEATABLE READ too; every B-tree of wes holds an entry for every row;
-- the table layout the writer fills is checked before it writes.
\ir lib/session.sql

BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT plan(10);
CREATE EXTENSION IF NOT EXISTS amcheck;

\ir lib/vector_file.sql

-- The whole chain in one call: later blocks spend outputs that earlier blocks of the call wrote
SELECT is(wes_write_blocks(ARRAY(SELECT raw FROM vblocks WHERE height < 12 ORDER BY height)), 12::bigint,
		  'wes_write_blocks writes the 12 blocks of the vectors in one call under REPEATABLE READ');
SELECT results_eq(
	'SELECT height, hash::text, state_root::text FROM wes.chain_state',
	$$SELECT (j#>>'{tip,height}')::bigint, j#>>'{tip,hash}', j#>>'{tip,state_root}' FROM v$$,
	'and reaches the vectors'' tip and state root');
SELECT cmp_ok((SELECT count(*) FROM wes.inputs i JOIN wes.outputs o ON o.outpoint = i.outpoint
			   WHERE NOT i.reference AND o.height < i.height AND i.height > 0), '>', 0::bigint,
			  'some of its spends name outputs of earlier blocks of the same call');
SELECT set_eq('SELECT outpoint::text FROM wes_api.utxos',
			  $$SELECT jsonb_array_elements_text(j->'utxos') FROM v$$,
			  'the UTXO set is the vectors'' utxos');
SELECT set_eq($$SELECT outpoint::text, txid::text, height FROM wes.inputs WHERE NOT reference$$,
			  $$SELECT s->>'outpoint' AS outpoint, s->>'spent_by' AS txid, (s->>'spent_height')::bigint AS height
				FROM v, jsonb_array_elements(j->'spent') s$$,
			  'the spend inputs are the vectors'' spends');

-- Every row has its index entries (amcheck's heapallindexed), partial indexes included
SELECT lives_ok($t$
	DO $d$
	DECLARE
		i regclass;
	BEGIN
		FOR i IN SELECT c.oid FROM pg_class c JOIN pg_am a ON a.oid = c.relam
				 WHERE c.relnamespace = 'wes'::regnamespace AND c.relkind = 'i' AND a.amname = 'btree'
		LOOP
			PERFORM bt_index_check(i, true);
		END LOOP;
	END
	$d$ $t$, 'every B-tree index of wes has an entry for every row it covers (bt_index_check, heapallindexed)');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM wes.inputs WHERE NOT reference),
		  (SELECT jsonb_array_length(j->'spent')::bigint FROM v),
		  'counted through an index (no sequential or bitmap scan), there are as many spend inputs as the vectors'' spends');
RESET enable_seqscan;
RESET enable_bitmapscan;

-- A table that is not laid out as the writer fills it is refused before a row is written
SAVEPOINT layout;
ALTER TABLE wes.inputs ADD COLUMN note text;
SELECT throws_ok($$SELECT wes_write_block((SELECT raw FROM vblocks WHERE height = 11))$$,
				 'XX000', 'wes.inputs has a column the writer does not fill',
				 'a table with a column the writer does not fill is refused');
ROLLBACK TO SAVEPOINT layout;

CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
SAVEPOINT triggers;
CREATE TRIGGER noop BEFORE INSERT ON wes.outputs FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
SELECT throws_ok($$SELECT wes_write_block((SELECT raw FROM vblocks WHERE height = 11))$$,
				 'XX000', 'wes.outputs has triggers: the writer inserts its rows directly',
				 'a table with triggers is refused (the writer does not fire them)');
ROLLBACK TO SAVEPOINT triggers;
SELECT is((SELECT height FROM wes.chain_state), 11::bigint, 'the refused writes changed nothing');

SELECT * FROM finish();
ROLLBACK;
