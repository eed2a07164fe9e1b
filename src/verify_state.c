/*
 * verify_state.c
 *	  The state commitment recomputed from scratch: one full scan of the unspent outputs
 *	  adds every row's LtHash element (txid || u32 index || encoding) to an
 *	  empty accumulator.  The result must equal chain_state.accumulator, its
 *	  hash chain_state.state_root and the state_root of the tip block's header,
 *	  and the rows must number chain_state.utxo_count.  The same scan gives
 *	  wes_replay_state its new accumulator.  When the chain check has read
 *	  wes.outputs by a sequential scan, that scan summed the UTXO rows on the
 *	  way (wes_utxo_sum_add) and the check uses its sum.
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "spi_walk.h"
#include "verify.h"
#include "writer.h"

#define FETCH_ROWS	5000

/* An empty sum */
void
wes_utxo_sum_init(WesUtxoSum *u)
{
	wes_lthash_init(&u->acc);
	u->count = 0;
	memset(&u->outpoints, 0, sizeof(u->outpoints));
	u->columns_agree = true;
}

/*
 * One UTXO row into the sum: its LtHash element, its outpoint, and its
 * columns against its own encoding (the output's exact bytes).  A row whose
 * columns disagree is a finding when f is set; columns_agree says so either way.
 */
void
wes_utxo_sum_add(WesUtxoSum *u, WesFindings *f, const WesUtxoRow *row)
{
	wes_output	o;
	wes_error	err;
	const WesOutpoint *op = row->outpoint;

	wes_lthash_add(&u->acc, op->data, wes_outpoint_get_index(op), row->enc, row->enc_len);
	wes_digest_add(&u->outpoints, op->data, WES_OUTPOINT_LEN, 1);
	u->count++;
	if (wes_output_decode(row->enc, row->enc_len, &o, &err) != WES_OK)
	{
		u->columns_agree = false;
		if (f != NULL)
			wes_finding(f, "utxo_columns", WES_NO_HEIGHT, "UTXO %s: its encoding does not decode: %s at byte offset %zu: %s",
						wes_outpoint_text(op), err.field, err.offset, err.message);
		return;
	}
	if (memcmp(o.owner, row->owner, WES_ADDR_LEN) != 0 || o.kind != row->kind ||
		memcmp(o.ref, row->ref, WES_HASH_LEN) != 0 || (int64) o.amount != row->amount)
	{
		u->columns_agree = false;
		if (f != NULL)
			wes_finding(f, "utxo_columns", WES_NO_HEIGHT,
						"UTXO %s: owner, kind, ref or amount disagrees with its encoding", wes_outpoint_text(op));
	}
}

/* What each UTXO row adds to */
typedef struct UtxoWalk
{
	WesFindings *f;
	WesUtxoSum *sum;
} UtxoWalk;

static void
utxo_row(HeapTuple row, TupleDesc desc, void *arg)
{
	UtxoWalk   *w = arg;
	bool		isnull;
	bytea	   *enc = DatumGetByteaPP(SPI_getbinval(row, desc, 6, &isnull));
	WesUtxoRow	u;

	u.outpoint = DatumGetWesOutpointP(SPI_getbinval(row, desc, 1, &isnull));
	u.owner = (const uint8 *) DatumGetPointer(SPI_getbinval(row, desc, 2, &isnull));
	u.kind = DatumGetInt16(SPI_getbinval(row, desc, 3, &isnull));
	u.ref = (const uint8 *) DatumGetPointer(SPI_getbinval(row, desc, 4, &isnull));
	u.amount = DatumGetInt64(SPI_getbinval(row, desc, 5, &isnull));
	u.enc = (const uint8 *) VARDATA_ANY(enc);
	u.enc_len = VARSIZE_ANY_EXHDR(enc);
	wes_utxo_sum_add(w->sum, w->f, &u);
}

/*
 * The sum of the wes.outputs rows that match where (which uses $1, an int8,
 * when arg is not NULL) by a scan of their own; when f is not NULL, every row
 * whose columns disagree with its encoding is a finding.
 */
static void
sum_outputs(WesFindings *f, WesUtxoSum *sum, const char *where, const int64 *arg)
{
	Oid			type = INT8OID;
	Datum		value = arg != NULL ? Int64GetDatum(*arg) : (Datum) 0;
	Portal		portal = SPI_cursor_open_with_args(NULL, psprintf("SELECT outpoint, owner, kind, ref, amount, "
																  "wes.output_encoding(kind, owner, amount, ref, lock, data) "
																  "FROM wes.outputs WHERE %s", where),
												   arg != NULL ? 1 : 0, &type, &value, NULL, wes_spi_is_read_only(), 0);
	UtxoWalk	w = {f, sum};

	wes_utxo_sum_init(sum);
	wes_spi_walk(portal, FETCH_ROWS, utxo_row, &w);
	SPI_cursor_close(portal);
}

