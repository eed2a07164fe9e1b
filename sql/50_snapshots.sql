-- ---------------------------------------------------------------------------
-- Rollback and full snapshots.  wes_rollback_to undoes blocks from the journal
-- (wes_persist.journal_depth bounds how far back it reaches); wes_snapshot_create
-- records the chain state at the tip (automatic ones every
-- wes_persist.snapshot_interval blocks, wes_persist.snapshot_retention kept).
-- Write functions: SECURITY DEFINER, search_path pinned, wes_writer only.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes.output_encoding(kind smallint, owner wes_address, amount bigint, ref wes_hash,
									lock bytea, data bytea) RETURNS bytea
	AS 'MODULE_PATHNAME', 'wes_output_encoding'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.output_encoding(smallint, wes_address, bigint, wes_hash, bytea, bytea) IS
	'the exact wire-format bytes of an output from its wes.outputs columns (its LtHash element after txid and index)';

CREATE FUNCTION wes_rollback_to(height bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'wes_rollback_to'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET enable_seqscan = off
	SET jit = off;
COMMENT ON FUNCTION wes_rollback_to(bigint) IS
	'undo every block above height (-1: back to the empty chain), newest first, from the journal: history rows, '
	'spend marks, UTXO set, accumulator and tip; the result is checked against block height''s state_root. '
	'Returns how many blocks were undone. WE006 when height is above the tip, below the first height this database '
	'holds, or beyond the journal''s reach (wes_persist.journal_depth)';

CREATE FUNCTION wes_snapshot_create()
RETURNS TABLE (height bigint, block_hash wes_hash, state_root wes_hash, utxo_count bigint)
	AS 'MODULE_PATHNAME', 'wes_snapshot_create'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_create() IS
	'record a full snapshot of the tip (height, block hash, state root, UTXO count, accumulator) and return it; '
	'the existing one when the tip already has one. Retention keeps wes_persist.snapshot_retention newest. WE006 on an empty chain';

CREATE FUNCTION wes_snapshot_import(file bytea)
RETURNS TABLE (height bigint, block_hash wes_hash, state_root wes_hash, utxo_count bigint)
	AS 'MODULE_PATHNAME', 'wes_snapshot_import'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import(bytea) IS
	'start an empty chain from a snapshot file (docs/snapshot-format.md) given whole, up to 1 GB (larger files go in chunks: '
	'wes_snapshot_import_begin): checks the checksum, the outputs and that they '
	'commit to the state root, fills the UTXO set, sets the tip to the snapshot''s block; blocks are then accepted from '
	'height + 1. 22P03 malformed file or checksum, WE003 state root, WE006 the chain is not empty';

CREATE FUNCTION wes_snapshot_import_begin() RETURNS void
	AS 'MODULE_PATHNAME', 'wes_snapshot_import_begin'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import_begin() IS
	'begin importing a snapshot file in chunks, for files of any size: inside a transaction block, then '
	'wes_snapshot_import_append for each chunk in order and wes_snapshot_import_finish, then COMMIT (the transaction '
	'cannot commit an unfinished import). Locks the tip; WE006 the chain is not empty, 25P01 outside a transaction block';

CREATE FUNCTION wes_snapshot_import_append(chunk bytea) RETURNS bigint
	AS 'MODULE_PATHNAME', 'wes_snapshot_import_append'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import_append(bytea) IS
	'the next bytes of the snapshot file whose import wes_snapshot_import_begin began (chunks may be cut anywhere); '
	'checks and writes the records they complete and returns how many records are in so far. 22P03 malformed record, '
	'55000 no import in progress in this transaction or a failed one';

CREATE FUNCTION wes_snapshot_import_finish()
RETURNS TABLE (height bigint, block_hash wes_hash, state_root wes_hash, utxo_count bigint)
	AS 'MODULE_PATHNAME', 'wes_snapshot_import_finish'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import_finish() IS
	'end the import of a snapshot file in chunks: checks the count, the checksum and that the outputs commit to the '
	'state root, builds the indexes of the UTXO set and outputs, sets the tip to the snapshot''s block, as '
	'wes_snapshot_import does. 22P03 file cut short or checksum, WE003 state root, 55000 no import in progress';

CREATE FUNCTION wes_snapshot_export(at_height bigint DEFAULT NULL) RETURNS SETOF bytea
	AS 'MODULE_PATHNAME', 'wes_snapshot_export'
	LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_export(bigint) IS
	'the snapshot file (docs/snapshot-format.md) of the tip, or of the retained snapshot at at_height, as bytea chunks '
	'in order (concatenated they are the file); e.g. psql -XAt -c "SELECT encode(c, ''hex'') FROM wes_snapshot_export() c" | xxd -r -p. '
	'Reads only: granted to wes_reader. WE006 on an empty chain or when no snapshot is kept at at_height';

REVOKE EXECUTE ON FUNCTION wes_snapshot_import(bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_import_begin() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_import_append(bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_import_finish() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_export(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_snapshot_import(bytea) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_import_begin() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_import_append(bytea) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_import_finish() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_export(bigint) TO wes_reader;
REVOKE EXECUTE ON FUNCTION wes_rollback_to(bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_create() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_rollback_to(bigint) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_create() TO wes_writer;

CREATE VIEW wes_api.snapshots AS
SELECT s.height, s.block_hash, s.state_root, s.utxo_count, s.automatic, s.created_at
FROM wes.snapshots s;
COMMENT ON VIEW wes_api.snapshots IS 'the full snapshots kept: the chain state at each height (export one with wes_snapshot_export)';
COMMENT ON COLUMN wes_api.snapshots.height IS 'height of the block the snapshot is the state after';
COMMENT ON COLUMN wes_api.snapshots.block_hash IS 'hash of that block';
COMMENT ON COLUMN wes_api.snapshots.state_root IS 'commitment to the UTXO set after that block';
COMMENT ON COLUMN wes_api.snapshots.utxo_count IS 'number of unspent outputs after that block';
COMMENT ON COLUMN wes_api.snapshots.automatic IS 'taken every wes_persist.snapshot_interval blocks (false: on demand or imported)';
COMMENT ON COLUMN wes_api.snapshots.created_at IS 'when the snapshot was recorded';
GRANT SELECT ON wes_api.snapshots TO wes_reader;

-- ---- incremental snapshots: the journal, readable -----------------------------

-- Per block, the outpoints it added to the UTXO set and those it removed (wes.journal,
-- kept wes_persist.journal_depth blocks back).  A filter on height reaches both arms
-- of the UNION ALL, so it reads the journal through its key.
CREATE VIEW wes_api.utxo_changes AS
SELECT j.height, 'added'::text AS change, c.outpoint
FROM wes.journal j CROSS JOIN LATERAL unnest(j.created) c(outpoint)
UNION ALL
SELECT j.height, 'removed'::text, s.outpoint
FROM wes.journal j CROSS JOIN LATERAL unnest(j.spent) s(outpoint);
COMMENT ON VIEW wes_api.utxo_changes IS 'per block, the outpoints it added to the UTXO set (created and not spent in the block) and those it removed: the incremental snapshots, kept wes_persist.journal_depth blocks back';
COMMENT ON COLUMN wes_api.utxo_changes.height IS 'the block';
COMMENT ON COLUMN wes_api.utxo_changes.change IS 'added or removed';
COMMENT ON COLUMN wes_api.utxo_changes.outpoint IS 'the output added or removed';
GRANT SELECT ON wes_api.utxo_changes TO wes_reader;

-- Whether the journal serves the change from the end of block from_height to the end of
-- to_height: 22004 for a NULL height (an unset height must not read as "no change");
-- 22023 for a range that is not one; WE006 when either end is a state this
-- database does not hold (wes.as_of_held: above the tip, below the snapshot it starts
-- from), or beyond the journal's reach
CREATE FUNCTION wes.utxo_delta_served(from_height bigint, to_height bigint) RETURNS boolean
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
COMMENT ON FUNCTION wes.utxo_delta_served(bigint, bigint) IS 'true when wes_api.utxo_delta(from_height, to_height) can be served; else the error saying why';

-- The net change of the UTXO set from the end of block from_height to the end of block
-- to_height.  Each outpoint enters the journal's added arrays once and its removed arrays
-- at most once, so the net change is found among the outpoints alone: added and not
-- removed within the range (alive at to_height), or removed and not added (alive at
-- from_height); an output both added and removed inside the range is in neither part.
-- Only the outpoints left are looked up in wes.outputs.  Applied to the set at
-- from_height (remove, then add), it gives the set at to_height.  Two statements: the
-- range is checked first, and a function of two statements is run as written, not
-- inlined, so the planner cannot skip the check by proving the query empty.  BEGIN
-- ATOMIC binds every name when the function is created: a reader needs no privilege
-- on schema wes to run it.
CREATE FUNCTION wes_api.utxo_delta(from_height bigint, to_height bigint)
RETURNS TABLE (change text, outpoint wes_outpoint, kind text, owner wes_address, amount bigint, ref wes_hash,
			   lock bytea, data bytea, created_height bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT wes.utxo_delta_served(utxo_delta.from_height, utxo_delta.to_height);
	WITH ch AS MATERIALIZED (
		SELECT c.change, c.outpoint FROM wes_api.utxo_changes c
		WHERE c.height > utxo_delta.from_height AND c.height <= utxo_delta.to_height),
	net AS (
		SELECT a.change, a.outpoint FROM ch a
		WHERE NOT EXISTS (SELECT FROM ch b WHERE b.outpoint = a.outpoint AND b.change <> a.change))
	SELECT n.change, o.outpoint, o.kind, o.owner, o.amount, o.ref, o.lock, o.data, o.created_height
	FROM net n JOIN wes_api.outputs o ON o.outpoint = n.outpoint
	ORDER BY n.change, o.outpoint;
END;
COMMENT ON FUNCTION wes_api.utxo_delta(bigint, bigint) IS 'the net change of the UTXO set from the end of block from_height (-1: the empty set) to the end of block to_height: the outputs added and those removed, by outpoint; WE006 beyond the journal''s reach (wes_persist.journal_depth)';
REVOKE EXECUTE ON FUNCTION wes_api.utxo_delta(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_api.utxo_delta(bigint, bigint) TO wes_reader;
-- SECURITY DEFINER: only the reader's utxo_delta calls it
REVOKE EXECUTE ON FUNCTION wes.utxo_delta_served(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes.utxo_delta_served(bigint, bigint) TO wes_reader;
