/*
 * verify.h
 *	  What the files of wes_verify and of the repair functions share.
 *
 *	  verify.c         wes_verify(): the range, the order of the checks, findings
 *	  verify_chain.c   blocks, headers, transactions, receipts and their roots
 *	  verify_state.c   the state commitment recomputed by a full scan of the unspent outputs
 *	  verify_index.c   amcheck's bt_index_check on every B-tree index of schema wes
 *	  verify_rows.c    the rows a raw transaction implies (wes.tx_outputs, wes.tx_inputs)
 *	  verify_scan.c    the transactions and receipts of a range, read straight from the tables
 *	  repair.c         wes_rebuild_indexes, wes_replay_state, wes_repair
 *	  repair_raw.c     raw headers and transactions restored from their columns
 *
 * Every check reads through SPI with read_only = true, or straight from the
 * tables on the same snapshot, so that one call of wes_verify sees one
 * snapshot from its first query to its last.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include "postgres.h"

#include "access/genam.h"
#include "access/tableam.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/tuplestore.h"

#include "wes_types.h"

/* An order-independent digest of a multiset of byte strings: two 64-bit lane sums and a count */
typedef struct WesDigest
{
	uint64		a;
	uint64		b;
	int64		n;
} WesDigest;

/* The UTXO set summed up: LtHash accumulator, row count, digest of the outpoints */
typedef struct WesUtxoSum
{
	wes_lthash	acc;
	int64		count;
	WesDigest	outpoints;
	bool		columns_agree;	/* every row's owner, kind, ref and amount agree with its encoding */
} WesUtxoSum;

/* One UTXO row as wes_utxo_sum_add reads it */
typedef struct WesUtxoRow
{
	const WesOutpoint *outpoint;
	const uint8 *owner;
	int16		kind;
	const uint8 *ref;
	int64		amount;
	const uint8 *enc;			/* the output's encoding */
	uint32		enc_len;
} WesUtxoRow;

/* Where findings go: the result of wes_verify (check_name, height, detail) */
typedef struct WesFinding
{
	char	   *check;
	int64		height;
	char	   *detail;			/* NULL beyond the per-check limit */
} WesFinding;

typedef struct WesFindings
{
	Tuplestorestate *store;		/* NULL: rows are only kept */
	List	   *kept;			/* every WesFinding, when keep_cxt is set */
	MemoryContext keep_cxt;
	TupleDesc	desc;
	int64		count;
	int64		limit;			/* per check: more than this many of one check are summed up */
	const char *check;			/* the check being run, for the per-check limit */
	int64		check_count;
	/* outpoints created minus outpoints spent over the whole history, when the scan covered it */
	bool		history_known;
	WesDigest	history;
	/* the spend marks of wes.outputs add up to the spend inputs of wes.inputs (set by the chain scan) */
	bool		marks_agree;
	/* the UTXO set as the chain scan's sequential scan of wes.outputs summed it */
	bool		utxo_known;
	WesUtxoSum	utxo;
} WesFindings;

/* The chain as the chain-state row describes it, and the range asked for */
typedef struct WesVerifyRange
{
	bool		has_tip;
	int64		tip;			/* tip height (when has_tip) */
	int64		base;			/* chain_state.base_height: the first height held */
	int64		from;			/* first height checked */
	int64		to;				/* last height checked */
	bool		global;			/* the range reaches the tip: state and index checks run too */
	const char *schema;			/* the extension's schema, quoted (its operators are there) */
} WesVerifyRange;

/* verify.c */
extern char *wes_format_va(const char *fmt, va_list args) pg_attribute_printf(1, 0);
extern bool wes_findings_have(const WesFindings *f, const char *const *checks);
extern void wes_finding(WesFindings *f, const char *check, int64 height, const char *fmt,...)
			pg_attribute_printf(4, 5);
#define WES_NO_HEIGHT	(-1)
extern void wes_verify_progress(const char *what, int64 done, int64 total, int64 txs);
extern void wes_verify_read_range(WesVerifyRange *r, FunctionCallInfo fcinfo, Datum from,
								  bool from_null, Datum to, bool to_null);
extern void wes_verify_run(WesFindings *f, const WesVerifyRange *r);
extern uint64 wes_verify_sql_check(WesFindings *f, const char *fn, int nargs, const int64 *args);
extern bool wes_range_is_short(const WesVerifyRange *r, int64 lo, int64 hi);
extern uint64 wes_verify_spends(WesFindings *f, const WesVerifyRange *r, int64 lo, int64 hi);

/* What a repair function did: rows (action, detail) of wes_repair */
typedef struct WesActions
{
	Tuplestorestate *store;
	TupleDesc	desc;
	int64		count;
} WesActions;

