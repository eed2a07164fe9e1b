-- ---------------------------------------------------------------------------
-- Integrity checks and repair.
--
-- wes_verify(from_height, to_height) returns one row (check_name, height, detail)
-- per finding and none when all is well.  The column is check_name because
-- CHECK is a reserved word.  The checks are C (verify_chain.c, verify_state.c,
-- verify_index.c): one pass over the raw blocks and transactions, which also
-- sums order-independent digests of the rows they imply and compares them with
-- digests of wes.outputs, wes.inputs, wes.journal and the UTXO set.  Only where
-- a digest differs do the set-based SQL functions wes.verify_* below (each
-- returning the same three columns) compare row by row to name what differs.
--
-- amcheck runs bt_index_check without heapallindexed, as pg_amcheck does by
-- default: it checks the structure of every index, not that every heap row
-- has its entry.  SET wes_persist.verify_heapallindexed = on for that deeper
-- check (it re-reads every table and several times the cost); wes_repair
-- follows the same setting.
--
-- wes_verify is VOLATILE, not STABLE: it calls amcheck's bt_index_check (itself
-- VOLATILE) and reports progress; it writes nothing, runs every statement on
-- the caller's snapshot, and so runs on a hot standby too.  It reads the tables
-- of schema wes directly, so it is SECURITY DEFINER and granted to wes_writer only.
-- ---------------------------------------------------------------------------

-- ---- the rows a raw transaction implies -----------------------------------

