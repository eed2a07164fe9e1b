-- wes_repair, wes_rebuild_indexes and wes_replay_state over the vectors' 12-block
-- chain: each kind of damage (done as superuser inside a savepoint) is named by
-- wes_verify, fixed by wes_repair with the right action, the damaged value is back
-- as it was, wes_verify then finds nothing, and the state root is the vectors' tip's.
\ir lib/session.sql

BEGIN;
SELECT plan(60);

SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS amcheck;
RESET client_min_messages;
\ir lib/vector_chain.sql

CREATE TEMP TABLE vtip AS
SELECT hash, state_root FROM vector_blocks ORDER BY height DESC LIMIT 1;
CREATE TEMP TABLE f (check_name text, height bigint, detail text);
CREATE TEMP TABLE a (action text, detail text);
CREATE TEMP TABLE pick (outpoint wes_outpoint, txid wes_hash, n int, height bigint);

-- Run wes_verify into f, then wes_repair into a
CREATE FUNCTION pg_temp.damage_then_repair() RETURNS void LANGUAGE sql AS $$
	TRUNCATE f, a;
	INSERT INTO f SELECT * FROM wes_verify();
	INSERT INTO a SELECT * FROM wes_repair();
$$;
CREATE FUNCTION pg_temp.found(c text, h bigint) RETURNS boolean LANGUAGE sql AS $$
	SELECT EXISTS (SELECT 1 FROM f WHERE f.check_name = c AND f.height IS NOT DISTINCT FROM h)
$$;
CREATE FUNCTION pg_temp.did(act text) RETURNS boolean LANGUAGE sql AS $$
	SELECT EXISTS (SELECT 1 FROM a WHERE a.action = act)
$$;
-- After a repair: nothing left unrepaired, wes_verify finds nothing, the state root is the vectors'
CREATE FUNCTION pg_temp.healed() RETURNS boolean LANGUAGE sql AS $$
	SELECT NOT EXISTS (SELECT 1 FROM a WHERE a.action = 'unrepaired')
	   AND NOT EXISTS (SELECT 1 FROM wes_verify())
	   AND (SELECT s.state_root::text FROM wes.chain_state s) = (SELECT v.state_root FROM vtip v)
$$;

SELECT is((SELECT count(*) FROM wes_repair()), 0::bigint, 'a clean chain: wes_repair does nothing');
SAVEPOINT d;

-- ---- an output row deleted ---------------------------------------------------------------
CREATE TEMP TABLE orig_out AS SELECT * FROM wes.outputs WHERE height = 4 ORDER BY outpoint LIMIT 1;
DELETE FROM wes.outputs o USING orig_out p WHERE o.outpoint = p.outpoint;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('outputs', 4), 'deleted output: wes_verify names check outputs at height 4');
SELECT ok(pg_temp.did('rebuild_indexes'), 'wes_repair rebuilds the derived rows');
SELECT is((SELECT count(*) FROM wes.outputs o JOIN orig_out p USING (outpoint)
		   WHERE (o.*)::text = (p.*)::text), 1::bigint, 'the output row is back, every column as it was');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- an unspent output marked spent -------------------------------------------------------
CREATE TEMP TABLE orig_utxo AS SELECT * FROM wes.outputs WHERE spent_height IS NULL ORDER BY height, outpoint LIMIT 1;
UPDATE wes.outputs o SET spent_by = wes_outpoint_txid(o.outpoint), spent_height = 11
FROM orig_utxo p WHERE o.outpoint = p.outpoint;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('spend_marks', 11), 'a spend mark no input makes: wes_verify names check spend_marks at its height');
SELECT ok(pg_temp.found('state_commitment', 11), 'and state_commitment at the tip');
SELECT ok(pg_temp.did('replay_state'), 'wes_repair replays the state');
SELECT is((SELECT count(*) FROM wes.outputs u JOIN orig_utxo p USING (outpoint)
		   WHERE (u.*)::text = (p.*)::text), 1::bigint, 'the output is unspent again, every column as it was');
SELECT is((SELECT utxo_count FROM wes.chain_state), 54::bigint, 'utxo_count is the vectors'' 54 again');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- a spend mark flipped ----------------------------------------------------------------
INSERT INTO pick SELECT outpoint, txid, input_index, height FROM wes.inputs
WHERE height = 9 AND NOT reference ORDER BY txid, input_index LIMIT 1;
UPDATE wes.inputs i SET reference = true FROM pick p WHERE i.txid = p.txid AND i.input_index = p.n;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('spend_marks', 9), 'flipped spend mark: wes_verify names check spend_marks at height 9');
SELECT ok(pg_temp.did('rebuild_indexes'), 'wes_repair rebuilds the derived rows');
SELECT is((SELECT i.reference FROM wes.inputs i JOIN pick p ON i.txid = p.txid AND i.input_index = p.n),
		  false, 'the input is a spend again');
SELECT is((SELECT count(*) FROM wes_api.utxos u JOIN pick p USING (outpoint)), 0::bigint, 'and its outpoint is not a UTXO');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;
TRUNCATE pick;

