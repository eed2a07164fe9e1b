/*
 * verify.c
 *	  wes_verify(from_height, to_height): one row (check_name, height, detail)
 *	  per finding, none when all is well.
 *
 * The checks run in this order, each a separate pass:
 *
 *	  chain      heights, prev hashes, block hashes, header columns, every raw
 *	             transaction and receipt, tx_root and receipt_root (verify_chain.c)
 *	             in the same pass, digests of the rows the raw transactions imply,
 *	             against digests of wes.outputs, wes.inputs and the journal; the
 *	             SQL functions of 55_verify.sql name the rows only where a digest
 *	             differs
 *	  spends     every input against the outputs (SQL), when the range does not
 *	             cover the whole history (else the UTXO digest below covers it);
 *	             for a short range (wes_range_is_short) the outputs its inputs
 *	             name are looked up by key, else wes.outputs is hashed whole
 *	  state      the LtHash of the unspent outputs against the chain state and
 *	             the tip's state_root; the outpoints of the UTXO set against those
 *	             created minus those spent; each UTXO row against its output; the
 *	             spend marks against the spend inputs; the snapshots against their
 *	             accumulators and blocks, the stored resource content against its
 *	             SHA-256 (verify_state.c and SQL).  When
 *	             the chain pass scanned wes.outputs and wes.inputs whole, it summed
 *	             the UTXO set, the marks and the spend inputs on the way, and the SQL
 *	             that names rows runs only where those sums disagree
 *	  indexes    amcheck on every B-tree index of schema wes, heapallindexed
 *	             only when wes_persist.verify_heapallindexed is on (verify_index.c)
 *
 * The last two are about the current state, not about a range of blocks: they
 * run when the range reaches the tip.  Every statement is read-only and runs
 * on the caller's snapshot, so a writer committing meanwhile cannot make a
 * finding appear.  One check reports at most WES_FINDINGS_PER_CHECK rows and
 * then one row that counts the rest, so that a table emptied by accident does
 * not return millions of rows.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "verify.h"
#include "wes_snapshot.h"

PG_FUNCTION_INFO_V1(wes_verify);

#define WES_FINDINGS_PER_CHECK	100
#define WES_PROGRESS_SECONDS	10

static TimestampTz last_progress;

/* Put one row into the result */
static void
put_row(WesFindings *f, const char *check, int64 height, const char *detail)
{
	Datum		v[3];
	bool		n[3] = {false, height < 0, false};

	f->count++;
	if (f->store == NULL)
		return;

	v[0] = CStringGetTextDatum(check);
	v[1] = Int64GetDatum(height);
	v[2] = CStringGetTextDatum(detail);
	tuplestore_putvalues(f->store, f->desc, v, n);
}

/* A palloc'd string from a format and its arguments */
char *
wes_format_va(const char *fmt, va_list args)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		copy;
		int			needed;

		va_copy(copy, args);
		needed = appendStringInfoVA(&buf, fmt, copy);
		va_end(copy);
		if (needed == 0)
			return buf.data;
		enlargeStringInfo(&buf, needed);
	}
}

/* Keep one finding in the list the repair functions read */
static void
keep(WesFindings *f, const char *check, int64 height, const char *detail)
{
	MemoryContext old = MemoryContextSwitchTo(f->keep_cxt);
	WesFinding *k = palloc(sizeof(WesFinding));

	k->check = pstrdup(check);
	k->height = height;
	k->detail = detail ? pstrdup(detail) : NULL;
	f->kept = lappend(f->kept, k);
	MemoryContextSwitchTo(old);
}

/* Whether any finding kept is of one of these checks (a NULL-terminated list) */
bool
wes_findings_have(const WesFindings *f, const char *const *checks)
{
	ListCell   *lc;

	foreach(lc, f->kept)
	{
		WesFinding *k = lfirst(lc);

		for (const char *const *c = checks; *c != NULL; c++)
			if (strcmp(k->check, *c) == 0)
				return true;
	}
	return false;
}

