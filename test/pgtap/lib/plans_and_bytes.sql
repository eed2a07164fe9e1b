-- Helpers for pgTAP files (included with \ir after BEGIN): plans as text and
-- repeatable pseudo-random bytes.

-- The plan of a query, as text
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	result text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		result := result || line || E'\n';
	END LOOP;
	RETURN result;
END
$$;

-- A regular expression for "the plan scans index idx" (plain, index-only or bitmap)
CREATE FUNCTION pg_temp.index_re(idx text) RETURNS text LANGUAGE sql AS $$
	SELECT '(Index Only Scan using|Index Scan using|Bitmap Index Scan on) ' || idx || '\M'
$$;

-- n (up to 48) pseudo-random bytes: md5 of random(), so setseed() makes them repeatable
CREATE FUNCTION pg_temp.rand_bytes(n int) RETURNS bytea LANGUAGE sql VOLATILE AS $$
	SELECT substr(decode(md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex'), 1, n)
$$;
