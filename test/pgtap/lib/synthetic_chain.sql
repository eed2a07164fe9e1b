-- A synthetic history written straight into the wes tables (as their owner), for
-- testing reads without the DataWriter: random spends (including spends inside a
-- block and reference inputs), several assets and kinds, a skewed owner pool.
-- It is not a valid chain (hashes and roots are arbitrary): only the read side looks at it.
-- Usage: \ir lib/synthetic_chain.sql then SELECT pg_temp.synthetic_chain(blocks, owners, seed).

CREATE FUNCTION pg_temp.h32(t text) RETURNS bytea
LANGUAGE sql IMMUTABLE RETURN decode(md5(t) || md5(t || '/'), 'hex');

CREATE FUNCTION pg_temp.synthetic_owner(i int) RETURNS wes_address
LANGUAGE sql IMMUTABLE RETURN substr(pg_temp.h32('owner' || i), 1, 20)::wes_address;

CREATE FUNCTION pg_temp.synthetic_chain(n_blocks int, n_owners int, seed float8) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	h int;
	t int;
	k int;
	n_tx int;
	n_in int;
	n_out int;
	txid wes_hash;
	op wes_outpoint;
	kind smallint;
	asset wes_hash;
	own wes_address;
	amt bigint;
	prev wes_hash := '0000000000000000000000000000000000000000000000000000000000000000';
	bh wes_hash;
BEGIN
	PERFORM setseed(seed);
	FOR h IN 0 .. n_blocks - 1 LOOP
		bh := pg_temp.h32('block' || h)::wes_hash;
		n_tx := 2 + floor(random() * 4)::int;
		FOR t IN 0 .. n_tx - 1 LOOP
			txid := pg_temp.h32('tx' || h || '/' || t)::wes_hash;
			n_in := 0;
			IF h > 0 OR t > 0 THEN
				-- spend up to two current outputs, possibly created earlier in this block.  The rows
				-- are sorted before random() is drawn for them: heap order depends on what earlier
				-- tests left behind and on autovacuum, and the history must not
				FOR op IN SELECT u.outpoint FROM (SELECT outpoint FROM wes.outputs WHERE spent_height IS NULL ORDER BY outpoint) u
						  ORDER BY random() LIMIT floor(random() * 3)::int LOOP
					INSERT INTO wes.inputs VALUES (txid, n_in, op, false, h, t, '\x01');
					UPDATE wes.outputs SET spent_by = txid, spent_height = h WHERE outpoint = op;
					n_in := n_in + 1;
				END LOOP;
				IF random() < 0.2 THEN
					INSERT INTO wes.inputs
					SELECT txid, n_in, o.outpoint, true, h, t, '\x'
					FROM (SELECT outpoint FROM wes.outputs ORDER BY outpoint) o ORDER BY random() LIMIT 1;
					n_in := n_in + 1;
				END IF;
			END IF;
			n_out := 1 + floor(random() * 3)::int;
			FOR k IN 0 .. n_out - 1 LOOP
				op := wes_outpoint(txid, k);
				kind := CASE WHEN random() < 0.8 THEN 0 WHEN random() < 0.5 THEN 1 ELSE 2 END;
				asset := CASE WHEN random() < 0.7 THEN '0000000000000000000000000000000000000000000000000000000000000000'
							  ELSE pg_temp.h32('asset' || floor(random() * 2)::int)::wes_hash END;
				-- owner 0 and 1 are heavy, the rest uniform
				own := pg_temp.synthetic_owner(CASE WHEN random() < 0.3 THEN floor(random() * 2)::int
													ELSE floor(random() * n_owners)::int END);
				amt := 1 + floor(random() * 1000000)::bigint;
				INSERT INTO wes.outputs VALUES (op, h, kind, own, amt, asset, '\x', '\x', NULL, NULL);
			END LOOP;
			INSERT INTO wes.transactions VALUES (txid, h, t, n_in, n_out, '\x00', 0, 0, '\x00');
		END LOOP;
		INSERT INTO wes.blocks VALUES (h, bh, prev, bh, bh, bh, 1700000000000 + h * 1000, h, n_tx, 200 * n_tx, '\x');
		prev := bh;
	END LOOP;
	UPDATE wes.chain_state SET height = n_blocks - 1, hash = prev,
		utxo_count = (SELECT count(*) FROM wes.outputs WHERE spent_height IS NULL);
END
$$;
