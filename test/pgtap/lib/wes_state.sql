-- Helpers for pgTAP files (included with \ir after BEGIN): what a rejected block
-- must leave unchanged, and the vectors' chain.
--
-- pg_temp.wes_state(): the row count of every table in schema wes (found in the
-- catalog, so a table added later is covered too), the tip, the state root, the
-- UTXO count and a digest of the accumulator, as one jsonb value to compare.
CREATE FUNCTION pg_temp.wes_state() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	rel text;
	n bigint;
	result jsonb;
BEGIN
	SELECT jsonb_build_object('tip_height', height, 'tip_hash', hash::text,
							  'state_root', state_root::text, 'utxo_count', utxo_count,
							  'accumulator_md5', md5(accumulator))
	INTO result FROM wes.chain_state;
	FOR rel IN SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
			   WHERE s.nspname = 'wes' AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
		EXECUTE format('SELECT count(*) FROM wes.%I', rel) INTO n;
		result := result || jsonb_build_object('rows:' || rel, n);
	END LOOP;
	RETURN result;
END
$$;

-- The SQLSTATE a statement raises (NULL when it succeeds; its effects are then undone)
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		EXECUTE stmt;
		RAISE SQLSTATE 'XX999';		-- roll the successful statement back too
	EXCEPTION WHEN SQLSTATE 'XX999' THEN
		RETURN NULL;
	END;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

-- The SQLSTATE and message a statement raises, as "SQLSTATE: message" (NULL when it succeeds; undone)
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	detail text;
BEGIN
	BEGIN
		EXECUTE stmt;
		RAISE SQLSTATE 'XX999';
	EXCEPTION WHEN SQLSTATE 'XX999' THEN
		RETURN NULL;
	END;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || msg || coalesce(' DETAIL: ' || nullif(detail, ''), '');
END
$$;

-- The blocks of the vectors' chain.json (psql variable :chain must hold the file)
CREATE FUNCTION pg_temp.vector_blocks(chain jsonb)
RETURNS TABLE (height bigint, hash text, state_root text, tx_count int, raw bytea)
LANGUAGE sql IMMUTABLE AS $$
	SELECT (b->>'height')::bigint, b->>'hash', b->>'state_root', (b->>'tx_count')::int, decode(b->>'hex', 'hex')
	FROM jsonb_array_elements(chain->'blocks') b
$$;
