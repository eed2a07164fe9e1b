-- Every lookup a wes_api view's comment promises ("look up by ...") is served by an
-- index: its plan scans no table of schema wes, and it gives what a scan of the tables
-- gives.  Two of them through planner support (src/planner_support.c):
-- - the outputs of a transaction, wes_api.outputs WHERE txid = h: = on wes_hash turns
--   wes_outpoint_txid(op) = h into a range of outpoints.  Its edges, its forms (constant,
--   parameter, commuted, sub-selects) and what it must leave alone (joins, volatile
--   values, NULL);
-- - the inputs that name an outpoint, wes_api.inputs WHERE outpoint = x: = on
--   wes_outpoint adds the places of those inputs, from the spend mark and the references.
\ir lib/session.sql

BEGIN;
SELECT plan(58);

\ir lib/plans_and_bytes.sql
\ir lib/synthetic_chain.sql
SELECT pg_temp.synthetic_chain(400, 60, 0.31);
ANALYZE wes.outputs, wes.inputs, wes.transactions, wes.blocks;

-- A transaction with several outputs, some of them spent; an owner; a spend input and a
-- reference input; a resource
CREATE TEMP TABLE k AS
SELECT (SELECT wes_outpoint_txid(o.outpoint) FROM wes.outputs o
		WHERE wes_outpoint_index(o.outpoint) = 2 AND o.spent_height IS NULL ORDER BY o.outpoint LIMIT 1) AS txid,
	   pg_temp.synthetic_owner(7) AS owner,
	   (SELECT i.outpoint FROM wes.inputs i WHERE NOT i.reference ORDER BY i.outpoint LIMIT 1) AS spent_op,
	   (SELECT i.outpoint FROM wes.inputs i WHERE i.reference ORDER BY i.outpoint LIMIT 1) AS ref_op,
	   (SELECT o.ref FROM wes.outputs o WHERE o.kind = 1 ORDER BY o.outpoint LIMIT 1) AS content_hash,
	   (SELECT b.hash FROM wes.blocks b WHERE b.height = 200) AS block_hash;

-- ---- the promise: every (view, column) a comment names, by index ----
CREATE TEMP TABLE lookups (view text, col text, val text);
INSERT INTO lookups
SELECT v, c, x FROM k, LATERAL (VALUES
	('blocks', 'height', '200'),
	('blocks', 'hash', k.block_hash::text),
	('blocks', 'prev_hash', k.block_hash::text),
	('transactions', 'txid', k.txid::text),
	('transactions', 'block_height', '200'),
	('transactions', 'block_hash', k.block_hash::text),
	('inputs', 'txid', k.txid::text),
	('inputs', 'outpoint', k.spent_op::text),
	('inputs', 'outpoint', k.ref_op::text),
	('outputs', 'outpoint', k.spent_op::text),
	('outputs', 'txid', k.txid::text),
	('outputs', 'owner', k.owner::text),
	('utxos', 'outpoint', k.spent_op::text),
	('utxos', 'txid', k.txid::text),
	('utxos', 'owner', k.owner::text),
	('receipts', 'txid', k.txid::text),
	('resources', 'content_hash', k.content_hash::text),
	('address_balances', 'owner', k.owner::text)) AS l(v, c, x);

-- Each comment names the columns of its row here (so a new promise needs a row)
SELECT is((SELECT array_agg(l.view || '.' || l.col ORDER BY 1) FROM (SELECT DISTINCT view, col FROM lookups) l
		   WHERE obj_description(('wes_api.' || l.view)::regclass, 'pg_class') !~ ('look up by [^;]*\m' || l.col || '\M')),
		  NULL, 'each of these lookups is one its view''s comment promises');
-- (resource_content is empty here: a scan of it is the cheapest plan, and a right one)
SELECT doesnt_match(pg_temp.plan_of(format('SELECT * FROM wes_api.%I WHERE %I = %L', view, col, val)),
					'Seq Scan on (blocks|transactions|inputs|outputs)\M',
					format('wes_api.%s WHERE %s = ...: no table of wes is scanned', view, col))
FROM lookups ORDER BY view, col, val;

