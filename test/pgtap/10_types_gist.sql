-- GiST operator classes of wes_hash, wes_address, wes_outpoint: index scans
-- for equality, order and hex prefixes that return exactly what a sequential
-- scan returns (100k random hashes), index-only scans, multicolumn indexes
-- beside int8range, and exclusion constraints.
\ir lib/session.sql

BEGIN;
SELECT plan(26);
\ir lib/plans_and_bytes.sql

-- Scan settings: 'index' forbids sequential scans, 'index only' also bitmap
-- scans, 'seq' forbids index scans, 'any' allows all
CREATE FUNCTION pg_temp.scan_with(how text) RETURNS void LANGUAGE sql AS $$
	SELECT set_config('enable_seqscan', (how NOT IN ('index', 'index only'))::text, true),
		   set_config('enable_indexscan', (how <> 'seq')::text, true),
		   set_config('enable_indexonlyscan', (how <> 'seq')::text, true),
		   set_config('enable_bitmapscan', (how NOT IN ('seq', 'index only'))::text, true);
$$;

SELECT setseed(0.75);

-- 100k random hashes inserted under a GiST index (penalty, picksplit)
CREATE TEMP TABLE g (h wes_hash NOT NULL);
CREATE INDEX g_gist ON g USING gist (h);
INSERT INTO g SELECT pg_temp.rand_bytes(32)::wes_hash FROM generate_series(1, 100000);
ANALYZE g;

-- Prefixes of every length 0..64, odd and even, taken from stored hashes,
-- random ones, and spellings with upper case and 0x / \x
CREATE TEMP TABLE prefixes AS
SELECT DISTINCT left(encode(h::bytea, 'hex'), n) AS p
FROM (SELECT h FROM g ORDER BY h::bytea OFFSET 4242 LIMIT 2) s, generate_series(0, 64) AS n;
INSERT INTO prefixes
SELECT left(encode(pg_temp.rand_bytes(4), 'hex'), 1 + i % 5) FROM generate_series(0, 39) AS i;
INSERT INTO prefixes VALUES ('0'), ('f'), ('FF'), ('0xab'), ('0XAB'), ('\xabc'), ('0x'),
	('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'),
	('0000000000000000000000000000000000000000000000000000000000000000');

-- The hits of every prefix, one query per prefix (so each can use the index)
CREATE FUNCTION pg_temp.prefix_hits() RETURNS TABLE (p text, h wes_hash) LANGUAGE plpgsql AS $$
DECLARE
	q text;
BEGIN
	FOR q IN SELECT DISTINCT x.p FROM prefixes x LOOP
		RETURN QUERY EXECUTE 'SELECT $1, h FROM g WHERE h ^@ ' || quote_literal(q) USING q;
	END LOOP;
END
$$;

SELECT pg_temp.scan_with('index only');
SELECT matches(pg_temp.plan_of($$SELECT h FROM g WHERE h ^@ 'abc'$$), 'Index Cond: \(h \^@ ''abc''::text\)',
			   'GiST serves h ^@ prefix');
SELECT matches(pg_temp.plan_of($$SELECT h FROM g WHERE h ^@ 'abc'$$), 'Index Only Scan using g_gist',
			   'GiST prefix search is an index-only scan (fetch gives the values back)');
CREATE TEMP TABLE via_index AS SELECT * FROM pg_temp.prefix_hits();
SELECT pg_temp.scan_with('seq');
SELECT matches(pg_temp.plan_of($$SELECT h FROM g WHERE h ^@ 'abc'$$), 'Seq Scan on g', 'the comparison runs a sequential scan');
CREATE TEMP TABLE via_seq AS SELECT * FROM pg_temp.prefix_hits();
SELECT pg_temp.scan_with('any');
SELECT set_eq('SELECT * FROM via_index', 'SELECT * FROM via_seq',
			  'GiST prefix search returns exactly what a sequential scan returns over 100k random hashes');
CREATE TEMP TABLE g_hex AS SELECT h, encode(h::bytea, 'hex') AS hex FROM g;
SELECT set_eq($$SELECT * FROM via_index WHERE p !~ '^(0x|0X|\\x)' AND (length(p) <= 6 OR length(p) >= 63)$$,
			  $$SELECT x.p, g_hex.h FROM (SELECT DISTINCT p, lower(p) || '%' AS pattern FROM prefixes
						WHERE p !~ '^(0x|0X|\\x)' AND (length(p) <= 6 OR length(p) >= 63)) x
				JOIN g_hex ON g_hex.hex LIKE x.pattern$$,
			  'and that is the hashes whose hex starts with the prefix (prefixes of 0-6 and 63-64 digits)');
