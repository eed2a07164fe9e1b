-- wes_verify over the vectors' 12-block chain: a clean chain gives no finding;
-- each kind of damage, done as superuser inside a savepoint, is named by its
-- check and height (the heights come from the damage, not from wes_verify).
\ir lib/session.sql

BEGIN;
SELECT plan(86);

SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS amcheck;
RESET client_min_messages;
\ir lib/vector_chain.sql

CREATE TEMP TABLE f (check_name text, height bigint, detail text);
CREATE TEMP TABLE pick (outpoint wes_outpoint, txid wes_hash, n int, height bigint);
-- The findings of one wes_verify call, kept for several assertions
CREATE FUNCTION pg_temp.findings(lo bigint DEFAULT NULL, hi bigint DEFAULT NULL)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql AS $$ SELECT * FROM wes_verify(lo, hi) $$;
CREATE FUNCTION pg_temp.named(c text, h bigint, needle text DEFAULT '') RETURNS boolean
LANGUAGE sql AS $$
	SELECT EXISTS (SELECT 1 FROM f WHERE f.check_name = c AND f.height IS NOT DISTINCT FROM h
				   AND f.detail LIKE '%' || needle || '%')
$$;

-- ---- the clean chain -----------------------------------------------------------
SELECT is((SELECT count(*) FROM wes.blocks), 12::bigint, 'the vectors'' 12 blocks are written');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'a clean chain gives no finding');
SELECT is((SELECT count(*) FROM wes_verify(0, 11)), 0::bigint, 'nor over the explicit range 0..11');
SELECT is((SELECT count(*) FROM wes_verify(4, 6)), 0::bigint, 'nor over the middle range 4..6');
SELECT is((SELECT count(*) FROM wes_verify(7)), 0::bigint, 'nor from height 7 to the tip');
SELECT is((SELECT count(*) FROM wes_verify(100, 200)), 0::bigint, 'a range above the tip checks nothing');

-- ---- damage, one kind at a time --------------------------------------------------

-- Two references that check spends names: input 98 of block 11's first transaction names
-- no output; input 97 of block 5's first transaction names an output of height 9
CREATE FUNCTION pg_temp.add_bad_references() RETURNS void LANGUAGE sql AS $$
INSERT INTO pick SELECT (t.txid::text || ':77')::wes_outpoint, t.txid, 98, 11 FROM wes.transactions t
WHERE t.block_height = 11 AND t.tx_index = 0;
INSERT INTO pick SELECT o.outpoint, t.txid, 97, 5 FROM wes.outputs o, wes.transactions t
WHERE o.height = 9 AND t.block_height = 5 AND t.tx_index = 0 ORDER BY o.outpoint LIMIT 1;
INSERT INTO wes.inputs (txid, input_index, outpoint, reference, height, tx_index, unlock)
SELECT txid, n, outpoint, true, height, 0, '\x' FROM pick;
$$;

-- an unspent output row deleted
SAVEPOINT d;
INSERT INTO pick SELECT outpoint, NULL, NULL, height FROM wes.outputs WHERE height = 6 AND spent_height IS NULL ORDER BY outpoint LIMIT 1;
DELETE FROM wes.outputs o USING pick p WHERE o.outpoint = p.outpoint;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('outputs', 6, (SELECT outpoint::text FROM pick)), 'a deleted output: check outputs, its height and outpoint');
SELECT ok(pg_temp.named('utxos', NULL, 'not those the raw transactions created'), 'and the UTXO set is named as not the one the raw transactions give');
SELECT ok(NOT pg_temp.named('journal', 6), 'the journal still agrees with the raw transactions');
-- a narrow range reads the derived rows of its heights only (through their height indexes)
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.findings(6, 6) x WHERE x.check_name = 'outputs' AND x.height = 6
				  AND x.detail LIKE '%' || (SELECT outpoint::text FROM pick) || '%'),
		  'over the range 6..6 alone, check outputs names it too');
