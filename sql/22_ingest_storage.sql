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
