-- Rules 4 and 5 and the order of all rules, on top of the vectors' 12-block chain:
-- spends and references of outputs from earlier blocks and from the same block,
-- double spends inside a block and across blocks, outputs created later in the
-- block, duplicate txids inside a block and against earlier blocks, and a block
-- that breaks two rules reporting the earlier one.  Blocks are built in SQL with
-- correct tx_root and receipt_root and an all-zero state_root, so a block that
-- passes rules 1 to 5 stops at rule 6 (WE003 naming state_root).
\ir lib/session.sql

BEGIN;
SELECT plan(55);
\ir lib/wes_state.sql
\ir lib/blocks.sql

\set chain `cat $WES_VECTORS/chain.json`
CREATE TEMP TABLE v AS SELECT :'chain'::jsonb AS chain;
SELECT is((SELECT count(wes_write_block(raw)) FROM pg_temp.vector_blocks((SELECT chain FROM v))), 12::bigint,
		  'the vectors'' 12 blocks are written');

-- Outpoints the vectors name: two unspent (u1, u2), one spent in an earlier block (s)
CREATE TEMP TABLE p AS
SELECT (SELECT min(o) FROM v, jsonb_array_elements_text(chain->'utxos') o) AS u1,
	   (SELECT max(o) FROM v, jsonb_array_elements_text(chain->'utxos') o) AS u2,
	   s->>'outpoint' AS s, s->>'spent_by' AS s_by, (s->>'spent_height')::int AS s_h,
	   (SELECT raw FROM pg_temp.vector_blocks((SELECT chain FROM v)) WHERE height = 0) AS block0,
	   (SELECT raw FROM pg_temp.vector_blocks((SELECT chain FROM v)) WHERE height = 5) AS block5
FROM v, LATERAL (SELECT s FROM jsonb_array_elements(chain->'spent') s ORDER BY s->>'outpoint' LIMIT 1) x;

-- An input naming an outpoint given as text; an input naming output i of a transaction given as bytes
CREATE FUNCTION pg_temp.in_op(op text, flags int DEFAULT 0) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.input(decode(split_part(op, ':', 1), 'hex'), split_part(op, ':', 2)::bigint, flags)
$$;
CREATE FUNCTION pg_temp.in_tx(tx bytea, i int, flags int DEFAULT 0) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.input(pg_temp.txid(tx), i, flags)
$$;
CREATE FUNCTION pg_temp.op(tx bytea, i int) RETURNS text LANGUAGE sql AS $$
	SELECT encode(pg_temp.txid(tx), 'hex') || ':' || i
