/*
 * verify_index.c
 *	  amcheck on every B-tree index of schema wes: bt_index_check(index,
 *	  heapallindexed), under AccessShareLock only (so it neither blocks writers
 *	  nor needs a primary).  By default heapallindexed is false, as in
 *	  PostgreSQL's own pg_amcheck: the structure of every index is checked
 *	  (page order, keys in order, parent and child keys agree), not that every
 *	  heap row has its entry.  SET wes_persist.verify_heapallindexed = on adds
 *	  that deeper check, which re-reads every table and costs several times
 *	  more.  amcheck reports corruption as an ERROR: each index is checked in
 *	  a subtransaction of its own and the error becomes a finding.  When the
 *	  extension amcheck is not installed, that itself is the finding
 *	  (wes_repair creates it).
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/resowner.h"

#include "verify.h"
#include "wes_persist.h"

/* bt_index_check(regclass, boolean) of the installed amcheck, InvalidOid when absent */
Oid
wes_amcheck_function(void)
{
	Oid			fn = InvalidOid;
	bool		isnull;

	if (wes_spi_read("SELECT p.oid FROM pg_catalog.pg_depend d "
					 "JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid "
					 "JOIN pg_catalog.pg_proc p ON p.oid = d.objid "
					 "WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
					 "AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass "
					 "AND e.extname = 'amcheck' AND p.proname = 'bt_index_check' AND p.pronargs = 2",
					 0, NULL, NULL) == 1)
		fn = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return fn;
}

/* Run bt_index_check on one index; the error message when it finds something, else NULL */
static char *
check_one(Oid fn, Oid index)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile problem = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		OidFunctionCall2(fn, ObjectIdGetDatum(index), BoolGetDatum(wes_verify_heapallindexed));
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		problem = e->detail ? psprintf("%s (%s)", e->message, e->detail) : pstrdup(e->message);
		FreeErrorData(e);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return problem;
}

/* amcheck on every B-tree index of schema wes, in name order */
void
wes_verify_indexes(WesFindings *f)
{
	Oid			fn = wes_amcheck_function();
	uint64		n;
	Oid		   *oids;
	char	  **names;
	bool	   *valid;
	bool		isnull;

	if (!OidIsValid(fn))
	{
		wes_finding(f, "amcheck", WES_NO_HEIGHT, "extension amcheck is not installed, so the indexes of "
					"schema wes were not checked (CREATE EXTENSION amcheck, or wes_repair())");
		return;
	}
	n = wes_spi_read("SELECT c.oid, c.relname::text, i.indisvalid AND i.indisready FROM pg_catalog.pg_index i "
					 "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
					 "JOIN pg_catalog.pg_class t ON t.oid = i.indrelid "
					 "JOIN pg_catalog.pg_am a ON a.oid = c.relam "
					 "WHERE t.relnamespace = 'wes'::pg_catalog.regnamespace AND a.amname = 'btree' "
					 "ORDER BY c.relname", 0, NULL, NULL);
	oids = palloc(Max(n, 1) * sizeof(Oid));
	names = palloc(Max(n, 1) * sizeof(char *));
	valid = palloc(Max(n, 1) * sizeof(bool));
	for (uint64 i = 0; i < n; i++)
	{
		oids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		valid[i] = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	for (uint64 i = 0; i < n; i++)
	{
		char	   *problem;

		if (!valid[i])
		{
			wes_finding(f, "amcheck", WES_NO_HEIGHT, "index wes.%s is not valid or not ready", names[i]);
			continue;
		}
		problem = check_one(fn, oids[i]);
		if (problem != NULL)
			wes_finding(f, "amcheck", WES_NO_HEIGHT, "index wes.%s: %s", names[i], problem);
		CHECK_FOR_INTERRUPTS();
	}
}
