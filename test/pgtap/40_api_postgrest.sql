-- The SQL side of PostgREST: the role set-up of docs/postgrest-roles.sql, then the
-- statements PostgREST sends for typical explorer requests, run as the anonymous role,
-- with keyset pagination, bulk RPCs and the comments its OpenAPI output is built from.
\ir lib/session.sql

BEGIN;
SELECT plan(31);

\ir ../../docs/postgrest-roles.sql
\ir lib/synthetic_chain.sql
SELECT pg_temp.synthetic_chain(400, 60, 0.77);
ANALYZE wes.outputs, wes.inputs, wes.transactions, wes.blocks;

-- ---- role set-up ----
SELECT ok(pg_has_role('wes_web_anon', 'wes_reader', 'MEMBER'), 'the anonymous role is a wes_reader');
SELECT ok(pg_has_role('wes_authenticator', 'wes_web_anon', 'MEMBER')
		  AND NOT (SELECT rolinherit FROM pg_roles WHERE rolname = 'wes_authenticator'),
		  'the authenticator may switch to the anonymous role and inherits nothing');
SELECT ok((SELECT 'statement_timeout=5s' = ANY (setconfig) FROM pg_db_role_setting
		   WHERE setrole = 'wes_web_anon'::regrole AND setdatabase = 0),
		  'requests run with a statement_timeout');

-- ---- comments: PostgREST's OpenAPI description ----
SELECT is((SELECT array_agg(c.relname::text) FROM pg_class c
		   WHERE c.relnamespace = 'wes_api'::regnamespace AND c.relkind = 'v'
			 AND obj_description(c.oid, 'pg_class') IS NULL), NULL, 'every wes_api view has a comment');
SELECT is((SELECT array_agg(p.oid::regprocedure::text) FROM pg_proc p
		   WHERE p.pronamespace = 'wes_api'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL),
		  NULL, 'every wes_api function has a comment');
SELECT is((SELECT array_agg(c.relname || '.' || a.attname ORDER BY 1) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
		   WHERE c.relnamespace = 'wes_api'::regnamespace AND c.relkind = 'v' AND a.attnum > 0
			 AND col_description(c.oid, a.attnum) IS NULL), NULL,
		  'every column of every view has a comment');

-- PostgREST wraps every read in this shape; q is the pgrst_source query
CREATE FUNCTION pg_temp.pgrst(source text, args_cte text DEFAULT '') RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	body text;
BEGIN
	EXECUTE 'WITH ' || args_cte || ' pgrst_source AS (' || source || ') '
		 || 'SELECT coalesce(json_agg(_postgrest_t), ''[]'')::text FROM (SELECT * FROM pgrst_source) _postgrest_t'
		INTO body;
	RETURN body::jsonb;
