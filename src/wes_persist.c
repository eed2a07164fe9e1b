/*
 * wes_persist.c
 *	  Module entry: GUCs, libsodium start-up, and the small helpers every
 *	  PostgreSQL-facing file shares (palloc allocator for the codec, hex).
 */
#include "postgres.h"

#include <sodium.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "wes_persist.h"
#include "wes_types.h"

PG_MODULE_MAGIC;

int			wes_journal_depth = 0;
int			wes_snapshot_interval = 1000;
int			wes_snapshot_retention = 10;
bool		wes_verify_heapallindexed = false;
int			wes_write_window = 131072;
bool		wes_lthash_thread = true;
bool		wes_decode_thread = true;
bool		wes_recent_buffers_on = true;

/* Codec allocations come from the current memory context; huge blocks are allowed */
static void *
palloc_alloc(void *ctx, size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

static void *
palloc_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
	if (ptr == NULL)
		return palloc_extended(new_size, MCXT_ALLOC_HUGE);
	return repalloc_huge(ptr, new_size);
}

const wes_allocator wes_palloc_allocator = {palloc_alloc, palloc_realloc, NULL};

/*
 * Lower-case hex of n bytes into out, which holds 2n + 1: PostgreSQL's own encoder,
 * the one bytea's output uses.  These values are public, so libsodium's constant-time
 * loop buys nothing here and costs 1.8 times the instructions (callgrind: the five hex
 * columns of one wes_utxo_lookup row, 3.6k against 2.0k)
 */
void
wes_hex_write(char *out, const uint8 *bytes, size_t n)
{
	out[hex_encode((const char *) bytes, n, out)] = '\0';
}

/* Lower-case hex of n bytes, palloc'd */
char *
wes_hex_encode(const uint8 *bytes, size_t n)
{
	char	   *out = palloc(n * 2 + 1);

	wes_hex_write(out, bytes, n);
	return out;
}

void
wes_require_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: %s must not be null", get_func_name(fcinfo->flinfo->fn_oid), argname)));
}

/* Decode exactly len bytes from hexlen hex digits (either case); false on anything else */
bool
wes_hex_decode(const char *hex, size_t hexlen, uint8 *out, size_t len)
{
	size_t		got = 0;

	return hexlen == 2 * len &&
		(len == 0 ||
		 (sodium_hex2bin(out, len, hex, hexlen, NULL, &got, NULL) == 0 && got == len));
}

/* Reject bytes that do not decode: ERROR 22P03 naming what, the field and the byte offset */
void
wes_report_decode_error(const char *what, const wes_error *err)
{
	ereport(ERROR,
			(errcode(err->status == WES_ERR_NOMEM ? ERRCODE_OUT_OF_MEMORY
					 : ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s: %s at byte offset %zu: %s",
					what, err->field, err->offset, err->message)));
}

/* wes.chain_state is not as the extension keeps it (XX001: someone changed it by hand) */
void
wes_report_chain_state_damaged(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("wes.chain_state is damaged: %s", what),
			 errhint("The extension keeps exactly one row there and only its own functions change it; "
					 "restore it from a backup, or load the chain again (from a snapshot or from its blocks).")));
}

WesHash *
wes_hash_from_bytes(const uint8 *bytes)
{
	WesHash    *h = palloc(sizeof(WesHash));

	memcpy(h->data, bytes, WES_HASH_LEN);
	return h;
}

WesAddress *
wes_address_from_bytes(const uint8 *bytes)
{
	WesAddress *a = palloc(sizeof(WesAddress));

	memcpy(a->data, bytes, WES_ADDR_LEN);
	return a;
}

WesOutpoint *
wes_outpoint_make(const uint8 *txid, uint32 index)
{
	WesOutpoint *op = palloc(sizeof(WesOutpoint));

	wes_outpoint_set(op, txid, index);
	return op;
}

void
_PG_init(void)
{
	if (wes_codec_init() < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not initialise libsodium")));

	DefineCustomIntVariable("wes_persist.journal_depth",
							"Blocks of journal kept for rollback (0 keeps everything).",
							NULL, &wes_journal_depth, 0, 0, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("wes_persist.snapshot_interval",
							"Take a full snapshot every this many blocks (0 turns automatic snapshots off).",
							NULL, &wes_snapshot_interval, 1000, 0, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("wes_persist.snapshot_retention",
							"Snapshots kept, automatic and manual; older ones are deleted, never the one the chain started from (0 keeps all).",
							NULL, &wes_snapshot_retention, 10, 0, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("wes_persist.verify_heapallindexed",
							 "wes_verify also checks that every heap row has its index entries (slower).",
							 NULL, &wes_verify_heapallindexed, false,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("wes_persist.write_window",
							"Outputs a wes_write_blocks call holds back, so that those its later blocks spend "
							"are written once with their spend mark (0: each block's outputs go in with it).",
							NULL, &wes_write_window, 131072, 0, 16777216,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("wes_persist.lthash_thread",
							 "Computes a block's moves of the state commitment (LtHash) on a second thread "
							 "while the block's rows are written.",
							 NULL, &wes_lthash_thread, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("wes_persist.decode_thread",
							 "Decodes and hashes the blocks of a wes_write_blocks call on a second thread, "
							 "a few blocks ahead of the one being written.",
							 NULL, &wes_decode_thread, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("wes_persist.recent_buffers",
							 "Batched outpoint lookups (wes_utxo_lookup of an array, the writer's lookups of the "
							 "outputs a block spends) read pages through the shared buffers they were last found "
							 "in, and have the CPU load the pages of the keys ahead.",
							 NULL, &wes_recent_buffers_on, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("wes_persist");
}
