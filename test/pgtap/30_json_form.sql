-- The JSON form of a block: an exact round trip over every block of the vectors,
-- its fields against the raw bytes (read independently here), writing the chain
-- through wes_write_block(jsonb), and bad forms rejected with 22023 naming the path.
\ir lib/session.sql

BEGIN;
SELECT plan(97);

\ir lib/vector_file.sql
CREATE TEMP TABLE forms AS SELECT height, wes_block_to_jsonb(raw) AS j FROM vblocks;

-- Little-endian unsigned integers read straight from bytes (independent of the codec)
CREATE FUNCTION pg_temp.le(b bytea, off int, n int) RETURNS numeric
LANGUAGE sql IMMUTABLE RETURN (SELECT sum(get_byte(b, off + i)::numeric * 256::numeric ^ i) FROM generate_series(0, n - 1) i);

-- Block 3 of the vectors holds every part: spends, a reference input, asset, state and
-- resource outputs, logs.  f is its form; bad(path, value) is f with one value replaced.
CREATE TEMP TABLE f AS SELECT j FROM forms WHERE height = 3;
CREATE FUNCTION pg_temp.bad(p text[], val jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT j FROM f) #> p[:cardinality(p) - 1] IS NULL THEN
		RAISE EXCEPTION 'no value at %', p;		-- a wrong path must not pass a test
	END IF;
	RETURN jsonb_set((SELECT j FROM f), p, val);
END
$$;
CREATE FUNCTION pg_temp.without(p text[]) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT j FROM f) #> p IS NULL THEN
		RAISE EXCEPTION 'no value at %', p;
	END IF;
	RETURN (SELECT j FROM f) #- p;
END
$$;

-- ---- round trip: one test per block ----
SELECT is(wes_block_from_jsonb(j), raw, format('block %s: wes_block_from_jsonb(wes_block_to_jsonb(b)) = b', height))
FROM forms JOIN vblocks USING (height) ORDER BY height;

