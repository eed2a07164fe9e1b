-- ---------------------------------------------------------------------------
-- The QueryService: views and functions over the tables of schema wes.
--
-- Readers never touch wes.*: the views of wes_api run with their owner's
-- rights (they are not security_invoker), and every read function is plain SQL
-- over those views or, for the batched outpoint lookup, C that only wes_reader
-- may execute, so a role needs only wes_reader.  SQL bodies are parsed at
-- creation (BEGIN ATOMIC / RETURN), which pins the objects they use whatever
-- the caller's search_path, and set-returning ones are inlined by the planner,
-- so a lookup through a function is planned as the same index scans as the
-- query written by hand.  Nothing here writes: everything runs on a hot standby.
-- ---------------------------------------------------------------------------

GRANT USAGE ON SCHEMA wes_api TO wes_reader;

-- ---- views ----------------------------------------------------------------

-- In C, not a SQL CASE: inlined, CASE compiles to three comparisons, each a function
-- whose EXECUTE privilege every executor start checks again; one C call costs
-- 0.3-0.5 us less, of about 31 us for a single wes_utxo_lookup (docs/storage.md)
CREATE FUNCTION wes.kind_name(kind smallint) RETURNS text
AS 'MODULE_PATHNAME', 'wes_kind_name_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.kind_name(smallint) IS 'the name of an output kind as the wire format''s JSON form spells it; NULL for a value that is no kind';

CREATE VIEW wes_api.tip AS
SELECT s.height, s.hash, s.state_root, s.utxo_count, s.base_height
FROM wes.chain_state s
WHERE s.height IS NOT NULL;
COMMENT ON VIEW wes_api.tip IS 'the chain tip: height, block hash, state root (LtHash of the UTXO set) and UTXO count; no row on an empty chain';
COMMENT ON COLUMN wes_api.tip.height IS 'height of the tip block';
COMMENT ON COLUMN wes_api.tip.hash IS 'hash of the tip block';
COMMENT ON COLUMN wes_api.tip.utxo_count IS 'number of unspent outputs';
COMMENT ON COLUMN wes_api.tip.state_root IS 'commitment to the UTXO set after the tip block (equals the tip header''s state_root)';
COMMENT ON COLUMN wes_api.tip.base_height IS 'first height this database holds (above 0 when it started from a snapshot)';

CREATE VIEW wes_api.blocks AS
SELECT b.height, b.hash, b.prev_hash, b.tx_root, b.receipt_root, b.state_root,
	   -- timestamp_ms is an unchecked u64: out of timestamptz range reads as NULL, never as an error
	   CASE WHEN b.timestamp_ms BETWEEN 0 AND 9224318015999999
			THEN timestamptz 'epoch' + b.timestamp_ms * interval '1 millisecond' END AS "timestamp",
	   wes.u64(b.timestamp_ms) AS timestamp_ms,
	   wes.u64(b.nonce) AS nonce,
	   b.tx_count, b.size
FROM wes.blocks b;
COMMENT ON VIEW wes_api.blocks IS 'one row per block; look up by height, hash or prev_hash (a block''s child)';
COMMENT ON COLUMN wes_api.blocks.height IS 'block height (genesis is 0)';
COMMENT ON COLUMN wes_api.blocks.hash IS 'block hash: BLAKE2b-256 of the 156-byte header';
COMMENT ON COLUMN wes_api.blocks.prev_hash IS 'hash of the block at height - 1 (all zero for genesis)';
COMMENT ON COLUMN wes_api.blocks.tx_root IS 'RFC 6962 Merkle root over the transaction ids (see wes_api.tx_proof)';
COMMENT ON COLUMN wes_api.blocks.receipt_root IS 'RFC 6962 Merkle root over the receipt hashes';
COMMENT ON COLUMN wes_api.blocks.state_root IS 'LtHash commitment of the UTXO set after this block';
COMMENT ON COLUMN wes_api.blocks."timestamp" IS 'block time from the header (NULL when the header''s value is outside timestamptz range)';
COMMENT ON COLUMN wes_api.blocks.timestamp_ms IS 'the header''s timestamp: milliseconds since the Unix epoch (u64)';
COMMENT ON COLUMN wes_api.blocks.nonce IS 'the header''s nonce (u64)';
COMMENT ON COLUMN wes_api.blocks.tx_count IS 'number of transactions';
COMMENT ON COLUMN wes_api.blocks.size IS 'size of the encoded block in bytes';

