/*
 * codec_test.h
 *	  What the two files of the codec unit test share: TAP output, a counting
 *	  allocator and the decoded vector chain.
 */
#ifndef CODEC_TEST_H
#define CODEC_TEST_H

#include "wes_codec.h"

#define MAX_BLOCKS 64

/* An allocator that counts its calls and can be told to fail */
typedef struct counting
{
	size_t		calls;
	size_t		largest;
	size_t		fail_after;		/* fail the call after this many; SIZE_MAX for never */
} counting;

/* One output of the replayed UTXO set, and one spend */
typedef struct utxo
{
	uint8_t		txid[WES_HASH_LEN];
	uint32_t	index;
	const wes_output *out;
	bool		live;
} utxo;

typedef struct spend
{
	uint8_t		txid[WES_HASH_LEN];
	uint32_t	index;
	uint8_t		spent_by[WES_HASH_LEN];
	uint64_t	height;
} spend;

typedef struct chain
{
	size_t		n_blocks;
	uint8_t    *raw[MAX_BLOCKS];
	size_t		len[MAX_BLOCKS];
	wes_block	blocks[MAX_BLOCKS];
	utxo	   *utxos;
	size_t		n_utxos;
	spend	   *spends;
	size_t		n_spends;
	wes_lthash	acc;
} chain;

extern bool ok(bool cond, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void diag(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void *counting_alloc(void *ctx, size_t size);
extern void *counting_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size);
extern wes_status decode_counted(const uint8_t *buf, size_t len, counting *c, wes_error *err);
extern void block_root(const wes_block *b, bool receipts, uint8_t out[WES_HASH_LEN]);

/* codec_test_threads.c */
extern void test_threads(const chain *ch);

/* codec_test_mutate.c */
extern size_t smallest_block(const chain *ch);
extern void test_truncation(const chain *ch, size_t bi);
extern void test_header_flips(const chain *ch, size_t bi);
extern void test_huge_counts(const chain *ch, size_t bi);
extern void test_field_patches(const chain *ch);
extern void test_structure(const chain *ch);
extern void test_leftovers(const chain *ch, size_t bi);
extern void test_standalone(const chain *ch);
extern void test_utf8(void);
extern void test_nomem(const chain *ch, size_t bi);
extern void report_speed(const chain *ch);

/* codec_test_output.c */
extern void test_output_decode(const chain *ch);

#endif							/* CODEC_TEST_H */
