/*
 * repair.c
 *	  wes_rebuild_indexes(), wes_replay_state() and wes_repair().
 *
 * The raw blocks and transactions are the source of truth: their hashes link
 * every header to the next and every transaction to its block's tx_root.
 * Everything else is derived from them and can be rebuilt: the rows of
 * outputs, inputs and the journal (wes.rebuild_rows), the UTXO set
 * (wes.rebuild_utxos: the spend marks), the accumulator (a full scan, as wes_verify does) and
 * the indexes (REINDEX).  wes_repair runs the checks of wes_verify, applies
 * what their findings call for, from the raw bytes outwards, verifies again
 * and reports each action and whatever is left.
 *
 * Every function locks the chain-state row first, as the DataWriter does, and
 * runs inside the caller's transaction: an error undoes the whole repair.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "verify.h"
#include "wes_snapshot.h"

PG_FUNCTION_INFO_V1(wes_rebuild_indexes);
PG_FUNCTION_INFO_V1(wes_replay_state);
PG_FUNCTION_INFO_V1(wes_repair);

static const char *const raw_tx_checks[] = {"txid", "tx_decode", NULL};
/* findings that say the raw transactions are not all there and right: nothing may be derived from them */
static const char *const raw_set_checks[] = {"txid", "tx_decode", "tx_count", "tx_root", "transactions", NULL};
static const char *const header_checks[] = {"block_hash", "header_columns", "prev_hash", NULL};
static const char *const row_checks[] = {"outputs", "inputs", "spend_marks", "spends", "journal",
	"tx_columns", "receipt_columns", "utxos", "utxo_columns", "balances", NULL};
static const char *const state_checks[] = {"state_commitment", "utxo_count", "utxos", "utxo_columns",
	"balances", "chain_state", NULL};
static const char *const amcheck_checks[] = {"amcheck", NULL};

/* One row of wes_repair's result */
void
wes_action(WesActions *a, const char *action, const char *fmt,...)
{
	va_list		args;
	Datum		v[2];
	bool		n[2] = {false, false};

	va_start(args, fmt);
	v[1] = CStringGetTextDatum(wes_format_va(fmt, args));
	va_end(args);
	v[0] = CStringGetTextDatum(action);
	if (a != NULL)
	{
		tuplestore_putvalues(a->store, a->desc, v, n);
		a->count++;
	}
}

/* Connect, switch the checks to read-write SPI, lock the chain-state row, read the whole range */
static void
repair_begin(FunctionCallInfo fcinfo, WesVerifyRange *r)
{
	wes_snapshot_import_refuse(get_func_name(fcinfo->flinfo->fn_oid));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	wes_spi_set_read_only(false);
	wes_spi_read("SELECT 1 FROM wes.chain_state FOR UPDATE", 0, NULL, NULL);
	wes_verify_read_range(r, fcinfo, (Datum) 0, true, (Datum) 0, true);
}

/* The findings of every check (or of the chain checks only), kept in a list */
static WesFindings *
collect(const WesVerifyRange *r, bool chain_only)
{
	WesFindings *f = palloc0(sizeof(WesFindings));

	f->limit = 100;
	f->keep_cxt = CurrentMemoryContext;
	if (!chain_only)
		wes_verify_run(f, r);
	else if (r->has_tip && r->from <= r->to)
		wes_verify_chain(f, r);
	return f;
}

/* Refuse to rebuild anything from raw transactions that do not match their txids */
static void
refuse_bad_raw(const WesVerifyRange *r)
{
	WesFindings *f = collect(r, true);
	ListCell   *lc;

	foreach(lc, f->kept)
	{
		WesFinding *k = lfirst(lc);

		for (const char *const *c = raw_set_checks; *c != NULL; c++)
			if (strcmp(k->check, *c) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("cannot rebuild from the raw transactions: at height " INT64_FORMAT ", %s",
								k->height, k->detail ? k->detail : k->check),
						 errhint("wes_repair() restores raw transactions from their rows where it can.")));
	}
}