END
$$;
-- ... and passes RPC arguments as one JSON object, typed by json_to_record
CREATE FUNCTION pg_temp.rpc(fn text, argdefs text, args jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	call text;
BEGIN
	SELECT string_agg(format('%I := (SELECT %I FROM pgrst_args LIMIT 1)', k, k), ', ') INTO call
	FROM jsonb_object_keys(args) k;
	IF call IS NULL THEN
		RETURN pg_temp.pgrst(format('SELECT pgrst_call.* FROM "wes_api".%I() pgrst_call', fn));
	END IF;
	RETURN pg_temp.pgrst(format('SELECT pgrst_call.* FROM "wes_api".%I(%s) pgrst_call', fn, call),
						 format('pgrst_args AS (SELECT * FROM json_to_record(%L::json) AS _(%s)),', args::text, argdefs));
END
$$;
\ir lib/plans_and_bytes.sql

-- GET /inputs?txid=eq.X: the transaction by txid, then its inputs by position
SELECT matches(pg_temp.plan_of(format('SELECT * FROM wes_api.inputs WHERE txid = %L',
									  (SELECT txid FROM wes.transactions ORDER BY txid LIMIT 1 OFFSET 50))),
			   'transactions_pkey.*inputs_pkey', 'a transaction''s inputs: transactions_pkey, then inputs_pkey');
SELECT doesnt_match(pg_temp.plan_of(format('SELECT * FROM wes_api.inputs WHERE txid = %L',
										   (SELECT txid FROM wes.transactions ORDER BY txid LIMIT 1 OFFSET 50))),
					'Seq Scan', 'a transaction''s inputs scan no table');

-- Brute force of an address's transactions, newest first (from the tables, as the owner)
CREATE TEMP TABLE owner_txs AS
SELECT t.block_height, t.tx_index, t.txid
FROM wes.transactions t
WHERE t.txid IN (SELECT wes_outpoint_txid(o.outpoint) FROM wes.outputs o WHERE o.owner = pg_temp.synthetic_owner(0)
				 UNION
				 SELECT i.txid FROM wes.inputs i JOIN wes.outputs o ON o.outpoint = i.outpoint
				 WHERE NOT i.reference AND o.owner = pg_temp.synthetic_owner(0));
GRANT SELECT ON owner_txs TO PUBLIC;
-- An output spent (at height 200 or later) that no input references
CREATE TEMP TABLE spent_output AS
SELECT o.outpoint, o.spent_by FROM wes.outputs o
WHERE o.spent_height >= 200 AND NOT EXISTS (SELECT 1 FROM wes.inputs i WHERE i.outpoint = o.outpoint AND i.reference)
ORDER BY o.outpoint LIMIT 1;
GRANT SELECT ON spent_output TO PUBLIC;
CREATE TEMP TABLE tx_outputs AS
SELECT jsonb_agg(jsonb_build_object('output_index', wes_outpoint_index(o.outpoint)) ORDER BY o.outpoint) AS indexes
FROM wes.outputs o WHERE substr(wes_outpoint_to_bytea(o.outpoint), 1, 32) = pg_temp.h32('tx200/1');
GRANT SELECT ON tx_outputs TO PUBLIC;
CREATE TEMP TABLE pages (n int, rows jsonb);
GRANT ALL ON pages TO PUBLIC;

-- ---- as PostgREST does it: the role is switched inside the request's transaction ----
SET LOCAL TimeZone = 'UTC';
DO $$ BEGIN PERFORM set_config('search_path', '"wes_api", "public", "pg_temp"', true), set_config('role', 'wes_web_anon', true); END $$;

SELECT is(pg_temp.pgrst($$SELECT "wes_api"."blocks".* FROM "wes_api"."blocks" WHERE "wes_api"."blocks"."height" = '7' LIMIT 1000 OFFSET 0$$)->0->>'hash',
		  encode(pg_temp.h32('block7'), 'hex'), 'GET /blocks?height=eq.7: the block, hash in lower-case hex');
SELECT is(pg_temp.pgrst(format($$SELECT "wes_api"."blocks".* FROM "wes_api"."blocks" WHERE "wes_api"."blocks"."hash" = %L LIMIT 1000 OFFSET 0$$,
							   upper(encode(pg_temp.h32('block9'), 'hex'))))->0->>'height',
		  '9', 'GET /blocks?hash=eq.<HEX>: upper-case hex is accepted');
SELECT is(pg_temp.pgrst($$SELECT "wes_api"."blocks"."timestamp", "wes_api"."blocks"."nonce" FROM "wes_api"."blocks" WHERE "wes_api"."blocks"."height" = '3'$$)->0,
		  jsonb_build_object('timestamp', '2023-11-14T22:13:23+00:00', 'nonce', 3),
		  'timestamps are ISO 8601 and u64 fields JSON numbers');
SELECT is(jsonb_array_length(pg_temp.pgrst(format($$SELECT "wes_api"."utxos".* FROM "wes_api"."utxos" WHERE "wes_api"."utxos"."owner" = %L ORDER BY "wes_api"."utxos"."created_height" DESC LIMIT 1000 OFFSET 0$$,
								pg_temp.synthetic_owner(5)))),
		  (SELECT count(*)::int FROM wes_api.utxos WHERE owner = pg_temp.synthetic_owner(5)),
		  'GET /utxos?owner=eq.<addr>: the address''s unspent outputs');
SELECT ok(pg_temp.pgrst(format($$SELECT "wes_api"."address_balances".* FROM "wes_api"."address_balances" WHERE "wes_api"."address_balances"."owner" = %L$$,
							  pg_temp.synthetic_owner(5)))
		  @> jsonb_build_array(jsonb_build_object('asset', repeat('0', 64), 'balance', wes_address_balance(pg_temp.synthetic_owner(5)))),
		  'GET /address_balances?owner=eq.<addr>: the native balance equals wes_address_balance');
SELECT is(pg_temp.pgrst(format($$SELECT "wes_api"."outputs"."output_index" FROM "wes_api"."outputs" WHERE "wes_api"."outputs"."txid" = %L ORDER BY "wes_api"."outputs"."output_index" LIMIT 1000 OFFSET 0$$,
							   upper(encode(pg_temp.h32('tx200/1'), 'hex')))),
		  (SELECT indexes FROM tx_outputs),
		  'GET /outputs?txid=eq.<HEX>&order=output_index: the transaction''s outputs, in order');
SELECT is(pg_temp.pgrst(format($$SELECT "wes_api"."inputs"."txid", "wes_api"."inputs"."reference" FROM "wes_api"."inputs" WHERE "wes_api"."inputs"."outpoint" = %L$$,
							   (SELECT outpoint FROM spent_output))),
		  jsonb_build_array(jsonb_build_object('txid', (SELECT spent_by FROM spent_output), 'reference', false)),
		  'GET /inputs?outpoint=eq.<op>: the input that spent it');
SELECT is(pg_temp.rpc('chain_tip', '', '{}')->0->>'height', '399', 'GET /rpc/chain_tip');
SELECT is(jsonb_array_length(pg_temp.rpc('utxo_lookup_many', 'ops wes_outpoint[]',
		  jsonb_build_object('ops', (SELECT jsonb_agg(outpoint::text) FROM (SELECT outpoint FROM wes_api.outputs ORDER BY created_height LIMIT 40) o)
									|| jsonb_build_array(repeat('ab', 32) || ':7')))),
		  40, 'POST /rpc/utxo_lookup_many {"ops": [...]}: the 40 that exist, the missing one left out');
SELECT is((SELECT count(*) FROM jsonb_array_elements(pg_temp.rpc('utxo_lookup_many', 'ops wes_outpoint[]',
		  jsonb_build_object('ops', (SELECT jsonb_agg(outpoint::text) FROM wes_api.outputs)))) e
		   WHERE e->>'spent_by' IS NOT NULL),
		  (SELECT count(*) FROM wes_api.outputs WHERE spent_by IS NOT NULL),
		  'bulk lookup of every outpoint in one call carries every spend');
SELECT is(pg_temp.rpc('utxo_lookup', 'op wes_outpoint, at_height bigint',
					  jsonb_build_object('op', (SELECT outpoint::text FROM wes_api.outputs WHERE spent_height = 200 LIMIT 1), 'at_height', 199))->0->>'spent_height',
		  '200', 'GET /rpc/utxo_lookup?op=..&at_height=199: alive at 199, spent at 200');
SELECT is(pg_temp.rpc('utxo_lookup', 'op wes_outpoint, at_height bigint',
					  jsonb_build_object('op', (SELECT outpoint::text FROM wes_api.outputs WHERE spent_height = 200 LIMIT 1), 'at_height', 200)),
		  '[]', '... and not alive at 200');
SELECT is(pg_temp.rpc('transactions_outputs', 'txids wes_hash[]',
		  jsonb_build_object('txids', jsonb_build_array(upper(encode(pg_temp.h32('tx200/1'), 'hex')), repeat('cd', 32)))),
		  (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.output_index) FROM wes_api.outputs o WHERE o.txid = pg_temp.h32('tx200/1')::wes_hash),
		  'POST /rpc/transactions_outputs {"txids": [...]}: the outputs of the known txid, in order, the unknown one left out');
