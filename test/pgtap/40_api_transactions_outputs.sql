-- wes_api.transactions_outputs(txids): the outputs of many transactions in one call, against
-- a brute-force answer over a synthetic history (arrays with repeats, NULL elements and
-- unknown txids), in the order it promises, through outputs_pkey (one range scan a txid,
-- no scan of the table), and as wes_reader.
\ir lib/session.sql

BEGIN;
SELECT plan(12);

\ir lib/synthetic_chain.sql
SELECT pg_temp.synthetic_chain(600, 80, 0.2468);
ANALYZE wes.outputs;

CREATE TEMP TABLE all_txids AS
	SELECT row_number() OVER (ORDER BY txid)::int AS i, txid FROM (SELECT DISTINCT txid FROM wes_api.outputs) s;
CREATE UNIQUE INDEX ON all_txids (i);
-- n elements: txids of the history (with repeats), unknown txids and NULLs, in random order
CREATE FUNCTION pg_temp.random_txids(n int) RETURNS wes_hash[] LANGUAGE sql AS $$
	SELECT array_agg(CASE WHEN s.r < 0.1 THEN NULL
						  WHEN s.r < 0.2 THEN pg_temp.h32('unknown' || s.g)::wes_hash
						  ELSE a.txid END ORDER BY s.g)
	FROM (SELECT g, random() AS r, 1 + floor(random() * (SELECT count(*) FROM pg_temp.all_txids))::int AS j
		  FROM generate_series(1, n) g) s
	LEFT JOIN pg_temp.all_txids a ON a.i = s.j
$$;
-- Brute force: the rows of wes_api.outputs whose txid is in the array, found by comparing text
CREATE FUNCTION pg_temp.brute(txids wes_hash[]) RETURNS SETOF wes_api.outputs LANGUAGE sql AS $$
	SELECT o.* FROM wes_api.outputs o
	WHERE o.txid::text IN (SELECT t::text FROM unnest(txids) t WHERE t IS NOT NULL)
$$;
-- Rows in one answer and not in the other (each row counted as often as it comes)
CREATE FUNCTION pg_temp.diff(txids wes_hash[]) RETURNS bigint LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM (SELECT * FROM wes_api.transactions_outputs(txids) EXCEPT ALL SELECT * FROM pg_temp.brute(txids)) a)
		 + (SELECT count(*) FROM (SELECT * FROM pg_temp.brute(txids) EXCEPT ALL SELECT * FROM wes_api.transactions_outputs(txids)) b)
$$;
SELECT setseed(0.135);

SELECT cmp_ok((SELECT count(*) FROM all_txids), '>', 500::bigint, 'the synthetic history has hundreds of transactions');

-- ---- edge cases ----
SELECT is((SELECT count(*) FROM wes_api.transactions_outputs(NULL)), 0::bigint, 'a NULL array gives no row');
SELECT is((SELECT count(*) FROM wes_api.transactions_outputs('{}')), 0::bigint, 'an empty array gives no row');
SELECT is((SELECT count(*) FROM wes_api.transactions_outputs(ARRAY[NULL, pg_temp.h32('unknown')::wes_hash])), 0::bigint,
		  'NULL and an unknown txid give no row');

-- ---- the answer: the brute force's rows, in the promised order ----
SELECT is((SELECT sum(pg_temp.diff(pg_temp.random_txids(n))) FROM generate_series(1, 40) n), 0::numeric,
		  '40 random arrays of 1 to 40 txids (repeats, NULLs, unknown txids): the rows of the brute-force answer, each once');
SELECT is(pg_temp.diff((SELECT array_agg(txid) FROM all_txids)), 0::bigint, 'every txid of the history in one call');
CREATE TEMP TABLE three AS SELECT (SELECT txid FROM all_txids WHERE i = 7) AS a, (SELECT txid FROM all_txids WHERE i = 3) AS b;
SELECT is((SELECT array_agg(o.txid::text || ':' || o.output_index ORDER BY o.ordinality)
		   FROM three, wes_api.transactions_outputs(ARRAY[three.a, NULL, three.b, three.a]) WITH ORDINALITY o),
		  (SELECT array_agg(o.txid::text || ':' || o.output_index ORDER BY k, o.output_index)
		   FROM three, LATERAL (VALUES (1, three.a), (2, three.b)) v(k, t), wes_api.outputs o WHERE o.txid = v.t),
		  'rows come by the first place each txid has in the array, then by output_index');
SELECT ok((SELECT count(*) FILTER (WHERE o.spent_by IS NULL) > 100 AND count(*) FILTER (WHERE o.spent_by IS NOT NULL) > 100
			FROM wes_api.transactions_outputs((SELECT array_agg(txid) FROM all_txids)) o),
		  'spent outputs come with their spender, unspent ones too');

-- ---- through outputs_pkey: one range scan a txid, no scan of the table ----
CREATE TEMP TABLE fifty AS SELECT array_agg(txid) AS txids FROM all_txids WHERE i % 10 = 0 AND i <= 500;
SELECT pg_stat_get_xact_numscans('wes.outputs_pkey'::regclass) AS idx0,
	   pg_stat_get_xact_numscans('wes.outputs'::regclass) AS seq0 \gset
SELECT count(*) AS n50 FROM fifty f, wes_api.transactions_outputs(f.txids) \gset
SELECT is(pg_stat_get_xact_numscans('wes.outputs_pkey'::regclass) - :idx0, 50::bigint,
		  'fifty txids: fifty scans of outputs_pkey, one a txid');
SELECT is(pg_stat_get_xact_numscans('wes.outputs'::regclass) - :seq0, 0::bigint, '... and no scan of wes.outputs');
SELECT is(:n50::bigint, (SELECT count(*) FROM fifty f, wes_api.outputs o WHERE o.txid = ANY (f.txids)),
		  '... which found their outputs');

-- ---- a reader may call it ----
SELECT array_agg(txid)::text AS ten FROM all_txids WHERE i <= 10 \gset
SELECT count(*) AS n10 FROM wes_api.outputs WHERE txid = ANY (:'ten'::wes_hash[]) \gset
SET LOCAL ROLE wes_reader;
SELECT is((SELECT count(*) FROM wes_api.transactions_outputs(:'ten'::wes_hash[])), :n10::bigint, 'wes_reader may call it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
