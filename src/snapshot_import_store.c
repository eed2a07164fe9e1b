/*
 * snapshot_import_store.c
 *	  What an import writes.  The records go to the heap of wes.outputs (no
 *	  spend mark) as the writer puts rows in (multi-insert, writer_rel.c), but
 *	  without index entries: the table was empty, so once every record is in,
 *	  each of its indexes is built in one sorted pass over its table, as
 *	  CREATE INDEX after a bulk load does (reindex_relation: a new index file
 *	  filled bottom-up, transactional, so an aborted import leaves the old empty
 *	  one).  That takes an ACCESS EXCLUSIVE lock on those indexes until the
 *	  transaction ends: readers of the table wait for the import to commit
 *	  and then see all of it.  Then the chain-state row moves to the snapshot's
 *	  height with base_height = height + 1, and a snapshot row records where the
 *	  database started.  The file's transaction ids go to wes.prior_txids as
 *	  they arrive, a statement per chunk of the file (of at most 65536 ids).
 */
#include "postgres.h"

#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "snapshot_import.h"
#include "wes_persist.h"

/* A copy of the outpoint living as long as the table's pending rows */
static Datum
outpoint_datum(WesRel *r, const WesOutpoint *op)
{
	WesOutpoint *copy = MemoryContextAlloc(r->rowcxt, sizeof(WesOutpoint));

	*copy = *op;
	return PointerGetDatum(copy);
}

/*
 * One record: a wes.outputs row without a spend mark, heap only.  The owner and
 * ref point into the caller's buffer, which outlives the rows' flush
 * (wes_writer_rels_close).
 */
void
wes_snap_store_record(WesWriterRels *rels, const WesOutpoint *op, int64 created, const wes_output *out)
{
	WesRel	   *outputs = &rels->rel[WES_TABLE_OUTPUTS];
	TupleTableSlot *slot = wes_writer_row(outputs);

	wes_writer_output_row(outputs, slot, outpoint_datum(outputs, op), created, out, NULL, 0);
	wes_writer_row_done(outputs);
}

/* n transaction ids (32 bytes each, ascending) into wes.prior_txids, in one statement */
void
wes_snap_store_prior_txids(const uint8 *ids, int n)
{
	const WesWriterTypes *t = wes_writer_types();
	Datum	   *elems = palloc(n * sizeof(Datum));
	Oid			type = t->hash_array;
	Datum		arg;

	for (int i = 0; i < n; i++)
		elems[i] = PointerGetDatum(ids + i * WES_HASH_LEN);
	arg = PointerGetDatum(construct_array(elems, n, t->hash, WES_HASH_LEN, false, TYPALIGN_CHAR));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	wes_spi_run("INSERT INTO wes.prior_txids (txid) SELECT unnest($1)", NULL, 1, &type, &arg, NULL, false);
	SPI_finish();
	pfree(DatumGetPointer(arg));
	pfree(elems);
}

/* Every index of wes.outputs, built from its rows in one sorted pass */
void
wes_snap_build_indexes(void)
{
	Oid			relid = get_relname_relid("outputs", get_namespace_oid("wes", false));
	ReindexParams params = {0};

	if (!OidIsValid(relid))
		elog(ERROR, "table wes.outputs not found");
	(void) reindex_relation(relid, 0, &params);
	CommandCounterIncrement();
}

/* The tip moves to the snapshot; a snapshot row records where the database started */
void
wes_snap_store_tip(const WesSnapImport *s)
{
	const WesWriterTypes *t = wes_writer_types();
	bytea	   *bytes = palloc(VARHDRSZ + WES_LTHASH_BYTES);
	Oid			types[5] = {INT8OID, t->hash, t->hash, BYTEAOID, INT8OID};
	Datum		v[5];

	SET_VARSIZE(bytes, VARHDRSZ + WES_LTHASH_BYTES);
	wes_lthash_to_bytes(&s->acc, (uint8 *) VARDATA(bytes));
	v[0] = Int64GetDatum(s->height);
	v[1] = PointerGetDatum(s->hash);
	v[2] = PointerGetDatum(s->state_root);
	v[3] = PointerGetDatum(bytes);
	v[4] = Int64GetDatum(s->count);
	if (wes_spi_run("UPDATE wes.chain_state SET height = $1, hash = $2, state_root = $3, accumulator = $4, "
					"utxo_count = $5, base_height = $1 + 1", NULL, 5, types, v, NULL, false) != 1)
		wes_report_chain_state_damaged("it does not hold exactly one row");
	wes_spi_run("INSERT INTO wes.snapshots (height, block_hash, state_root, utxo_count, accumulator, automatic) "
				"VALUES ($1, $2, $3, $5, $4, false)", NULL, 5, types, v, NULL, false);
}