SELECT is((SELECT count(*) FROM pg_temp.findings(7, 8)), 0::bigint, 'and the range 7..8 finds nothing');
ROLLBACK TO d;
TRUNCATE f, pick;

-- an unspent output marked spent
INSERT INTO pick SELECT outpoint, NULL, NULL, height FROM wes.outputs WHERE height < 11 AND spent_height IS NULL
ORDER BY height, outpoint LIMIT 1;
UPDATE wes.outputs o SET spent_by = wes_outpoint_txid(o.outpoint), spent_height = 11 FROM pick p WHERE o.outpoint = p.outpoint;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('spend_marks', 11, (SELECT outpoint::text FROM pick) || ' carries the spend mark'),
		  'a spend mark no input makes: check spend_marks, its height and outpoint');
SELECT ok(pg_temp.named('state_commitment', 11, 'accumulator'), 'the accumulator no longer matches a full scan');
SELECT ok(pg_temp.named('state_commitment', 11, 'tip block''s state_root'), 'nor does the tip''s state_root');
SELECT ok(pg_temp.named('utxo_count', 11, 'holds 53'), 'the UTXO count is off by one');
SELECT is((SELECT count(*) FROM pg_temp.findings(0, 10)), 0::bigint, 'a range below the tip skips the state checks');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a spend mark flipped: a spend input turned into a reference
INSERT INTO pick SELECT outpoint, txid, input_index, height FROM wes.inputs WHERE height = 5 AND NOT reference
ORDER BY txid, input_index LIMIT 1;
UPDATE wes.inputs i SET reference = true FROM pick p WHERE i.txid = p.txid AND i.input_index = p.n;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('spend_marks', 5, (SELECT txid::text FROM pick)), 'a flipped spend mark: check spend_marks at the spender''s height');
SELECT ok(pg_temp.named('spend_marks', 5, (SELECT outpoint::text FROM pick)), 'the finding names the outpoint');
SELECT is((SELECT count(*) FROM f WHERE f.check_name <> 'spend_marks'), 0::bigint,
		  'nothing else: the UTXO set still agrees with the raw transactions');
ROLLBACK TO d;
TRUNCATE f, pick;

-- an input row moved to another position in its block (inputs are keyed by position)
INSERT INTO pick SELECT outpoint, txid, input_index, height FROM wes.inputs WHERE height = 6
ORDER BY tx_index, input_index LIMIT 1;
UPDATE wes.inputs i SET tx_index = i.tx_index + 1000 FROM pick p WHERE i.txid = p.txid AND i.input_index = p.n;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('inputs', 6, 'tx_index'), 'an input row at the wrong position: check inputs names tx_index');
SELECT is((SELECT count(*) FROM f WHERE f.height IS DISTINCT FROM 6), 0::bigint, 'every finding is at that height');
ROLLBACK TO d;
TRUNCATE f, pick;

-- one byte of a raw transaction altered
INSERT INTO pick SELECT NULL, txid, tx_index, block_height FROM wes.transactions WHERE block_height = 7 AND tx_index = 1;
UPDATE wes.transactions t SET raw = set_byte(t.raw, 60, get_byte(t.raw, 60) # 1) FROM pick p WHERE t.txid = p.txid;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('txid', 7, (SELECT txid::text FROM pick)), 'an altered raw transaction: check txid at its height');
SELECT is((SELECT count(*) FROM f WHERE f.height IS DISTINCT FROM 7), 0::bigint, 'every finding is at that height');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a raw transaction cut short: it no longer decodes
UPDATE wes.transactions SET raw = substr(raw, 1, 20) WHERE block_height = 9 AND tx_index = 0;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('tx_decode', 9), 'a truncated raw transaction: check tx_decode');
SELECT ok(pg_temp.named('block_size', 9) OR pg_temp.named('outputs', 9), 'its derived rows no longer match');
ROLLBACK TO d;
TRUNCATE f, pick;