/* Close the current check: one row for the findings beyond the limit */
static void
check_end(WesFindings *f)
{
	if (f->check != NULL && f->check_count > f->limit)
		put_row(f, f->check, WES_NO_HEIGHT,
				psprintf(INT64_FORMAT " more findings of this check not shown",
						 f->check_count - f->limit));
	f->check = NULL;
	f->check_count = 0;
}

/* Report one finding; height WES_NO_HEIGHT for findings about no particular block */
void
wes_finding(WesFindings *f, const char *check, int64 height, const char *fmt,...)
{
	va_list		args;
	char	   *detail;

	if (f->check == NULL || strcmp(f->check, check) != 0)
	{
		check_end(f);
		f->check = check;
	}
	if (++f->check_count > f->limit)
	{
		if (f->keep_cxt != NULL)
			keep(f, check, height, NULL);
		return;
	}
	va_start(args, fmt);
	detail = wes_format_va(fmt, args);
	va_end(args);
	if (f->keep_cxt != NULL)
		keep(f, check, height, detail);
	put_row(f, check, height, detail);
	pfree(detail);
}

/* A NOTICE at most every WES_PROGRESS_SECONDS: long runs show where they are */
void
wes_verify_progress(const char *what, int64 done, int64 total, int64 txs)
{
	TimestampTz now = GetCurrentTimestamp();

	if (!TimestampDifferenceExceeds(last_progress, now, WES_PROGRESS_SECONDS * 1000))
		return;
	last_progress = now;
	ereport(NOTICE,
			(errmsg("wes_verify: %s: " INT64_FORMAT " of " INT64_FORMAT " done, "
					INT64_FORMAT " transactions", what, done, total, txs)));
}

/*
 * Run a statement with int8 arguments (NULL-able); returns SPI_processed.
 * wes_verify reads on the caller's snapshot (read-only SPI); the repair
 * functions run the same checks after their own writes, so they switch to
 * read-write SPI, which takes a new snapshot per statement.
 */
static bool spi_read_only = true;

void
wes_spi_set_read_only(bool read_only)
{
	spi_read_only = read_only;
}

uint64
wes_spi_read(const char *sql, int nargs, const int64 *args, const bool *nulls)
{
	Oid			types[4];
	Datum		values[4];
	char		n[4];

	Assert(nargs <= 4);
	for (int i = 0; i < nargs; i++)
	{
		types[i] = INT8OID;
		values[i] = Int64GetDatum(args[i]);
		n[i] = (nulls && nulls[i]) ? 'n' : ' ';
	}
	return wes_spi_run(sql, NULL, nargs, types, values, nargs > 0 ? n : NULL, spi_read_only);
}

/* Whether statements run read-only (for cursors opened by the checks) */
bool
wes_spi_is_read_only(void)
{
	return spi_read_only;
}

/* The tip and base height, and the range to check (defaults: all of the chain) */
void
wes_verify_read_range(WesVerifyRange *r, FunctionCallInfo fcinfo, Datum from, bool from_null,
					  Datum to, bool to_null)
{
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;

	if (wes_spi_read("SELECT height, base_height FROM wes.chain_state", 0, NULL, NULL) != 1)
		wes_report_chain_state_damaged("it does not hold exactly one row");
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	d = SPI_getbinval(row, desc, 1, &isnull);
	r->has_tip = !isnull;
	r->tip = isnull ? -1 : DatumGetInt64(d);
	r->base = DatumGetInt64(SPI_getbinval(row, desc, 2, &isnull));
	r->from = from_null ? r->base : Max(DatumGetInt64(from), r->base);
	r->to = to_null ? r->tip : Min(DatumGetInt64(to), r->tip);
	r->global = to_null || (r->has_tip && DatumGetInt64(to) >= r->tip) || !r->has_tip;
	r->schema = wes_function_schema(fcinfo);
}