-- ---- a byte of a raw transaction altered (inside its first output) -------------------------
CREATE TEMP TABLE orig_tx AS SELECT txid, raw FROM wes.transactions WHERE block_height = 6 AND tx_index = 0;
-- version (4) + n_inputs (4) + inputs + n_outputs (4), then the first output's kind and owner
UPDATE wes.transactions t
SET raw = set_byte(t.raw, k.at, get_byte(t.raw, k.at) # 255)
FROM (SELECT (12 + coalesce(sum(41 + length(i.unlock)), 0) + 5)::int AS at
	  FROM orig_tx o LEFT JOIN wes.inputs i ON i.txid = o.txid) k
WHERE t.txid = (SELECT txid FROM orig_tx);
SELECT isnt((SELECT raw FROM wes.transactions WHERE txid = (SELECT txid FROM orig_tx)),
			(SELECT raw FROM orig_tx), 'the raw bytes are altered');
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('txid', 6), 'altered raw transaction: wes_verify names check txid at height 6');
SELECT ok(pg_temp.did('restore_raw_transaction'), 'wes_repair restores the raw bytes from the rows');
SELECT is((SELECT raw FROM wes.transactions WHERE txid = (SELECT txid FROM orig_tx)),
		  (SELECT raw FROM orig_tx), 'the raw bytes are exactly the original');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- a header column altered -----------------------------------------------------------------
UPDATE wes.blocks SET nonce = nonce # 12345, state_root = tx_root WHERE height = 3;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('header_columns', 3), 'altered header columns: wes_verify names check header_columns at 3');
SELECT ok(pg_temp.did('restore_header_columns'), 'wes_repair rewrites the columns from the raw header');
SELECT is((SELECT state_root::text FROM wes.blocks WHERE height = 3),
		  (SELECT state_root FROM vector_blocks WHERE height = 3), 'the state_root column is the vectors'' again');
SELECT is((SELECT count(*) FROM a), 1::bigint, 'and nothing else is done');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- the hash column of a block altered (the next block's link breaks) -----------------------
UPDATE wes.blocks SET hash = tx_root WHERE height = 5;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('block_hash', 5) AND pg_temp.found('prev_hash', 6),
		  'altered hash column: wes_verify names block_hash at 5 and prev_hash at 6');
SELECT ok(pg_temp.did('restore_header_columns'), 'wes_repair rewrites it from the raw header');
SELECT is((SELECT hash::text FROM wes.blocks WHERE height = 5),
		  (SELECT hash FROM vector_blocks WHERE height = 5), 'the hash is the vectors'' again');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- a raw header byte altered ---------------------------------------------------------------
UPDATE wes.blocks SET header = set_byte(header, 150, get_byte(header, 150) # 1) WHERE height = 7;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('block_hash', 7), 'altered raw header: wes_verify names check block_hash at 7');
SELECT ok(pg_temp.did('restore_raw_header'), 'wes_repair rebuilds the raw header from its columns');
SELECT is((SELECT header FROM wes.blocks WHERE height = 7),
		  (SELECT substr(raw, 1, 156) FROM vector_blocks WHERE height = 7), 'the raw header is the vectors'' again');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- the accumulator corrupted -------------------------------------------------------------
CREATE TEMP TABLE orig_acc AS SELECT accumulator FROM wes.chain_state;
UPDATE wes.chain_state SET accumulator = set_byte(accumulator, 2047, get_byte(accumulator, 2047) # 128);
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('state_commitment', 11), 'corrupted accumulator: wes_verify names state_commitment at 11');
SELECT ok(pg_temp.did('replay_state'), 'wes_repair replays the state');
SELECT is((SELECT accumulator FROM wes.chain_state), (SELECT accumulator FROM orig_acc), 'the accumulator is the original');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- an index entry missing (a heap row re-inserted while the index is not maintained) ----------
INSERT INTO pick SELECT NULL, hash, NULL, height FROM wes.blocks WHERE height = 7;
CREATE TEMP TABLE keep AS SELECT b.* FROM wes.blocks b JOIN pick p USING (height);
DELETE FROM wes.blocks b USING pick p WHERE b.height = p.height;
UPDATE pg_index SET indisready = false WHERE indexrelid = 'wes.blocks_hash_key'::regclass;
INSERT INTO wes.blocks SELECT * FROM keep;
UPDATE pg_index SET indisready = true WHERE indexrelid = 'wes.blocks_hash_key'::regclass;
-- only the deep check (heapallindexed) finds a heap row without its index entry
SET LOCAL wes_persist.verify_heapallindexed = on;
SELECT pg_temp.damage_then_repair();
SELECT ok(EXISTS (SELECT 1 FROM f WHERE check_name = 'amcheck' AND detail LIKE '%wes.blocks_hash_key%'),
		  'missing index entry: wes_verify with wes_persist.verify_heapallindexed names amcheck and the index');
SELECT ok(pg_temp.did('reindex'), 'wes_repair reindexes');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM wes.blocks b WHERE b.hash = (SELECT txid FROM pick)), 1::bigint,
		  'an index scan finds the row again');
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;
TRUNCATE pick;

