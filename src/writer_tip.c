/*
 * writer_tip.c
 *	  The chain-state row: locked before anything of a block is checked against
 *	  the chain, compared with the block's height and prev_hash (rule 2), and
 *	  moved to the new tip once the block is written.
 *
 * The lock is a row lock (SELECT ... FOR UPDATE) on the one chain_state row,
 * taken before any other table is read.  A second writer of the same height
 * waits on it; when the first commits, READ COMMITTED re-reads the row's new
 * version, so the second sees the new tip and fails with WE001.  Every writer
 * takes this lock first, so writers never deadlock.  Under REPEATABLE READ or
 * SERIALIZABLE the second writer gets 40001 (could not serialize access due
 * to concurrent update) instead and must retry in a new transaction.
 */
#include "postgres.h"

#include "fmgr.h"

#include "writer.h"

static const uint8 zero_hash[WES_HASH_LEN];

/* Lock the chain-state row and read the tip and the accumulator */
void
wes_writer_lock_tip(WesBlockWork *w)
{
	TupleDesc	desc;
	HeapTuple	row;
	bool		isnull;
	Datum		d;
	bytea	   *acc;

	if (wes_writer_exec(WES_PLAN_LOCK_TIP, NULL, NULL) != 1)
		wes_report_chain_state_damaged("it does not hold exactly one row");
	desc = SPI_tuptable->tupdesc;
	row = SPI_tuptable->vals[0];

	d = SPI_getbinval(row, desc, 1, &isnull);
	w->has_tip = !isnull;
	w->tip_height = isnull ? -1 : DatumGetInt64(d);
	d = SPI_getbinval(row, desc, 2, &isnull);
	if (w->has_tip && isnull)
		wes_report_chain_state_damaged("it has a height but no hash");
	memcpy(w->tip_hash, isnull ? zero_hash : DatumGetWesHashP(d)->data, WES_HASH_LEN);

	acc = DatumGetByteaPP(SPI_getbinval(row, desc, 3, &isnull));
	if (VARSIZE_ANY_EXHDR(acc) != WES_LTHASH_BYTES)
		wes_report_chain_state_damaged(psprintf("its accumulator is %zu bytes, not %d",
												VARSIZE_ANY_EXHDR(acc), WES_LTHASH_BYTES));
	wes_lthash_from_bytes(&w->acc, (const uint8 *) VARDATA_ANY(acc));

	w->base_height = DatumGetInt64(SPI_getbinval(row, desc, 4, &isnull));
	w->utxo_count = DatumGetInt64(SPI_getbinval(row, desc, 5, &isnull));
	SPI_freetuptable(SPI_tuptable);
}

/* Rule 2: the block is the tip's successor (WE001) and names the tip's hash (WE002) */
void
wes_writer_check_order(const WesBlockWork *w)
{
	const wes_header *h = &w->block.header;
	int64		expected;
	unsigned long long height = (unsigned long long) h->height;

	/* heights are bigint: the tip at 2^63-1 has no successor (a snapshot may put it there) */
	if (w->has_tip && w->tip_height == PG_INT64_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_WES_HEIGHT_ORDER),
				 errmsg("block height %llu cannot follow the tip at height " INT64_FORMAT, height, w->tip_height),
				 errdetail("No height above 2^63-1 can be stored.")));
	expected = w->has_tip ? w->tip_height + 1 : w->base_height;
	if (h->height != (uint64) expected)
	{
		const char *why;

		/* below base_height: a snapshot stands for those blocks, none was written here */
		if (h->height < (uint64) w->base_height)
			why = "is below the first height this database accepts";
		else if (h->height < (uint64) expected)
			why = "is already written";
		else
			why = "leaves a gap after the tip";
		ereport(ERROR,
				(errcode(ERRCODE_WES_HEIGHT_ORDER),
				 errmsg("block height %llu %s", height, why),
				 errdetail("The next block must have height " INT64_FORMAT ".", expected)));
	}
	if (memcmp(h->prev_hash, w->tip_hash, WES_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WES_PREV_HASH),
				 errmsg("prev_hash of block %llu is not the hash of the tip", height),
				 errdetail("Expected %s, given %s.",
						   wes_hex_encode(w->tip_hash, WES_HASH_LEN),
						   wes_hex_encode(h->prev_hash, WES_HASH_LEN))));
}

/* Move the chain-state row to the block just written */
void
wes_writer_store_tip(const WesBlockWork *w)
{
	const wes_block *b = &w->block;
	bytea	   *acc = palloc(VARHDRSZ + WES_LTHASH_BYTES);
	Datum		values[5];

	SET_VARSIZE(acc, VARHDRSZ + WES_LTHASH_BYTES);
	wes_lthash_to_bytes(&w->acc, (uint8 *) VARDATA(acc));
	values[0] = Int64GetDatum((int64) b->header.height);
	values[1] = PointerGetDatum(b->hash);
	values[2] = PointerGetDatum(b->header.state_root);
	values[3] = PointerGetDatum(acc);
	values[4] = Int64GetDatum(w->utxo_count);
	if (wes_writer_exec(WES_PLAN_UPDATE_TIP, values, NULL) != 1)
		wes_report_chain_state_damaged("it does not hold exactly one row");
}