-- header columns altered
UPDATE wes.blocks SET nonce = nonce + 1 WHERE height = 8;
UPDATE wes.blocks SET tx_root = state_root WHERE height = 3;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('header_columns', 8, 'nonce'), 'an altered nonce column: check header_columns at 8');
SELECT ok(pg_temp.named('header_columns', 3, 'tx_root'), 'an altered tx_root column: check header_columns at 3');
SELECT is((SELECT count(*) FROM f), 2::bigint, 'and nothing else');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a raw header byte altered (the timestamp): its hash changes, the next block's link breaks
UPDATE wes.blocks SET header = set_byte(header, 12, get_byte(header, 12) # 255) WHERE height = 4;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('block_hash', 4), 'an altered raw header: check block_hash at 4');
SELECT ok(pg_temp.named('header_columns', 4, 'timestamp_ms'), 'its timestamp no longer matches the column');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a broken link: the prev_hash (column and header) of block 5 replaced
UPDATE wes.blocks SET hash = decode(repeat('ab', 32), 'hex')::wes_hash WHERE height = 4;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('prev_hash', 5), 'a changed hash column of block 4: check prev_hash at 5');
SELECT ok(pg_temp.named('block_hash', 4), 'and block_hash at 4');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a block row missing
DELETE FROM wes.blocks WHERE height = 6;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('height_continuity', 6, 'no block at height 6'), 'a deleted block: check height_continuity at 6');
SELECT ok(pg_temp.named('transactions', 6, 'has no block'), 'its transactions are named as orphans');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a receipt's bytes altered, a receipt column altered
UPDATE wes.transactions SET receipt = set_byte(receipt, 0, get_byte(receipt, 0) # 1) WHERE block_height = 10 AND tx_index = 0;
UPDATE wes.transactions SET fee = fee + 1 WHERE block_height = 2 AND tx_index = 0;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('receipt_root', 10), 'altered receipt bytes: check receipt_root at 10');
SELECT ok(pg_temp.named('receipt_columns', 2, 'fee'), 'an altered fee: check receipt_columns at 2');
ROLLBACK TO d;
TRUNCATE f, pick;

-- the accumulator corrupted
UPDATE wes.chain_state SET accumulator = set_byte(accumulator, 100, get_byte(accumulator, 100) # 1);
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('state_commitment', 11, 'accumulator'), 'a corrupted accumulator: check state_commitment at the tip');
SELECT is((SELECT count(*) FROM f), 1::bigint, 'and nothing else');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a spent output's spend mark cleared: it is back in the UTXO set
INSERT INTO pick SELECT outpoint, spent_by, NULL, spent_height FROM wes.outputs WHERE spent_height IS NOT NULL
ORDER BY outpoint LIMIT 1;
UPDATE wes.outputs o SET spent_by = NULL, spent_height = NULL FROM pick p WHERE o.outpoint = p.outpoint;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('spend_marks', (SELECT height FROM pick),
						(SELECT outpoint::text || ' is spent by ' || txid::text FROM pick)),
		  'a cleared spend mark: check spend_marks names the output, its spender and the spender''s height');
SELECT ok(pg_temp.named('state_commitment', 11, 'accumulator'), 'and the state commitment no longer holds');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a spend mark naming another spender, same height: the marks add up to as many as the spends, not the same
INSERT INTO pick SELECT outpoint, spent_by, NULL, spent_height FROM wes.outputs WHERE spent_height IS NOT NULL
ORDER BY outpoint LIMIT 1;
UPDATE wes.outputs o SET spent_by = wes_outpoint_txid(o.outpoint) FROM pick p WHERE o.outpoint = p.outpoint;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('spend_marks', (SELECT height FROM pick),
						(SELECT outpoint::text || ' carries the spend mark ' || wes_outpoint_txid(outpoint)::text FROM pick)),
		  'a spend mark naming the wrong spender: check spend_marks names the output and both spenders');
