-- wes_api.receipts and wes_api.resources over the vectors' chain, against the stored
-- raw bytes parsed independently here in SQL; the decoding functions on hand-built
-- bytes; index use; what a wes_reader sees.
\ir lib/session.sql

BEGIN;
SELECT plan(30);
\ir lib/plans_and_bytes.sql

\ir lib/vector_file.sql
CREATE TEMP TABLE vresources AS
SELECT r.key AS content_hash, decode(r.value, 'hex') AS content FROM v, jsonb_each_text(j->'resources') r;

-- ---- an independent reading of the wire format, in SQL ----
CREATE FUNCTION pg_temp.le(b bytea, off int, n int) RETURNS numeric
LANGUAGE sql IMMUTABLE RETURN (SELECT sum(get_byte(b, off + i)::numeric * 256::numeric ^ i) FROM generate_series(0, n - 1) i);

-- A receipt: status u8, fee u64, return_data bytes, n_logs u32, (topic hash, data bytes) each
CREATE FUNCTION pg_temp.receipt(raw bytea, OUT status text, OUT fee numeric, OUT return_data bytea, OUT logs jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	pos int;
	n int;
	len int;
BEGIN
	status := CASE get_byte(raw, 0) WHEN 0 THEN 'success' WHEN 1 THEN 'failure' END;
	fee := pg_temp.le(raw, 1, 8);
	len := pg_temp.le(raw, 9, 4);
	return_data := substr(raw, 14, len);
	pos := 13 + len;
	n := pg_temp.le(raw, pos, 4);
	pos := pos + 4;
	logs := '[]';
	FOR i IN 1 .. n LOOP
		len := pg_temp.le(raw, pos + 32, 4);
		logs := logs || jsonb_build_array(jsonb_build_object(
			'topic', encode(substr(raw, pos + 1, 32), 'hex'),
			'data', encode(substr(raw, pos + 37, len), 'hex')));
		pos := pos + 36 + len;
	END LOOP;
END
$$;

-- Resource metadata: resource_type u8, size u64, media_type text, name text
CREATE FUNCTION pg_temp.meta(d bytea, OUT resource_type text, OUT size numeric, OUT media_type text, OUT name text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	mlen int := pg_temp.le(d, 9, 4);
BEGIN
	resource_type := (ARRAY['file', 'wasm', 'onnx'])[get_byte(d, 0) + 1];
	size := pg_temp.le(d, 1, 8);
	media_type := convert_from(substr(d, 14, mlen), 'UTF8');
	name := convert_from(substr(d, 18 + mlen, pg_temp.le(d, 13 + mlen, 4)::int), 'UTF8');
END
$$;

SELECT is((SELECT count(*) FROM (SELECT wes_write_block(raw) FROM vblocks ORDER BY height) w), 12::bigint,
		  'the vectors'' 12 blocks are written');

-- ---- receipts ----
SELECT is((SELECT count(*) FROM wes_api.receipts), (SELECT sum(tx_count) FROM vblocks),
		  'wes_api.receipts has one row per transaction');
SELECT is((SELECT count(*) FROM wes.transactions t
		   WHERE NOT EXISTS (SELECT FROM vblocks b WHERE b.height = t.block_height AND position(t.receipt IN b.raw) > 0)),
		  0::bigint, 'every stored receipt is bytes of its vector block (so reading them below reads the vectors)');
SELECT set_eq(
	'SELECT txid, status, fee, return_data, logs FROM wes_api.receipts',
	'SELECT t.txid, p.status, p.fee, p.return_data, p.logs FROM wes.transactions t, pg_temp.receipt(t.receipt) p',
	'status, fee, return_data and logs are what the raw receipts say');
SELECT set_eq('SELECT txid, block_height, tx_index FROM wes_api.receipts',
			  'SELECT txid, block_height, tx_index FROM wes.transactions',
			  'each receipt sits at its transaction''s height and position');
SELECT is((SELECT array_agg(DISTINCT status ORDER BY status) FROM wes_api.receipts), ARRAY['failure', 'success'],
		  'statuses are success and failure (the vectors have both)');
SELECT ok((SELECT sum(jsonb_array_length(logs)) FROM wes_api.receipts) > 10, 'the vectors'' receipts carry logs');
SELECT is((SELECT count(*) FROM wes_api.receipts WHERE jsonb_typeof(logs) <> 'array'), 0::bigint,
		  'logs is an array even when empty');

-- Hand-built: status 1, fee 2^64-1, return_data 'abc', two logs
CREATE TEMP TABLE rc AS SELECT
	'\x01ffffffffffffffff0300000061626302000000010101010101010101010101010101010101010101010101010101010101010100000000020202020202020202020202020202020202020202020202020202020202020202000000beef'::bytea AS raw;
SELECT is((SELECT wes.receipt_return_data(raw) FROM rc), '\x616263'::bytea, 'wes.receipt_return_data of a hand-built receipt');
SELECT is((SELECT wes.receipt_logs(raw) FROM rc),
		  jsonb_build_array(jsonb_build_object('topic', repeat('01', 32), 'data', ''),
							jsonb_build_object('topic', repeat('02', 32), 'data', 'beef')),
		  'wes.receipt_logs of a hand-built receipt');
SELECT is((SELECT wes.receipt_logs(raw) FROM rc), (SELECT (pg_temp.receipt(raw)).logs FROM rc),
		  'and the independent reading agrees');
SELECT throws_ok($$SELECT wes.receipt_logs(substr(raw, 1, 20)) FROM rc$$, '22P03', NULL,
				 'a truncated receipt is 22P03');

-- ---- resources ----
SELECT set_eq('SELECT content_hash::text FROM wes_api.resources', 'SELECT content_hash FROM vresources',
			  'wes_api.resources lists the vectors'' resources');
SELECT set_eq(
	'SELECT outpoint, content_hash, resource_type, media_type, name, size, created_height FROM wes_api.resources',
	'SELECT o.outpoint, o.ref, m.resource_type, m.media_type, m.name, m.size, o.height
	 FROM wes.outputs o, pg_temp.meta(o.data) m WHERE o.kind = 1',
	'type, media type, name, size and height are what the resource outputs'' data say');
SELECT is((SELECT count(*) FROM wes_api.resources r JOIN vresources c ON c.content_hash = r.content_hash::text
		   WHERE r.size <> octet_length(c.content)), 0::bigint,
		  'each declared size is the length of the vector content');
SELECT is((SELECT count(*) FROM wes_api.resources WHERE available), 0::bigint,
		  'no content is available before it is written');
SELECT is((SELECT count(*) FROM (SELECT wes_write_resource(content) FROM vresources ORDER BY content_hash LIMIT 4) w), 4::bigint,
		  'four of the contents are written');
SELECT set_eq('SELECT content_hash::text FROM wes_api.resources WHERE available',
			  'SELECT content_hash FROM vresources ORDER BY content_hash LIMIT 4',
			  'exactly those are available');
SELECT is((SELECT wes.resource_meta('\x01ffffffffffffffff100000006170706c69636174696f6e2f7761736d02000000c2ba'::bytea)::text),
		  '(wasm,18446744073709551615,application/wasm,º)',
		  'wes.resource_meta of hand-built metadata (u64 size at its maximum, UTF-8 name)');

-- ---- served by indexes (tables this small may be read whole, so sequential scans are off) ----
ANALYZE wes.transactions, wes.outputs, wes.resource_content;
SET LOCAL enable_seqscan = off;
SELECT ok(pg_temp.plan_of($$SELECT * FROM wes_api.receipts WHERE txid = '0b3562d4fead41b3fb5466e124c188255fe8bc86dece53a034b0094b4719c933'$$)
		  ~ pg_temp.index_re('transactions_pkey'), 'a receipt by txid is an index scan');
SELECT ok(pg_temp.plan_of($$SELECT * FROM wes_api.resources WHERE content_hash = '0b3562d4fead41b3fb5466e124c188255fe8bc86dece53a034b0094b4719c933'$$)
		  ~ pg_temp.index_re('outputs_resource_idx'), 'a resource by content hash is an index scan');
SELECT ok(pg_temp.plan_of($$SELECT * FROM wes_api.search('0b35')$$) ~ pg_temp.index_re('outputs_resource_idx'),
		  'wes_api.search finds resources through the resource index');
RESET enable_seqscan;

-- ---- wes_api.search: blocks, transactions and resources by hash prefix ----
CREATE TEMP TABLE every_hash AS
SELECT 'block' AS kind, hash, height FROM wes.blocks
UNION ALL SELECT 'transaction', txid, block_height FROM wes.transactions
UNION ALL SELECT 'resource', ref, min(height) FROM wes.outputs WHERE kind = 1 GROUP BY ref;
CREATE TEMP TABLE prefixes AS
SELECT DISTINCT p FROM (SELECT to_hex(d) AS p FROM generate_series(0, 15) d
						UNION ALL SELECT substr(hash::text, 1, 3) FROM every_hash) x;
SELECT is((SELECT count(*) FROM prefixes p
		   WHERE (SELECT array_agg(s.kind || ' ' || s.hash::text || ' ' || s.block_height ORDER BY s.kind, s.hash) FROM wes_api.search(p.p, 100) s)
				 IS DISTINCT FROM
				 (SELECT array_agg(e.kind || ' ' || e.hash::text || ' ' || e.height ORDER BY e.kind, e.hash) FROM every_hash e
				  WHERE starts_with(e.hash::text, p.p))), 0::bigint,
		  'wes_api.search gives exactly the blocks, transactions and resources whose hash starts with the prefix (16 one-digit prefixes, every hash''s first 3 digits)');
SELECT is((SELECT array_agg(s.kind || ' ' || s.hash::text ORDER BY s.kind, s.hash) FROM wes_api.search('0X' || upper(p.p), 2) s),
		  (SELECT array_agg(e.kind || ' ' || e.hash::text ORDER BY e.kind, e.hash)
		   FROM (SELECT e.*, row_number() OVER (PARTITION BY e.kind ORDER BY e.hash) AS n FROM every_hash e
				 WHERE starts_with(e.hash::text, p.p)) e WHERE e.n <= 2),
		  'max_rows bounds each kind to its first hashes, and the prefix may be upper case after 0X')
FROM (SELECT substr(ref::text, 1, 1) AS p FROM wes.outputs WHERE kind = 1 ORDER BY ref LIMIT 1) p;

-- ---- documented, and readable by wes_reader ----
SELECT ok(obj_description('wes_api.receipts'::regclass, 'pg_class') IS NOT NULL
		  AND obj_description('wes_api.resources'::regclass, 'pg_class') IS NOT NULL, 'both views have a comment');
SELECT is((SELECT array_agg(c.relname || '.' || a.attname ORDER BY c.relname, a.attname) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		   WHERE c.oid IN ('wes_api.receipts'::regclass, 'wes_api.resources'::regclass) AND a.attnum > 0
			 AND col_description(c.oid, a.attnum) IS NULL), NULL, 'every column of both has a comment');
SELECT ok(has_table_privilege('wes_reader', 'wes_api.receipts', 'SELECT')
		  AND has_table_privilege('wes_reader', 'wes_api.resources', 'SELECT'), 'wes_reader may select from both');
SELECT sum(tx_count) AS ntx FROM vblocks \gset
SET LOCAL ROLE wes_reader;
SELECT is((SELECT count(*) FROM wes_api.receipts), :ntx::bigint, 'wes_reader reads every receipt');
SELECT is((SELECT count(*) FROM wes_api.resources WHERE available), 4::bigint, 'wes_reader reads the resources');
RESET ROLE;
SELECT is((SELECT string_agg(p.proname || ':' || p.provolatile::text || p.proparallel::text, ' ' ORDER BY p.proname) FROM pg_proc p
		   WHERE p.pronamespace = 'wes'::regnamespace AND p.proname IN ('receipt_logs', 'receipt_return_data', 'resource_meta')),
		  'receipt_logs:is receipt_return_data:is resource_meta:is', 'the decoding functions are IMMUTABLE and PARALLEL SAFE');

SELECT * FROM finish();
ROLLBACK;
