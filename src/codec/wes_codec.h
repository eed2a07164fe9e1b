/*
 * wes_codec.h
 *	  The WES block wire format, version 1: decoding, encoding, hashes, RFC 6962
 *	  Merkle roots and the LtHash state commitment.
 *
 * Nothing here includes a PostgreSQL header: the same code builds into the
 * extension, the standalone unit-test binary, the fuzz targets and the tools.
 * The format itself is documented in docs/wire-format.md.
 *
 * The decoder is zero-copy: every pointer in a decoded structure points into
 * the caller's buffer, which must outlive the structure.  Arrays of inputs,
 * outputs, transactions and receipts come from the caller's allocator and are
 * sized only after the remaining bytes prove the count plausible: a first
 * pass checks every rule and counts, then one allocation of exactly the size
 * needed holds all the arrays of a block (or of a standalone transaction or
 * receipt).  That allocation is the `mem` member: free(mem) with
 * wes_malloc_allocator, nothing with palloc (the memory context owns it).
 * A rejected block allocates nothing.
 */
#ifndef WES_CODEC_H
#define WES_CODEC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WES_HASH_LEN		32
#define WES_ADDR_LEN		20
#define WES_HEADER_LEN		156
#define WES_LTHASH_LANES	1024
#define WES_LTHASH_BYTES	(2 * WES_LTHASH_LANES)
#define WES_AMOUNT_MAX		INT64_MAX	/* amounts are 0 .. 2^63-1 */

/* Smallest encodings, used to bound counts against the remaining bytes */
#define WES_MIN_INPUT_LEN	(WES_HASH_LEN + 4 + 1 + 4)
#define WES_MIN_OUTPUT_LEN	(1 + WES_ADDR_LEN + 8 + WES_HASH_LEN + 4 + 4)
#define WES_MIN_LOG_LEN		(WES_HASH_LEN + 4)

/* Header field offsets */
#define WES_OFF_VERSION		0
#define WES_OFF_HEIGHT		4
#define WES_OFF_TIMESTAMP	12
#define WES_OFF_PREV_HASH	20
#define WES_OFF_TX_ROOT		52
#define WES_OFF_RECEIPT_ROOT 84
#define WES_OFF_STATE_ROOT	116
#define WES_OFF_NONCE		148

typedef enum wes_output_kind
{
	WES_KIND_ASSET = 0,
	WES_KIND_RESOURCE = 1,
	WES_KIND_STATE = 2
} wes_output_kind;

typedef enum wes_resource_type
{
	WES_RESOURCE_FILE = 0,
	WES_RESOURCE_WASM = 1,
	WES_RESOURCE_ONNX = 2
} wes_resource_type;

#define WES_INPUT_SPEND		0
#define WES_INPUT_REFERENCE 1
#define WES_STATUS_SUCCESS	0
#define WES_STATUS_FAILURE	1

/* A view of bytes inside the decoded buffer */
typedef struct wes_bytes
{
	const uint8_t *ptr;
	uint32_t	len;
} wes_bytes;

typedef struct wes_header
{
	uint32_t	version;
	uint64_t	height;
	uint64_t	timestamp_ms;
	const uint8_t *prev_hash;
	const uint8_t *tx_root;
	const uint8_t *receipt_root;
	const uint8_t *state_root;
	uint64_t	nonce;
} wes_header;

typedef struct wes_input
{
	const uint8_t *txid;		/* transaction that created the output */
	uint32_t	index;
	uint8_t		flags;			/* WES_INPUT_SPEND or WES_INPUT_REFERENCE */
	wes_bytes	unlock;
} wes_input;

/* Metadata carried in the data of a resource output */
typedef struct wes_resource_meta
{
	uint8_t		resource_type;
	uint64_t	size;
	wes_bytes	media_type;		/* valid UTF-8 */
	wes_bytes	name;			/* valid UTF-8 */
} wes_resource_meta;

typedef struct wes_output
{
	uint8_t		kind;
	const uint8_t *owner;		/* WES_ADDR_LEN bytes */
	uint64_t	amount;
	const uint8_t *ref;			/* WES_HASH_LEN bytes */
	wes_bytes	lock;
	wes_bytes	data;
	wes_bytes	encoding;		/* the output's exact bytes */
	wes_resource_meta resource; /* set when kind == WES_KIND_RESOURCE */
} wes_output;

