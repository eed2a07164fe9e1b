/*
 * prng.c
 *	  Deterministic randomness for wes-gen: a ChaCha20-IETF keystream keyed by
 *	  H("wes-gen seed " || seed), so that a chain depends only on its options and
 *	  its seed.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"
#include "tool_util.h"
#include "wes_codec.h"

static const uint8_t zeros[4096];

/*
 * Key the keystream with H("wes-gen seed " || seed), over every byte of the
 * seed: two seeds that differ anywhere give different chains
 */
void
prng_init(prng *p, const char *seed)
{
	static const char prefix[] = "wes-gen seed ";
	size_t		len = strlen(prefix) + strlen(seed);
	char	   *label = xmalloc(len + 1);

	snprintf(label, len + 1, "%s%s", prefix, seed);
	wes_hash((const uint8_t *) label, len, p->key);
	free(label);
	memset(p->nonce, 0, sizeof(p->nonce));
	p->counter = 0;
	p->pos = sizeof(p->buf);
}

/* Next 4 KiB of keystream; after 2^32 ChaCha blocks the nonce moves on */
static void
prng_refill(prng *p)
{
	crypto_stream_chacha20_ietf_xor_ic(p->buf, zeros, sizeof(p->buf), p->nonce, p->counter, p->key);
	p->counter += sizeof(p->buf) / 64;
	if (p->counter == 0)
		sodium_increment(p->nonce, sizeof(p->nonce));
	p->pos = 0;
}

/* The next n bytes of the keystream */
void
prng_bytes(prng *p, void *out, size_t n)
{
	uint8_t    *o = out;

	while (n > 0)
	{
		size_t		k;

		if (p->pos == sizeof(p->buf))
			prng_refill(p);
		k = sizeof(p->buf) - p->pos;
		if (k > n)
			k = n;
		memcpy(o, p->buf + p->pos, k);
		p->pos += k;
		o += k;
		n -= k;
	}
}

/* The next 8 bytes of the keystream, little-endian */
uint64_t
prng_u64(prng *p)
{
	uint8_t		b[8];

	prng_bytes(p, b, sizeof(b));
	return wes_get_u64(b);
}

/* Uniform-enough integer in 0..n-1 (n > 0; the modulo bias is below 2^-40 for our n) */
uint64_t
prng_below(prng *p, uint64_t n)
{
	return prng_u64(p) % n;
}

/* True with probability share */
bool
prng_chance(prng *p, double share)
{
	return share > 0 && (double) (prng_u64(p) >> 11) * 0x1.0p-53 < share;
}