/* The sum of the UTXO set (the outputs without a spend mark) by its own scan */
void
wes_utxo_scan(WesFindings *f, WesUtxoSum *sum)
{
	sum_outputs(f, sum, "spent_height IS NULL", NULL);
}

/*
 * The outputs a snapshot file brought (below chain_state.base_height) against
 * the snapshot they came as, whose wes.snapshots row retention keeps: spent
 * since or not, they must number its utxo_count and sum to its accumulator.
 * No raw transaction holds them, and the state commitment covers only those
 * still unspent, so this is the one check of those a later block spent (a
 * rollback below that block puts them back).
 */
static void
check_snapshot_outputs(WesFindings *f, const WesVerifyRange *r)
{
	int64		h = r->base - 1;
	uint8		stored[WES_LTHASH_BYTES];
	uint8		summed[WES_LTHASH_BYTES];
	uint8		root[WES_HASH_LEN];
	int64		count;
	bool		isnull;
	bytea	   *acc;
	WesUtxoSum	sum;

	if (r->base <= 0 || wes_spi_read("SELECT accumulator, utxo_count FROM wes.snapshots WHERE height = $1",
									 1, &h, NULL) != 1)
		return;
	acc = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (VARSIZE_ANY_EXHDR(acc) != WES_LTHASH_BYTES)
		return;					/* the snapshots check reports it */
	memcpy(stored, VARDATA_ANY(acc), WES_LTHASH_BYTES);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	SPI_freetuptable(SPI_tuptable);
	sum_outputs(NULL, &sum, "height < $1", &r->base);
	wes_lthash_to_bytes(&sum.acc, summed);
	if (sum.count == count && memcmp(summed, stored, WES_LTHASH_BYTES) == 0)
		return;
	wes_lthash_root(&sum.acc, root);
	wes_finding(f, "snapshot_outputs", h,
				"the " INT64_FORMAT " outputs below height " INT64_FORMAT " (spent since or not) commit to %s, "
				"not to the snapshot this chain starts from (" INT64_FORMAT " outputs): one of them was changed, "
				"added or deleted since the import", sum.count, r->base, wes_hex_encode(root, WES_HASH_LEN), count);
}

/* The state_root of the tip block's stored header (false when the tip has no block row) */
bool
wes_tip_header_root(const WesVerifyRange *r, uint8 root[WES_HASH_LEN])
{
	bool		isnull;
	bool		found = false;

	if (r->has_tip && wes_spi_read("SELECT header FROM wes.blocks WHERE height = $1", 1, &r->tip, NULL) == 1)
	{
		bytea	   *h = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

		if (VARSIZE_ANY_EXHDR(h) == WES_HEADER_LEN)
		{
			memcpy(root, (const uint8 *) VARDATA_ANY(h) + WES_OFF_STATE_ROOT, WES_HASH_LEN);
			found = true;
		}
	}
	return found;
}

/*
 * The chain-state row's tip against wes.blocks, and no block or journal row
 * above it.  A block there is a chain_state finding (the tip or the block is
 * wrong: wes_repair cannot tell which); a journal row there is a journal
 * finding, which wes_repair mends by rebuilding the journal from the blocks.
 */
static void
check_tip(WesFindings *f, const WesVerifyRange *r)
{
	static const struct
	{
		const char *table;
		const char *check;
	}			above[] = {{"blocks", "chain_state"}, {"journal", "journal"}};
	uint64		n PG_USED_FOR_ASSERTS_ONLY = wes_spi_read("SELECT (SELECT max(height) FROM wes.blocks), "
								 "(SELECT max(height) FROM wes.journal), "
								 "(SELECT b.hash::bytea = s.hash::bytea FROM wes.blocks b WHERE b.height = s.height) "
								 "FROM wes.chain_state s", 0, NULL, NULL);
	bool		isnull;
	Datum		d;

	Assert(n == 1);
	for (int i = 0; i < lengthof(above); i++)
	{
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &isnull);
		if (!isnull && (!r->has_tip || DatumGetInt64(d) > r->tip))
			wes_finding(f, above[i].check, r->has_tip ? r->tip : WES_NO_HEIGHT,
						"wes.%s holds height " INT64_FORMAT " above the chain-state tip", above[i].table,
						DatumGetInt64(d));
	}
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, lengthof(above) + 1, &isnull);
	if (r->has_tip && !isnull && !DatumGetBool(d))
		wes_finding(f, "chain_state", r->tip, "chain_state.hash is not the hash of the block at the tip height");
}