$$;
-- A transaction with inputs and n asset outputs; tag keeps equal-looking ones apart
CREATE FUNCTION pg_temp.t(inputs bytea[], tag text, n int DEFAULT 1) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.tx(inputs, ARRAY(SELECT pg_temp.output(amount => i) FROM generate_series(1, n) i), convert_to(tag, 'UTF8'))
$$;
CREATE FUNCTION pg_temp.flip(b bytea, off int) RETURNS bytea LANGUAGE sql AS $$
	SELECT set_byte(b, off, get_byte(b, off) # 1)
$$;

-- Transactions the cases share: m0 mints two outputs; m1 mints one
CREATE TEMP TABLE t AS
SELECT pg_temp.t('{}', 'm0', 2) AS m0, pg_temp.t('{}', 'm1') AS m1,
	   pg_temp.block_item(block0, 'transactions[0]') AS old0,
	   pg_temp.block_item(block5, 'transactions[1]') AS old5
FROM p;
SELECT cmp_ok(pg_temp.get32((SELECT old5 FROM t), 4), '>', 0::bigint,
			  'the copied transaction of block 5 has inputs (so it would also break rule 5)');

CREATE TEMP TABLE cases (n serial, name text, block bytea, expected text);
CREATE FUNCTION pg_temp.rule5_passes() RETURNS text LANGUAGE sql AS $$
	SELECT '^WE003: state_root of block 12 does not match its contents'
$$;
INSERT INTO cases (name, block, expected)
SELECT c.* FROM p, t, LATERAL (VALUES
	-- passes rule 5
	('spend an unspent output of an earlier block', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'a')]),
	 pg_temp.rule5_passes()),
	('spend an output created earlier in the block', pg_temp.next_block(ARRAY[m0, pg_temp.t(ARRAY[pg_temp.in_tx(m0, 1)], 'a')]),
	 pg_temp.rule5_passes()),
	('a chain of in-block spends', pg_temp.next_block(ARRAY[m0, pg_temp.t(ARRAY[pg_temp.in_tx(m0, 0)], 'a'),
		pg_temp.t(ARRAY[pg_temp.in_tx(pg_temp.t(ARRAY[pg_temp.in_tx(m0, 0)], 'a'), 0), pg_temp.in_tx(m0, 1)], 'b')]),
	 pg_temp.rule5_passes()),
	('reference, then spend, an output of an earlier block',
	 pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1, 1)], 'a'), pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'b')]),
	 pg_temp.rule5_passes()),
	('two transactions reference the same output',
	 pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1, 1)], 'a'), pg_temp.t(ARRAY[pg_temp.in_op(u1, 1)], 'b')]),
	 pg_temp.rule5_passes()),
	('reference, then spend, an output created earlier in the block',
	 pg_temp.next_block(ARRAY[m1, pg_temp.t(ARRAY[pg_temp.in_tx(m1, 0, 1)], 'a'), pg_temp.t(ARRAY[pg_temp.in_tx(m1, 0)], 'b')]),
	 pg_temp.rule5_passes()),
	('one transaction references one output and spends another',
	 pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1, 1), pg_temp.in_op(u2)], 'a')]),
	 pg_temp.rule5_passes()),
	-- rule 5 broken
	('double spend inside a block', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'a'), pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'b')]),
	 format('^WE004: input 0 of transaction 1 in block 12 spends outpoint %s, which is already spent DETAIL: Input 0 of transaction 0 of this block spends it\.$', u1)),
	('one transaction spends the same output twice', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1), pg_temp.in_op(u1)], 'a')]),
	 format('^WE004: input 1 of transaction 0 in block 12 spends outpoint %s, which input 0 of the same transaction already names$', u1)),
	('one transaction references and spends the same output', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1, 1), pg_temp.in_op(u1)], 'a')]),
	 format('^WE004: input 1 of transaction 0 in block 12 spends outpoint %s, which input 0 of the same transaction already names$', u1)),
	('double spend across blocks', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(s)], 'a')]),
	 format('^WE004: input 0 of transaction 0 in block 12 spends outpoint %s, which is already spent DETAIL: Transaction %s spent it in the block at height %s\.$', s, s_by, s_h)),
	('reference an output spent in an earlier block', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u2), pg_temp.in_op(s, 1)], 'a')]),
	 format('^WE004: input 1 of transaction 0 in block 12 references outpoint %s, which is already spent DETAIL: Transaction %s spent it', s, s_by)),
	('spend an output index that never existed', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(split_part(u1, ':', 1) || ':999')], 'a')]),
	 format('^WE004: input 0 of transaction 0 in block 12 spends outpoint %s:999, which does not exist$', split_part(u1, ':', 1))),
	('reference an output that never existed', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(repeat('77', 32) || ':0', 1)], 'a')]),
	 format('^WE004: input 0 of transaction 0 in block 12 references outpoint %s:0, which does not exist$', repeat('77', 32))),
	('spend an output created later in the block', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_tx(m1, 0)], 'a'), m1]),
	 format('^WE004: input 0 of transaction 0 in block 12 spends outpoint %s, which is created later in the same block DETAIL: Transaction 1 of this block creates it\.$', pg_temp.op(m1, 0))),
	('reference an output created later in the block', pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_tx(m1, 0, 1)], 'a'), m1]),
	 format('^WE004: input 0 of transaction 0 in block 12 references outpoint %s, which is created later in the same block', pg_temp.op(m1, 0))),
	('spend an output index the block''s transaction does not have', pg_temp.next_block(ARRAY[m0, pg_temp.t(ARRAY[pg_temp.in_tx(m0, 2)], 'a')]),
	 format('^WE004: input 0 of transaction 1 in block 12 spends outpoint %s, which does not exist DETAIL: Transaction 0 of this block has 2 outputs\.$', pg_temp.op(m0, 2))),
	('double spend of an output created in the block',
	 pg_temp.next_block(ARRAY[m0, pg_temp.t(ARRAY[pg_temp.in_tx(m0, 0)], 'a'), pg_temp.t(ARRAY[pg_temp.in_tx(m0, 1), pg_temp.in_tx(m0, 0)], 'b')]),
	 format('^WE004: input 1 of transaction 2 in block 12 spends outpoint %s, which is already spent DETAIL: Input 0 of transaction 1 of this block spends it\.$', pg_temp.op(m0, 0))),
	('spend, then reference, an output of an earlier block',
	 pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'a'), pg_temp.t(ARRAY[pg_temp.in_op(u1, 1)], 'b')]),
	 format('^WE004: input 0 of transaction 1 in block 12 references outpoint %s, which is already spent DETAIL: Input 0 of transaction 0', u1)),
	('spend, then reference, an output created in the block',
	 pg_temp.next_block(ARRAY[m1, pg_temp.t(ARRAY[pg_temp.in_tx(m1, 0)], 'a'), pg_temp.t(ARRAY[pg_temp.in_tx(m1, 0, 1)], 'b')]),
	 format('^WE004: input 0 of transaction 2 in block 12 references outpoint %s, which is already spent DETAIL: Input 0 of transaction 1', pg_temp.op(m1, 0))),
	-- rule 4
	('the same transaction twice in a block', pg_temp.next_block(ARRAY[m1, m1]),
	 format('^WE005: transaction %s appears twice in block 12 DETAIL: Transactions 0 and 1 of the block have the same id\.$', encode(pg_temp.txid(m1), 'hex'))),
	('a transaction of block 0 again', pg_temp.next_block(ARRAY[m1, old0]),
	 format('^WE005: transaction %s \(transaction 1 of block 12\) already exists DETAIL: It was written in the block at height 0\.$', encode(pg_temp.txid(old0), 'hex'))),
	('two old transactions: the first in block order is named', pg_temp.next_block(ARRAY[m1, old5, old0]),
	 format('^WE005: transaction %s \(transaction 1 of block 12\) already exists DETAIL: It was written in the block at height 5\.$', encode(pg_temp.txid(old5), 'hex'))),
	-- two rules broken: the earlier one is reported
	('cut short (rule 1) at a wrong height (rule 2)',
	 substr(pg_temp.block(14, pg_temp.zeros(32), ARRAY[m1]), 1, 200), '^22P03: '),
	('receipt status 9 (rule 1) at a wrong height (rule 2)',
	 pg_temp.block(14, pg_temp.zeros(32), ARRAY[m1], ARRAY[pg_temp.receipt(9)]), '^22P03: invalid block: receipts\[0\]\.status'),
	('height gap (rule 2) and a wrong prev_hash', pg_temp.block(13, pg_temp.zeros(32), ARRAY[m1]), '^WE001: '),
	('wrong prev_hash (rule 2) and a wrong tx_root (rule 3)', pg_temp.flip(pg_temp.block(12, pg_temp.zeros(32), ARRAY[m1]), 60), '^WE002: '),
	('wrong tx_root and receipt_root: tx_root is named', pg_temp.flip(pg_temp.flip(pg_temp.next_block(ARRAY[m1]), 60), 90), '^WE003: tx_root '),
	('wrong receipt_root (rule 3) and a duplicate txid (rule 4)', pg_temp.flip(pg_temp.next_block(ARRAY[m1, m1]), 90), '^WE003: receipt_root '),
	('wrong tx_root (rule 3) and a double spend (rule 5)',
	 pg_temp.flip(pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(s)], 'a')]), 60), '^WE003: tx_root '),
	('an old transaction (rule 4) whose inputs are spent (rule 5)', pg_temp.next_block(ARRAY[old5]), '^WE005: '),
	('a duplicate txid (rule 4) after a double spend (rule 5)',
	 pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(s)], 'a'), m1, m1]), '^WE005: '),
	('a double spend (rule 5) and a wrong state_root (rule 6)',
	 pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'a'), pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'b')]), '^WE004: ')
) AS c(name, block, expected);