typedef struct wes_tx
{
	wes_bytes	raw;			/* encoding inside the length prefix */
	uint32_t	offset;			/* offset of raw.ptr in the block */
	uint32_t	version;
	uint32_t	n_inputs;
	wes_input  *inputs;
	uint32_t	n_outputs;
	wes_output *outputs;
	wes_bytes	payload;
	uint8_t		txid[WES_HASH_LEN]; /* set by wes_block_hash_all */
	void	   *mem;			/* arrays' allocation (wes_tx_decode only; NULL inside a block) */
} wes_tx;

typedef struct wes_log
{
	const uint8_t *topic;		/* WES_HASH_LEN bytes */
	wes_bytes	data;
} wes_log;

typedef struct wes_receipt
{
	wes_bytes	raw;
	uint32_t	offset;
	uint8_t		status;
	uint64_t	fee;
	wes_bytes	return_data;
	uint32_t	n_logs;
	wes_log    *logs;
	uint8_t		hash[WES_HASH_LEN]; /* set by wes_block_hash_all */
	void	   *mem;			/* arrays' allocation (wes_receipt_decode only; NULL inside a block) */
} wes_receipt;

typedef struct wes_block
{
	const uint8_t *raw;			/* the whole block */
	size_t		size;
	wes_header	header;
	uint32_t	n_tx;
	wes_tx	   *txs;
	wes_receipt *receipts;
	uint8_t		hash[WES_HASH_LEN]; /* set by wes_block_hash_all */
	void	   *mem;			/* the one allocation holding every array (NULL if none) */
} wes_block;

/* Memory for decoded arrays and encode buffers: palloc in the backend, malloc elsewhere */
typedef struct wes_allocator
{
	void	   *(*alloc) (void *ctx, size_t size);	/* NULL on failure */
	void	   *(*realloc) (void *ctx, void *ptr, size_t old_size, size_t new_size);
	void	   *ctx;
} wes_allocator;

extern const wes_allocator wes_malloc_allocator;

typedef enum wes_status
{
	WES_OK = 0,
	WES_ERR_DECODE,				/* the bytes do not follow the format */
	WES_ERR_NOMEM
} wes_status;

/*
 * Where and why decoding failed: field is a path such as "header.version",
 * "n_tx", "transactions[2].outputs[0].amount", "receipts[1].logs[0].data",
 * "transactions[0].outputs[1].data.media_type", "transactions[3]" (its length
 * prefix or bytes left inside it) or "trailing bytes"; offset is where the bad
 * field starts (for a length or count: where its u32 starts).  Standalone
 * decoders use paths and offsets relative to their own buffer.
 */
typedef struct wes_error
{
	wes_status	status;
	size_t		offset;			/* byte offset in the block */
	char		field[96];
	char		message[160];
} wes_error;

/* ---- decoding (decode.c) ---- */

/* Decode a whole block; every rule of "It decodes exactly" is checked */
extern wes_status wes_block_decode(const uint8_t *buf, size_t len,
								   const wes_allocator *a, wes_block *out,
								   wes_error *err);

/* Decode one transaction / receipt / output / resource metadata on its own (offsets relative to buf) */
extern wes_status wes_tx_decode(const uint8_t *buf, size_t len, const wes_allocator *a,
								wes_tx *out, wes_error *err);
extern wes_status wes_receipt_decode(const uint8_t *buf, size_t len, const wes_allocator *a,
									 wes_receipt *out, wes_error *err);
/* One output encoding on its own (a UTXO's stored encoding): no trailing bytes */
extern wes_status wes_output_decode(const uint8_t *buf, size_t len, wes_output *out, wes_error *err);
extern wes_status wes_resource_meta_decode(const uint8_t *buf, size_t len,
										   wes_resource_meta *out, wes_error *err);

/* Decode exactly one output encoding (a snapshot file's record); encoding spans all of buf */
extern wes_status wes_output_decode(const uint8_t *buf, size_t len, wes_output *out, wes_error *err);