/*
 * The UTXO set against outputs minus spends.  When the chain scan read the
 * whole history, the outpoints it created minus those it spent must be the
 * outpoints of the UTXO set; only when they are not (or when the history is not
 * all there, as after a snapshot import or for a range that starts above it)
 * are the rows compared one by one.  The spend marks are compared with the
 * spend inputs either way: row by row unless the chain scan found that they
 * add up (f->marks_agree).
 *
 * These passes read all of wes.outputs and wes.inputs whatever the range:
 * they are about the state at the tip, which every block of the chain made.
 * A mark set by block 3 decides whether the output is in today's UTXO set as
 * much as one set by the tip, and the range asked for says nothing about
 * which rows are wrong.  What they can skip, they skip:
 *
 *	  verify_utxo_rows  every output's spend mark against its spend input (one
 *	                    join of the two tables), unless the chain scan's sums
 *	                    say they agree
 *	  verify_utxos      wes_api.address_balances (the outputs without a mark)
 *	                    against the outputs no spend input names: once every
 *	                    mark agrees with the spend inputs, those are the same
 *	                    rows, so it can only find something where
 *	                    verify_utxo_rows did; run only then
 *	  verify_spends     over the whole history, only to name what made the UTXO
 *	                    set differ from outputs minus spends
 */
static void
check_utxo_set(WesFindings *f, const WesVerifyRange *r, const WesDigest *outpoints)
{
	bool		marks_differ = false;
	uint64		balances = 0;

	if (!f->marks_agree)
		marks_differ = wes_verify_sql_check(f, "verify_utxo_rows", 0, NULL) > 0;
	if (f->history_known && wes_digest_equal(outpoints, &f->history))
		return;
	if (marks_differ)
		balances = wes_verify_sql_check(f, "verify_utxos", 0, NULL);
	if (balances == 0 && f->history_known && wes_verify_spends(f, r, r->base, r->tip) == 0)
		wes_finding(f, "utxos", WES_NO_HEIGHT, "the outpoints of the UTXO set are not those the raw transactions "
					"created and did not spend (" INT64_FORMAT " rows, " INT64_FORMAT " expected)",
					outpoints->n, f->history.n);
}

/* The state commitment, the UTXO count and the tip */
void
wes_verify_state(WesFindings *f, const WesVerifyRange *r)
{
	WesUtxoSum	own;
	const WesUtxoSum *sum = &f->utxo;
	uint8		stored[WES_LTHASH_BYTES];
	uint8		root[WES_HASH_LEN];
	uint8		header_root[WES_HASH_LEN];
	uint8		stored_root[WES_HASH_LEN];
	HeapTuple	row;
	bool		isnull;
	bytea	   *acc_col;
	int64		h = r->has_tip ? r->tip : WES_NO_HEIGHT;

	check_tip(f, r);
	wes_verify_sql_check(f, "verify_stored", 0, NULL);
	/* the chain scan's sum, unless it did not scan wes.outputs or a row needs naming */
	if (!f->utxo_known || !f->utxo.columns_agree)
	{
		wes_utxo_scan(f, &own);
		sum = &own;
	}
	check_utxo_set(f, r, &sum->outpoints);
	check_snapshot_outputs(f, r);
	wes_lthash_root(&sum->acc, root);
	wes_spi_read("SELECT accumulator, state_root, utxo_count FROM wes.chain_state", 0, NULL, NULL);
	row = SPI_tuptable->vals[0];
	acc_col = DatumGetByteaPP(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
	memcpy(stored_root, DatumGetPointer(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull)), WES_HASH_LEN);
	wes_lthash_to_bytes(&sum->acc, stored);
	if (VARSIZE_ANY_EXHDR(acc_col) != WES_LTHASH_BYTES ||
		memcmp(VARDATA_ANY(acc_col), stored, WES_LTHASH_BYTES) != 0)
		wes_finding(f, "state_commitment", h, "chain_state.accumulator is not the LtHash of the UTXO set "
					"(whose root is %s)", wes_hex_encode(root, WES_HASH_LEN));
	else if (memcmp(stored_root, root, WES_HASH_LEN) != 0)
		wes_finding(f, "state_commitment", h, "chain_state.state_root is %s, H(accumulator) is %s",
					wes_hex_encode(stored_root, WES_HASH_LEN), wes_hex_encode(root, WES_HASH_LEN));
	if (DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull)) != sum->count)
		wes_finding(f, "utxo_count", h, "chain_state.utxo_count is " INT64_FORMAT ", the UTXO set holds " INT64_FORMAT,
					DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull)), sum->count);
	SPI_freetuptable(SPI_tuptable);
	if (wes_tip_header_root(r, header_root) && memcmp(header_root, root, WES_HASH_LEN) != 0)
		wes_finding(f, "state_commitment", h, "the tip block's state_root is %s, the UTXO set commits to %s",
					wes_hex_encode(header_root, WES_HASH_LEN), wes_hex_encode(root, WES_HASH_LEN));
}
