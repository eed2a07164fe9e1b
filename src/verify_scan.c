/*
 * verify_scan.c
 *	  The transactions of a range of heights with their receipts, read
 *	  straight from the table (not through SQL) for the chain check, which
 *	  reads every transaction once.
 *
 * Transactions come through their index transactions_block_idx, in
 * (block_height, tx_index) order; a transaction's receipt is in its row.
 *
 * Every read is on the snapshot the checks' SQL statements use (see
 * wes_verify_snapshot_push).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "verify.h"

/*
 * The snapshot for direct reads, pushed as the active one: the caller's in
 * read-only mode (as SPI's read-only statements use it), else a new one that
 * sees what the repair functions wrote before (as read-write SPI takes).
 */
Snapshot
wes_verify_snapshot_push(void)
{
	if (wes_spi_is_read_only() && ActiveSnapshotSet())
		PushActiveSnapshot(GetActiveSnapshot());
	else
	{
		CommandCounterIncrement();
		PushActiveSnapshot(GetTransactionSnapshot());
		UpdateActiveSnapshotCommandId();
	}
	return GetActiveSnapshot();
}

/* The table or index wes.name, under AccessShareLock; an index must be valid to be read */
Relation
wes_verify_open(const char *name, bool index)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("wes", false));
	Relation	rel;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("relation wes.%s does not exist", name),
				 errhint("wes_verify reads it; reinstall the extension or restore it.")));
	if (!index)
		return table_open(relid, AccessShareLock);
	rel = index_open(relid, AccessShareLock);
	if (!rel->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index wes.%s is not valid", name),
				 errhint("REINDEX INDEX wes.%s, then run wes_verify again.", name)));
	return rel;
}

/* The attribute number of column name of rel */
static AttrNumber
column(Relation rel, const char *name)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "column %s of wes.%s does not exist", name, RelationGetRelationName(rel));
	return att;
}

/* Open the tables and indexes; the ranges are set by wes_txscan_range */
void
wes_txscan_begin(WesTxScan *s, Snapshot snapshot)
{
	memset(s, 0, sizeof(*s));
	s->cxt = CurrentMemoryContext;
	s->snapshot = snapshot;
	s->tx = wes_verify_open("transactions", false);
	s->tx_idx = wes_verify_open("transactions_block_idx", true);
	s->a_height = column(s->tx, "block_height");
	s->a_index = column(s->tx, "tx_index");
	s->a_txid = column(s->tx, "txid");
	s->a_inputs = column(s->tx, "input_count");
	s->a_outputs = column(s->tx, "output_count");
	s->a_raw = column(s->tx, "raw");
	s->a_status = column(s->tx, "status");
	s->a_fee = column(s->tx, "fee");
	s->a_receipt = column(s->tx, "receipt");
	s->tx_slot = table_slot_create(s->tx, NULL);
	s->tx_scan = index_beginscan(s->tx, s->tx_idx, snapshot, 2, 0);
}

/* The transactions of heights lo..hi next */
void
wes_txscan_range(WesTxScan *s, int64 lo, int64 hi)
{
	ScanKeyInit(&s->tx_keys[0], 1, BTGreaterEqualStrategyNumber, F_INT8GE, Int64GetDatum(lo));
	ScanKeyInit(&s->tx_keys[1], 1, BTLessEqualStrategyNumber, F_INT8LE, Int64GetDatum(hi));
	index_rescan(s->tx_scan, s->tx_keys, 2, NULL, 0);
}

/*
 * The next transaction of the range with its receipt, read into t; false at
 * the end.  The scans run in the memory context they were opened in (an
 * index scan keeps what it allocates on the way); only the values of t are
 * in the caller's (detoasted when need be), and they point into the slots,
 * so they hold until the next call.
 */
bool
wes_txscan_next(WesTxScan *s, WesTxRow *t)
{
	TupleTableSlot *slot = s->tx_slot;
	MemoryContext rowcxt = MemoryContextSwitchTo(s->cxt);
	bool		found = index_getnext_slot(s->tx_scan, ForwardScanDirection, slot);

	if (found)
		slot_getallattrs(slot);
	MemoryContextSwitchTo(rowcxt);
	if (!found)
		return false;
	memcpy(t->txid, DatumGetPointer(slot->tts_values[s->a_txid - 1]), WES_HASH_LEN);
	t->height = DatumGetInt64(slot->tts_values[s->a_height - 1]);
	t->index = DatumGetInt32(slot->tts_values[s->a_index - 1]);
	t->input_count = DatumGetInt32(slot->tts_values[s->a_inputs - 1]);
	t->output_count = DatumGetInt32(slot->tts_values[s->a_outputs - 1]);
	t->raw = DatumGetByteaPP(slot->tts_values[s->a_raw - 1]);
	t->status = DatumGetInt16(slot->tts_values[s->a_status - 1]);
	t->fee = DatumGetInt64(slot->tts_values[s->a_fee - 1]);
	t->receipt = DatumGetByteaPP(slot->tts_values[s->a_receipt - 1]);
	return true;
}

/* Close everything wes_txscan_begin opened */
void
wes_txscan_end(WesTxScan *s)
{
	index_endscan(s->tx_scan);
	ExecDropSingleTupleTableSlot(s->tx_slot);
	index_close(s->tx_idx, AccessShareLock);
	table_close(s->tx, AccessShareLock);
}