/* Fill header from exactly WES_HEADER_LEN bytes (no checks beyond length) */
extern void wes_header_parse(const uint8_t *buf, wes_header *out);

/* ---- hashing (hash.c) ---- */

/* H(x): BLAKE2b-256 */
extern void wes_hash(const uint8_t *data, size_t len, uint8_t out[WES_HASH_LEN]);
extern void wes_sha256(const uint8_t *data, size_t len, uint8_t out[WES_HASH_LEN]);

/* Block hash, every txid and every receipt hash of a decoded block */
extern void wes_block_hash_all(wes_block *b);

/* ---- Merkle (merkle.c): RFC 6962 with H ---- */

extern void wes_merkle_root(const uint8_t (*leaves)[WES_HASH_LEN], size_t n,
							uint8_t out[WES_HASH_LEN]);
/* The same over leaf i at first + i * stride (hashes inside an array of structs) */
extern void wes_merkle_root_strided(const uint8_t *first, size_t stride, size_t n,
									uint8_t out[WES_HASH_LEN]);
/* tx_root and receipt_root computed from a block hashed by wes_block_hash_all */
extern void wes_block_roots(const wes_block *b, uint8_t tx_root[WES_HASH_LEN],
							uint8_t receipt_root[WES_HASH_LEN]);

/* Audit path of leaf index in a tree of n leaves; returns its length (<= 64) */
extern size_t wes_merkle_path(const uint8_t (*leaves)[WES_HASH_LEN], size_t n, size_t index,
							  uint8_t (*path)[WES_HASH_LEN]);

/* Whether path proves leaf at index among n leaves under root */
extern bool wes_merkle_verify(const uint8_t leaf[WES_HASH_LEN], size_t index, size_t n,
							  const uint8_t (*path)[WES_HASH_LEN], size_t path_len,
							  const uint8_t root[WES_HASH_LEN]);

/* ---- state commitment (lthash.c) ---- */

typedef struct wes_lthash
{
	uint16_t	lanes[WES_LTHASH_LANES];
} wes_lthash;

extern void wes_lthash_init(wes_lthash *acc);
/* elem = txid || u32le(index) || output encoding */
extern void wes_lthash_add(wes_lthash *acc, const uint8_t txid[WES_HASH_LEN], uint32_t index,
						   const uint8_t *output, size_t output_len);
extern void wes_lthash_remove(wes_lthash *acc, const uint8_t txid[WES_HASH_LEN], uint32_t index,
							  const uint8_t *output, size_t output_len);
/* Add/remove a whole accumulator (lane-wise), for combining partial sums */
extern void wes_lthash_combine(wes_lthash *acc, const wes_lthash *other, bool subtract);
extern void wes_lthash_root(const wes_lthash *acc, uint8_t out[WES_HASH_LEN]);
/* Serialise as 2048 bytes, lanes little-endian, and back */
extern void wes_lthash_to_bytes(const wes_lthash *acc, uint8_t out[WES_LTHASH_BYTES]);
extern void wes_lthash_from_bytes(wes_lthash *acc, const uint8_t in[WES_LTHASH_BYTES]);
/* Expansion of one element (for tests): 1024 lanes */
extern void wes_lthash_expand(const uint8_t *elem, size_t len, wes_lthash *out);

/* ---- LtHash moves on a thread of their own (lthash_worker.c) ---- */

/* One output added to the set or removed from it: elem = txid || u32le(index) || output */
typedef struct wes_lthash_item
{
	const uint8_t *txid;
	const uint8_t *output;
	uint32_t	index;
	uint32_t	output_len;
	bool		remove;
} wes_lthash_item;

typedef struct wes_lthash_worker wes_lthash_worker;

extern void wes_lthash_apply(wes_lthash *acc, const wes_lthash_item *items, size_t n);
/* NULL when no thread can be started */
extern wes_lthash_worker *wes_lthash_worker_start(void);
/* items stay alive and unchanged until wes_lthash_worker_wait or _abandon returns */
extern void wes_lthash_worker_submit(wes_lthash_worker *w, const wes_lthash_item *items, size_t n);
/* sum: what the items add minus what they remove */
extern void wes_lthash_worker_wait(wes_lthash_worker *w, wes_lthash *sum);
/* drop what is left of the job, wait for the chunk in hand: items are no longer read */
extern void wes_lthash_worker_abandon(wes_lthash_worker *w);
extern void wes_lthash_worker_stop(wes_lthash_worker *w);