SELECT cmp_ok((SELECT count(DISTINCT p) FROM via_index WHERE length(p) BETWEEN 3 AND 40), '>', 20::bigint,
			  'many prefixes of various lengths had hits');
SELECT is((SELECT count(*) FROM via_index WHERE p = '0x'), 100000::bigint, 'the empty prefix matches every hash');
-- The same through an index built by CREATE INDEX over the data (sorted build)
DROP INDEX g_gist;
CREATE INDEX g_sorted ON g USING gist (h);
SELECT pg_temp.scan_with('index only');
SELECT matches(pg_temp.plan_of($$SELECT h FROM g WHERE h ^@ 'abc'$$), 'Index Only Scan using g_sorted',
			   'the index built over the data serves the prefix search');
SELECT set_eq('SELECT * FROM pg_temp.prefix_hits()', 'SELECT * FROM via_seq',
			  'and returns exactly what a sequential scan returns');
DROP INDEX g_sorted;
CREATE INDEX g_gist ON g USING gist (h);
SELECT pg_temp.scan_with('any');
SELECT is(ARRAY(SELECT count(*) FROM via_index WHERE p = x GROUP BY p ORDER BY p),
		  ARRAY(SELECT count(*) FROM g_hex WHERE hex LIKE y || '%'),
		  format('%s finds the hashes starting with %s', x, y))
FROM (VALUES ('0xab', 'ab'), ('0XAB', 'ab'), ('\xabc', 'abc'), ('FF', 'ff')) AS v(x, y);

-- Equality and order through GiST give the sequential scan's rows
CREATE TEMP TABLE probe AS SELECT h FROM g ORDER BY h::bytea OFFSET 31337 LIMIT 1;
CREATE FUNCTION pg_temp.order_counts() RETURNS bigint[] LANGUAGE sql AS $$
	SELECT ARRAY[(SELECT count(*) FROM g WHERE h = (SELECT h FROM probe)),
				 (SELECT count(*) FROM g WHERE h < (SELECT h FROM probe)),
				 (SELECT count(*) FROM g WHERE h <= (SELECT h FROM probe)),
				 (SELECT count(*) FROM g WHERE h > (SELECT h FROM probe)),
				 (SELECT count(*) FROM g WHERE h >= (SELECT h FROM probe)),
				 (SELECT count(*) FROM g WHERE h <> (SELECT h FROM probe)),
				 (SELECT count(*) FROM g WHERE h BETWEEN 'a000000000000000000000000000000000000000000000000000000000000000'
												   AND 'a0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff')]
$$;
SELECT matches(pg_temp.plan_of(format('SELECT * FROM g WHERE h = %L', (SELECT h FROM probe))), 'Index Only Scan using g_gist',
			   'GiST serves wes_hash equality');
SELECT matches(pg_temp.plan_of($$SELECT * FROM g WHERE h BETWEEN 'a000000000000000000000000000000000000000000000000000000000000000'
												   AND 'a0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'$$),
			   '(Index Only Scan using|Bitmap Index Scan on) g_gist', 'GiST serves a wes_hash range');
SELECT pg_temp.scan_with('index');
CREATE TEMP TABLE counts_index AS SELECT pg_temp.order_counts() AS c;
SELECT pg_temp.scan_with('seq');
SELECT is((SELECT c FROM counts_index), pg_temp.order_counts(),
		  'GiST = < <= > >= <> BETWEEN count what a sequential scan counts');
SELECT pg_temp.scan_with('any');
SELECT is((SELECT c[1:2] FROM counts_index), ARRAY[1, 31337]::bigint[], 'and the counts are right');

