-- wes_utxo_lookup(wes_outpoint[]) and wes_api.utxo_lookup_many, the walk of outputs_pkey in C
-- (src/queries_lookup.c, src/btree_lookup.c), against a brute-force answer over a synthetic
-- history: random arrays with duplicates, NULL elements and missing outpoints, sparse and
-- dense arrays, rows changed in the same transaction, many versions of one row.
\ir lib/session.sql

BEGIN;
SELECT plan(45);

\ir lib/synthetic_chain.sql
\ir lib/plans_and_bytes.sql
SELECT pg_temp.synthetic_chain(1500, 300, 0.4321);
ANALYZE wes.outputs;

-- Brute force: every row of wes_api.outputs whose outpoint is in ops, found by comparing text
-- (no index can serve it)
CREATE FUNCTION pg_temp.brute(ops wes_outpoint[]) RETURNS SETOF wes_api.outputs LANGUAGE sql AS $$
	SELECT o.* FROM wes_api.outputs o
	WHERE o.outpoint::text IN (SELECT a::text FROM unnest(ops) a WHERE a IS NOT NULL)
$$;
-- Rows in one answer and not in the other (each row counted as often as it comes)
CREATE FUNCTION pg_temp.diff(ops wes_outpoint[]) RETURNS bigint LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM (SELECT * FROM wes_utxo_lookup(ops) EXCEPT ALL SELECT * FROM pg_temp.brute(ops)) a)
		 + (SELECT count(*) FROM (SELECT * FROM pg_temp.brute(ops) EXCEPT ALL SELECT * FROM wes_utxo_lookup(ops)) b)
$$;
-- An outpoint that is not in wes.outputs: a txid no transaction has
CREATE FUNCTION pg_temp.missing(i int) RETURNS wes_outpoint LANGUAGE sql AS $$
	SELECT wes_outpoint(pg_temp.h32('missing' || i)::wes_hash, i % 3)
$$;
CREATE TEMP TABLE all_ops AS SELECT row_number() OVER (ORDER BY outpoint)::int AS i, outpoint FROM wes.outputs;
CREATE UNIQUE INDEX ON all_ops (i);
-- n elements drawn from the outputs (with repeats), missing outpoints and NULLs, in random order
CREATE FUNCTION pg_temp.random_ops(n int, p_missing float8, p_null float8) RETURNS wes_outpoint[] LANGUAGE sql AS $$
	SELECT coalesce(array_agg(CASE WHEN s.r < p_null THEN NULL
								   WHEN s.r < p_null + p_missing THEN pg_temp.missing(s.g)
								   ELSE a.outpoint END ORDER BY s.g), '{}')
	FROM (SELECT g, random() AS r, 1 + floor(random() * (SELECT count(*) FROM pg_temp.all_ops))::int AS j
		  FROM generate_series(1, n) g) s
	LEFT JOIN pg_temp.all_ops a ON a.i = s.j
$$;
SELECT setseed(0.77);

-- ---- the history is what the tests need ----
SELECT cmp_ok((SELECT count(*) FROM wes.outputs), '>', 8000::bigint, 'the synthetic history has thousands of outputs');
SELECT cmp_ok((SELECT count(*) FROM wes.outputs WHERE spent_height IS NULL), '>', 500::bigint,
			  'it has unspent outputs');
SELECT cmp_ok((SELECT count(*) FROM wes.outputs WHERE spent_height IS NOT NULL), '>', 500::bigint,
			  'it has spent outputs');
SELECT cmp_ok(pg_relation_size('wes.outputs_pkey') / 8192, '>', 50::bigint,
			  'outputs_pkey spans many leaf pages');