/* ---- blocks of a run made ready on a thread of their own (decode_ahead.c) ---- */

/* A block decoded and hashed, with the roots its contents give (or why it does not decode) */
typedef struct wes_ready_block
{
	wes_status	status;			/* WES_OK, or what err says */
	wes_error	err;
	wes_block	block;			/* when WES_OK; block.mem is malloc'd, the taker frees it */
	uint8_t		tx_root[WES_HASH_LEN];
	uint8_t		receipt_root[WES_HASH_LEN];
} wes_ready_block;

/* Decode buf with allocator a, then hash the block and compute its roots (when it decodes) */
extern void wes_block_make_ready(const uint8_t *buf, size_t len, const wes_allocator *a,
								 wes_ready_block *r);

typedef struct wes_decode_ahead wes_decode_ahead;

/* bufs[0..n-1] (NULL: no such block) stay alive and unchanged until stop returns; NULL when no thread */
extern wes_decode_ahead *wes_decode_ahead_start(const uint8_t *const *bufs, const size_t *lens,
												size_t n, size_t depth);
/* Block i, taken in order; false when the thread did not make it ready (decode it yourself) */
extern bool wes_decode_ahead_take(wes_decode_ahead *d, size_t i, wes_ready_block *out);
extern void wes_decode_ahead_stop(wes_decode_ahead *d);

/* A thread started with every signal blocked (util.c); 0 or pthread_create's error */
extern int	wes_thread_create(pthread_t *thread, void *(*fn) (void *), void *arg);

/* ---- encoding (encode.c) ---- */

/* A growable output buffer */
typedef struct wes_buf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	const wes_allocator *a;
	bool		failed;			/* an allocation failed; data is incomplete */
} wes_buf;

extern void wes_buf_init(wes_buf *b, const wes_allocator *a, size_t initial);
extern void wes_buf_put(wes_buf *b, const void *p, size_t n);
extern void wes_buf_put_u8(wes_buf *b, uint8_t v);
extern void wes_buf_put_u32(wes_buf *b, uint32_t v);
extern void wes_buf_put_u64(wes_buf *b, uint64_t v);
extern void wes_buf_put_bytes(wes_buf *b, const uint8_t *p, uint32_t n);	/* u32 length + bytes */

/* Encoders take the decoded structures; their wes_bytes may point anywhere */
extern void wes_encode_header(wes_buf *b, const wes_header *h);
extern void wes_encode_input(wes_buf *b, const wes_input *in);
extern void wes_encode_output(wes_buf *b, const wes_output *out);	/* uses out->data as is */
extern void wes_encode_resource_meta(wes_buf *b, const wes_resource_meta *m);
extern void wes_encode_tx(wes_buf *b, const wes_tx *tx);
extern void wes_encode_receipt(wes_buf *b, const wes_receipt *r);
/* header, n_tx, then each tx->raw and receipt->raw length-prefixed (raw must be set) */
extern void wes_encode_block(wes_buf *b, const wes_header *h, uint32_t n_tx,
							 const wes_tx *txs, const wes_receipt *receipts);

/* ---- small helpers (util.c) ---- */

/* Strict UTF-8 (RFC 3629: no overlong forms or surrogates; U+0000 is valid) */
extern bool wes_utf8_valid(const uint8_t *p, size_t len);
/* Offset of the first invalid byte, len when valid */
extern size_t wes_utf8_invalid_at(const uint8_t *p, size_t len);
extern uint32_t wes_get_u32(const uint8_t *p);
extern uint64_t wes_get_u64(const uint8_t *p);
extern void wes_put_u32(uint8_t *p, uint32_t v);
extern void wes_put_u64(uint8_t *p, uint64_t v);
extern const char *wes_kind_name(uint8_t kind);		/* "asset", ... or NULL */
extern const char *wes_resource_type_name(uint8_t t); /* "file", ... or NULL */

/* libsodium must be initialised once per process before hashing */
extern int	wes_codec_init(void);

#endif							/* WES_CODEC_H */
