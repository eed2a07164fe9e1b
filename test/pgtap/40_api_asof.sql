-- As-of-height reads (wes_utxo_lookup(op, h), wes_address_balance(owner, asset, h),
-- wes_api.address_utxos(owner, h)) against a brute-force replay of a synthetic history,
-- and the plans that serve them.
\ir lib/session.sql

BEGIN;
SELECT plan(20);

\ir lib/synthetic_chain.sql
SELECT pg_temp.synthetic_chain(1500, 400, 0.1234);
ANALYZE wes.outputs, wes.inputs, wes.transactions, wes.blocks;

-- Brute force: replay the history block by block, keeping the live set in a table,
-- and record every live outpoint at the end of every block.  Sampled heights keep it short.
CREATE TEMP TABLE bf_heights AS
SELECT h FROM generate_series(0, 1499) h WHERE h % 97 = 0 OR h IN (1, 2, 1498, 1499);
CREATE TEMP TABLE bf_live (outpoint wes_outpoint PRIMARY KEY, owner wes_address, kind smallint, ref wes_hash, amount bigint);
CREATE TEMP TABLE bf_alive (h bigint, outpoint wes_outpoint, owner wes_address, kind smallint, ref wes_hash, amount bigint);
DO $$
DECLARE
	h bigint;
BEGIN
	FOR h IN 0 .. 1499 LOOP
		INSERT INTO bf_live SELECT o.outpoint, o.owner, o.kind, o.ref, o.amount FROM wes.outputs o WHERE o.height = h;
		DELETE FROM bf_live l USING wes.inputs i WHERE i.height = h AND NOT i.reference AND i.outpoint = l.outpoint;
		IF h IN (SELECT b.h FROM bf_heights b) THEN
			INSERT INTO bf_alive SELECT h, l.* FROM bf_live l;
		END IF;
	END LOOP;
END
$$;
CREATE INDEX ON bf_alive (h, owner);
CREATE INDEX ON bf_alive (h, outpoint);
ANALYZE bf_alive;

-- The history is rich enough to mean something
SELECT cmp_ok((SELECT count(*) FROM wes.inputs i JOIN wes.outputs o ON o.outpoint = i.outpoint
			   WHERE NOT i.reference AND o.height = i.height), '>', 20::bigint,
			  'the synthetic history spends outputs inside the block that created them');
SELECT cmp_ok((SELECT count(DISTINCT h) FROM bf_alive), '=', (SELECT count(*) FROM bf_heights),
			  'the replay recorded every sampled height');

SELECT is((SELECT count(*) FROM bf_heights b CROSS JOIN wes.outputs o
		   WHERE EXISTS (SELECT 1 FROM wes_utxo_lookup(o.outpoint, b.h))
				 <> EXISTS (SELECT 1 FROM bf_alive a WHERE a.h = b.h AND a.outpoint = o.outpoint)),
		  0::bigint, 'wes_utxo_lookup(op, h) agrees with the replay for every outpoint at every sampled height');

SELECT is((SELECT count(*) FROM bf_heights b CROSS JOIN generate_series(0, 399) w
		   CROSS JOIN (VALUES ('0000000000000000000000000000000000000000000000000000000000000000'::wes_hash),
							  (pg_temp.h32('asset0')::wes_hash), (pg_temp.h32('asset1')::wes_hash)) AS a(asset)
		   WHERE wes_address_balance(pg_temp.synthetic_owner(w), a.asset, b.h)
				 <> (SELECT coalesce(sum(x.amount), 0) FROM bf_alive x
					 WHERE x.h = b.h AND x.owner = pg_temp.synthetic_owner(w) AND x.ref = a.asset AND x.kind = 0)),
		  0::bigint, 'wes_address_balance(owner, asset, h) agrees with the replay for every owner, asset and sampled height');

SELECT cmp_ok((SELECT count(DISTINCT wes_address_balance(pg_temp.synthetic_owner(0), at_height => b.h)) FROM bf_heights b),
			  '>', 10::bigint, 'a busy address''s balance changes over the sampled heights');

SELECT is((SELECT count(*) FROM bf_heights b CROSS JOIN generate_series(0, 399) w
		   WHERE (SELECT array_agg(u.outpoint ORDER BY u.outpoint) FROM wes_api.address_utxos(pg_temp.synthetic_owner(w), b.h) u)
				 IS DISTINCT FROM
				 (SELECT array_agg(x.outpoint ORDER BY x.outpoint) FROM bf_alive x
				  WHERE x.h = b.h AND x.owner = pg_temp.synthetic_owner(w))),
		  0::bigint, 'wes_api.address_utxos(owner, h) returns exactly the replay''s live outputs of every owner at every sampled height');

SELECT is((SELECT array_agg(u.outpoint ORDER BY u.outpoint) FROM wes_api.addresses_utxos(ARRAY[pg_temp.synthetic_owner(3), pg_temp.synthetic_owner(7)], 970) u),
		  (SELECT array_agg(x.outpoint ORDER BY x.outpoint) FROM bf_alive x
		   WHERE x.h = 970 AND x.owner IN (pg_temp.synthetic_owner(3), pg_temp.synthetic_owner(7))),
		  'wes_api.addresses_utxos(owners[], h) returns the live outputs of all the owners');