CREATE VIEW wes_api.transactions AS
SELECT t.txid, t.block_height, b.hash AS block_hash, t.tx_index,
	   t.input_count, t.output_count, octet_length(t.raw) AS size
FROM wes.transactions t
JOIN wes.blocks b ON b.height = t.block_height;
COMMENT ON VIEW wes_api.transactions IS 'one row per transaction; look up by txid, or by block_height (and tx_index) or block_hash in block order';
COMMENT ON COLUMN wes_api.transactions.txid IS 'transaction id: BLAKE2b-256 of the transaction encoding';
COMMENT ON COLUMN wes_api.transactions.block_height IS 'height of the block that holds it';
COMMENT ON COLUMN wes_api.transactions.block_hash IS 'hash of the block that holds it';
COMMENT ON COLUMN wes_api.transactions.tx_index IS 'position in the block, from 0';
COMMENT ON COLUMN wes_api.transactions.input_count IS 'number of inputs, spends and references (see wes_api.inputs)';
COMMENT ON COLUMN wes_api.transactions.output_count IS 'number of outputs (see wes_api.outputs)';
COMMENT ON COLUMN wes_api.transactions.size IS 'size of the transaction encoding in bytes';

-- The view's outpoint is wes.input_outpoint(outpoint, height, tx_index, reference), which
-- returns outpoint, so that the planner support of = on wes_outpoint can find an input by
-- its outpoint through an index (src/planner_support.c): wes.inputs has no index of the
-- outpoints that spends name, which would cost every block a random index insert per
-- input, 20-40% more of the writer's CPU when measured (docs/storage.md).  WHERE outpoint
-- = x becomes also reference OR (height = wes.spend_height(x) AND tx_index =
-- wes.spend_tx_index(x)): the references through inputs_reference_idx, the spend at the
-- place its output's mark gives through inputs_pkey.  The two functions are called from
-- the reader's query, not from inside a view, so they are SECURITY DEFINER: they read
-- wes.* with their owner's rights, as the views do, and only wes_reader may call them.
CREATE FUNCTION wes.input_outpoint(outpoint wes_outpoint, height bigint, tx_index integer, reference boolean)
RETURNS wes_outpoint
AS 'MODULE_PATHNAME', 'wes_input_outpoint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.input_outpoint(wes_outpoint, bigint, integer, boolean) IS 'its first argument: the outpoint column of wes_api.inputs, which the planner support of = on wes_outpoint recognises (wes_planner_support)';

CREATE FUNCTION wes.spend_height(op wes_outpoint) RETURNS bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT o.spent_height FROM wes.outputs o WHERE o.outpoint = spend_height.op;
END;
COMMENT ON FUNCTION wes.spend_height(wes_outpoint) IS 'the height of the block that spent op (NULL while unspent)';

CREATE FUNCTION wes.spend_tx_index(op wes_outpoint) RETURNS integer
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT t.tx_index FROM wes.outputs o JOIN wes.transactions t ON t.txid = o.spent_by
	WHERE o.outpoint = spend_tx_index.op;
