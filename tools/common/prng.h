/*
 * prng.h
 *	  Deterministic randomness for wes-gen (prng.c).
 */
#ifndef WES_TOOLS_PRNG_H
#define WES_TOOLS_PRNG_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct prng
{
	uint8_t		key[crypto_stream_chacha20_ietf_KEYBYTES];
	uint8_t		nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
	uint32_t	counter;
	size_t		pos;
	uint8_t		buf[4096];
} prng;

extern void prng_init(prng *p, const char *seed);
extern void prng_bytes(prng *p, void *out, size_t n);
extern uint64_t prng_u64(prng *p);
extern uint64_t prng_below(prng *p, uint64_t n);
extern bool prng_chance(prng *p, double share);

#endif