SELECT ok(pg_temp.named('spend_marks', (SELECT height FROM pick), (SELECT 'its spend input is ' || txid::text FROM pick)),
		  'and the spender its input names');
ROLLBACK TO d;
TRUNCATE f, pick;

-- a spend mark at another height
INSERT INTO pick SELECT outpoint, spent_by, NULL, spent_height FROM wes.outputs WHERE spent_height IS NOT NULL
ORDER BY outpoint DESC LIMIT 1;
UPDATE wes.outputs o SET spent_height = o.spent_height + 1 FROM pick p WHERE o.outpoint = p.outpoint;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('spend_marks', (SELECT height FROM pick), (SELECT outpoint::text FROM pick)),
		  'a spend mark at the wrong height: check spend_marks names the output');
ROLLBACK TO d;
TRUNCATE f, pick;

-- an output spent twice: a second spend input of it, in the first transaction of block 11
INSERT INTO pick SELECT i.outpoint, t.txid, NULL, i.height FROM wes.inputs i, wes.transactions t
WHERE NOT i.reference AND i.height < 11 AND t.block_height = 11 AND t.tx_index = 0
ORDER BY i.height, i.outpoint LIMIT 1;
INSERT INTO wes.inputs (txid, input_index, outpoint, reference, height, tx_index, unlock)
SELECT txid, 99, outpoint, false, 11, 0, '\x' FROM pick;
INSERT INTO f SELECT * FROM pg_temp.findings(11, 11);
SELECT ok(pg_temp.named('spends', 11, (SELECT outpoint::text || ' is spent 2 times' FROM pick)),
		  'an output spent twice: over the range of the later spend alone, check spends names it at that height');
SELECT is((SELECT count(*) FROM pg_temp.findings((SELECT height FROM pick), 10) x WHERE x.check_name = 'spends'), 0::bigint,
		  'a range that holds the first spend only does not name it (it is named at the later one)');
ROLLBACK TO d;
TRUNCATE f, pick;

-- an input naming no output, and an input naming an output created after it
SELECT pg_temp.add_bad_references();
SELECT is((SELECT count(*) FROM pick), 2::bigint, 'two inputs added: one names no output, one an output of height 9');
INSERT INTO f SELECT * FROM pg_temp.findings(11, 11);
SELECT ok(pg_temp.named('spends', 11, (SELECT outpoint::text || ', which is no output' FROM pick WHERE n = 98)),
		  'an input naming no output: over its height alone, check spends names it');
INSERT INTO f SELECT * FROM pg_temp.findings(4, 6);
SELECT ok(pg_temp.named('spends', 5, (SELECT outpoint::text || ', created later at height 9' FROM pick WHERE n = 97)),
		  'an input naming an output created later: over a range around its height, check spends names it');
ROLLBACK TO d;
TRUNCATE f, pick;

-- ---- a short range looks the outputs its inputs name up by key, a wide one reads them whole ----
-- (wes_verify takes a range as short when it spans less than a quarter of the heights:
-- here 1 or 2 of the 12).  The same damage through both forms: a reference naming no
-- output (height 11), a reference naming an output created later (height 5), an output
-- spent twice (the later spend at height 11)
SELECT pg_temp.add_bad_references();
INSERT INTO pick SELECT i.outpoint, t.txid, 99, 11 FROM wes.inputs i, wes.transactions t
WHERE NOT i.reference AND i.height < 11 AND t.block_height = 11 AND t.tx_index = 0
ORDER BY i.height, i.outpoint LIMIT 1;
INSERT INTO wes.inputs (txid, input_index, outpoint, reference, height, tx_index, unlock)
SELECT txid, n, outpoint, false, height, 0, '\x' FROM pick WHERE n = 99;
SELECT is((SELECT count(*) FROM wes.verify_spends(0, 11, false)), 3::bigint,
		  'three findings of check spends over the whole chain, outputs read whole');