/* Copy the rows (check_name, height, detail) of one call of an SQL check into the findings; returns how many */
static uint64
sql_check_call(WesFindings *f, const char *call, int nargs, const int64 *args)
{
	char	   *sql = psprintf("SELECT check_name, height, detail FROM wes.%s", call);
	uint64		n = wes_spi_read(sql, nargs, args, NULL);
	SPITupleTable *rows = SPI_tuptable;

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = rows->vals[i];
		char	   *check = SPI_getvalue(row, rows->tupdesc, 1);
		char	   *height = SPI_getvalue(row, rows->tupdesc, 2);
		char	   *detail = SPI_getvalue(row, rows->tupdesc, 3);

		wes_finding(f, check, height ? pg_strtoint64(height) : WES_NO_HEIGHT, "%s", detail);
	}
	check_end(f);
	SPI_freetuptable(rows);
	pfree(sql);
	return n;
}

/* Copy the rows of SQL check wes.fn($1[, $2]) into the findings; returns how many */
uint64
wes_verify_sql_check(WesFindings *f, const char *fn, int nargs, const int64 *args)
{
	char	   *call = psprintf("%s(%s)", fn, nargs == 2 ? "$1, $2" : nargs == 1 ? "$1" : "");
	uint64		n = sql_check_call(f, call, nargs, args);

	pfree(call);
	return n;
}

/*
 * Whether heights lo..hi hold few enough of the chain's rows that reading them
 * (and what they name) through indexes costs less than reading whole tables:
 * less than a quarter of the heights held.  Past that, random index reads cost
 * more than the sequential scan they save.
 */
bool
wes_range_is_short(const WesVerifyRange *r, int64 lo, int64 hi)
{
	return (hi - lo + 1) * 4 < r->tip - r->base + 1;
}

/*
 * The spends of heights lo..hi (wes.verify_spends): for a short range the
 * outputs its inputs name are looked up by key, else wes.outputs is read whole
 * and hashed; the findings are the same.
 */
uint64
wes_verify_spends(WesFindings *f, const WesVerifyRange *r, int64 lo, int64 hi)
{
	int64		args[2] = {lo, hi};

	return sql_check_call(f, wes_range_is_short(r, lo, hi) ? "verify_spends($1, $2, true)" :
						  "verify_spends($1, $2, false)", 2, args);
}

/* Every check, in order, over the range */
void
wes_verify_run(WesFindings *f, const WesVerifyRange *r)
{
	last_progress = GetCurrentTimestamp();
	f->history_known = false;
	f->marks_agree = false;
	f->utxo_known = false;
	if (r->has_tip && r->from <= r->to)
	{
		wes_verify_chain(f, r);
		check_end(f);
	}
	/* without the whole history the spends are checked row by row */
	if (r->has_tip && r->from <= r->to && !f->history_known)
		wes_verify_spends(f, r, r->from, r->to);
	if (r->global)
	{
		wes_verify_state(f, r);
		check_end(f);
		wes_verify_indexes(f);
		check_end(f);
	}
}

/*
 * wes_verify(from_height bigint DEFAULT NULL, to_height bigint DEFAULT NULL)
 * RETURNS TABLE (check_name text, height bigint, detail text)
 */
Datum
wes_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WesFindings f = {0};
	WesVerifyRange r;

	InitMaterializedSRF(fcinfo, 0);
	f.store = rsinfo->setResult;
	f.desc = rsinfo->setDesc;
	f.limit = WES_FINDINGS_PER_CHECK;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	wes_spi_set_read_only(true);
	wes_verify_read_range(&r, fcinfo, PG_GETARG_DATUM(0), PG_ARGISNULL(0), PG_GETARG_DATUM(1), PG_ARGISNULL(1));
	wes_verify_run(&f, &r);
	SPI_finish();
	return (Datum) 0;
}
