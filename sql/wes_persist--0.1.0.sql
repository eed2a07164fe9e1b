-- wes_persist: persistence layer of a WES-style EUTXO blockchain.
-- Version 0.1.0's install script, as released: kept unchanged, so that an update from
-- 0.1.0 (sql/wes_persist--0.1.0--*.sql) can be tested against a fresh install of the
-- current version (test/integration/upgrade.sh).  Do not edit it: change sql/NN_*.sql
-- and write the change into the next update script.

\echo Use "CREATE EXTENSION wes_persist" to load this file. \quit

CREATE SCHEMA wes;
COMMENT ON SCHEMA wes IS 'wes_persist internal tables: written only by the DataWriter functions, read through wes_api';
CREATE SCHEMA wes_api;
COMMENT ON SCHEMA wes_api IS 'WES QueryService: read-only views and functions over the chain (for psql, drivers, PostgREST and hot standbys)';

-- Roles are cluster-wide: create them only where missing
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wes_reader') THEN
		CREATE ROLE wes_reader NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wes_writer') THEN
		CREATE ROLE wes_writer NOLOGIN;
	END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Types: wes_hash (32 bytes), wes_address (20 bytes), wes_outpoint (36 bytes:
-- txid || u32 output index big-endian, so byte order is txid, then index).
-- The three are fixed-length byte strings ordered by their bytes and share
-- every rule, so their functions, operators and operator classes are made by
-- one template, run once per type.
-- ---------------------------------------------------------------------------

-- Planner support (src/planner_support.c) of ^@ on wes_hash and wes_address, of = on
-- wes_hash and of = on wes_outpoint
CREATE FUNCTION wes_planner_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_planner_support(internal) IS
	'planner support: lets a B-tree serve a hex prefix search (^@) as a range, wes_outpoint_txid(op) = h as a range of op, and wes_api.inputs WHERE outpoint = x';

