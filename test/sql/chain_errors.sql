--
-- What a node sees when it hands over a block that breaks a rule: each case of the
-- vectors' invalid.json on top of their 12-block chain, with its SQLSTATE, then a few
-- misuses of the write and read functions.  Nothing a rejected call does stays.
--
\i test/sql/include/vector_chain.sql
\set invalid_json `cat "${WES_VECTORS:-test/vectors}/invalid.json"`
CREATE TEMP TABLE cases AS
SELECT c->>'why' AS why, c->>'sqlstate' AS sqlstate, decode(c->>'hex', 'hex') AS raw
FROM jsonb_array_elements((:'invalid_json'::jsonb)->'cases') c;
\unset invalid_json
-- What a client gets for each case: the SQLSTATE, the message and its detail
CREATE FUNCTION pg_temp.write_error(raw bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	state text;
	message text;
	detail text;
BEGIN
	PERFORM wes_write_block(raw);
	RETURN 'written';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
	RETURN state || ': ' || message || coalesce(E'\n' || nullif(detail, ''), '');
END
$$;
\x on
SELECT why, sqlstate AS expected, pg_temp.write_error(raw) AS error FROM cases;
\x off
SELECT count(*) AS cases, count(*) FILTER (WHERE starts_with(pg_temp.write_error(raw), sqlstate || ': ')) AS with_the_expected_sqlstate
FROM cases;

-- As psql prints one of them
SELECT wes_write_block(raw) FROM cases WHERE why = 'spends an output that is already spent';
\echo :LAST_ERROR_SQLSTATE

-- Within a run of blocks, the error names the block it is about
SELECT wes_write_blocks(ARRAY[(SELECT raw FROM cases WHERE why = 'tx_root mismatch')]);
SELECT wes_write_blocks(ARRAY[NULL]::bytea[]);
\echo :LAST_ERROR_SQLSTATE

-- The same block again, once written, is a height already written
SELECT wes_write_block(decode(b->>'hex', 'hex')) FROM chain, jsonb_array_elements(j->'blocks') b
WHERE (b->>'height')::int = 11;
\echo :LAST_ERROR_SQLSTATE

-- The JSON form: the error names the JSON path
SELECT wes_write_block('{"header": {"version": 1}}'::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT wes_write_block(jsonb_set(wes_block_to_jsonb(decode(b->>'hex', 'hex')), '{transactions,0,outputs,0,amount}', '"lots"'))
FROM chain, jsonb_array_elements(j->'blocks') b WHERE (b->>'height')::int = 11;
\echo :LAST_ERROR_SQLSTATE

-- Reads refuse malformed keys, naming the input
SELECT * FROM wes_utxo_lookup('12:0'::wes_outpoint);
\echo :LAST_ERROR_SQLSTATE
SELECT wes_resource_read(repeat('0', 64)::wes_hash, -1, 10);
\echo :LAST_ERROR_SQLSTATE

-- After all of that, the chain is as it was
SELECT * FROM wes_chain_tip();
SELECT (SELECT count(*) FROM wes_api.blocks) AS blocks, (SELECT count(*) FROM wes_api.transactions) AS transactions,
	   (SELECT count(*) FROM wes_api.outputs) AS outputs, (SELECT count(*) FROM wes_api.utxos) AS utxos;
