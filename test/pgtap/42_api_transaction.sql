-- wes_api.transaction(txid): an explorer's transaction page in one JSON object, over the
-- vectors' chain, every transaction of it against the tables read here directly: its
-- columns, its receipt, its inputs in order each with the output it names, its outputs
-- in order with their spends; NULL for a txid that is not there; the same for a wes_reader.
\ir lib/session.sql

BEGIN;
SELECT plan(11);

\ir lib/vector_chain.sql

CREATE TEMP TABLE page AS
SELECT t.txid, t.block_height, t.tx_index, wes_api.transaction(t.txid) AS j FROM wes.transactions t;
SELECT ok((SELECT count(*) FROM page) > 10 AND (SELECT sum(input_count) FROM wes.transactions) > 10
		  AND EXISTS (SELECT FROM wes.inputs WHERE reference),
		  'the chain has transactions, inputs and a reference input to show');

SELECT is((SELECT count(*) FROM page p JOIN wes_api.transactions t USING (txid) WHERE NOT p.j @> to_jsonb(t)), 0::bigint,
		  'each page holds its transaction''s row of wes_api.transactions');
SELECT is((SELECT count(*) FROM page p JOIN wes_api.receipts r USING (txid)
		   WHERE p.j->'receipt' IS DISTINCT FROM jsonb_build_object('status', r.status, 'fee', r.fee,
																   'return_data', r.return_data, 'logs', r.logs)),
		  0::bigint, 'and its receipt');

-- Inputs: position, outpoint and kind, in order, as wes.inputs holds them
SELECT is((SELECT count(*) FROM page p
		   WHERE (SELECT coalesce(jsonb_agg(jsonb_build_array(i.input_index, i.outpoint, i.reference, i.unlock) ORDER BY i.input_index), '[]')
				  FROM wes.inputs i WHERE (i.height, i.tx_index) = (p.block_height, p.tx_index))
				 IS DISTINCT FROM
				 (SELECT coalesce(jsonb_agg(jsonb_build_array(e->'input_index', e->'outpoint', e->'reference', e->'unlock') ORDER BY n), '[]')
				  FROM jsonb_array_elements(p.j->'inputs') WITH ORDINALITY x(e, n))),
		  0::bigint, 'each page''s inputs are the transaction''s inputs, in order');
SELECT is((SELECT count(*) FROM page p, jsonb_array_elements(p.j->'inputs') e
		   WHERE e->'output' IS DISTINCT FROM
				 (SELECT to_jsonb(o) FROM wes_api.outputs o WHERE o.outpoint = (e->>'outpoint')::wes_outpoint)
			  OR e->'output' = 'null'),
		  0::bigint, 'each input carries the output it names, as wes_api.outputs has it');
SELECT is((SELECT count(*) FROM page p, jsonb_array_elements(p.j->'inputs') e
		   WHERE NOT (e->>'reference')::boolean AND e->'output'->>'spent_by' <> p.txid::text),
		  0::bigint, 'a spend''s output names this transaction as its spender');

-- Outputs: the rows whose outpoint starts with the txid's bytes, in index order
SELECT is((SELECT count(*) FROM page p
		   WHERE (SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.outpoint), '[]') FROM wes_api.outputs o
				  WHERE substr(wes_outpoint_to_bytea(o.outpoint), 1, 32) = wes_hash_to_bytea(p.txid))
				 IS DISTINCT FROM p.j->'outputs'),
		  0::bigint, 'each page''s outputs are the transaction''s outputs, in order, with their spends');
SELECT is((SELECT count(*) FROM page p JOIN wes.transactions t USING (txid)
		   WHERE jsonb_array_length(p.j->'inputs') <> t.input_count OR jsonb_array_length(p.j->'outputs') <> t.output_count),
		  0::bigint, 'as many inputs and outputs as the transaction declares');

SELECT is(wes_api.transaction(repeat('ab', 32)::wes_hash), NULL, 'a txid that is not there: NULL');

-- As a reader, through PostgREST's RPC shape
CREATE TEMP TABLE want AS SELECT txid, j FROM page ORDER BY block_height DESC, tx_index LIMIT 1;
GRANT SELECT ON want TO wes_reader;
SET LOCAL ROLE wes_reader;
SELECT is((SELECT wes_api.transaction(txid) FROM want), (SELECT j FROM want), 'a wes_reader gets the same page');
SELECT is((SELECT c.pgrst_call FROM want, LATERAL (SELECT wes_api.transaction(txid := want.txid) AS pgrst_call) c),
		  (SELECT j FROM want), 'called with its argument by name, as GET /rpc/transaction?txid=... does');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