-- ---- amcheck missing -------------------------------------------------------------------------
DROP EXTENSION amcheck;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.did('create_extension'), 'amcheck missing: wes_repair creates it');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing');
ROLLBACK TO d;

-- ---- several kinds at once -----------------------------------------------------------------------
DELETE FROM wes.outputs WHERE outpoint = (SELECT outpoint FROM wes.outputs WHERE height = 2 ORDER BY outpoint LIMIT 1);
DELETE FROM wes.inputs WHERE height = 10;
UPDATE wes.outputs SET spent_by = NULL, spent_height = NULL
WHERE outpoint = (SELECT outpoint FROM wes.outputs WHERE spent_height IS NOT NULL ORDER BY outpoint LIMIT 1);
UPDATE wes.blocks SET timestamp_ms = 0 WHERE height = 1;
UPDATE wes.chain_state SET utxo_count = 0;
DELETE FROM wes.journal WHERE height = 8;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('outputs', 2) AND pg_temp.found('inputs', 10) AND pg_temp.found('header_columns', 1)
		  AND pg_temp.found('utxo_count', 11) AND pg_temp.found('journal', 8),
		  'several kinds of damage: each is named');
SELECT ok(pg_temp.did('rebuild_indexes') AND pg_temp.did('replay_state') AND pg_temp.did('restore_header_columns'),
		  'wes_repair applies every fix');
SELECT ok(pg_temp.healed(), 'wes_verify then finds nothing and the state root is the vectors''');
ROLLBACK TO d;

-- ---- what cannot be repaired is reported, and nothing is derived from it -------------------------
DELETE FROM wes.transactions WHERE block_height = 5 AND tx_index = 1;
CREATE TEMP TABLE counts AS SELECT (SELECT count(*) FROM wes.outputs) AS o, (SELECT count(*) FROM wes.inputs) AS i;
SELECT pg_temp.damage_then_repair();
SELECT ok(pg_temp.found('tx_count', 5), 'a deleted transaction: wes_verify names tx_count at 5');
SELECT ok(EXISTS (SELECT 1 FROM a WHERE action = 'unrepaired' AND detail LIKE 'tx_count at height 5:%'),
		  'wes_repair reports it as unrepaired');
SELECT ok(NOT pg_temp.did('rebuild_indexes') AND NOT pg_temp.did('replay_state'),
		  'and derives nothing from the incomplete raw transactions');
SELECT is((SELECT (count(*), (SELECT count(*) FROM wes.inputs))::text FROM wes.outputs),
		  (SELECT (o, i)::text FROM counts), 'the derived rows are left as they were');
SELECT throws_ok('SELECT wes_rebuild_indexes()', 'XX001', NULL, 'wes_rebuild_indexes refuses (XX001)');
SELECT throws_ok('SELECT wes_replay_state()', 'XX001', NULL, 'so does wes_replay_state');
ROLLBACK TO d;

-- ---- the repair functions on their own -----------------------------------------------------------
DELETE FROM wes.inputs;
DELETE FROM wes.outputs WHERE height > 5;
SELECT is(wes_rebuild_indexes(),
		  (SELECT count(*) FROM wes.transactions t, wes.tx_outputs(t.raw))
		  + (SELECT count(*) FROM wes.transactions t, wes.tx_inputs(t.raw))
		  + 12 + 54, 'wes_rebuild_indexes writes every output, input and journal row, and counts the UTXOs');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'then wes_verify finds nothing');
UPDATE wes.outputs SET spent_by = NULL, spent_height = NULL;
UPDATE wes.chain_state SET accumulator = decode(repeat('00', 2048), 'hex'), utxo_count = 0;
SELECT is(wes_replay_state()::text, (SELECT state_root FROM vtip), 'wes_replay_state returns the vectors'' tip state root');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'then wes_verify finds nothing');
ROLLBACK TO d;

-- ---- privileges ----------------------------------------------------------------------------------
SELECT ok(has_function_privilege('wes_writer', 'wes_repair()', 'EXECUTE')
		  AND has_function_privilege('wes_writer', 'wes_rebuild_indexes()', 'EXECUTE')
		  AND has_function_privilege('wes_writer', 'wes_replay_state()', 'EXECUTE'), 'wes_writer may run the repair functions');
SELECT ok(NOT has_function_privilege('wes_reader', 'wes_repair()', 'EXECUTE')
		  AND NOT has_function_privilege('wes_reader', 'wes_rebuild_indexes()', 'EXECUTE')
		  AND NOT has_function_privilege('wes_reader', 'wes_replay_state()', 'EXECUTE'), 'wes_reader may not');
SELECT is((SELECT count(*) FROM pg_proc WHERE proname IN ('wes_repair', 'wes_rebuild_indexes', 'wes_replay_state', 'wes_verify')
		   AND prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (proconfig)), 4::bigint,
		  'all four are SECURITY DEFINER with search_path pinned');

SELECT * FROM finish();
ROLLBACK;
