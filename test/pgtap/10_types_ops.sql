-- wes_hash, wes_address, wes_outpoint: comparison operators against bytea
-- order, outpoint order, sorting (abbreviated keys), hash and merge joins,
-- B-tree and hash index scans for equality, ranges and hex prefixes, errors.
\ir lib/session.sql

BEGIN;
SELECT plan(54);
\ir lib/plans_and_bytes.sql

SELECT setseed(0.25);

-- Values that probe the edges of byte order: all-zero, all-0xff, differing
-- only in the first or the last byte, bytes with the high bit set, and random
CREATE TEMP TABLE edge (b bytea);
INSERT INTO edge
SELECT substr(v, 1, 36) FROM (VALUES
	(decode(repeat('00', 36), 'hex')),
	(decode(repeat('ff', 36), 'hex')),
	(decode('01' || repeat('00', 35), 'hex')),
	(decode(repeat('00', 35) || '01', 'hex')),
	(decode('80' || repeat('00', 35), 'hex')),
	(decode('7f' || repeat('ff', 35), 'hex')),
	(decode(repeat('00', 19) || '80' || repeat('00', 16), 'hex')),
	(decode(repeat('00', 31) || '80' || repeat('00', 4), 'hex')),
	(decode(repeat('00', 32) || '80000000', 'hex')),
	(decode(repeat('00', 32) || '7fffffff', 'hex')),
	(decode(repeat('00', 32) || '00000100', 'hex')),
	(decode(repeat('00', 32) || '00000005', 'hex'))) AS v(v)
UNION ALL SELECT pg_temp.rand_bytes(36) FROM generate_series(1, 60);
CREATE TEMP TABLE vals AS
SELECT substr(b, 1, 32)::wes_hash AS h, substr(b, 1, 20)::wes_address AS a, b::wes_outpoint AS o FROM edge;

