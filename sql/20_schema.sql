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
-- The transactions without inputs (mints), which a snapshot file lists for rule 4
-- (docs/snapshot-format.md): found without reading the table.  A chain that mints once
-- a block adds one entry a block, at the index's right edge.
CREATE INDEX transactions_mint_idx ON wes.transactions (block_height) INCLUDE (txid) WHERE input_count = 0;
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

-- Rule 4 on a chain started from a snapshot: the ids of the transactions before it that
-- spent nothing (docs/snapshot-format.md).  No other table of this database knows them
-- all, and only such a transaction can be written again.
CREATE TABLE wes.prior_txids (
	txid         wes_hash PRIMARY KEY
);
COMMENT ON TABLE wes.prior_txids IS 'ids of the transactions below the snapshot this chain starts from that spent nothing (no input, or references only): written again, they break rule 4 (WE005); empty on a chain that holds its whole history';

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
SELECT pg_catalog.pg_extension_config_dump('wes.prior_txids', '');

-- u64 fields are stored as bigint bit patterns
CREATE FUNCTION wes.u64(v bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN v < 0 THEN v::numeric + 18446744073709551616 ELSE v::numeric END;
COMMENT ON FUNCTION wes.u64(bigint) IS 'the unsigned value of a u64 stored as a bigint bit pattern';

REVOKE ALL ON ALL TABLES IN SCHEMA wes FROM PUBLIC;
REVOKE ALL ON SCHEMA wes FROM PUBLIC;