-- ---- edge cases ----
SELECT is((SELECT count(*) FROM wes_utxo_lookup('{}'::wes_outpoint[])), 0::bigint, 'an empty array gives no row');
SELECT is((SELECT count(*) FROM wes_utxo_lookup(NULL::wes_outpoint[])), 0::bigint, 'a NULL array gives no row');
SELECT is((SELECT count(*) FROM wes_api.utxo_lookup_many(NULL)), 0::bigint, 'wes_api.utxo_lookup_many(NULL) gives no row');
SELECT is((SELECT count(*) FROM wes_utxo_lookup(ARRAY[NULL, NULL]::wes_outpoint[])), 0::bigint, 'an array of NULLs gives no row');
SELECT is((SELECT count(*) FROM wes_utxo_lookup(ARRAY[pg_temp.missing(1), pg_temp.missing(2)])), 0::bigint,
		  'outpoints that do not exist give no row');
SELECT is((SELECT array_agg(l.outpoint) FROM wes_utxo_lookup(ARRAY[NULL, o.outpoint, pg_temp.missing(3), o.outpoint, NULL]) l),
		  ARRAY[o.outpoint], 'an outpoint named twice beside NULLs and a missing one: its row, once')
FROM (SELECT outpoint FROM all_ops WHERE i = 17) o;
SELECT is((SELECT count(*) FROM wes_utxo_lookup((SELECT array_agg(outpoint) FROM all_ops WHERE i IN (1, (SELECT max(i) FROM all_ops))))),
		  2::bigint, 'the first and the last outpoint of the index are found');
SELECT is((SELECT count(*) FROM wes_utxo_lookup(ARRAY[wes_outpoint('0000000000000000000000000000000000000000000000000000000000000000', 0),
													  wes_outpoint('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', 4294967295)])),
		  0::bigint, 'outpoints below and above every key of the index give no row');
SELECT is((SELECT count(*) FROM wes_utxo_lookup(ARRAY[[o.a, o.b], [o.b, NULL]])), 2::bigint,
		  'a two-dimensional array is read as its elements')
FROM (SELECT (SELECT outpoint FROM all_ops WHERE i = 5) AS a, (SELECT outpoint FROM all_ops WHERE i = 900) AS b) o;

-- ---- against brute force ----
CREATE TEMP TABLE arrays AS
SELECT k, pg_temp.random_ops((random() * 400)::int, 0.2, 0.05) AS ops FROM generate_series(1, 60) k;
SELECT is((SELECT count(*) FROM arrays WHERE pg_temp.diff(ops) <> 0), 0::bigint,
		  '60 random arrays (duplicates, NULLs, missing outpoints): the rows of the brute-force answer, no more, no fewer');
SELECT cmp_ok((SELECT count(*) FROM arrays a, wes_utxo_lookup(a.ops) l WHERE l.spent_by IS NOT NULL), '>', 100::bigint,
			  'the random arrays find spent outputs');
SELECT cmp_ok((SELECT count(*) FROM arrays a, wes_utxo_lookup(a.ops) l WHERE l.spent_by IS NULL), '>', 20::bigint,
			  'the random arrays find unspent outputs');
SELECT is((SELECT count(*) FROM arrays a, wes_utxo_lookup(a.ops) l),
		  (SELECT sum((SELECT count(DISTINCT x) FROM unnest(a.ops) x WHERE x IN (SELECT outpoint FROM all_ops))) FROM arrays a)::bigint,
		  'one row per distinct outpoint that exists, over a lateral join (one call per array)');
SELECT is(pg_temp.diff((SELECT array_agg(outpoint) FROM all_ops WHERE i % 97 = 0)), 0::bigint,
		  'a sparse array (every 97th outpoint): a leaf of its own for each');
SELECT is(pg_temp.diff((SELECT array_agg(outpoint ORDER BY i DESC) FROM all_ops)), 0::bigint,
		  'every outpoint of the index, in descending order');
SELECT is(pg_temp.diff(pg_temp.random_ops(20000, 0.1, 0.01)), 0::bigint,
		  'a large array (20k elements, most outpoints several times)');