CREATE TEMP TABLE before AS SELECT pg_temp.wes_state() AS s;
SELECT matches(pg_temp.try_block(block), expected, name) FROM cases ORDER BY n;
SELECT is((SELECT count(*) FROM cases), 33::bigint, 'all 33 cases were tried');
SELECT is(pg_temp.wes_state(), (SELECT s FROM before), 'the tip, the state root and every row count are unchanged');

-- ---- A valid block 12 with spends and references, then a double spend in block 13 ----
-- The state_root of block 12 is taken from the writer's WE003 detail (the vectors and the
-- generated-chain test check state roots); what is checked here is what the block writes.
CREATE TEMP TABLE b12 AS
SELECT x.a, x.b, x.c, pg_temp.with_writer_state_root(pg_temp.next_block(ARRAY[x.a, x.b, x.c])) AS raw
FROM p, LATERAL (SELECT pg_temp.t(ARRAY[pg_temp.in_op(u2, 1), pg_temp.in_op(u1)], 'a', 2) AS a) a0,
	 LATERAL (SELECT a0.a, pg_temp.t(ARRAY[pg_temp.in_tx(a0.a, 0), pg_temp.in_tx(a0.a, 1, 1)], 'b') AS b) b0,
	 LATERAL (SELECT b0.a, b0.b, pg_temp.t(ARRAY[pg_temp.in_tx(b0.a, 1), pg_temp.in_op(u2, 1)], 'c') AS c) x;
