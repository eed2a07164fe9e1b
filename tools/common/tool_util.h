/*
 * tool_util.h
 *	  Small helpers shared by the command-line tools: fatal errors, checked
 *	  allocation, argument parsing, a monotonic clock and durations.
 */
#ifndef WES_TOOL_UTIL_H
#define WES_TOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wes_codec.h"

/* Print "PROGRAM: message" on stderr and exit 1 */
extern void die(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));
/* The same for a usage error (a bad option or option value): exit 2 */
extern void die_usage(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));
extern void *xmalloc(size_t n);
extern void *xrealloc(void *p, size_t n);
/* Exit if an encode buffer ran out of memory */
extern void check_buf(const wes_buf *b);
/* Decimal integer in 0..max, or a usage error (exit 2) naming the option (name without its "--") */
extern uint64_t parse_u64(const char *name, const char *s, uint64_t max);
/* The same in min..max */
extern uint64_t parse_u64_range(const char *name, const char *s, uint64_t min, uint64_t max);
/* Exactly len bytes of hex (an optional 0x or \x prefix), or a usage error (exit 2) naming the option */
extern void parse_hex(const char *name, const char *s, uint8_t *out, size_t len);
/* The tip as name=value lines: the format of wes-gen --tip-out and wes-load --check */
extern void print_tip(FILE *f, int64_t height, const uint8_t hash[WES_HASH_LEN],
					  const uint8_t state_root[WES_HASH_LEN], uint64_t utxo_count,
					  uint64_t blocks, uint64_t txs);
/* Seconds on the monotonic clock */
extern double now_seconds(void);
/* Seconds as h:mm:ss (an ETA) */
extern void fmt_duration(char *out, size_t len, double secs);

#endif							/* WES_TOOL_UTIL_H */
