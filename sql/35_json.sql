-- ---------------------------------------------------------------------------
-- The JSON form of a block (docs/json-form.md): conversions both ways, exact
-- (wes_block_from_jsonb(wes_block_to_jsonb(b)) = b for every valid block), and
-- wes_write_block(jsonb), which writes the block its form describes exactly as
-- wes_write_block(bytea) writes the bytes.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes_block_to_jsonb(block bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'wes_block_to_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_block_to_jsonb(bytea) IS
	'the JSON form of a block in wire format (docs/json-form.md): every field, hashes and bytes as lower-case hex, '
	'integers as exact JSON numbers, kinds, resource types and statuses by name; 22P03 when the bytes do not decode';

CREATE FUNCTION wes_block_from_jsonb(block jsonb) RETURNS bytea
	AS 'MODULE_PATHNAME', 'wes_block_from_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_block_from_jsonb(jsonb) IS
	'the canonical bytes of the block a JSON form describes (the exact inverse of wes_block_to_jsonb); '
	'22023 naming the JSON path (e.g. $.transactions[3].outputs[0].amount) when it does not describe a block';

CREATE FUNCTION wes_write_block(block jsonb) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_write_block_jsonb'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_block(jsonb) IS
	'validate and write one block given in JSON form (docs/json-form.md), as wes_write_block(bytea) does with its bytes; returns its hash. '
	'SQLSTATEs: 22023 the JSON does not describe a block (the message names the JSON path), then those of wes_write_block(bytea)';

REVOKE EXECUTE ON FUNCTION wes_write_block(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_write_block(jsonb) TO wes_writer;
