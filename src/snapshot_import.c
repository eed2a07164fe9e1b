/*
 * snapshot_import.c
 *	  Start an empty database from a snapshot file (docs/snapshot-format.md),
 *	  as Bitcoin Core's assumeutxo does:
 *
 *	  wes_snapshot_import(file bytea)  the whole file in one call (up to 1 GB);
 *	      its lengths and checksum are checked before the first write
 *	  wes_snapshot_import_begin(), wes_snapshot_import_append(chunk bytea) ...,
 *	  wes_snapshot_import_finish()  the file in chunks cut anywhere, in one
 *	      transaction block, so that a file of any size can be sent
 *
 * Both lock the chain-state row and check that the chain is empty (WE006),
 * read the records as they come (snapshot_import_parse.c), and write them
 * heap-first with the indexes built at the end (snapshot_import_store.c).
 * Every check that fails is an error, and an import lives in its transaction:
 * a transaction that began one commits only once it is finished, and any
 * failure or rolled-back savepoint on the way leaves nothing but rollback, so
 * a failed import leaves no trace.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/memutils.h"

#include "snapshot_import.h"
#include "wes_persist.h"

PG_FUNCTION_INFO_V1(wes_snapshot_import);
PG_FUNCTION_INFO_V1(wes_snapshot_import_begin);
PG_FUNCTION_INFO_V1(wes_snapshot_import_append);
PG_FUNCTION_INFO_V1(wes_snapshot_import_finish);

/* The import of this transaction, if one began (in TopTransactionContext) */
static WesSnapImport *current = NULL;

/* A transaction that began an import commits only after wes_snapshot_import_finish() */
static void
import_xact_callback(XactEvent event, void *arg)
{
	if (current == NULL)
		return;
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT
		|| event == XACT_EVENT_PRE_PREPARE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a snapshot import is not finished: the transaction cannot commit"),
				 errhint("Call wes_snapshot_import_finish() before COMMIT, or roll back.")));
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE
		|| event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PARALLEL_COMMIT)
		current = NULL;			/* its memory goes with the transaction's */
}

/*
 * A savepoint rolled back over the import's beginning undoes all of it (the
 * subtransactions that began later are inside that one); one rolled back over
 * some of its writes leaves it incomplete
 */
static void
import_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (current == NULL || event != SUBXACT_EVENT_ABORT_SUB)
		return;
	if (current->begin_subxid >= mySubid)
	{
		MemoryContextDelete(current->cxt);
		current = NULL;
	}
	else if (current->write_subxid >= mySubid)
		current->broken = true;
}

/* Only an empty database takes a snapshot (WE006); SPI connected */
static void
check_empty(bool at_finish)
{
	WesBlockWork *w = palloc0(sizeof(WesBlockWork));
	bool		isnull;

	wes_writer_lock_tip(w);
	wes_spi_run(at_finish ? "SELECT EXISTS (SELECT FROM wes.blocks) OR EXISTS (SELECT FROM wes.transactions)"
				: "SELECT EXISTS (SELECT FROM wes.blocks) OR EXISTS (SELECT FROM wes.outputs) "
				"OR EXISTS (SELECT FROM wes.transactions) OR EXISTS (SELECT FROM wes.prior_txids)",
				NULL, 0, NULL, NULL, NULL, true);
	if (w->has_tip || w->base_height != 0
		|| DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 errmsg("a snapshot can be imported only into an empty chain"),
				 w->has_tip ? errdetail("The tip is at height " INT64_FORMAT ".", w->tip_height) : 0,
				 errhint("Import into a database where wes_persist was just created.")));
}

void
wes_snapshot_import_refuse(const char *what)
{
	if (current != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s cannot run while a snapshot import is in progress in this transaction", what),
				 errdetail("The import checks the records it is sent, not what another write would leave of them."),
				 errhint("Call wes_snapshot_import_finish() first, or roll the transaction back.")));
}

/* Lock the tip, check the chain is empty, and set up this transaction's import */
static WesSnapImport *
import_begin(void)
{
	static bool registered = false;
	MemoryContext cxt;
	WesSnapImport *s;

	if (current != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a snapshot import is already in progress in this transaction")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_empty(false);
	SPI_finish();
	if (!registered)
	{
		RegisterXactCallback(import_xact_callback, NULL);
		RegisterSubXactCallback(import_subxact_callback, NULL);
		registered = true;
	}
	cxt = AllocSetContextCreate(TopTransactionContext, "wes_snapshot_import", ALLOCSET_DEFAULT_SIZES);
	s = MemoryContextAllocZero(cxt, sizeof(WesSnapImport));
	s->cxt = cxt;
	s->sum = (crypto_generichash_state *)
		TYPEALIGN(64, MemoryContextAlloc(cxt, sizeof(crypto_generichash_state) + 64));
	crypto_generichash_init(s->sum, NULL, 0, WES_HASH_LEN);
	wes_lthash_init(&s->acc);
	s->begin_subxid = s->write_subxid = GetCurrentSubTransactionId();
	current = s;
	return s;
}

/* The import of this transaction, in a state to take more */
static WesSnapImport *
import_current(void)
{
	if (current == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no snapshot import is in progress in this transaction"),
				 errhint("Call wes_snapshot_import_begin() first, in the same transaction block.")));
	if (current->broken)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the snapshot import of this transaction failed part-way"),
				 errhint("Roll the transaction back and start again.")));
	current->write_subxid = Max(current->write_subxid, GetCurrentSubTransactionId());
	current->broken = true;		/* until the call returns */
	return current;
}

