-- Rules 1 to 3 and 6 byte by byte, on the vectors' chain: a block cut at every
-- offset (22P03 naming the field and offset where it runs out), every header byte
-- flipped (the SQLSTATE of the field's rule, or accepted for the unchecked
-- timestamp and nonce), the empty chain's rules, and nothing changed by a rejection.
\ir lib/session.sql

BEGIN;
SELECT plan(28);
\ir lib/wes_state.sql
\ir lib/blocks.sql

\set chain `cat $WES_VECTORS/chain.json`
CREATE TEMP TABLE v AS SELECT :'chain'::jsonb AS chain;
CREATE TEMP TABLE vblocks AS
SELECT (b->>'height')::bigint AS height, b->>'hash' AS hash, b->>'tx_root' AS tx_root,
	   b->>'receipt_root' AS receipt_root, b->>'state_root' AS state_root, decode(b->>'hex', 'hex') AS raw
FROM v, jsonb_array_elements(chain->'blocks') b;

-- The helpers agree with the vectors: roots recomputed in SQL, layout walked to the end
SELECT is((SELECT count(*) FROM vblocks
		   WHERE encode(pg_temp.mth(ARRAY(SELECT pg_temp.txid(pg_temp.block_item(raw, path))
										  FROM pg_temp.block_items(raw) WHERE path LIKE 'transactions%' ORDER BY start)), 'hex') = tx_root
			 AND encode(pg_temp.mth(ARRAY(SELECT wes_digest(pg_temp.block_item(raw, path))::bytea
										  FROM pg_temp.block_items(raw) WHERE path LIKE 'receipts%' ORDER BY start)), 'hex') = receipt_root
			 AND (SELECT max(start + len) FROM pg_temp.block_items(raw)) = length(raw)
			 AND wes_block_hash(raw)::text = hash),
		  12::bigint, 'test helpers: SQL Merkle roots, layout and block hashes match all 12 vector blocks');

SELECT throws_ok($$SELECT wes_block_hash('\x0100000000')$$, '22P03', NULL,
				 'wes_block_hash of fewer than 156 bytes is 22P03');

-- ---- The empty chain ----
CREATE TEMP TABLE empty_state AS SELECT pg_temp.wes_state() AS s;
SELECT matches(pg_temp.try_block(pg_temp.block(1, pg_temp.zeros(32), '{}')),
			   '^WE001: block height 1 leaves a gap after the tip DETAIL: The next block must have height 0\.$',
			   'an empty chain refuses height 1 (WE001, expects 0)');
SELECT matches(pg_temp.try_block(pg_temp.block(0, set_byte(pg_temp.zeros(32), 31, 1), '{}',
											   state_root => decode((SELECT state_root::text FROM wes.chain_state), 'hex'))),
			   '^WE002: prev_hash of block 0 is not the hash of the tip DETAIL: Expected 0{64}, given 0{62}01\.$',
			   'genesis must name the all-zero prev_hash (WE002)');

-- ---- Truncation of block 0 at every offset ----
CREATE TEMP TABLE cut AS
SELECT k, pg_temp.error_of(format('SELECT wes_write_block(%L::bytea)', substr(raw, 1, k))) AS err
FROM vblocks, generate_series(0, length(raw) - 1) k WHERE height = 0;
CREATE TEMP TABLE cut_parsed AS
SELECT k, err, m[1] AS field, m[2]::int AS off, e.path AS item, e.start AS item_start
FROM cut
CROSS JOIN LATERAL regexp_match(err, '^22P03: invalid block: (\S+|trailing bytes) at byte offset (\d+): .+') m
LEFT JOIN LATERAL (SELECT i.path, i.start FROM vblocks b, pg_temp.block_items(b.raw) i
				   WHERE b.height = 0 AND k >= i.start AND k < i.start + i.len) e ON true;

SELECT is((SELECT count(*) FROM cut), (SELECT length(raw)::bigint FROM vblocks WHERE height = 0),
		  'block 0 cut at every offset: one attempt per offset');