DO $types$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT * FROM (VALUES
		('wes_hash', 32, 'a 32-byte hash (block hash, transaction id, content hash)',
		 '64 hex digits'),
		('wes_address', 20, 'a 20-byte address',
		 '40 hex digits'),
		('wes_outpoint', 36, 'an output reference: transaction id and u32 output index (sorts by txid bytes, then index)',
		 '<64 hex digits>:<index>'))
		AS v(name, len, what, form)
	LOOP
		-- %1$s type, %2$s length, %3$s what it is, %4$s text form (no quotes in them)
		EXECUTE format($tmpl$
CREATE TYPE %1$s;
CREATE FUNCTION %1$s_in(cstring) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_out(%1$s) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_recv(internal) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_send(%1$s) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE %1$s (
	INPUT = %1$s_in, OUTPUT = %1$s_out, RECEIVE = %1$s_recv, SEND = %1$s_send,
	INTERNALLENGTH = %2$s, ALIGNMENT = char, STORAGE = plain
);
COMMENT ON TYPE %1$s IS '%3$s, written %4$s';
COMMENT ON FUNCTION %1$s_in(cstring) IS 'text input of %1$s: %4$s, upper case and a 0x or \x prefix accepted';
COMMENT ON FUNCTION %1$s_out(%1$s) IS 'text output of %1$s: %4$s, lower case';
COMMENT ON FUNCTION %1$s_recv(internal) IS 'binary input of %1$s: exactly %2$s bytes';
COMMENT ON FUNCTION %1$s_send(%1$s) IS 'binary output of %1$s: its %2$s bytes';

CREATE FUNCTION %1$s_to_bytea(%1$s) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_from_bytea(bytea) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (%1$s AS bytea) WITH FUNCTION %1$s_to_bytea(%1$s) AS ASSIGNMENT;
CREATE CAST (bytea AS %1$s) WITH FUNCTION %1$s_from_bytea(bytea) AS ASSIGNMENT;
COMMENT ON FUNCTION %1$s_to_bytea(%1$s) IS 'the %2$s bytes of a %1$s';
COMMENT ON FUNCTION %1$s_from_bytea(bytea) IS 'a %1$s from exactly %2$s bytes (another length is an error)';
COMMENT ON CAST (%1$s AS bytea) IS 'the %2$s bytes of a %1$s';
COMMENT ON CAST (bytea AS %1$s) IS 'a %1$s from exactly %2$s bytes (another length is an error)';

CREATE FUNCTION %1$s_lt(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_le(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_eq(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_ne(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_ge(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_gt(%1$s, %1$s) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_cmp(%1$s, %1$s) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_hash(%1$s) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION %1$s_hash_extended(%1$s, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION %1$s_lt(%1$s, %1$s) IS 'implementation of < for %1$s';
COMMENT ON FUNCTION %1$s_le(%1$s, %1$s) IS 'implementation of <= for %1$s';
COMMENT ON FUNCTION %1$s_eq(%1$s, %1$s) IS 'implementation of = for %1$s';
COMMENT ON FUNCTION %1$s_ne(%1$s, %1$s) IS 'implementation of <> for %1$s';
COMMENT ON FUNCTION %1$s_ge(%1$s, %1$s) IS 'implementation of >= for %1$s';
COMMENT ON FUNCTION %1$s_gt(%1$s, %1$s) IS 'implementation of > for %1$s';
COMMENT ON FUNCTION %1$s_cmp(%1$s, %1$s) IS 'B-tree comparison of %1$s (byte order): -1, 0 or 1';
COMMENT ON FUNCTION %1$s_sortsupport(internal) IS 'B-tree sort support of %1$s (abbreviated keys: the first 8 bytes)';
COMMENT ON FUNCTION %1$s_hash(%1$s) IS 'hash of a %1$s for hash indexes, hash joins and hash aggregation';
COMMENT ON FUNCTION %1$s_hash_extended(%1$s, bigint) IS 'seeded 64-bit hash of a %1$s (hash partitioning)';

CREATE OPERATOR < (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR = (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR > (
	LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = %1$s_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR < (%1$s, %1$s) IS 'less than (byte order)';
COMMENT ON OPERATOR <= (%1$s, %1$s) IS 'less than or equal (byte order)';
COMMENT ON OPERATOR = (%1$s, %1$s) IS 'equal';
COMMENT ON OPERATOR <> (%1$s, %1$s) IS 'not equal';
COMMENT ON OPERATOR >= (%1$s, %1$s) IS 'greater than or equal (byte order)';
COMMENT ON OPERATOR > (%1$s, %1$s) IS 'greater than (byte order)';

CREATE OPERATOR CLASS %1$s_ops DEFAULT FOR TYPE %1$s USING btree AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
	FUNCTION 1 %1$s_cmp(%1$s, %1$s),
	FUNCTION 2 %1$s_sortsupport(internal),
	FUNCTION 4 btequalimage(oid);
CREATE OPERATOR CLASS %1$s_ops DEFAULT FOR TYPE %1$s USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 %1$s_hash(%1$s),
	FUNCTION 2 %1$s_hash_extended(%1$s, bigint);
COMMENT ON OPERATOR FAMILY %1$s_ops USING btree IS 'B-tree operators of %1$s';
COMMENT ON OPERATOR CLASS %1$s_ops USING btree IS 'B-tree operator class of %1$s (byte order; deduplication allowed)';
COMMENT ON OPERATOR FAMILY %1$s_ops USING hash IS 'hash operators of %1$s';
COMMENT ON OPERATOR CLASS %1$s_ops USING hash IS 'hash operator class of %1$s';

CREATE FUNCTION %1$s_gist_consistent(internal, %1$s, smallint, oid, internal) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_union(internal, internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_compress(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_fetch(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_penalty(internal, internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_picksplit(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_same(bytea, bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_gist_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_gist_consistent(internal, %1$s, smallint, oid, internal) IS 'GiST support of %1$s: can a subtree hold a match';
COMMENT ON FUNCTION %1$s_gist_union(internal, internal) IS 'GiST support of %1$s: the {lower, upper} key covering some keys';
COMMENT ON FUNCTION %1$s_gist_compress(internal) IS 'GiST support of %1$s: a value as a key';
COMMENT ON FUNCTION %1$s_gist_fetch(internal) IS 'GiST support of %1$s: the value of a leaf key (index-only scans)';
COMMENT ON FUNCTION %1$s_gist_penalty(internal, internal, internal) IS 'GiST support of %1$s: how much a key grows to take another';
COMMENT ON FUNCTION %1$s_gist_picksplit(internal, internal) IS 'GiST support of %1$s: split a page at the median';
COMMENT ON FUNCTION %1$s_gist_same(bytea, bytea, internal) IS 'GiST support of %1$s: are two keys equal';
COMMENT ON FUNCTION %1$s_gist_sortsupport(internal) IS 'GiST support of %1$s: sort values so that CREATE INDEX packs the leaves in order';
CREATE OPERATOR CLASS %1$s_ops DEFAULT FOR TYPE %1$s USING gist AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, OPERATOR 6 <>,
	FUNCTION 1 %1$s_gist_consistent(internal, %1$s, smallint, oid, internal),
	FUNCTION 2 %1$s_gist_union(internal, internal),
	FUNCTION 3 %1$s_gist_compress(internal),
	FUNCTION 5 %1$s_gist_penalty(internal, internal, internal),
	FUNCTION 6 %1$s_gist_picksplit(internal, internal),
	FUNCTION 7 %1$s_gist_same(bytea, bytea, internal),
	FUNCTION 9 %1$s_gist_fetch(internal),
	FUNCTION 11 %1$s_gist_sortsupport(internal),
	STORAGE bytea;
COMMENT ON OPERATOR FAMILY %1$s_ops USING gist IS 'GiST operators of %1$s';
COMMENT ON OPERATOR CLASS %1$s_ops USING gist IS 'GiST operator class of %1$s: equality and order, in multicolumn indexes beside ranges and in exclusion constraints';
$tmpl$, t.name, t.len, t.what, t.form);
	END LOOP;

	-- Hex prefix search on the types that are plain hex: %1$s type, %2$s hex digits
	FOR t IN SELECT * FROM (VALUES ('wes_hash', 64), ('wes_address', 40)) AS v(name, digits)
	LOOP
		EXECUTE format($tmpl$
CREATE FUNCTION %1$s_starts_with(%1$s, text) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE SUPPORT wes_planner_support;
CREATE OPERATOR ^@ (
	LEFTARG = %1$s, RIGHTARG = text, FUNCTION = %1$s_starts_with,
	RESTRICT = matchingsel, JOIN = matchingjoinsel
);
CREATE FUNCTION %1$s_prefix_lower(text) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION %1$s_prefix_upper(text) RETURNS %1$s
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION %1$s_starts_with(%1$s, text) IS
	'does the %1$s start with these hex digits (up to %2$s, any case, optional 0x or \x)? served by B-tree and GiST indexes';
COMMENT ON OPERATOR ^@ (%1$s, text) IS
	'starts with these hex digits (up to %2$s, any case, optional 0x or \x); served by B-tree and GiST indexes';
ALTER OPERATOR FAMILY %1$s_ops USING gist ADD OPERATOR 28 ^@ (%1$s, text);
COMMENT ON FUNCTION %1$s_prefix_lower(text) IS
	'the smallest %1$s that starts with these hex digits: h ^@ p is h BETWEEN %1$s_prefix_lower(p) AND %1$s_prefix_upper(p)';
COMMENT ON FUNCTION %1$s_prefix_upper(text) IS
	'the largest %1$s that starts with these hex digits: h ^@ p is h BETWEEN %1$s_prefix_lower(p) AND %1$s_prefix_upper(p)';
$tmpl$, t.name, t.digits);
	END LOOP;
END
$types$;

-- The outpoint's parts
CREATE FUNCTION wes_outpoint(txid wes_hash, index integer) RETURNS wes_outpoint
	AS 'MODULE_PATHNAME', 'wes_outpoint_make_int4' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wes_outpoint(txid wes_hash, index bigint) RETURNS wes_outpoint
	AS 'MODULE_PATHNAME', 'wes_outpoint_make_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wes_outpoint_txid(op wes_outpoint) RETURNS wes_hash
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION wes_outpoint_index(op wes_outpoint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_outpoint(wes_hash, integer) IS 'the outpoint of output index of transaction txid (index 0 and up)';
COMMENT ON FUNCTION wes_outpoint(wes_hash, bigint) IS 'the outpoint of output index of transaction txid (index 0 to 4294967295)';
COMMENT ON FUNCTION wes_outpoint_txid(wes_outpoint) IS 'the transaction id of an outpoint';
COMMENT ON FUNCTION wes_outpoint_index(wes_outpoint) IS 'the output index of an outpoint (a u32, hence bigint)';

-- wes_outpoint_txid(op) = h, with h constant in the query, is simplified to a range of
-- outpoints, so that the outputs of a transaction (wes_api.outputs WHERE txid = h) are
-- one range of outputs_pkey rather than a scan of every output
ALTER FUNCTION wes_hash_eq(wes_hash, wes_hash) SUPPORT wes_planner_support;
-- ---------------------------------------------------------------------------
-- Schema wes: the tables.  History is insert-only (blocks, transactions,
-- inputs, receipts), except that an output gets its spend mark (spent_by,
-- spent_height) when a later block spends it: the current UTXO set is the
-- outputs without a spend mark.  The journal holds, per block, the outpoints
-- the block added to and removed from the UTXO set.
-- u64 header/receipt fields are kept as bigint bit patterns; wes.u64() reads them.
-- ---------------------------------------------------------------------------

-- One row: the tip and the state commitment after it
CREATE TABLE wes.chain_state (
	id           boolean PRIMARY KEY DEFAULT true CHECK (id),
	height       bigint,                       -- NULL on an empty chain
	hash         wes_hash,                     -- tip block hash
	state_root   wes_hash NOT NULL,            -- H(accumulator)
	accumulator  bytea NOT NULL CHECK (length(accumulator) = 2048),
	base_height  bigint NOT NULL DEFAULT 0,    -- first height this database accepts (snapshot import)
	utxo_count   bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE wes.chain_state IS 'the chain tip and the LtHash accumulator of the UTXO set after it (one row)';
INSERT INTO wes.chain_state (state_root, accumulator)
VALUES ('200823e5158b3774c11b5c61850ada762f8264144a9bebec3ebac5a2adde67b8', decode(repeat('00', 2048), 'hex'));

CREATE TABLE wes.blocks (
	height       bigint PRIMARY KEY,
	hash         wes_hash NOT NULL UNIQUE,
	prev_hash    wes_hash NOT NULL,
	tx_root      wes_hash NOT NULL,
	receipt_root wes_hash NOT NULL,
	state_root   wes_hash NOT NULL,
	timestamp_ms bigint NOT NULL,               -- u64 bit pattern
	nonce        bigint NOT NULL,               -- u64 bit pattern
	tx_count     integer NOT NULL,
	size         integer NOT NULL,
	header       bytea NOT NULL                 -- the 156 raw header bytes
);
-- A block's child by its hash (one entry per block: nothing against a block's thousands of rows)
CREATE INDEX blocks_prev_hash_idx ON wes.blocks (prev_hash);
COMMENT ON TABLE wes.blocks IS 'one row per block, with its raw header';

CREATE TABLE wes.transactions (
	txid         wes_hash PRIMARY KEY,
	block_height bigint NOT NULL,
	tx_index     integer NOT NULL,
	input_count  integer NOT NULL,
	output_count integer NOT NULL,
	raw          bytea NOT NULL,                -- exact encoding: roots and indexes can be rebuilt from it
	-- its receipt, in the same row: one per transaction, written and undone with it
	status       smallint NOT NULL,             -- 0 success, 1 failure
	fee          bigint NOT NULL,               -- u64 bit pattern
	receipt      bytea NOT NULL                 -- the receipt's exact encoding
);
CREATE UNIQUE INDEX transactions_block_idx ON wes.transactions (block_height, tx_index);
COMMENT ON TABLE wes.transactions IS 'one row per transaction, with its raw bytes and its receipt';
COMMENT ON COLUMN wes.transactions.receipt IS 'the exact encoding of the transaction''s receipt (status and fee are decoded from it)';

-- Every output ever created, with its spend mark once spent.  The mark is the only
-- change a row ever sees; no index covers it, and the pages keep half their room
-- (fillfactor 50) so that marking stays a heap-only (HOT) update: no index entry.
CREATE TABLE wes.outputs (
	outpoint     wes_outpoint PRIMARY KEY,
	height       bigint NOT NULL,               -- created at
	kind         smallint NOT NULL,             -- 0 asset, 1 resource, 2 state
	owner        wes_address NOT NULL,
	amount       bigint NOT NULL,
	ref          wes_hash NOT NULL,
	lock         bytea NOT NULL,
	data         bytea NOT NULL,
	spent_by     wes_hash,                      -- the spending transaction; NULL while unspent
	spent_height bigint,                        -- its block's height; NULL while unspent
	CONSTRAINT outputs_spend_mark CHECK ((spent_by IS NULL) = (spent_height IS NULL))
) WITH (fillfactor = 50);
CREATE INDEX outputs_owner_idx ON wes.outputs (owner, height);
CREATE INDEX outputs_resource_idx ON wes.outputs (ref) WHERE kind = 1;
CREATE INDEX outputs_height_brin ON wes.outputs USING brin (height);
COMMENT ON TABLE wes.outputs IS 'every output ever created; spent_by and spent_height are set when a block spends it (the UTXO set is the rows where they are NULL)';
COMMENT ON COLUMN wes.outputs.spent_by IS 'txid of the spending transaction; NULL while unspent';
COMMENT ON COLUMN wes.outputs.spent_height IS 'height of the spending block; NULL while unspent';

-- Every input ever written (insert-only).  A spend input's outpoint carries the
-- matching spend mark in wes.outputs.
CREATE TABLE wes.inputs (
	txid         wes_hash NOT NULL,
	input_index  integer NOT NULL,
	outpoint     wes_outpoint NOT NULL,
	reference    boolean NOT NULL,
	height       bigint NOT NULL,               -- height of the spending block
	tx_index     integer NOT NULL,              -- its transaction's position in that block
	unlock       bytea NOT NULL,
	-- keyed by position, not by txid: a block's inputs go in at the right edge of the
	-- index instead of at random pages (readers by txid go through wes.transactions)
	PRIMARY KEY (height, tx_index, input_index)
);
CREATE INDEX inputs_reference_idx ON wes.inputs (outpoint) WHERE reference;
COMMENT ON TABLE wes.inputs IS 'every input (insert-only); the output a spend input names carries its spend mark';

-- Resource content, addressed by SHA-256; EXTERNAL storage so substring() reads only the chunks it needs
CREATE TABLE wes.resource_content (
	content_hash wes_hash PRIMARY KEY,
	content      bytea NOT NULL,
	media_type   text,
	size         bigint NOT NULL,
	stored_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE wes.resource_content ALTER COLUMN content SET STORAGE EXTERNAL;
COMMENT ON TABLE wes.resource_content IS 'resource content by SHA-256 (WASM, ONNX, files)';

-- Incremental snapshots: per block, the outpoints it added to and removed from the UTXO set
CREATE TABLE wes.journal (
	height       bigint PRIMARY KEY,
	created      wes_outpoint[] NOT NULL,       -- added (created and not spent inside the block)
	spent        wes_outpoint[] NOT NULL        -- removed (existed before the block)
);
COMMENT ON TABLE wes.journal IS 'per-block UTXO changes: drives rollback and incremental snapshots';

-- Full snapshots: the state at a height (the UTXO set itself is derivable from history)
CREATE TABLE wes.snapshots (
	height       bigint PRIMARY KEY,
	block_hash   wes_hash NOT NULL,
	state_root   wes_hash NOT NULL,
	utxo_count   bigint NOT NULL,
	accumulator  bytea NOT NULL,
	automatic    boolean NOT NULL DEFAULT false,
	created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE wes.snapshots IS 'full snapshots: height, block hash, state root, UTXO count and accumulator';

-- A restore of a dump (pg_restore, or psql of a plain one) creates the extension, whose
-- script has just inserted the empty-chain row above, and then loads the dumped row: that
-- row replaces the one there, where a second row would break the primary key and leave
-- the restored chain with an empty tip.  The initial copy of a logical subscription to
-- wes_publication does the same, hence ENABLE ALWAYS: it fires in replication workers too.
-- Any INSERT by the owner does the same; the writer, rollback and snapshot import only
-- ever UPDATE the row.
CREATE FUNCTION wes.chain_state_replace() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	UPDATE wes.chain_state
	SET height = NEW.height, hash = NEW.hash, state_root = NEW.state_root,
		accumulator = NEW.accumulator, base_height = NEW.base_height, utxo_count = NEW.utxo_count;
	IF FOUND THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION wes.chain_state_replace() FROM PUBLIC;
COMMENT ON FUNCTION wes.chain_state_replace() IS 'trigger of wes.chain_state: an INSERT (as a restore of a dump makes) replaces the one row instead of adding a second';
CREATE TRIGGER chain_state_replace BEFORE INSERT ON wes.chain_state
FOR EACH ROW EXECUTE FUNCTION wes.chain_state_replace();
ALTER TABLE wes.chain_state ENABLE ALWAYS TRIGGER chain_state_replace;

-- pg_dump must carry the data of every table
SELECT pg_catalog.pg_extension_config_dump('wes.chain_state', '');
SELECT pg_catalog.pg_extension_config_dump('wes.blocks', '');
SELECT pg_catalog.pg_extension_config_dump('wes.transactions', '');
SELECT pg_catalog.pg_extension_config_dump('wes.outputs', '');
SELECT pg_catalog.pg_extension_config_dump('wes.inputs', '');
SELECT pg_catalog.pg_extension_config_dump('wes.resource_content', '');
SELECT pg_catalog.pg_extension_config_dump('wes.journal', '');
SELECT pg_catalog.pg_extension_config_dump('wes.snapshots', '');

-- u64 fields are stored as bigint bit patterns
CREATE FUNCTION wes.u64(v bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN v < 0 THEN v::numeric + 18446744073709551616 ELSE v::numeric END;
COMMENT ON FUNCTION wes.u64(bigint) IS 'the unsigned value of a u64 stored as a bigint bit pattern';

REVOKE ALL ON ALL TABLES IN SCHEMA wes FROM PUBLIC;
REVOKE ALL ON SCHEMA wes FROM PUBLIC;
-- ---------------------------------------------------------------------------
-- Storage settings for ingest.  The journal's outpoint arrays and the
-- accumulator are random bytes: stored out of line without trying to
-- compress them.  Spend marks leave one dead row version per spent output:
-- page pruning reclaims most of them as blocks read the pages, and wes.outputs
-- is vacuumed after every 50k of them so that the visibility map keeps up.
-- ---------------------------------------------------------------------------
ALTER TABLE wes.journal ALTER COLUMN created SET STORAGE EXTERNAL;
ALTER TABLE wes.journal ALTER COLUMN spent SET STORAGE EXTERNAL;
ALTER TABLE wes.chain_state ALTER COLUMN accumulator SET STORAGE EXTERNAL;
ALTER TABLE wes.outputs SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 50000);
-- ---------------------------------------------------------------------------
-- The DataWriter: the only functions that write the chain.  SECURITY DEFINER
-- with search_path pinned; executable by wes_writer only.  Each runs inside
-- the caller's transaction and never commits: an ERROR undoes the whole call.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes_write_block(block bytea) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_write_block'
	LANGUAGE C STRICT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_block(bytea) IS
	'validate one block in wire format (every rule, in order) and write everything it implies; returns its hash. '
	'SQLSTATEs: 22P03 does not decode, WE001 height out of order, WE002 prev_hash, WE003 a root, WE004 an input, WE005 a txid. '
	'A second writer of the same height waits for the first, then fails with WE001 (40001 under REPEATABLE READ or SERIALIZABLE)';

CREATE FUNCTION wes_write_blocks(blocks bytea[]) RETURNS bigint
	AS 'MODULE_PATHNAME', 'wes_write_blocks'
	LANGUAGE C STRICT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_blocks(bytea[]) IS
	'write a run of consecutive blocks in array order, each as wes_write_block does; returns how many. '
	'The first rejected block aborts the call (its error says which array element). '
	'An output that a later block of the run spends is written once, with its spend mark, which makes a run '
	'cheaper than its blocks one call each';

CREATE FUNCTION wes_write_resource(content bytea, media_type text DEFAULT NULL) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_write_resource'
	LANGUAGE C CALLED ON NULL INPUT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_resource(bytea, text) IS
	'store resource content under its SHA-256 and return it; idempotent (a later media_type fills a missing one, never replaces one); '
	'stored bytes that are not the content (changed by hand, as wes_verify reports) are put back';

REVOKE EXECUTE ON FUNCTION wes_write_block(bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_write_blocks(bytea[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_write_resource(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_write_block(bytea) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_write_blocks(bytea[]) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_write_resource(bytea, text) TO wes_writer;
-- ---------------------------------------------------------------------------
-- The wire format's hash H (BLAKE2b-256) for clients: ids of transactions,
-- receipts and blocks computed from their bytes, without writing anything.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes_digest(data bytea) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_digest'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_digest(bytea) IS
	'H(data), the BLAKE2b-256 of the wire format: the txid of a transaction''s bytes, the hash of a receipt''s';

CREATE FUNCTION wes_block_hash(block bytea) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_block_hash'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_block_hash(bytea) IS
	'the hash of a block in wire format: H of its first 156 bytes (the header); 22P03 when shorter. Checks nothing else';
-- ---------------------------------------------------------------------------
-- The JSON form of a block (docs/json-form.md): conversions both ways, exact
-- (wes_block_from_jsonb(wes_block_to_jsonb(b)) = b for every valid block), and
-- wes_write_block(jsonb), which writes the block its form describes exactly as
-- wes_write_block(bytea) writes the bytes.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes_block_to_jsonb(block bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'wes_block_to_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_block_to_jsonb(bytea) IS
	'the JSON form of a block in wire format (docs/json-form.md): every field, hashes and bytes as lower-case hex, '
	'integers as exact JSON numbers, kinds, resource types and statuses by name; 22P03 when the bytes do not decode';

CREATE FUNCTION wes_block_from_jsonb(block jsonb) RETURNS bytea
	AS 'MODULE_PATHNAME', 'wes_block_from_jsonb'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_block_from_jsonb(jsonb) IS
	'the canonical bytes of the block a JSON form describes (the exact inverse of wes_block_to_jsonb); '
	'22023 naming the JSON path (e.g. $.transactions[3].outputs[0].amount) when it does not describe a block';

CREATE FUNCTION wes_write_block(block jsonb) RETURNS wes_hash
	AS 'MODULE_PATHNAME', 'wes_write_block_jsonb'
	LANGUAGE C STRICT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_write_block(jsonb) IS
	'validate and write one block given in JSON form (docs/json-form.md), as wes_write_block(bytea) does with its bytes; returns its hash. '
	'SQLSTATEs: 22023 the JSON does not describe a block (the message names the JSON path), then those of wes_write_block(bytea)';

REVOKE EXECUTE ON FUNCTION wes_write_block(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_write_block(jsonb) TO wes_writer;
-- ---------------------------------------------------------------------------
-- The QueryService: views and functions over the tables of schema wes.
--
-- Readers never touch wes.*: the views of wes_api run with their owner's
-- rights (they are not security_invoker), and every read function is plain SQL
-- over those views or, for the batched outpoint lookup, C that only wes_reader
-- may execute, so a role needs only wes_reader.  SQL bodies are parsed at
-- creation (BEGIN ATOMIC / RETURN), which pins the objects they use whatever
-- the caller's search_path, and set-returning ones are inlined by the planner,
-- so a lookup through a function is planned as the same index scans as the
-- query written by hand.  Nothing here writes: everything runs on a hot standby.
-- ---------------------------------------------------------------------------

GRANT USAGE ON SCHEMA wes_api TO wes_reader;

-- ---- views ----------------------------------------------------------------

-- In C, not a SQL CASE: inlined, CASE compiles to three comparisons, each a function
-- whose EXECUTE privilege every executor start checks again; one C call costs
-- 0.3-0.5 us less, of about 31 us for a single wes_utxo_lookup (docs/storage.md)
CREATE FUNCTION wes.kind_name(kind smallint) RETURNS text
AS 'MODULE_PATHNAME', 'wes_kind_name_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.kind_name(smallint) IS 'the name of an output kind as the wire format''s JSON form spells it; NULL for a value that is no kind';

CREATE VIEW wes_api.tip AS
SELECT s.height, s.hash, s.state_root, s.utxo_count, s.base_height
FROM wes.chain_state s
WHERE s.height IS NOT NULL;
COMMENT ON VIEW wes_api.tip IS 'the chain tip: height, block hash, state root (LtHash of the UTXO set) and UTXO count; no row on an empty chain';
COMMENT ON COLUMN wes_api.tip.height IS 'height of the tip block';
COMMENT ON COLUMN wes_api.tip.hash IS 'hash of the tip block';
COMMENT ON COLUMN wes_api.tip.utxo_count IS 'number of unspent outputs';
COMMENT ON COLUMN wes_api.tip.state_root IS 'commitment to the UTXO set after the tip block (equals the tip header''s state_root)';
COMMENT ON COLUMN wes_api.tip.base_height IS 'first height this database holds (above 0 when it started from a snapshot)';

CREATE VIEW wes_api.blocks AS
SELECT b.height, b.hash, b.prev_hash, b.tx_root, b.receipt_root, b.state_root,
	   -- timestamp_ms is an unchecked u64: out of timestamptz range reads as NULL, never as an error
	   CASE WHEN b.timestamp_ms BETWEEN 0 AND 9224318015999999
			THEN timestamptz 'epoch' + b.timestamp_ms * interval '1 millisecond' END AS "timestamp",
	   wes.u64(b.timestamp_ms) AS timestamp_ms,
	   wes.u64(b.nonce) AS nonce,
	   b.tx_count, b.size
FROM wes.blocks b;
COMMENT ON VIEW wes_api.blocks IS 'one row per block; look up by height, hash or prev_hash (a block''s child)';
COMMENT ON COLUMN wes_api.blocks.height IS 'block height (genesis is 0)';
COMMENT ON COLUMN wes_api.blocks.hash IS 'block hash: BLAKE2b-256 of the 156-byte header';
COMMENT ON COLUMN wes_api.blocks.prev_hash IS 'hash of the block at height - 1 (all zero for genesis)';
COMMENT ON COLUMN wes_api.blocks.tx_root IS 'RFC 6962 Merkle root over the transaction ids (see wes_api.tx_proof)';
COMMENT ON COLUMN wes_api.blocks.receipt_root IS 'RFC 6962 Merkle root over the receipt hashes';
COMMENT ON COLUMN wes_api.blocks.state_root IS 'LtHash commitment of the UTXO set after this block';
COMMENT ON COLUMN wes_api.blocks."timestamp" IS 'block time from the header (NULL when the header''s value is outside timestamptz range)';
COMMENT ON COLUMN wes_api.blocks.timestamp_ms IS 'the header''s timestamp: milliseconds since the Unix epoch (u64)';
COMMENT ON COLUMN wes_api.blocks.nonce IS 'the header''s nonce (u64)';
COMMENT ON COLUMN wes_api.blocks.tx_count IS 'number of transactions';
COMMENT ON COLUMN wes_api.blocks.size IS 'size of the encoded block in bytes';

CREATE VIEW wes_api.transactions AS
SELECT t.txid, t.block_height, b.hash AS block_hash, t.tx_index,
	   t.input_count, t.output_count, octet_length(t.raw) AS size
FROM wes.transactions t
JOIN wes.blocks b ON b.height = t.block_height;
COMMENT ON VIEW wes_api.transactions IS 'one row per transaction; look up by txid, or by block_height (and tx_index) or block_hash in block order';
COMMENT ON COLUMN wes_api.transactions.txid IS 'transaction id: BLAKE2b-256 of the transaction encoding';
COMMENT ON COLUMN wes_api.transactions.block_height IS 'height of the block that holds it';
COMMENT ON COLUMN wes_api.transactions.block_hash IS 'hash of the block that holds it';
COMMENT ON COLUMN wes_api.transactions.tx_index IS 'position in the block, from 0';
COMMENT ON COLUMN wes_api.transactions.input_count IS 'number of inputs, spends and references (see wes_api.inputs)';
COMMENT ON COLUMN wes_api.transactions.output_count IS 'number of outputs (see wes_api.outputs)';
COMMENT ON COLUMN wes_api.transactions.size IS 'size of the transaction encoding in bytes';

-- The view's outpoint is wes.input_outpoint(outpoint, height, tx_index, reference), which
-- returns outpoint, so that the planner support of = on wes_outpoint can find an input by
-- its outpoint through an index (src/planner_support.c): wes.inputs has no index of the
-- outpoints that spends name, which would cost every block a random index insert per
-- input, 20-40% more of the writer's CPU when measured (docs/storage.md).  WHERE outpoint
-- = x becomes also reference OR (height = wes.spend_height(x) AND tx_index =
-- wes.spend_tx_index(x)): the references through inputs_reference_idx, the spend at the
-- place its output's mark gives through inputs_pkey.  The two functions are called from
-- the reader's query, not from inside a view, so they are SECURITY DEFINER: they read
-- wes.* with their owner's rights, as the views do, and only wes_reader may call them.
CREATE FUNCTION wes.input_outpoint(outpoint wes_outpoint, height bigint, tx_index integer, reference boolean)
RETURNS wes_outpoint
AS 'MODULE_PATHNAME', 'wes_input_outpoint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.input_outpoint(wes_outpoint, bigint, integer, boolean) IS 'its first argument: the outpoint column of wes_api.inputs, which the planner support of = on wes_outpoint recognises (wes_planner_support)';

CREATE FUNCTION wes.spend_height(op wes_outpoint) RETURNS bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT o.spent_height FROM wes.outputs o WHERE o.outpoint = spend_height.op;
END;
COMMENT ON FUNCTION wes.spend_height(wes_outpoint) IS 'the height of the block that spent op (NULL while unspent)';

CREATE FUNCTION wes.spend_tx_index(op wes_outpoint) RETURNS integer
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT t.tx_index FROM wes.outputs o JOIN wes.transactions t ON t.txid = o.spent_by
	WHERE o.outpoint = spend_tx_index.op;
END;
COMMENT ON FUNCTION wes.spend_tx_index(wes_outpoint) IS 'the position in its block of the transaction that spent op (NULL while unspent)';
REVOKE ALL ON FUNCTION wes.spend_height(wes_outpoint), wes.spend_tx_index(wes_outpoint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes.spend_height(wes_outpoint), wes.spend_tx_index(wes_outpoint) TO wes_reader;

ALTER FUNCTION wes_outpoint_eq(wes_outpoint, wes_outpoint) SUPPORT wes_planner_support;

CREATE VIEW wes_api.inputs AS
SELECT t.txid, i.input_index, wes.input_outpoint(i.outpoint, i.height, i.tx_index, i.reference) AS outpoint, i.reference,
	   i.height AS block_height, i.unlock
FROM wes.transactions t
JOIN wes.inputs i ON i.height = t.block_height AND i.tx_index = t.tx_index;
COMMENT ON VIEW wes_api.inputs IS 'every input: a spend consumes its outpoint, a reference only reads it; look up by txid or outpoint';
COMMENT ON COLUMN wes_api.inputs.txid IS 'the transaction this input belongs to';
COMMENT ON COLUMN wes_api.inputs.input_index IS 'position among the transaction''s inputs, from 0';
COMMENT ON COLUMN wes_api.inputs.outpoint IS 'the output it names (<txid>:<index>)';
COMMENT ON COLUMN wes_api.inputs.reference IS 'true: read without consuming; false: a spend';
COMMENT ON COLUMN wes_api.inputs.block_height IS 'height of the block that holds the input''s transaction';
COMMENT ON COLUMN wes_api.inputs.unlock IS 'unlocking data (signature, witness), opaque';

-- An output row carries its spend mark
CREATE VIEW wes_api.outputs AS
SELECT o.outpoint,
	   wes_outpoint_txid(o.outpoint) AS txid,
	   wes_outpoint_index(o.outpoint) AS output_index,
	   wes.kind_name(o.kind) AS kind,
	   o.owner, o.amount, o.ref, o.lock, o.data,
	   o.height AS created_height,
	   o.spent_by,
	   o.spent_height
FROM wes.outputs o;
COMMENT ON VIEW wes_api.outputs IS 'every output ever created, with its spend when spent; look up by outpoint, txid or owner';
COMMENT ON COLUMN wes_api.outputs.outpoint IS 'the output''s id: <txid>:<output_index>';
COMMENT ON COLUMN wes_api.outputs.txid IS 'the transaction that created it';
COMMENT ON COLUMN wes_api.outputs.output_index IS 'position among that transaction''s outputs, from 0';
COMMENT ON COLUMN wes_api.outputs.kind IS 'asset, resource or state';
COMMENT ON COLUMN wes_api.outputs.owner IS 'owner address (20 bytes)';
COMMENT ON COLUMN wes_api.outputs.amount IS 'amount of the asset ref (0 .. 2^63-1)';
COMMENT ON COLUMN wes_api.outputs.ref IS 'asset: asset id (all zero = native coin); resource: SHA-256 of the content; state: state id';
COMMENT ON COLUMN wes_api.outputs.lock IS 'locking conditions, opaque';
COMMENT ON COLUMN wes_api.outputs.data IS 'asset: empty; state: the state record; resource: encoded metadata (see wes_api.resources)';
COMMENT ON COLUMN wes_api.outputs.created_height IS 'height of the block that created it';
COMMENT ON COLUMN wes_api.outputs.spent_by IS 'txid of the transaction that spent it; NULL while unspent';
COMMENT ON COLUMN wes_api.outputs.spent_height IS 'height of the block that spent it; NULL while unspent';

-- The current set: the outputs without a spend mark
CREATE VIEW wes_api.utxos AS
SELECT o.outpoint, wes_outpoint_txid(o.outpoint) AS txid, wes_outpoint_index(o.outpoint) AS output_index,
	   wes.kind_name(o.kind) AS kind, o.owner, o.amount, o.ref, o.lock, o.data, o.height AS created_height,
	   NULL::wes_hash AS spent_by, NULL::bigint AS spent_height
FROM wes.outputs o
WHERE o.spent_height IS NULL;
COMMENT ON VIEW wes_api.utxos IS 'the unspent rows of wes_api.outputs (the current UTXO set); look up by outpoint, txid or owner';
COMMENT ON COLUMN wes_api.utxos.outpoint IS 'the output''s id: <txid>:<output_index>';
COMMENT ON COLUMN wes_api.utxos.txid IS 'the transaction that created it';
COMMENT ON COLUMN wes_api.utxos.spent_by IS 'always NULL (same columns as wes_api.outputs)';
COMMENT ON COLUMN wes_api.utxos.spent_height IS 'always NULL (same columns as wes_api.outputs)';
COMMENT ON COLUMN wes_api.utxos.owner IS 'owner address (20 bytes)';
COMMENT ON COLUMN wes_api.utxos.ref IS 'asset: asset id (all zero = native coin); resource: SHA-256 of the content; state: state id';
COMMENT ON COLUMN wes_api.utxos.created_height IS 'height of the block that created it';
COMMENT ON COLUMN wes_api.utxos.output_index IS 'position among that transaction''s outputs, from 0';
COMMENT ON COLUMN wes_api.utxos.kind IS 'asset, resource or state';
COMMENT ON COLUMN wes_api.utxos.amount IS 'amount of the asset ref (0 .. 2^63-1)';
COMMENT ON COLUMN wes_api.utxos.lock IS 'locking conditions, opaque';
COMMENT ON COLUMN wes_api.utxos.data IS 'asset: empty; state: the state record; resource: encoded metadata (see wes_api.resources)';

CREATE VIEW wes_api.address_balances AS
SELECT o.owner, o.ref AS asset, sum(o.amount) AS balance, count(*) AS utxo_count
FROM wes.outputs o
WHERE o.kind = 0 AND o.spent_height IS NULL
GROUP BY o.owner, o.ref;
COMMENT ON VIEW wes_api.address_balances IS 'current balance of every address in every asset (unspent asset outputs only); look up by owner';
COMMENT ON COLUMN wes_api.address_balances.owner IS 'owner address';
COMMENT ON COLUMN wes_api.address_balances.asset IS 'asset id (all zero = native coin)';
COMMENT ON COLUMN wes_api.address_balances.balance IS 'sum of the unspent amounts';
COMMENT ON COLUMN wes_api.address_balances.utxo_count IS 'number of unspent outputs summed';

GRANT SELECT ON wes_api.tip, wes_api.blocks, wes_api.transactions, wes_api.inputs,
	wes_api.outputs, wes_api.utxos, wes_api.address_balances TO wes_reader;

-- ---- point lookups (wes_api names for PostgREST; the sql-api.md names below) ----

CREATE FUNCTION wes_api.chain_tip()
RETURNS TABLE (height bigint, hash wes_hash, state_root wes_hash)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.height, t.hash, t.state_root FROM wes_api.tip t;
END;
COMMENT ON FUNCTION wes_api.chain_tip() IS 'the chain tip (height, hash, state_root); no row on an empty chain';

-- As-of reads need the state at the end of block at_height, which is known here only
-- from the state a chain starts from to the tip:
--  - above the tip, the block is not written yet (on a standby, maybe not replayed yet):
--    an answer would be the tip's state under another height's name;
--  - a chain that starts from a snapshot (base_height > 0) holds no output spent before
--    the snapshot: below its height an answer would leave outputs out.
-- Both are refused (WE006).  Called as a conjunct of its own, without a column, it is a
-- one-time filter: checked once per call, before any index is read; with at_height NULL
-- the planner drops it.
CREATE FUNCTION wes.as_of_held(at_height bigint) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	tip bigint;
	first_held bigint;
BEGIN
	SELECT t.height, t.base_height INTO tip, first_held FROM wes_api.tip t;
	IF at_height > coalesce(tip, -1) THEN
		RAISE EXCEPTION 'the state at height % is not known here: the tip is at %', at_height, coalesce(tip::text, 'none (empty chain)')
			USING ERRCODE = 'WE006',
				  HINT = 'Ask again once that block is written (on a standby: replayed), or pass no height for the state at the tip.';
	END IF;
	IF first_held > 0 AND at_height < first_held - 1 THEN
		RAISE EXCEPTION 'the state at height % is not held here: this chain starts from a snapshot at height %',
			at_height, first_held - 1
			USING ERRCODE = 'WE006',
				  HINT = 'As-of reads reach back to the snapshot''s height; a database that holds the older blocks serves older states.';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION wes.as_of_held(bigint) IS 'true when the state at the end of block at_height is held here; WE006 above the tip, or below the snapshot a chain starts from';

-- at_height NULL: the output whatever its state; else only if alive at the end of that block
CREATE FUNCTION wes_api.utxo_lookup(op wes_outpoint, at_height bigint DEFAULT NULL)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT o.* FROM wes_api.outputs o
	WHERE o.outpoint = utxo_lookup.op
	  AND (utxo_lookup.at_height IS NULL OR wes.as_of_held(utxo_lookup.at_height))
	  AND (utxo_lookup.at_height IS NULL
		   OR (o.created_height <= utxo_lookup.at_height
			   AND (o.spent_height IS NULL OR o.spent_height > utxo_lookup.at_height)));
END;
COMMENT ON FUNCTION wes_api.utxo_lookup(wes_outpoint, bigint) IS 'one output by outpoint, spent or not (with its spender); with at_height, only if it existed and was unspent at the end of that block';

-- The batched lookup is C (src/queries_lookup.c): the outpoints are sorted and de-duplicated,
-- found in outputs_pkey with one walk along its leaf pages (where = ANY descends from the root
-- once per outpoint), and their rows fetched in the order of the table's pages.  It reads
-- wes.outputs itself, as the views do with their owner's rights, so EXECUTE on it is the
-- privilege: wes_reader's only.  STRICT: a NULL array gives no row.  It returns one row per
-- call: called in a select list (ProjectSet), as utxo_lookup_many does, the rows stream; in
-- FROM, a Function Scan would store them all before handing out the first.
CREATE FUNCTION wes.outputs_lookup(ops wes_outpoint[])
RETURNS SETOF wes_api.outputs
AS 'MODULE_PATHNAME', 'wes_outputs_lookup'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.outputs_lookup(wes_outpoint[]) IS 'the rows of wes_api.outputs of the outpoints, once each, in no particular order (the body of wes_api.utxo_lookup_many)';
REVOKE ALL ON FUNCTION wes.outputs_lookup(wes_outpoint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes.outputs_lookup(wes_outpoint[]) TO wes_reader;

CREATE FUNCTION wes_api.utxo_lookup_many(ops wes_outpoint[])
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT (l.o).* FROM (SELECT wes.outputs_lookup(utxo_lookup_many.ops) AS o) l;
END;
COMMENT ON FUNCTION wes_api.utxo_lookup_many(wes_outpoint[]) IS 'the outputs (spent or not) of many outpoints in one call, once each, in no particular order; outpoints that do not exist and NULL elements are left out';

-- The outputs of many transactions.  An outpoint begins with its txid, so a transaction's
-- outputs are one range of outputs_pkey, [wes_outpoint(txid, 0), wes_outpoint(txid,
-- 2^32-1)], read here for each txid by a nested loop: the subquery behind OFFSET 0 keeps
-- the planner from turning the loop into one scan of every output checked against every
-- txid, which it would, because it cannot know how narrow each range is.  For the same
-- reason it estimates 0.5% of the table per txid, which puts a large call over
-- jit_above_cost and spends 100-150 ms compiling what runs in 10: so jit = off, which
-- also keeps the function from being inlined (a Function Scan to the caller's EXPLAIN).
CREATE FUNCTION wes_api.transactions_outputs(txids wes_hash[])
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
SET jit = off
BEGIN ATOMIC
	SELECT o.*
	FROM (SELECT u.txid, min(u.n) AS n FROM unnest(transactions_outputs.txids) WITH ORDINALITY u(txid, n)
		  WHERE u.txid IS NOT NULL GROUP BY u.txid) t
	CROSS JOIN LATERAL (SELECT * FROM wes_api.outputs o
						WHERE o.outpoint BETWEEN wes_outpoint(t.txid, 0) AND wes_outpoint(t.txid, 4294967295)
						OFFSET 0) o
	ORDER BY t.n, o.output_index;
END;
COMMENT ON FUNCTION wes_api.transactions_outputs(wes_hash[]) IS 'the outputs (spent or not) of many transactions in one call: those of the first txid given, by output_index, then those of the next; a txid given twice counts once, NULL elements and unknown txids give no row';

-- Current UTXOs and UTXOs as of a height, both from the owner index of wes.outputs
-- and the spend marks of the rows it finds, never a replay of blocks
CREATE FUNCTION wes_api.addresses_utxos(owners wes_address[], at_height bigint DEFAULT NULL)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT o.* FROM wes_api.outputs o
	WHERE o.owner = ANY (addresses_utxos.owners)
	  AND (addresses_utxos.at_height IS NULL OR wes.as_of_held(addresses_utxos.at_height))
	  AND CASE WHEN addresses_utxos.at_height IS NULL THEN o.spent_height IS NULL
			   ELSE o.created_height <= addresses_utxos.at_height
					AND (o.spent_height IS NULL OR o.spent_height > addresses_utxos.at_height) END;
END;
COMMENT ON FUNCTION wes_api.addresses_utxos(wes_address[], bigint) IS 'the unspent outputs of many addresses in one call: now, or as of the end of block at_height';

CREATE FUNCTION wes_api.address_utxos(owner wes_address, at_height bigint DEFAULT NULL)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT a.* FROM wes_api.addresses_utxos(ARRAY[address_utxos.owner], address_utxos.at_height) a;
END;
COMMENT ON FUNCTION wes_api.address_utxos(wes_address, bigint) IS 'the unspent outputs of an address: now, or as of the end of block at_height';

CREATE FUNCTION wes_api.address_balance(owner wes_address,
										asset wes_hash DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
										at_height bigint DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(sum(a.amount), 0)
	FROM wes_api.address_utxos(address_balance.owner, address_balance.at_height) a
	WHERE a.ref = address_balance.asset AND a.kind = 'asset';
END;
COMMENT ON FUNCTION wes_api.address_balance(wes_address, wes_hash, bigint) IS 'sum of the unspent amounts of an asset (default: the native coin) owned by an address, now or as of the end of block at_height';

-- ---- explorers ---------------------------------------------------------------

CREATE FUNCTION wes_api.block(block_height bigint DEFAULT NULL, block_hash wes_hash DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT to_jsonb(b) || jsonb_build_object('transactions', coalesce(
		(SELECT jsonb_agg(to_jsonb(t) ORDER BY t.tx_index)
		 FROM wes_api.transactions t WHERE t.block_height = b.height), '[]'::jsonb))
	FROM wes_api.blocks b
	WHERE b.height = block.block_height OR b.hash = block.block_hash;
END;
COMMENT ON FUNCTION wes_api.block(bigint, wes_hash) IS 'a block by height or by hash, as one JSON object with its transactions in block order (NULL when there is no such block)';

-- Keyset pagination, newest first: pass the last row's (block_height, tx_index) to get the
-- next page.  Cost: one pass over the address's outputs created or spent up to the cursor
-- (owner index plus spend-index probes), independent of the size of the chain.
CREATE FUNCTION wes_api.address_transactions(owner wes_address,
											 before_height bigint DEFAULT NULL,
											 before_tx_index integer DEFAULT NULL,
											 page_size integer DEFAULT 50)
RETURNS TABLE (block_height bigint, tx_index integer, txid wes_hash,
			   outputs_received bigint, outputs_spent bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.block_height, t.tx_index, t.txid, x.received, x.spent
	FROM (SELECT r.txid, count(*) FILTER (WHERE r.received) AS received,
				 count(*) FILTER (WHERE NOT r.received) AS spent
		  FROM (SELECT o.txid, true AS received FROM wes_api.outputs o
				WHERE o.owner = address_transactions.owner
				  AND o.created_height <= coalesce(address_transactions.before_height, 9223372036854775807)
				UNION ALL
				SELECT o.spent_by, false FROM wes_api.outputs o
				WHERE o.owner = address_transactions.owner
				  AND o.spent_height <= coalesce(address_transactions.before_height, 9223372036854775807)) r
		  GROUP BY r.txid) x
	JOIN wes_api.transactions t ON t.txid = x.txid
	WHERE (t.block_height, t.tx_index) <
		  (coalesce(address_transactions.before_height, 9223372036854775807),
		   coalesce(address_transactions.before_tx_index,
					CASE WHEN address_transactions.before_height IS NULL THEN 2147483647 ELSE -1 END))
	ORDER BY t.block_height DESC, t.tx_index DESC
	LIMIT least(greatest(address_transactions.page_size, 1), 1000);
END;
COMMENT ON FUNCTION wes_api.address_transactions(wes_address, bigint, integer, integer) IS 'the transactions that paid an address or spent its outputs, newest first; for the next page pass the last row''s block_height and tx_index as before_height and before_tx_index (page_size at most 1000)';

-- Inclusion proofs: the RFC 6962 audit path of a transaction to its block's tx_root
CREATE FUNCTION wes.merkle_path(leaves wes_hash[], leaf_index integer) RETURNS wes_hash[]
	AS 'MODULE_PATHNAME', 'wes_merkle_path_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.merkle_path(wes_hash[], integer) IS 'the RFC 6962 audit path of leaf leaf_index (from 0) in the Merkle tree over leaves, nearest sibling first';

CREATE FUNCTION wes_verify_tx_proof(txid wes_hash, tx_index bigint, tx_count bigint, path wes_hash[], tx_root wes_hash)
RETURNS boolean
	AS 'MODULE_PATHNAME', 'wes_verify_tx_proof' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes_verify_tx_proof(wes_hash, bigint, bigint, wes_hash[], wes_hash) IS 'whether path (from wes_tx_proof) proves that txid is leaf tx_index of tx_count under tx_root (RFC 6962 with BLAKE2b-256); needs no database state';

CREATE FUNCTION wes_api.tx_proof(txid wes_hash)
RETURNS TABLE (txid wes_hash, block_height bigint, block_hash wes_hash, tx_index bigint,
			   tx_count bigint, tx_root wes_hash, path wes_hash[])
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.txid, t.block_height, b.hash, t.tx_index, b.tx_count, b.tx_root,
		   wes.merkle_path(ARRAY(SELECT x.txid FROM wes_api.transactions x
								 WHERE x.block_height = t.block_height ORDER BY x.tx_index),
						   t.tx_index)
	FROM wes_api.transactions t
	JOIN wes_api.blocks b ON b.height = t.block_height
	WHERE t.txid = tx_proof.txid;
END;
COMMENT ON FUNCTION wes_api.tx_proof(wes_hash) IS 'proof that a transaction is in its block: the RFC 6962 audit path from txid (leaf tx_index of tx_count) to the block''s tx_root; check it with wes_api.verify_tx_proof or any RFC 6962 verifier using BLAKE2b-256';

CREATE FUNCTION wes_api.verify_tx_proof(txid wes_hash, tx_index bigint, tx_count bigint, path wes_hash[], tx_root wes_hash)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN wes_verify_tx_proof(txid, tx_index, tx_count, path, tx_root);
COMMENT ON FUNCTION wes_api.verify_tx_proof(wes_hash, bigint, bigint, wes_hash[], wes_hash) IS 'whether path proves that txid is leaf tx_index of tx_count under tx_root; the arguments are the columns of wes_api.tx_proof';

CREATE VIEW wes_api.resource_content AS
SELECT c.content_hash, c.media_type, c.size, c.stored_at, c.content
FROM wes.resource_content c;
COMMENT ON VIEW wes_api.resource_content IS 'stored resource content by SHA-256; select only the columns you need (content can be large), or read a range with wes_api.resource_read';
COMMENT ON COLUMN wes_api.resource_content.content_hash IS 'SHA-256 of the content';
COMMENT ON COLUMN wes_api.resource_content.size IS 'content size in bytes';
COMMENT ON COLUMN wes_api.resource_content.media_type IS 'media type given by the first wes_write_resource call that gave one (NULL when none did)';
COMMENT ON COLUMN wes_api.resource_content.stored_at IS 'when the content was first stored';
COMMENT ON COLUMN wes_api.resource_content.content IS 'the content (stored uncompressed out of line, so a substring reads only the chunks it covers)';
GRANT SELECT ON wes_api.resource_content TO wes_reader;

-- substring() of an EXTERNAL (uncompressed, out-of-line) value fetches only the TOAST
-- chunks that cover the range.  substring(bytea) takes integer positions; content is
-- below 1 GB, so bigint offsets and lengths are clamped to integer range
CREATE FUNCTION wes_api.resource_read(content_hash wes_hash, "offset" bigint DEFAULT 0, length bigint DEFAULT NULL)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	result bytea;
BEGIN
	IF "offset" < 0 OR length < 0 THEN
		RAISE EXCEPTION 'resource range must not be negative (offset %, length %)', "offset", length
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF length IS NULL THEN
		SELECT substring(c.content FROM least("offset", 2147483646)::integer + 1) INTO result
		FROM wes_api.resource_content c WHERE c.content_hash = resource_read.content_hash;
	ELSE
		SELECT substring(c.content FROM least("offset", 2147483646)::integer + 1
						 FOR least(length, 2147483647)::integer) INTO result
		FROM wes_api.resource_content c WHERE c.content_hash = resource_read.content_hash;
	END IF;
	RETURN result;
END
$$;
COMMENT ON FUNCTION wes_api.resource_read(wes_hash, bigint, bigint) IS 'length bytes of a resource''s content from offset (0-based; NULL length: to the end), reading only the storage chunks needed; NULL when the content is not stored';

-- ---- the functions of sql-api.md, in the extension's schema ----

CREATE FUNCTION wes_chain_tip()
RETURNS TABLE (height bigint, hash wes_hash, state_root wes_hash)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.height, t.hash, t.state_root FROM wes_api.chain_tip() t;
END;
COMMENT ON FUNCTION wes_chain_tip() IS 'the chain tip (height, hash, state_root); no row on an empty chain';

CREATE FUNCTION wes_utxo_lookup(op wes_outpoint)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup(wes_utxo_lookup.op, NULL) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(wes_outpoint) IS 'zero or one row of wes_api.outputs: the output, spent or not, with its spender';

CREATE FUNCTION wes_utxo_lookup(op wes_outpoint, at_height bigint)
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup(wes_utxo_lookup.op, wes_utxo_lookup.at_height) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(wes_outpoint, bigint) IS 'the output only if it existed and was unspent at the end of block at_height';

CREATE FUNCTION wes_utxo_lookup(ops wes_outpoint[])
RETURNS SETOF wes_api.outputs
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT l.* FROM wes_api.utxo_lookup_many(wes_utxo_lookup.ops) l;
END;
COMMENT ON FUNCTION wes_utxo_lookup(wes_outpoint[]) IS 'the rows of wes_api.outputs for those of the outpoints that exist, in one call';

CREATE FUNCTION wes_address_balance(owner wes_address,
									asset wes_hash DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
									at_height bigint DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
RETURN wes_api.address_balance(owner, asset, at_height);
COMMENT ON FUNCTION wes_address_balance(wes_address, wes_hash, bigint) IS 'sum of the unspent amounts of an asset (default: the native coin) owned by an address, now or as of the end of block at_height';

CREATE FUNCTION wes_resource_read(content_hash wes_hash, "offset" bigint DEFAULT 0, length bigint DEFAULT NULL)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
RETURN wes_api.resource_read(content_hash, "offset", length);
COMMENT ON FUNCTION wes_resource_read(wes_hash, bigint, bigint) IS 'length bytes of a resource''s content from offset (0-based), reading only the storage chunks needed; NULL when the content is not stored';

CREATE FUNCTION wes_tx_proof(txid wes_hash)
RETURNS TABLE (txid wes_hash, block_height bigint, block_hash wes_hash, tx_index bigint,
			   tx_count bigint, tx_root wes_hash, path wes_hash[])
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT p.* FROM wes_api.tx_proof(wes_tx_proof.txid) p;
END;
COMMENT ON FUNCTION wes_tx_proof(wes_hash) IS 'the RFC 6962 audit path of a transaction to its block''s tx_root (see wes_verify_tx_proof)';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA wes_api FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA wes_api TO wes_reader;

-- ---- privileges beyond the API's own objects ----

-- Large objects are the one place a role without any grant can create data (lo_create
-- is executable by PUBLIC out of the box); a read-only role must not have that route
REVOKE EXECUTE ON FUNCTION pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer),
	pg_catalog.lo_from_bytea(oid, bytea) FROM PUBLIC;

-- ---- logical replication ----

-- Selective replicas subscribe to wes_publication (every table of wes).  Publications are
-- per database and outlive DROP EXTENSION, so an existing one is extended, not recreated.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_publication WHERE pubname = 'wes_publication') THEN
		CREATE PUBLICATION wes_publication FOR TABLES IN SCHEMA wes;
	ELSIF NOT EXISTS (SELECT FROM pg_publication_namespace pn JOIN pg_publication p ON p.oid = pn.pnpubid
					  WHERE p.pubname = 'wes_publication' AND pn.pnnspid = 'wes'::regnamespace) THEN
		ALTER PUBLICATION wes_publication ADD TABLES IN SCHEMA wes;
	END IF;
END
$$;
COMMENT ON PUBLICATION wes_publication IS 'every table of schema wes, for logical (selective) replicas: a subscriber creates the extension and subscribes';
-- ---------------------------------------------------------------------------
-- Views of wes_api that decode stored raw bytes with the codec: receipts
-- (status, fee, return data and logs) and resources (the metadata of resource
-- outputs, and whether their content is stored).  As in 40_api.sql, the views
-- read wes.* with their owner's rights; the decoding functions are immutable
-- and touch no table.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes.receipt_logs(raw bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'wes_receipt_logs'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.receipt_logs(bytea) IS
	'the logs of a receipt in wire format, as its JSON form spells them: [{"topic": hex, "data": hex}, ...]';

CREATE FUNCTION wes.receipt_return_data(raw bytea) RETURNS bytea
	AS 'MODULE_PATHNAME', 'wes_receipt_return_data'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.receipt_return_data(bytea) IS 'the return data of a receipt in wire format';

CREATE FUNCTION wes.resource_meta(data bytea, OUT resource_type text, OUT size numeric,
								  OUT media_type text, OUT name text)
	AS 'MODULE_PATHNAME', 'wes_resource_meta_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.resource_meta(bytea) IS
	'the metadata carried in the data of a resource output: resource_type (file, wasm, onnx), size, media_type, name';

CREATE VIEW wes_api.receipts AS
SELECT t.txid, t.block_height, t.tx_index,
	   CASE t.status WHEN 0 THEN 'success' WHEN 1 THEN 'failure' END AS status,
	   wes.u64(t.fee) AS fee,
	   wes.receipt_return_data(t.receipt) AS return_data,
	   wes.receipt_logs(t.receipt) AS logs
FROM wes.transactions t;
COMMENT ON VIEW wes_api.receipts IS 'the receipt of every transaction (decoded from its stored bytes); look up by txid';
COMMENT ON COLUMN wes_api.receipts.txid IS 'the transaction the receipt belongs to';
COMMENT ON COLUMN wes_api.receipts.block_height IS 'height of the block that holds the transaction';
COMMENT ON COLUMN wes_api.receipts.tx_index IS 'position of the transaction in its block, from 0';
COMMENT ON COLUMN wes_api.receipts.status IS 'success or failure';
COMMENT ON COLUMN wes_api.receipts.fee IS 'fee paid (u64)';
COMMENT ON COLUMN wes_api.receipts.return_data IS 'data the call returned, opaque';
COMMENT ON COLUMN wes_api.receipts.logs IS 'the logs in order, as a JSON array of {"topic": <64 hex>, "data": <hex>}';

-- One row per resource output; several outputs may name the same content
CREATE VIEW wes_api.resources AS
SELECT o.ref AS content_hash, m.resource_type, m.media_type, m.name, m.size,
	   o.height AS created_height, o.outpoint, o.owner,
	   EXISTS (SELECT FROM wes.resource_content c WHERE c.content_hash = o.ref) AS available
FROM wes.outputs o
CROSS JOIN LATERAL wes.resource_meta(o.data) m
WHERE o.kind = 1;
COMMENT ON VIEW wes_api.resources IS 'every resource output with its metadata, and whether its content is stored; look up by content_hash (indexed); read content with wes_api.resource_read';
COMMENT ON COLUMN wes_api.resources.content_hash IS 'SHA-256 of the content (the output''s ref)';
COMMENT ON COLUMN wes_api.resources.resource_type IS 'file, wasm or onnx';
COMMENT ON COLUMN wes_api.resources.media_type IS 'media type the output declares, e.g. application/wasm; NULL when it holds what no text value here can (U+0000, or a character the database''s encoding lacks): the bytes are in wes_api.outputs.data';
COMMENT ON COLUMN wes_api.resources.name IS 'name the output declares; NULL when it holds what no text value here can (U+0000, or a character the database''s encoding lacks): the bytes are in wes_api.outputs.data';
COMMENT ON COLUMN wes_api.resources.size IS 'content size in bytes the output declares (u64)';
COMMENT ON COLUMN wes_api.resources.created_height IS 'height of the block that created the output';
COMMENT ON COLUMN wes_api.resources.outpoint IS 'the resource output (<txid>:<index>)';
COMMENT ON COLUMN wes_api.resources.owner IS 'owner of the resource output';
COMMENT ON COLUMN wes_api.resources.available IS 'whether the content is stored (written with wes_write_resource)';

GRANT SELECT ON wes_api.receipts, wes_api.resources TO wes_reader;

-- An explorer's search box (here, after wes_api.resources, which it reads).  Each
-- branch is a B-tree range scan over [prefix 00.., prefix ff..]; the bounds are
-- spelled out (rather than ^@) so that a generic plan of a prepared call uses the index too
CREATE FUNCTION wes_api.search(prefix text, max_rows integer DEFAULT 10)
RETURNS TABLE (kind text, hash wes_hash, block_height bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	(SELECT 'block', b.hash, b.height FROM wes_api.blocks b
	 WHERE b.hash BETWEEN wes_hash_prefix_lower(search.prefix) AND wes_hash_prefix_upper(search.prefix) ORDER BY b.hash LIMIT least(greatest(search.max_rows, 1), 100))
	UNION ALL
	(SELECT 'transaction', t.txid, t.block_height FROM wes_api.transactions t
	 WHERE t.txid BETWEEN wes_hash_prefix_lower(search.prefix) AND wes_hash_prefix_upper(search.prefix) ORDER BY t.txid LIMIT least(greatest(search.max_rows, 1), 100))
	UNION ALL
	-- a resource once, at the height of the first output that declares it
	(SELECT DISTINCT ON (r.content_hash) 'resource', r.content_hash, r.created_height FROM wes_api.resources r
	 WHERE r.content_hash BETWEEN wes_hash_prefix_lower(search.prefix) AND wes_hash_prefix_upper(search.prefix)
	 ORDER BY r.content_hash, r.created_height LIMIT least(greatest(search.max_rows, 1), 100));
END;
COMMENT ON FUNCTION wes_api.search(text, integer) IS 'blocks, transactions and resources (by content hash) whose hash starts with these hex digits (any case, optional 0x), at most max_rows (up to 100) of each kind, for an explorer''s search box';
REVOKE EXECUTE ON FUNCTION wes_api.search(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_api.search(text, integer) TO wes_reader;

-- An explorer's transaction page in one call (here, after wes_api.receipts, which it
-- reads): the transaction, its receipt, its inputs each with the output it names, and
-- its outputs with their spends.  Every part is an index lookup: the transaction and
-- its receipt by transactions_pkey, its inputs by inputs_pkey, each named output by
-- outputs_pkey, and its own outputs as one range of outputs_pkey (src/planner_support.c).
CREATE FUNCTION wes_api.transaction(txid wes_hash)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT to_jsonb(t) || jsonb_build_object(
		'receipt', (SELECT jsonb_build_object('status', r.status, 'fee', r.fee,
											  'return_data', r.return_data, 'logs', r.logs)
					FROM wes_api.receipts r WHERE r.txid = t.txid),
		'inputs', coalesce((SELECT jsonb_agg(jsonb_build_object(
									'input_index', i.input_index, 'outpoint', i.outpoint,
									'reference', i.reference, 'unlock', i.unlock,
									'output', (SELECT to_jsonb(o) FROM wes_api.outputs o WHERE o.outpoint = i.outpoint))
								ORDER BY i.input_index)
							FROM wes_api.inputs i WHERE i.txid = t.txid), '[]'::jsonb),
		'outputs', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.output_index)
							 FROM wes_api.outputs o WHERE o.txid = t.txid), '[]'::jsonb))
	FROM wes_api.transactions t
	WHERE t.txid = transaction.txid;
END;
COMMENT ON FUNCTION wes_api.transaction(wes_hash) IS 'a transaction as one JSON object: its columns, its receipt, its inputs in order (each with the output it spends or references), and its outputs in order (each with its spend); NULL when there is no such transaction';
REVOKE EXECUTE ON FUNCTION wes_api.transaction(wes_hash) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_api.transaction(wes_hash) TO wes_reader;
-- ---------------------------------------------------------------------------
-- Rollback and full snapshots.  wes_rollback_to undoes blocks from the journal
-- (wes_persist.journal_depth bounds how far back it reaches); wes_snapshot_create
-- records the chain state at the tip (automatic ones every
-- wes_persist.snapshot_interval blocks, wes_persist.snapshot_retention kept).
-- Write functions: SECURITY DEFINER, search_path pinned, wes_writer only.
-- ---------------------------------------------------------------------------

CREATE FUNCTION wes.output_encoding(kind smallint, owner wes_address, amount bigint, ref wes_hash,
									lock bytea, data bytea) RETURNS bytea
	AS 'MODULE_PATHNAME', 'wes_output_encoding'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.output_encoding(smallint, wes_address, bigint, wes_hash, bytea, bytea) IS
	'the exact wire-format bytes of an output from its wes.outputs columns (its LtHash element after txid and index)';

CREATE FUNCTION wes_rollback_to(height bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'wes_rollback_to'
	LANGUAGE C STRICT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET enable_seqscan = off
	SET jit = off;
COMMENT ON FUNCTION wes_rollback_to(bigint) IS
	'undo every block above height (-1: back to the empty chain), newest first, from the journal: history rows, '
	'spend marks, UTXO set, accumulator and tip; the result is checked against block height''s state_root. '
	'Returns how many blocks were undone. WE006 when height is above the tip, below the first height this database '
	'holds, or beyond the journal''s reach (wes_persist.journal_depth)';

CREATE FUNCTION wes_snapshot_create()
RETURNS TABLE (height bigint, block_hash wes_hash, state_root wes_hash, utxo_count bigint)
	AS 'MODULE_PATHNAME', 'wes_snapshot_create'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_create() IS
	'record a full snapshot of the tip (height, block hash, state root, UTXO count, accumulator) and return it; '
	'the existing one when the tip already has one. Retention keeps wes_persist.snapshot_retention newest. WE006 on an empty chain';

CREATE FUNCTION wes_snapshot_import(file bytea)
RETURNS TABLE (height bigint, block_hash wes_hash, state_root wes_hash, utxo_count bigint)
	AS 'MODULE_PATHNAME', 'wes_snapshot_import'
	LANGUAGE C STRICT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import(bytea) IS
	'start an empty chain from a snapshot file (docs/snapshot-format.md) given whole, up to 1 GB (larger files go in chunks: '
	'wes_snapshot_import_begin): checks the checksum, the outputs and that they '
	'commit to the state root, fills the UTXO set, sets the tip to the snapshot''s block; blocks are then accepted from '
	'height + 1. 22P03 malformed file or checksum, WE003 state root, WE006 the chain is not empty';

CREATE FUNCTION wes_snapshot_import_begin() RETURNS void
	AS 'MODULE_PATHNAME', 'wes_snapshot_import_begin'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import_begin() IS
	'begin importing a snapshot file in chunks, for files of any size: inside a transaction block, then '
	'wes_snapshot_import_append for each chunk in order and wes_snapshot_import_finish, then COMMIT (the transaction '
	'cannot commit an unfinished import). Locks the tip; WE006 the chain is not empty, 25P01 outside a transaction block';

CREATE FUNCTION wes_snapshot_import_append(chunk bytea) RETURNS bigint
	AS 'MODULE_PATHNAME', 'wes_snapshot_import_append'
	LANGUAGE C STRICT VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import_append(bytea) IS
	'the next bytes of the snapshot file whose import wes_snapshot_import_begin began (chunks may be cut anywhere); '
	'checks and writes the records they complete and returns how many records are in so far. 22P03 malformed record, '
	'55000 no import in progress in this transaction or a failed one';

CREATE FUNCTION wes_snapshot_import_finish()
RETURNS TABLE (height bigint, block_hash wes_hash, state_root wes_hash, utxo_count bigint)
	AS 'MODULE_PATHNAME', 'wes_snapshot_import_finish'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_import_finish() IS
	'end the import of a snapshot file in chunks: checks the count, the checksum and that the outputs commit to the '
	'state root, builds the indexes of the UTXO set and outputs, sets the tip to the snapshot''s block, as '
	'wes_snapshot_import does. 22P03 file cut short or checksum, WE003 state root, 55000 no import in progress';

CREATE FUNCTION wes_snapshot_export(at_height bigint DEFAULT NULL) RETURNS SETOF bytea
	AS 'MODULE_PATHNAME', 'wes_snapshot_export'
	LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_snapshot_export(bigint) IS
	'the snapshot file (docs/snapshot-format.md) of the tip, or of the retained snapshot at at_height, as bytea chunks '
	'in order (concatenated they are the file); e.g. psql -XAt -c "SELECT encode(c, ''hex'') FROM wes_snapshot_export() c" | xxd -r -p. '
	'Reads only: granted to wes_reader. WE006 on an empty chain or when no snapshot is kept at at_height';

REVOKE EXECUTE ON FUNCTION wes_snapshot_import(bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_import_begin() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_import_append(bytea) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_import_finish() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_export(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_snapshot_import(bytea) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_import_begin() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_import_append(bytea) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_import_finish() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_export(bigint) TO wes_reader;
REVOKE EXECUTE ON FUNCTION wes_rollback_to(bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_snapshot_create() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_rollback_to(bigint) TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_snapshot_create() TO wes_writer;

CREATE VIEW wes_api.snapshots AS
SELECT s.height, s.block_hash, s.state_root, s.utxo_count, s.automatic, s.created_at
FROM wes.snapshots s;
COMMENT ON VIEW wes_api.snapshots IS 'the full snapshots kept: the chain state at each height (export one with wes_snapshot_export)';
COMMENT ON COLUMN wes_api.snapshots.height IS 'height of the block the snapshot is the state after';
COMMENT ON COLUMN wes_api.snapshots.block_hash IS 'hash of that block';
COMMENT ON COLUMN wes_api.snapshots.state_root IS 'commitment to the UTXO set after that block';
COMMENT ON COLUMN wes_api.snapshots.utxo_count IS 'number of unspent outputs after that block';
COMMENT ON COLUMN wes_api.snapshots.automatic IS 'taken every wes_persist.snapshot_interval blocks (false: on demand or imported)';
COMMENT ON COLUMN wes_api.snapshots.created_at IS 'when the snapshot was recorded';
GRANT SELECT ON wes_api.snapshots TO wes_reader;

-- ---- incremental snapshots: the journal, readable -----------------------------

-- Per block, the outpoints it added to the UTXO set and those it removed (wes.journal,
-- kept wes_persist.journal_depth blocks back).  A filter on height reaches both arms
-- of the UNION ALL, so it reads the journal through its key.
CREATE VIEW wes_api.utxo_changes AS
SELECT j.height, 'added'::text AS change, c.outpoint
FROM wes.journal j CROSS JOIN LATERAL unnest(j.created) c(outpoint)
UNION ALL
SELECT j.height, 'removed'::text, s.outpoint
FROM wes.journal j CROSS JOIN LATERAL unnest(j.spent) s(outpoint);
COMMENT ON VIEW wes_api.utxo_changes IS 'per block, the outpoints it added to the UTXO set (created and not spent in the block) and those it removed: the incremental snapshots, kept wes_persist.journal_depth blocks back';
COMMENT ON COLUMN wes_api.utxo_changes.height IS 'the block';
COMMENT ON COLUMN wes_api.utxo_changes.change IS 'added or removed';
COMMENT ON COLUMN wes_api.utxo_changes.outpoint IS 'the output added or removed';
GRANT SELECT ON wes_api.utxo_changes TO wes_reader;

-- Whether the journal serves the change from the end of block from_height to the end of
-- to_height: 22023 for a range that is not one; WE006 when either end is a state this
-- database does not hold (wes.as_of_held: above the tip, below the snapshot it starts
-- from), or beyond the journal's reach
CREATE FUNCTION wes.utxo_delta_served(from_height bigint, to_height bigint) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	journal_from bigint;
BEGIN
	IF from_height < -1 OR from_height > to_height THEN
		RAISE EXCEPTION 'a UTXO delta goes from a height of -1 or more to one at least as high (given % to %)',
			from_height, to_height USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM wes.as_of_held(to_height), wes.as_of_held(from_height);
	SELECT min(j.height) INTO journal_from FROM wes.journal j;
	IF from_height < to_height AND (journal_from IS NULL OR journal_from > from_height + 1) THEN
		RAISE EXCEPTION 'no UTXO delta from height %: the journal starts at height %', from_height, coalesce(journal_from::text, 'none')
			USING ERRCODE = 'WE006', HINT = 'wes_persist.journal_depth sets how many blocks back the journal reaches.';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION wes.utxo_delta_served(bigint, bigint) IS 'true when wes_api.utxo_delta(from_height, to_height) can be served; else the error saying why';

-- The net change of the UTXO set from the end of block from_height to the end of block
-- to_height.  Each outpoint enters the journal's added arrays once and its removed arrays
-- at most once, so the net change is found among the outpoints alone: added and not
-- removed within the range (alive at to_height), or removed and not added (alive at
-- from_height); an output both added and removed inside the range is in neither part.
-- Only the outpoints left are looked up in wes.outputs.  Applied to the set at
-- from_height (remove, then add), it gives the set at to_height.  Two statements: the
-- range is checked first, and a function of two statements is run as written, not
-- inlined, so the planner cannot skip the check by proving the query empty.  BEGIN
-- ATOMIC binds every name when the function is created: a reader needs no privilege
-- on schema wes to run it.
CREATE FUNCTION wes_api.utxo_delta(from_height bigint, to_height bigint)
RETURNS TABLE (change text, outpoint wes_outpoint, kind text, owner wes_address, amount bigint, ref wes_hash,
			   lock bytea, data bytea, created_height bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT wes.utxo_delta_served(utxo_delta.from_height, utxo_delta.to_height);
	WITH ch AS MATERIALIZED (
		SELECT c.change, c.outpoint FROM wes_api.utxo_changes c
		WHERE c.height > utxo_delta.from_height AND c.height <= utxo_delta.to_height),
	net AS (
		SELECT a.change, a.outpoint FROM ch a
		WHERE NOT EXISTS (SELECT FROM ch b WHERE b.outpoint = a.outpoint AND b.change <> a.change))
	SELECT n.change, o.outpoint, o.kind, o.owner, o.amount, o.ref, o.lock, o.data, o.created_height
	FROM net n JOIN wes_api.outputs o ON o.outpoint = n.outpoint
	ORDER BY n.change, o.outpoint;
END;
COMMENT ON FUNCTION wes_api.utxo_delta(bigint, bigint) IS 'the net change of the UTXO set from the end of block from_height (-1: the empty set) to the end of block to_height: the outputs added and those removed, by outpoint; WE006 beyond the journal''s reach (wes_persist.journal_depth)';
REVOKE EXECUTE ON FUNCTION wes_api.utxo_delta(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_api.utxo_delta(bigint, bigint) TO wes_reader;
-- ---------------------------------------------------------------------------
-- Integrity checks and repair.
--
-- wes_verify(from_height, to_height) returns one row (check_name, height, detail)
-- per finding and none when all is well.  The column is check_name because
-- CHECK is a reserved word.  The checks are C (verify_chain.c, verify_state.c,
-- verify_index.c): one pass over the raw blocks and transactions, which also
-- sums order-independent digests of the rows they imply and compares them with
-- digests of wes.outputs, wes.inputs, wes.journal and the UTXO set.  Only where
-- a digest differs do the set-based SQL functions wes.verify_* below (each
-- returning the same three columns) compare row by row to name what differs.
--
-- amcheck runs bt_index_check without heapallindexed, as pg_amcheck does by
-- default: it checks the structure of every index, not that every heap row
-- has its entry.  SET wes_persist.verify_heapallindexed = on for that deeper
-- check (it re-reads every table and several times the cost); wes_repair
-- follows the same setting.
--
-- wes_verify is VOLATILE, not STABLE: it calls amcheck's bt_index_check (itself
-- VOLATILE) and reports progress; it writes nothing, runs every statement on
-- the caller's snapshot, and so runs on a hot standby too.  It reads the tables
-- of schema wes directly, so it is SECURITY DEFINER and granted to wes_writer only.
-- ---------------------------------------------------------------------------

-- ---- the rows a raw transaction implies -----------------------------------

CREATE FUNCTION wes.tx_outputs(raw bytea,
	OUT output_index integer, OUT kind smallint, OUT owner wes_address, OUT amount bigint,
	OUT ref wes_hash, OUT lock bytea, OUT data bytea, OUT encoding bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wes_tx_outputs'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION wes.tx_outputs(bytea) IS
	'the outputs a raw transaction creates, in order, with each output''s exact encoding; no rows when the bytes do not decode';

CREATE FUNCTION wes.tx_inputs(raw bytea,
	OUT input_index integer, OUT outpoint wes_outpoint, OUT reference boolean, OUT unlock bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wes_tx_inputs'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION wes.tx_inputs(bytea) IS
	'the inputs of a raw transaction, in order; no rows when the bytes do not decode';

-- ---- row-level checks (called by wes_verify) -------------------------------

-- wes.outputs against the outputs of the raw transactions of heights lo..hi
CREATE FUNCTION wes.verify_outputs(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH d AS (
		SELECT wes_outpoint(t.txid, x.output_index) AS outpoint, t.block_height AS height,
			   x.kind, x.owner, x.amount, x.ref, x.lock, x.data
		FROM wes.transactions t CROSS JOIN LATERAL wes.tx_outputs(t.raw) x
		WHERE t.block_height BETWEEN lo AND hi),
	o AS (
		SELECT r.outpoint, r.height, r.kind, r.owner, r.amount, r.ref, r.lock, r.data
		FROM wes.outputs r WHERE r.height BETWEEN lo AND hi)
	SELECT 'outputs', coalesce(d.height, o.height),
		   CASE WHEN o.outpoint IS NULL
				THEN format('output %s of a raw transaction has no wes.outputs row', d.outpoint)
				WHEN d.outpoint IS NULL
				THEN format('wes.outputs row %s is no output of a raw transaction at height %s', o.outpoint, o.height)
				ELSE format('wes.outputs row %s disagrees with its raw transaction in: %s', o.outpoint,
							concat_ws(', ',
								CASE WHEN o.height <> d.height THEN 'height' END,
								CASE WHEN o.kind <> d.kind THEN 'kind' END,
								CASE WHEN o.owner <> d.owner THEN 'owner' END,
								CASE WHEN o.amount <> d.amount THEN 'amount' END,
								CASE WHEN o.ref <> d.ref THEN 'ref' END,
								CASE WHEN o.lock <> d.lock THEN 'lock' END,
								CASE WHEN o.data <> d.data THEN 'data' END)) END
	FROM d FULL JOIN o ON o.outpoint = d.outpoint
	WHERE o.outpoint IS NULL OR d.outpoint IS NULL
	   OR (o.height, o.kind, o.owner, o.amount, o.ref, o.lock, o.data)
		  IS DISTINCT FROM (d.height, d.kind, d.owner, d.amount, d.ref, d.lock, d.data)
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_outputs(bigint, bigint) IS
	'findings of wes_verify: wes.outputs rows missing, extra or different from the raw transactions of heights lo..hi';

-- wes.inputs against the inputs of the raw transactions; a flipped spend/reference flag is a spend mark
CREATE FUNCTION wes.verify_inputs(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH d AS (
		SELECT t.txid, x.input_index, x.outpoint, x.reference, t.block_height AS height, t.tx_index, x.unlock
		FROM wes.transactions t CROSS JOIN LATERAL wes.tx_inputs(t.raw) x
		WHERE t.block_height BETWEEN lo AND hi),
	i AS (
		SELECT r.txid, r.input_index, r.outpoint, r.reference, r.height, r.tx_index, r.unlock
		FROM wes.inputs r WHERE r.height BETWEEN lo AND hi)
	SELECT CASE WHEN i.txid IS NOT NULL AND d.txid IS NOT NULL AND i.reference IS DISTINCT FROM d.reference
				THEN 'spend_marks' ELSE 'inputs' END,
		   coalesce(d.height, i.height),
		   CASE WHEN i.txid IS NULL
				THEN format('input %s of transaction %s has no wes.inputs row', d.input_index, d.txid)
				WHEN d.txid IS NULL
				THEN format('wes.inputs row %s of transaction %s is no input of a raw transaction at height %s',
							i.input_index, i.txid, i.height)
				WHEN i.reference IS DISTINCT FROM d.reference
				THEN format('input %s of transaction %s is marked as %s of %s, its raw transaction makes it %s',
							i.input_index, i.txid,
							CASE WHEN i.reference THEN 'a reference' ELSE 'the spend' END, i.outpoint,
							CASE WHEN d.reference THEN 'a reference' ELSE 'a spend' END)
				ELSE format('wes.inputs row %s of transaction %s disagrees with its raw transaction in: %s',
							i.input_index, i.txid,
							concat_ws(', ',
								CASE WHEN i.outpoint <> d.outpoint THEN 'outpoint' END,
								CASE WHEN i.height <> d.height THEN 'height' END,
								CASE WHEN i.tx_index <> d.tx_index THEN 'tx_index' END,
								CASE WHEN i.unlock <> d.unlock THEN 'unlock' END)) END
	FROM d FULL JOIN i ON i.txid = d.txid AND i.input_index = d.input_index
	WHERE i.txid IS NULL OR d.txid IS NULL
	   OR (i.outpoint, i.reference, i.height, i.tx_index, i.unlock)
		  IS DISTINCT FROM (d.outpoint, d.reference, d.height, d.tx_index, d.unlock)
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_inputs(bigint, bigint) IS
	'findings of wes_verify: wes.inputs rows missing, extra or different from the raw transactions of heights lo..hi '
	'(check spend_marks when the spend/reference flag differs)';

-- Every input of heights lo..hi names an output created no later than itself.  The
-- findings are written once, here; how wes.outputs is read is left to the caller:
-- inlined into wes.verify_spends, the planner is free to hash the whole table (the
-- cheaper way for a range that holds a good part of the inputs), while
-- wes.verify_spend_inputs_by_key runs it as a nested loop over the range's inputs
-- that looks each outpoint up in the primary key (for a short range).
CREATE FUNCTION wes.verify_spend_inputs(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT 'spends', i.height,
		   CASE WHEN o.outpoint IS NULL
				THEN format('input %s of transaction %s %s %s, which is no output', i.input_index, i.txid,
							CASE WHEN i.reference THEN 'references' ELSE 'spends' END, i.outpoint)
				ELSE format('input %s of transaction %s names output %s, created later at height %s',
							i.input_index, i.txid, i.outpoint, o.height) END
	FROM wes.inputs i
	LEFT JOIN wes.outputs o ON o.outpoint = i.outpoint
	WHERE i.height BETWEEN lo AND hi
	  -- a database started from a snapshot holds no output rows below its base height
	  AND ((o.outpoint IS NULL AND (SELECT s.base_height FROM wes.chain_state s) = 0) OR o.height > i.height);
END;
COMMENT ON FUNCTION wes.verify_spend_inputs(bigint, bigint) IS
	'findings of wes_verify (through wes.verify_spends): inputs of heights lo..hi naming no output or a later one';

-- The same findings, planned without hash joins, merge joins, sequential scans and
-- materialized inner sides: the function's settings hold while its body
-- (wes.verify_spend_inputs, inlined) is planned, so what is left is a nested loop that
-- reads wes.outputs through its primary key, one lookup per input of lo..hi, instead of
-- reading every output, whatever the statistics say.  (Without statistics, before the
-- tables are first analyzed, the planner otherwise read all of outputs_pkey once into a
-- Materialize node and filtered the join there.)  The double-spend part, which must
-- read all of wes.inputs, is planned outside, in wes.verify_spends.
CREATE FUNCTION wes.verify_spend_inputs_by_key(lo bigint, hi bigint)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
SET enable_hashjoin = off
SET enable_mergejoin = off
SET enable_seqscan = off
SET enable_material = off
BEGIN ATOMIC
	SELECT * FROM wes.verify_spend_inputs(lo, hi);
END;
COMMENT ON FUNCTION wes.verify_spend_inputs_by_key(bigint, bigint) IS
	'wes.verify_spend_inputs(lo, hi) planned to look each input''s outpoint up in wes.outputs by key '
	'(hash joins, merge joins, sequential scans and materialization off), for a range that holds few of the inputs';

-- Every input of heights lo..hi names an output created no later than itself; no output
-- is spent twice.  by_key picks how the first reads wes.outputs (wes_verify sets it
-- for a short range, by the same rule that reads the range's rows through their
-- height indexes); the findings are the same either way.
CREATE FUNCTION wes.verify_spends(lo bigint, hi bigint, by_key boolean)
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT k.check_name, k.height, k.detail FROM wes.verify_spend_inputs_by_key(lo, hi) k WHERE by_key
	UNION ALL
	SELECT s.check_name, s.height, s.detail FROM wes.verify_spend_inputs(lo, hi) s WHERE NOT by_key
	UNION ALL
	-- named at its latest spend, so only outpoints spent in lo..hi (read through the
	-- height index) are counted, not every spend of the chain.  Counting every spend
	-- of those outpoints still reads all of wes.inputs once, whatever the range: no
	-- index finds the spend inputs of an outpoint (one would cost every block
	-- written an insert at a random page)
	SELECT 'spends', max(i.height), format('output %s is spent %s times', i.outpoint, count(*))
	FROM wes.inputs i
	WHERE NOT i.reference
	  AND i.outpoint IN (SELECT r.outpoint FROM wes.inputs r WHERE r.height BETWEEN lo AND hi AND NOT r.reference)
	GROUP BY i.outpoint
	HAVING count(*) > 1 AND max(i.height) BETWEEN lo AND hi
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_spends(bigint, bigint, boolean) IS
	'findings of wes_verify: inputs of heights lo..hi naming no output or a later one, and outputs spent twice; '
	'by_key: outputs looked up by key for each input of the range instead of read whole (same findings)';

-- Each spend mark against the spend input that makes it (outputs imported from a
-- snapshot have no creating transaction here, but their spenders are stored)
CREATE FUNCTION wes.verify_utxo_rows()
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT 'spend_marks', coalesce(i.height, o.spent_height),
		   CASE WHEN i.txid IS NULL THEN format('output %s carries the spend mark %s at height %s, which no input makes',
												o.outpoint, o.spent_by, o.spent_height)
				WHEN o.spent_by IS NULL THEN format('output %s is spent by %s at height %s but carries no spend mark',
													o.outpoint, i.txid, i.height)
				ELSE format('output %s carries the spend mark %s at height %s, its spend input is %s at height %s',
							o.outpoint, o.spent_by, o.spent_height, i.txid, i.height) END
	FROM wes.outputs o
	LEFT JOIN wes.inputs i ON i.outpoint = o.outpoint AND NOT i.reference
	WHERE (o.spent_by, o.spent_height) IS DISTINCT FROM (i.txid, i.height)
	ORDER BY 2, 3;
END;
COMMENT ON FUNCTION wes.verify_utxo_rows() IS
	'findings of wes_verify: outputs whose spend mark is not the one their spend input makes';

-- The published balances against the unspent outputs
CREATE FUNCTION wes.verify_utxos()
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH bal AS (
		SELECT o.owner, o.ref, sum(o.amount) AS balance
		FROM wes.outputs o
		WHERE o.kind = 0
		  AND NOT EXISTS (SELECT 1 FROM wes.inputs i WHERE i.outpoint = o.outpoint AND NOT i.reference)
		GROUP BY o.owner, o.ref)
	SELECT 'balances', NULL::bigint,
		   format('balance of %s in asset %s: %s in wes_api.address_balances, %s from unspent outputs',
				  coalesce(a.owner, bal.owner), coalesce(a.asset, bal.ref),
				  coalesce(a.balance, 0), coalesce(bal.balance, 0))
	FROM wes_api.address_balances a
	FULL JOIN bal ON bal.owner = a.owner AND bal.ref = a.asset
	WHERE a.balance IS DISTINCT FROM bal.balance
	ORDER BY 1 DESC, 2, 3;
END;
COMMENT ON FUNCTION wes.verify_utxos() IS
	'findings of wes_verify: wes_api.address_balances against the sums of the outputs no input spends';

-- What the chain state, the snapshots and the stored resource content claim, against
-- what they come from: no block below chain_state.base_height; each snapshot's
-- state_root is H(its accumulator) and, where its block is stored, that block's hash
-- and state_root; each content is the bytes its SHA-256 names, of the size it says.
-- The content is read whole, so this costs what the stored content weighs.  None of
-- it can be derived again from the blocks: wes_repair leaves these findings as they are
CREATE FUNCTION wes.verify_stored()
RETURNS TABLE (check_name text, height bigint, detail text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT 'chain_state', s.height,
		   format('chain_state.base_height is %s, but wes.blocks holds height %s below it', s.base_height, b.lowest)
	FROM wes.chain_state s, (SELECT min(x.height) AS lowest FROM wes.blocks x) b
	WHERE b.lowest < s.base_height
	UNION ALL
	SELECT 'snapshots', n.height,
		   CASE WHEN wes_digest(n.accumulator) <> n.state_root
				THEN format('the snapshot at height %s has state_root %s, but H(its accumulator) is %s',
							n.height, n.state_root, wes_digest(n.accumulator))
				ELSE format('the snapshot at height %s names block %s with state_root %s, the stored block is %s with %s',
							n.height, n.block_hash, n.state_root, b.hash, b.state_root) END
	FROM wes.snapshots n
	LEFT JOIN wes.blocks b ON b.height = n.height
	WHERE wes_digest(n.accumulator) <> n.state_root
	   OR (b.height IS NOT NULL AND (b.hash, b.state_root) IS DISTINCT FROM (n.block_hash, n.state_root))
	UNION ALL
	SELECT 'resources', NULL::bigint,
		   CASE WHEN sha256(c.content) <> c.content_hash::bytea
				THEN format('the content stored under %s does not hash to it (wes_write_resource of the content '
							'puts it back)', c.content_hash)
				ELSE format('the content stored under %s is %s bytes, its size column says %s (wes_write_resource '
							'of the content puts it right)', c.content_hash, octet_length(c.content), c.size) END
	FROM wes.resource_content c
	WHERE sha256(c.content) <> c.content_hash::bytea OR octet_length(c.content) <> c.size
	ORDER BY 1, 2, 3;
END;
COMMENT ON FUNCTION wes.verify_stored() IS
	'findings of wes_verify: chain_state.base_height above a stored block, snapshots that disagree with their '
	'accumulator or their block, resource content that is not what its SHA-256 and size say';

-- ---- wes_verify ---------------------------------------------------------------

CREATE FUNCTION wes_verify(from_height bigint DEFAULT NULL, to_height bigint DEFAULT NULL)
RETURNS TABLE (check_name text, height bigint, detail text)
AS 'MODULE_PATHNAME', 'wes_verify'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- its statements run once per call over whole tables: compiling them costs more than it saves
SET jit = off;
COMMENT ON FUNCTION wes_verify(bigint, bigint) IS
	'integrity checks; one row per finding (check_name, height, detail), none when all is well. '
	'Blocks from_height..to_height (default: all): height_continuity, prev_hash, block_hash, header_columns, '
	'transactions, tx_decode, txid, tx_columns, tx_count, block_size, tx_root, receipt_decode, '
	'receipt_columns, receipt_root, outputs, inputs, spend_marks, spends, journal. When the range reaches the tip '
	'(to_height NULL or at least the tip), also the current state: chain_state, state_commitment (LtHash of a full '
	'scan of the unspent outputs against chain_state and the tip''s state_root), utxo_count, spend_marks (each '
	'output''s against its spend input), utxos (against outputs minus spends), balances, snapshots (each against '
	'its accumulator and its block), resources (stored content against its SHA-256 and size), and amcheck (bt_index_check on every B-tree index of schema wes: the '
	'structure of each index; with wes_persist.verify_heapallindexed = on also that every row has its index '
	'entries, several times slower; a finding when the extension amcheck is missing). Read-only, on one '
	'snapshot; a NOTICE every 10 s reports progress. height is NULL for findings about no particular block';

REVOKE EXECUTE ON FUNCTION wes_verify(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_verify(bigint, bigint) TO wes_writer;

-- ---- repair ---------------------------------------------------------------------
-- wes_rebuild_indexes, wes_replay_state and wes_repair are write functions:
-- SECURITY DEFINER, search_path pinned, wes_writer only.  They lock the
-- chain-state row first, as the DataWriter does, so no block is written meanwhile.

CREATE FUNCTION wes.receipt_fields(raw bytea, OUT status smallint, OUT fee bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'wes_receipt_fields'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION wes.receipt_fields(bytea) IS
	'status and fee (u64 bit pattern) of a raw receipt; NULLs when the bytes do not decode';

-- The derived rows rebuilt from the raw transactions and receipts: outputs, inputs,
-- the transactions' counts, the receipts' columns, the journal from height
-- journal_from on (what it retains); returns the rows written
CREATE FUNCTION wes.rebuild_rows(journal_from bigint) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
	-- outputs below the base height came with a snapshot: no raw transaction holds them
	DELETE FROM wes.outputs o WHERE o.height >= (SELECT s.base_height FROM wes.chain_state s);
	INSERT INTO wes.outputs (outpoint, height, kind, owner, amount, ref, lock, data)
	SELECT wes_outpoint(t.txid, x.output_index), t.block_height, x.kind, x.owner, x.amount, x.ref, x.lock, x.data
	FROM wes.transactions t CROSS JOIN LATERAL wes.tx_outputs(t.raw) x;
	DELETE FROM wes.inputs;
	INSERT INTO wes.inputs (txid, input_index, outpoint, reference, height, tx_index, unlock)
	SELECT t.txid, x.input_index, x.outpoint, x.reference, t.block_height, t.tx_index, x.unlock
	FROM wes.transactions t CROSS JOIN LATERAL wes.tx_inputs(t.raw) x;
	UPDATE wes.transactions t
	SET input_count = c.n_in, output_count = c.n_out
	FROM (SELECT t2.txid, (SELECT count(*) FROM wes.tx_inputs(t2.raw))::integer AS n_in,
				 (SELECT count(*) FROM wes.tx_outputs(t2.raw))::integer AS n_out
		  FROM wes.transactions t2) c
	WHERE c.txid = t.txid AND (t.input_count, t.output_count) IS DISTINCT FROM (c.n_in, c.n_out);
	UPDATE wes.transactions r
	SET status = (wes.receipt_fields(r.receipt)).status, fee = (wes.receipt_fields(r.receipt)).fee
	WHERE (wes.receipt_fields(r.receipt)).status IS NOT NULL
	  AND (r.status, r.fee) IS DISTINCT FROM ((wes.receipt_fields(r.receipt)).status, (wes.receipt_fields(r.receipt)).fee);
	DELETE FROM wes.journal j WHERE j.height >= journal_from;
	INSERT INTO wes.journal (height, created, spent)
	SELECT b.height,
		   coalesce((SELECT array_agg(o.outpoint ORDER BY o.outpoint) FROM wes.outputs o
					 WHERE o.height = b.height
					   AND NOT EXISTS (SELECT 1 FROM wes.inputs i
									   WHERE i.outpoint = o.outpoint AND NOT i.reference AND i.height = b.height)),
					'{}'),
		   coalesce((SELECT array_agg(i.outpoint ORDER BY i.outpoint)
					 FROM wes.inputs i LEFT JOIN wes.outputs o ON o.outpoint = i.outpoint
					 WHERE i.height = b.height AND NOT i.reference AND (o.outpoint IS NULL OR o.height < i.height)),
					'{}')
	FROM wes.blocks b WHERE b.height >= journal_from;
	SELECT (SELECT count(*) FROM wes.outputs) + (SELECT count(*) FROM wes.inputs)
		 + (SELECT count(*) FROM wes.journal j WHERE j.height >= journal_from);
END;
COMMENT ON FUNCTION wes.rebuild_rows(bigint) IS
	'wes_rebuild_indexes: outputs, inputs, transaction counts, receipt columns and the journal (from journal_from) '
	'rebuilt from the raw transactions and receipts; returns the rows written';

-- The spend marks replayed from the raw transactions: every output a stored spend input
-- names carries that input's txid and height, every other output none.  Returns the
-- number of unspent outputs.
CREATE FUNCTION wes.rebuild_utxos() RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
	WITH spent AS MATERIALIZED (
		SELECT x.outpoint, t.txid, t.block_height AS height
		FROM wes.transactions t CROSS JOIN LATERAL wes.tx_inputs(t.raw) x WHERE NOT x.reference),
	cleared AS (
		UPDATE wes.outputs o SET spent_by = NULL, spent_height = NULL
		WHERE o.spent_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM spent s WHERE s.outpoint = o.outpoint)
		RETURNING 1)
	UPDATE wes.outputs o SET spent_by = s.txid, spent_height = s.height
	FROM spent s
	WHERE o.outpoint = s.outpoint AND (o.spent_by, o.spent_height) IS DISTINCT FROM (s.txid, s.height);
	SELECT count(*) FROM wes.outputs o WHERE o.spent_height IS NULL;
END;
COMMENT ON FUNCTION wes.rebuild_utxos() IS
	'wes_replay_state: the spend marks of wes.outputs replayed from the raw transactions; returns the number of unspent outputs';

-- The chain-state row after a replay: accumulator, its root, the count, and the tip's hash from wes.blocks
CREATE FUNCTION wes.set_state(acc bytea, root bytea, n bigint) RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
	UPDATE wes.chain_state s
	SET accumulator = acc, state_root = root::wes_hash, utxo_count = n,
		hash = coalesce((SELECT b.hash FROM wes.blocks b WHERE b.height = s.height), s.hash);
END;
COMMENT ON FUNCTION wes.set_state(bytea, bytea, bigint) IS
	'wes_replay_state: store the recomputed accumulator, state root and UTXO count in the chain-state row';

CREATE FUNCTION wes_rebuild_indexes() RETURNS bigint
AS 'MODULE_PATHNAME', 'wes_rebuild_indexes'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_rebuild_indexes() IS
	'rebuild the derived tables from the raw blocks and transactions (outputs, inputs, transaction counts, receipt '
	'columns, the retained journal, the UTXO set) and REINDEX every table of schema wes; returns the rows written. '
	'Refuses (XX001) while a raw transaction does not match its txid: wes_repair() restores those first';

CREATE FUNCTION wes_replay_state() RETURNS wes_hash
AS 'MODULE_PATHNAME', 'wes_replay_state'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_replay_state() IS
	'rebuild the UTXO set by replaying the stored raw transactions (from genesis, or on top of the UTXOs imported '
	'below chain_state.base_height), recompute the LtHash accumulator, state root and UTXO count, and return the '
	'root. WE003 (nothing changed) when the result is not the tip block''s state_root';

CREATE FUNCTION wes_repair() RETURNS TABLE (action text, detail text)
AS 'MODULE_PATHNAME', 'wes_repair'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION wes_repair() IS
	'run wes_verify and apply the fixes its findings call for, one row per action: create_extension (amcheck), '
	'reindex (amcheck findings), restore_header_columns / restore_raw_header (a header column or the raw header, '
	'whichever the chain''s hash links confirm), restore_raw_transaction (raw bytes rebuilt from the transaction''s '
	'rows when they hash to its txid), rebuild_indexes, replay_state; then verifies again and reports what is left '
	'as unrepaired. No rows when wes_verify finds nothing';

REVOKE EXECUTE ON FUNCTION wes_rebuild_indexes() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_replay_state() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION wes_repair() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wes_rebuild_indexes() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_replay_state() TO wes_writer;
GRANT EXECUTE ON FUNCTION wes_repair() TO wes_writer;

-- The internal functions are reached only through the functions above
REVOKE EXECUTE ON FUNCTION wes.tx_outputs(bytea), wes.tx_inputs(bytea), wes.receipt_fields(bytea),
	wes.verify_outputs(bigint, bigint), wes.verify_inputs(bigint, bigint), wes.verify_spend_inputs(bigint, bigint),
	wes.verify_spend_inputs_by_key(bigint, bigint), wes.verify_spends(bigint, bigint, boolean),
	wes.verify_utxo_rows(), wes.verify_utxos(), wes.rebuild_rows(bigint), wes.rebuild_utxos(),
	wes.set_state(bytea, bytea, bigint) FROM PUBLIC;