-- ---- the form says what the bytes say ----
SELECT set_eq(
	$$SELECT (j#>>'{header,height}')::bigint AS h, j#>>'{header,tx_root}' AS t, j#>>'{header,receipt_root}' AS r,
			 j#>>'{header,state_root}' AS s, jsonb_array_length(j->'transactions') AS nt, jsonb_array_length(j->'receipts') AS nr
	  FROM forms$$,
	'SELECT height, tx_root, receipt_root, state_root, tx_count, tx_count AS n FROM vblocks',
	'header roots, heights and transaction counts are the vectors''');
SELECT is((SELECT count(*) FROM forms JOIN vblocks USING (height)
		   WHERE (j#>>'{header,version}')::numeric <> pg_temp.le(raw, 0, 4)
			  OR (j#>>'{header,timestamp_ms}')::numeric <> pg_temp.le(raw, 12, 8)
			  OR decode(j#>>'{header,prev_hash}', 'hex') <> substr(raw, 21, 32)
			  OR (j#>>'{header,nonce}')::numeric <> pg_temp.le(raw, 148, 8)),
		  0::bigint, 'version, timestamp_ms, prev_hash and nonce are the header bytes');
SELECT is((SELECT count(*) FROM forms, jsonb_array_elements(j->'transactions') t, jsonb_array_elements(t->'outputs') o
		   WHERE o->>'kind' NOT IN ('asset', 'resource', 'state')
			  OR o->>'owner' !~ '^[0-9a-f]{40}$' OR o->>'ref' !~ '^[0-9a-f]{64}$'
			  OR jsonb_typeof(o->'amount') <> 'number'
			  OR (o->>'kind' = 'resource') <> (jsonb_typeof(o->'data') = 'object')),
		  0::bigint, 'every output: a kind name, lower-case hex owner and ref, a number amount, an object data exactly for resources');
SELECT is((SELECT count(*) FROM forms, jsonb_array_elements(j->'transactions') t, jsonb_array_elements(t->'inputs') i
		   WHERE jsonb_typeof(i->'reference') <> 'boolean' OR i->>'txid' !~ '^[0-9a-f]{64}$'),
		  0::bigint, 'every input: a boolean reference and a lower-case hex txid');
SELECT is((SELECT count(*) FROM forms, jsonb_array_elements(j->'transactions') t, jsonb_array_elements(t->'inputs') i
		   WHERE (i->>'reference')::boolean),
		  6::bigint, 'the vectors'' six reference inputs read as reference: true');
SELECT is((SELECT string_agg(DISTINCT r->>'status', ',') FROM forms, jsonb_array_elements(j->'receipts') r),
		  'failure,success', 'receipt statuses by name');
SELECT is((SELECT j#>'{transactions,1,outputs,1}' FROM f),
		  jsonb_build_object('kind', 'resource', 'owner', 'd3f37dba24102de5f406f0e3c33fc40cda175373', 'amount', 0,
							 'ref', 'fc41187713c5bcc69b13648395f783cdf3a39fb1356565ce207fdc33a68fb5df', 'lock', '4853504d4c383f51',
							 'data', jsonb_build_object('resource_type', 'wasm', 'size', 1267,
														'media_type', 'application/wasm', 'name', 'res-fc411877')),
		  'a resource output''s data is its metadata, by name');

-- ---- accepted spellings: the same bytes ----
SELECT is(wes_block_from_jsonb(pg_temp.bad('{header,nonce}', to_jsonb((SELECT j#>>'{header,nonce}' FROM f)))),
		  (SELECT raw FROM vblocks WHERE height = 3), 'a u64 as a decimal string gives the same bytes');
SELECT is(wes_block_from_jsonb(pg_temp.bad('{header,prev_hash}', to_jsonb(upper((SELECT j#>>'{header,prev_hash}' FROM f))))),
		  (SELECT raw FROM vblocks WHERE height = 3), 'upper-case hex gives the same bytes');
SELECT is(wes_block_from_jsonb(pg_temp.bad('{header,version}', '1.0')),
		  (SELECT raw FROM vblocks WHERE height = 3), 'the number 1.0 reads as 1');

-- ---- u64 at its maximum, and text beyond ASCII, survive the round trip ----
SELECT is(substr(wes_block_from_jsonb(pg_temp.bad('{header,nonce}', '18446744073709551615')), 149, 8),
		  '\xffffffffffffffff'::bytea, 'nonce 2^64-1 encodes as eight 0xff bytes');
SELECT is(wes_block_to_jsonb(wes_block_from_jsonb(pg_temp.bad('{header,nonce}', '18446744073709551615')))#>'{header,nonce}',
		  '18446744073709551615'::jsonb, 'and reads back as the exact number 18446744073709551615');
SELECT is(wes_block_to_jsonb(wes_block_from_jsonb(pg_temp.bad('{transactions,1,outputs,1,data,name}', '"modèle ü €"')))
			  #>>'{transactions,1,outputs,1,data,name}',
		  'modèle ü €', 'a non-ASCII resource name reads back the same');
SELECT ok(position(convert_to('modèle ü €', 'UTF8') IN
				   wes_block_from_jsonb(pg_temp.bad('{transactions,1,outputs,1,data,name}', '"modèle ü €"'))) > 0,
		  'and is stored as UTF-8');

-- ---- wes_write_block(jsonb) over the chain ----
SELECT is(wes_write_block(j)::text, hash, format('block %s written from its JSON form returns its hash', height))
FROM forms JOIN vblocks USING (height) ORDER BY height;
SELECT results_eq(
	'SELECT height, hash::text, state_root::text FROM wes.chain_state',
	$$SELECT (j#>>'{tip,height}')::bigint, j#>>'{tip,hash}', j#>>'{tip,state_root}' FROM v$$,
	'the tip and state root are the vectors''');
SELECT set_eq('SELECT outpoint::text FROM wes_api.utxos', $$SELECT jsonb_array_elements_text(j->'utxos') FROM v$$,
			  'the UTXO set is the vectors''');
SELECT is((SELECT count(*) FROM wes.transactions t JOIN vblocks b ON b.height = t.block_height
		   WHERE position(t.raw IN b.raw) = 0), 0::bigint, 'every stored transaction is the bytes of the vector block');

-- ---- a rejected form changes nothing ----
CREATE TEMP TABLE counts AS
SELECT (SELECT count(*) FROM wes.blocks) b, (SELECT count(*) FROM wes.transactions) t, (SELECT count(*) FROM wes.outputs) o;
SELECT throws_ok($$SELECT wes_write_block(jsonb_set(j, '{header,height}', '"12x"')) FROM forms WHERE height = 11$$,
				 '22023', 'invalid JSON form of a block at $.header.height: expected an integer from 0 to 18446744073709551615, found "12x"',
				 'wes_write_block(jsonb) rejects a bad form with 22023');
SELECT throws_ok($$SELECT wes_write_block(j) FROM forms WHERE height = 11$$, 'WE001', NULL,
				 'a valid form of a block already written fails as its bytes would (WE001)');
SELECT results_eq('SELECT (SELECT count(*) FROM wes.blocks), (SELECT count(*) FROM wes.transactions), (SELECT count(*) FROM wes.outputs)',
				  'SELECT b, t, o FROM counts', 'after the rejections every table holds what it held');

-- ---- bad forms: 22023, the message names the JSON path ----
\set msg 'invalid JSON form of a block at '
SELECT throws_ok($$SELECT wes_block_from_jsonb('[]')$$, '22023', :'msg' || '$: expected an object, found array', 'the form is an object');
SELECT throws_ok($$SELECT wes_block_from_jsonb('"block"')$$, '22023', :'msg' || '$: expected an object, found string', 'not a scalar');
SELECT throws_ok($$SELECT wes_block_from_jsonb('{}')$$, '22023', :'msg' || '$.header: missing key', 'an empty object');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.without('{header,nonce}'))$$, '22023',
				 :'msg' || '$.header.nonce: missing key', 'missing header key');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.without('{receipts}'))$$, '22023',
				 :'msg' || '$.receipts: missing key', 'missing receipts');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.without('{transactions,2,outputs,0,lock}'))$$, '22023',
				 :'msg' || '$.transactions[2].outputs[0].lock: missing key', 'missing output key');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.without('{transactions,1,outputs,1,data,size}'))$$, '22023',
				 :'msg' || '$.transactions[1].outputs[1].data.size: missing key', 'missing resource metadata key');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.without('{receipts,0,logs,0,topic}'))$$, '22023',
				 :'msg' || '$.receipts[0].logs[0].topic: missing key', 'missing log key');
SELECT throws_ok($$SELECT wes_block_from_jsonb((SELECT j FROM f) || '{"hash": "00"}')$$, '22023',
				 :'msg' || '$.hash: unknown key', 'unknown top-level key');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,inputs,0,sequence}', '0'))$$, '22023',
				 :'msg' || '$.transactions[2].inputs[0].sequence: unknown key', 'unknown input key');
SELECT throws_ok($$SELECT wes_block_from_jsonb(jsonb_set((SELECT j FROM f), '{header,extra}', '1'))$$, '22023',
				 :'msg' || '$.header.extra: unknown key', 'unknown header key');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header}', '[]'))$$, '22023',
				 :'msg' || '$.header: expected an object, found array', 'header of the wrong type');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions}', '{}'))$$, '22023',
				 :'msg' || '$.transactions: expected an array, found object', 'transactions of the wrong type');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,3}', '"tx"'))$$, '22023',
				 :'msg' || '$.transactions[3]: expected an object, found string', 'a transaction of the wrong type');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,3,outputs,0,amount}', '"x"'))$$, '22023',
				 :'msg' || '$.transactions[3].outputs[0].amount: expected an integer from 0 to 9223372036854775807, found "x"',
				 'amount: not digits');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,3,outputs,0,amount}', 'true'))$$, '22023',
				 :'msg' || '$.transactions[3].outputs[0].amount: expected an integer (a number or a string of decimal digits), found boolean',
				 'amount: a boolean');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,3,outputs,0,amount}', '9223372036854775808'))$$, '22023',
				 :'msg' || '$.transactions[3].outputs[0].amount: expected an integer from 0 to 9223372036854775807, found 9223372036854775808',
				 'amount: 2^63 is out of range');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,3,outputs,0,amount}', '-1'))$$, '22023',
				 :'msg' || '$.transactions[3].outputs[0].amount: expected an integer from 0 to 9223372036854775807, found -1',
				 'amount: negative');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,3,outputs,0,amount}', '2.5'))$$, '22023',
				 :'msg' || '$.transactions[3].outputs[0].amount: expected an integer from 0 to 9223372036854775807, found 2.5',
				 'amount: a fraction');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header,height}', '1e30'))$$, '22023',
				 :'msg' || '$.header.height: expected an integer from 0 to 18446744073709551615, found 1000000000000000000000000000000',
				 'height: 1e30');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header,nonce}', '18446744073709551616'))$$, '22023',
				 :'msg' || '$.header.nonce: expected an integer from 0 to 18446744073709551615, found 18446744073709551616',
				 'nonce: 2^64 is out of range');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header,nonce}', '" 1"'))$$, '22023',
				 :'msg' || '$.header.nonce: expected an integer from 0 to 18446744073709551615, found " 1"',
				 'nonce: a string with a space');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header,nonce}', '""'))$$, '22023',
				 :'msg' || '$.header.nonce: expected an integer from 0 to 18446744073709551615, found ""',
				 'nonce: an empty string');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{receipts,2,fee}', '1e1000'))$$, '22023', NULL, 'fee: a huge number');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,inputs,0,index}', '4294967296'))$$, '22023',
				 :'msg' || '$.transactions[2].inputs[0].index: expected an integer from 0 to 4294967295, found 4294967296',
				 'input index: 2^32 is out of range');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,inputs,0,index}', '"1"'))$$, '22023',
				 :'msg' || '$.transactions[2].inputs[0].index: expected an integer, found string',
				 'input index: u32 values are numbers only');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,0,version}', 'null'))$$, '22023',
				 :'msg' || '$.transactions[0].version: expected an integer, found null', 'version: null');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header,prev_hash}', '"abcd"'))$$, '22023',
				 :'msg' || '$.header.prev_hash: expected 64 hex digits (32 bytes), found 4', 'prev_hash: too short');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header,state_root}', to_jsonb(repeat('g', 64))))$$, '22023',
				 :'msg' || '$.header.state_root: expected hex digits, found a character that is not one', 'state_root: not hex');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,outputs,0,owner}', to_jsonb(repeat('a', 42))))$$, '22023',
				 :'msg' || '$.transactions[2].outputs[0].owner: expected 40 hex digits (20 bytes), found 42', 'owner: too long');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,outputs,0,owner}', '12'))$$, '22023',
				 :'msg' || '$.transactions[2].outputs[0].owner: expected a string of hex digits, found number', 'owner: a number');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,0,payload}', '"abc"'))$$, '22023',
				 :'msg' || '$.transactions[0].payload: expected an even number of hex digits, found 3', 'payload: odd hex');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,inputs,0,unlock}', '"0x00"'))$$, '22023',
				 :'msg' || '$.transactions[2].inputs[0].unlock: expected hex digits, found a character that is not one', 'unlock: a 0x prefix');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{receipts,1,logs,1,data}', '"6c6f6"'))$$, '22023',
				 :'msg' || '$.receipts[1].logs[1].data: expected an even number of hex digits, found 5', 'log data: truncated hex');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,outputs,0,kind}', '"coin"'))$$, '22023',
				 :'msg' || '$.transactions[2].outputs[0].kind: expected one of "asset", "resource", "state", found "coin"', 'kind: unknown name');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,outputs,0,kind}', '0'))$$, '22023',
				 :'msg' || '$.transactions[2].outputs[0].kind: expected one of "asset", "resource", "state", found number', 'kind: a number');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,1,outputs,1,data,resource_type}', '"exe"'))$$, '22023',
				 :'msg' || '$.transactions[1].outputs[1].data.resource_type: expected one of "file", "wasm", "onnx", found "exe"',
				 'resource_type: unknown name');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{receipts,0,status}', '"ok"'))$$, '22023',
				 :'msg' || '$.receipts[0].status: expected one of "success", "failure", found "ok"', 'status: unknown name');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,inputs,0,reference}', '1'))$$, '22023',
				 :'msg' || '$.transactions[2].inputs[0].reference: expected true or false, found number', 'reference: a number');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,1,outputs,1,data}', '"00"'))$$, '22023',
				 :'msg' || '$.transactions[1].outputs[1].data: expected an object (the metadata of a resource output), found string',
				 'resource data given as hex');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,1,outputs,1,data,name}', '7'))$$, '22023',
				 :'msg' || '$.transactions[1].outputs[1].data.name: expected a string, found number', 'resource name: a number');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,outputs,0,data}', '"00"'))$$, '22023',
				 :'msg' || '$.transactions[2].outputs[0].data: an asset output carries no data, this one has 1 bytes',
				 'asset data must be empty (a rule of the wire format, at its JSON path)');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{header,version}', '2'))$$, '22023',
				 :'msg' || '$.header.version: unsupported version 2', 'header version 2');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,4,version}', '0'))$$, '22023',
				 :'msg' || '$.transactions[4].version: unsupported version 0', 'transaction version 0');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,4,outputs}', '[]'))$$, '22023',
				 :'msg' || '$.transactions[4].outputs: a transaction needs at least one output', 'no outputs');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.without('{receipts,0}'))$$, '22023',
				 :'msg' || '$.receipts: 8 receipts for 9 transactions (receipt i belongs to transaction i)', 'one receipt short');