-- Outputs: outpoint, owner and live range [created, spent) in GiST indexes
CREATE TEMP TABLE outs (
	op wes_outpoint NOT NULL,
	owner wes_address NOT NULL,
	live int8range NOT NULL,
	EXCLUDE USING gist (op WITH =, live WITH &&)
);
CREATE INDEX outs_owner_live ON outs USING gist (owner, live);
CREATE TEMP TABLE owners AS SELECT pg_temp.rand_bytes(20)::wes_address AS owner FROM generate_series(1, 50);
INSERT INTO outs
SELECT wes_outpoint(t.txid, i), (SELECT array_agg(owner) FROM owners)[1 + (t.n * 7 + i) % 50],
	   int8range(t.n, CASE WHEN (t.n + i) % 3 = 0 THEN NULL ELSE t.n + 1 + (t.n * 31 + i) % 500 END)
FROM (SELECT n, pg_temp.rand_bytes(32)::wes_hash AS txid FROM generate_series(1, 5000) AS n) t, generate_series(0, 3) AS i;
ANALYZE outs;

SELECT lives_ok($$INSERT INTO outs SELECT op, owner, int8range(upper(live), NULL) FROM outs WHERE upper(live) IS NOT NULL LIMIT 1$$,
				'an outpoint may live again after its range ends (no overlap)');
SELECT throws_ok($$INSERT INTO outs SELECT op, owner, int8range(lower(live), lower(live) + 1) FROM outs LIMIT 1$$, '23P01', NULL,
				 'exclusion constraint (op WITH =, live WITH &&) rejects an overlapping life of the same outpoint');
SELECT lives_ok($$INSERT INTO outs SELECT wes_outpoint(wes_outpoint_txid(op), 4294967295), owner, live FROM outs LIMIT 1$$,
				'another outpoint of the same transaction may overlap');

CREATE FUNCTION pg_temp.owner_at(h bigint) RETURNS TABLE (owner wes_address, n bigint) LANGUAGE sql AS $$
	SELECT o.owner, (SELECT count(*) FROM outs WHERE outs.owner = o.owner AND live @> h) FROM owners o
$$;
SELECT matches(pg_temp.plan_of(format('SELECT * FROM outs WHERE owner = %L AND live @> 2500::bigint', (SELECT owner FROM owners LIMIT 1))),
			   'Index Cond: \(\(owner = ''[0-9a-f]{40}''::wes_address\) AND \(live @> ''2500''::bigint\)\)',
			   'multicolumn GiST (owner, live) serves "owner = X and alive at height H"');
SELECT pg_temp.scan_with('index');
CREATE TEMP TABLE alive_index AS SELECT h, a.* FROM generate_series(0, 5200, 400) AS h, pg_temp.owner_at(h) a;
SELECT pg_temp.scan_with('seq');
SELECT set_eq('SELECT * FROM alive_index',
			  'SELECT h, o.owner, count(x.op) FROM generate_series(0, 5200, 400) AS h CROSS JOIN owners o
			   LEFT JOIN outs x ON x.owner = o.owner AND x.live @> h::bigint GROUP BY h, o.owner',
			  'owners'' outputs alive at a height: GiST gives what a sequential scan gives');
SELECT pg_temp.scan_with('any');
SELECT cmp_ok((SELECT sum(n) FROM alive_index), '>', 1000::numeric, 'and those are many outputs');

SELECT matches(pg_temp.plan_of(format('SELECT * FROM outs WHERE op = %L', (SELECT op FROM outs LIMIT 1))),
			   '(Index Scan using|Bitmap Index Scan on) outs_op_live_excl', 'the exclusion index serves outpoint equality');
CREATE TEMP TABLE tx AS SELECT wes_outpoint_txid(op) AS txid FROM outs ORDER BY op::bytea OFFSET 777 LIMIT 1;
SELECT pg_temp.scan_with('index');
SELECT matches(pg_temp.plan_of('SELECT op FROM outs, tx WHERE op BETWEEN wes_outpoint(tx.txid, 0) AND wes_outpoint(tx.txid, 4294967295)'),
			   'outs_op_live_excl', 'GiST serves the outpoint range of one transaction');
SELECT set_eq('SELECT op FROM outs, tx WHERE op BETWEEN wes_outpoint(tx.txid, 0) AND wes_outpoint(tx.txid, 4294967295)',
			  'SELECT op FROM outs, tx WHERE wes_outpoint_txid(op) = tx.txid',
			  'the GiST outpoint range holds exactly the outputs of the transaction');
SELECT pg_temp.scan_with('any');

SELECT * FROM finish();
ROLLBACK;
