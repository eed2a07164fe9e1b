-- Full snapshots over the vectors' 12-block chain: automatic ones every
-- snapshot_interval blocks, on demand, retention, rollback across a snapshot;
-- the snapshot file (docs/snapshot-format.md) at the tip and at a retained
-- height, byte for byte against what it was when that height was the tip and
-- against the format built here from the tables; import into an empty chain,
-- the checks it makes, and blocks written on top of an imported snapshot.
\ir lib/session.sql

BEGIN;
SELECT plan(98);
\ir lib/chain_state_helpers.sql

CREATE FUNCTION pg_temp.le32(x bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE RETURN substr(pg_temp.le64(x), 1, 4);
CREATE FUNCTION pg_temp.export_file(at_height bigint DEFAULT NULL) RETURNS bytea
LANGUAGE sql STABLE RETURN (SELECT string_agg(c, ''::bytea) FROM wes_snapshot_export(at_height) c);
-- The UTXO set at the end of block h, from the history tables alone
CREATE FUNCTION pg_temp.utxo_count_at(h bigint) RETURNS bigint
LANGUAGE sql STABLE RETURN (SELECT count(*) FROM wes.outputs o WHERE o.height <= h AND NOT EXISTS
	(SELECT FROM wes.inputs i WHERE i.outpoint = o.outpoint AND NOT i.reference AND i.height <= h));

SELECT throws_ok('SELECT wes_snapshot_create()', 'WE006', NULL, 'no snapshot of an empty chain');
SELECT throws_ok('SELECT pg_temp.export_file()', 'WE006', NULL, 'no export of an empty chain');

-- Write the chain with a snapshot every 3 blocks, keeping after every height
-- the table digests, the accumulator and the exported file
SET LOCAL wes_persist.snapshot_interval = 3;
SET LOCAL wes_persist.snapshot_retention = 3;
CREATE TEMP TABLE after (height bigint PRIMARY KEY, d text[], acc bytea, file bytea);
CREATE FUNCTION pg_temp.load_keeping_state() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
	FOR r IN SELECT height, raw FROM vblocks ORDER BY height LOOP
		PERFORM wes_write_block(r.raw);
		INSERT INTO after SELECT r.height, pg_temp.state_digest(), accumulator, pg_temp.export_file() FROM wes.chain_state;
	END LOOP;
END $$;
SELECT pg_temp.load_keeping_state();
-- Each owner's native balance and unspent outputs as of block 6, from the whole chain
CREATE TEMP TABLE asof6 AS
SELECT owner, wes_address_balance(owner, '0000000000000000000000000000000000000000000000000000000000000000', 6) AS balance,
	   (SELECT array_agg(u.outpoint::text ORDER BY u.outpoint) FROM wes_api.address_utxos(o.owner, 6) u) AS utxos
FROM (SELECT DISTINCT owner FROM wes.outputs) o;

SELECT is((SELECT array_agg(height ORDER BY height) FROM wes.snapshots), '{3,6,9}'::bigint[],
		  'automatic snapshots at heights 3, 6 and 9');
SELECT set_eq('SELECT height, block_hash::text, state_root::text FROM wes.snapshots',
			  'SELECT height, hash, state_root FROM vblocks WHERE height IN (3, 6, 9)',
			  'each names its block''s hash and state root');
SELECT is((SELECT count(*) FROM wes.snapshots WHERE utxo_count <> pg_temp.utxo_count_at(height)), 0::bigint,
		  'each counts the UTXO set at its height (recounted from outputs and inputs)');
SELECT is((SELECT count(*) FROM wes.snapshots s JOIN after a USING (height) WHERE s.accumulator <> a.acc), 0::bigint,
		  'each holds the accumulator the chain had at its height');
SELECT ok((SELECT bool_and(automatic) FROM wes.snapshots), 'all are marked automatic');
-- wes_verify recounts them from the tip's count and the rows above each
SELECT is((SELECT count(*) FROM wes_verify() WHERE check_name = 'snapshots'), 0::bigint,
		  'wes_verify finds the snapshots'' counts right');
UPDATE wes.snapshots SET utxo_count = utxo_count + 1 WHERE height = 6;
SELECT results_eq($$SELECT check_name, height FROM wes_verify() WHERE check_name = 'snapshots'$$,
				  $$VALUES ('snapshots', 6::bigint)$$, 'a snapshot''s count one off is a finding at its height');
SELECT matches((SELECT detail FROM wes_verify() WHERE check_name = 'snapshots'),
			   '^the snapshot at height 6 counts ([0-9]+) unspent outputs, but .* give ' ||
			   (SELECT utxo_count - 1 FROM wes.snapshots WHERE height = 6) || '$', '... naming both counts');
UPDATE wes.snapshots SET utxo_count = utxo_count - 1 WHERE height = 6;

-- On demand, and retention
SELECT results_eq('SELECT height, block_hash::text, state_root::text, utxo_count FROM wes_snapshot_create()',
				  $$SELECT 11::bigint, hash, state_root, (SELECT count(*) FROM wes_api.utxos) FROM vblocks WHERE height = 11$$,
				  'wes_snapshot_create returns the tip''s snapshot');
SELECT is((SELECT array_agg(height ORDER BY height) FROM wes.snapshots), '{6,9,11}'::bigint[],
		  'retention keeps the 3 newest');
SELECT is((SELECT automatic FROM wes.snapshots WHERE height = 11), false, 'the one on demand is not automatic');
SELECT results_eq('SELECT height FROM wes_snapshot_create()', 'VALUES (11::bigint)', 'asking again returns the same snapshot');
SELECT is((SELECT count(*) FROM wes.snapshots), 3::bigint, '... without adding one');

-- The file, against the format built here from the tables
CREATE TEMP TABLE tipfile AS SELECT pg_temp.export_file() AS f;
SELECT is((SELECT substr(f, 1, 92) FROM tipfile),
		  (SELECT 'WESSNAP1'::bytea || pg_temp.le32(2) || pg_temp.le64(height) || hash::bytea || state_root::bytea
				  || pg_temp.le64(utxo_count) FROM wes.chain_state),
		  'the header: magic, version, height, block hash, state root, UTXO count');
SELECT is((SELECT md5(substr(f, 93, length(f) - 92 - 32)) FROM tipfile),
		  (SELECT md5(string_agg(wes_outpoint_txid(outpoint)::bytea || pg_temp.le32(wes_outpoint_index(outpoint))
								 || pg_temp.le64(height) || pg_temp.le32(length(encoding)) || encoding, ''::bytea
								 ORDER BY outpoint)
					  || pg_temp.le64(x.n) || x.ids)
		   FROM (SELECT outpoint, height, wes.output_encoding(kind, owner, amount, ref, lock, data) AS encoding
				 FROM wes.outputs WHERE spent_height IS NULL) u,
				-- the ids rule 4 needs: of the transactions with no spend input
				(SELECT count(*) AS n, coalesce(string_agg(t.txid::bytea, ''::bytea ORDER BY t.txid), ''::bytea) AS ids
				 FROM wes.transactions t
				 WHERE NOT EXISTS (SELECT FROM wes.inputs i WHERE i.txid = t.txid AND NOT i.reference)) x
		   GROUP BY x.n, x.ids),
		  'the records: outpoint, created height, the output''s encoding, in outpoint order; then the ids of the '
		  'transactions that spent nothing, counted, in ascending order');
SELECT is((SELECT count(*) FROM wes_api.utxos u JOIN v ON true WHERE NOT (j->'utxos') ? u.outpoint::text), 0::bigint,
		  '... the outputs being the vectors'' UTXO set');
SELECT is((SELECT md5(f) FROM tipfile), (SELECT md5(file) FROM after WHERE height = 11), 'exporting twice gives the same bytes');
SELECT is(md5(pg_temp.export_file(9)), (SELECT md5(file) FROM after WHERE height = 9),
		  'the file at snapshot 9, rebuilt from history, is the one exported when 9 was the tip');
SELECT is(md5(pg_temp.export_file(6)), (SELECT md5(file) FROM after WHERE height = 6), '... and at snapshot 6');
SELECT throws_ok('SELECT pg_temp.export_file(5)', 'WE006', NULL, 'no export at a height without a snapshot');
SELECT ok((SELECT count(*) FROM wes_snapshot_export() c WHERE length(c) > 1024 * 1024 + 200) = 0,
		  'chunks are at most about 1 MiB');

-- A reader may export and list snapshots, not take or import them
GRANT SELECT ON tipfile TO wes_reader;
SET LOCAL ROLE wes_reader;
SELECT is(md5(pg_temp.export_file()), (SELECT md5(f) FROM tipfile), 'wes_reader exports the snapshot file');
SELECT is((SELECT count(*) FROM wes_api.snapshots), 3::bigint, 'wes_reader lists the snapshots');
SELECT throws_ok('SELECT wes_snapshot_create()', '42501', NULL, 'wes_reader may not take a snapshot');
SELECT throws_ok($$SELECT wes_snapshot_import('\x')$$, '42501', NULL, 'wes_reader may not import one');
SELECT throws_ok('SELECT wes_snapshot_import_begin()', '42501', NULL, '... nor begin an import in chunks');
RESET ROLE;

-- Rollback across a snapshot: the snapshots above the new tip go, and come back with the blocks
SELECT is(wes_rollback_to(7), 4::bigint, 'rollback to 7 across snapshots 9 and 11');
SELECT is((SELECT array_agg(height ORDER BY height) FROM wes.snapshots), '{6}'::bigint[], 'only snapshot 6 is left');
SELECT is(wes_write_blocks(pg_temp.vector_blocks(8, 11)), 4::bigint, 'blocks 8..11 again');
SELECT is((SELECT array_agg(height ORDER BY height) FROM wes.snapshots), '{6,9}'::bigint[], 'snapshot 9 is taken again');
SELECT is((SELECT accumulator FROM wes.snapshots WHERE height = 9), (SELECT acc FROM after WHERE height = 9),
		  '... with the same accumulator');

-- Import: only into an empty chain, only a sound file
SELECT throws_ok($$SELECT wes_snapshot_import((SELECT file FROM after WHERE height = 6))$$, 'WE006', NULL,
				 'import into a chain that has blocks is WE006');
SELECT is(wes_rollback_to(-1), 12::bigint, 'rollback to the empty chain');
SELECT throws_ok('SELECT wes_snapshot_import(NULL)', '22004', 'wes_snapshot_import: file must not be null',
				 'a NULL file is 22004, not an import of nothing');
SELECT throws_ok($$SELECT wes_snapshot_import((SELECT overlay(file placing '\xff' from 200) FROM after WHERE height = 6))$$,
				 '22P03', NULL, 'a flipped byte fails the checksum (22P03)');
SELECT throws_ok($$SELECT wes_snapshot_import((SELECT substr(file, 1, length(file) - 1) FROM after WHERE height = 6))$$,
				 '22P03', NULL, 'a truncated file is refused (22P03)');
SELECT throws_ok($$SELECT wes_snapshot_import((SELECT overlay(file placing 'X' from 1) FROM after WHERE height = 6))$$,
				 '22P03', NULL, 'a wrong magic is refused (22P03)');
SELECT throws_ok($$SELECT wes_snapshot_import((SELECT substr(f, 1, length(f) - 32) || wes_digest(substr(f, 1, length(f) - 32))::bytea
					 FROM (SELECT overlay(file placing '\x01000000' from 9) AS f FROM after WHERE height = 6) x))$$,
				 '22P03', 'invalid snapshot file at byte offset 8: version 1 is not 2: a version 1 file lacks the transaction '
				 'ids rule 4 needs; export the snapshot again with this version of wes_persist',
				 'a version 1 file is refused, saying why (22P03)');
-- height 2^63-1 (little-endian at byte 12), the checksum made right: the next height would not fit
SELECT throws_ok($$SELECT wes_snapshot_import((SELECT substr(f, 1, length(f) - 32) || wes_digest(substr(f, 1, length(f) - 32))::bytea
					 FROM (SELECT overlay(file placing '\xffffffffffffff7f' from 13) AS f FROM after WHERE height = 6) x))$$,
				 '22P03', 'invalid snapshot file at byte offset 12: height 2^63-1 leaves no height for the next block',
				 'a file at height 2^63-1 is refused at its header (22P03), not by an overflow later');
SELECT is((SELECT count(*) FROM wes.outputs), 0::bigint, '... and nothing was written');
-- The largest height a chain can reach: a file at 2^63-3, blocks at 2^63-2 and 2^63-1 on it,
-- and nothing after (the next height would not fit a bigint); undone after
SAVEPOINT highest;
CREATE FUNCTION pg_temp.empty_block_on_tip(height_le64 bytea) RETURNS bytea
LANGUAGE sql STABLE RETURN (
	SELECT pg_temp.empty_block(height_le64, c.hash::bytea, c.state_root::bytea, 0) FROM wes.chain_state c);
SELECT is((SELECT height FROM wes_snapshot_import((SELECT substr(f, 1, length(f) - 32) || wes_digest(substr(f, 1, length(f) - 32))::bytea
			  FROM (SELECT overlay(file placing '\xfdffffffffffff7f' from 13) AS f FROM after WHERE height = 6) x))),
		  9223372036854775805::bigint, 'a file at height 2^63-3 (checksum made right) is imported');
SELECT lives_ok($$SELECT wes_write_block(pg_temp.empty_block_on_tip('\xfeffffffffffff7f'))$$, 'block 2^63-2 follows it');
SELECT lives_ok($$SELECT wes_write_block(pg_temp.empty_block_on_tip('\xffffffffffffff7f'))$$, '... and block 2^63-1');
SELECT throws_ok($$SELECT wes_write_block(pg_temp.empty_block_on_tip('\x0000000000000080'))$$,
				 'WE001', 'block height 9223372036854775808 cannot follow the tip at height 9223372036854775807',
				 'no block follows 2^63-1 (WE001), not even one naming the tip at height 2^63');
SELECT results_eq('SELECT height, (SELECT count(*) FROM wes.blocks), (SELECT count(*) FROM wes_verify()) FROM wes.chain_state',
				  'VALUES (9223372036854775807::bigint, 2::bigint, 0::bigint)',
				  '... the tip stays at 2^63-1, and wes_verify finds nothing');
SELECT is((SELECT count(*) FROM wes_verify(9223372036854775807, 9223372036854775807)), 0::bigint,
		  '... nor over the range of the top block alone');
UPDATE wes.blocks SET header = set_byte(header, 150, get_byte(header, 150) # 1) WHERE height = 9223372036854775807;
SELECT set_eq('SELECT check_name, height FROM wes_verify()',
			  $$VALUES ('block_hash', 9223372036854775807::bigint), ('header_columns', 9223372036854775807::bigint)$$,
			  'a raw header byte of block 2^63-1 altered: wes_verify names its hash and columns');
SELECT results_eq('SELECT action FROM wes_repair()', $$VALUES ('restore_raw_header')$$,
				  '... wes_repair rebuilds it (the tip''s hash confirms it: no block follows)');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, '... and wes_verify finds nothing after');
SELECT is(wes_rollback_to(9223372036854775806), 1::bigint, 'rollback from 2^63-1 takes one block');
ROLLBACK TO SAVEPOINT highest;

-- Import in chunks: cut anywhere (inside the header, records and checksum), the same state as in one call
CREATE FUNCTION pg_temp.append_in_chunks(file bytea, size int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	FOR pos IN 1..length(file) BY size LOOP
		n := wes_snapshot_import_append(substr(file, pos, size));
	END LOOP;
	RETURN n;
END $$;
SAVEPOINT chunks;
SELECT throws_ok($$SELECT wes_snapshot_import_append('\x00')$$, '55000', NULL, 'no chunk before wes_snapshot_import_begin (55000)');
SELECT lives_ok('SELECT wes_snapshot_import_begin()', 'an import in chunks begins');
SELECT throws_ok('SELECT wes_snapshot_import_begin()', '55000', NULL, '... once a transaction (55000)');
SELECT throws_ok('SELECT wes_snapshot_import_append(NULL)', '22004', 'wes_snapshot_import_append: chunk must not be null',
				 'a NULL chunk is 22004, not a chunk of nothing');
SELECT is((SELECT pg_temp.le64(pg_temp.append_in_chunks(file, 37)) FROM after WHERE height = 6),
		  (SELECT substr(file, 85, 8) FROM after WHERE height = 6),
		  'the file goes in chunks of 37 bytes; every record of the header''s count is read');
SELECT results_eq('SELECT height, block_hash::text, state_root::text FROM wes_snapshot_import_finish()',
				  'SELECT height, hash, state_root FROM vblocks WHERE height = 6',
				  'wes_snapshot_import_finish returns the snapshot''s block');
SELECT results_eq('SELECT height, hash::text, state_root::text, base_height, accumulator FROM wes.chain_state',
				  $$SELECT 6::bigint, b.hash, b.state_root, 7::bigint, a.acc FROM vblocks b JOIN after a USING (height) WHERE height = 6$$,
				  '... and the tip is block 6, with its accumulator');
SELECT is((pg_temp.state_digest())[5], (SELECT d[5] FROM after WHERE height = 6), '... the UTXO set is what it was after block 6');
SELECT lives_ok($t$
	DO $d$
	DECLARE
		i regclass;
	BEGIN
		FOR i IN SELECT c.oid FROM pg_class c JOIN pg_am a ON a.oid = c.relam JOIN pg_index x ON x.indexrelid = c.oid
				 WHERE x.indrelid = 'wes.outputs'::regclass AND a.amname = 'btree'
		LOOP
			PERFORM bt_index_check(i, true);
		END LOOP;
	END
	$d$ $t$, 'the indexes built at the end have an entry for every row (bt_index_check, heapallindexed)');
ROLLBACK TO SAVEPOINT chunks;
SELECT lives_ok('SELECT wes_snapshot_import_begin()', 'rolled back, an import can begin again');
SELECT throws_ok($$SELECT wes_snapshot_import_append((SELECT overlay(file placing 'X' from 1) FROM after WHERE height = 6))$$,
				 '22P03', NULL, 'a chunk with a wrong magic is refused (22P03)');
SELECT throws_ok($$SELECT wes_snapshot_import_append('\x00')$$, '55000', NULL,
				 '... and then the import takes nothing more (55000)');
ROLLBACK TO SAVEPOINT chunks;
SELECT lives_ok($$SELECT wes_snapshot_import_begin(), wes_snapshot_import_append((SELECT substr(file, 1, length(file) - 40) FROM after WHERE height = 6))$$,
				'a file cut short goes in');
SELECT throws_ok('SELECT * FROM wes_snapshot_import_finish()', '22P03', NULL, 'a file cut short is refused at the finish (22P03)');
ROLLBACK TO SAVEPOINT chunks;
SELECT is((SELECT count(*) FROM wes.outputs), 0::bigint, '... and nothing was left');
-- While the transaction's import is not finished, nothing else may write the chain under
-- it: the finish checks the records it was sent, not what another write left of them
-- (wes_rebuild_indexes, say, deleted the outputs appended so far)
SELECT lives_ok($$SELECT wes_snapshot_import_begin(), wes_snapshot_import_append((SELECT substr(file, 1, length(file) / 2) FROM after WHERE height = 6))$$,
				'half a file goes in');
SELECT throws_ok(format('SELECT %s', call), '55000',
				 format('%s cannot run while a snapshot import is in progress in this transaction', name),
				 format('%s is refused while it is in progress (55000)', name))
FROM (VALUES ('wes_write_block((SELECT raw FROM vblocks WHERE height = 0))', 'wes_write_block'),
			 ('wes_write_blocks(pg_temp.vector_blocks(0, 1))', 'wes_write_block'),
			 ('wes_rollback_to(-1)', 'wes_rollback_to'),
			 ('wes_snapshot_create()', 'wes_snapshot_create'),
			 ('wes_rebuild_indexes()', 'wes_rebuild_indexes'),
			 ('count(*) FROM wes_repair()', 'wes_repair')) AS c(call, name);
SELECT lives_ok($$SELECT wes_snapshot_import_append((SELECT substr(file, length(file) / 2 + 1) FROM after WHERE height = 6))$$,
				'the rest of the file goes in');
CREATE TEMP TABLE finished AS SELECT utxo_count FROM wes_snapshot_import_finish();
SELECT is((SELECT count(*) FROM wes.outputs), (SELECT utxo_count FROM finished),
		  'the import finishes with every record in wes.outputs');
ROLLBACK TO SAVEPOINT chunks;

SELECT results_eq($$SELECT height, block_hash::text, state_root::text FROM wes_snapshot_import((SELECT file FROM after WHERE height = 6))$$,
				  'SELECT height, hash, state_root FROM vblocks WHERE height = 6',
				  'the snapshot of height 6 imports into the empty chain');
SELECT results_eq('SELECT height, hash::text, state_root::text, base_height, accumulator FROM wes.chain_state',
				  $$SELECT 6::bigint, b.hash, b.state_root, 7::bigint, a.acc FROM vblocks b JOIN after a USING (height) WHERE height = 6$$,
				  'the tip is block 6, with its accumulator; the first height accepted is 7');
SELECT is((pg_temp.state_digest())[5], (SELECT d[5] FROM after WHERE height = 6), 'the UTXO set is what it was after block 6');
SELECT is(md5(pg_temp.export_file()), (SELECT md5(file) FROM after WHERE height = 6), 'exporting it again gives the same file');
SELECT throws_ok($$SELECT wes_write_block((SELECT raw FROM vblocks WHERE height = 6))$$, 'WE001',
				 'block height 6 is below the first height this database accepts',
				 'block 6 itself is refused: the snapshot stands for it');
SELECT is(wes_write_blocks(pg_temp.vector_blocks(7, 11)), 5::bigint, 'blocks 7..11 are accepted on top of it');
SELECT throws_ok($$SELECT wes_write_block((SELECT raw FROM vblocks WHERE height = 7))$$, 'WE001',
				 'block height 7 is already written', '... and block 7, written here, is already written');
-- As-of reads on a chain from the snapshot at 6: at 6 and above they are the whole chain's;
-- below it outputs spent before the snapshot are missing, so they are refused (WE006)
SELECT is((SELECT count(*) FROM asof6 a
		   WHERE wes_address_balance(a.owner, '0000000000000000000000000000000000000000000000000000000000000000', 6)
				 IS DISTINCT FROM a.balance
			  OR (SELECT array_agg(u.outpoint::text ORDER BY u.outpoint) FROM wes_api.address_utxos(a.owner, 6) u)
				 IS DISTINCT FROM a.utxos), 0::bigint,
		  'as of block 6, every owner''s balance and UTXOs are the whole chain''s');
SELECT throws_ok($$SELECT wes_address_balance(owner, '0000000000000000000000000000000000000000000000000000000000000000', 5) FROM asof6$$,
				 'WE006', 'the state at height 5 is not held here: this chain starts from a snapshot at height 6',
				 'as of block 5, wes_address_balance is refused (WE006)');
SELECT throws_ok($$SELECT * FROM wes_utxo_lookup((SELECT outpoint FROM wes.outputs ORDER BY outpoint LIMIT 1), 0)$$, 'WE006', NULL,
				 '... and so is wes_utxo_lookup(op, 0)');
SELECT throws_ok($$SELECT * FROM wes_api.addresses_utxos(ARRAY(SELECT owner FROM asof6), -1)$$, 'WE006', NULL,
				 '... and wes_api.addresses_utxos(owners, -1), even where no output would match');
SELECT lives_ok($$SELECT * FROM wes_utxo_lookup((SELECT outpoint FROM wes.outputs ORDER BY outpoint LIMIT 1), NULL)$$,
				'a lookup without a height is served');
-- Repair on a chain from a snapshot: what the raw blocks after it hold is rebuilt; the
-- outputs the file brought are in no raw block, and the error says what to do instead
CREATE FUNCTION pg_temp.repair_error() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	hint text;
BEGIN
	PERFORM FROM wes_repair();
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
	RETURN st || ': ' || hint;
END $$;
SAVEPOINT repair_on_import;
UPDATE wes.outputs SET spent_by = NULL, spent_height = NULL
WHERE outpoint = (SELECT outpoint FROM wes.outputs WHERE spent_height > 6 ORDER BY outpoint LIMIT 1);
SELECT ok((SELECT count(*) FROM wes_repair() WHERE action <> 'unrepaired') > 0, 'a spend mark a block after the snapshot set, removed: wes_repair acts');
SELECT is((SELECT count(*) FROM wes_verify()), 0::bigint, '... and wes_verify finds nothing after');
UPDATE wes.outputs SET amount = amount + 1
WHERE outpoint = (SELECT outpoint FROM wes.outputs WHERE height <= 6 AND spent_height IS NULL ORDER BY outpoint LIMIT 1);
SELECT is(pg_temp.repair_error(),
		  'WE003: This chain starts from a snapshot at height 6: the outputs it brought are in no raw transaction, '
		  'only in wes.outputs. Import the snapshot file again into an empty database and write the blocks after it.',
		  'an output the snapshot brought, altered: wes_repair fails (WE003) and says why, and what to do');
ROLLBACK TO SAVEPOINT repair_on_import;
-- One the snapshot brought that a later block spent, altered: it is out of the UTXO set, so
-- only the snapshot it came in can tell (the row wes.snapshots keeps of it)
SAVEPOINT spent_import;
SELECT cmp_ok((SELECT count(*) FROM wes.outputs WHERE height <= 6 AND spent_height > 6), '>', 0::bigint,
			  'blocks after the snapshot spent outputs it brought');
UPDATE wes.outputs SET amount = amount + 1
WHERE outpoint = (SELECT outpoint FROM wes.outputs WHERE height <= 6 AND spent_height > 6 ORDER BY outpoint LIMIT 1);
SELECT results_eq('SELECT check_name, height FROM wes_verify()', $$VALUES ('snapshot_outputs', 6::bigint)$$,
				  'such an output altered: wes_verify finds the outputs below the base no longer the snapshot''s set');
SELECT is(pg_temp.repair_error(),
		  'WE003: This chain starts from a snapshot at height 6: the outputs it brought are in no raw transaction, '
		  'only in wes.outputs. Import the snapshot file again into an empty database and write the blocks after it.',
		  '... and wes_repair fails (WE003), changing nothing, and says what to do');
ROLLBACK TO SAVEPOINT spent_import;
SELECT results_eq('SELECT height, hash::text, state_root::text FROM wes.chain_state',
				  $$SELECT (j#>>'{tip,height}')::bigint, j#>>'{tip,hash}', j#>>'{tip,state_root}' FROM v$$,
				  'the tip and state root are the vectors''');
SELECT set_eq('SELECT outpoint::text FROM wes_api.utxos', $$SELECT jsonb_array_elements_text(j->'utxos') FROM v$$,
			  'the UTXO set is the vectors''');
SELECT is(wes_rollback_to(6), 5::bigint, 'rollback goes back to the imported height');
SELECT throws_ok('SELECT wes_rollback_to(5)', 'WE006', NULL, '... and no further (WE006)');

SELECT * FROM finish();
ROLLBACK;