SELECT throws_ok($$SELECT wes_block_from_jsonb(pg_temp.bad('{transactions,2,inputs}', (repeat('[', 1000) || repeat(']', 1000))::jsonb))$$,
				 '22023', :'msg' || '$.transactions[2].inputs[0]: expected an object, found array', 'deep nesting');

-- ---- the conversions: bad bytes, properties and privileges ----
SELECT throws_ok($$SELECT wes_block_to_jsonb('\x0100')$$, '22P03', NULL, 'wes_block_to_jsonb of bytes that do not decode: 22P03');
SELECT is((SELECT string_agg(p.oid::regprocedure::text || ':' || p.provolatile::text || p.proparallel::text || p.proisstrict::text, ' ' ORDER BY p.proname)
		   FROM pg_proc p WHERE p.proname IN ('wes_block_to_jsonb', 'wes_block_from_jsonb')),
		  'wes_block_from_jsonb(jsonb):istrue wes_block_to_jsonb(bytea):istrue',
		  'the conversions are IMMUTABLE, PARALLEL SAFE and STRICT');
SELECT ok((SELECT p.prosecdef AND p.proconfig = '{"search_path=pg_catalog, pg_temp"}'
		   FROM pg_proc p WHERE p.oid = 'wes_write_block(jsonb)'::regprocedure),
		  'wes_write_block(jsonb) is SECURITY DEFINER with its search_path pinned');
SELECT ok(has_function_privilege('wes_writer', 'wes_write_block(jsonb)', 'EXECUTE')
		  AND NOT has_function_privilege('wes_reader', 'wes_write_block(jsonb)', 'EXECUTE'),
		  'wes_writer may execute wes_write_block(jsonb), wes_reader may not');
SELECT is((SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a
		   WHERE p.oid = 'wes_write_block(jsonb)'::regprocedure AND a.grantee = 0), 0::bigint,
		  'PUBLIC may not execute wes_write_block(jsonb)');
SELECT ok(obj_description('wes_write_block(jsonb)'::regprocedure, 'pg_proc') IS NOT NULL
		  AND obj_description('wes_block_to_jsonb(bytea)'::regprocedure, 'pg_proc') IS NOT NULL
		  AND obj_description('wes_block_from_jsonb(jsonb)'::regprocedure, 'pg_proc') IS NOT NULL,
		  'the three functions have comments');

SELECT * FROM finish();
ROLLBACK;
