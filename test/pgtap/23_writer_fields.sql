-- Rule 1 field by field: every field of a transaction, an output, resource metadata
-- and a receipt out of range or overrunning its bytes is 22P03, and the message names
-- the field's path and the byte offset where it starts (offsets worked out here from
-- the wire format, not read from the decoder).  Values at the edge of their range decode.
\ir lib/session.sql

BEGIN;
SELECT plan(82);
\ir lib/wes_state.sql
\ir lib/blocks.sql

-- The layout the offsets below refer to: a block at height 0 holding
--   transaction 0 (prefix at 160, bytes from 164): version 164, n_inputs 168,
--     input 0 at 172 (txid 172, index 204, flags 208, unlock 209: 2 bytes), n_outputs 215,
--     output 0 at 219 (kind 219, owner 220, amount 240, ref 248, lock 280, data 284), payload 288;
--   receipt 0 (prefix at 292, bytes from 296): status 296, fee 297, return_data 305, n_logs 309; end 313.
-- A resource output's metadata starts at 288: resource_type 288, size 289, media_type 297
-- (16 bytes), name 317 (6 bytes); it ends at 327.
CREATE TEMP TABLE k AS SELECT pg_temp.input(decode(repeat('ab', 32), 'hex'), 0) AS in0,
							  pg_temp.output() AS out0,
							  pg_temp.lp(convert_to('application/wasm', 'UTF8')) AS media;

CREATE FUNCTION pg_temp.b(txs bytea[], receipts bytea[] DEFAULT NULL) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.block(0, pg_temp.zeros(32), txs, receipts)
$$;
CREATE FUNCTION pg_temp.t1(out0 bytea, in0 bytea DEFAULT NULL) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.tx(ARRAY[coalesce(in0, pg_temp.input(decode(repeat('ab', 32), 'hex'), 0))], ARRAY[out0])
$$;