END;
COMMENT ON FUNCTION wes.spend_tx_index(wes_outpoint) IS 'the position in its block of the transaction that spent op (NULL while unspent)';
REVOKE ALL ON FUNCTION wes.spend_height(wes_outpoint), wes.spend_tx_index(wes_outpoint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes.spend_height(wes_outpoint), wes.spend_tx_index(wes_outpoint) TO wes_reader;

ALTER FUNCTION wes_outpoint_eq(wes_outpoint, wes_outpoint) SUPPORT wes_planner_support;

CREATE VIEW wes_api.inputs AS
SELECT t.txid, i.input_index, wes.input_outpoint(i.outpoint, i.height, i.tx_index, i.reference) AS outpoint, i.reference,
	   i.height AS block_height, i.unlock
FROM wes.transactions t
JOIN wes.inputs i ON i.height = t.block_height AND i.tx_index = t.tx_index;
COMMENT ON VIEW wes_api.inputs IS 'every input: a spend consumes its outpoint, a reference only reads it; look up by txid or outpoint';
COMMENT ON COLUMN wes_api.inputs.txid IS 'the transaction this input belongs to';
COMMENT ON COLUMN wes_api.inputs.input_index IS 'position among the transaction''s inputs, from 0';
COMMENT ON COLUMN wes_api.inputs.outpoint IS 'the output it names (<txid>:<index>)';
COMMENT ON COLUMN wes_api.inputs.reference IS 'true: read without consuming; false: a spend';
COMMENT ON COLUMN wes_api.inputs.block_height IS 'height of the block that holds the input''s transaction';
COMMENT ON COLUMN wes_api.inputs.unlock IS 'unlocking data (signature, witness), opaque';

-- An output row carries its spend mark
CREATE VIEW wes_api.outputs AS
SELECT o.outpoint,
	   wes_outpoint_txid(o.outpoint) AS txid,
	   wes_outpoint_index(o.outpoint) AS output_index,
	   wes.kind_name(o.kind) AS kind,
	   o.owner, o.amount, o.ref, o.lock, o.data,
	   o.height AS created_height,
	   o.spent_by,
	   o.spent_height
FROM wes.outputs o;
COMMENT ON VIEW wes_api.outputs IS 'every output ever created, with its spend when spent; look up by outpoint, txid or owner';
COMMENT ON COLUMN wes_api.outputs.outpoint IS 'the output''s id: <txid>:<output_index>';
COMMENT ON COLUMN wes_api.outputs.txid IS 'the transaction that created it';
COMMENT ON COLUMN wes_api.outputs.output_index IS 'position among that transaction''s outputs, from 0';
COMMENT ON COLUMN wes_api.outputs.kind IS 'asset, resource or state';
COMMENT ON COLUMN wes_api.outputs.owner IS 'owner address (20 bytes)';
COMMENT ON COLUMN wes_api.outputs.amount IS 'amount of the asset ref (0 .. 2^63-1)';
COMMENT ON COLUMN wes_api.outputs.ref IS 'asset: asset id (all zero = native coin); resource: SHA-256 of the content; state: state id';
COMMENT ON COLUMN wes_api.outputs.lock IS 'locking conditions, opaque';
COMMENT ON COLUMN wes_api.outputs.data IS 'asset: empty; state: the state record; resource: encoded metadata (see wes_api.resources)';
COMMENT ON COLUMN wes_api.outputs.created_height IS 'height of the block that created it';
COMMENT ON COLUMN wes_api.outputs.spent_by IS 'txid of the transaction that spent it; NULL while unspent';
COMMENT ON COLUMN wes_api.outputs.spent_height IS 'height of the block that spent it; NULL while unspent';

-- The current set: the outputs without a spend mark
CREATE VIEW wes_api.utxos AS
SELECT o.outpoint, wes_outpoint_txid(o.outpoint) AS txid, wes_outpoint_index(o.outpoint) AS output_index,
	   wes.kind_name(o.kind) AS kind, o.owner, o.amount, o.ref, o.lock, o.data, o.height AS created_height,
	   NULL::wes_hash AS spent_by, NULL::bigint AS spent_height
FROM wes.outputs o
WHERE o.spent_height IS NULL;
COMMENT ON VIEW wes_api.utxos IS 'the unspent rows of wes_api.outputs (the current UTXO set); look up by outpoint, txid or owner';
COMMENT ON COLUMN wes_api.utxos.outpoint IS 'the output''s id: <txid>:<output_index>';
COMMENT ON COLUMN wes_api.utxos.txid IS 'the transaction that created it';
COMMENT ON COLUMN wes_api.utxos.spent_by IS 'always NULL (same columns as wes_api.outputs)';
COMMENT ON COLUMN wes_api.utxos.spent_height IS 'always NULL (same columns as wes_api.outputs)';
COMMENT ON COLUMN wes_api.utxos.owner IS 'owner address (20 bytes)';
COMMENT ON COLUMN wes_api.utxos.ref IS 'asset: asset id (all zero = native coin); resource: SHA-256 of the content; state: state id';
COMMENT ON COLUMN wes_api.utxos.created_height IS 'height of the block that created it';
COMMENT ON COLUMN wes_api.utxos.output_index IS 'position among that transaction''s outputs, from 0';
COMMENT ON COLUMN wes_api.utxos.kind IS 'asset, resource or state';
COMMENT ON COLUMN wes_api.utxos.amount IS 'amount of the asset ref (0 .. 2^63-1)';
COMMENT ON COLUMN wes_api.utxos.lock IS 'locking conditions, opaque';
COMMENT ON COLUMN wes_api.utxos.data IS 'asset: empty; state: the state record; resource: encoded metadata (see wes_api.resources)';

CREATE VIEW wes_api.address_balances AS
SELECT o.owner, o.ref AS asset, sum(o.amount) AS balance, count(*) AS utxo_count
FROM wes.outputs o
WHERE o.kind = 0 AND o.spent_height IS NULL
GROUP BY o.owner, o.ref;
COMMENT ON VIEW wes_api.address_balances IS 'current balance of every address in every asset (unspent asset outputs only); look up by owner';
COMMENT ON COLUMN wes_api.address_balances.owner IS 'owner address';
COMMENT ON COLUMN wes_api.address_balances.asset IS 'asset id (all zero = native coin)';
COMMENT ON COLUMN wes_api.address_balances.balance IS 'sum of the unspent amounts';
COMMENT ON COLUMN wes_api.address_balances.utxo_count IS 'number of unspent outputs summed';

GRANT SELECT ON wes_api.tip, wes_api.blocks, wes_api.transactions, wes_api.inputs,
	wes_api.outputs, wes_api.utxos, wes_api.address_balances TO wes_reader;

-- ---- point lookups (wes_api names for PostgREST; the sql-api.md names below) ----

CREATE FUNCTION wes_api.chain_tip()
RETURNS TABLE (height bigint, hash wes_hash, state_root wes_hash)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.height, t.hash, t.state_root FROM wes_api.tip t;
END;
COMMENT ON FUNCTION wes_api.chain_tip() IS 'the chain tip (height, hash, state_root); no row on an empty chain';

-- As-of reads need the state at the end of block at_height, which is known here only
-- from the state a chain starts from to the tip:
--  - above the tip, the block is not written yet (on a standby, maybe not replayed yet):
--    an answer would be the tip's state under another height's name;
--  - a chain that starts from a snapshot (base_height > 0) holds no output spent before
--    the snapshot: below its height an answer would leave outputs out.
-- Both are refused (WE006).  Called as a conjunct of its own, without a column, it is a
-- one-time filter: checked once per call, before any index is read; with at_height NULL
-- the planner drops it.
CREATE FUNCTION wes.as_of_held(at_height bigint) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	tip bigint;
	first_held bigint;
BEGIN
	SELECT t.height, t.base_height INTO tip, first_held FROM wes_api.tip t;
	IF at_height > coalesce(tip, -1) THEN
		RAISE EXCEPTION 'the state at height % is not known here: the tip is at %', at_height, coalesce(tip::text, 'none (empty chain)')
			USING ERRCODE = 'WE006',
				  HINT = 'Ask again once that block is written (on a standby: replayed), or pass no height for the state at the tip.';
	END IF;
	IF first_held > 0 AND at_height < first_held - 1 THEN
		RAISE EXCEPTION 'the state at height % is not held here: this chain starts from a snapshot at height %',
			at_height, first_held - 1
			USING ERRCODE = 'WE006',
				  HINT = 'As-of reads reach back to the snapshot''s height; a database that holds the older blocks serves older states.';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION wes.as_of_held(bigint) IS 'true when the state at the end of block at_height is held here; WE006 above the tip, or below the snapshot a chain starts from';

-- at_height NULL: the output whatever its state; else only if alive at the end of that block
CREATE FUNCTION wes_api.utxo_lookup(op wes_outpoint, at_height bigint DEFAULT NULL)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT o.* FROM wes_api.outputs o
	WHERE o.outpoint = utxo_lookup.op
	  AND (utxo_lookup.at_height IS NULL OR wes.as_of_held(utxo_lookup.at_height))
	  AND (utxo_lookup.at_height IS NULL
		   OR (o.created_height <= utxo_lookup.at_height
			   AND (o.spent_height IS NULL OR o.spent_height > utxo_lookup.at_height)));
END;
COMMENT ON FUNCTION wes_api.utxo_lookup(wes_outpoint, bigint) IS 'one output by outpoint, spent or not (with its spender); with at_height, only if it existed and was unspent at the end of that block';

-- The batched lookup is C (src/queries_lookup.c): the outpoints are sorted and de-duplicated,
-- found in outputs_pkey with one walk along its leaf pages (where = ANY descends from the root
-- once per outpoint), and their rows fetched in the order of the table's pages.  It reads
-- wes.outputs itself, as the views do with their owner's rights, so EXECUTE on it is the
-- privilege: wes_reader's only.  STRICT: a NULL array gives no row.  It returns one row per
-- call: called in a select list (ProjectSet), as utxo_lookup_many does, the rows stream; in
-- FROM, a Function Scan would store them all before handing out the first.
CREATE FUNCTION wes.outputs_lookup(ops wes_outpoint[])
RETURNS SETOF wes_api.outputs
AS 'MODULE_PATHNAME', 'wes_outputs_lookup'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.outputs_lookup(wes_outpoint[]) IS 'the rows of wes_api.outputs of the outpoints, once each, in no particular order (the body of wes_api.utxo_lookup_many)';
REVOKE ALL ON FUNCTION wes.outputs_lookup(wes_outpoint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes.outputs_lookup(wes_outpoint[]) TO wes_reader;

CREATE FUNCTION wes_api.utxo_lookup_many(ops wes_outpoint[])
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT (l.o).* FROM (SELECT wes.outputs_lookup(utxo_lookup_many.ops) AS o) l;
END;
COMMENT ON FUNCTION wes_api.utxo_lookup_many(wes_outpoint[]) IS 'the outputs (spent or not) of many outpoints in one call, once each, in no particular order; outpoints that do not exist and NULL elements are left out';

-- The outputs of many transactions.  An outpoint begins with its txid, so a transaction's
-- outputs are one range of outputs_pkey, [wes_outpoint(txid, 0), wes_outpoint(txid,
-- 2^32-1)], read here for each txid by a nested loop: the subquery behind OFFSET 0 keeps
-- the planner from turning the loop into one scan of every output checked against every
-- txid, which it would, because it cannot know how narrow each range is.  For the same
-- reason it estimates 0.5% of the table per txid, which puts a large call over
-- jit_above_cost and spends 100-150 ms compiling what runs in 10: so jit = off, which
-- also keeps the function from being inlined (a Function Scan to the caller's EXPLAIN).
CREATE FUNCTION wes_api.transactions_outputs(txids wes_hash[])
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
SET jit = off
BEGIN ATOMIC
	SELECT o.*
	FROM (SELECT u.txid, min(u.n) AS n FROM unnest(transactions_outputs.txids) WITH ORDINALITY u(txid, n)
		  WHERE u.txid IS NOT NULL GROUP BY u.txid) t
	CROSS JOIN LATERAL (SELECT * FROM wes_api.outputs o
						WHERE o.outpoint BETWEEN wes_outpoint(t.txid, 0) AND wes_outpoint(t.txid, 4294967295)
						OFFSET 0) o
	ORDER BY t.n, o.output_index;
END;
COMMENT ON FUNCTION wes_api.transactions_outputs(wes_hash[]) IS 'the outputs (spent or not) of many transactions in one call: those of the first txid given, by output_index, then those of the next; a txid given twice counts once, NULL elements and unknown txids give no row';

-- Current UTXOs and UTXOs as of a height, both from the owner index of wes.outputs
-- and the spend marks of the rows it finds, never a replay of blocks
CREATE FUNCTION wes_api.addresses_utxos(owners wes_address[], at_height bigint DEFAULT NULL)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT o.* FROM wes_api.outputs o
	WHERE o.owner = ANY (addresses_utxos.owners)
	  AND (addresses_utxos.at_height IS NULL OR wes.as_of_held(addresses_utxos.at_height))
	  AND CASE WHEN addresses_utxos.at_height IS NULL THEN o.spent_height IS NULL
			   ELSE o.created_height <= addresses_utxos.at_height
					AND (o.spent_height IS NULL OR o.spent_height > addresses_utxos.at_height) END;
END;
COMMENT ON FUNCTION wes_api.addresses_utxos(wes_address[], bigint) IS 'the unspent outputs of many addresses in one call: now, or as of the end of block at_height';

CREATE FUNCTION wes_api.address_utxos(owner wes_address, at_height bigint DEFAULT NULL)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT a.* FROM wes_api.addresses_utxos(ARRAY[address_utxos.owner], address_utxos.at_height) a;
END;
COMMENT ON FUNCTION wes_api.address_utxos(wes_address, bigint) IS 'the unspent outputs of an address: now, or as of the end of block at_height';

CREATE FUNCTION wes_api.address_balance(owner wes_address,
										asset wes_hash DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
										at_height bigint DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(sum(a.amount), 0)
	FROM wes_api.address_utxos(address_balance.owner, address_balance.at_height) a
	WHERE a.ref = address_balance.asset AND a.kind = 'asset';
END;
COMMENT ON FUNCTION wes_api.address_balance(wes_address, wes_hash, bigint) IS 'sum of the unspent amounts of an asset (default: the native coin) owned by an address, now or as of the end of block at_height';

-- ---- explorers ---------------------------------------------------------------

CREATE FUNCTION wes_api.block(block_height bigint DEFAULT NULL, block_hash wes_hash DEFAULT NULL)
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

-- Keyset pagination, newest first: pass the last row's (block_height, tx_index) to get the
-- next page.  Cost: one pass over the address's outputs created or spent up to the cursor
-- (owner index plus spend-index probes), independent of the size of the chain.
CREATE FUNCTION wes_api.address_transactions(owner wes_address,
											 before_height bigint DEFAULT NULL,
											 before_tx_index integer DEFAULT NULL,
											 page_size integer DEFAULT 50)
RETURNS TABLE (block_height bigint, tx_index integer, txid wes_hash,
			   outputs_received bigint, outputs_spent bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.block_height, t.tx_index, t.txid, x.received, x.spent
	FROM (SELECT r.txid, count(*) FILTER (WHERE r.received) AS received,
				 count(*) FILTER (WHERE NOT r.received) AS spent
		  FROM (SELECT o.txid, true AS received FROM wes_api.outputs o
				WHERE o.owner = address_transactions.owner
				  AND o.created_height <= coalesce(address_transactions.before_height, 9223372036854775807)
				UNION ALL
				SELECT o.spent_by, false FROM wes_api.outputs o
				WHERE o.owner = address_transactions.owner
				  AND o.spent_height <= coalesce(address_transactions.before_height, 9223372036854775807)) r
		  GROUP BY r.txid) x
	JOIN wes_api.transactions t ON t.txid = x.txid
	WHERE (t.block_height, t.tx_index) <
		  (coalesce(address_transactions.before_height, 9223372036854775807),
		   coalesce(address_transactions.before_tx_index,
					CASE WHEN address_transactions.before_height IS NULL THEN 2147483647 ELSE -1 END))
	ORDER BY t.block_height DESC, t.tx_index DESC
	LIMIT least(greatest(address_transactions.page_size, 1), 1000);
END;
COMMENT ON FUNCTION wes_api.address_transactions(wes_address, bigint, integer, integer) IS 'the transactions that paid an address or spent its outputs, newest first; for the next page pass the last row''s block_height and tx_index as before_height and before_tx_index (page_size at most 1000)';

-- Inclusion proofs: the RFC 6962 audit path of a transaction to its block's tx_root
CREATE FUNCTION wes.merkle_path(leaves wes_hash[], leaf_index integer) RETURNS wes_hash[]
	AS 'MODULE_PATHNAME', 'wes_merkle_path_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.merkle_path(wes_hash[], integer) IS 'the RFC 6962 audit path of leaf leaf_index (from 0) in the Merkle tree over leaves, nearest sibling first';

CREATE FUNCTION wes_verify_tx_proof(txid wes_hash, tx_index bigint, tx_count bigint, path wes_hash[], tx_root wes_hash)
RETURNS boolean
	AS 'MODULE_PATHNAME', 'wes_verify_tx_proof' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_verify_tx_proof(wes_hash, bigint, bigint, wes_hash[], wes_hash) IS 'whether path (from wes_tx_proof) proves that txid is leaf tx_index of tx_count under tx_root (RFC 6962 with BLAKE2b-256); needs no database state';

CREATE FUNCTION wes_api.tx_proof(txid wes_hash)
RETURNS TABLE (txid wes_hash, block_height bigint, block_hash wes_hash, tx_index bigint,
			   tx_count bigint, tx_root wes_hash, path wes_hash[])
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.txid, t.block_height, b.hash, t.tx_index, b.tx_count, b.tx_root,
		   wes.merkle_path(ARRAY(SELECT x.txid FROM wes_api.transactions x
								 WHERE x.block_height = t.block_height ORDER BY x.tx_index),
						   t.tx_index)
	FROM wes_api.transactions t
	JOIN wes_api.blocks b ON b.height = t.block_height
	WHERE t.txid = tx_proof.txid;
END;
COMMENT ON FUNCTION wes_api.tx_proof(wes_hash) IS 'proof that a transaction is in its block: the RFC 6962 audit path from txid (leaf tx_index of tx_count) to the block''s tx_root; check it with wes_api.verify_tx_proof or any RFC 6962 verifier using BLAKE2b-256';

CREATE FUNCTION wes_api.verify_tx_proof(txid wes_hash, tx_index bigint, tx_count bigint, path wes_hash[], tx_root wes_hash)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN wes_verify_tx_proof(txid, tx_index, tx_count, path, tx_root);
COMMENT ON FUNCTION wes_api.verify_tx_proof(wes_hash, bigint, bigint, wes_hash[], wes_hash) IS 'whether path proves that txid is leaf tx_index of tx_count under tx_root; the arguments are the columns of wes_api.tx_proof';

CREATE VIEW wes_api.resource_content AS
SELECT c.content_hash, c.media_type, c.size, c.stored_at, c.content
FROM wes.resource_content c;
COMMENT ON VIEW wes_api.resource_content IS 'stored resource content by SHA-256; select only the columns you need (content can be large), or read a range with wes_api.resource_read';
COMMENT ON COLUMN wes_api.resource_content.content_hash IS 'SHA-256 of the content';
COMMENT ON COLUMN wes_api.resource_content.size IS 'content size in bytes';
COMMENT ON COLUMN wes_api.resource_content.media_type IS 'media type given by the first wes_write_resource call that gave one (NULL when none did)';
COMMENT ON COLUMN wes_api.resource_content.stored_at IS 'when the content was first stored';
COMMENT ON COLUMN wes_api.resource_content.content IS 'the content (stored uncompressed out of line, so a substring reads only the chunks it covers)';
GRANT SELECT ON wes_api.resource_content TO wes_reader;

-- substring() of an EXTERNAL (uncompressed, out-of-line) value fetches only the TOAST
-- chunks that cover the range.  PL/pgSQL resolves its operators when it first runs, so
-- its search_path is pinned: pg_catalog first, then the schema of wes_hash's =, never
-- an object a caller's search_path puts before them.  substring(bytea) takes integer positions; content is
-- below 1 GB, so bigint offsets and lengths are clamped to integer range
CREATE FUNCTION wes_api.resource_read(content_hash wes_hash, "offset" bigint DEFAULT 0, length bigint DEFAULT NULL)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema@, pg_temp
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

-- ---- the functions of sql-api.md, in the extension's schema ----

CREATE FUNCTION wes_chain_tip()
RETURNS TABLE (height bigint, hash wes_hash, state_root wes_hash)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.height, t.hash, t.state_root FROM wes_api.chain_tip() t;
END;
COMMENT ON FUNCTION wes_chain_tip() IS 'the chain tip (height, hash, state_root); no row on an empty chain';

CREATE FUNCTION wes_utxo_lookup(op wes_outpoint)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup(wes_utxo_lookup.op, NULL) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(wes_outpoint) IS 'zero or one row of wes_api.outputs: the output, spent or not, with its spender';

-- An untyped literal or parameter ('<txid>:<index>', as psql and many drivers send a
-- string) fits both the form above and the array form equally, which PostgreSQL reports
-- as ambiguous (42725); a text argument is preferred for it, so this form takes it
CREATE FUNCTION wes_utxo_lookup(op text)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup(wes_utxo_lookup.op::wes_outpoint, NULL) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(text) IS 'wes_utxo_lookup(wes_outpoint) of an outpoint given as text or as an untyped literal or parameter (''<txid>:<index>'')';

CREATE FUNCTION wes_utxo_lookup(op wes_outpoint, at_height bigint)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup(wes_utxo_lookup.op, wes_utxo_lookup.at_height) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(wes_outpoint, bigint) IS 'the output only if it existed and was unspent at the end of block at_height';

CREATE FUNCTION wes_utxo_lookup(ops wes_outpoint[])
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup_many(wes_utxo_lookup.ops) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(wes_outpoint[]) IS 'the rows of wes_api.outputs for those of the outpoints that exist, in one call';

CREATE FUNCTION wes_address_balance(owner wes_address,
									asset wes_hash DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
									at_height bigint DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
RETURN wes_api.address_balance(owner, asset, at_height);
COMMENT ON FUNCTION wes_address_balance(wes_address, wes_hash, bigint) IS 'sum of the unspent amounts of an asset (default: the native coin) owned by an address, now or as of the end of block at_height';

CREATE FUNCTION wes_resource_read(content_hash wes_hash, "offset" bigint DEFAULT 0, length bigint DEFAULT NULL)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
RETURN wes_api.resource_read(content_hash, "offset", length);
COMMENT ON FUNCTION wes_resource_read(wes_hash, bigint, bigint) IS 'length bytes of a resource''s content from offset (0-based), reading only the storage chunks needed; NULL when the content is not stored';

CREATE FUNCTION wes_tx_proof(txid wes_hash)
RETURNS TABLE (txid wes_hash, block_height bigint, block_hash wes_hash, tx_index bigint,
			   tx_count bigint, tx_root wes_hash, path wes_hash[])
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT p.* FROM wes_api.tx_proof(wes_tx_proof.txid) p;
END;
COMMENT ON FUNCTION wes_tx_proof(wes_hash) IS 'the RFC 6962 audit path of a transaction to its block''s tx_root (see wes_verify_tx_proof)';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA wes_api FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA wes_api TO wes_reader;

-- ---- privileges beyond the API's own objects ----

-- Large objects are the one place a role without any grant can create data (lo_create
-- is executable by PUBLIC out of the box); a read-only role must not have that route
REVOKE EXECUTE ON FUNCTION pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer),
	pg_catalog.lo_from_bytea(oid, bytea) FROM PUBLIC;

-- ---- logical replication ----

-- Selective replicas subscribe to wes_publication (every table of wes).  Publications are
-- per database and outlive DROP EXTENSION, so an existing one is extended, not recreated;
-- but only one a superuser owns that publishes every kind of change.  One that another
-- role made first (any role with CREATE on the database may) stays that role's to alter:
-- it could drop the tables or the updates a replica needs, and replicas would go stale.
DO $$
DECLARE
	p pg_publication;
BEGIN
	SELECT * INTO p FROM pg_publication WHERE pubname = 'wes_publication';
	IF NOT FOUND THEN
		CREATE PUBLICATION wes_publication FOR TABLES IN SCHEMA wes;
		RETURN;
	END IF;
	IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.oid = p.pubowner) THEN
		RAISE EXCEPTION 'publication wes_publication exists and belongs to %, who is not a superuser', p.pubowner::regrole
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Drop it, or give it to a superuser (ALTER PUBLICATION wes_publication OWNER TO ...), then create the extension.';
	END IF;
	IF NOT (p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate) THEN
		RAISE EXCEPTION 'publication wes_publication exists and does not publish every kind of change'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'ALTER PUBLICATION wes_publication SET (publish = ''insert, update, delete, truncate''), or drop it, then create the extension.';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_publication_namespace pn WHERE pn.pnpubid = p.oid AND pn.pnnspid = 'wes'::regnamespace) THEN
		ALTER PUBLICATION wes_publication ADD TABLES IN SCHEMA wes;
	END IF;
END
$$;
COMMENT ON PUBLICATION wes_publication IS 'every table of schema wes, for logical (selective) replicas: a subscriber creates the extension and subscribes';
