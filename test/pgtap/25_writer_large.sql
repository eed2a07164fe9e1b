-- Large values and large blocks through the writer: fields of hundreds of kilobytes
-- (stored out of line) come back byte for byte, and a block of 2500 transactions,
-- each spending the previous one's output, is written whole (more rows per table than
-- one batch of a multi-row insert holds).  State roots are taken from the writer's
-- WE003 detail: what is checked here is what the blocks write.
\ir lib/session.sql

BEGIN;
SELECT plan(14);
\ir lib/wes_state.sql
\ir lib/blocks.sql

SELECT setseed(0.25);
CREATE FUNCTION pg_temp.noise(n int) RETURNS bytea LANGUAGE sql VOLATILE AS $$
	SELECT string_agg(decode(md5(random()::text), 'hex'), ''::bytea) FROM generate_series(1, (n + 15) / 16)
$$;

-- ---- Block 0: one transaction with large fields ----
CREATE TEMP TABLE big AS
SELECT substr(pg_temp.noise(300000), 1, 300000) AS state_data, substr(pg_temp.noise(70000), 1, 70000) AS lock,
	   substr(pg_temp.noise(200000), 1, 200000) AS payload, substr(pg_temp.noise(100000), 1, 100000) AS return_data,
	   convert_to(repeat('wasm module é ', 5000), 'UTF8') AS name;
CREATE TEMP TABLE tx0 AS
SELECT pg_temp.output(2, 1, state_data, lock => lock) AS o0,
	   pg_temp.output(1, 2, pg_temp.resource_meta(1, 123456789, convert_to('application/wasm', 'UTF8'), name)) AS o1,
	   payload, return_data
FROM big;
CREATE TEMP TABLE b0 AS
SELECT t.tx, pg_temp.receipt(1, 5, return_data) AS receipt,
	   pg_temp.with_writer_state_root(pg_temp.block(0, pg_temp.zeros(32), ARRAY[t.tx], ARRAY[pg_temp.receipt(1, 5, return_data)])) AS raw
FROM tx0, LATERAL (SELECT pg_temp.tx('{}', ARRAY[o0, o1], payload) AS tx) t;
SELECT cmp_ok((SELECT length(raw) FROM b0), '>', 700000, 'block 0 is over 700 kB');
SELECT is(wes_write_block((SELECT raw FROM b0))::text, wes_block_hash((SELECT raw FROM b0))::text, 'block 0 is written');
SELECT ok((SELECT raw FROM wes.transactions) = (SELECT tx FROM b0), 'the transaction''s raw bytes come back exactly');
SELECT ok((SELECT data FROM wes.outputs WHERE wes_outpoint_index(outpoint) = 0) = (SELECT state_data FROM big),
		  'the 300 kB state data comes back exactly');
SELECT ok((SELECT lock FROM wes.outputs WHERE wes_outpoint_index(outpoint) = 0) = (SELECT lock FROM big),
		  'the 70 kB lock comes back exactly');
SELECT ok((SELECT array_agg(wes.output_encoding(kind, owner, amount, ref, lock, data) ORDER BY outpoint)
		   FROM wes.outputs WHERE spent_height IS NULL) = (SELECT ARRAY[o0, o1] FROM tx0),
		  'the UTXO encodings are the outputs'' exact bytes');
SELECT ok((SELECT receipt FROM wes.transactions) = (SELECT receipt FROM b0), 'the receipt with 100 kB of return data comes back exactly');
SELECT is((SELECT size FROM wes.blocks WHERE height = 0), (SELECT length(raw) FROM b0), 'wes.blocks.size is the block''s length');

-- ---- Block 1: 2500 transactions, each spending the output of the one before ----
CREATE FUNCTION pg_temp.chain_txs(first_input bytea, n int) RETURNS bytea[] LANGUAGE plpgsql AS $$
DECLARE
	txs bytea[] := '{}';
	prev bytea := first_input;
BEGIN
	FOR i IN 1 .. n LOOP
		txs := txs || pg_temp.tx(ARRAY[prev], ARRAY[pg_temp.output(amount => i)], pg_temp.le32(i));
		prev := pg_temp.input(pg_temp.txid(txs[i]), 0);
	END LOOP;
	RETURN txs;
END
$$;
CREATE TEMP TABLE b1 AS
SELECT txs, pg_temp.with_writer_state_root(pg_temp.next_block(txs)) AS raw
FROM (SELECT pg_temp.chain_txs(pg_temp.input(pg_temp.txid(tx), 0), 2500) AS txs FROM b0) x;
SELECT matches(wes_write_block((SELECT raw FROM b1))::text, '^[0-9a-f]{64}$', 'block 1 (2500 chained in-block spends) is written');
SELECT is((SELECT count(*) FROM wes.transactions WHERE block_height = 1), 2500::bigint, '2500 transactions');
SELECT is((SELECT count(*) FROM wes.inputs WHERE height = 1 AND NOT reference), 2500::bigint, '2500 spends');
SELECT set_eq('SELECT outpoint::text FROM wes_api.utxos',
			  $$SELECT encode(pg_temp.txid(txs[2500]), 'hex') || ':0' FROM b1
				UNION ALL SELECT encode(pg_temp.txid(tx), 'hex') || ':1' FROM b0$$,
			  'the UTXO set is the last transaction''s output and block 0''s resource output');
SELECT is((SELECT cardinality(created) || '/' || cardinality(spent) FROM wes.journal WHERE height = 1), '1/1',
		  'the journal of block 1: one output created, one spent');
SELECT is((SELECT utxo_count FROM wes.chain_state), 2::bigint, 'the UTXO count is 2');

SELECT * FROM finish();
ROLLBACK;
