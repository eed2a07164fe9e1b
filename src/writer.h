/*
 * writer.h
 *	  What the files of the DataWriter share: the state of one block on its
 *	  way through wes_write_block_bytes (writer.c), and the steps of its path,
 *	  each in the file named after what it serves:
 *
 *	  writer_tip.c      lock the chain-state row; height and prev_hash; new tip
 *	  writer_roots.c    tx_root, receipt_root, state_root
 *	  writer_resolve.c  duplicate txids; every input against the UTXO set and
 *	                    the block's own earlier outputs; the LtHash delta
 *	  writer_store.c    the rows of every table, straight from the decoded block
 *	  writer_rel.c      direct table access: multi-insert, index entries, delete
 *	  writer_window.c   the outputs of a run of blocks, held until the run ends
 *	  writer_plans.c    the kept SPI plans and the OIDs of the extension's types
 */
#ifndef WRITER_H
#define WRITER_H

#include "postgres.h"

#include "executor/spi.h"
#include "nodes/execnodes.h"

#include "wes_types.h"

/* Where an output of the block stands after the block's earlier inputs */
typedef struct WesInBlockSpend
{
	int32		tx;				/* spending transaction, -1 while unspent */
	int32		input;
} WesInBlockSpend;

/*
 * An output of an earlier block of the run, not yet in wes.outputs
 * (writer_window.c).  Its fields point into that block's bytes, which the
 * run's array keeps until the call ends, after the window.
 */
typedef struct WesPendingOutput
{
	WesOutpoint op;				/* hash key */
	int64		height;			/* of the block that made it */
	wes_output	out;			/* as decoded (encoding: its exact bytes) */
	uint8		spent_by[WES_HASH_LEN];	/* the spend mark, once a block of the run spends it */
	int64		spent_height;	/* -1 while unspent */
} WesPendingOutput;

typedef struct WesWindow WesWindow;

/* An output that existed before the block and that the block spends */
typedef struct WesSpentOutput
{
	WesOutpoint op;
	const uint8 *encoding;		/* its exact bytes (from its wes.outputs row) */
	uint32		encoding_len;
	HeapTuple	row;			/* a copy of its wes.outputs row (t_self: where it is) */
	WesPendingOutput *pending;	/* or, instead of row, where the window holds it */
	const uint8 *spent_by;		/* txid of the spending transaction */
} WesSpentOutput;

/* One block on its way through the writer; lives in the block's memory context */
typedef struct WesBlockWork
{
	wes_block	block;			/* decoded; hashes set */
	uint8		tx_root[WES_HASH_LEN];	/* the roots its contents give (rule 3) */
	uint8		receipt_root[WES_HASH_LEN];
	WesWindow  *window;			/* outputs of the run's earlier blocks, or NULL */

	/* the tip before the block (writer_tip.c) */
	bool		has_tip;
	int64		tip_height;
	uint8		tip_hash[WES_HASH_LEN];
	int64		base_height;
	int64		utxo_count;
	wes_lthash	acc;			/* accumulator before, then after the block */

	/* the tables, open from the tip lock to the end of the block (writer_rel.c) */
	struct WesWriterRels *rels;

	/* txid -> index in the block (writer_resolve.c) */
	struct HTAB *txids;

	/* every output of the block, flat: outputs of tx t start at out_base[t] */
	uint32	   *out_base;
	uint32		n_outputs;
	uint32		n_inputs;
	WesInBlockSpend *out_spent;

	/* outputs that existed before the block and are spent by it, in block order */
	WesSpentOutput *spent;
	uint32		n_spent;
	uint32		n_created;		/* outputs of the block nobody in it spends */
	bool		lthash_running; /* the LtHash thread works on the block's moves */
} WesBlockWork;

/* writer_tip.c */
extern void wes_writer_lock_tip(WesBlockWork *w);
extern void wes_writer_check_order(const WesBlockWork *w);
extern void wes_writer_store_tip(const WesBlockWork *w);

/* writer_roots.c */
extern void wes_writer_check_merkle_roots(const WesBlockWork *w);
extern void wes_writer_check_state_root(const WesBlockWork *w);

/* writer_resolve.c */
extern void wes_writer_check_duplicate_txids(WesBlockWork *w);
extern void wes_writer_check_chain_txids(const WesBlockWork *w);
extern void wes_writer_resolve_inputs(WesBlockWork *w);

/* writer_lthash.c */
extern void wes_writer_lthash_begin(WesBlockWork *w);
extern void wes_writer_lthash_end(WesBlockWork *w);
extern void wes_writer_lthash_abandon(WesBlockWork *w);
extern void wes_writer_lthash_quiesce(void);