SELECT is(jsonb_array_length(pg_temp.rpc('addresses_utxos', 'owners wes_address[], at_height bigint',
		  jsonb_build_object('owners', jsonb_build_array(pg_temp.synthetic_owner(4)::text, pg_temp.synthetic_owner(9)::text), 'at_height', 150))),
		  (SELECT count(*)::int FROM wes_api.addresses_utxos(ARRAY[pg_temp.synthetic_owner(4), pg_temp.synthetic_owner(9)], 150)),
		  'POST /rpc/addresses_utxos {"owners": [...], "at_height": 150}');
SELECT is(pg_temp.rpc('address_balance', 'owner wes_address, at_height bigint',
					  jsonb_build_object('owner', pg_temp.synthetic_owner(4)::text, 'at_height', 150))->0->>'pgrst_call',
		  wes_address_balance(pg_temp.synthetic_owner(4), at_height => 150)::text,
		  'GET /rpc/address_balance?owner=..&at_height=150');
SELECT is(pg_temp.rpc('block', 'block_height bigint', '{"block_height": 12}')->0->'pgrst_call'->>'hash',
		  encode(pg_temp.h32('block12'), 'hex'), 'GET /rpc/block?block_height=12: the block');
SELECT is((SELECT array_agg((t->>'tx_index')::int) FROM jsonb_array_elements(pg_temp.rpc('block', 'block_height bigint', '{"block_height": 12}')->0->'pgrst_call'->'transactions') t),
		  (SELECT array_agg(tx_index ORDER BY tx_index) FROM wes_api.transactions WHERE block_height = 12),
		  '... in block order');
