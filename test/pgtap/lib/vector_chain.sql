-- The vectors' 12-block chain written through wes_write_block, in height order
-- (included with \ir after BEGIN; needs WES_VECTORS).  Leaves temp table
-- vector_blocks (height, hash, state_root, raw).
\set vector_chain `cat $WES_VECTORS/chain.json`
CREATE TEMP TABLE vector_blocks AS
SELECT (b->>'height')::bigint AS height, b->>'hash' AS hash, b->>'state_root' AS state_root,
	   decode(b->>'hex', 'hex') AS raw
FROM jsonb_array_elements((:'vector_chain'::jsonb)->'blocks') b;
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT raw FROM vector_blocks ORDER BY height LOOP
		PERFORM wes_write_block(r.raw);
	END LOOP;
END
$$;
