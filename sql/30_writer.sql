-- ---------------------------------------------------------------------------
-- The DataWriter: the only functions that write the chain.  SECURITY DEFINER
-- with search_path pinned; executable by wes_writer only.  Each runs inside
-- the caller's transaction and never commits: an ERROR undoes the whole call.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes_write_block(block bytea) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_write_block'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_block(bytea) IS
	'validate one block in wire format (every rule, in order) and write everything it implies; returns its hash. '
	'SQLSTATEs: 22P03 does not decode, WE001 height out of order, WE002 prev_hash, WE003 a root, WE004 an input, WE005 a txid. '
	'A second writer of the same height waits for the first, then fails with WE001 (40001 under REPEATABLE READ or SERIALIZABLE)';

CREATE FUNCTION wes_write_blocks(blocks bytea[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'wes_write_blocks'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_blocks(bytea[]) IS
	'write a run of consecutive blocks in array order, each as wes_write_block does; returns how many. '
	'The first rejected block aborts the call (its error says which array element). '
	'An output that a later block of the run spends is written once, with its spend mark, which makes a run '
	'cheaper than its blocks one call each';

CREATE FUNCTION wes_write_resource(content bytea, media_type text DEFAULT NULL) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_write_resource'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_resource(bytea, text) IS
	'store resource content under its SHA-256 and return it; idempotent (a later media_type fills a missing one, never replaces one); '
	'stored bytes that are not the content (changed by hand, as wes_verify reports) are put back';

REVOKE EXECUTE ON FUNCTION wes_write_block(bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_write_blocks(bytea[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_write_resource(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_write_block(bytea) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_write_blocks(bytea[]) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_write_resource(bytea, text) TO wes_writer;
