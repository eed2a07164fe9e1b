-- wes_api.search and a resource that several outputs declare: one row, at the height
-- of the first declaration, however many declare it and whatever max_rows says.
\ir lib/session.sql

BEGIN;
SELECT plan(6);
\ir lib/blocks.sql

-- r is declared twice in block 0 and once more in block 1, next to s
CREATE TEMP TABLE res AS
SELECT decode('c0ffee' || repeat('11', 29), 'hex') AS r, decode('c0ffee' || repeat('22', 29), 'hex') AS s;
CREATE FUNCTION pg_temp.declare(ref bytea, tag text) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.tx('{}', ARRAY[pg_temp.output(1, 0, pg_temp.resource_meta(), ref => ref)], convert_to(tag, 'UTF8'))
$$;
SELECT ok(wes_write_block(pg_temp.with_writer_state_root(pg_temp.next_block(ARRAY[pg_temp.declare(r, 'a'), pg_temp.declare(r, 'b')]))) IS NOT NULL,
		  'block 0 declares r twice')
FROM res;
SELECT ok(wes_write_block(pg_temp.with_writer_state_root(pg_temp.next_block(ARRAY[pg_temp.declare(r, 'c'), pg_temp.declare(s, 'd')]))) IS NOT NULL,
		  'block 1 declares r again, and s')
FROM res;
SELECT is((SELECT array_agg(created_height ORDER BY created_height) FROM wes_api.resources WHERE content_hash::bytea = r),
		  ARRAY[0, 0, 1]::bigint[], 'wes_api.resources has each declaration of r')
FROM res;

SELECT is((SELECT array_agg(s.hash::text || '@' || s.block_height ORDER BY s.hash) FROM wes_api.search('c0ffee') s WHERE s.kind = 'resource'),
		  (SELECT ARRAY[encode(r, 'hex') || '@0', encode(s, 'hex') || '@1'] FROM res),
		  'search finds r once, at the height of its first declaration, and s');
SELECT is((SELECT array_agg(s.hash::text || '@' || s.block_height) FROM wes_api.search('C0FFEE1', 1) s WHERE s.kind = 'resource'),
		  (SELECT ARRAY[encode(r, 'hex') || '@0'] FROM res), 'with max_rows 1: r once');
SELECT is((SELECT count(*) FROM wes_api.search('c0ffee2') s WHERE s.kind = 'resource'), 1::bigint, 'a longer prefix: s alone');

SELECT * FROM finish();
ROLLBACK;