/* Check the end of the file, build the indexes, move the tip; the import's result row */
static Datum
import_finish(WesSnapImport *s, FunctionCallInfo fcinfo)
{
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "a snapshot import must return a row");
	wes_snap_end(s);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	check_empty(true);
	wes_snap_build_indexes();
	wes_snap_store_tip(s);
	SPI_finish();

	values[0] = Int64GetDatum(s->height);
	values[1] = PointerGetDatum(wes_hash_from_bytes(s->hash));
	values[2] = PointerGetDatum(wes_hash_from_bytes(s->state_root));
	values[3] = Int64GetDatum(s->count);
	current = NULL;
	MemoryContextDelete(s->cxt);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

/* The checks a whole file allows before its first record: header, lengths, checksum */
static void
check_whole_file(WesSnapImport *s, const uint8 *buf, size_t len)
{
	uint8		sum[WES_HASH_LEN];

	if (len < WES_SNAP_HEADER_LEN + 8 + WES_HASH_LEN)
		wes_snap_bad_file(len, psprintf("%zu bytes are shorter than a header, a txid_count and a checksum", len));
	wes_snap_check_magic(buf);
	wes_hash(buf, len - WES_HASH_LEN, sum);
	if (memcmp(sum, buf + len - WES_HASH_LEN, WES_HASH_LEN) != 0)
		wes_snap_bad_file(len - WES_HASH_LEN, "the checksum does not match the file");
	wes_snap_read_header(s, buf);
	s->have_header = false;		/* read again from the stream */
	if ((uint64) s->count > (len - WES_SNAP_HEADER_LEN - 8 - WES_HASH_LEN) / WES_SNAP_RECORD_MIN)
		wes_snap_bad_file(WES_SNAP_HEADER_LEN - 8, psprintf("utxo_count " INT64_FORMAT " does not fit in the file",
															s->count));
	s->sum_checked = true;
}

/*
 * wes_snapshot_import(file bytea) RETURNS TABLE (height, block_hash, state_root,
 * utxo_count): the chain now starts at the snapshot
 */
Datum
wes_snapshot_import(PG_FUNCTION_ARGS)
{
	bytea	   *file;
	WesSnapImport *s;

	wes_require_arg(fcinfo, 0, "file");
	file = PG_GETARG_BYTEA_PP(0);
	if (current != NULL)
		(void) import_current();	/* refuses: one import a transaction */
	s = import_begin();
	check_whole_file(s, (const uint8 *) VARDATA_ANY(file), VARSIZE_ANY_EXHDR(file));
	wes_snap_feed(s, (const uint8 *) VARDATA_ANY(file), VARSIZE_ANY_EXHDR(file));
	PG_RETURN_DATUM(import_finish(s, fcinfo));
}

/* wes_snapshot_import_begin() RETURNS void: an import in chunks starts in this transaction block */
Datum
wes_snapshot_import_begin(PG_FUNCTION_ARGS)
{
	if (!IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("wes_snapshot_import_begin() must be called inside a transaction block"),
				 errhint("BEGIN; wes_snapshot_import_begin(); wes_snapshot_import_append(chunk) ...; "
						 "wes_snapshot_import_finish(); COMMIT.")));
	(void) import_begin();
	PG_RETURN_VOID();
}

/* wes_snapshot_import_append(chunk bytea) RETURNS bigint: the next bytes of the file; records read so far */
Datum
wes_snapshot_import_append(PG_FUNCTION_ARGS)
{
	bytea	   *chunk;
	WesSnapImport *s;

	wes_require_arg(fcinfo, 0, "chunk");
	chunk = PG_GETARG_BYTEA_PP(0);
	s = import_current();

	wes_snap_feed(s, (const uint8 *) VARDATA_ANY(chunk), VARSIZE_ANY_EXHDR(chunk));
	s->broken = false;
	PG_RETURN_INT64(s->done);
}

/* wes_snapshot_import_finish() RETURNS TABLE (height, block_hash, state_root, utxo_count) */
Datum
wes_snapshot_import_finish(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(import_finish(import_current(), fcinfo));
}