-- ---- outputs by txid: the same rows as a scan ----
-- The scan's answer: outpoints whose first 32 bytes are the txid, compared as bytes
CREATE FUNCTION pg_temp.outputs_of(t wes_hash) RETURNS wes_outpoint[] LANGUAGE sql AS $$
	SELECT array_agg(o.outpoint ORDER BY o.outpoint) FROM wes.outputs o
	WHERE substr(wes_outpoint_to_bytea(o.outpoint), 1, 32) = wes_hash_to_bytea(t)
$$;
SELECT matches(pg_temp.plan_of(format('SELECT * FROM wes_api.outputs WHERE txid = %L', (SELECT txid FROM k))),
			   pg_temp.index_re('outputs_pkey') || '.*\n *Index Cond: \(\(outpoint >= .*:0''::wes_outpoint\) AND \(outpoint <= .*:4294967295''::wes_outpoint\)\)',
			   'outputs by txid: one range of outputs_pkey, from index 0 to 4294967295');
SELECT is((SELECT array_agg(o.outpoint ORDER BY o.outpoint) FROM wes_api.outputs o, k WHERE o.txid = k.txid),
		  pg_temp.outputs_of((SELECT txid FROM k)), 'outputs by txid: the outputs a scan finds');
SELECT is((SELECT count(*) FROM wes_api.outputs o, k WHERE o.txid = k.txid), 3::bigint,
		  'the transaction looked up has three outputs');
SELECT is((SELECT array_agg(o.outpoint ORDER BY o.outpoint) FROM wes_api.outputs o, k WHERE k.txid = o.txid),
		  pg_temp.outputs_of((SELECT txid FROM k)), 'h = txid, the other way round: the same');
SELECT is((SELECT array_agg(u.outpoint ORDER BY u.outpoint) FROM wes_api.utxos u, k WHERE u.txid = k.txid),
		  (SELECT array_agg(o.outpoint ORDER BY o.outpoint) FROM wes.outputs o
		   WHERE o.outpoint = ANY (pg_temp.outputs_of((SELECT txid FROM k))) AND o.spent_height IS NULL),
		  'utxos by txid: the unspent ones among them');
-- Two transactions with OR: a range each, one bitmap scan
SELECT matches(pg_temp.plan_of(format('SELECT * FROM wes_api.outputs WHERE txid = %L OR txid = %L',
									  (SELECT txid FROM k), pg_temp.h32('tx7/0'))),
			   'BitmapOr\s+->  Bitmap Index Scan on outputs_pkey\s+Index Cond: \(\(outpoint >= .*->  Bitmap Index Scan on outputs_pkey',
			   'txid = a OR txid = b: two ranges of outputs_pkey');
SELECT is((SELECT array_agg(o.outpoint ORDER BY o.outpoint) FROM wes_api.outputs o, k
		   WHERE o.txid = k.txid OR o.txid = pg_temp.h32('tx7/0')::wes_hash),
		  (SELECT array_agg(x ORDER BY x) FROM unnest(pg_temp.outputs_of((SELECT txid FROM k))
													  || pg_temp.outputs_of(pg_temp.h32('tx7/0')::wes_hash)) x),
		  'and the outputs of both');
-- Every transaction, its outputs counted through a correlated sub-select (h is an outer
-- column there: the bounds are calls of wes_outpoint, not constants)
SELECT matches(pg_temp.plan_of('SELECT (SELECT count(*) FROM wes_api.outputs o WHERE o.txid = t.txid) FROM wes.transactions t'),
			   pg_temp.index_re('outputs_pkey') || '.*\n *Index Cond: \(\(outpoint >= wes_outpoint\(t\.txid, ''0''::bigint\)\)',
			   'in a correlated sub-select the bounds are built from the outer txid');
SELECT is((SELECT count(*) FROM wes.transactions t
		   WHERE (SELECT count(*) FROM wes_api.outputs o WHERE o.txid = t.txid) <> t.output_count),
		  0::bigint, 'every transaction''s outputs found that way: as many as it has');
-- A parameter, in a plan kept for any value
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE by_txid(wes_hash) AS SELECT array_agg(outpoint ORDER BY outpoint) FROM wes_api.outputs WHERE txid = $1;
SELECT matches(pg_temp.plan_of(format('EXECUTE by_txid(%L)', (SELECT txid FROM k))),
			   'Index Cond: \(\(outpoint >= wes_outpoint\(\$1, ''0''::bigint\)\) AND \(outpoint <= wes_outpoint\(\$1, ''4294967295''::bigint\)\)\)',
			   'a generic plan of WHERE txid = $1 ranges over outputs_pkey');