/* writer_store.c */
extern void wes_writer_store_rows(const WesBlockWork *w);

/* writer_rel.c: the tables the writer fills directly */
typedef enum WesTable
{
	WES_TABLE_BLOCKS,
	WES_TABLE_TRANSACTIONS,
	WES_TABLE_OUTPUTS,
	WES_TABLE_INPUTS,
	WES_TABLE_JOURNAL,
	WES_TABLE_COUNT
} WesTable;

struct WesWriterRels;

/* One table open for writing, with its indexes and the rows waiting to go in */
typedef struct WesRel
{
	struct WesWriterRels *rels;
	Relation	rel;
	ResultRelInfo *rri;
	TupleDesc	desc;			/* the slots' descriptor */
	TupleTableSlot **slots;		/* rows collected, up to a batch */
	int			nslots;
	MemoryContext rowcxt;		/* byte strings of the rows collected */
	List	   *recheck_unique;	/* unique indexes whose duplicates the caller rechecks */
	bool		duplicate;		/* a row went into one of them with a key already there */
} WesRel;

typedef struct WesWriterRels
{
	EState	   *estate;
	CommandId	cid;
	bool		heap_only;		/* rows go to the heaps only: the caller rebuilds every index */
	WesRel		rel[WES_TABLE_COUNT];
} WesWriterRels;

extern WesWriterRels *wes_writer_rels_open(void);
extern TupleTableSlot *wes_writer_row(WesRel *r);
extern void wes_writer_row_done(WesRel *r);
extern Datum wes_writer_bytea(WesRel *r, const uint8 *p, uint32 len);
extern void wes_writer_rel_flush(WesRel *r);
extern void wes_writer_rel_recheck_primary_key(WesRel *r);
extern void wes_writer_rels_flush(WesWriterRels *rels);
extern void wes_writer_rel_update(WesRel *r, ItemPointer tid, TupleTableSlot *slot);

/* Lookups by primary key (writer_rel.c) */
typedef struct WesProbe
{
	Relation	index;
	FmgrInfo	eq;
	Snapshot	snapshot;
	struct IndexScanDescData *scan;
	TupleTableSlot *slot;		/* the row found */
} WesProbe;

extern WesProbe *wes_writer_probe_begin(WesRel *r);
extern bool wes_writer_probe(WesProbe *p, Datum key);
extern void wes_writer_probe_many(WesProbe *p, const uint8 *const *keys, int n, int keylen, PGFunction order,
								  void (*take) (void *arg, int key, TupleTableSlot *row), void *arg);
extern void wes_writer_probe_end(WesProbe *p);
extern void wes_writer_rels_close(WesWriterRels *rels);

/* writer_store.c: a row of wes.outputs, for the writer and the snapshot import */
extern void wes_writer_set_spend_mark(TupleTableSlot *slot, const uint8 *spent_by, int64 height);
extern void wes_writer_output_row(WesRel *outputs, TupleTableSlot *slot, Datum op, int64 height,
								  const wes_output *o, const uint8 *spent_by, int64 spent_height);

/* writer_window.c */
extern WesWindow *wes_window_begin(void);
extern WesPendingOutput *wes_window_find(WesWindow *win, const WesOutpoint *op);
extern bool wes_window_hold(WesWindow *win, const WesOutpoint *op, int64 height, const wes_output *o);
extern void wes_window_spend(WesPendingOutput *p, const uint8 *spent_by, int64 height);
extern void wes_window_flush(WesWindow *win);
extern void wes_window_after_block(WesWindow *win);
extern void wes_window_end(WesWindow *win);

/* writer_plans.c */
typedef enum WesWriterPlan
{
	WES_PLAN_LOCK_TIP,
	WES_PLAN_FIND_SPENDER,
	WES_PLAN_PRIOR_TXID,
	WES_PLAN_UPDATE_TIP,
	WES_PLAN_INSERT_RESOURCE,
	WES_PLAN_COUNT
} WesWriterPlan;

/* The OIDs of the extension's own types the writer passes as parameters */
typedef struct WesWriterTypes
{
	Oid			hash;
	Oid			hash_array;
	Oid			outpoint;
	Oid			outpoint_array;
} WesWriterTypes;

extern SPIPlanPtr wes_writer_plan(WesWriterPlan which);
extern const WesWriterTypes *wes_writer_types(void);
extern void wes_check_extension_version(void);
extern uint64 wes_writer_exec(WesWriterPlan which, Datum *values, const char *nulls);

/* "<txid hex>:<index>", palloc'd, for messages */
extern char *wes_outpoint_text(const WesOutpoint *op);

#endif							/* WRITER_H */
