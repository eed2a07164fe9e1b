-- Helpers for the rollback and snapshot tests (included with \ir after BEGIN):
-- the vectors' 12-block chain as a table, a digest of every table a block
-- writes, and an empty block built by hand on top of any stored block.

\set chain `cat $WES_VECTORS/chain.json`
CREATE TEMP TABLE v AS SELECT :'chain'::jsonb AS j;
CREATE TEMP TABLE vblocks AS
SELECT (b->>'height')::bigint AS height, b->>'hash' AS hash, b->>'state_root' AS state_root,
	   decode(b->>'hex', 'hex') AS raw
FROM v, jsonb_array_elements(j->'blocks') b;

-- The root of the empty UTXO set and the Merkle root of no leaves (both from the vectors / wire-format.md)
CREATE FUNCTION pg_temp.empty_state_root() RETURNS text
LANGUAGE sql IMMUTABLE RETURN '200823e5158b3774c11b5c61850ada762f8264144a9bebec3ebac5a2adde67b8';
CREATE FUNCTION pg_temp.empty_merkle_root() RETURNS bytea
LANGUAGE sql IMMUTABLE RETURN decode('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8', 'hex');

-- The vectors' blocks from height lo to hi, for wes_write_blocks
CREATE FUNCTION pg_temp.vector_blocks(lo bigint, hi bigint) RETURNS bytea[]
LANGUAGE sql STABLE RETURN (SELECT coalesce(array_agg(raw ORDER BY height), '{}') FROM vblocks WHERE height BETWEEN lo AND hi);

-- One md5 per table of everything a block writes, in table order (rows sorted by their text form)
CREATE FUNCTION pg_temp.state_digest() RETURNS text[]
LANGUAGE sql VOLATILE RETURN ARRAY[
	'blocks ' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM wes.blocks t),
	'transactions ' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM wes.transactions t),
	'inputs ' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM wes.inputs t),
	'outputs ' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM wes.outputs t),
	'utxos ' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM wes_api.utxos t),
	'receipts ' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM wes_api.receipts t),
	'journal ' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM wes.journal t),
	'chain_state ' || (SELECT md5(t::text) FROM wes.chain_state t)];

-- A u64 as 8 little-endian bytes
CREATE FUNCTION pg_temp.le64(x bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE RETURN decode((SELECT string_agg(substr(lpad(to_hex(x), 16, '0'), 15 - 2 * i, 2), '' ORDER BY i)
									  FROM generate_series(0, 7) i), 'hex');

-- A block without transactions (version 1, both roots of no leaves), its height given as
-- the 8 header bytes (so that any u64 can be), on prev, with that state_root and nonce
CREATE FUNCTION pg_temp.empty_block(height_le64 bytea, prev bytea, state_root bytea, nonce bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE RETURN
	'\x01000000'::bytea || height_le64 || pg_temp.le64(1700000000000 + nonce)
	|| prev || pg_temp.empty_merkle_root() || pg_temp.empty_merkle_root()
	|| state_root || pg_temp.le64(nonce) || '\x00000000'::bytea;

-- A block without transactions on top of stored block h (same state_root, its own nonce)
CREATE FUNCTION pg_temp.empty_block_after(h bigint, nonce bigint) RETURNS bytea
LANGUAGE sql STABLE RETURN (
	SELECT pg_temp.empty_block(pg_temp.le64(h + 1), b.hash::bytea, b.state_root::bytea, nonce)
	FROM wes.blocks b WHERE b.height = h);

-- Write blocks (one call, or one call each), take what f returns, and undo it all
CREATE FUNCTION pg_temp.after(blocks bytea[], one_call boolean, f text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	result text;
	b bytea;
BEGIN
	BEGIN
		IF one_call THEN
			PERFORM wes_write_blocks(blocks);
		ELSE
			FOREACH b IN ARRAY blocks LOOP
				PERFORM wes_write_block(b);
			END LOOP;
		END IF;
		EXECUTE f INTO result;
		RAISE SQLSTATE 'XX999';
	EXCEPTION WHEN SQLSTATE 'XX999' THEN
		RETURN result;
	END;
END
$$;
