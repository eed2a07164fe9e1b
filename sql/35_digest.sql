-- ---------------------------------------------------------------------------
-- The wire format's hash H (BLAKE2b-256) for clients: ids of transactions,
-- receipts and blocks computed from their bytes, without writing anything.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes_digest(data bytea) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_digest'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_digest(bytea) IS
	'H(data), the BLAKE2b-256 of the wire format: the txid of a transaction''s bytes, the hash of a receipt''s';

CREATE FUNCTION wes_block_hash(block bytea) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_block_hash'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_block_hash(bytea) IS
	'the hash of a block in wire format: H of its first 156 bytes (the header); 22P03 when shorter. Checks nothing else';