SELECT is((SELECT array_agg(k ORDER BY k) FROM cut WHERE err IS NULL OR err NOT LIKE '22P03: %'), NULL,
		  'every cut raises 22P03');
SELECT is((SELECT array_agg(k ORDER BY k) FROM cut WHERE NOT EXISTS (SELECT 1 FROM cut_parsed p WHERE p.k = cut.k)), NULL,
		  'every cut''s message has the form "invalid block: <field> at byte offset <n>: <why>"');
SELECT is((SELECT array_agg(k || ':' || field || '@' || off ORDER BY k) FROM cut_parsed
		   WHERE k < 160 AND (field, off) IS DISTINCT FROM (item, item_start)), NULL,
		  'a cut inside the header or n_tx names that field and its offset');
SELECT is((SELECT array_agg(k || ':' || field || '@' || off ORDER BY k) FROM cut_parsed
		   WHERE k >= 160 AND NOT ((field, off) = ('n_tx', 156)
									OR ((field = item OR field LIKE item || '.%') AND off BETWEEN item_start AND k))), NULL,
		  'a cut after n_tx names the transaction or receipt it falls in (or n_tx), at an offset not beyond the cut');
SELECT cmp_ok((SELECT count(DISTINCT item) FROM cut_parsed WHERE k >= 160), '>=', 6::bigint,
			  'the cuts cover every transaction and receipt of block 0');
-- ---- Each transaction and receipt of block 1 cut inside a correct length prefix ----
-- (a cut inside the first 61 bytes of a last output is refused at n_outputs: the
-- count no longer fits the bytes left, so kind, owner and amount are not named here)
CREATE TEMP TABLE inner_cut AS
SELECT i.path, i.start, c,
	   pg_temp.error_of(format('SELECT wes_write_block(%L::bytea)',
							   substr(b.raw, 1, i.start) || pg_temp.lp(substr(pg_temp.block_item(b.raw, i.path), 1, c))
							   || substr(b.raw, i.start + i.len + 1))) AS err
FROM vblocks b, pg_temp.block_items(b.raw) i, generate_series(0, i.len - 5) c
WHERE b.height = 1 AND i.path ~ '^(transactions|receipts)';
CREATE TEMP TABLE inner_parsed AS
SELECT path, start, c, err, m[1] AS field, m[2]::int AS off
FROM inner_cut LEFT JOIN LATERAL regexp_match(err, '^22P03: invalid block: (\S+) at byte offset (\d+): .+') m ON true;
SELECT is((SELECT array_agg(path || ' cut at ' || c || ': ' || coalesce(err, 'accepted') ORDER BY start, c) FROM inner_parsed
		   WHERE field IS NULL OR NOT (field = path OR field LIKE path || '.%') OR off NOT BETWEEN start AND start + 4 + c), NULL,
		  'a transaction or receipt of block 1 cut at any offset: 22P03 naming a field of that item at an offset inside it');
SELECT is((SELECT count(*) FROM inner_cut), (SELECT sum(i.len - 4) FROM vblocks b, pg_temp.block_items(b.raw) i
											 WHERE b.height = 1 AND i.path ~ '^(transactions|receipts)'),
		  'every offset of every transaction and receipt of block 1 was cut');
SELECT is((SELECT array_agg(f ORDER BY f) FROM unnest(ARRAY['transactions.version', 'transactions.n_inputs', 'transactions.inputs.txid', 'transactions.inputs.index',
				'transactions.inputs.flags', 'transactions.inputs.unlock', 'transactions.n_outputs', 'transactions.outputs.ref', 'transactions.outputs.lock',
				'transactions.outputs.data', 'transactions.payload', 'receipts.status', 'receipts.fee', 'receipts.return_data',
				'receipts.n_logs']) f
		   WHERE f NOT IN (SELECT regexp_replace(field, '\[\d+\]', '', 'g') FROM inner_parsed WHERE field IS NOT NULL)), NULL,
		  'the inner cuts name every field of a transaction and of a receipt');
SELECT is(pg_temp.wes_state(), (SELECT s FROM empty_state), 'after every cut the empty chain is unchanged');

