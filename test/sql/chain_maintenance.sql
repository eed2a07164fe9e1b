--
-- Keeping a chain: rolling back reorganised blocks (and what cannot be rolled back),
-- verifying it, and repairing what was damaged, as an operator sees each in psql.
-- The journal keeps 5 blocks here, so that its reach shows.
--
SET wes_persist.journal_depth = 5;
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS amcheck;
RESET client_min_messages;
\i test/sql/include/vector_chain.sql
CREATE TEMP TABLE vblocks AS
SELECT (b->>'height')::bigint AS height, b->>'hash' AS hash, b->>'state_root' AS state_root,
	   decode(b->>'hex', 'hex') AS raw
FROM chain, jsonb_array_elements(j->'blocks') b;

-- Rollback: two blocks off, to block 9 as chain.json has it, then written again
SELECT wes_rollback_to(9) AS blocks_undone;
SELECT t.height, t.hash::text = v.hash AS hash_is_block_9s, t.state_root::text = v.state_root AS state_root_is_block_9s,
	   (SELECT count(*) FROM wes_api.utxos) AS utxos
FROM wes_chain_tip() t JOIN vblocks v USING (height);
SELECT wes_write_blocks(array_agg(raw ORDER BY height)) AS blocks_written FROM vblocks WHERE height > 9;
SELECT t.height, t.state_root::text = c.j#>>'{tip,state_root}' AS state_root_is_the_tips,
	   (SELECT count(*) FROM wes_api.utxos) AS utxos
FROM wes_chain_tip() t, chain c;

-- What cannot be rolled back: above the tip, below the empty chain, beyond the journal
SELECT wes_rollback_to(12);
\echo :LAST_ERROR_SQLSTATE
SELECT wes_rollback_to(-2);
\echo :LAST_ERROR_SQLSTATE
SELECT wes_rollback_to(3);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM wes_chain_tip();

-- wes_verify finds nothing wrong but says what it could not check
SELECT * FROM wes_verify();
SET client_min_messages = warning;
CREATE EXTENSION amcheck;
RESET client_min_messages;
SELECT * FROM wes_verify();
SELECT * FROM wes_verify(3, 5);

-- Damage done behind the writer's back (as a superuser): an output's amount and a
-- spend mark.  wes_verify names both; wes_repair mends them from the raw blocks.
CREATE TEMP TABLE victim AS
SELECT u.outpoint AS unspent, u.amount, s.outpoint AS spent, s.spent_by
FROM (SELECT outpoint, amount FROM wes.outputs WHERE spent_by IS NULL AND kind = 0 ORDER BY outpoint LIMIT 1) u,
	 (SELECT outpoint, spent_by FROM wes.outputs WHERE spent_by IS NOT NULL ORDER BY outpoint LIMIT 1) s;
UPDATE wes.outputs SET amount = amount + 1 WHERE outpoint = (SELECT unspent FROM victim);
UPDATE wes.outputs SET spent_by = NULL, spent_height = NULL WHERE outpoint = (SELECT spent FROM victim);
SELECT * FROM wes_verify();
SELECT * FROM wes_repair();
SELECT * FROM wes_verify();
SELECT (SELECT o.amount FROM wes_api.outputs o WHERE o.outpoint = v.unspent) = v.amount AS amount_is_back,
	   (SELECT o.spent_by FROM wes_api.outputs o WHERE o.outpoint = v.spent) = v.spent_by AS spend_mark_is_back
FROM victim v;
SELECT t.state_root::text = c.j#>>'{tip,state_root}' AS state_root_is_the_tips FROM wes_chain_tip() t, chain c;

-- Damage to the chain state or the journal stops the paths that read them, with
-- XX001 (data_corrupted); a check constraint already keeps the accumulator's length
BEGIN;
DELETE FROM wes.chain_state;
SELECT wes_write_block(raw) FROM vblocks WHERE height = 11;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
DELETE FROM wes.chain_state;
SELECT wes_rollback_to(10);
ROLLBACK;
BEGIN;
DELETE FROM wes.chain_state;
SELECT * FROM wes_verify();
ROLLBACK;
BEGIN;
UPDATE wes.chain_state SET accumulator = '\x00';
ROLLBACK;
BEGIN;
UPDATE wes.journal SET created = ARRAY[NULL]::wes_outpoint[] WHERE height = 11;
SELECT wes_rollback_to(10);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- ... which wes_verify names and wes_repair rebuilds, after which the rollback runs
BEGIN;
UPDATE wes.journal SET created = ARRAY[NULL]::wes_outpoint[] WHERE height = 11;
SELECT * FROM wes_verify();
SELECT action FROM wes_repair();
SELECT wes_rollback_to(10) AS blocks_undone;
SELECT * FROM wes_verify();
ROLLBACK;
-- A journal row above the tip would stop the block of that height from being written
BEGIN;
INSERT INTO wes.journal VALUES (50, '{}', '{}');
SELECT * FROM wes_verify();
SELECT action FROM wes_repair();
SELECT * FROM wes_verify();
SELECT count(*) AS journal_rows, max(height) AS highest FROM wes.journal;
ROLLBACK;
-- What cannot be derived again from the blocks is checked against what it claims: a
-- snapshot against its accumulator and its block, stored content against its SHA-256
-- and size, the base height against the blocks below it.  wes_repair leaves them.
SELECT key AS res, value AS content FROM chain, jsonb_each_text(j->'resources') ORDER BY key LIMIT 1 \gset
SELECT wes_write_resource(decode(:'content', 'hex')) = :'res'::wes_hash AS stored;
SELECT height, state_root::text = c.j#>>'{tip,state_root}' AS state_root_is_the_tips
FROM wes_snapshot_create(), chain c;
BEGIN;
UPDATE wes.resource_content SET content = '\x00' WHERE content_hash = :'res';
UPDATE wes.snapshots SET accumulator = decode(repeat('00', 2048), 'hex');
UPDATE wes.chain_state SET base_height = 5;
SELECT * FROM wes_verify();
SELECT action FROM wes_repair() WHERE action = 'unrepaired';
SELECT wes_write_resource(decode(:'content', 'hex')) = :'res'::wes_hash AS stored_again;
SELECT check_name FROM wes_verify();
ROLLBACK;
SELECT * FROM wes_verify();
SELECT * FROM wes_chain_tip();
RESET wes_persist.journal_depth;
