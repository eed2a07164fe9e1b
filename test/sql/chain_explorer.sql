--
-- What a block explorer asks of the vectors' chain, through wes_api (the calls
-- PostgREST makes for /rpc/...): a block with its transactions, an address's history
-- page by page, its UTXOs and balance then and now, lookups, search, inclusion
-- proofs and ranged resource reads.
--
\i test/sql/include/vector_chain.sql

-- A block by height, as one JSON object; by hash it is the same; no block, NULL
SELECT jsonb_pretty(wes_api.block(0));
SELECT wes_api.block(block_hash => (SELECT hash FROM wes_api.blocks WHERE height = 7)) = wes_api.block(7) AS same_by_hash,
	   jsonb_array_length(wes_api.block(7)->'transactions') AS transactions,
	   wes_api.block(99) IS NULL AS no_block_99,
	   wes_api.block(7, (SELECT hash FROM wes_api.blocks WHERE height = 7)) = wes_api.block(7) AS height_and_its_hash,
	   wes_api.block(6, (SELECT hash FROM wes_api.blocks WHERE height = 7)) IS NULL AS height_and_another_hash_is_null;

-- The address that received most outputs: its transactions newest first, three a page;
-- the next page starts after the last row of the one before
SELECT owner FROM wes_api.outputs GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 1 \gset
SELECT * FROM wes_api.address_transactions(:'owner', page_size => 3);
SELECT block_height AS h, tx_index AS i FROM wes_api.address_transactions(:'owner', page_size => 3) OFFSET 2 \gset
SELECT * FROM wes_api.address_transactions(:'owner', :h, :i, page_size => 3);
SELECT (SELECT array_agg(txid ORDER BY block_height DESC, tx_index DESC)
		FROM wes_api.address_transactions(:'owner', page_size => 1000))
	 = (SELECT array_agg(x.txid ORDER BY x.block_height DESC, x.tx_index DESC)
		FROM (SELECT DISTINCT t.txid, t.block_height, t.tx_index
			  FROM wes_api.outputs o JOIN wes_api.transactions t ON t.txid IN (o.txid, o.spent_by)
			  WHERE o.owner = :'owner') x) AS history_is_every_tx_that_paid_or_spent_it;

-- Its UTXOs and native balance now, and as of the end of each block
SELECT outpoint, kind, amount, created_height FROM wes_api.address_utxos(:'owner') ORDER BY created_height, outpoint;
SELECT h AS at_height, wes_address_balance(:'owner', at_height => h) AS balance,
	   (SELECT count(*) FROM wes_api.address_utxos(:'owner', h)) AS utxos
FROM generate_series(0, 11) h;
SELECT wes_address_balance(:'owner') = wes_address_balance(:'owner', at_height => 11) AS now_is_the_tip;

-- One spent outpoint: looked up now (with its spender), and as of heights around its spend
SELECT outpoint AS op, created_height AS c, spent_height AS s FROM wes_api.outputs
WHERE spent_height > created_height + 1 ORDER BY outpoint LIMIT 1 \gset
SELECT outpoint, kind, amount, created_height, spent_by, spent_height FROM wes_utxo_lookup(:'op'::wes_outpoint);
SELECT h AS at_height, EXISTS (SELECT FROM wes_utxo_lookup(:'op'::wes_outpoint, h)) AS unspent_then
FROM generate_series(:c - 1, :s) h;

-- Many outpoints in one call: rows for those that exist, none for the rest
SELECT outpoint, created_height, spent_height FROM wes_utxo_lookup(ARRAY[
	:'op'::wes_outpoint,
	wes_outpoint(wes_outpoint_txid(:'op'), 999),
	(SELECT outpoint FROM wes_api.utxos ORDER BY outpoint LIMIT 1)]) ORDER BY outpoint;

-- Search by the first hex digits of a block, transaction or resource hash, in any
-- case, with or without 0x
SELECT substr(hash::text, 1, 6) AS prefix FROM wes_api.blocks WHERE height = 5 \gset
SELECT * FROM wes_api.search(:'prefix');
SELECT * FROM wes_api.search('0x' || upper(:'prefix'));
SELECT kind, count(*) AS hits_for_one_digit FROM wes_api.search('a', 100) GROUP BY kind ORDER BY kind;
SELECT * FROM wes_api.search((SELECT substr(content_hash::text, 1, 4) FROM wes_api.resources ORDER BY content_hash LIMIT 1));

-- An inclusion proof of transaction 4 of block 5, checked, then with a wrong index
SELECT txid AS tx FROM wes_api.transactions WHERE block_height = 5 AND tx_index = 4 \gset
SELECT block_height, tx_index, tx_count, tx_root, array_length(path, 1) AS path_length FROM wes_tx_proof(:'tx');
SELECT wes_api.verify_tx_proof(p.txid, p.tx_index, p.tx_count, p.path, p.tx_root) AS proves,
	   wes_api.verify_tx_proof(p.txid, p.tx_index + 1, p.tx_count, p.path, p.tx_root) AS proves_with_another_index
FROM wes_tx_proof(:'tx') p;

-- Resource content: stored, then read whole and in ranges (past the end gives what is there)
SELECT key AS res, value AS content FROM chain, jsonb_each_text(j->'resources') ORDER BY key LIMIT 1 \gset
SELECT wes_write_resource(decode(:'content', 'hex')) = :'res'::wes_hash AS stored;
SELECT length(wes_resource_read(:'res')) AS size,
	   wes_resource_read(:'res', 10, 8) = substring(decode(:'content', 'hex') FROM 11 FOR 8) AS range_10_8,
	   wes_resource_read(:'res', 100, 1000) = substring(decode(:'content', 'hex') FROM 101) AS range_past_the_end,
	   wes_resource_read(repeat('1', 64)::wes_hash) IS NULL AS unknown_is_null,
	   wes_resource_read(:'res', NULL, 8) IS NULL AS null_offset_is_null;