CREATE TEMP TABLE ranges (lo bigint, hi bigint);
INSERT INTO ranges VALUES (0, 11), (4, 6), (5, 5), (6, 10), (10, 11), (11, 11);
SELECT is((SELECT array_agg((SELECT count(*) FROM wes.verify_spends(lo, hi, false)) ORDER BY lo, hi) FROM ranges),
		  ARRAY[3, 1, 1, 0, 2, 2]::bigint[], 'each range holds the findings of its heights');
SELECT results_eq(format('SELECT * FROM wes.verify_spends(%s, %s, true)', lo, hi),
				  format('SELECT * FROM wes.verify_spends(%s, %s, false)', lo, hi),
				  format('heights %s..%s: outputs looked up by key give the same findings, in the same order, '
						 'as outputs read whole', lo, hi))
FROM ranges ORDER BY lo, hi;
-- wes_verify over a short range (by key) names at its heights what a wide range names there
SELECT is((SELECT count(*) FROM wes_verify(11, 11) x WHERE x.check_name = 'spends'), 2::bigint,
		  'wes_verify(11, 11) names the input naming no output and the output spent twice');
SELECT results_eq($$SELECT * FROM wes_verify(11, 11) x WHERE x.check_name = 'spends'$$,
				  $$SELECT * FROM wes_verify(8, 11) x WHERE x.check_name = 'spends' AND x.height = 11$$,
				  'and so does the wide range 8..11 at height 11, word for word');
SELECT results_eq($$SELECT * FROM wes_verify(5, 5) x WHERE x.check_name = 'spends'$$,
				  $$SELECT * FROM wes_verify(2, 6) x WHERE x.check_name = 'spends' AND x.height = 5$$,
				  'the input naming a later output: the same finding over 5..5 and over the wide range 2..6');
SELECT is((SELECT count(*) FROM wes_verify(5, 5) x WHERE x.check_name = 'spends'), 1::bigint,
		  'and 5..5 names it');
ROLLBACK TO d;
TRUNCATE f, pick;

-- the balances are compared with the outputs no input spends only where a spend mark
-- disagrees with its spend input (elsewhere they are the same rows): a spent asset
-- output's mark cleared puts its amount back into its owner's balance
INSERT INTO pick SELECT outpoint, spent_by, NULL, spent_height FROM wes.outputs WHERE spent_height IS NOT NULL AND kind = 0
ORDER BY outpoint LIMIT 1;
UPDATE wes.outputs o SET spent_by = NULL, spent_height = NULL FROM pick p WHERE o.outpoint = p.outpoint;
INSERT INTO f SELECT * FROM pg_temp.findings(11, 11);
SELECT ok(pg_temp.named('balances', NULL, (SELECT 'balance of ' || o.owner::text FROM wes.outputs o JOIN pick p USING (outpoint))),
		  'a cleared mark of an asset output: over 11..11, check balances names its owner''s balance');
SELECT ok(pg_temp.named('spend_marks', (SELECT height FROM pick), (SELECT outpoint::text FROM pick)),
		  'and check spend_marks the output');
SELECT results_eq($$SELECT * FROM wes_verify(11, 11) x WHERE x.check_name IN ('balances', 'spend_marks')$$,
				  $$SELECT * FROM wes_verify() x WHERE x.check_name IN ('balances', 'spend_marks')$$,
				  'the same findings of checks balances and spend_marks as over the whole chain');
ROLLBACK TO d;
TRUNCATE f, pick;

