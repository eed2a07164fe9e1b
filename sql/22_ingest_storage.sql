-- ---------------------------------------------------------------------------
-- Storage settings for ingest.  The journal's outpoint arrays and the
-- accumulator are random bytes: stored out of line without trying to
-- compress them.  wes.utxos churns (every spend deletes a row): vacuumed
-- often so that its heap and indexes stay the size of the live set.
-- ---------------------------------------------------------------------------
ALTER TABLE wes.journal ALTER COLUMN created SET STORAGE EXTERNAL;
ALTER TABLE wes.journal ALTER COLUMN spent SET STORAGE EXTERNAL;
ALTER TABLE wes.chain_state ALTER COLUMN accumulator SET STORAGE EXTERNAL;
ALTER TABLE wes.utxos SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 50000,
						   autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 50000);
