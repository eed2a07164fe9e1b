-- wes_persist 0.1.0 -> 0.2.0: rule 4 (no transaction id twice) on a chain started from a
-- snapshot.  Snapshot files are version 2: they list the ids of the transactions below
-- their height that spent nothing, and the import keeps them in wes.prior_txids, which the
-- writer looks a block's minting transactions up in (docs/snapshot-format.md).
--
-- 0.1.0 was a pre-release, and its script gained these objects late: IF NOT EXISTS lets
-- this script run on a 0.1.0 database that holds them already.  The index is built here,
-- reading wes.transactions once while writes wait (ALTER EXTENSION runs in one
-- transaction, where CREATE INDEX CONCURRENTLY cannot).

\echo Use "ALTER EXTENSION wes_persist UPDATE TO '0.2.0'" to load this file. \quit

-- The transactions without inputs (mints), which a snapshot file lists for rule 4
CREATE INDEX IF NOT EXISTS transactions_mint_idx ON wes.transactions (block_height) INCLUDE (txid) WHERE input_count = 0;

-- Rule 4 on a chain started from a snapshot: the ids of the transactions before it that
-- spent nothing.  The install script's REVOKE ALL ON ALL TABLES covers it there
CREATE TABLE IF NOT EXISTS wes.prior_txids (
	txid         wes_hash PRIMARY KEY
);
COMMENT ON TABLE wes.prior_txids IS 'ids of the transactions below the snapshot this chain starts from that spent nothing (no input, or references only): written again, they break rule 4 (WE005); empty on a chain that holds its whole history';
REVOKE ALL ON wes.prior_txids FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('wes.prior_txids', '');

-- wes_verify's findings about wes.prior_txids
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
	'accumulator or their block, ids of wes.prior_txids written again or on a chain not started from a snapshot, '
	'resource content that is not what its SHA-256 and size say';

-- A chain that 0.1.0 started from a snapshot has no list: its file did not carry one
DO $$
BEGIN
	IF EXISTS (SELECT FROM wes.chain_state WHERE base_height > 0) AND NOT EXISTS (SELECT FROM wes.prior_txids) THEN
		RAISE WARNING 'this chain starts from a snapshot at height %, and wes.prior_txids is empty',
			(SELECT base_height FROM wes.chain_state)
			USING DETAIL = 'A version 1 snapshot file does not list the transactions below its height that spent '
						   'nothing, so rule 4 cannot refuse such a transaction written again here (WE005), and a '
						   'snapshot exported from this database lists only the ones written since.',
				  HINT = 'To close the gap, import a version 2 snapshot file, exported by wes_persist 0.2.0 from a '
						 'database that holds the chain, into an empty database.';
	END IF;
END
$$;
