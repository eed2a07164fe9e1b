/*
 * snapshot_export.c
 *	  wes_snapshot_export(at_height bigint DEFAULT NULL) RETURNS SETOF bytea:
 *	  the snapshot file of docs/snapshot-format.md, in chunks of about 1 MiB.
 *
 * The records are the outputs alive at the end of the height asked (the tip by
 * default) in outpoint order: created at or below it, with no spend mark or a
 * spend above it, their encodings rebuilt from their columns; at a retained
 * snapshot's height, their LtHash must commit to the snapshot's state root.
 * Then the ids of the transactions up to that height that spent nothing
 * (PRIOR_TXIDS_SELECT), which rule 4 needs.  Nothing is written, so any wes_reader may
 * export, on a standby too.  Everything reads one snapshot of the database
 * (the function is STABLE), so a writer committing meanwhile changes nothing.
 */
#include "postgres.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

#include "wes_persist.h"
#include "spi_walk.h"
#include "wes_snapshot.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(wes_snapshot_export);

#define CHUNK_BYTES		(1024 * 1024)
#define FETCH_ROWS		10000

/* What the header says */
typedef struct SnapHeader
{
	int64		height;
	uint8		hash[WES_HASH_LEN];
	uint8		state_root[WES_HASH_LEN];
	int64		utxo_count;
} SnapHeader;

/* Where the file goes: chunks into the tuplestore, every byte through the checksum */
typedef struct ExportSink
{
	ReturnSetInfo *rsinfo;
	crypto_generichash_state hs;
	StringInfoData chunk;
} ExportSink;

/* Hand the pending bytes over as one chunk */
static void
sink_flush(ExportSink *s, bool checksummed)
{
	bytea	   *v;
	Datum		value;
	bool		isnull = false;

	if (s->chunk.len == 0)
		return;
	if (checksummed)
		crypto_generichash_update(&s->hs, (const uint8 *) s->chunk.data, s->chunk.len);
	v = palloc(VARHDRSZ + s->chunk.len);
	SET_VARSIZE(v, VARHDRSZ + s->chunk.len);
	memcpy(VARDATA(v), s->chunk.data, s->chunk.len);
	value = PointerGetDatum(v);
	tuplestore_putvalues(s->rsinfo->setResult, s->rsinfo->setDesc, &value, &isnull);
	pfree(v);
	resetStringInfo(&s->chunk);
}

static void
sink_put(ExportSink *s, const void *p, size_t n)
{
	appendBinaryStringInfo(&s->chunk, p, n);
}

static void
sink_put_u32(ExportSink *s, uint32 v)
{
	uint8		b[4];

	wes_put_u32(b, v);
	sink_put(s, b, 4);
}

static void
sink_put_u64(ExportSink *s, uint64 v)
{
	uint8		b[8];

	wes_put_u64(b, v);
	sink_put(s, b, 8);
}

/* The header of docs/snapshot-format.md */
static void
put_header(ExportSink *s, const SnapHeader *h)
{
	sink_put(s, WES_SNAP_MAGIC, WES_SNAP_MAGIC_LEN);
	sink_put_u32(s, WES_SNAP_VERSION);
	sink_put_u64(s, (uint64) h->height);
	sink_put(s, h->hash, WES_HASH_LEN);
	sink_put(s, h->state_root, WES_HASH_LEN);
	sink_put_u64(s, (uint64) h->utxo_count);
}

/* The header fields of the tip, or of the retained snapshot at at_height (WE006 when there is none) */
static void
read_header(SnapHeader *h, bool at_tip, int64 at_height)
{
	Oid			type = INT8OID;
	Datum		value = Int64GetDatum(at_height);
	HeapTuple	row;
	bool		isnull;

	if (at_tip)
		wes_spi_run("SELECT height, hash, state_root, utxo_count FROM wes.chain_state WHERE height IS NOT NULL",
					NULL, 0, NULL, NULL, NULL, true);
	else
		wes_spi_run("SELECT height, block_hash, state_root, utxo_count FROM wes.snapshots WHERE height = $1",
					NULL, 1, &type, &value, NULL, true);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 at_tip ? errmsg("cannot export a snapshot of an empty chain")
				 : errmsg("there is no retained snapshot at height " INT64_FORMAT, at_height),
				 at_tip ? 0 : errhint("wes_api.snapshots lists the snapshots kept.")));
	row = SPI_tuptable->vals[0];
	h->height = DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
	memcpy(h->hash, DatumGetWesHashP(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull))->data, WES_HASH_LEN);
	memcpy(h->state_root, DatumGetWesHashP(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull))->data, WES_HASH_LEN);
	h->utxo_count = DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 4, &isnull));
	SPI_freetuptable(SPI_tuptable);
}

