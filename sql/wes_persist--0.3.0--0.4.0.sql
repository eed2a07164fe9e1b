-- wes_persist 0.3.0 -> 0.4.0: privileges and argument checks; no table or index changes.
--
-- - The functions that change the chain refuse a NULL argument with 22004 (STRICT, they
--   returned NULL and did nothing: wes_rollback_to(NULL) rolled back nothing, silently).
-- - wes_writer is a member of wes_reader: a writer reads the tip it writes on (wes-load
--   as a role that had only wes_writer could not).
-- - wes.utxo_delta_served (SECURITY DEFINER) and wes.verify_stored are no longer
--   executable by PUBLIC; wes_reader keeps the first, which its utxo_delta calls.
-- - wes_api.resource_read (PL/pgSQL, which resolves its operators when it runs) has
--   its search_path pinned.
-- - In the library: planner support rewrites only the extension's own functions,
--   found by OID (an overload of wes_outpoint_txid by another role was rewritten).
-- - An install into a database that holds a wes_publication another role owns, or
--   one that does not publish every kind of change, is refused (install script
--   only; an existing database keeps its publication).

\echo Use "ALTER EXTENSION wes_persist UPDATE TO '0.4.0'" to load this file. \quit

ALTER FUNCTION wes_write_block(bytea) CALLED ON NULL INPUT;
ALTER FUNCTION wes_write_block(jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION wes_write_blocks(bytea[]) CALLED ON NULL INPUT;
ALTER FUNCTION wes_rollback_to(bigint) CALLED ON NULL INPUT;
ALTER FUNCTION wes_snapshot_import(bytea) CALLED ON NULL INPUT;
ALTER FUNCTION wes_snapshot_import_append(bytea) CALLED ON NULL INPUT;

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_auth_members m
				   WHERE m.roleid = 'wes_reader'::regrole AND m.member = 'wes_writer'::regrole) THEN
		GRANT wes_reader TO wes_writer;
	END IF;
END
$$;

REVOKE EXECUTE ON FUNCTION wes.utxo_delta_served(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes.utxo_delta_served(bigint, bigint) TO wes_reader;
REVOKE EXECUTE ON FUNCTION wes.verify_stored() FROM PUBLIC;

ALTER FUNCTION wes_api.resource_read(wes_hash, bigint, bigint) SET search_path = pg_catalog, @extschema@, pg_temp;