-- ---- Every header byte of block 11 flipped, on top of blocks 0..10 ----
SELECT is((SELECT count(wes_write_block(raw)) FROM (SELECT raw FROM vblocks WHERE height < 11 ORDER BY height) b),
		  11::bigint, 'blocks 0..10 are written');
CREATE TEMP TABLE before AS SELECT pg_temp.wes_state() AS s;
CREATE TEMP TABLE flip AS
SELECT off, mask, f AS block, pg_temp.try_block(f) AS result
FROM vblocks, generate_series(0, 155) off, unnest(ARRAY[1, 255]) mask,
	 LATERAL (SELECT set_byte(raw, off, get_byte(raw, off) # mask) AS f) x
WHERE height = 11;
CREATE TEMP TABLE region (field text, lo int, hi int, expected text);
INSERT INTO region
SELECT * FROM (VALUES
	('version', 0, 3, '^22P03: invalid block: header\.version at byte offset 0: unsupported version \d+$'),
	('height', 4, 11, '^WE001: block height \d+ (is already written|leaves a gap after the tip) DETAIL: The next block must have height 11\.$'),
	('prev_hash', 20, 51, '^WE002: prev_hash of block 11 is not the hash of the tip DETAIL: Expected '
						  || (SELECT hash FROM vblocks WHERE height = 10) || ', given [0-9a-f]{64}\.$'),
	('tx_root', 52, 83, '^WE003: tx_root of block 11 does not match its contents DETAIL: Expected '
						|| (SELECT tx_root FROM vblocks WHERE height = 11) || ', given [0-9a-f]{64}\.$'),
	('receipt_root', 84, 115, '^WE003: receipt_root of block 11 does not match its contents DETAIL: Expected '
							  || (SELECT receipt_root FROM vblocks WHERE height = 11) || ', given [0-9a-f]{64}\.$'),
	('state_root', 116, 147, '^WE003: state_root of block 11 does not match its contents DETAIL: Expected '
							 || (SELECT state_root FROM vblocks WHERE height = 11) || ', given [0-9a-f]{64}\.$'),
	('timestamp_ms', 12, 19, '^ok [0-9a-f]{64}$'),
	('nonce', 148, 155, '^ok [0-9a-f]{64}$')) r;

SELECT is((SELECT array_agg(f.off || '^' || f.mask || ' -> ' || f.result ORDER BY f.off, f.mask)
		   FROM flip f JOIN region r ON f.off BETWEEN r.lo AND r.hi
		   WHERE r.field = rr.field AND f.result !~ r.expected), NULL,
		  format('every flip of header.%s (bytes %s..%s) gives %s', rr.field, rr.lo, rr.hi,
				 CASE WHEN rr.expected LIKE '^ok%' THEN 'an accepted block (the field is not checked)'
					  ELSE substr(rr.expected, 2, 5) END))
FROM region rr ORDER BY rr.lo;
SELECT is((SELECT count(*) FROM flip f WHERE NOT EXISTS (SELECT 1 FROM region r WHERE f.off BETWEEN r.lo AND r.hi)),
		  0::bigint, 'the regions cover all 156 header bytes');
SELECT is((SELECT array_agg(off ORDER BY off) FROM flip
		   WHERE result LIKE 'ok %' AND substr(result, 4) <> wes_digest(substr(block, 1, 156))::text), NULL,
		  'an accepted flipped block returns H of its own header');
SELECT is((SELECT array_agg(off ORDER BY off) FROM flip
		   WHERE result LIKE 'WE002%' AND result !~ ('given ' || encode(substr(block, 21, 32), 'hex'))), NULL,
		  'WE002 names the prev_hash the block gives');
SELECT is(pg_temp.wes_state(), (SELECT s FROM before), 'the flips left the chain at height 10, unchanged');
SELECT is(wes_write_block((SELECT raw FROM vblocks WHERE height = 11))::text, (SELECT hash FROM vblocks WHERE height = 11),
		  'the unflipped block 11 is then accepted');

SELECT * FROM finish();
ROLLBACK;