-- At the tip, as-of and current reads agree
SELECT is((SELECT array_agg(u.outpoint ORDER BY u.outpoint) FROM wes_api.address_utxos(pg_temp.synthetic_owner(0)) u),
		  (SELECT array_agg(u.outpoint ORDER BY u.outpoint) FROM wes_api.address_utxos(pg_temp.synthetic_owner(0), 1499) u),
		  'current UTXOs of an address equal its UTXOs as of the tip');
SELECT is((SELECT count(*) FROM generate_series(0, 399) w
		   WHERE wes_address_balance(pg_temp.synthetic_owner(w)) <> wes_address_balance(pg_temp.synthetic_owner(w), at_height => 1499)),
		  0::bigint, 'current balances equal balances as of the tip');
SELECT is((SELECT count(*) FROM wes.outputs o
		   WHERE EXISTS (SELECT 1 FROM wes_utxo_lookup(o.outpoint, 1499))
				 <> EXISTS (SELECT 1 FROM wes_api.utxos u WHERE u.outpoint = o.outpoint)),
		  0::bigint, 'an output is alive as of the tip exactly when it is in wes_api.utxos');

-- Above the tip the state is not known yet (a standby that lags is there): WE006, not the tip's state
SELECT throws_ok($$SELECT wes_address_balance(pg_temp.synthetic_owner(0), at_height => 1500)$$, 'WE006',
				 'the state at height 1500 is not known here: the tip is at 1499',
				 'as of block 1500, one above the tip, wes_address_balance is refused (WE006)');
SELECT throws_ok($$SELECT * FROM wes_utxo_lookup((SELECT outpoint FROM wes.outputs ORDER BY outpoint LIMIT 1), 1500)$$, 'WE006', NULL,
				 '... and so is wes_utxo_lookup(op, 1500)');
SELECT throws_ok($$SELECT * FROM wes_api.addresses_utxos(ARRAY[pg_temp.synthetic_owner(0)], 9223372036854775807)$$, 'WE006', NULL,
				 '... and wes_api.addresses_utxos(owners, 2^63-1)');

-- Plans: every as-of read starts from an index, never from a scan of a history table
\ir lib/plans_and_bytes.sql
PREPARE asof_lookup(wes_outpoint, bigint) AS SELECT * FROM wes_utxo_lookup($1, $2);
SET LOCAL plan_cache_mode = force_generic_plan;
SELECT matches(pg_temp.plan_of('EXECUTE asof_lookup(''' || (SELECT outpoint FROM wes.outputs ORDER BY outpoint LIMIT 1) || ''', 700)'),
			   'Index Scan using outputs_pkey',
			   'wes_utxo_lookup(op, h): one primary-key probe of wes.outputs (generic plan)');
SELECT doesnt_match(pg_temp.plan_of('EXECUTE asof_lookup(''' || (SELECT outpoint FROM wes.outputs ORDER BY outpoint LIMIT 1) || ''', 700)'),
					'Seq Scan', 'wes_utxo_lookup(op, h) scans no table');
SELECT doesnt_match(pg_temp.plan_of('EXECUTE asof_lookup(''' || (SELECT outpoint FROM wes.outputs ORDER BY outpoint LIMIT 1) || ''', NULL)'),
					'inputs', 'wes_utxo_lookup(op): the spend comes with the output row, wes.inputs is not read');
PREPARE asof_utxos(wes_address, bigint) AS SELECT * FROM wes_api.address_utxos($1, $2);
SELECT matches(pg_temp.plan_of('EXECUTE asof_utxos(''' || pg_temp.synthetic_owner(17) || ''', 700)'),
			   'outputs_owner_idx',
			   'address UTXOs as of h: the (owner, height) index');
SELECT doesnt_match(pg_temp.plan_of('EXECUTE asof_utxos(''' || pg_temp.synthetic_owner(17) || ''', 700)'),
					'Seq Scan', 'address UTXOs as of h scan no table');
-- wes_address_balance is this aggregate over address_utxos (it cannot be inlined itself)
PREPARE asof_balance(wes_address, wes_hash, bigint) AS
	SELECT coalesce(sum(a.amount), 0) FROM wes_api.address_utxos($1, $3) a WHERE a.ref = $2 AND a.kind = 'asset';
SELECT matches(pg_temp.plan_of('EXECUTE asof_balance(''' || pg_temp.synthetic_owner(17) || ''', ''0000000000000000000000000000000000000000000000000000000000000000'', 700)'),
			   'outputs_owner_idx',
			   'balance as of h: the (owner, height) index');
SELECT doesnt_match(pg_temp.plan_of('EXECUTE asof_balance(''' || pg_temp.synthetic_owner(17) || ''', ''0000000000000000000000000000000000000000000000000000000000000000'', 700)'),
					'Seq Scan', 'balance as of h scans no table');

SELECT * FROM finish();
ROLLBACK;
