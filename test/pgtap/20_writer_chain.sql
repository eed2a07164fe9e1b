-- wes_write_block over the 12-block chain of the vectors: every returned hash,
-- the tip, the state commitment, the UTXO set, the spends, the native balances,
-- and what every table holds afterwards; wes_write_resource on the vectors' resources.
\ir lib/session.sql

BEGIN;
SELECT plan(34);

\ir lib/vector_file.sql

-- The empty chain
SELECT is((SELECT height FROM wes.chain_state), NULL, 'an empty chain has no tip height');
SELECT is((SELECT state_root::text FROM wes.chain_state),
		  '200823e5158b3774c11b5c61850ada762f8264144a9bebec3ebac5a2adde67b8',
		  'an empty chain commits to H(2048 zero bytes)');

-- Each block returns its hash (one test per block, in height order)
SELECT is(wes_write_block(raw)::text, hash, format('block %s returns its hash', height))
FROM vblocks ORDER BY height;

SELECT results_eq(
	'SELECT height, hash::text, state_root::text FROM wes.chain_state',
	$$SELECT (j#>>'{tip,height}')::bigint, j#>>'{tip,hash}', j#>>'{tip,state_root}' FROM v$$,
	'the tip and state root are the vectors''');
SELECT results_eq(
	'SELECT height, hash::text, state_root::text, tx_count FROM wes.blocks ORDER BY height',
	'SELECT height, hash, state_root, tx_count FROM vblocks ORDER BY height',
	'wes.blocks holds every block with its hash, state root and tx count');
SELECT is((SELECT count(*) FROM wes.transactions), (SELECT sum(tx_count) FROM vblocks),
		  'one wes.transactions row per transaction');
SELECT is((SELECT count(*) FROM wes_api.receipts), (SELECT sum(tx_count) FROM vblocks),
		  'one receipt per transaction');

SELECT set_eq('SELECT outpoint::text FROM wes_api.utxos',
			  $$SELECT jsonb_array_elements_text(j->'utxos') FROM v$$,
			  'the UTXO set is the vectors'' utxos');
SELECT is((SELECT utxo_count FROM wes.chain_state), (SELECT count(*) FROM wes_api.utxos),
		  'chain_state.utxo_count counts the UTXO set');
SELECT set_eq(
	'SELECT outpoint::text, txid::text, height FROM wes.inputs WHERE NOT reference',
	$$SELECT s->>'outpoint' AS o, s->>'spent_by' AS b, (s->>'spent_height')::bigint AS h
	  FROM v, jsonb_array_elements(j->'spent') s$$,
	'every spend is recorded with its spender and height');
SELECT set_eq(
	$$SELECT owner::text, sum(amount)::numeric FROM wes.outputs
	  WHERE spent_height IS NULL AND kind = 0 AND ref = '0000000000000000000000000000000000000000000000000000000000000000'
	  GROUP BY owner$$,
	$$SELECT key AS owner, value::numeric AS balance FROM v, jsonb_each_text(j->'native_balances')$$,
	'native balances over the UTXO set are the vectors''');

-- The history tables agree with the UTXO set and the journal
SELECT set_eq(
	'SELECT outpoint FROM wes_api.utxos',
	'SELECT o.outpoint FROM wes.outputs o WHERE NOT EXISTS
	   (SELECT 1 FROM wes.inputs i WHERE i.outpoint = o.outpoint AND NOT i.reference)',
	'the UTXO set is exactly the outputs nobody spent');
SELECT set_eq(
	'SELECT outpoint FROM wes_api.utxos',
	'SELECT c FROM wes.journal, unnest(created) c EXCEPT ALL SELECT s FROM wes.journal, unnest(spent) s',
	'replaying the journal gives the UTXO set');
SELECT is((SELECT count(*) FROM wes.outputs o LEFT JOIN wes.inputs i ON i.outpoint = o.outpoint AND NOT i.reference
		   WHERE (o.spent_by, o.spent_height) IS DISTINCT FROM (i.txid, i.height)),
		  0::bigint, 'every output''s spend mark is its spend input''s txid and height (none when unspent)');
SELECT is((SELECT count(*) FROM wes.inputs i LEFT JOIN wes.transactions t ON t.txid = i.txid
		   WHERE (i.height, i.tx_index) IS DISTINCT FROM (t.block_height, t.tx_index)), 0::bigint,
		  'every input row sits at its transaction''s (height, tx_index)');
SELECT set_eq('SELECT txid, input_index, outpoint FROM wes_api.inputs',
			  'SELECT t.txid, x.input_index, x.outpoint FROM wes.transactions t, wes.tx_inputs(t.raw) x',
			  'wes_api.inputs holds every input of every raw transaction once, under its txid');

-- Spend marks are heap-only updates: no index entry is written for them
SELECT cmp_ok((SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'wes.outputs'::regclass), '>', 0::bigint,
			  'outputs of earlier blocks got their spend marks by update');
SELECT is((SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'wes.outputs'::regclass),
		  (SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'wes.outputs'::regclass),
		  'every spend mark is a heap-only (HOT) update');
SELECT is((SELECT count(*) FROM wes.outputs o JOIN wes.inputs i ON i.outpoint = o.outpoint AND NOT i.reference
		   WHERE i.height > o.height), (SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'wes.outputs'::regclass),
		  'one update per output spent by a later block (an output spent in its own block is written marked)');

-- Resource content: stored under its SHA-256, idempotently
SELECT is((SELECT count(*) FROM v, jsonb_each_text(j->'resources') r
		   WHERE wes_write_resource(decode(r.value, 'hex'))::text <> r.key), 0::bigint,
		  'wes_write_resource returns the SHA-256 of every vector resource');
SELECT is((SELECT count(*) FROM v, jsonb_each_text(j->'resources') r
		   WHERE wes_write_resource(decode(r.value, 'hex'), 'application/octet-stream')::text <> r.key), 0::bigint,
		  'writing them again returns the same hashes');
SELECT is((SELECT count(*) FROM wes.resource_content), (SELECT count(*) FROM v, jsonb_each(j->'resources')),
		  'a second write adds no row');
SELECT is((SELECT count(*) FROM wes.resource_content WHERE media_type = 'application/octet-stream'),
		  (SELECT count(*) FROM v, jsonb_each(j->'resources')),
		  'a media type given later fills the missing one');

SELECT * FROM finish();
ROLLBACK;