-- How many pairs of edge values a type's operators and cmp order unlike their bytes
CREATE FUNCTION pg_temp.order_mismatches(typ text, len int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE format($q$
		SELECT count(*)
		FROM (SELECT substr(x.b, 1, %2$s) AS xb, substr(y.b, 1, %2$s) AS yb FROM edge x, edge y) p,
			 LATERAL (SELECT xb::%1$s AS xv, yb::%1$s AS yv) v
		WHERE ARRAY[xv < yv, xv <= yv, xv = yv, xv <> yv, xv >= yv, xv > yv,
					sign(%1$s_cmp(xv, yv)) = sign(byteacmp(xb, yb))]
			  IS DISTINCT FROM ARRAY[xb < yb, xb <= yb, xb = yb, xb <> yb, xb >= yb, xb > yb, true]
	$q$, typ, len) INTO n;
	RETURN n;
END
$$;
SELECT is(pg_temp.order_mismatches(t, len), 0::bigint,
		  format('%s: < <= = <> >= > and cmp agree with the order of the bytes on all pairs', t))
FROM (VALUES ('wes_hash', 32), ('wes_address', 20), ('wes_outpoint', 36)) AS v(t, len);

-- Equal values hash alike, and the hash is not constant
SELECT ok(bool_and(wes_hash_hash(h) = wes_hash_hash(h::text::wes_hash))
		  AND bool_and(wes_address_hash_extended(a, 7) = wes_address_hash_extended(a::bytea::wes_address, 7))
		  AND count(DISTINCT wes_outpoint_hash(o)) = count(DISTINCT o),
		  'equal values hash alike; distinct values hash apart')
FROM vals;

-- Outpoints sort by txid bytes, then by index as an unsigned number
SELECT is(array_agg(o ORDER BY o)::text[], ARRAY[
	'0000000000000000000000000000000000000000000000000000000000000000:0',
	'0000000000000000000000000000000000000000000000000000000000000000:5',
	'0000000000000000000000000000000000000000000000000000000000000000:256',
	'0000000000000000000000000000000000000000000000000000000000000000:2147483648',
	'0000000000000000000000000000000000000000000000000000000000000000:4294967295',
	'0000000000000000000000000000000000000000000000000000000000000001:0',
	'8000000000000000000000000000000000000000000000000000000000000000:1'],
	'outpoints sort by txid, then index (unsigned)')
FROM (VALUES ('0000000000000000000000000000000000000000000000000000000000000001:0'::wes_outpoint),
			 ('0000000000000000000000000000000000000000000000000000000000000000:4294967295'),
			 ('0000000000000000000000000000000000000000000000000000000000000000:256'),
			 ('8000000000000000000000000000000000000000000000000000000000000000:1'),
			 ('0000000000000000000000000000000000000000000000000000000000000000:2147483648'),
			 ('0000000000000000000000000000000000000000000000000000000000000000:5'),
			 ('0000000000000000000000000000000000000000000000000000000000000000:0')) AS v(o);

-- Big sorts (abbreviated keys on the first 8 bytes): 100k random hashes, and
-- 30k outpoints of 12 transactions (abbreviation gives up: few distinct prefixes)
CREATE TEMP TABLE big AS
SELECT pg_temp.rand_bytes(32)::wes_hash AS h FROM generate_series(1, 100000);
CREATE TEMP TABLE txids AS SELECT pg_temp.rand_bytes(32)::wes_hash AS txid FROM generate_series(1, 12);
CREATE TEMP TABLE ops AS
SELECT wes_outpoint(txid, (random() * 4294967295)::bigint) AS o FROM txids, generate_series(1, 2500);
ANALYZE big;
ANALYZE ops;
SELECT is(count(*), 0::bigint, 'sorting 100k hashes gives the order of their bytes')
FROM (SELECT row_number() OVER (ORDER BY h) AS r1, row_number() OVER (ORDER BY h::bytea) AS r2 FROM big) s
WHERE r1 <> r2;
SELECT is(count(*), 0::bigint, 'sorting 30k outpoints of 12 transactions gives txid, then index order')
FROM (SELECT row_number() OVER (ORDER BY o) AS r1,
			 row_number() OVER (ORDER BY wes_outpoint_txid(o)::bytea, wes_outpoint_index(o), o::bytea) AS r2
	  FROM ops) s
WHERE r1 <> r2;
SELECT is((SELECT array_agg(h ORDER BY h DESC) FROM (SELECT h FROM big ORDER BY h DESC LIMIT 5) s),
		  (SELECT array_agg(h ORDER BY h::bytea DESC) FROM (SELECT h FROM big ORDER BY h::bytea DESC LIMIT 5) s),
		  'top-N sort (DESC) agrees with byte order');

-- Joins: hash join and merge join, each type, with the right row count
CREATE TEMP TABLE l AS
SELECT pg_temp.rand_bytes(32)::wes_hash AS h, pg_temp.rand_bytes(20)::wes_address AS a,
	   pg_temp.rand_bytes(36)::wes_outpoint AS o
FROM generate_series(1, 3000);
CREATE TEMP TABLE r AS
SELECT h, a, o FROM l WHERE random() < 0.5
UNION ALL
SELECT pg_temp.rand_bytes(32)::wes_hash, pg_temp.rand_bytes(20)::wes_address, pg_temp.rand_bytes(36)::wes_outpoint
FROM generate_series(1, 1000);
ANALYZE l;
ANALYZE r;
CREATE TEMP TABLE join_expected AS
SELECT count(*) AS n FROM l JOIN r ON l.h::bytea = r.h::bytea AND l.a::bytea = r.a::bytea AND l.o::bytea = r.o::bytea;

-- The plan and row count of "l JOIN r USING (col)" when only one join method is allowed
CREATE FUNCTION pg_temp.join_with(method text, col text, OUT plan text, OUT n bigint) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('enable_hashjoin', (method = 'Hash Join')::text, true),
			set_config('enable_mergejoin', (method = 'Merge Join')::text, true),
			set_config('enable_nestloop', 'false', true);
	plan := pg_temp.plan_of(format('SELECT * FROM l JOIN r USING (%I)', col));
	EXECUTE format('SELECT count(*) FROM l JOIN r USING (%I)', col) INTO n;
	PERFORM set_config('enable_hashjoin', 'true', true),
			set_config('enable_mergejoin', 'true', true),
			set_config('enable_nestloop', 'true', true);
END
$$;
SELECT collect_tap(matches(j.plan, m, format('equality on %s can be a %s', t, m)),
				   is(j.n, (SELECT n FROM join_expected), format('%s on %s finds every match', m, t)))
FROM (VALUES ('Hash Join'), ('Merge Join')) AS m(m),
	 (VALUES ('h', 'wes_hash'), ('a', 'wes_address'), ('o', 'wes_outpoint')) AS c(c, t),
	 LATERAL pg_temp.join_with(m, c) AS j
ORDER BY m, t;
SET LOCAL enable_sort = off;
SELECT matches(pg_temp.plan_of('SELECT o, count(*) FROM (SELECT o FROM l UNION ALL SELECT o FROM r) s GROUP BY o'),
			   'HashAggregate', 'GROUP BY a wes_outpoint can hash-aggregate');
SELECT is((SELECT count(*) FROM (SELECT o FROM (SELECT o FROM l UNION ALL SELECT o FROM r) s GROUP BY o) g),
		  (SELECT count(DISTINCT o::bytea) FROM (SELECT o FROM l UNION ALL SELECT o FROM r) s),
		  'hash aggregation groups equal outpoints');
RESET enable_sort;

-- B-tree: equality, range and prefix searches are index scans, with the right rows
CREATE INDEX big_h_btree ON big (h);
ANALYZE big;
CREATE TEMP TABLE probe AS SELECT h FROM big ORDER BY h::bytea OFFSET 54321 LIMIT 1;
SELECT matches(pg_temp.plan_of(format('SELECT * FROM big WHERE h = %L', (SELECT h FROM probe))),
			   pg_temp.index_re('big_h_btree'), 'B-tree serves wes_hash equality');
SELECT is((SELECT count(*) FROM big WHERE h = (SELECT h FROM probe)), 1::bigint, 'B-tree equality finds the value');
SELECT matches(pg_temp.plan_of($$SELECT * FROM big WHERE h BETWEEN 'abc0000000000000000000000000000000000000000000000000000000000000' AND 'abd0000000000000000000000000000000000000000000000000000000000000'$$),
			   pg_temp.index_re('big_h_btree'), 'B-tree serves a wes_hash range');
SELECT is((SELECT count(*) FROM big WHERE h BETWEEN 'abc0000000000000000000000000000000000000000000000000000000000000' AND 'abd0000000000000000000000000000000000000000000000000000000000000'),
		  (SELECT count(*) FROM big WHERE h::bytea BETWEEN '\xabc0000000000000000000000000000000000000000000000000000000000000'::bytea
													  AND '\xabd0000000000000000000000000000000000000000000000000000000000000'::bytea),
		  'B-tree range finds the rows of the byte range');
SELECT matches(pg_temp.plan_of($$SELECT * FROM big WHERE h ^@ '0xABC'$$),
			   pg_temp.index_re('big_h_btree') || E'[^\\n]*\\n\\s+Index Cond: \\(\\(h >= ''abc0{61}''::wes_hash\\) AND \\(h <= ''abcf{61}''::wes_hash\\)\\)',
			   'B-tree serves h ^@ prefix as the range [prefix00.., prefixff..]');
SELECT matches(pg_temp.plan_of($$SELECT * FROM big WHERE wes_hash_starts_with(h, 'abc')$$),
			   pg_temp.index_re('big_h_btree'), 'B-tree serves wes_hash_starts_with() too');
SELECT matches(pg_temp.plan_of($$SELECT * FROM big WHERE h BETWEEN wes_hash_prefix_lower('abc') AND wes_hash_prefix_upper('abc')$$),
			   pg_temp.index_re('big_h_btree'), 'B-tree serves BETWEEN wes_hash_prefix_lower() AND wes_hash_prefix_upper()');

-- Prefix search through the B-tree returns what the bytes' hex says, for prefixes of every length
CREATE TEMP TABLE prefixes AS
SELECT DISTINCT left(encode(h::bytea, 'hex'), n) AS p
FROM (SELECT h FROM big ORDER BY h::bytea OFFSET 777 LIMIT 3) s, generate_series(1, 8) AS n
UNION SELECT 'f' UNION SELECT '0' UNION SELECT 'ffff' UNION SELECT '12345';
CREATE FUNCTION pg_temp.prefix_hits() RETURNS TABLE (p text, h wes_hash) LANGUAGE plpgsql AS $$
DECLARE
	q text;
BEGIN
	FOR q IN SELECT x.p FROM prefixes x LOOP
		RETURN QUERY EXECUTE 'SELECT $1, h FROM big WHERE h ^@ ' || quote_literal(q) USING q;
	END LOOP;
END
$$;
SELECT set_eq('SELECT * FROM pg_temp.prefix_hits()',
			  $$SELECT x.p, big.h FROM prefixes x JOIN big ON encode(big.h::bytea, 'hex') LIKE x.p || '%'$$,
			  'B-tree prefix search returns exactly the hashes whose hex starts with the prefix');
SELECT is((SELECT count(*) FROM big WHERE h ^@ upper('0X' || p)), (SELECT count(*) FROM big WHERE h ^@ p),
		  format('prefix %s: upper case and 0X find the same rows', p))
FROM prefixes WHERE length(p) = 3 LIMIT 1;

-- A prefix that is not a constant: the B-tree still serves it, with bounds computed when
-- the scan starts (wes_hash_prefix_lower/upper of the value)
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE by_prefix(text) AS SELECT h FROM big WHERE h ^@ $1;
SELECT matches(pg_temp.plan_of($$EXECUTE by_prefix('abc')$$),
			   pg_temp.index_re('big_h_btree') || E'[^\\n]*\\n\\s+Index Cond: \\(\\(h >= wes_hash_prefix_lower\\(\\$1\\)\\) AND \\(h <= wes_hash_prefix_upper\\(\\$1\\)\\)\\)',
			   'a generic plan of h ^@ $1 is a range of the B-tree, its bounds computed from the parameter');
SELECT set_eq($$EXECUTE by_prefix('0xABC')$$, $$SELECT h FROM big WHERE encode(h::bytea, 'hex') LIKE 'abc%'$$,
			  'and finds exactly the hashes with that prefix');
SELECT is_empty('EXECUTE by_prefix(NULL)', 'a NULL prefix as a parameter finds nothing');
SELECT throws_ok($$EXECUTE by_prefix('xyz')$$, '22P02', 'invalid input syntax for wes_hash prefix: "xyz"',
				 'a bad hex prefix as a parameter is 22P02');
RESET plan_cache_mode;
SET LOCAL enable_seqscan = off;
SELECT matches(pg_temp.plan_of('SELECT count(*) FROM prefixes x JOIN big ON big.h ^@ x.p'),
			   'Index Cond: \(\(h >= wes_hash_prefix_lower\(x\.p\)\)', 'in a join, each row''s prefix can probe the B-tree');
SELECT is((SELECT count(*) FROM prefixes x JOIN big ON big.h ^@ x.p),
		  (SELECT count(*) FROM prefixes x JOIN big ON encode(big.h::bytea, 'hex') LIKE x.p || '%'),
		  'and the join finds each prefix''s hashes');
SELECT doesnt_match(pg_temp.plan_of($$SELECT count(*) FROM big WHERE h ^@ left(encode(h::bytea, 'hex'), 3)$$),
					'Index Cond', 'a prefix read from the indexed row itself is no index condition');
SELECT is((SELECT count(*) FROM big WHERE h ^@ left(encode(h::bytea, 'hex'), 3)), (SELECT count(*) FROM big),
		  'and holds for every row');
RESET enable_seqscan;

-- Indexes on the other types: B-tree and hash
CREATE TEMP TABLE addr AS SELECT pg_temp.rand_bytes(20)::wes_address AS a, pg_temp.rand_bytes(36)::wes_outpoint AS o
FROM generate_series(1, 20000);
CREATE INDEX addr_a_btree ON addr (a);
CREATE INDEX addr_o_hash ON addr USING hash (o);
ANALYZE addr;
SELECT matches(pg_temp.plan_of(format('SELECT * FROM addr WHERE a = %L', (SELECT a FROM addr LIMIT 1))),
			   pg_temp.index_re('addr_a_btree'), 'B-tree serves wes_address equality');
SELECT matches(pg_temp.plan_of($$SELECT * FROM addr WHERE a ^@ '7f'$$),
			   pg_temp.index_re('addr_a_btree'), 'B-tree serves wes_address ^@ prefix');
SELECT is((SELECT count(*) FROM addr WHERE a ^@ '7f'), (SELECT count(*) FROM addr WHERE encode(a::bytea, 'hex') LIKE '7f%'),
		  'wes_address prefix search finds the addresses whose hex starts with the prefix');
SELECT matches(pg_temp.plan_of(format('SELECT * FROM addr WHERE o = %L', (SELECT o FROM addr LIMIT 1))),
			   pg_temp.index_re('addr_o_hash'), 'hash index serves wes_outpoint equality');
SELECT is((SELECT count(*) FROM addr x WHERE x.o = (SELECT o FROM addr ORDER BY o LIMIT 1 OFFSET 100)), 1::bigint,
		  'hash index equality finds the outpoint');

-- Outputs of one transaction: an outpoint range on the B-tree
CREATE INDEX ops_btree ON ops (o);
ANALYZE ops;
SELECT matches(pg_temp.plan_of(format('SELECT * FROM ops WHERE o BETWEEN wes_outpoint(%L, 0) AND wes_outpoint(%L, 4294967295)',
									 (SELECT txid FROM txids LIMIT 1), (SELECT txid FROM txids LIMIT 1))),
			   pg_temp.index_re('ops_btree'), 'B-tree serves the outpoint range of one transaction');
SELECT is((SELECT count(*) FROM ops, (SELECT txid FROM txids LIMIT 1) t
		   WHERE o BETWEEN wes_outpoint(t.txid, 0) AND wes_outpoint(t.txid, 4294967295)),
		  (SELECT count(*) FROM ops, (SELECT txid FROM txids LIMIT 1) t WHERE wes_outpoint_txid(o) = t.txid),
		  'the outpoint range of one transaction holds exactly its outputs');

-- Errors and their SQLSTATEs
SELECT throws_ok($$SELECT 'abc'::wes_hash$$, '22P02', 'invalid input syntax for type wes_hash: "abc"', 'bad wes_hash text is 22P02');
SELECT throws_ok($$SELECT '0123456789abcdef0123456789abcdef0123456'::wes_address$$, '22P02',
				 'invalid input syntax for type wes_address: "0123456789abcdef0123456789abcdef0123456"', 'bad wes_address text is 22P02');
SELECT throws_ok($$SELECT '0000000000000000000000000000000000000000000000000000000000000000:4294967296'::wes_outpoint$$, '22P02',
				 'invalid input syntax for type wes_outpoint: "0000000000000000000000000000000000000000000000000000000000000000:4294967296"',
				 'an overlong outpoint index is 22P02');
SELECT throws_ok($$SELECT '0000000000000000000000000000000000000000000000000000000000000000'::wes_outpoint$$, '22P02',
				 'invalid input syntax for type wes_outpoint: "0000000000000000000000000000000000000000000000000000000000000000"',
				 'an outpoint without a colon is 22P02');
SELECT throws_ok($$SELECT '\x0011'::bytea::wes_hash$$, '22P03', 'invalid bytea length for type wes_hash: 2 bytes',
				 'a bytea of the wrong length is 22P03');
SELECT throws_ok($$SELECT count(*) FROM big WHERE h ^@ 'xyz'$$, '22P02', 'invalid input syntax for wes_hash prefix: "xyz"',
				 'a bad hex prefix is 22P02, also when an index would serve it');
SELECT throws_ok($$SELECT wes_outpoint('0000000000000000000000000000000000000000000000000000000000000000', -1)$$, '22003',
				 'output index -1 is out of range for type wes_outpoint', 'a negative index is 22003');
SELECT is(wes_outpoint_index(wes_outpoint(h, 4294967295)), 4294967295::bigint, 'the largest index survives the round trip')
FROM probe;

SELECT * FROM finish();
ROLLBACK;