SELECT is((SELECT count(*) FROM wes_api.utxo_lookup_many((SELECT array_agg(outpoint) FROM all_ops)) l
		   JOIN wes.outputs t USING (outpoint)
		   WHERE (l.txid, l.output_index, l.kind) IS DISTINCT FROM (wes_outpoint_txid(t.outpoint), wes_outpoint_index(t.outpoint), wes.kind_name(t.kind))),
		  0::bigint, 'txid, output_index and kind are derived as wes_api.outputs derives them');

-- ---- rows changed in the same transaction ----
CREATE TEMP TABLE probe AS SELECT pg_temp.random_ops(3000, 0.1, 0.02) AS ops;
DELETE FROM wes.outputs WHERE outpoint IN (SELECT outpoint FROM all_ops WHERE i % 7 = 0);
UPDATE wes.outputs SET spent_by = pg_temp.h32('late spender')::wes_hash, spent_height = 1500
WHERE spent_height IS NULL AND outpoint IN (SELECT outpoint FROM all_ops WHERE i % 5 = 1);
INSERT INTO wes.outputs (outpoint, height, kind, owner, amount, ref, lock, data)
SELECT pg_temp.missing(g), 1500, 7, pg_temp.synthetic_owner(1), g, pg_temp.h32('new')::wes_hash, '\x01', '\x02'
FROM generate_series(1, 50) g;
SELECT is(pg_temp.diff((SELECT ops || ARRAY(SELECT pg_temp.missing(g) FROM generate_series(1, 60) g) FROM probe)), 0::bigint,
		  'after deletes, spend marks and inserts in the same transaction: the rows this transaction sees');
SELECT is((SELECT count(*) FROM wes_utxo_lookup((SELECT array_agg(outpoint) FROM all_ops WHERE i % 7 = 0))), 0::bigint,
		  'rows deleted in this transaction are gone');
SELECT is((SELECT count(*) FROM wes_utxo_lookup(ARRAY(SELECT pg_temp.missing(g) FROM generate_series(1, 50) g)) WHERE kind IS NULL),
		  50::bigint, 'rows inserted in this transaction are found (an unknown kind reads as NULL, as in wes_api.outputs)');

-- Many versions of one row: every update of an indexed column adds an entry to outputs_pkey,
-- and the entries of one key fill posting lists that may run over onto the next leaf page
DO $$
BEGIN
	FOR n IN 1 .. 1500 LOOP
		UPDATE wes.outputs SET owner = pg_temp.synthetic_owner(n)
		WHERE outpoint = (SELECT outpoint FROM all_ops WHERE i = 4001);
	END LOOP;
END
$$;
SELECT is((SELECT array_agg(l.owner) FROM wes_utxo_lookup((SELECT array_agg(outpoint) FROM all_ops WHERE i = 4001)) l),
		  ARRAY[pg_temp.synthetic_owner(1500)], 'a row updated 1500 times: one row, its last version');
SELECT is(pg_temp.diff((SELECT array_agg(outpoint) FROM all_ops WHERE i BETWEEN 3900 AND 4100)), 0::bigint,
		  'the outpoints around it are found as before');
SAVEPOINT s;
DELETE FROM wes.outputs WHERE outpoint IN (SELECT outpoint FROM all_ops WHERE i BETWEEN 3000 AND 3999);
ROLLBACK TO SAVEPOINT s;
SELECT is(pg_temp.diff((SELECT array_agg(outpoint) FROM all_ops WHERE i BETWEEN 2900 AND 4100)), 0::bigint,
		  'rows deleted in a rolled-back subtransaction are found');

-- ---- values read out of line, early stops, calls in FROM ----
UPDATE wes.outputs SET data = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 20000) g)::bytea
WHERE outpoint = (SELECT outpoint FROM all_ops WHERE i = 2);
SELECT is((SELECT md5(l.data) FROM wes_utxo_lookup((SELECT array_agg(outpoint) FROM all_ops WHERE i <= 3)) l
		   WHERE l.outpoint = (SELECT outpoint FROM all_ops WHERE i = 2)),
		  (SELECT md5(data) FROM wes.outputs WHERE outpoint = (SELECT outpoint FROM all_ops WHERE i = 2)),
		  'a data value stored out of line comes back whole');
