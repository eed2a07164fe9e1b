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
-- - wes_verify checks the utxo_count of every snapshot above the base (the tip's count,
--   less the outputs created above it, plus those spent above it): wes.verify_stored.
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

CREATE OR REPLACE FUNCTION wes.verify_stored()
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT 'chain_state', s.height,
		   format('chain_state.base_height is %s, but wes.blocks holds height %s below it', s.base_height, b.lowest)
	FROM wes.chain_state s, (SELECT min(x.height) AS lowest FROM wes.blocks x) b
	WHERE b.lowest < s.base_height
	UNION ALL
	SELECT 'snapshots', n.height,
		   CASE WHEN wes_digest(n.accumulator) <> n.state_root
				THEN format('the snapshot at height %s has state_root %s, but H(its accumulator) is %s',
							n.height, n.state_root, wes_digest(n.accumulator))
				ELSE format('the snapshot at height %s names block %s with state_root %s, the stored block is %s with %s',
							n.height, n.block_hash, n.state_root, b.hash, b.state_root) END
	FROM wes.snapshots n
	LEFT JOIN wes.blocks b ON b.height = n.height
	WHERE wes_digest(n.accumulator) <> n.state_root
	   OR (b.height IS NOT NULL AND (b.hash, b.state_root) IS DISTINCT FROM (n.block_hash, n.state_root))
	UNION ALL
	SELECT 'snapshots', n.height,
		   format('the snapshot at height %s counts %s unspent outputs, but the tip''s %s, less the %s outputs '
				  'created above it, plus the %s spent above it, give %s', n.height, n.utxo_count, s.utxo_count,
				  coalesce(c.created, 0), coalesce(c.spent, 0), s.utxo_count - coalesce(c.created, 0) + coalesce(c.spent, 0))
	FROM wes.snapshots n
	CROSS JOIN wes.chain_state s
	LEFT JOIN (
		SELECT m.height, sum(t.created) AS created, sum(t.spent) AS spent
		FROM wes.snapshots m
		JOIN (SELECT o.height, count(*) AS created, 0::bigint AS spent
			  FROM wes.outputs o, (SELECT min(m2.height) AS h FROM wes.snapshots m2, wes.chain_state s2
								   WHERE m2.height >= s2.base_height) lo
			  WHERE o.height > lo.h
			  GROUP BY o.height
			  UNION ALL
			  SELECT i.height, 0, count(*)
			  FROM wes.inputs i, (SELECT min(m2.height) AS h FROM wes.snapshots m2, wes.chain_state s2
								  WHERE m2.height >= s2.base_height) lo
			  WHERE i.height > lo.h AND NOT i.reference
			  GROUP BY i.height) t ON t.height > m.height
		GROUP BY m.height) c ON c.height = n.height
	WHERE n.height >= s.base_height AND n.height <= s.height
	  AND n.utxo_count <> s.utxo_count - coalesce(c.created, 0) + coalesce(c.spent, 0)
	UNION ALL
	SELECT 'prior_txids', t.block_height,
		   format('transaction %s is in wes.prior_txids, as written before the snapshot this chain starts from, '
				  'and in the block at height %s', p.txid, t.block_height)
	FROM wes.prior_txids p JOIN wes.transactions t ON t.txid = p.txid
	UNION ALL
	SELECT 'prior_txids', NULL::bigint,
		   format('this chain was not started from a snapshot (base_height 0), but wes.prior_txids holds ids: %s', p.n)
	FROM (SELECT count(*) AS n FROM wes.prior_txids) p, wes.chain_state s
	WHERE s.base_height = 0 AND p.n > 0
	UNION ALL
	SELECT 'resources', NULL::bigint,
		   CASE WHEN sha256(c.content) <> c.content_hash::bytea
				THEN format('the content stored under %s does not hash to it (wes_write_resource of the content '
							'puts it back)', c.content_hash)
				ELSE format('the content stored under %s is %s bytes, its size column says %s (wes_write_resource '
							'of the content puts it right)', c.content_hash, octet_length(c.content), c.size) END
	FROM wes.resource_content c
	WHERE sha256(c.content) <> c.content_hash::bytea OR octet_length(c.content) <> c.size
	ORDER BY 1, 2, 3;
END;
COMMENT ON FUNCTION wes.verify_stored() IS
	'findings of wes_verify: chain_state.base_height above a stored block, snapshots that disagree with their '
	'accumulator, their block or the count of the UTXO set at their height, ids of wes.prior_txids written again or on a chain not started from a snapshot, '
	'resource content that is not what its SHA-256 and size say';

COMMENT ON FUNCTION wes_verify(bigint, bigint) IS
	'integrity checks; one row per finding (check_name, height, detail), none when all is well. '
	'Blocks from_height..to_height (default: all): height_continuity, prev_hash, block_hash, header_columns, '
	'transactions, tx_decode, txid, tx_columns, tx_count, block_size, tx_root, receipt_decode, '
	'receipt_columns, receipt_root, outputs, inputs, spend_marks, spends, journal. When the range reaches the tip '
	'(to_height NULL or at least the tip), also the current state: chain_state, state_commitment (LtHash of a full '
	'scan of the unspent outputs against chain_state and the tip''s state_root), utxo_count, spend_marks (each '
	'output''s against its spend input), utxos (against outputs minus spends), balances, snapshots (each against '
	'its accumulator, its block and, above the base, the count of the UTXO set at its height), snapshot_outputs (on a chain started from a snapshot: the outputs it brought, '
	'spent since or not, against its accumulator), resources (stored content against its SHA-256 and size), and amcheck (bt_index_check on every B-tree index of schema wes: the '
	'structure of each index; with wes_persist.verify_heapallindexed = on also that every row has its index '
	'entries, several times slower; a finding when the extension amcheck is missing). Read-only, on one '
	'snapshot; a NOTICE every 10 s reports progress. height is NULL for findings about no particular block';
