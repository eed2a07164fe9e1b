-- wes_persist 0.2.0 -> 0.3.0: read functions only; no table or index changes.
--
-- - wes_utxo_lookup(text): an untyped literal or parameter ('<txid>:<index>') was
--   ambiguous between wes_utxo_lookup(wes_outpoint) and wes_utxo_lookup(wes_outpoint[])
--   (42725); this form takes it.
-- - wes_api.block(height, hash) given both: the block must have both (it returned one of
--   two blocks when they named different ones).
-- - wes_api.resource_read with a NULL offset: NULL (it read past the end and gave an
--   empty bytea).
-- - wes_api.utxo_delta with a NULL height: 22004 (it gave an empty delta, as if nothing
--   had changed).
-- - wes_verify's comment names its new check, snapshot_outputs (in the library).

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

CREATE OR REPLACE FUNCTION wes.utxo_delta_served(from_height bigint, to_height bigint) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	journal_from bigint;
BEGIN
	IF from_height IS NULL OR to_height IS NULL THEN
		RAISE EXCEPTION 'a UTXO delta needs both heights (given % to %)',
			coalesce(from_height::text, 'NULL'), coalesce(to_height::text, 'NULL') USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF from_height < -1 OR from_height > to_height THEN
		RAISE EXCEPTION 'a UTXO delta goes from a height of -1 or more to one at least as high (given % to %)',
			from_height, to_height USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM wes.as_of_held(to_height), wes.as_of_held(from_height);
	SELECT min(j.height) INTO journal_from FROM wes.journal j;
	IF from_height < to_height AND (journal_from IS NULL OR journal_from > from_height + 1) THEN
		RAISE EXCEPTION 'no UTXO delta from height %: the journal starts at height %', from_height, coalesce(journal_from::text, 'none')
			USING ERRCODE = 'WE006', HINT = 'wes_persist.journal_depth sets how many blocks back the journal reaches.';
	END IF;
	RETURN true;
END
$$;

COMMENT ON FUNCTION wes_verify(bigint, bigint) IS
	'integrity checks; one row per finding (check_name, height, detail), none when all is well. '
	'Blocks from_height..to_height (default: all): height_continuity, prev_hash, block_hash, header_columns, '
	'transactions, tx_decode, txid, tx_columns, tx_count, block_size, tx_root, receipt_decode, '
	'receipt_columns, receipt_root, outputs, inputs, spend_marks, spends, journal. When the range reaches the tip '
	'(to_height NULL or at least the tip), also the current state: chain_state, state_commitment (LtHash of a full '
	'scan of the unspent outputs against chain_state and the tip''s state_root), utxo_count, spend_marks (each '
	'output''s against its spend input), utxos (against outputs minus spends), balances, snapshots (each against '
	'its accumulator and its block), snapshot_outputs (on a chain started from a snapshot: the outputs it brought, '
	'spent since or not, against its accumulator), resources (stored content against its SHA-256 and size), and amcheck (bt_index_check on every B-tree index of schema wes: the '
	'structure of each index; with wes_persist.verify_heapallindexed = on also that every row has its index '
	'entries, several times slower; a finding when the extension amcheck is missing). Read-only, on one '
	'snapshot; a NOTICE every 10 s reports progress. height is NULL for findings about no particular block';