CREATE TEMP TABLE utxos_before AS SELECT outpoint::text AS op FROM wes_api.utxos;
SELECT is(wes_write_block((SELECT raw FROM b12))::text, encode(wes_digest(substr((SELECT raw FROM b12), 1, 156))::bytea, 'hex'),
		  'block 12 (spends, in-block spends, references) is written and returns its hash');
SELECT set_eq('SELECT outpoint::text FROM wes_api.utxos',
			  $$SELECT op FROM utxos_before WHERE op <> (SELECT u1 FROM p)
				UNION ALL SELECT pg_temp.op(b, 0) FROM b12 UNION ALL SELECT pg_temp.op(c, 0) FROM b12$$,
			  'the UTXO set loses the spent output, keeps the referenced one, gains only what nobody in the block spent');
SELECT set_eq($$SELECT outpoint::text, reference FROM wes.inputs WHERE height = 12$$,
			  $$SELECT * FROM (VALUES ((SELECT u2 FROM p), true), ((SELECT u1 FROM p), false),
								((SELECT pg_temp.op(a, 0) FROM b12), false), ((SELECT pg_temp.op(a, 1) FROM b12), true),
								((SELECT pg_temp.op(a, 1) FROM b12), false), ((SELECT u2 FROM p), true)) x$$,
			  'every input of block 12 is recorded, references as references');
SELECT set_eq('SELECT outpoint::text FROM wes.outputs WHERE height = 12',
			  $$SELECT pg_temp.op(a, 0) FROM b12 UNION ALL SELECT pg_temp.op(a, 1) FROM b12
				UNION ALL SELECT pg_temp.op(b, 0) FROM b12 UNION ALL SELECT pg_temp.op(c, 0) FROM b12$$,
			  'every output of block 12 is recorded, spent or not');
SELECT results_eq($$SELECT ARRAY(SELECT x::text FROM unnest(created) x ORDER BY 1), ARRAY(SELECT x::text FROM unnest(spent) x) FROM wes.journal WHERE height = 12$$,
				  $$SELECT ARRAY(SELECT x FROM unnest(ARRAY[pg_temp.op(b, 0), pg_temp.op(c, 0)]) x ORDER BY 1), ARRAY[(SELECT u1 FROM p)] FROM b12$$,
				  'the journal of block 12: created the two survivors, spent the one earlier output');
SELECT is((SELECT utxo_count FROM wes.chain_state), (SELECT count(*) FROM utxos_before) + 1,
		  'the UTXO count grows by one (two created, one spent)');

SELECT matches(pg_temp.try_block(pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(u1)], 'z')])),
			   format('^WE004: input 0 of transaction 0 in block 13 spends outpoint %s, which is already spent DETAIL: Transaction %s spent it in the block at height 12\.$',
					  u1, encode(pg_temp.txid(a), 'hex')), 'block 13 spending what block 12 spent: WE004 naming block 12''s transaction')
FROM p, b12;
SELECT matches(pg_temp.try_block(pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_tx(a, 0)], 'z')])),
			   format('^WE004: input 0 of transaction 0 in block 13 spends outpoint %s, which is already spent DETAIL: Transaction %s spent it in the block at height 12\.$',
					  pg_temp.op(a, 0), encode(pg_temp.txid(b), 'hex')), 'block 13 spending an output created and spent inside block 12: WE004')
FROM b12;
SELECT matches(pg_temp.try_block(pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_tx(b, 0), pg_temp.in_op(u2, 1)], 'z')])),
			   '^WE003: state_root of block 13 does not match', 'block 13 spending a survivor of block 12 and referencing u2 passes rule 5')
FROM b12, p;