CREATE FUNCTION wes.tx_outputs(raw bytea,
	OUT output_index integer, OUT kind smallint, OUT owner wes_address, OUT amount bigint,
	OUT ref wes_hash, OUT lock bytea, OUT data bytea, OUT encoding bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wes_tx_outputs'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION wes.tx_outputs(bytea) IS
	'the outputs a raw transaction creates, in order, with each output''s exact encoding; no rows when the bytes do not decode';

CREATE FUNCTION wes.tx_inputs(raw bytea,
	OUT input_index integer, OUT outpoint wes_outpoint, OUT reference boolean, OUT unlock bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wes_tx_inputs'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION wes.tx_inputs(bytea) IS
	'the inputs of a raw transaction, in order; no rows when the bytes do not decode';

-- ---- row-level checks (called by wes_verify) -------------------------------

-- wes.outputs against the outputs of the raw transactions of heights lo..hi
CREATE FUNCTION wes.verify_outputs(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH d AS (
		SELECT wes_outpoint(t.txid, x.output_index) AS outpoint, t.block_height AS height,
			   x.kind, x.owner, x.amount, x.ref, x.lock, x.data
		FROM wes.transactions t CROSS JOIN LATERAL wes.tx_outputs(t.raw) x
		WHERE t.block_height BETWEEN lo AND hi),
	o AS (
		SELECT r.outpoint, r.height, r.kind, r.owner, r.amount, r.ref, r.lock, r.data
		FROM wes.outputs r WHERE r.height BETWEEN lo AND hi)
	SELECT 'outputs', coalesce(d.height, o.height),
		   CASE WHEN o.outpoint IS NULL
				THEN format('output %s of a raw transaction has no wes.outputs row', d.outpoint)
				WHEN d.outpoint IS NULL
				THEN format('wes.outputs row %s is no output of a raw transaction at height %s', o.outpoint, o.height)
				ELSE format('wes.outputs row %s disagrees with its raw transaction in: %s', o.outpoint,
							concat_ws(', ',
								CASE WHEN o.height <> d.height THEN 'height' END,
								CASE WHEN o.kind <> d.kind THEN 'kind' END,
								CASE WHEN o.owner <> d.owner THEN 'owner' END,
								CASE WHEN o.amount <> d.amount THEN 'amount' END,
								CASE WHEN o.ref <> d.ref THEN 'ref' END,
								CASE WHEN o.lock <> d.lock THEN 'lock' END,
								CASE WHEN o.data <> d.data THEN 'data' END)) END
	FROM d FULL JOIN o ON o.outpoint = d.outpoint
	WHERE o.outpoint IS NULL OR d.outpoint IS NULL
	   OR (o.height, o.kind, o.owner, o.amount, o.ref, o.lock, o.data)
		  IS DISTINCT FROM (d.height, d.kind, d.owner, d.amount, d.ref, d.lock, d.data)
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_outputs(bigint, bigint) IS
	'findings of wes_verify: wes.outputs rows missing, extra or different from the raw transactions of heights lo..hi';

-- wes.inputs against the inputs of the raw transactions; a flipped spend/reference flag is a spend mark
CREATE FUNCTION wes.verify_inputs(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH d AS (
		SELECT t.txid, x.input_index, x.outpoint, x.reference, t.block_height AS height, t.tx_index, x.unlock
		FROM wes.transactions t CROSS JOIN LATERAL wes.tx_inputs(t.raw) x
		WHERE t.block_height BETWEEN lo AND hi),
	i AS (
		SELECT r.txid, r.input_index, r.outpoint, r.reference, r.height, r.tx_index, r.unlock
		FROM wes.inputs r WHERE r.height BETWEEN lo AND hi)
	SELECT CASE WHEN i.txid IS NOT NULL AND d.txid IS NOT NULL AND i.reference IS DISTINCT FROM d.reference
				THEN 'spend_marks' ELSE 'inputs' END,
		   coalesce(d.height, i.height),
		   CASE WHEN i.txid IS NULL
				THEN format('input %s of transaction %s has no wes.inputs row', d.input_index, d.txid)
				WHEN d.txid IS NULL
				THEN format('wes.inputs row %s of transaction %s is no input of a raw transaction at height %s',
							i.input_index, i.txid, i.height)
				WHEN i.reference IS DISTINCT FROM d.reference
				THEN format('input %s of transaction %s is marked as %s of %s, its raw transaction makes it %s',
							i.input_index, i.txid,
							CASE WHEN i.reference THEN 'a reference' ELSE 'the spend' END, i.outpoint,
							CASE WHEN d.reference THEN 'a reference' ELSE 'a spend' END)
				ELSE format('wes.inputs row %s of transaction %s disagrees with its raw transaction in: %s',
							i.input_index, i.txid,
							concat_ws(', ',
								CASE WHEN i.outpoint <> d.outpoint THEN 'outpoint' END,
								CASE WHEN i.height <> d.height THEN 'height' END,
								CASE WHEN i.tx_index <> d.tx_index THEN 'tx_index' END,
								CASE WHEN i.unlock <> d.unlock THEN 'unlock' END)) END
	FROM d FULL JOIN i ON i.txid = d.txid AND i.input_index = d.input_index
	WHERE i.txid IS NULL OR d.txid IS NULL
	   OR (i.outpoint, i.reference, i.height, i.tx_index, i.unlock)
		  IS DISTINCT FROM (d.outpoint, d.reference, d.height, d.tx_index, d.unlock)
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_inputs(bigint, bigint) IS
	'findings of wes_verify: wes.inputs rows missing, extra or different from the raw transactions of heights lo..hi '
	'(check spend_marks when the spend/reference flag differs)';

-- Every input of heights lo..hi names an output created no later than itself.  The
-- findings are written once, here; how wes.outputs is read is left to the caller:
-- inlined into wes.verify_spends, the planner is free to hash the whole table (the
-- cheaper way for a range that holds a good part of the inputs), while
-- wes.verify_spend_inputs_by_key runs it as a nested loop over the range's inputs
-- that looks each outpoint up in the primary key (for a short range).
CREATE FUNCTION wes.verify_spend_inputs(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT 'spends', i.height,
		   CASE WHEN o.outpoint IS NULL
				THEN format('input %s of transaction %s %s %s, which is no output', i.input_index, i.txid,
							CASE WHEN i.reference THEN 'references' ELSE 'spends' END, i.outpoint)
				ELSE format('input %s of transaction %s names output %s, created later at height %s',
							i.input_index, i.txid, i.outpoint, o.height) END
	FROM wes.inputs i
	LEFT JOIN wes.outputs o ON o.outpoint = i.outpoint
	WHERE i.height BETWEEN lo AND hi
	  -- a database started from a snapshot holds no output rows below its base height
	  AND ((o.outpoint IS NULL AND (SELECT s.base_height FROM wes.chain_state s) = 0) OR o.height > i.height);
END;
COMMENT ON FUNCTION wes.verify_spend_inputs(bigint, bigint) IS
	'findings of wes_verify (through wes.verify_spends): inputs of heights lo..hi naming no output or a later one';

-- The same findings, planned without hash joins, merge joins, sequential scans and
-- materialized inner sides: the function's settings hold while its body
-- (wes.verify_spend_inputs, inlined) is planned, so what is left is a nested loop that
-- reads wes.outputs through its primary key, one lookup per input of lo..hi, instead of
-- reading every output, whatever the statistics say.  (Without statistics, before the
-- tables are first analyzed, the planner otherwise read all of outputs_pkey once into a
-- Materialize node and filtered the join there.)  The double-spend part, which must
-- read all of wes.inputs, is planned outside, in wes.verify_spends.
CREATE FUNCTION wes.verify_spend_inputs_by_key(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
SET enable_hashjoin = off
SET enable_mergejoin = off
SET enable_seqscan = off
SET enable_material = off
BEGIN ATOMIC
	SELECT * FROM wes.verify_spend_inputs(lo, hi);
END;
COMMENT ON FUNCTION wes.verify_spend_inputs_by_key(bigint, bigint) IS
	'wes.verify_spend_inputs(lo, hi) planned to look each input''s outpoint up in wes.outputs by key '
	'(hash joins, merge joins, sequential scans and materialization off), for a range that holds few of the inputs';

-- Every input of heights lo..hi names an output created no later than itself; no output
-- is spent twice.  by_key picks how the first reads wes.outputs (wes_verify sets it
-- for a short range, by the same rule that reads the range's rows through their
-- height indexes); the findings are the same either way.
CREATE FUNCTION wes.verify_spends(lo bigint, hi bigint, by_key boolean)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT k.check_name, k.height, k.detail FROM wes.verify_spend_inputs_by_key(lo, hi) k WHERE by_key
	UNION ALL
	SELECT s.check_name, s.height, s.detail FROM wes.verify_spend_inputs(lo, hi) s WHERE NOT by_key
	UNION ALL
	-- named at its latest spend, so only outpoints spent in lo..hi (read through the
	-- height index) are counted, not every spend of the chain.  Counting every spend
	-- of those outpoints still reads all of wes.inputs once, whatever the range: no
	-- index finds the spend inputs of an outpoint (one would cost every block
	-- written an insert at a random page)
	SELECT 'spends', max(i.height), format('output %s is spent %s times', i.outpoint, count(*))
	FROM wes.inputs i
	WHERE NOT i.reference
	  AND i.outpoint IN (SELECT r.outpoint FROM wes.inputs r WHERE r.height BETWEEN lo AND hi AND NOT r.reference)
	GROUP BY i.outpoint
	HAVING count(*) > 1 AND max(i.height) BETWEEN lo AND hi
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_spends(bigint, bigint, boolean) IS
	'findings of wes_verify: inputs of heights lo..hi naming no output or a later one, and outputs spent twice; '
	'by_key: outputs looked up by key for each input of the range instead of read whole (same findings)';

-- Each spend mark against the spend input that makes it (outputs imported from a
-- snapshot have no creating transaction here, but their spenders are stored)
CREATE FUNCTION wes.verify_utxo_rows()
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT 'spend_marks', coalesce(i.height, o.spent_height),
		   CASE WHEN i.txid IS NULL THEN format('output %s carries the spend mark %s at height %s, which no input makes',
												o.outpoint, o.spent_by, o.spent_height)
				WHEN o.spent_by IS NULL THEN format('output %s is spent by %s at height %s but carries no spend mark',
													o.outpoint, i.txid, i.height)
				ELSE format('output %s carries the spend mark %s at height %s, its spend input is %s at height %s',
							o.outpoint, o.spent_by, o.spent_height, i.txid, i.height) END
	FROM wes.outputs o
	LEFT JOIN wes.inputs i ON i.outpoint = o.outpoint AND NOT i.reference
	WHERE (o.spent_by, o.spent_height) IS DISTINCT FROM (i.txid, i.height)
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_utxo_rows() IS
	'findings of wes_verify: outputs whose spend mark is not the one their spend input makes';

-- The published balances against the unspent outputs
CREATE FUNCTION wes.verify_utxos()
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH bal AS (
		SELECT o.owner, o.ref, sum(o.amount) AS balance
		FROM wes.outputs o
		WHERE o.kind = 0
		  AND NOT EXISTS (SELECT 1 FROM wes.inputs i WHERE i.outpoint = o.outpoint AND NOT i.reference)
		GROUP BY o.owner, o.ref)
	SELECT 'balances', NULL::bigint,
		   format('balance of %s in asset %s: %s in wes_api.address_balances, %s from unspent outputs',
				  coalesce(a.owner, bal.owner), coalesce(a.asset, bal.ref),
				  coalesce(a.balance, 0), coalesce(bal.balance, 0))
	FROM wes_api.address_balances a
	FULL JOIN bal ON bal.owner = a.owner AND bal.ref = a.asset
	WHERE a.balance IS DISTINCT FROM bal.balance
	ORDER BY 1 DESC, 2, 3;
END;
COMMENT ON FUNCTION wes.verify_utxos() IS
	'findings of wes_verify: wes_api.address_balances against the sums of the outputs no input spends';

-- What the chain state, the snapshots and the stored resource content claim, against
-- what they come from: no block below chain_state.base_height; each snapshot's
-- state_root is H(its accumulator) and, where its block is stored, that block's hash
-- and state_root; each snapshot above the base counts the UTXO set at its height: the
-- tip's count, less the outputs created above it, plus the outputs spent above it (one
-- scan of each table from the oldest such snapshot up, by the BRIN index of
-- wes.outputs and the key of wes.inputs; the base snapshot is snapshot_outputs's); no
-- id of wes.prior_txids (transactions before the snapshot the chain
-- starts from) written again, and none on a chain not started from one; each content
-- is the bytes its SHA-256 names, of the size it says.
-- The content is read whole, so this costs what the stored content weighs.  None of
-- it can be derived again from the blocks: wes_repair leaves these findings as they are
CREATE FUNCTION wes.verify_stored()
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

-- ---- wes_verify ---------------------------------------------------------------

CREATE FUNCTION wes_verify(from_height bigint DEFAULT NULL, to_height bigint DEFAULT NULL)
RETURNS TABLE (check_name text, height bigint, detail text)
AS 'MODULE_PATHNAME', 'wes_verify'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- its statements run once per call over whole tables: compiling them costs more than it saves
SET jit = off;
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

REVOKE EXECUTE ON FUNCTION wes_verify(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_verify(bigint, bigint) TO wes_writer;

-- ---- repair ---------------------------------------------------------------------
-- wes_rebuild_indexes, wes_replay_state and wes_repair are write functions:
-- SECURITY DEFINER, search_path pinned, wes_writer only.  They lock the
-- chain-state row first, as the DataWriter does, so no block is written meanwhile.

CREATE FUNCTION wes.receipt_fields(raw bytea, OUT status smallint, OUT fee bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'wes_receipt_fields'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.receipt_fields(bytea) IS
	'status and fee (u64 bit pattern) of a raw receipt; NULLs when the bytes do not decode';

-- The derived rows rebuilt from the raw transactions and receipts: outputs, inputs,
-- the transactions' counts, the receipts' columns, the journal from height
-- journal_from on (what it retains); returns the rows written
CREATE FUNCTION wes.rebuild_rows(journal_from bigint) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
	-- outputs below the base height came with a snapshot: no raw transaction holds them
	DELETE FROM wes.outputs o WHERE o.height >= (SELECT s.base_height FROM wes.chain_state s);
	INSERT INTO wes.outputs (outpoint, height, kind, owner, amount, ref, lock, data)
	SELECT wes_outpoint(t.txid, x.output_index), t.block_height, x.kind, x.owner, x.amount, x.ref, x.lock, x.data
	FROM wes.transactions t CROSS JOIN LATERAL wes.tx_outputs(t.raw) x;
	DELETE FROM wes.inputs;
	INSERT INTO wes.inputs (txid, input_index, outpoint, reference, height, tx_index, unlock)
	SELECT t.txid, x.input_index, x.outpoint, x.reference, t.block_height, t.tx_index, x.unlock
	FROM wes.transactions t CROSS JOIN LATERAL wes.tx_inputs(t.raw) x;
	UPDATE wes.transactions t
	SET input_count = c.n_in, output_count = c.n_out
	FROM (SELECT t2.txid, (SELECT count(*) FROM wes.tx_inputs(t2.raw))::integer AS n_in,
				 (SELECT count(*) FROM wes.tx_outputs(t2.raw))::integer AS n_out
		  FROM wes.transactions t2) c
	WHERE c.txid = t.txid AND (t.input_count, t.output_count) IS DISTINCT FROM (c.n_in, c.n_out);
	UPDATE wes.transactions r
	SET status = (wes.receipt_fields(r.receipt)).status, fee = (wes.receipt_fields(r.receipt)).fee
	WHERE (wes.receipt_fields(r.receipt)).status IS NOT NULL
	  AND (r.status, r.fee) IS DISTINCT FROM ((wes.receipt_fields(r.receipt)).status, (wes.receipt_fields(r.receipt)).fee);
	DELETE FROM wes.journal j WHERE j.height >= journal_from;
	INSERT INTO wes.journal (height, created, spent)
	SELECT b.height,
		   coalesce((SELECT array_agg(o.outpoint ORDER BY o.outpoint) FROM wes.outputs o
					 WHERE o.height = b.height
					   AND NOT EXISTS (SELECT 1 FROM wes.inputs i
									   WHERE i.outpoint = o.outpoint AND NOT i.reference AND i.height = b.height)),
					'{}'),
		   coalesce((SELECT array_agg(i.outpoint ORDER BY i.outpoint)
					 FROM wes.inputs i LEFT JOIN wes.outputs o ON o.outpoint = i.outpoint
					 WHERE i.height = b.height AND NOT i.reference AND (o.outpoint IS NULL OR o.height < i.height)),
					'{}')
	FROM wes.blocks b WHERE b.height >= journal_from;
	SELECT (SELECT count(*) FROM wes.outputs) + (SELECT count(*) FROM wes.inputs)
		 + (SELECT count(*) FROM wes.journal j WHERE j.height >= journal_from);
END;
COMMENT ON FUNCTION wes.rebuild_rows(bigint) IS
	'wes_rebuild_indexes: outputs, inputs, transaction counts, receipt columns and the journal (from journal_from) '
	'rebuilt from the raw transactions and receipts; returns the rows written';

-- The spend marks replayed from the raw transactions: every output a stored spend input
-- names carries that input's txid and height, every other output none.  Returns the
-- number of unspent outputs.
CREATE FUNCTION wes.rebuild_utxos() RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
	WITH spent AS MATERIALIZED (
		SELECT x.outpoint, t.txid, t.block_height AS height
		FROM wes.transactions t CROSS JOIN LATERAL wes.tx_inputs(t.raw) x WHERE NOT x.reference),
	cleared AS (
		UPDATE wes.outputs o SET spent_by = NULL, spent_height = NULL
		WHERE o.spent_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM spent s WHERE s.outpoint = o.outpoint)
		RETURNING 1)
	UPDATE wes.outputs o SET spent_by = s.txid, spent_height = s.height
	FROM spent s
	WHERE o.outpoint = s.outpoint AND (o.spent_by, o.spent_height) IS DISTINCT FROM (s.txid, s.height);
	SELECT count(*) FROM wes.outputs o WHERE o.spent_height IS NULL;
END;
COMMENT ON FUNCTION wes.rebuild_utxos() IS
	'wes_replay_state: the spend marks of wes.outputs replayed from the raw transactions; returns the number of unspent outputs';

-- The chain-state row after a replay: accumulator, its root, the count, and the tip's hash from wes.blocks
CREATE FUNCTION wes.set_state(acc bytea, root bytea, n bigint) RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
	UPDATE wes.chain_state s
	SET accumulator = acc, state_root = root::wes_hash, utxo_count = n,
		hash = coalesce((SELECT b.hash FROM wes.blocks b WHERE b.height = s.height), s.hash);
END;
COMMENT ON FUNCTION wes.set_state(bytea, bytea, bigint) IS
	'wes_replay_state: store the recomputed accumulator, state root and UTXO count in the chain-state row';

CREATE FUNCTION wes_rebuild_indexes() RETURNS bigint
AS 'MODULE_PATHNAME', 'wes_rebuild_indexes'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_rebuild_indexes() IS
	'rebuild the derived tables from the raw blocks and transactions (outputs, inputs, transaction counts, receipt '
	'columns, the retained journal, the UTXO set) and REINDEX every table of schema wes; returns the rows written. '
	'Refuses (XX001) while a raw transaction does not match its txid: wes_repair() restores those first';

CREATE FUNCTION wes_replay_state() RETURNS wes_hash
AS 'MODULE_PATHNAME', 'wes_replay_state'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_replay_state() IS
	'rebuild the UTXO set by replaying the stored raw transactions (from genesis, or on top of the UTXOs imported '
	'below chain_state.base_height), recompute the LtHash accumulator, state root and UTXO count, and return the '
	'root. WE003 (nothing changed) when the result is not the tip block''s state_root';

CREATE FUNCTION wes_repair() RETURNS TABLE (action text, detail text)
AS 'MODULE_PATHNAME', 'wes_repair'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_repair() IS
	'run wes_verify and apply the fixes its findings call for, one row per action: create_extension (amcheck), '
	'reindex (amcheck findings), restore_header_columns / restore_raw_header (a header column or the raw header, '
	'whichever the chain''s hash links confirm), restore_raw_transaction (raw bytes rebuilt from the transaction''s '
	'rows when they hash to its txid), rebuild_indexes, replay_state; then verifies again and reports what is left '
	'as unrepaired. No rows when wes_verify finds nothing';

REVOKE EXECUTE ON FUNCTION wes_rebuild_indexes() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_replay_state() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_repair() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_rebuild_indexes() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_replay_state() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_repair() TO wes_writer;

-- The internal functions are reached only through the functions above
REVOKE EXECUTE ON FUNCTION wes.tx_outputs(bytea), wes.tx_inputs(bytea), wes.receipt_fields(bytea),
	wes.verify_outputs(bigint, bigint), wes.verify_inputs(bigint, bigint), wes.verify_spend_inputs(bigint, bigint),
	wes.verify_spend_inputs_by_key(bigint, bigint), wes.verify_spends(bigint, bigint, boolean),
	wes.verify_utxo_rows(), wes.verify_utxos(), wes.verify_stored(), wes.rebuild_rows(bigint), wes.rebuild_utxos(),
	wes.set_state(bytea, bytea, bigint) FROM PUBLIC;
