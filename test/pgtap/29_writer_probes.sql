-- The outputs a block spends from earlier calls are looked up together: sorted, found
-- with one walk of outputs_pkey's leaves, their rows read in the order of the table's
-- pages (src/writer_rel.c, wes_writer_probe_many).  Here a block spends 240 outputs of
-- an earlier block in an order unrelated to the key's, on pages kept full (fillfactor
-- 100), so that the spend marks are ordinary updates and a key gets an index entry per
-- row version; after a rollback clears the marks (one more version each), the same
-- block is written again.  Each write must resolve every input to its row's visible
-- version (the marks, the UTXO count and wes_verify's state check would show a wrong
-- one), with and without wes_persist.recent_buffers; and an error in such a batch is
-- still the first bad input in block order, not in key order.
\ir lib/session.sql

BEGIN;
SELECT plan(14);
\ir lib/wes_state.sql
\ir lib/blocks.sql

ALTER TABLE wes.outputs SET (fillfactor = 100);

-- Write b with the state root the writer computes; returns its height
CREATE FUNCTION pg_temp.write(b bytea) RETURNS bigint LANGUAGE sql AS $$
	SELECT wes_write_block(pg_temp.with_writer_state_root(b));
	SELECT height FROM wes.chain_state
$$;

-- Block 0 mints 2 outputs in each of 160 transactions
CREATE TEMP TABLE mint AS
SELECT i, pg_temp.tx('{}', ARRAY[pg_temp.output(amount => 1 + i), pg_temp.output(amount => 1000 + i)],
					 convert_to('mint ' || i, 'UTF8')) AS tx
FROM generate_series(0, 159) i;
SELECT is(pg_temp.write(pg_temp.next_block(ARRAY(SELECT tx FROM mint ORDER BY i))), 0::bigint, 'block 0 mints 320 outputs');

-- Block 1: one transaction spending 240 of them, in the order of their amounts (not of their outpoints)
CREATE TEMP TABLE spent AS
SELECT row_number() OVER (ORDER BY m.i, k) - 1 AS input, pg_temp.txid(m.tx) AS txid, k
FROM mint m, generate_series(0, 1) k
WHERE (m.i + k) % 4 <> 0;
SELECT is((SELECT count(*) FROM spent), 240::bigint, '240 of the outputs are spent by one transaction');
CREATE TEMP TABLE b1 AS
SELECT pg_temp.with_writer_state_root(pg_temp.next_block(ARRAY[
		   pg_temp.tx(ARRAY(SELECT pg_temp.input(txid, k) FROM spent ORDER BY input), ARRAY[pg_temp.output(amount => 7)])])) AS raw;
SELECT ok((SELECT array_agg(wes_outpoint(txid::wes_hash, k) ORDER BY input) FROM spent) <>
		  (SELECT array_agg(wes_outpoint(txid::wes_hash, k) ORDER BY wes_outpoint(txid::wes_hash, k)) FROM spent),
		  'the inputs do not come in key order');

-- What block 1 must leave: its 240 marks, 81 UTXOs, a state root wes_verify agrees with
CREATE FUNCTION pg_temp.marks() RETURNS text LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM wes.outputs o JOIN spent s ON o.outpoint = wes_outpoint(s.txid::wes_hash, s.k)
			WHERE o.spent_height = 1) || ' marked, ' ||
		   (SELECT count(*) FROM wes.outputs WHERE spent_height IS NOT NULL) || ' spent, ' ||
		   (SELECT utxo_count FROM wes.chain_state) || ' utxos, ' ||
		   (SELECT count(*) FROM wes_verify()) || ' findings'
$$;
SELECT ok((SELECT wes_write_block(raw) IS NOT NULL FROM b1), 'block 1 is written');
SELECT is(pg_temp.marks(), '240 marked, 240 spent, 81 utxos, 0 findings', 'each input found its row: 240 marks, 81 UTXOs left, the state root checks');
SELECT cmp_ok((SELECT n_tup_upd - n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'wes.outputs'::regclass),
			  '>', 0::bigint, 'some marks were ordinary updates: their keys have an index entry per version');

-- Undone and written again: three versions of many rows, one visible
SELECT is(wes_rollback_to(0), 1::bigint, 'the rollback undoes block 1');
SELECT is((SELECT count(*) FROM wes.outputs WHERE spent_height IS NOT NULL), 0::bigint, 'its marks are cleared');
SELECT ok((SELECT wes_write_block(raw) IS NOT NULL FROM b1), 'block 1 is written again');
SELECT is(pg_temp.marks(), '240 marked, 240 spent, 81 utxos, 0 findings', 'the same marks, UTXOs and state root');

-- The same without the shared-buffer map (pages read with ReadBuffer)
SELECT is(wes_rollback_to(0), 1::bigint, 'undone once more');
SET LOCAL wes_persist.recent_buffers = off;
SELECT ok((SELECT wes_write_block(raw) IS NOT NULL FROM b1), 'with wes_persist.recent_buffers off, block 1 is written again');
SELECT is(pg_temp.marks(), '240 marked, 240 spent, 81 utxos, 0 findings', 'with the same marks, UTXOs and state root');
RESET wes_persist.recent_buffers;

-- Block 2 spends, in one transaction, two unspent outputs, one block 1 spent and one
-- that does not exist; the missing one sorts first by key, the spent one comes first
-- in the block: the spent one is reported
CREATE TEMP TABLE bad AS
SELECT (SELECT wes_outpoint(pg_temp.txid(tx)::wes_hash, 0) FROM mint WHERE i = 0) AS unspent0,
	   (SELECT wes_outpoint(pg_temp.txid(tx)::wes_hash, 1) FROM mint WHERE i = 3) AS unspent1,
	   (SELECT wes_outpoint(txid::wes_hash, k) FROM spent ORDER BY wes_outpoint(txid::wes_hash, k) DESC LIMIT 1) AS spent_op,
	   wes_outpoint(repeat('00', 32)::wes_hash, 5) AS missing;
SELECT matches(pg_temp.try_block(pg_temp.next_block(ARRAY[pg_temp.tx(ARRAY[
				   pg_temp.input(wes_outpoint_txid(unspent0)::bytea, 0), pg_temp.input(wes_outpoint_txid(unspent1)::bytea, 1),
				   pg_temp.input(wes_outpoint_txid(spent_op)::bytea, wes_outpoint_index(spent_op)),
				   pg_temp.input(wes_outpoint_txid(missing)::bytea, 5)], ARRAY[pg_temp.output()])])),
			   format('^WE004: input 2 of transaction 0 in block 2 spends outpoint %s, which is already spent', spent_op),
			   'in a batch, the first bad input in block order is reported (the spent one, not the missing one that sorts first)')
FROM bad;

SELECT * FROM finish();
ROLLBACK;
