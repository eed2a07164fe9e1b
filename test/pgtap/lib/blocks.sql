-- Helpers for pgTAP files (included with \ir after BEGIN): encode blocks in the wire
-- format from SQL (roots computed here: RFC 6962 Merkle over wes_digest), and walk
-- a block's top-level layout, independently of the extension's decoder.

-- Little-endian integers and length-prefixed bytes
CREATE FUNCTION pg_temp.le32(v bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT set_byte(set_byte(set_byte(set_byte('\x00000000'::bytea,
		0, (v & 255)::int), 1, ((v >> 8) & 255)::int), 2, ((v >> 16) & 255)::int), 3, ((v >> 24) & 255)::int)
$$;
CREATE FUNCTION pg_temp.le64(v numeric) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le32(mod(v, 4294967296)::bigint) || pg_temp.le32(div(v, 4294967296)::bigint)
$$;
CREATE FUNCTION pg_temp.lp(b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le32(length(b)) || b
$$;
CREATE FUNCTION pg_temp.get32(b bytea, off int) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT get_byte(b, off)::bigint | (get_byte(b, off + 1)::bigint << 8)
		   | (get_byte(b, off + 2)::bigint << 16) | (get_byte(b, off + 3)::bigint << 24)
$$;
CREATE FUNCTION pg_temp.zeros(n int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT decode(repeat('00', n), 'hex')
$$;

-- Pieces of a transaction
CREATE FUNCTION pg_temp.input(txid bytea, idx bigint, flags int DEFAULT 0, unlock bytea DEFAULT '\xabcd')
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT txid || pg_temp.le32(idx) || set_byte('\x00'::bytea, 0, flags) || pg_temp.lp(unlock)
$$;
CREATE FUNCTION pg_temp.output(kind int DEFAULT 0, amount numeric DEFAULT 1000, data bytea DEFAULT '\x',
							   owner bytea DEFAULT '\x0101010101010101010101010101010101010101',
							   ref bytea DEFAULT NULL, lock bytea DEFAULT '\x')
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT set_byte('\x00'::bytea, 0, kind) || owner || pg_temp.le64(amount)
		   || coalesce(ref, pg_temp.zeros(32)) || pg_temp.lp(lock) || pg_temp.lp(data)
$$;
CREATE FUNCTION pg_temp.resource_meta(rtype int DEFAULT 1, size numeric DEFAULT 10,
									  media_type bytea DEFAULT convert_to('application/wasm', 'UTF8'),
									  name bytea DEFAULT convert_to('m.wasm', 'UTF8'))
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT set_byte('\x00'::bytea, 0, rtype) || pg_temp.le64(size) || pg_temp.lp(media_type) || pg_temp.lp(name)
$$;
-- A transaction; payload makes otherwise equal transactions distinct
CREATE FUNCTION pg_temp.tx(inputs bytea[], outputs bytea[], payload bytea DEFAULT '\x', version bigint DEFAULT 1)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le32(version) || pg_temp.le32(cardinality(inputs))
		   || coalesce((SELECT string_agg(i, ''::bytea ORDER BY n) FROM unnest(inputs) WITH ORDINALITY x(i, n)), '')
		   || pg_temp.le32(cardinality(outputs))
		   || coalesce((SELECT string_agg(o, ''::bytea ORDER BY n) FROM unnest(outputs) WITH ORDINALITY x(o, n)), '')
		   || pg_temp.lp(payload)
$$;
CREATE FUNCTION pg_temp.receipt(status int DEFAULT 0, fee numeric DEFAULT 0, return_data bytea DEFAULT '\x')
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT set_byte('\x00'::bytea, 0, status) || pg_temp.le64(fee) || pg_temp.lp(return_data) || pg_temp.le32(0)
$$;

-- RFC 6962 Merkle tree hash with H = wes_digest
CREATE FUNCTION pg_temp.mth(leaves bytea[]) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	n int := coalesce(cardinality(leaves), 0);
	k int := 1;
BEGIN
	IF n = 0 THEN
		RETURN wes_digest('\x')::bytea;
	ELSIF n = 1 THEN
		RETURN wes_digest('\x00'::bytea || leaves[1])::bytea;
	END IF;
	WHILE k * 2 < n LOOP
		k := k * 2;
	END LOOP;
	RETURN wes_digest('\x01'::bytea || pg_temp.mth(leaves[1:k]) || pg_temp.mth(leaves[k + 1:n]))::bytea;
END
$$;

CREATE FUNCTION pg_temp.txid(tx bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT wes_digest(tx)::bytea
$$;

-- A header; roots given
CREATE FUNCTION pg_temp.header(height numeric, prev bytea, tx_root bytea, receipt_root bytea, state_root bytea,
							   ts numeric DEFAULT 1700000000000, nonce numeric DEFAULT 7, version bigint DEFAULT 1)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le32(version) || pg_temp.le64(height) || pg_temp.le64(ts) || prev || tx_root
		   || receipt_root || state_root || pg_temp.le64(nonce)
$$;

-- A block with correct tx_root and receipt_root; receipts default to one success receipt per
-- transaction (distinct fees, so that their hashes differ); state_root defaults to all zero
CREATE FUNCTION pg_temp.block(height numeric, prev bytea, txs bytea[], receipts bytea[] DEFAULT NULL,
							  state_root bytea DEFAULT NULL)
RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	n int := coalesce(cardinality(txs), 0);
	body bytea := '';
	rs bytea[] := coalesce(receipts, ARRAY(SELECT pg_temp.receipt(0, i) FROM generate_series(1, n) i));
BEGIN
	FOR i IN 1 .. n LOOP
		body := body || pg_temp.lp(txs[i]);
	END LOOP;
	FOR i IN 1 .. coalesce(cardinality(rs), 0) LOOP
		body := body || pg_temp.lp(rs[i]);
	END LOOP;
	RETURN pg_temp.header(height, prev,
						  pg_temp.mth(ARRAY(SELECT pg_temp.txid(t) FROM unnest(txs) WITH ORDINALITY x(t, k) ORDER BY k)),
						  pg_temp.mth(ARRAY(SELECT wes_digest(r)::bytea FROM unnest(rs) WITH ORDINALITY x(r, k) ORDER BY k)),
						  coalesce(state_root, pg_temp.zeros(32)))
		   || pg_temp.le32(n) || body;
END
$$;

-- The next block on top of the database's tip
CREATE FUNCTION pg_temp.next_block(txs bytea[], receipts bytea[] DEFAULT NULL, root bytea DEFAULT NULL)
RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.block(coalesce(c.height + 1, 0), coalesce(c.hash::bytea, pg_temp.zeros(32)), txs, receipts, root)
	FROM wes.chain_state c
$$;

-- The top-level layout of a block: header fields, n_tx, each transaction and receipt
-- (from its length prefix to its end); start is a byte offset, len counts bytes
CREATE FUNCTION pg_temp.block_items(b bytea) RETURNS TABLE (path text, start int, len int)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	n int := pg_temp.get32(b, 156);
	pos int := 160;
	l int;
BEGIN
	RETURN QUERY VALUES ('header.version', 0, 4), ('header.height', 4, 8), ('header.timestamp_ms', 12, 8),
		('header.prev_hash', 20, 32), ('header.tx_root', 52, 32), ('header.receipt_root', 84, 32),
		('header.state_root', 116, 32), ('header.nonce', 148, 8), ('n_tx', 156, 4);
	FOR i IN 0 .. 2 * n - 1 LOOP
		l := pg_temp.get32(b, pos);
		path := format('%s[%s]', CASE WHEN i < n THEN 'transactions' ELSE 'receipts' END, i % n);
		start := pos;
		len := 4 + l;
		RETURN NEXT;
		pos := pos + 4 + l;
	END LOOP;
END
$$;

-- The bytes of transaction or receipt i (from 0) of a block, without the length prefix
CREATE FUNCTION pg_temp.block_item(b bytea, item text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT substr(b, start + 5, len - 4) FROM pg_temp.block_items(b) WHERE path = item
$$;

-- Write a block and undo it: 'ok <hash>' or 'SQLSTATE: message DETAIL: detail'
CREATE FUNCTION pg_temp.try_block(b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	h text;
	msg text;
	detail text;
BEGIN
	BEGIN
		h := wes_write_block(b)::text;
		RAISE SQLSTATE 'XX999';
	EXCEPTION WHEN SQLSTATE 'XX999' THEN
		RETURN 'ok ' || h;
	END;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || msg || coalesce(' DETAIL: ' || nullif(detail, ''), '');
END
$$;

-- b with the state_root the writer computes, taken from its WE003 detail (the vectors
-- and the generated-chain test check state roots; what a caller checks is what b writes)
CREATE FUNCTION pg_temp.with_writer_state_root(b bytea) RETURNS bytea LANGUAGE sql AS $$
	SELECT overlay(b placing decode(substring(pg_temp.try_block(b) from 'Expected ([0-9a-f]{64})'), 'hex') from 117)
$$;