SELECT is((SELECT count(*) FROM (SELECT * FROM wes_utxo_lookup((SELECT array_agg(outpoint) FROM all_ops)) LIMIT 3) x), 3::bigint,
		  'a query that stops after 3 rows gets 3');
SELECT is((SELECT count(*) FROM arrays a, LATERAL (SELECT * FROM wes_utxo_lookup(a.ops) LIMIT 2) x),
		  (SELECT sum(least(2, (SELECT count(DISTINCT x) FROM unnest(a.ops) x WHERE x IN (SELECT outpoint FROM wes.outputs)))) FROM arrays a)::bigint,
		  'calls stopped after 2 rows, one per array of a lateral join');
SELECT is((SELECT count(*) FROM (SELECT * FROM wes.outputs_lookup((SELECT ops FROM probe)) EXCEPT ALL
								 SELECT * FROM pg_temp.brute((SELECT ops FROM probe))) x), 0::bigint,
		  'called in FROM (a Function Scan), the C function gives the same rows');
SELECT matches(pg_temp.plan_of($$SELECT l.* FROM probe p, wes_utxo_lookup(p.ops) l$$), 'ProjectSet',
			   'wes_utxo_lookup(ops[]) streams its rows (ProjectSet, not a Function Scan)');

-- ---- privilege: wes_reader's only ----
SELECT outpoint AS first_op FROM all_ops WHERE i = 1 \gset
CREATE ROLE wes_test_nobody;
SET LOCAL ROLE wes_test_nobody;
SELECT throws_ok($$SELECT * FROM wes_utxo_lookup(ARRAY[$$ || quote_literal(:'first_op') || $$::wes_outpoint])$$, '42501', NULL,
				 'a role without wes_reader cannot look outpoints up through wes_utxo_lookup(ops[])');
RESET ROLE;

-- ---- pages read through the buffers they were last found in (src/recent_buffers.c) ----
-- The first call of a backend learns where each page it reads lies in shared buffers; later
-- calls read the pages from there.  They still count as reads of the relations (pg_statio),
-- and a relation rewritten since (new files, rows on other pages, the key rebuilt) is read
-- afresh, not through buffers that held its old pages.
CREATE TEMP TABLE sparse AS SELECT array_agg(outpoint) AS ops FROM all_ops WHERE i % 5 = 0;
SELECT count(*) AS first_call FROM sparse s, wes_utxo_lookup(s.ops) \gset
SELECT pg_stat_get_xact_blocks_fetched('wes.outputs'::regclass) AS heap_before,
	   pg_stat_get_xact_blocks_fetched('wes.outputs_pkey'::regclass) AS index_before \gset
SELECT count(*) AS second_call FROM sparse s, wes_utxo_lookup(s.ops) \gset
SELECT pg_stat_get_xact_blocks_fetched('wes.outputs'::regclass) - :heap_before AS heap_reads,
	   pg_stat_get_xact_blocks_fetched('wes.outputs_pkey'::regclass) - :index_before AS index_reads \gset
SELECT is(:second_call::bigint, :first_call::bigint, 'a second call in the same backend finds the same rows');
SELECT cmp_ok(:heap_reads::bigint, '>=',
			  (SELECT count(DISTINCT (o.ctid::text::point)[0])::bigint FROM wes.outputs o, sparse s WHERE o.outpoint = ANY (s.ops)),
			  '... and counts a read of every heap page it fetches rows from');
-- (counted with pageinspect: the leaves holding an entry of a sparse row; the index's size
-- would overcount where earlier transactions of the database left pages of rolled-back rows)
CREATE EXTENSION pageinspect;
SELECT cmp_ok(:index_reads::bigint, '>=',
			  (SELECT count(DISTINCT b) FROM generate_series(1, pg_relation_size('wes.outputs_pkey') / 8192 - 1) b
			   CROSS JOIN LATERAL bt_page_items('wes.outputs_pkey', b) it
			   WHERE (SELECT type FROM bt_page_stats('wes.outputs_pkey', b)) = 'l'
				 AND it.htid IN (SELECT o.ctid FROM wes.outputs o, sparse s WHERE o.outpoint = ANY (s.ops))),
			  '... and of the index pages it reads (every leaf holding one of the keys)');
