/*
 * snapshot_import.h
 *	  What the parts of the snapshot import share: snapshot_import.c (the SQL
 *	  functions and the transaction an import lives in), snapshot_import_parse.c
 *	  (the file read as a stream of chunks, checked as it arrives) and
 *	  snapshot_import_store.c (the rows, the index build, the tip).
 */
#ifndef SNAPSHOT_IMPORT_H
#define SNAPSHOT_IMPORT_H

#include "postgres.h"

#include <sodium.h>

#include "wes_snapshot.h"
#include "writer.h"

/* An import in progress: the header once read, the records so far, the bytes held back */
typedef struct WesSnapImport
{
	MemoryContext cxt;			/* lives until the transaction ends */
	/* the header, once its bytes have arrived */
	bool		have_header;
	int64		height;
	uint8		hash[WES_HASH_LEN];
	uint8		state_root[WES_HASH_LEN];
	int64		count;
	/* the stream */
	uint64		offset;			/* file offset of carry[0] */
	uint8	   *carry;			/* bytes not consumed yet: part of the header or of a record, or the checksum */
	size_t		carry_len;
	bool		sum_checked;	/* the whole file's checksum was verified before the records */
	crypto_generichash_state *sum;	/* of the header and records read */
	/* the records */
	int64		done;			/* records stored */
	WesOutpoint last;			/* the last one's outpoint */
	wes_lthash	acc;
	/* the transaction ids after the records */
	bool		have_txid_count;
	int64		txid_count;
	int64		txids_done;		/* ids stored */
	uint8		last_txid[WES_HASH_LEN];
	/* the transaction */
	SubTransactionId begin_subxid;	/* where the import began */
	SubTransactionId write_subxid;	/* the deepest that wrote records */
	bool		broken;			/* a call failed or its writes were rolled back: only rollback is left */
} WesSnapImport;

/* snapshot_import_parse.c */
extern pg_attribute_noreturn() void wes_snap_bad_file(uint64 offset, const char *what);
extern void wes_snap_check_magic(const uint8 *buf);
extern void wes_snap_read_header(WesSnapImport *s, const uint8 *buf);
extern void wes_snap_feed(WesSnapImport *s, const uint8 *p, size_t n);
extern void wes_snap_end(WesSnapImport *s);

/* snapshot_import_store.c */
extern void wes_snap_store_record(WesWriterRels *rels, const WesOutpoint *op, int64 created,
								  const wes_output *out);
extern void wes_snap_store_prior_txids(const uint8 *ids, int n);
extern void wes_snap_build_indexes(void);
extern void wes_snap_store_tip(const WesSnapImport *s);

#endif							/* SNAPSHOT_IMPORT_H */