-- which form a range runs: the short one calls wes.verify_spend_inputs_by_key (counted
-- with track_functions), which makes one scan of wes.outputs' primary key per input
CREATE FUNCTION pg_temp.by_key_calls(lo bigint, hi bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	fn oid := 'wes.verify_spend_inputs_by_key(bigint, bigint)'::regprocedure;
	before bigint := coalesce(pg_stat_get_xact_function_calls(fn), 0);
BEGIN
	PERFORM count(*) FROM wes_verify(lo, hi);
	RETURN coalesce(pg_stat_get_xact_function_calls(fn), 0) - before;
END
$$;
CREATE FUNCTION pg_temp.key_lookups(lo bigint, hi bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	before bigint := pg_stat_get_xact_numscans('wes.outputs_pkey'::regclass);
BEGIN
	PERFORM count(*) FROM wes_verify(lo, hi);
	RETURN pg_stat_get_xact_numscans('wes.outputs_pkey'::regclass) - before;
END
$$;
SAVEPOINT p;
SET LOCAL track_functions = 'all';
SELECT is(pg_temp.by_key_calls(5, 6), 1::bigint, 'the short range 5..6 (2 of 12 heights) looks outputs up by key');
SELECT is(pg_temp.by_key_calls(2, 6), 0::bigint, 'the wide range 2..6 (5 of 12) does not');
SELECT is(pg_temp.by_key_calls(11, 11), 1::bigint, 'the short range 11..11, which reaches the tip, does');
SELECT is(pg_temp.by_key_calls(0, 11), 0::bigint, 'the whole chain does not');
ROLLBACK TO p;
SELECT is(pg_temp.key_lookups(5, 6), (SELECT count(*) FROM wes.inputs WHERE height BETWEEN 5 AND 6),
		  'the short range 5..6 looks each of its inputs'' outpoints up in wes.outputs'' primary key, once');
-- the plan the short form runs, under the settings of the function that runs it
CREATE FUNCTION pg_temp.by_key_plan(lo bigint, hi bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	setting text;
	line text;
	plan text := '';
BEGIN
	FOREACH setting IN ARRAY (SELECT p.proconfig FROM pg_proc p
							  WHERE p.oid = 'wes.verify_spend_inputs_by_key(bigint, bigint)'::regprocedure) LOOP
		PERFORM set_config(split_part(setting, '=', 1), split_part(setting, '=', 2), true);
	END LOOP;
	FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM wes.verify_spend_inputs(%s, %s)', lo, hi) LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;
SAVEPOINT p;
SELECT matches(pg_temp.by_key_plan(5, 6), 'Nested Loop Left Join.*Index Scan using outputs_pkey on outputs',
			   'the short form is a nested loop that reads wes.outputs through its primary key');
ROLLBACK TO p;
SELECT is(current_setting('enable_hashjoin'), 'on', 'the settings were local to the savepoint');

-- a second row of a spent output, without the mark, written past the primary key:
-- the marks still add up to the spends, but the outputs no longer match the raw transactions
INSERT INTO pick SELECT outpoint, spent_by, NULL, spent_height FROM wes.outputs WHERE spent_height IS NOT NULL
ORDER BY outpoint LIMIT 1;
UPDATE pg_index SET indisready = false WHERE indexrelid = 'wes.outputs_pkey'::regclass;
INSERT INTO wes.outputs (outpoint, height, kind, owner, amount, ref, lock, data)
SELECT o.outpoint, o.height, o.kind, o.owner, o.amount, o.ref, o.lock, o.data FROM wes.outputs o JOIN pick p USING (outpoint);
UPDATE pg_index SET indisready = true WHERE indexrelid = 'wes.outputs_pkey'::regclass;
-- the second row is in the heap only: the join that names spend marks sees it through a heap scan
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
INSERT INTO f SELECT * FROM pg_temp.findings();
RESET enable_indexscan;
RESET enable_bitmapscan;
SELECT ok(pg_temp.named('spend_marks', (SELECT height FROM pick),
						(SELECT outpoint::text || ' is spent by ' || txid::text FROM pick)),
		  'a duplicate output row without its mark: check spend_marks still names it');
SELECT ok(pg_temp.named('utxo_count', 11), 'and the UTXO set counts it');
ROLLBACK TO d;
TRUNCATE f, pick;

-- an unspent output whose kind column the encoding cannot hold: its encoding no longer gives its columns
INSERT INTO pick SELECT outpoint, NULL, NULL, height FROM wes.outputs WHERE spent_height IS NULL AND kind = 0
ORDER BY outpoint LIMIT 1;
UPDATE wes.outputs o SET kind = 256 FROM pick p WHERE o.outpoint = p.outpoint;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('utxo_columns', NULL, (SELECT outpoint::text FROM pick)),
		  'a kind out of range: check utxo_columns names the UTXO');
ROLLBACK TO d;
TRUNCATE f, pick;

-- an index entry missing: a block row re-inserted while its hash index is not maintained
INSERT INTO pick SELECT NULL, hash, NULL, height FROM wes.blocks WHERE height = 5;
CREATE TEMP TABLE keep AS SELECT b.* FROM wes.blocks b JOIN pick p USING (height);
DELETE FROM wes.blocks b USING pick p WHERE b.height = p.height;
UPDATE pg_index SET indisready = false WHERE indexrelid = 'wes.blocks_hash_key'::regclass;
INSERT INTO wes.blocks SELECT * FROM keep;
UPDATE pg_index SET indisready = true WHERE indexrelid = 'wes.blocks_hash_key'::regclass;
-- read from the heap, never through blocks_hash_key, which lacks the entry
SET LOCAL enable_indexonlyscan = off;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM wes.blocks b JOIN pick p ON b.hash::text = p.txid::text), 1::bigint,
		  'the row is in the heap');