SELECT results_eq(format('EXECUTE by_txid(%L)', (SELECT txid FROM k)),
				  format('SELECT pg_temp.outputs_of(%L)', (SELECT txid FROM k)),
				  'and gives the outputs a scan finds');
SELECT results_eq('EXECUTE by_txid(NULL)', 'SELECT NULL::wes_outpoint[]', 'a NULL parameter finds nothing');
PREPARE inputs_of(wes_outpoint) AS SELECT array_agg(txid::text || '/' || input_index ORDER BY 1) FROM wes_api.inputs WHERE outpoint = $1;
SELECT matches(pg_temp.plan_of(format('EXECUTE inputs_of(%L)', (SELECT spent_op FROM k))),
			   'height = wes\.spend_height\(\$1\)', 'a generic plan of inputs WHERE outpoint = $1 goes through inputs_pkey');
SELECT results_eq(format('EXECUTE inputs_of(%L)', (SELECT spent_op FROM k)),
				  format($$SELECT array_agg(t.txid::text || '/' || i.input_index ORDER BY 1) FROM wes.inputs i
						   JOIN wes.transactions t ON (t.block_height, t.tx_index) = (i.height, i.tx_index) WHERE i.outpoint = %L$$,
						 (SELECT spent_op FROM k)),
				  'and finds the spender');
RESET plan_cache_mode;

-- ---- the range's edges, on a table of outpoints next to those of one txid ----
CREATE TEMP TABLE edge (op wes_outpoint PRIMARY KEY);
INSERT INTO edge VALUES
	('0000000000000000000000000000000000000000000000000000000000000000:0'),
	('11111111111111111111111111111111111111111111111111111111111111ff:4294967295'),
	('1111111111111111111111111111111111111111111111111111111111111200:0'),
	('1111111111111111111111111111111111111111111111111111111111111200:1'),
	('1111111111111111111111111111111111111111111111111111111111111200:4294967295'),
	('1111111111111111111111111111111111111111111111111111111111111201:0'),
	('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff:4294967295');
INSERT INTO edge SELECT wes_outpoint(wes_hash_from_bytea(pg_temp.rand_bytes(32)), g) FROM generate_series(1, 2000) g;
ANALYZE edge;
SELECT matches(pg_temp.plan_of($$SELECT op FROM edge WHERE wes_outpoint_txid(op) = '1111111111111111111111111111111111111111111111111111111111111200'$$),
			   pg_temp.index_re('edge_pkey'), 'any B-tree on an outpoint serves it');
SELECT is((SELECT array_agg(op::text ORDER BY op) FROM edge
		   WHERE wes_outpoint_txid(op) = '1111111111111111111111111111111111111111111111111111111111111200'),
		  ARRAY['1111111111111111111111111111111111111111111111111111111111111200:0',
				'1111111111111111111111111111111111111111111111111111111111111200:1',
				'1111111111111111111111111111111111111111111111111111111111111200:4294967295'],
		  'indexes 0 and 4294967295 are in the range; the txids on either side are not');
SELECT is((SELECT array_agg(op::text ORDER BY op) FROM edge
		   WHERE wes_outpoint_txid(op) IN ('0000000000000000000000000000000000000000000000000000000000000000')),
		  ARRAY['0000000000000000000000000000000000000000000000000000000000000000:0'], 'the smallest txid');
