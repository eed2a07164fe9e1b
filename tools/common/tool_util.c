/*
 * tool_util.c
 *	  Helpers shared by the command-line tools.
 */
#include "tool_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const char *__progname;	/* glibc: the program's name, for messages */

/* Print "PROGRAM: message" on stderr and exit with status */
static void __attribute__((noreturn))
vdie(int status, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", __progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(status);
}

/* A failure: exit 1 */
void
die(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vdie(1, fmt, ap);
}

/* A usage error (an option's value): exit 2, as a bad option does */
void
die_usage(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vdie(2, fmt, ap);
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	   *q = realloc(p, n ? n : 1);

	if (q == NULL)
		die("out of memory (%zu bytes)", n);
	return q;
}

/* Exit if an encode buffer ran out of memory */
void
check_buf(const wes_buf *b)
{
	if (b->failed)
		die("out of memory while encoding (%zu bytes)", b->len);
}

/* Decimal integer in 0..max, or a usage error naming the option */
uint64_t
parse_u64(const char *name, const char *s, uint64_t max)
{
	return parse_u64_range(name, s, 0, max);
}

/* Decimal integer in min..max, or a usage error naming the option and both bounds */
uint64_t
parse_u64_range(const char *name, const char *s, uint64_t min, uint64_t max)
{
	char	   *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < min || v > max)
		die_usage("--%s must be an integer between %llu and %llu, not \"%s\"", name,
			(unsigned long long) min, (unsigned long long) max, s);
	return v;
}

/* Exactly len bytes of hex (an optional 0x or \x prefix), or a usage error naming the option */
void
parse_hex(const char *name, const char *s, uint8_t *out, size_t len)
{
	size_t		got = 0;
	const char *end = NULL;

	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) || (s[0] == '\\' && s[1] == 'x'))
		s += 2;
	if (strlen(s) != 2 * len ||
		sodium_hex2bin(out, len, s, strlen(s), NULL, &got, &end) != 0 || got != len)
		die_usage("--%s must be %zu hex digits, not \"%.80s%s\"", name, 2 * len, s,
			strlen(s) > 80 ? "..." : "");
}

/* The tip as name=value lines: the format of wes-gen --tip-out and wes-load --check */
void
print_tip(FILE *f, int64_t height, const uint8_t hash[WES_HASH_LEN],
		  const uint8_t state_root[WES_HASH_LEN], uint64_t utxo_count,
		  uint64_t blocks, uint64_t txs)
{
	char		h[2 * WES_HASH_LEN + 1],
				r[2 * WES_HASH_LEN + 1];

	sodium_bin2hex(h, sizeof(h), hash, WES_HASH_LEN);
	sodium_bin2hex(r, sizeof(r), state_root, WES_HASH_LEN);
	fprintf(f, "height=%lld\nhash=%s\nstate_root=%s\nutxo_count=%llu\nblocks=%llu\ntxs=%llu\n",
			(long long) height, h, r, (unsigned long long) utxo_count,
			(unsigned long long) blocks, (unsigned long long) txs);
}

/* Seconds on the monotonic clock */
double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds as h:mm:ss */
void
fmt_duration(char *out, size_t len, double secs)
{
	long		s = (long) (secs + 0.5);

	snprintf(out, len, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
}
