--
-- The vectors' chain (chain.json) as a reader sees it once it is written: the tip,
-- the blocks, the UTXO set, the spends and the balances, each against the figures
-- chain.json gives for them.
--
\i test/sql/include/vector_chain.sql

-- The tip, and whether it is chain.json's
SELECT * FROM wes_chain_tip();
SELECT t.height = (c.j#>>'{tip,height}')::bigint AS height_is_the_vectors,
	   t.hash::text = c.j#>>'{tip,hash}' AS hash_is_the_vectors,
	   t.state_root::text = c.j#>>'{tip,state_root}' AS state_root_is_the_vectors
FROM wes_chain_tip() t, chain c;

-- Every block, and its hash, roots and transaction count against chain.json's
SELECT height, hash, tx_count, size, "timestamp", nonce FROM wes_api.blocks ORDER BY height;
SELECT count(*) AS blocks,
	   count(*) FILTER (WHERE b.hash::text = v->>'hash' AND b.state_root::text = v->>'state_root'
						  AND b.tx_root::text = v->>'tx_root' AND b.receipt_root::text = v->>'receipt_root'
						  AND b.tx_count = (v->>'tx_count')::int) AS as_in_the_vectors
FROM wes_api.blocks b
JOIN (SELECT v FROM chain, jsonb_array_elements(j->'blocks') v) x ON (x.v->>'height')::bigint = b.height;

-- Transactions, inputs and outputs by block
SELECT t.block_height, count(*) AS transactions, sum(t.input_count) AS inputs, sum(t.output_count) AS outputs
FROM wes_api.transactions t GROUP BY 1 ORDER BY 1;
SELECT kind, count(*) AS outputs, count(spent_by) AS spent, sum(amount) AS amount
FROM wes_api.outputs GROUP BY kind ORDER BY kind;
SELECT count(*) AS inputs, count(*) FILTER (WHERE reference) AS references FROM wes_api.inputs;

-- The UTXO set is chain.json's "utxos", and the spent outputs its "spent"
SELECT (SELECT array_agg(outpoint::text ORDER BY outpoint::text) FROM wes_api.utxos)
	 = (SELECT array_agg(u ORDER BY u) FROM chain, jsonb_array_elements_text(j->'utxos') u) AS utxos_are_the_vectors;
SELECT count(*) AS spent_in_the_vectors,
	   count(o.outpoint) FILTER (WHERE o.spent_by::text = s->>'spent_by'
								   AND o.spent_height = (s->>'spent_height')::bigint) AS marked_as_in_the_vectors
FROM chain, jsonb_array_elements(j->'spent') s
LEFT JOIN wes_api.outputs o ON o.outpoint = (s->>'outpoint')::wes_outpoint;

-- Native balances: the view, the function and chain.json's "native_balances" agree
SELECT owner, balance, utxo_count FROM wes_api.address_balances
WHERE asset = repeat('0', 64)::wes_hash ORDER BY owner;
SELECT (SELECT jsonb_object_agg(owner::text, balance) FROM wes_api.address_balances
		WHERE asset = repeat('0', 64)::wes_hash)
	 = (SELECT j->'native_balances' FROM chain) AS balances_are_the_vectors,
	   (SELECT bool_and(wes_address_balance(b.key::wes_address) = b.value::numeric)
		FROM chain, jsonb_each_text(j->'native_balances') b) AS wes_address_balance_agrees;

-- Resources: the blocks declare them; their content is stored apart, under its
-- SHA-256, and then reads back as chain.json gives it
SELECT content_hash, available FROM wes_api.resources ORDER BY content_hash;
SELECT r.key AS content_hash, wes_write_resource(decode(r.value, 'hex'))::text = r.key AS stored_under_its_sha256
FROM chain, jsonb_each_text(j->'resources') r ORDER BY 1;
SELECT content_hash, resource_type, media_type, name, size, created_height, available
FROM wes_api.resources ORDER BY content_hash;
SELECT r.key AS content_hash, wes_resource_read(r.key::wes_hash) = decode(r.value, 'hex') AS content_reads_back
FROM chain, jsonb_each_text(j->'resources') r ORDER BY 1;