/* A record: outpoint, created height and the output's encoding, rebuilt from its columns */
#define RECORDS_SELECT \
	"SELECT o.outpoint, o.height, wes.output_encoding(o.kind, o.owner, o.amount, o.ref, o.lock, o.data) " \
	"FROM wes.outputs o "

/* Open the cursor over the records alive at the end of at_height (the tip if at_tip), in outpoint order */
static Portal
open_records(bool at_tip, int64 at_height)
{
	Oid			type = INT8OID;
	Datum		value = Int64GetDatum(at_height);
	Portal		portal;

	if (at_tip)
		portal = SPI_cursor_open_with_args(NULL, RECORDS_SELECT "WHERE o.spent_height IS NULL ORDER BY o.outpoint",
										   0, NULL, NULL, NULL, true, 0);
	else
		portal = SPI_cursor_open_with_args(NULL, RECORDS_SELECT "WHERE o.height <= $1 "
										   "AND (o.spent_height IS NULL OR o.spent_height > $1) ORDER BY o.outpoint",
										   1, &type, &value, NULL, true, 0);
	if (portal == NULL)
		elog(ERROR, "could not open the snapshot cursor");
	return portal;
}

/* What put_record needs besides the row */
typedef struct RecordWalk
{
	ExportSink *s;
	wes_lthash *acc;
} RecordWalk;

/* One record (outpoint, created height, encoding) into the file, and into acc when there is one */
static void
put_record(HeapTuple row, TupleDesc desc, void *arg)
{
	RecordWalk *w = arg;
	ExportSink *s = w->s;
	bool		isnull;
	WesOutpoint *op = DatumGetWesOutpointP(SPI_getbinval(row, desc, 1, &isnull));
	int64		created = DatumGetInt64(SPI_getbinval(row, desc, 2, &isnull));
	bytea	   *enc = DatumGetByteaPP(SPI_getbinval(row, desc, 3, &isnull));
	uint32		index = wes_outpoint_get_index(op);
	uint32		len = VARSIZE_ANY_EXHDR(enc);

	sink_put(s, op->data, WES_HASH_LEN);
	sink_put_u32(s, index);
	sink_put_u64(s, (uint64) created);
	sink_put_u32(s, len);
	sink_put(s, VARDATA_ANY(enc), len);
	if (w->acc != NULL)
		wes_lthash_add(w->acc, op->data, index, (const uint8 *) VARDATA_ANY(enc), len);
	if (s->chunk.len >= CHUNK_BYTES)
		sink_flush(s, true);
}

/* Every record; returns how many, and their LtHash in acc */
static int64
put_records(ExportSink *s, Portal portal, wes_lthash *acc)
{
	RecordWalk	w = {s, acc};

	return (int64) wes_spi_walk(portal, FETCH_ROWS, put_record, &w);
}

/*
 * The ids of the transactions at or below $1 that spent nothing (no input, or
 * references only), with those an imported snapshot brought (wes.prior_txids),
 * in ascending order: rule 4's part of the file.  Transactions without inputs
 * are found through their partial index (transactions_mint_idx); those with
 * references only, through the references' (inputs_reference_idx).  Those with an output still in the
 * set are listed too: a database started from this file may outlive that
 * output, and could not tell then that the transaction spent nothing.
 */
#define PRIOR_TXIDS_SELECT \
	"SELECT t.txid FROM wes.transactions t WHERE t.input_count = 0 AND t.block_height <= $1 " \
	"UNION ALL " \
	"SELECT t.txid FROM (SELECT i.height, i.tx_index, count(*) AS n FROM wes.inputs i " \
	"                    WHERE i.reference AND i.height <= $1 GROUP BY i.height, i.tx_index) r " \
	"JOIN wes.transactions t ON t.block_height = r.height AND t.tx_index = r.tx_index AND t.input_count = r.n " \
	"UNION ALL " \
	"SELECT p.txid FROM wes.prior_txids p ORDER BY 1"