SELECT is((SELECT array_agg(op::text ORDER BY op) FROM edge
		   WHERE wes_outpoint_txid(op) = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'),
		  ARRAY['ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff:4294967295'], 'the largest txid');
SELECT is((SELECT count(*) FROM edge e WHERE wes_outpoint_txid(e.op) = wes_outpoint_txid(e.op)), 2007::bigint,
		  'txid(op) = txid(op) of the same row is not turned into a range, and holds for every row');
SELECT is((SELECT count(*) FROM edge WHERE wes_outpoint_txid(op) = NULL::wes_hash), 0::bigint, 'NULL finds nothing');

-- ---- what it leaves alone ----
SELECT doesnt_match(pg_temp.plan_of('SELECT count(*) FROM wes_api.outputs o JOIN wes_api.transactions t ON o.txid = t.txid'),
					'outpoint >=', 'a join on txid stays an equality join (the planner may hash or merge it)');
SELECT is((SELECT count(*) FROM wes_api.outputs o JOIN wes_api.transactions t ON o.txid = t.txid),
		  (SELECT count(*) FROM wes.outputs), 'and every output finds its transaction');
SELECT matches(pg_temp.plan_of($$SELECT op FROM edge WHERE wes_outpoint_txid(op) =
		   (CASE WHEN random() < 2 THEN '1111111111111111111111111111111111111111111111111111111111111200' END)::wes_hash$$),
			   'Filter: \(wes_outpoint_txid\(op\) = ', 'a volatile value stays a filter (it must be drawn once per row)');
SELECT is((SELECT count(*) FROM edge WHERE wes_outpoint_txid(op) =
		   (CASE WHEN random() < 2 THEN '1111111111111111111111111111111111111111111111111111111111111200' END)::wes_hash),
		  3::bigint, 'and finds the same rows');
-- The outpoint side stands in both bounds: a volatile one would be drawn twice
SELECT matches(pg_temp.plan_of($$SELECT count(*) FROM edge WHERE wes_outpoint_txid(wes_outpoint(
		   CASE WHEN random() < 0.5 THEN '0000000000000000000000000000000000000000000000000000000000000000'::wes_hash
				ELSE 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'::wes_hash END, 0))
		   = '8000000000000000000000000000000000000000000000000000000000000000'$$),
			   'Filter: \(wes_outpoint_txid\(wes_outpoint\(CASE', 'a volatile outpoint stays as written');
SELECT is((SELECT count(*) FROM edge WHERE wes_outpoint_txid(wes_outpoint(
		   CASE WHEN random() < 0.5 THEN '0000000000000000000000000000000000000000000000000000000000000000'::wes_hash
				ELSE 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'::wes_hash END, 0))
		   = '8000000000000000000000000000000000000000000000000000000000000000'),
		  0::bigint, 'and no row passes with one draw below the txid and another above it');
SELECT matches(pg_temp.plan_of($$SELECT op FROM edge WHERE wes_outpoint_txid(op) =
		   (SELECT wes_outpoint_txid(e.op) FROM edge e WHERE e.op > '1111111111111111111111111111111111111111111111111111111111111200:1' ORDER BY e.op LIMIT 1)$$),
			   'Index Cond: \(\(op >= wes_outpoint\(\$0, ''0''::bigint\)\) AND \(op <= wes_outpoint\(\$1, ',
			   'an uncorrelated sub-select: one InitPlan per bound, and the range');
SELECT is((SELECT array_agg(op::text ORDER BY op) FROM edge WHERE wes_outpoint_txid(op) =
		   (SELECT wes_outpoint_txid(e.op) FROM edge e WHERE e.op > '1111111111111111111111111111111111111111111111111111111111111200:1' ORDER BY e.op LIMIT 1)),
		  ARRAY['1111111111111111111111111111111111111111111111111111111111111200:0',
				'1111111111111111111111111111111111111111111111111111111111111200:1',
				'1111111111111111111111111111111111111111111111111111111111111200:4294967295'],
		  'and its rows: every output of the txid the sub-select gives');
SELECT matches(pg_temp.plan_of($$SELECT op FROM edge a WHERE wes_outpoint_txid(a.op) =
		   (SELECT wes_outpoint_txid(e.op) FROM edge e WHERE e.op = a.op)$$),
			   'Filter: \(wes_outpoint_txid\(op\) = \(SubPlan 1\)\)', 'a correlated one stays a filter');

-- ---- lookups that must give the rows a scan gives ----
SELECT is((SELECT array_agg(i.txid::text || '/' || i.input_index ORDER BY 1) FROM wes_api.inputs i, k WHERE i.outpoint = k.spent_op),
		  (SELECT array_agg(t.txid::text || '/' || i.input_index ORDER BY 1) FROM wes.inputs i
		   JOIN wes.transactions t ON (t.block_height, t.tx_index) = (i.height, i.tx_index), k WHERE i.outpoint = k.spent_op),
		  'inputs by a spent outpoint: its spender');
SELECT matches(pg_temp.plan_of(format('SELECT * FROM wes_api.inputs WHERE outpoint = %L', (SELECT spent_op FROM k))),
			   pg_temp.index_re('inputs_reference_idx') || '.*\n *Index Cond: \(outpoint = .*'
			   || pg_temp.index_re('inputs_pkey') || '.*\n *Index Cond: \(\(height = wes\.spend_height\(.*\(tx_index = wes\.spend_tx_index\(',
			   'inputs by outpoint: the references by inputs_reference_idx, the spend by inputs_pkey where its mark says');
-- An outpoint that 300 inputs reference (a popular state output), spent as well: every one
-- of them, each from the reference index, with no work per pair of places
CREATE TEMP TABLE popular AS SELECT (SELECT spent_op FROM k) AS op;
INSERT INTO wes.inputs (txid, input_index, outpoint, reference, height, tx_index, unlock)
SELECT t.txid, 100, p.op, true, t.block_height, t.tx_index, '\x' FROM wes.transactions t, popular p ORDER BY t.txid LIMIT 300;
ANALYZE wes.inputs;
SELECT is((SELECT count(*) FROM wes_api.inputs i, popular p WHERE i.outpoint = p.op),
		  (SELECT count(*) FROM wes.inputs i, popular p WHERE i.outpoint = p.op), 'a popular outpoint: all its inputs');
SELECT is((SELECT count(*) FILTER (WHERE reference) || '+' || count(*) FILTER (WHERE NOT reference) FROM wes_api.inputs i, popular p WHERE i.outpoint = p.op),
		  '300+1', '300 references and the spend');
SELECT matches(pg_temp.plan_of(format('SELECT * FROM wes_api.inputs WHERE outpoint = %L', (SELECT op FROM popular))),
			   pg_temp.index_re('inputs_reference_idx'), 'they come from the reference index');
-- The view holds every input once
SELECT is((SELECT array_agg(v ORDER BY v) FROM (SELECT (x.txid, x.input_index, x.outpoint, x.reference, x.block_height, x.unlock)::text AS v
												FROM wes_api.inputs x) a),
		  (SELECT array_agg(v ORDER BY v) FROM (SELECT (t.txid, i.input_index, i.outpoint, i.reference, i.height, i.unlock)::text AS v
												FROM wes.inputs i JOIN wes.transactions t ON (t.block_height, t.tx_index) = (i.height, i.tx_index)) a),
		  'wes_api.inputs holds every input of wes.inputs, once');
SELECT is((SELECT count(*) FROM wes.inputs i
		   WHERE (SELECT count(*) FROM wes_api.inputs v WHERE v.outpoint = i.outpoint)
				 <> (SELECT count(*) FROM wes.inputs j WHERE j.outpoint = i.outpoint)),
		  0::bigint, 'every outpoint an input names: its inputs found by outpoint, as many as there are');
SELECT is((SELECT array_agg(b.height) FROM wes_api.blocks b, k WHERE b.prev_hash = k.block_hash), ARRAY[201::bigint],
		  'blocks by prev_hash: the child');


-- ---- only the extension's own functions are rewritten ----
-- An overload of wes_outpoint_txid on another type, which any role with CREATE on the
-- extension's schema may add, is another function: rewritten by its name, its bytea
-- argument met 36 bytes labelled bytea (here a 1-byte header: an empty bytea; other
-- bytes crash the server or read any TOAST value), and the comparison gave false
CREATE FUNCTION public.wes_outpoint_txid(bytea) RETURNS wes_hash LANGUAGE plpgsql VOLATILE
AS $$BEGIN RETURN NULL; END$$;
SELECT is(public.wes_outpoint_txid('\x00'::bytea) = ('03' || repeat('0', 62))::wes_hash, NULL,
		  'an overload of wes_outpoint_txid(bytea) = h is left as written: the overload is called (NULL)');
SELECT matches(pg_temp.plan_of($$SELECT 1 FROM edge WHERE public.wes_outpoint_txid(op::bytea) = ('03' || repeat('0', 62))::wes_hash$$),
			   'Filter: \(wes_outpoint_txid\(\(op\)::bytea\) = ', 'and in a plan, it stays a call of the overload');

SELECT * FROM finish();
ROLLBACK;