SELECT ok((SELECT bool_and(starts_with(r->>'hash', 'ab')) AND count(*) > 0
		   FROM jsonb_array_elements(pg_temp.rpc('search', 'prefix text', '{"prefix": "0xAB"}')) r),
		  'GET /rpc/search?prefix=0xAB: hashes that start with ab');

-- Keyset pagination: walk the busiest address's history, 7 rows a page
DO $$
DECLARE
	page jsonb;
	n int := 0;
	last jsonb := NULL;
BEGIN
	LOOP
		page := pg_temp.rpc('address_transactions', 'owner wes_address, before_height bigint, before_tx_index integer, page_size integer',
							jsonb_build_object('owner', pg_temp.synthetic_owner(0)::text, 'page_size', 7,
											   'before_height', last->'block_height', 'before_tx_index', last->'tx_index'));
		EXIT WHEN jsonb_array_length(page) = 0 OR n > 1000;
		n := n + 1;
		INSERT INTO pages VALUES (n, page);
		last := page->-1;
	END LOOP;
END
$$;
SELECT cmp_ok((SELECT count(*) FROM pages), '>', 5::bigint, 'the busiest address''s history spans several pages');
SELECT is((SELECT count(*) FROM pages WHERE jsonb_array_length(rows) <> 7 AND n < (SELECT max(n) FROM pages)), 0::bigint,
		  'every page but the last is full');
SELECT is((SELECT array_agg((r->>'txid')::wes_hash ORDER BY p.n, o) FROM pages p, jsonb_array_elements(p.rows) WITH ORDINALITY AS e(r, o)),
		  (SELECT array_agg(txid ORDER BY block_height DESC, tx_index DESC) FROM owner_txs),
		  'the pages, concatenated, are exactly the address''s transactions, newest first, none twice');

-- Writes are refused whatever the route
SELECT throws_ok($$INSERT INTO "wes_api"."blocks" ("height") VALUES (1000)$$, '42501', NULL, 'POST /blocks is refused');
SELECT throws_ok($$DELETE FROM "wes_api"."outputs" WHERE "txid" = '0x00000000000000000000000000000000000000000000000000000000000000aa'$$, '42501', NULL, 'DELETE /outputs is refused');

RESET role;
SELECT * FROM finish();
ROLLBACK;