CREATE TEMP TABLE cases (n serial, name text, block bytea, field text, off int, why text);
INSERT INTO cases (name, block, field, off, why)
SELECT c.* FROM k, LATERAL (VALUES
	('transaction version 2', pg_temp.b(ARRAY[pg_temp.tx(ARRAY[in0], ARRAY[out0], version => 2)]),
	 'transactions[0].version', 164, 'unsupported version 2'),
	('transaction version 0', pg_temp.b(ARRAY[pg_temp.tx(ARRAY[in0], ARRAY[out0], version => 0)]),
	 'transactions[0].version', 164, 'version 0'),
	('no outputs', pg_temp.b(ARRAY[pg_temp.tx(ARRAY[in0], '{}')]),
	 'transactions[0].n_outputs', 215, 'at least one output'),
	('n_inputs beyond the bytes', pg_temp.b(ARRAY[overlay(pg_temp.t1(out0) placing pg_temp.le32(1000) from 5)]),
	 'transactions[0].n_inputs', 168, 'count 1000'),
	('n_outputs beyond the bytes', pg_temp.b(ARRAY[overlay(pg_temp.t1(out0) placing pg_temp.le32(2) from 52)]),
	 'transactions[0].n_outputs', 215, 'count 2'),
	('input flags 2', pg_temp.b(ARRAY[pg_temp.t1(out0, pg_temp.input(decode(repeat('ab', 32), 'hex'), 0, 2))]),
	 'transactions[0].inputs[0].flags', 208, 'flags 2'),
	('input flags 255', pg_temp.b(ARRAY[pg_temp.t1(out0, pg_temp.input(decode(repeat('ab', 32), 'hex'), 0, 255))]),
	 'transactions[0].inputs[0].flags', 208, 'flags 255'),
	('unlock longer than the transaction', pg_temp.b(ARRAY[overlay(pg_temp.t1(out0) placing pg_temp.le32(100) from 46)]),
	 'transactions[0].inputs[0].unlock', 209, 'length 100'),
	('output kind 3', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(kind => 3))]),
	 'transactions[0].outputs[0].kind', 219, 'kind 3'),
	('output kind 255', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(kind => 255))]),
	 'transactions[0].outputs[0].kind', 219, 'kind 255'),
	('amount 2^63', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(amount => 9223372036854775808))]),
	 'transactions[0].outputs[0].amount', 240, '9223372036854775808'),
	('amount 2^64-1', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(amount => 18446744073709551615))]),
	 'transactions[0].outputs[0].amount', 240, '18446744073709551615'),
	('lock longer than the transaction', pg_temp.b(ARRAY[overlay(pg_temp.t1(out0) placing pg_temp.le32(1000) from 117)]),
	 'transactions[0].outputs[0].lock', 280, 'length 1000'),
	('data longer than the transaction', pg_temp.b(ARRAY[overlay(pg_temp.t1(out0) placing pg_temp.le32(5) from 121)]),
	 'transactions[0].outputs[0].data', 284, 'length 5'),
	('an asset output with data', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(0, 1000, '\x00'))]),
	 'transactions[0].outputs[0].data', 284, '1 bytes'),
	('resource_type 3', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(1, 1, pg_temp.resource_meta(3)))]),
	 'transactions[0].outputs[0].data.resource_type', 288, 'resource_type 3'),
	('resource metadata with a trailing byte', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(1, 1, pg_temp.resource_meta() || '\x00'))]),
	 'transactions[0].outputs[0].data', 327, 'trailing byte'),
	('resource metadata cut after size', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(1, 1, '\x01'::bytea || pg_temp.le64(10)))]),
	 'transactions[0].outputs[0].data.media_type', 297, 'truncated'),
	('media_type not UTF-8', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(1, 1, pg_temp.resource_meta(1, 10, '\x61c3')))]),
	 'transactions[0].outputs[0].data.media_type', 297, 'utf-8'),
	('name with an overlong form', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(1, 1, pg_temp.resource_meta(name => '\xc0af')))]),
	 'transactions[0].outputs[0].data.name', 317, 'utf-8'),
	('name with a surrogate', pg_temp.b(ARRAY[pg_temp.t1(pg_temp.output(1, 1, pg_temp.resource_meta(name => '\xeda080')))]),
	 'transactions[0].outputs[0].data.name', 317, 'utf-8'),
	('payload longer than the transaction', pg_temp.b(ARRAY[overlay(pg_temp.t1(out0) placing pg_temp.le32(1) from 125)]),
	 'transactions[0].payload', 288, 'length 1'),
	('a byte after the payload', pg_temp.b(ARRAY[pg_temp.t1(out0) || '\x00'::bytea]),
	 'transactions[0]', 292, 'trailing byte'),
	('flags 2 in the second transaction', pg_temp.b(ARRAY[pg_temp.t1(out0), pg_temp.t1(out0, pg_temp.input(decode(repeat('cd', 32), 'hex'), 1, 2))]),
	 'transactions[1].inputs[0].flags', 292 + 4 + 44, 'flags 2'),
	('receipt status 2', pg_temp.b(ARRAY[pg_temp.t1(out0)], ARRAY[pg_temp.receipt(2)]),
	 'receipts[0].status', 296, 'status 2'),
	('receipt n_logs beyond the bytes', pg_temp.b(ARRAY[pg_temp.t1(out0)], ARRAY[overlay(pg_temp.receipt() placing pg_temp.le32(1) from 14)]),
	 'receipts[0].n_logs', 309, 'count 1'),
	('receipt log data longer than the receipt',
	 pg_temp.b(ARRAY[pg_temp.t1(out0)], ARRAY[substr(pg_temp.receipt(), 1, 13) || pg_temp.le32(1) || pg_temp.zeros(32) || pg_temp.le32(9)]),
	 'receipts[0].logs[0].data', 345, 'length 9'),
	('a byte after the receipt', pg_temp.b(ARRAY[pg_temp.t1(out0)], ARRAY[pg_temp.receipt() || '\x00'::bytea]),
	 'receipts[0]', 313, 'trailing byte'),
	('a receipt missing', pg_temp.b(ARRAY[pg_temp.t1(out0)], '{}'),
	 'receipts[0]', 292, 'truncated'),
	('a byte after the last receipt', pg_temp.b(ARRAY[pg_temp.t1(out0)]) || '\x00'::bytea,
	 'trailing bytes', 313, '1 trailing byte'),
	('transaction length beyond the block', overlay(pg_temp.b(ARRAY[pg_temp.t1(out0)]) placing pg_temp.le32(1000) from 161),
	 'transactions[0]', 160, 'length 1000'),
	('n_tx beyond the bytes', overlay(pg_temp.b(ARRAY[pg_temp.t1(out0)]) placing pg_temp.le32(100) from 157),
	 'n_tx', 156, 'count 100')
) AS c(name, block, field, off, why);

CREATE FUNCTION pg_temp.run_cases() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	c cases;
	err text;
BEGIN
	FOR c IN SELECT * FROM cases ORDER BY n LOOP
		err := pg_temp.try_block(c.block);
		RETURN NEXT is(substring(err from '^(22P03: invalid block: .* at byte offset \d+): '),
					   format('22P03: invalid block: %s at byte offset %s', c.field, c.off),
					   format('%s: 22P03 naming %s at byte offset %s', c.name, c.field, c.off));
		IF err !~* c.why THEN
			RETURN NEXT fail(format('%s: the message says why (%s)', c.name, c.why)) || E'\n# ' || err;
		ELSE
			RETURN NEXT pass(format('%s: the message says why (%s)', c.name, c.why));
		END IF;
	END LOOP;
END
$$;
CREATE TEMP TABLE before AS SELECT pg_temp.wes_state() AS s;
SELECT * FROM pg_temp.run_cases();
SELECT is((SELECT count(*) FROM cases), 32::bigint, 'all 32 broken fields were tried');