CREATE TEMP TABLE saved_outputs AS SELECT * FROM wes.outputs;
TRUNCATE wes.outputs;
INSERT INTO wes.outputs SELECT * FROM saved_outputs ORDER BY md5(outpoint::text);
SELECT is(pg_temp.diff((SELECT ops FROM sparse)), 0::bigint,
		  'wes.outputs rewritten in the same backend (new files, rows on other pages): the rows of the brute-force answer');
REINDEX INDEX wes.outputs_pkey;
SELECT is(pg_temp.diff((SELECT ops FROM sparse)), 0::bigint, '... and again after its key is rebuilt');
SET LOCAL wes_persist.recent_buffers = off;
SELECT is(pg_temp.diff((SELECT ops FROM sparse)), 0::bigint,
		  'with wes_persist.recent_buffers off (ReadBuffer, no prefetch): the rows of the brute-force answer');
RESET wes_persist.recent_buffers;

-- ---- an index of three levels, and keys that are not spread evenly ----
-- Enough rows that outputs_pkey has several level-1 pages: the walk goes from one to the next
-- and descends from the root between them.  Among them, txids whose first 8 bytes are all zero
-- (equal bounds: no interpolation) and txids whose first 8 bytes are powers of two (bunched
-- at the low end of the key space: interpolation guesses far off and must still find them).
-- Last in the file: the rows stay until the ROLLBACK at the end.
INSERT INTO wes.outputs (outpoint, height, kind, owner, amount, ref, lock, data)
SELECT wes_outpoint(CASE WHEN g % 10 = 1 THEN decode(lpad(to_hex(g), 64, '0'), 'hex')
						 WHEN g % 10 = 2 THEN decode(lpad(to_hex(1::bigint << (g % 63)), 16, '0'), 'hex') || substr(pg_temp.h32('skew' || g), 1, 24)
						 ELSE pg_temp.h32('bulk' || g) END::wes_hash, g % 3),
	   1500, 0, pg_temp.synthetic_owner(g % 50), g, pg_temp.h32('bulk asset')::wes_hash, '\x01', '\x02'
FROM generate_series(1, 60000) g;
SELECT cmp_ok(pg_relation_size('wes.outputs_pkey') / 8192, '>', 400::bigint,
			  'outputs_pkey spans more leaves than one level-1 page holds');
SELECT is(pg_temp.diff((SELECT array_agg(outpoint) FROM wes.outputs)), 0::bigint,
		  'every outpoint of a three-level index: the rows of the brute-force answer');
SELECT is(pg_temp.diff((SELECT array_agg(outpoint) FROM wes.outputs WHERE random() < 0.03)), 0::bigint,
		  'a sparse random array over it (most keys on a leaf of their own)');
CREATE TEMP TABLE bunched AS
SELECT array_agg(outpoint) AS ops FROM wes.outputs
WHERE substr(outpoint::bytea, 1, 8) IN ('\x0000000000000000', '\x0000000000000001', '\x0000000000000400', '\x4000000000000000');
SELECT cmp_ok((SELECT count(*) FROM bunched b, wes_utxo_lookup(b.ops)), '>', 6100::bigint,
			  'outpoints whose txids begin with the same 8 bytes, or with powers of two, are found');
SELECT is(pg_temp.diff((SELECT ops FROM bunched)), 0::bigint, '... and they are the rows of the brute-force answer');
SELECT is((SELECT count(*) FROM wes_utxo_lookup((SELECT array_agg(wes_outpoint(substr(outpoint::bytea, 1, 32)::wes_hash, 4294967295)) FROM wes.outputs))),
		  0::bigint, 'the last output index, which no transaction has, for every txid: nothing, however close to the keys');
SELECT * FROM finish();
ROLLBACK;