/* REINDEX every table of schema wes; returns how many */
static int
reindex_all(void)
{
	uint64		n = wes_spi_read("SELECT pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_class c "
								 "WHERE c.relnamespace = 'wes'::pg_catalog.regnamespace AND c.relkind = 'r' "
								 "ORDER BY c.relname", 0, NULL, NULL);
	char	  **names = palloc(Max(n, 1) * sizeof(char *));

	for (uint64 i = 0; i < n; i++)
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	for (uint64 i = 0; i < n; i++)
		wes_spi_read(psprintf("REINDEX TABLE wes.%s", names[i]), 0, NULL, NULL);
	return (int) n;
}

/* One int8 from a one-row, one-column statement */
static int64
fetch_int(const char *sql, int nargs, const int64 *args)
{
	bool		isnull;
	Datum		d;

	if (wes_spi_read(sql, nargs, args, NULL) != 1)
		elog(ERROR, "\"%s\" returned no row", sql);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* The derived rows and the UTXO set rebuilt from the raw transactions, then every index */
static int64
rebuild_indexes(const WesVerifyRange *r)
{
	int64		journal_from;
	int64		n;

	refuse_bad_raw(r);
	journal_from = fetch_int("SELECT coalesce((SELECT min(height) FROM wes.journal), "
							 "(SELECT base_height FROM wes.chain_state))", 0, NULL);
	n = fetch_int("SELECT wes.rebuild_rows($1)", 1, &journal_from);
	n += fetch_int("SELECT wes.rebuild_utxos()", 0, NULL);
	reindex_all();
	return n;
}

/* What to do about the outputs a snapshot brought, which no raw transaction holds */
static int
snapshot_outputs_hint(const WesVerifyRange *r)
{
	return errhint("This chain starts from a snapshot at height " INT64_FORMAT ": the outputs it brought are "
				   "in no raw transaction, only in wes.outputs. Import the snapshot file again into an "
				   "empty database and write the blocks after it.", r->base - 1);
}

/* Refuse to repair anything when the outputs a snapshot brought are not its set (verify_state.c) */
static void
refuse_snapshot_outputs(const WesVerifyRange *r, const WesFindings *f)
{
	static const char *const checks[] = {"snapshot_outputs", NULL};

	if (wes_findings_have(f, checks))
		ereport(ERROR,
				(errcode(ERRCODE_WES_ROOT_MISMATCH),
				 errmsg("the outputs below height " INT64_FORMAT " do not commit to the snapshot this chain starts from",
						r->base),
				 errdetail("Nothing was changed: no raw transaction holds them."),
				 snapshot_outputs_hint(r)));
}

/* The UTXO set replayed from the raw transactions, the accumulator recomputed; root into root */
static void
replay_state(const WesVerifyRange *r, uint8 root[WES_HASH_LEN])
{
	WesUtxoSum	sum;
	uint8		header_root[WES_HASH_LEN];
	bytea	   *acc_bytes = palloc(VARHDRSZ + WES_LTHASH_BYTES);
	bytea	   *root_bytes = palloc(VARHDRSZ + WES_HASH_LEN);
	Oid			types[3] = {BYTEAOID, BYTEAOID, INT8OID};
	Datum		values[3];

	refuse_bad_raw(r);
	fetch_int("SELECT wes.rebuild_utxos()", 0, NULL);
	wes_utxo_scan(NULL, &sum);
	wes_lthash_root(&sum.acc, root);
	if (wes_tip_header_root(r, header_root) && memcmp(header_root, root, WES_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WES_ROOT_MISMATCH),
				 errmsg("the replayed UTXO set commits to %s, the tip block's state_root is %s",
						wes_hex_encode(root, WES_HASH_LEN), wes_hex_encode(header_root, WES_HASH_LEN)),
				 errdetail("Nothing was changed: the stored raw transactions do not give the tip's state."),
				 r->base > 0 ? snapshot_outputs_hint(r) : 0));
	SET_VARSIZE(acc_bytes, VARHDRSZ + WES_LTHASH_BYTES);
	wes_lthash_to_bytes(&sum.acc, (uint8 *) VARDATA(acc_bytes));
	SET_VARSIZE(root_bytes, VARHDRSZ + WES_HASH_LEN);
	memcpy(VARDATA(root_bytes), root, WES_HASH_LEN);
	values[0] = PointerGetDatum(acc_bytes);
	values[1] = PointerGetDatum(root_bytes);
	values[2] = Int64GetDatum(sum.count);
	wes_spi_run("SELECT wes.set_state($1, $2, $3)", NULL, 3, types, values, NULL, false);
}

