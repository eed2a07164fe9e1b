/*
 * wes_snapshot.h
 *	  What rollback.c, snapshot.c, snapshot_export.c and snapshot_import.c
 *	  share: SPI statements with the extension's schema filled in, the exact
 *	  bytes of an output rebuilt from a wes.outputs row, and the portable
 *	  snapshot file format (docs/snapshot-format.md).
 */
#ifndef WES_SNAPSHOT_H
#define WES_SNAPSHOT_H

#include "postgres.h"

#include "fmgr.h"

#include "wes_types.h"

/*
 * The snapshot file: header, records, the ids rule 4 needs (a u64 count, then
 * the ids), BLAKE2b-256 checksum of all that precedes it.  The magic stays
 * the same across versions.
 */
#define WES_SNAP_MAGIC			"WESSNAP1"
#define WES_SNAP_MAGIC_LEN		8
#define WES_SNAP_VERSION		2
#define WES_SNAP_HEADER_LEN		(WES_SNAP_MAGIC_LEN + 4 + 8 + WES_HASH_LEN + WES_HASH_LEN + 8)
#define WES_SNAP_RECORD_MIN		(WES_HASH_LEN + 4 + 8 + 4)

/* The quoted name of the schema a C function of the extension lives in */
extern char *wes_function_schema(FunctionCallInfo fcinfo);

/*
 * Run one statement through SPI (already connected): %1$s in sql is replaced
 * by schema (quoted, may be NULL when unused); types are parameter OIDs.
 * Returns SPI_processed; the rows are in SPI_tuptable.
 */
extern uint64 wes_spi_run(const char *sql, const char *schema, int nargs, Oid *types,
						  Datum *values, const char *nulls, bool read_only);

/* The exact encoding of an output from its stored columns, as a palloc'd bytea */
extern bytea *wes_output_encoding_from_columns(int16 kind, const WesAddress *owner, int64 amount,
											   const WesHash *ref, const bytea *lock,
											   const bytea *data);

/*
 * Refuse what, a write that would change the chain, while a snapshot import of
 * this transaction is not finished (55000): the import checks the records it
 * was sent, not what another write left of them
 */
extern void wes_snapshot_import_refuse(const char *what);

/* Insert a snapshot of the tip (chain-state row locked, none on an empty chain), then apply retention */
extern void wes_snapshot_take(bool automatic);

#endif							/* WES_SNAPSHOT_H */
