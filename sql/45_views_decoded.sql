-- ---------------------------------------------------------------------------
-- Views of wes_api that decode stored raw bytes with the codec: receipts
-- (status, fee, return data and logs) and resources (the metadata of resource
-- outputs, and whether their content is stored).  As in 40_api.sql, the views
-- read wes.* with their owner's rights; the decoding functions are immutable
-- and touch no table.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes.receipt_logs(raw bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'wes_receipt_logs'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.receipt_logs(bytea) IS
	'the logs of a receipt in wire format, as its JSON form spells them: [{"topic": hex, "data": hex}, ...]';

CREATE FUNCTION wes.receipt_return_data(raw bytea) RETURNS bytea
	AS 'MODULE_PATHNAME', 'wes_receipt_return_data'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.receipt_return_data(bytea) IS 'the return data of a receipt in wire format';

CREATE FUNCTION wes.resource_meta(data bytea, OUT resource_type text, OUT size numeric,
								  OUT media_type text, OUT name text)
	AS 'MODULE_PATHNAME', 'wes_resource_meta_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.resource_meta(bytea) IS
	'the metadata carried in the data of a resource output: resource_type (file, wasm, onnx), size, media_type, name';

CREATE VIEW wes_api.receipts AS
SELECT t.txid, t.block_height, t.tx_index,
	   CASE t.status WHEN 0 THEN 'success' WHEN 1 THEN 'failure' END AS status,
	   wes.u64(t.fee) AS fee,
	   wes.receipt_return_data(t.receipt) AS return_data,
	   wes.receipt_logs(t.receipt) AS logs
FROM wes.transactions t;
COMMENT ON VIEW wes_api.receipts IS 'the receipt of every transaction (decoded from its stored bytes); look up by txid';
COMMENT ON COLUMN wes_api.receipts.txid IS 'the transaction the receipt belongs to';
COMMENT ON COLUMN wes_api.receipts.block_height IS 'height of the block that holds the transaction';
COMMENT ON COLUMN wes_api.receipts.tx_index IS 'position of the transaction in its block, from 0';
COMMENT ON COLUMN wes_api.receipts.status IS 'success or failure';
COMMENT ON COLUMN wes_api.receipts.fee IS 'fee paid (u64)';
COMMENT ON COLUMN wes_api.receipts.return_data IS 'data the call returned, opaque';
COMMENT ON COLUMN wes_api.receipts.logs IS 'the logs in order, as a JSON array of {"topic": <64 hex>, "data": <hex>}';

-- One row per resource output; several outputs may name the same content
CREATE VIEW wes_api.resources AS
SELECT o.ref AS content_hash, m.resource_type, m.media_type, m.name, m.size,
	   o.height AS created_height, o.outpoint, o.owner,
	   EXISTS (SELECT FROM wes.resource_content c WHERE c.content_hash = o.ref) AS available
FROM wes.outputs o
CROSS JOIN LATERAL wes.resource_meta(o.data) m
WHERE o.kind = 1;
COMMENT ON VIEW wes_api.resources IS 'every resource output with its metadata, and whether its content is stored; look up by content_hash (indexed); read content with wes_api.resource_read';
COMMENT ON COLUMN wes_api.resources.content_hash IS 'SHA-256 of the content (the output''s ref)';
COMMENT ON COLUMN wes_api.resources.resource_type IS 'file, wasm or onnx';
COMMENT ON COLUMN wes_api.resources.media_type IS 'media type the output declares, e.g. application/wasm; NULL when it holds what no text value here can (U+0000, or a character the database''s encoding lacks): the bytes are in wes_api.outputs.data';
COMMENT ON COLUMN wes_api.resources.name IS 'name the output declares; NULL when it holds what no text value here can (U+0000, or a character the database''s encoding lacks): the bytes are in wes_api.outputs.data';
COMMENT ON COLUMN wes_api.resources.size IS 'content size in bytes the output declares (u64)';
COMMENT ON COLUMN wes_api.resources.created_height IS 'height of the block that created the output';
COMMENT ON COLUMN wes_api.resources.outpoint IS 'the resource output (<txid>:<index>)';
COMMENT ON COLUMN wes_api.resources.owner IS 'owner of the resource output';
COMMENT ON COLUMN wes_api.resources.available IS 'whether the content is stored (written with wes_write_resource)';

GRANT SELECT ON wes_api.receipts, wes_api.resources TO wes_reader;

-- An explorer's search box (here, after wes_api.resources, which it reads).  Each
-- branch is a B-tree range scan over [prefix 00.., prefix ff..], the bounds spelled out
-- as ^@ on a B-tree turns them (src/planner_support.c)
CREATE FUNCTION wes_api.search(prefix text, max_rows integer DEFAULT 10)
RETURNS TABLE (kind text, hash wes_hash, block_height bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	(SELECT 'block', b.hash, b.height FROM wes_api.blocks b
	 WHERE b.hash BETWEEN wes_hash_prefix_lower(search.prefix) AND wes_hash_prefix_upper(search.prefix) ORDER BY b.hash LIMIT least(greatest(search.max_rows, 1), 100))
	UNION ALL
	(SELECT 'transaction', t.txid, t.block_height FROM wes_api.transactions t
	 WHERE t.txid BETWEEN wes_hash_prefix_lower(search.prefix) AND wes_hash_prefix_upper(search.prefix) ORDER BY t.txid LIMIT least(greatest(search.max_rows, 1), 100))
	UNION ALL
	-- a resource once, at the height of the first output that declares it
	(SELECT DISTINCT ON (r.content_hash) 'resource', r.content_hash, r.created_height FROM wes_api.resources r
	 WHERE r.content_hash BETWEEN wes_hash_prefix_lower(search.prefix) AND wes_hash_prefix_upper(search.prefix)
	 ORDER BY r.content_hash, r.created_height LIMIT least(greatest(search.max_rows, 1), 100));
END;
COMMENT ON FUNCTION wes_api.search(text, integer) IS 'blocks, transactions and resources (by content hash) whose hash starts with these hex digits (any case, optional 0x), at most max_rows (up to 100) of each kind, for an explorer''s search box';
REVOKE EXECUTE ON FUNCTION wes_api.search(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_api.search(text, integer) TO wes_reader;

-- An explorer's transaction page in one call (here, after wes_api.receipts, which it
-- reads): the transaction, its receipt, its inputs each with the output it names, and
-- its outputs with their spends.  Every part is an index lookup: the transaction and
-- its receipt by transactions_pkey, its inputs by inputs_pkey, each named output by
-- outputs_pkey, and its own outputs as one range of outputs_pkey (src/planner_support.c).
CREATE FUNCTION wes_api.transaction(txid wes_hash)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT to_jsonb(t) || jsonb_build_object(
		'receipt', (SELECT jsonb_build_object('status', r.status, 'fee', r.fee,
											  'return_data', r.return_data, 'logs', r.logs)
					FROM wes_api.receipts r WHERE r.txid = t.txid),
		'inputs', coalesce((SELECT jsonb_agg(jsonb_build_object(
									'input_index', i.input_index, 'outpoint', i.outpoint,
									'reference', i.reference, 'unlock', i.unlock,
									'output', (SELECT to_jsonb(o) FROM wes_api.outputs o WHERE o.outpoint = i.outpoint))
								ORDER BY i.input_index)
							FROM wes_api.inputs i WHERE i.txid = t.txid), '[]'::jsonb),
		'outputs', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.output_index)
							 FROM wes_api.outputs o WHERE o.txid = t.txid), '[]'::jsonb))
	FROM wes_api.transactions t
	WHERE t.txid = transaction.txid;
END;
COMMENT ON FUNCTION wes_api.transaction(wes_hash) IS 'a transaction as one JSON object: its columns, its receipt, its inputs in order (each with the output it spends or references), and its outputs in order (each with its spend); NULL when there is no such transaction';
REVOKE EXECUTE ON FUNCTION wes_api.transaction(wes_hash) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_api.transaction(wes_hash) TO wes_reader;