-- Values at the edge of their range decode: such blocks (no inputs, all-zero
-- state_root) pass rules 1 to 5 and stop at rule 6
CREATE TEMP TABLE edge (n serial, name text, block bytea);
INSERT INTO edge (name, block) VALUES
	('amount 2^63-1 and amount 0', pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[pg_temp.output(amount => 9223372036854775807),
																		  pg_temp.output(amount => 0)])])),
	('a state output with data', pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[pg_temp.output(2, 5, '\xdeadbeef')])])),
	('resource types file, wasm and onnx',
	 pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[pg_temp.output(1, 1, pg_temp.resource_meta(0)), pg_temp.output(1, 1, pg_temp.resource_meta(1)),
										   pg_temp.output(1, 1, pg_temp.resource_meta(2))])])),
	('multi-byte UTF-8 in media_type and name',
	 pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[pg_temp.output(1, 1, pg_temp.resource_meta(1, 1, '\xe282ac', '\xf09f9880'))])])),
	('U+0000 in media_type and name (valid UTF-8)',
	 pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[pg_temp.output(1, 1, pg_temp.resource_meta(1, 1, '\x610062', '\x00'))])])),
	('an empty block', pg_temp.b('{}')),
	('a failure receipt with two logs and return data',
	 pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[pg_temp.output()])],
			   ARRAY['\x01'::bytea || pg_temp.le64(18446744073709551615) || pg_temp.lp('\x0102') || pg_temp.le32(2)
					 || pg_temp.zeros(32) || pg_temp.lp('\x') || decode(repeat('11', 32), 'hex') || pg_temp.lp('\x33')])),
	('a transaction with a payload and a long unlock',
	 pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[pg_temp.output(lock => '\x0102')], '\x99')]));
SELECT matches(pg_temp.try_block(block), '^WE003: state_root of block 0 does not match',
			   format('%s: decodes (stops at rule 6)', name))
FROM edge ORDER BY n;

SELECT is(pg_temp.wes_state(), (SELECT s FROM before), 'the rejections left the empty chain unchanged');

-- U+0000 is valid UTF-8, so a block may carry it in a resource's text, which no text
-- value can hold: the block is written and its bytes kept, wes_api.resources shows NULL
-- for those columns, and the block has no JSON form (22P05 naming the field)
CREATE TEMP TABLE nul AS
SELECT pg_temp.with_writer_state_root(pg_temp.b(ARRAY[pg_temp.tx('{}', ARRAY[
	pg_temp.output(1, 7, pg_temp.resource_meta(2, 99, '\x610062', '\x00')), pg_temp.output(1, 8, pg_temp.resource_meta())])])) AS block;
SELECT is((SELECT wes_write_block(block) FROM nul), (SELECT wes_digest(substr(block, 1, 156)) FROM nul),
		  'a block with U+0000 in a resource''s media_type and name is written');
SELECT is((SELECT array_agg(format('%s %s %s %s %s', resource_type, size, coalesce(media_type, 'NULL'),
								   coalesce(name, 'NULL'), created_height) ORDER BY outpoint) FROM wes_api.resources),
		  ARRAY['onnx 99 NULL NULL 0', 'wasm 10 application/wasm m.wasm 0'],
		  'wes_api.resources: NULL for text that holds U+0000, the rest as the block says');
SELECT is((SELECT data FROM wes_api.outputs WHERE output_index = 0), pg_temp.resource_meta(2, 99, '\x610062', '\x00'),
		  'wes_api.outputs.data holds the metadata''s bytes');
SELECT throws_ok($$SELECT wes_block_to_jsonb(block) FROM nul$$, '22P05',
				 'the block has no JSON form in this database: $.transactions[0].outputs[0].data.media_type holds U+0000, which no text value can hold',
				 'wes_block_to_jsonb of that block: 22P05 naming the field');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'wes_verify() finds nothing wrong with that block');
-- The snapshot file carries the output's bytes as they are: exported, and imported into
-- the empty chain, it gives the same tip, UTXO set and resources
CREATE FUNCTION pg_temp.chain_as_read() RETURNS text[] LANGUAGE sql STABLE AS $$
	SELECT ARRAY[(SELECT row(height, hash, state_root)::text FROM wes_chain_tip())]
		   || (SELECT array_agg(outpoint || ' ' || encode(data, 'hex') ORDER BY outpoint) FROM wes_api.utxos)
		   || (SELECT array_agg(format('%s %s', coalesce(media_type, 'NULL'), coalesce(name, 'NULL')) ORDER BY outpoint)
			   FROM wes_api.resources)
$$;
CREATE TEMP TABLE nul_snap AS
SELECT (SELECT string_agg(c, ''::bytea) FROM wes_snapshot_export() c) AS file, pg_temp.chain_as_read() AS before;
SELECT is(wes_rollback_to(-1), 1::bigint, 'rolled back to the empty chain');
SELECT is((SELECT height FROM wes_snapshot_import((SELECT file FROM nul_snap))), 0::bigint,
		  'its snapshot file imports into the empty chain');
SELECT is(pg_temp.chain_as_read(), (SELECT before FROM nul_snap),
		  '... with the same tip, UTXO set (bytes included) and resources (NULL for the text with U+0000)');

SELECT * FROM finish();
ROLLBACK;
