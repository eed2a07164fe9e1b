/*
 * writer_plans.c
 *	  The SQL statements of the DataWriter, prepared once per session and kept
 *	  (SPI_prepare + SPI_keepplan), and the OIDs of the extension's types.
 *
 * The writer functions run with search_path = pg_catalog, pg_temp, so every
 * table is written as wes.x and every operator on the extension's types is
 * qualified with the schema the extension lives in.  Parameter types are
 * passed as OIDs, so no statement needs to name a type.  If the extension is
 * dropped and created again in the same session, its types get new OIDs:
 * the kept plans are then freed and prepared again.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "writer.h"

/*
 * Parameter type codes: h wes_hash, H wes_hash[], o wes_outpoint, b int8, y bytea, t text
 * (the types the kept plans below take).
 */
typedef struct WesPlanDef
{
	const char *sql;			/* %1$s is the extension's schema, quoted */
	const char *args;
	bool		read_only;		/* run in the active snapshot: no command-counter increment, so the
								 * writer's primary-key probes still do not see the block's rows */
} WesPlanDef;

static const WesPlanDef plan_defs[WES_PLAN_COUNT] = {
	[WES_PLAN_LOCK_TIP] = {
		"SELECT height, hash, accumulator, base_height, utxo_count "
		"FROM wes.chain_state FOR UPDATE", ""},
	[WES_PLAN_FIND_SPENDER] = {
		"SELECT o.spent_by, o.spent_height FROM wes.outputs o "
		"WHERE o.outpoint OPERATOR(%1$s.=) $1 AND o.spent_height IS NOT NULL", "o"},
	[WES_PLAN_PRIOR_TXID] = {
		"SELECT FROM wes.prior_txids p WHERE p.txid OPERATOR(%1$s.=) ANY ($1) LIMIT 1", "H", true},
	[WES_PLAN_UPDATE_TIP] = {
		"UPDATE wes.chain_state SET height = $1, hash = $2, state_root = $3, accumulator = $4, "
		"utxo_count = $5", "bhhyb"},
	[WES_PLAN_INSERT_RESOURCE] = {
		"INSERT INTO wes.resource_content AS r (content_hash, content, media_type, size) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT (content_hash) DO UPDATE "
		"SET media_type = coalesce(r.media_type, EXCLUDED.media_type), "
		"content = CASE WHEN r.content <> EXCLUDED.content THEN EXCLUDED.content ELSE r.content END, "
		"size = EXCLUDED.size "
		"WHERE (r.media_type IS NULL AND EXCLUDED.media_type IS NOT NULL) "
		"OR r.size <> EXCLUDED.size OR r.content <> EXCLUDED.content", "hytb"},
};

static Oid	cached_extension = InvalidOid;
static char *cached_schema;		/* quoted, in TopMemoryContext */
static WesWriterTypes cached_types;
static SPIPlanPtr plans[WES_PLAN_COUNT];

/* The OID of a type of the extension's schema, by name */
static Oid
extension_type(Oid nsp, const char *name)
{
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										PointerGetDatum(name), ObjectIdGetDatum(nsp));

	if (!OidIsValid(typid))
		elog(ERROR, "type %s of extension wes_persist not found", name);
	return typid;
}

/*
 * The schema the extension was created in (PostgreSQL 15 does not export this), once its
 * version is checked: the library writes and reads the objects of its own version's
 * script, which a database still at an older version lacks until ALTER EXTENSION UPDATE.
 */
static Oid
extension_schema(Oid ext)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;
	char	   *version = NULL;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		v = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
		if (!isnull)
			version = TextDatumGetCString(v);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp))
		elog(ERROR, "extension wes_persist has no schema");
	if (version == NULL || strcmp(version, WES_EXTVERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension wes_persist is version %s in this database, but its library is version %s",
						version ? version : "(null)", WES_EXTVERSION),
				 errdetail("The library writes and reads the objects of version %s, which this database "
						   "holds only once the extension is that version.", WES_EXTVERSION),
				 errhint("Run ALTER EXTENSION wes_persist UPDATE, or install the library of the database's "
						 "version (docs/operations.md, \"Upgrading\").")));
	return nsp;
}

/*
 * Look the types up again when the extension is new to this session (or was recreated),
 * and refuse a database whose extension is not this library's version (55000)
 */
const WesWriterTypes *
wes_writer_types(void)
{
	Oid			ext = get_extension_oid("wes_persist", false);
	Oid			nsp;

	if (ext == cached_extension)
		return &cached_types;

	for (int i = 0; i < WES_PLAN_COUNT; i++)
	{
		if (plans[i] != NULL)
			SPI_freeplan(plans[i]);
		plans[i] = NULL;
	}
	nsp = extension_schema(ext);
	if (cached_schema != NULL)
		pfree(cached_schema);
	cached_schema = MemoryContextStrdup(TopMemoryContext, quote_identifier(get_namespace_name(nsp)));
	cached_types.hash = extension_type(nsp, "wes_hash");
	cached_types.hash_array = get_array_type(cached_types.hash);
	cached_types.outpoint = extension_type(nsp, "wes_outpoint");
	cached_types.outpoint_array = get_array_type(cached_types.outpoint);
	cached_extension = ext;
	return &cached_types;
}

/* Refuse a database whose extension is not this library's version (55000), as the writer does */
void
wes_check_extension_version(void)
{
	(void) wes_writer_types();
}

/* The OID behind one parameter type code */
static Oid
arg_type(char code, const WesWriterTypes *t)
{
	switch (code)
	{
		case 'h': return t->hash;
		case 'H': return t->hash_array;
		case 'o': return t->outpoint;
		case 'b': return INT8OID;
		case 'y': return BYTEAOID;
		case 't': return TEXTOID;
	}
	elog(ERROR, "unknown parameter type code %c", code);
}

/* The kept plan of one statement, prepared on first use */
SPIPlanPtr
wes_writer_plan(WesWriterPlan which)
{
	const WesWriterTypes *t = wes_writer_types();
	const WesPlanDef *def = &plan_defs[which];
	Oid			argtypes[16];
	int			nargs = strlen(def->args);
	char	   *sql;
	SPIPlanPtr	plan;

	if (plans[which] != NULL)
		return plans[which];

	Assert(nargs <= lengthof(argtypes));
	for (int i = 0; i < nargs; i++)
		argtypes[i] = arg_type(def->args[i], t);
	sql = psprintf(def->sql, cached_schema);
	plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	plans[which] = plan;
	return plan;
}

/* Run one statement with these parameters (nulls as SPI wants them, or NULL); rows processed */
uint64
wes_writer_exec(WesWriterPlan which, Datum *values, const char *nulls)
{
	int			rc = SPI_execute_plan(wes_writer_plan(which), values, nulls, plan_defs[which].read_only, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/* "<txid hex>:<index>", palloc'd, for messages */
char *
wes_outpoint_text(const WesOutpoint *op)
{
	char	   *hex = wes_hex_encode(op->data, WES_HASH_LEN);

	return psprintf("%s:%u", hex, wes_outpoint_get_index(op));
}