/* Where the ids go until they are counted: a tuplestore, on disk past work_mem */
typedef struct IdStore
{
	Tuplestorestate *store;
	TupleDesc	desc;
} IdStore;

/* One id of the list, into the store */
static void
keep_txid(HeapTuple row, TupleDesc desc, void *arg)
{
	tuplestore_puttuple(((IdStore *) arg)->store, row);
}

/* txid_count, then the ids of PRIOR_TXIDS_SELECT at height, kept in a tuplestore until counted */
static void
put_prior_txids(ExportSink *s, int64 height)
{
	Oid			type = INT8OID;
	Datum		value = Int64GetDatum(height);
	IdStore		ids = {tuplestore_begin_heap(false, false, work_mem), NULL};
	TupleTableSlot *slot;
	Portal		portal;
	bool		isnull;

	portal = SPI_cursor_open_with_args(NULL, PRIOR_TXIDS_SELECT, 1, &type, &value, NULL, true, 0);
	if (portal == NULL)
		elog(ERROR, "could not open the cursor of the snapshot's transaction ids");
	ids.desc = CreateTupleDescCopy(portal->tupDesc);
	sink_put_u64(s, wes_spi_walk(portal, FETCH_ROWS, keep_txid, &ids));
	SPI_cursor_close(portal);
	slot = MakeSingleTupleTableSlot(ids.desc, &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(ids.store, true, false, slot))
	{
		sink_put(s, DatumGetWesHashP(slot_getattr(slot, 1, &isnull))->data, WES_HASH_LEN);
		if (s->chunk.len >= CHUNK_BYTES)
			sink_flush(s, true);
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_end(ids.store);
}

/* A historical set must be the one the snapshot committed to */
static void
check_records(const SnapHeader *h, int64 n, const wes_lthash *acc)
{
	uint8		root[WES_HASH_LEN];

	if (n != h->utxo_count)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the UTXO set at height " INT64_FORMAT " has " INT64_FORMAT " outputs, its snapshot says " INT64_FORMAT,
						h->height, n, h->utxo_count)));
	if (acc == NULL)
		return;
	wes_lthash_root(acc, root);
	if (memcmp(root, h->state_root, WES_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the UTXO set rebuilt at height " INT64_FORMAT " does not commit to its state root", h->height),
				 errdetail("It commits to %s, the snapshot to %s; run wes_verify().",
						   wes_hex_encode(root, WES_HASH_LEN), wes_hex_encode(h->state_root, WES_HASH_LEN))));
}

/* wes_snapshot_export(at_height bigint DEFAULT NULL) RETURNS SETOF bytea */
Datum
wes_snapshot_export(PG_FUNCTION_ARGS)
{
	bool		at_tip = PG_ARGISNULL(0);
	int64		at_height = at_tip ? -1 : PG_GETARG_INT64(0);
	ExportSink	s;
	SnapHeader	h;
	wes_lthash	acc;
	uint8		checksum[WES_HASH_LEN];
	Portal		portal;
	int64		n;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	s.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	crypto_generichash_init(&s.hs, NULL, 0, WES_HASH_LEN);
	initStringInfo(&s.chunk);
	enlargeStringInfo(&s.chunk, CHUNK_BYTES + 1024);
	wes_lthash_init(&acc);

	wes_check_extension_version();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	read_header(&h, at_tip, at_height);
	put_header(&s, &h);
	portal = open_records(at_tip, h.height);
	n = put_records(&s, portal, at_tip ? NULL : &acc);
	SPI_cursor_close(portal);
	put_prior_txids(&s, h.height);
	SPI_finish();
	check_records(&h, n, at_tip ? NULL : &acc);

	sink_flush(&s, true);
	crypto_generichash_final(&s.hs, checksum, WES_HASH_LEN);
	sink_put(&s, checksum, WES_HASH_LEN);
	sink_flush(&s, false);
	return (Datum) 0;
}
