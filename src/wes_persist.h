/*
 * wes_persist.h
 *	  Declarations shared by the PostgreSQL-facing files: GUCs and the entry
 *	  points one file offers another.
 */
#ifndef WES_PERSIST_H
#define WES_PERSIST_H

#include "fmgr.h"

/* Module start-up (wes_persist.c) */
extern void _PG_init(void);

/* GUCs (wes_persist.c) */
extern int	wes_journal_depth;
extern int	wes_snapshot_interval;
extern int	wes_snapshot_retention;
extern bool wes_verify_heapallindexed;
extern int	wes_write_window;
extern bool wes_lthash_thread;
extern bool wes_decode_thread;
extern bool wes_recent_buffers_on;

/*
 * writer.c: validate one block in wire format and write everything it implies,
 * inside the caller's transaction; returns the block hash (palloc'd).  Every
 * rejection is an ereport(ERROR) with the SQLSTATE of sql-api.md.
 */
struct WesHash;
extern struct WesHash *wes_write_block_bytes(const uint8 *buf, size_t len);

/*
 * The argument n of a function that changes the chain, which must not be NULL
 * (those functions are not STRICT, so that a NULL is refused, not ignored):
 * ERROR 22004 naming the function and the argument
 */
extern void wes_require_arg(FunctionCallInfo fcinfo, int n, const char *argname);

/*
 * snapshot.c: called by the writer after it stored a block, inside its SPI
 * connection with the chain-state row locked: journal depth, automatic snapshots.
 */
extern void wes_after_block_stored(int64 height);

/*
 * The JSON form of a block, both ways: json_form.h (json_to_block.c,
 * block_to_json.c).  Errors are 22023 naming the JSON path.
 */

#endif							/* WES_PERSIST_H */