RESET enable_indexonlyscan;
RESET enable_indexscan;
RESET enable_bitmapscan;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM wes.blocks b WHERE b.hash = (SELECT txid FROM pick)), 0::bigint,
		  'but an index scan does not find it');
RESET enable_seqscan;
RESET enable_bitmapscan;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT is(current_setting('wes_persist.verify_heapallindexed'), 'off', 'the deep index check is off by default');
SELECT is((SELECT count(*) FROM f), 0::bigint,
		  'by default amcheck checks the structure of the indexes only: a heap row without its entry is not found');
SET LOCAL wes_persist.verify_heapallindexed = on;
TRUNCATE f;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('amcheck', NULL, 'wes.blocks_hash_key'),
		  'a missing index entry: with wes_persist.verify_heapallindexed, check amcheck names the index');
SELECT ok(pg_temp.named('amcheck', NULL, 'lacks matching index tuple'), 'with amcheck''s own words');
ROLLBACK TO d;
SELECT is(current_setting('wes_persist.verify_heapallindexed'), 'off', 'the setting was local to the savepoint');
TRUNCATE f, pick;

-- many findings of one check are capped, with a count of the rest
DELETE FROM wes.inputs;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT is((SELECT count(*) FROM f WHERE check_name = 'inputs'), 101::bigint, 'one check reports 100 findings and one count');
SELECT ok(pg_temp.named('inputs', NULL, ((SELECT sum(input_count) FROM wes.transactions) - 100)::text || ' more findings'),
		  'the count names how many more');
ROLLBACK TO d;
TRUNCATE f, pick;

-- amcheck missing is a finding of its own
DROP EXTENSION amcheck;
INSERT INTO f SELECT * FROM pg_temp.findings();
SELECT ok(pg_temp.named('amcheck', NULL, 'not installed'), 'without amcheck: a finding says the indexes were not checked');
ROLLBACK TO d;

-- ---- the function itself ---------------------------------------------------------
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'after every rollback the chain is clean again');
SELECT ok(has_function_privilege('wes_writer', 'wes_verify(bigint, bigint)', 'EXECUTE'), 'wes_writer may run wes_verify');
SELECT ok(NOT has_function_privilege('wes_reader', 'wes_verify(bigint, bigint)', 'EXECUTE'), 'wes_reader may not');

SELECT * FROM finish();
ROLLBACK;