/* wes_rebuild_indexes() RETURNS bigint */
Datum
wes_rebuild_indexes(PG_FUNCTION_ARGS)
{
	WesVerifyRange r;
	int64		n;

	repair_begin(fcinfo, &r);
	n = rebuild_indexes(&r);
	SPI_finish();
	PG_RETURN_INT64(n);
}

/* wes_replay_state() RETURNS wes_hash */
Datum
wes_replay_state(PG_FUNCTION_ARGS)
{
	WesVerifyRange r;
	uint8		root[WES_HASH_LEN];

	repair_begin(fcinfo, &r);
	replay_state(&r, root);
	SPI_finish();
	PG_RETURN_WESHASH_P(wes_hash_from_bytes(root));
}

/* Whether a finding of check says needle */
static bool
finding_says(const WesFindings *f, const char *check, const char *needle)
{
	ListCell   *lc;

	foreach(lc, f->kept)
	{
		WesFinding *k = lfirst(lc);

		if (strcmp(k->check, check) == 0 && k->detail && strstr(k->detail, needle))
			return true;
	}
	return false;
}

/* amcheck: install it when missing, REINDEX when it found something */
static void
repair_indexes(const WesVerifyRange *r, const WesFindings *f, WesActions *a)
{
	if (finding_says(f, "amcheck", "not installed"))
	{
		wes_spi_read(psprintf("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA %s", r->schema), 0, NULL, NULL);
		wes_action(a, "create_extension", "created extension amcheck in schema %s", r->schema);
	}
	if (finding_says(f, "amcheck", "index wes."))
		wes_action(a, "reindex", "REINDEX of the %d tables of schema wes", reindex_all());
}

/* Report what a second run of the checks still finds */
static void
report_left(const WesVerifyRange *r, WesActions *a)
{
	WesFindings *f = collect(r, false);
	ListCell   *lc;

	foreach(lc, f->kept)
	{
		WesFinding *k = lfirst(lc);

		if (k->detail == NULL)
			continue;
		if (k->height >= 0)
			wes_action(a, "unrepaired", "%s at height " INT64_FORMAT ": %s", k->check, k->height, k->detail);
		else
			wes_action(a, "unrepaired", "%s: %s", k->check, k->detail);
	}
}

/* Apply the fixes the findings call for, from the raw bytes outwards */
static void
apply_fixes(const WesVerifyRange *r, const WesFindings *f, WesActions *a)
{
	uint8		root[WES_HASH_LEN];

	refuse_snapshot_outputs(r, f);
	if (wes_findings_have(f, amcheck_checks))
		repair_indexes(r, f, a);
	if (wes_findings_have(f, header_checks))
		wes_repair_headers(r, f, a);
	if (wes_findings_have(f, raw_tx_checks))
		wes_repair_raw_transactions(r, f, a);
	/* nothing may be derived from raw transactions that are missing or still wrong */
	if (wes_findings_have(f, raw_set_checks) && wes_findings_have(collect(r, true), raw_set_checks))
		return;
	if (wes_findings_have(f, row_checks))
		wes_action(a, "rebuild_indexes", INT64_FORMAT " rows of outputs, inputs, journal and spend marks rebuilt "
				   "from the raw transactions; every table of schema wes reindexed", rebuild_indexes(r));
	if (wes_findings_have(f, state_checks))
	{
		replay_state(r, root);
		wes_action(a, "replay_state", "UTXO set and accumulator replayed from the raw transactions: state root %s",
				   wes_hex_encode(root, WES_HASH_LEN));
	}
}

/* wes_repair() RETURNS TABLE (action text, detail text) */
Datum
wes_repair(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WesActions	a = {0};
	WesVerifyRange r;
	WesFindings *f;

	InitMaterializedSRF(fcinfo, 0);
	a.store = rsinfo->setResult;
	a.desc = rsinfo->setDesc;
	repair_begin(fcinfo, &r);
	f = collect(&r, false);
	if (f->kept != NIL)
	{
		apply_fixes(&r, f, &a);
		report_left(&r, &a);
	}
	SPI_finish();
	return (Datum) 0;
}
