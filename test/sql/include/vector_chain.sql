-- Shared by the chain_* and verify_* regress files: a fresh wes_persist in this
-- database, with the vectors' 12-block chain written by one wes_write_blocks call.
-- Leaves temp table chain (j: chain.json).  The vectors are read from $WES_VECTORS
-- (make test sets it), else from test/vectors (pg_regress runs in the project root).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS wes_persist CASCADE;
CREATE EXTENSION wes_persist;
RESET client_min_messages;
\set chain_json `cat "${WES_VECTORS:-test/vectors}/chain.json"`
CREATE TEMP TABLE chain AS SELECT :'chain_json'::jsonb AS j;
\unset chain_json
SELECT wes_write_blocks(array_agg(decode(b->>'hex', 'hex') ORDER BY (b->>'height')::int)) AS blocks_written
FROM chain, jsonb_array_elements(j->'blocks') b;