-- ---- Block 13 repeats block 0's mint and breaks no other rule: rule 4 is found as its rows go in ----
-- query (given the block as $1) run after the statement del, both undone; returns the query's value
CREATE FUNCTION pg_temp.with_rows_deleted(del text, query text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	BEGIN
		EXECUTE del;
		EXECUTE query INTO r USING b;
		RAISE SQLSTATE 'XX998';
	EXCEPTION WHEN SQLSTATE 'XX998' THEN
		RETURN r;
	END;
END
$$;
CREATE TEMP TABLE dup AS
SELECT format('DELETE FROM wes.transactions WHERE txid::bytea = %L', pg_temp.txid(old0)) AS del_tx,
	   format('WITH x AS (DELETE FROM wes.transactions WHERE txid::bytea = %L) DELETE FROM wes.outputs WHERE outpoint::text LIKE %L',
			  pg_temp.txid(old0), encode(pg_temp.txid(old0), 'hex') || ':%') AS del_all,
	   format('^WE005: transaction %s \(transaction 1 of block 13\) already exists DETAIL: It was written in the block at height 0\.$',
			  encode(pg_temp.txid(old0), 'hex')) AS expected,
	   pg_temp.next_block(ARRAY[pg_temp.t('{}', 'd'), old0]) AS zero_root
FROM t;
-- its state_root, from the writer's WE003 detail while old0's rows are out of the way (the
-- accumulator does not depend on them)
ALTER TABLE dup ADD raw bytea;
UPDATE dup SET raw = pg_temp.with_rows_deleted(del_all, 'SELECT pg_temp.with_writer_state_root($1)', zero_root)::bytea;
SELECT is(pg_temp.get32((SELECT old0 FROM t), 4), 0::bigint, 'the copied transaction of block 0 has no inputs');
CREATE TEMP TABLE before13 AS SELECT pg_temp.wes_state() AS s;
SELECT matches(pg_temp.try_block(raw), expected,
			   'a block repeating an old transaction and right in every other rule: WE005 naming its height')
FROM dup;
-- as in a database started from a snapshot above block 0: no transaction row, its outputs are there
SELECT matches(pg_temp.with_rows_deleted(del_tx, 'SELECT pg_temp.try_block($1)', raw), expected,
			   'the same block where only old0''s outputs are stored: WE005, not a unique violation of wes.outputs')
FROM dup;
SELECT is(pg_temp.with_rows_deleted(del_all, 'SELECT wes_write_block($1)::text', raw), encode(wes_block_hash(raw)::bytea, 'hex'),
		  'the same block where neither is stored: written (so only the repeat stopped it above)')
FROM dup;
SELECT is(pg_temp.wes_state(), (SELECT s FROM before13), 'the rejected block 13 leaves the tip, the state root and every row count as they were');

-- A spend of an output whose row has many versions, each with an entry of its own in
-- outputs_pkey (its owner, an indexed column, changed 300 times and back).  The writer's
-- lookup of the key meets every entry and must spend the visible version: the state root taken
-- before the updates holds only if the encoding removed from the set is that version's.
CREATE TEMP TABLE mv AS
SELECT o.outpoint AS op, o.owner AS owner0,
	   (SELECT x.owner FROM wes.outputs x WHERE x.owner <> o.owner ORDER BY x.outpoint LIMIT 1) AS owner1,
	   pg_temp.with_writer_state_root(pg_temp.next_block(ARRAY[pg_temp.t(ARRAY[pg_temp.in_op(p.u2)], 'many versions')])) AS raw,
	   pg_stat_get_xact_tuples_updated('wes.outputs'::regclass)
	   - pg_stat_get_xact_tuples_hot_updated('wes.outputs'::regclass) AS cold0
FROM p JOIN wes.outputs o ON o.outpoint::text = p.u2;
DO $$
BEGIN
	FOR n IN 1 .. 300 LOOP
		UPDATE wes.outputs o SET owner = CASE WHEN n % 2 = 1 THEN mv.owner1 ELSE mv.owner0 END
		FROM mv WHERE o.outpoint = mv.op;
	END LOOP;
END
$$;
SELECT is(pg_stat_get_xact_tuples_updated('wes.outputs'::regclass)
		  - pg_stat_get_xact_tuples_hot_updated('wes.outputs'::regclass) - cold0, 300::bigint,
		  'an unspent output updated 300 times, none of them heap-only (each adds an outputs_pkey entry)')
FROM mv;
SELECT is(wes_write_block(raw)::text, encode(wes_block_hash(raw)::bytea, 'hex'),
		  'a block spending it, whose state root was taken before the updates, is written')
FROM mv;
SELECT is((SELECT array_agg(o.owner::text || ' ' || (o.spent_by IS NOT NULL)::text) FROM wes_api.outputs o WHERE o.outpoint = mv.op),
		  ARRAY[mv.owner0::text || ' true'], 'one row of the outpoint, with its original owner, now spent')
FROM mv;
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, 'wes_verify finds nothing after it');

SELECT * FROM finish();
ROLLBACK;
