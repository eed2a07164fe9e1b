-- wes_utxo_lookup(op) of one outpoint, through a hash index on outpoint that an operator
-- adds for a read-heavy node (docs/storage.md) and through the primary key as shipped:
-- the plans, and the same rows as a scan of the table through blocks written, rolled
-- back and written again; and wes.kind_name, the names of the kind column.
\ir lib/session.sql

BEGIN;
SELECT plan(23);

\ir lib/plans_and_bytes.sql

-- Added before the chain is written: the writer keeps it up to date like any index
CREATE INDEX outputs_outpoint_hash ON wes.outputs USING hash (outpoint);
\ir lib/vector_chain.sql
ANALYZE wes.outputs;

-- The answer a scan gives: every row of wes_api.outputs, read without an index
CREATE FUNCTION pg_temp.scan() RETURNS SETOF wes_api.outputs
LANGUAGE sql SET enable_indexscan = off SET enable_bitmapscan = off
AS $$ SELECT * FROM wes_api.outputs $$;
-- Outputs of rows whose lookup does not give the row itself, every column
CREATE FUNCTION pg_temp.mismatches(want regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM %s b WHERE NOT EXISTS
					(SELECT 1 FROM wes_utxo_lookup(b.outpoint) l WHERE l IS NOT DISTINCT FROM b)', want) INTO n;
	RETURN n;
END
$$;
CREATE TEMP TABLE written AS SELECT * FROM pg_temp.scan();
SELECT cmp_ok((SELECT count(*) FROM written WHERE spent_by IS NOT NULL), '>', 0::bigint,
			  'the chain has spent outputs as well as unspent ones');

-- Plans: custom and generic, and the view queried by outpoint as an explorer would
PREPARE one(wes_outpoint) AS SELECT * FROM wes_utxo_lookup($1);
SELECT matches(pg_temp.plan_of('EXECUTE one(''' || (SELECT outpoint FROM written ORDER BY outpoint LIMIT 1) || ''')'),
			   pg_temp.index_re('outputs_outpoint_hash'), 'with the hash index, wes_utxo_lookup(op) probes it (custom plan)');
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT matches(pg_temp.plan_of('EXECUTE one(''' || (SELECT outpoint FROM written ORDER BY outpoint LIMIT 1) || ''')'),
			   pg_temp.index_re('outputs_outpoint_hash'), 'and so does its generic plan');
RESET plan_cache_mode;
SELECT matches(pg_temp.plan_of('SELECT * FROM wes_api.outputs WHERE outpoint = ''' || (SELECT outpoint FROM written ORDER BY outpoint LIMIT 1) || ''''),
			   pg_temp.index_re('outputs_outpoint_hash'), 'wes_api.outputs by outpoint probes it too');
SELECT matches(pg_temp.plan_of('SELECT * FROM wes_api.outputs WHERE outpoint > ''' || (SELECT outpoint FROM written ORDER BY outpoint LIMIT 1) || ''' ORDER BY outpoint LIMIT 5'),
			   pg_temp.index_re('outputs_pkey'), 'ranges of outpoints stay with the primary key');

-- Every outpoint: the scan's row, every column, exactly once
SELECT is((SELECT count(*) FROM written b, wes_utxo_lookup(b.outpoint) l), (SELECT count(*) FROM written),
		  'one row for each outpoint');
SELECT is(pg_temp.mismatches('written'), 0::bigint, 'each row is the scan''s row, spend mark and kind name included');
SELECT is((SELECT count(*) FROM written b, wes_utxo_lookup(wes_outpoint(b.txid, b.output_index + 1000)) l),
		  0::bigint, 'an outpoint whose transaction exists but whose index does not gives no row');

-- A rollback deletes rows and clears spend marks: the dead index entries find nothing,
-- the cleared marks show.  The blocks written again give back the first answer.
SELECT is(wes_rollback_to(5), 6::bigint, 'the rollback to height 5 undoes blocks 6 .. 11');
CREATE TEMP TABLE after_rollback AS SELECT * FROM pg_temp.scan();
SELECT is((SELECT count(*) FROM written w, wes_utxo_lookup(w.outpoint) l WHERE w.created_height > 5),
		  0::bigint, 'the outputs of the rolled-back blocks are not found');
SELECT is(pg_temp.mismatches('after_rollback'), 0::bigint, 'the others are found as the scan has them, marks undone');
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT raw FROM vector_blocks WHERE height > 5 ORDER BY height LOOP
		PERFORM wes_write_block(r.raw);
	END LOOP;
END
$$;
SELECT is(pg_temp.mismatches('written'), 0::bigint, 'written again, every outpoint gives its first row');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'wes_verify finds nothing with the added index');

-- As shipped: the primary key serves the lookup
DROP INDEX wes.outputs_outpoint_hash;
SELECT matches(pg_temp.plan_of('EXECUTE one(''' || (SELECT outpoint FROM written ORDER BY outpoint LIMIT 1) || ''')'),
			   pg_temp.index_re('outputs_pkey'), 'without it, wes_utxo_lookup(op) probes the primary key');
SELECT is(pg_temp.mismatches('written'), 0::bigint, 'with the same rows');

-- An outpoint as text: an untyped literal, a parameter sent untyped (as many drivers
-- send strings), text and varchar all reach the lookup, through the primary key
CREATE TEMP TABLE first_op AS SELECT outpoint FROM written ORDER BY outpoint LIMIT 1;
SELECT results_eq(format('SELECT * FROM wes_utxo_lookup(%L)', (SELECT outpoint::text FROM first_op)),
				  format('SELECT * FROM wes_utxo_lookup(%L::wes_outpoint)', (SELECT outpoint FROM first_op)),
				  'an untyped literal is looked up (it was ambiguous with the array form)');
PREPARE untyped AS SELECT * FROM wes_utxo_lookup($1);
SELECT results_eq(format('EXECUTE untyped(%L)', (SELECT outpoint::text FROM first_op)),
				  format('SELECT * FROM wes_utxo_lookup(%L::wes_outpoint)', (SELECT outpoint FROM first_op)),
				  'and so is an untyped parameter');
SELECT matches(pg_temp.plan_of(format('SELECT * FROM wes_utxo_lookup(%L::varchar)', (SELECT outpoint::text FROM first_op))),
			   pg_temp.index_re('outputs_pkey'), 'a varchar outpoint is looked up through the primary key');
SELECT throws_ok($$SELECT * FROM wes_utxo_lookup('not an outpoint')$$, '22P02',
				 'invalid input syntax for type wes_outpoint: "not an outpoint"', 'bad text is 22P02, as for the type');

-- wes.kind_name: the codec's names; NULL for anything else (not wrapped into 0 .. 255)
SELECT is((SELECT array_agg(wes.kind_name(k::smallint) ORDER BY k) FROM generate_series(-1, 3) k),
		  ARRAY[NULL, 'asset', 'resource', 'state', NULL], 'kind names of -1 .. 3');
SELECT is(wes.kind_name(256::smallint), NULL, 'kind 256 has no name (it is not kind 0)');
SELECT is(wes.kind_name((-32768)::smallint), NULL, 'nor has kind -32768');
SELECT is(wes.kind_name(NULL), NULL, 'NULL gives NULL');

SELECT * FROM finish();
ROLLBACK;
