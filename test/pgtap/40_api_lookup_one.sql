-- wes_utxo_lookup(op) of one outpoint: planned as one probe of the hash index
-- outputs_outpoint_hash, and giving what a scan of the table gives, through deletes and
-- re-inserts (as a rollback and a re-applied block leave it); and wes.kind_name, the
-- names of the kind column.
\ir lib/session.sql

BEGIN;
SELECT plan(15);

\ir lib/synthetic_chain.sql
\ir lib/plans_and_bytes.sql
SELECT pg_temp.synthetic_chain(300, 40, 0.4321);
ANALYZE wes.outputs;

-- The answer a scan gives: every row of wes_api.outputs, read without an index
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
CREATE TEMP TABLE brute AS SELECT * FROM wes_api.outputs;
RESET enable_indexscan;
RESET enable_bitmapscan;
SELECT cmp_ok((SELECT count(*) FROM brute WHERE spent_by IS NOT NULL), '>', 50::bigint, 'the history has spent outputs');
SELECT cmp_ok((SELECT count(*) FROM brute WHERE spent_by IS NULL), '>', 50::bigint, 'and unspent ones');

-- Plans: custom and generic, and the view queried by outpoint as an explorer would
PREPARE one(wes_outpoint) AS SELECT * FROM wes_utxo_lookup($1);
SELECT matches(pg_temp.plan_of('EXECUTE one(''' || (SELECT outpoint FROM brute ORDER BY outpoint LIMIT 1) || ''')'),
			   pg_temp.index_re('outputs_outpoint_hash'), 'wes_utxo_lookup(op) probes the outpoint hash index (custom plan)');
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT matches(pg_temp.plan_of('EXECUTE one(''' || (SELECT outpoint FROM brute ORDER BY outpoint LIMIT 1) || ''')'),
			   pg_temp.index_re('outputs_outpoint_hash'), 'and so does its generic plan');
RESET plan_cache_mode;
SELECT matches(pg_temp.plan_of('SELECT * FROM wes_api.outputs WHERE outpoint = ''' || (SELECT outpoint FROM brute ORDER BY outpoint LIMIT 1) || ''''),
			   pg_temp.index_re('outputs_outpoint_hash'), 'wes_api.outputs by outpoint probes it too');
SELECT matches(pg_temp.plan_of('SELECT * FROM wes_api.outputs WHERE outpoint > ''' || (SELECT outpoint FROM brute ORDER BY outpoint LIMIT 1) || ''' ORDER BY outpoint LIMIT 5'),
			   pg_temp.index_re('outputs_pkey'), 'ranges of outpoints stay with the primary key');

-- Every outpoint, through the index: the scan's row, every column, exactly once
SELECT is((SELECT count(*) FROM brute b, wes_utxo_lookup(b.outpoint) l), (SELECT count(*) FROM brute),
		  'one row for each outpoint');
SELECT is((SELECT count(*) FROM brute b
		   WHERE NOT EXISTS (SELECT 1 FROM wes_utxo_lookup(b.outpoint) l WHERE l IS NOT DISTINCT FROM b)),
		  0::bigint, 'each row is the scan''s row, spend mark and kind name included');
SELECT is((SELECT count(*) FROM brute b, wes_utxo_lookup(wes_outpoint(b.txid, b.output_index + 1000)) l),
		  0::bigint, 'an outpoint whose transaction exists but whose index does not gives no row');

-- Deleted rows leave dead entries in the hash index: they are not found.  Re-inserted
-- with other columns, they are found with the new ones.
CREATE TEMP TABLE gone AS SELECT outpoint FROM brute ORDER BY outpoint LIMIT 60;
DELETE FROM wes.outputs o USING gone g WHERE o.outpoint = g.outpoint;
SELECT is((SELECT count(*) FROM gone g, wes_utxo_lookup(g.outpoint) l), 0::bigint, 'deleted outputs are not found');
INSERT INTO wes.outputs (outpoint, height, kind, owner, amount, ref, lock, data)
SELECT b.outpoint, b.created_height, 2, b.owner, b.amount + 7, b.ref, b.lock, b.data
FROM brute b JOIN gone g USING (outpoint);
SELECT is((SELECT count(*) FROM gone g, wes_utxo_lookup(g.outpoint) l JOIN brute b USING (outpoint)
		   WHERE l.amount = b.amount + 7 AND l.kind = 'state' AND l.spent_by IS NULL),
		  60::bigint, 're-inserted outputs are found once each, with their new columns');

-- wes.kind_name: the codec's names; NULL for anything else (not wrapped into 0 .. 255)
SELECT is((SELECT array_agg(wes.kind_name(k::smallint) ORDER BY k) FROM generate_series(-1, 3) k),
		  ARRAY[NULL, 'asset', 'resource', 'state', NULL], 'kind names of -1 .. 3');
SELECT is(wes.kind_name(256::smallint), NULL, 'kind 256 has no name (it is not kind 0)');
SELECT is(wes.kind_name((-32768)::smallint), NULL, 'nor has kind -32768');
SELECT is(wes.kind_name(NULL), NULL, 'NULL gives NULL');

SELECT * FROM finish();
ROLLBACK;
