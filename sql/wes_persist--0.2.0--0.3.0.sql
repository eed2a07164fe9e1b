-- wes_persist 0.2.0 -> 0.3.0: read functions only; no table or index changes.
--
-- - wes_utxo_lookup(text): an untyped literal or parameter ('<txid>:<index>') was
--   ambiguous between wes_utxo_lookup(wes_outpoint) and wes_utxo_lookup(wes_outpoint[])
--   (42725); this form takes it.
-- - wes_api.block(height, hash) given both: the block must have both (it returned one of
--   two blocks when they named different ones).
-- - wes_api.resource_read with a NULL offset: NULL (it read past the end and gave an
--   empty bytea).

\echo Use "ALTER EXTENSION wes_persist UPDATE TO '0.3.0'" to load this file. \quit

CREATE FUNCTION wes_utxo_lookup(op text)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup(wes_utxo_lookup.op::wes_outpoint, NULL) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(text) IS 'wes_utxo_lookup(wes_outpoint) of an outpoint given as text or as an untyped literal or parameter (''<txid>:<index>'')';

CREATE OR REPLACE FUNCTION wes_api.block(block_height bigint DEFAULT NULL, block_hash wes_hash DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT to_jsonb(b) || jsonb_build_object('transactions', coalesce(
		(SELECT jsonb_agg(to_jsonb(t) ORDER BY t.tx_index)
		 FROM wes_api.transactions t WHERE t.block_height = b.height), '[]'::jsonb))
	FROM wes_api.blocks b
	WHERE (b.height = block.block_height OR b.hash = block.block_hash)
	  AND (block.block_height IS NULL OR b.height = block.block_height)
	  AND (block.block_hash IS NULL OR b.hash = block.block_hash);
END;
COMMENT ON FUNCTION wes_api.block(bigint, wes_hash) IS 'a block by height or by hash (given both, the block must have both), as one JSON object with its transactions in block order (NULL when there is no such block)';

CREATE OR REPLACE FUNCTION wes_api.resource_read(content_hash wes_hash, "offset" bigint DEFAULT 0, length bigint DEFAULT NULL)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	result bytea;
BEGIN
	IF "offset" IS NULL THEN
		RETURN NULL;
	END IF;
	IF "offset" < 0 OR length < 0 THEN
		RAISE EXCEPTION 'resource range must not be negative (offset %, length %)', "offset", length
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF length IS NULL THEN
		SELECT substring(c.content FROM least("offset", 2147483646)::integer + 1) INTO result
		FROM wes_api.resource_content c WHERE c.content_hash = resource_read.content_hash;
	ELSE
		SELECT substring(c.content FROM least("offset", 2147483646)::integer + 1
						 FOR least(length, 2147483647)::integer) INTO result
		FROM wes_api.resource_content c WHERE c.content_hash = resource_read.content_hash;
	END IF;
	RETURN result;
END
$$;
COMMENT ON FUNCTION wes_api.resource_read(wes_hash, bigint, bigint) IS 'length bytes of a resource''s content from offset (0-based; NULL length: to the end), reading only the storage chunks needed; NULL when the content is not stored or offset is NULL';
