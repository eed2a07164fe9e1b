-- The vectors' chain file, read but not written (included with \ir after BEGIN; needs
-- WES_VECTORS): temp table v (j, the whole file as jsonb) and vblocks, one row a block
-- (height, hash, tx_root, receipt_root, state_root, tx_count, raw).
\set chain `cat $WES_VECTORS/chain.json`
CREATE TEMP TABLE v AS SELECT :'chain'::jsonb AS j;
CREATE TEMP TABLE vblocks AS
SELECT (b->>'height')::bigint AS height, b->>'hash' AS hash, b->>'tx_root' AS tx_root,
	   b->>'receipt_root' AS receipt_root, b->>'state_root' AS state_root,
	   (b->>'tx_count')::int AS tx_count, decode(b->>'hex', 'hex') AS raw
FROM v, jsonb_array_elements(j->'blocks') b;