/* repair.c */
extern void wes_action(WesActions *a, const char *action, const char *fmt,...) pg_attribute_printf(3, 4);

/* repair_raw.c: raw headers and transactions restored from what the chain confirms */
extern void wes_repair_headers(const WesVerifyRange *r, const WesFindings *f, WesActions *a);
extern void wes_repair_raw_transactions(const WesVerifyRange *r, const WesFindings *f, WesActions *a);

/* verify_rows.c */
extern bytea *wes_bytes_to_bytea(const uint8 *p, size_t n);
extern void wes_digest_add(WesDigest *d, const uint8 *p, size_t len, int sign);
extern void wes_digest_of(WesDigest *h, const uint8 *p, size_t len);
extern void wes_digest_merge(WesDigest *d, const WesDigest *h, int sign);
extern bool wes_digest_equal(const WesDigest *x, const WesDigest *y);
/* The element of an output row / input row, as both the raw side and the rows side build it */
extern void wes_output_element(StringInfo s, const uint8 *outpoint, int64 height, const uint8 *enc, size_t enc_len);
extern void wes_input_element(StringInfo s, const uint8 *txid, int32 tx_index, int32 index, const uint8 *outpoint,
							  bool reference, int64 height, const uint8 *unlock, size_t unlock_len);
/* Digests of the wes.outputs and wes.inputs rows of heights lo..hi */
extern void wes_rows_digests(int64 lo, int64 hi, WesDigest *outputs, WesDigest *inputs);

/*
 * The same digests for n windows of heights at once: window k takes heights
 * from + k * width up to the next window (the last one up to to), the first
 * also the rows below from when below, the last those above to when above
 */
typedef struct WesRowWindows
{
	int64		from;
	int64		to;
	int64		width;
	int64		n;
	bool		below;
	bool		above;
	WesDigest  *outputs;
	WesDigest  *inputs;
	/* over every row, in any window or none: */
	WesDigest	marks;			/* (outpoint, spent_by, spent_height) of the outputs with a spend mark */
	WesDigest	spends;			/* (outpoint, txid, height) of the spend inputs */
	WesUtxoSum	utxo;			/* the outputs without a spend mark */
} WesRowWindows;
extern bool wes_rows_digests_scan(WesRowWindows *w);

/* verify_chain.c */
extern void wes_verify_chain(WesFindings *f, const WesVerifyRange *r);

/* verify_state.c: the sum of the unspent outputs (findings for rows whose columns disagree) */
extern void wes_utxo_sum_init(WesUtxoSum *u);
extern void wes_utxo_sum_add(WesUtxoSum *u, WesFindings *f, const WesUtxoRow *row);
extern void wes_utxo_scan(WesFindings *f, WesUtxoSum *sum);
extern void wes_verify_state(WesFindings *f, const WesVerifyRange *r);
extern bool wes_tip_header_root(const WesVerifyRange *r, uint8 root[WES_HASH_LEN]);

/* verify_scan.c: one transaction row with its receipt (the bytea are detoasted, in the row's memory context) */
typedef struct WesTxRow
{
	int64		height;
	int32		index;
	uint8		txid[WES_HASH_LEN];
	int32		input_count;
	int32		output_count;
	bytea	   *raw;
	int16		status;
	int64		fee;
	bytea	   *receipt;
} WesTxRow;

typedef struct WesTxScan
{
	MemoryContext cxt;			/* where the scans run */
	Snapshot	snapshot;
	Relation	tx;
	Relation	tx_idx;
	AttrNumber	a_height, a_index, a_txid, a_inputs, a_outputs, a_raw;
	AttrNumber	a_status, a_fee, a_receipt;
	IndexScanDesc tx_scan;		/* transactions in (block_height, tx_index) order */
	ScanKeyData tx_keys[2];
	TupleTableSlot *tx_slot;
} WesTxScan;

extern Snapshot wes_verify_snapshot_push(void);
extern Relation wes_verify_open(const char *name, bool index);
extern void wes_txscan_begin(WesTxScan *s, Snapshot snapshot);
extern void wes_txscan_range(WesTxScan *s, int64 lo, int64 hi);
extern bool wes_txscan_next(WesTxScan *s, WesTxRow *t);
extern void wes_txscan_end(WesTxScan *s);

/* verify_index.c */
extern Oid	wes_amcheck_function(void);
extern void wes_verify_indexes(WesFindings *f);

/* Statements with int8 arguments (NULL-able), read-only unless a repair function said otherwise */
extern uint64 wes_spi_read(const char *sql, int nargs, const int64 *args, const bool *nulls);
extern void wes_spi_set_read_only(bool read_only);
extern bool wes_spi_is_read_only(void);

#endif							/* VERIFY_H */
