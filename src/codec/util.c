/*
 * util.c
 *	  Small helpers of the codec: libsodium start-up, the malloc allocator,
 *	  threads that leave signals to the caller,
 *	  little-endian integers, UTF-8 validation and the names of enumerations.
 */
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wes_codec.h"

/* malloc(0) may return NULL, which callers would take for a failure */
static void *
malloc_alloc(void *ctx, size_t size)
{
	return malloc(size ? size : 1);
}

/* realloc wrapper with the allocator's signature */
static void *
malloc_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
	return realloc(ptr, new_size ? new_size : 1);
}

const wes_allocator wes_malloc_allocator = {malloc_alloc, malloc_realloc, NULL};

/*
 * Start a thread with every signal blocked, so that signals reach the
 * caller's thread alone (a PostgreSQL backend's handlers assume that); the
 * caller's own mask is as it was.  0, or pthread_create's error.
 */
int
wes_thread_create(pthread_t *thread, void *(*fn) (void *), void *arg)
{
	sigset_t	all,
				old;
	int			rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);	/* the new thread inherits the mask */
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Initialise libsodium (idempotent); 0 on success, -1 on failure */
int
wes_codec_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* Read a little-endian u32 */
uint32_t
wes_get_u32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* Read a little-endian u64 */
uint64_t
wes_get_u64(const uint8_t *p)
{
	return (uint64_t) wes_get_u32(p) | ((uint64_t) wes_get_u32(p + 4) << 32);
}

/* Write a little-endian u32 */
void
wes_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

/* Write a little-endian u64 */
void
wes_put_u64(uint8_t *p, uint64_t v)
{
	wes_put_u32(p, (uint32_t) v);
	wes_put_u32(p + 4, (uint32_t) (v >> 32));
}

/*
 * Offset of the first byte that is not valid UTF-8, or len when all are.
 * Strict RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
 * U+0000 is valid UTF-8, so a block may carry it in its text; a PostgreSQL
 * text value cannot hold it, so what shows text to SQL checks for it
 * (wes_text_to_server).
 */
size_t
wes_utf8_invalid_at(const uint8_t *p, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		uint8_t		c = p[i];
		size_t		n;
		uint8_t		lo = 0x80,
					hi = 0xBF;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;		/* overlong */
			else if (c == 0xED)
				hi = 0x9F;		/* surrogates */
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			n = 3;
			if (c == 0xF0)
				lo = 0x90;		/* overlong */
			else if (c == 0xF4)
				hi = 0x8F;		/* above U+10FFFF */
		}
		else
			return i;			/* continuation byte, C0, C1, F5..FF */
		if (len - i <= n)
			return i;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

/* Whether the bytes are valid UTF-8 (as wes_utf8_invalid_at) */
bool
wes_utf8_valid(const uint8_t *p, size_t len)
{
	return wes_utf8_invalid_at(p, len) == len;
}

/* Name of an output kind, NULL when unknown */
const char *
wes_kind_name(uint8_t kind)
{
	static const char *const names[] = {"asset", "resource", "state"};

	return kind < 3 ? names[kind] : NULL;
}

/* Name of a resource type, NULL when unknown */
const char *
wes_resource_type_name(uint8_t t)
{
	static const char *const names[] = {"file", "wasm", "onnx"};

	return t < 3 ? names[t] : NULL;
}
