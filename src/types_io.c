/*
 * types_io.c
 *	  Text and binary I/O of wes_hash, wes_address and wes_outpoint, their
 *	  casts to and from bytea, the outpoint constructor and accessors, and the
 *	  parsing of hex prefixes for prefix search.
 *
 * Text is lower-case hex on output; input also takes upper case and a "0x"
 * or "\x" prefix.  An outpoint is "<64 hex>:<index>".  Binary receive is as
 * strict as text input: exactly the type's length.
 */
#include "postgres.h"

#include <sodium.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "types_internal.h"

/* ---------------------------------------------------------------------
 * Shared rules
 * ---------------------------------------------------------------------
 */

/* Skip an optional "0x", "0X" or "\x" before hex digits */
static inline const char *
hex_skip_prefix(const char *s, size_t *n)
{
	if (*n >= 2 && (s[0] == '0' || s[0] == '\\') && (s[1] == 'x' || (s[0] == '0' && s[1] == 'X')))
	{
		*n -= 2;
		return s + 2;
	}
	return s;
}

/* Reject text input: ERROR 22P02 showing the input, with a detail saying what is expected */
static pg_attribute_noreturn() void
report_bad_text(const char *typname, const char *str, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", typname, str),
			 errdetail_internal("%s", detail)));
}

/* Reject binary input of the wrong length: ERROR 22P03 */
static pg_attribute_noreturn() void
report_bad_length(const char *typname, const char *what, size_t got, size_t len)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg_plural("invalid %s length for type %s: %zu byte",
						   "invalid %s length for type %s: %zu bytes",
						   got, what, typname, got),
			 errdetail("A %s value is exactly %zu bytes.", typname, len)));
}

/* Parse the hex text form of a len-byte value into out */
static void
hex_text_in(const char *str, uint8 *out, size_t len, const char *typname)
{
	size_t		n = strlen(str);
	const char *hex = hex_skip_prefix(str, &n);

	if (!wes_hex_decode(hex, n, out, len))
		report_bad_text(typname, str,
						psprintf("A %s is %zu hexadecimal digits, optionally after \"0x\" or \"\\x\".",
								 typname, 2 * len));
}

/* Read exactly len bytes of binary input into out */
static void
binary_in(StringInfo buf, uint8 *out, size_t len, const char *typname)
{
	size_t		avail = buf->len - buf->cursor;

	if (avail != len)
		report_bad_length(typname, "binary", avail, len);
	pq_copymsgbytes(buf, (char *) out, len);
}

/* The binary form: the bytes themselves */
static bytea *
binary_out(const uint8 *data, size_t len)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, (const char *) data, len);
	return pq_endtypsend(&buf);
}

/* A bytea holding a copy of the value's bytes */
static bytea *
bytes_to_bytea(const uint8 *data, size_t len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), data, len);
	return b;
}

/* A palloc'd value from a bytea of exactly len bytes */
static void *
bytea_to_bytes(const bytea *b, size_t len, const char *typname)
{
	uint8	   *out;

	if (VARSIZE_ANY_EXHDR(b) != len)
		report_bad_length(typname, "bytea", VARSIZE_ANY_EXHDR(b), len);
	out = palloc(len);
	memcpy(out, VARDATA_ANY(b), len);
	return out;
}

/* ---------------------------------------------------------------------
 * Per-type SQL functions
 * ---------------------------------------------------------------------
 */

/* Text I/O of a plain hex type: <prefix>_in, <prefix>_out */
#define WES_HEX_TEXT_IO(prefix, Type, LEN) \
PG_FUNCTION_INFO_V1(prefix##_in); \
Datum \
prefix##_in(PG_FUNCTION_ARGS) \
{ \
	Type	   *v = palloc(sizeof(Type)); \
	hex_text_in(PG_GETARG_CSTRING(0), v->data, LEN, #prefix); \
	PG_RETURN_POINTER(v); \
} \
PG_FUNCTION_INFO_V1(prefix##_out); \
Datum \
prefix##_out(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_CSTRING(wes_hex_encode(((Type *) PG_GETARG_POINTER(0))->data, LEN)); \
}

WES_FOR_EACH_HEX_TYPE(WES_HEX_TEXT_IO)

/* Binary I/O and bytea casts: <prefix>_recv, _send, _to_bytea, _from_bytea */
#define WES_BINARY_IO(prefix, Type, LEN) \
PG_FUNCTION_INFO_V1(prefix##_recv); \
Datum \
prefix##_recv(PG_FUNCTION_ARGS) \
{ \
	Type	   *v = palloc(sizeof(Type)); \
	binary_in((StringInfo) PG_GETARG_POINTER(0), v->data, LEN, #prefix); \
	PG_RETURN_POINTER(v); \
} \
PG_FUNCTION_INFO_V1(prefix##_send); \
Datum \
prefix##_send(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BYTEA_P(binary_out(((Type *) PG_GETARG_POINTER(0))->data, LEN)); \
} \
PG_FUNCTION_INFO_V1(prefix##_to_bytea); \
Datum \
prefix##_to_bytea(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BYTEA_P(bytes_to_bytea(((Type *) PG_GETARG_POINTER(0))->data, LEN)); \
} \
PG_FUNCTION_INFO_V1(prefix##_from_bytea); \
Datum \
prefix##_from_bytea(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(bytea_to_bytes(PG_GETARG_BYTEA_PP(0), LEN, #prefix)); \
}

WES_FOR_EACH_TYPE(WES_BINARY_IO)

/* ---------------------------------------------------------------------
 * wes_outpoint: text form, constructor, accessors
 * ---------------------------------------------------------------------
 */

/* Parse a decimal output index (digits only) into *index; false if not 0..4294967295 */
static inline bool
parse_output_index(const char *s, uint32 *index)
{
	uint64		v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > PG_UINT32_MAX)
			return false;
	}
	*index = (uint32) v;
	return true;
}

PG_FUNCTION_INFO_V1(wes_outpoint_in);
/* Parse "<64 hex>:<index>" */
Datum
wes_outpoint_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	const char *colon = strchr(str, ':');
	WesOutpoint *op = palloc(sizeof(WesOutpoint));
	size_t		n;
	const char *hex;
	uint32		index;

	if (colon == NULL)
		report_bad_text("wes_outpoint", str,
						"An outpoint is written <64 hexadecimal digits>:<output index>.");
	n = colon - str;
	hex = hex_skip_prefix(str, &n);
	if (!wes_hex_decode(hex, n, op->data, WES_HASH_LEN))
		report_bad_text("wes_outpoint", str,
						"The transaction id before the colon is 64 hexadecimal digits, optionally after \"0x\" or \"\\x\".");
	if (!parse_output_index(colon + 1, &index))
		report_bad_text("wes_outpoint", str,
						"The output index after the colon is a decimal integer from 0 to 4294967295.");
	wes_outpoint_set(op, op->data, index);
	PG_RETURN_POINTER(op);
}

PG_FUNCTION_INFO_V1(wes_outpoint_out);
/* Print "<64 hex>:<index>" */
Datum
wes_outpoint_out(PG_FUNCTION_ARGS)
{
	WesOutpoint *op = PG_GETARG_WESOUTPOINT_P(0);
	char	   *out = palloc(2 * WES_HASH_LEN + sizeof(":4294967295"));
	char	   *p = out + 2 * WES_HASH_LEN;

	/* written in place: psprintf's format parsing was a quarter of this function's time */
	wes_hex_write(out, op->data, WES_HASH_LEN);
	*p++ = ':';
	p += pg_ultoa_n(wes_outpoint_get_index(op), p);
	*p = '\0';
	PG_RETURN_CSTRING(out);
}

/* Build an outpoint, rejecting an index outside 0..4294967295 */
static WesOutpoint *
outpoint_from_args(const WesHash *txid, int64 index)
{
	if (index < 0 || index > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("output index %lld is out of range for type wes_outpoint", (long long) index),
				 errdetail("An output index is from 0 to 4294967295.")));
	return wes_outpoint_make(txid->data, (uint32) index);
}

PG_FUNCTION_INFO_V1(wes_outpoint_make_int4);
/* wes_outpoint(txid wes_hash, index int) */
Datum
wes_outpoint_make_int4(PG_FUNCTION_ARGS)
{
	PG_RETURN_WESOUTPOINT_P(outpoint_from_args(PG_GETARG_WESHASH_P(0), PG_GETARG_INT32(1)));
}

PG_FUNCTION_INFO_V1(wes_outpoint_make_int8);
/* wes_outpoint(txid wes_hash, index bigint): the whole u32 range */
Datum
wes_outpoint_make_int8(PG_FUNCTION_ARGS)
{
	PG_RETURN_WESOUTPOINT_P(outpoint_from_args(PG_GETARG_WESHASH_P(0), PG_GETARG_INT64(1)));
}

PG_FUNCTION_INFO_V1(wes_outpoint_txid);
/* The transaction id of an outpoint */
Datum
wes_outpoint_txid(PG_FUNCTION_ARGS)
{
	PG_RETURN_WESHASH_P(wes_hash_from_bytes(PG_GETARG_WESOUTPOINT_P(0)->data));
}

PG_FUNCTION_INFO_V1(wes_outpoint_index);
/* The output index of an outpoint, as bigint: it is a u32 */
Datum
wes_outpoint_index(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) wes_outpoint_get_index(PG_GETARG_WESOUTPOINT_P(0)));
}

/* ---------------------------------------------------------------------
 * Hex prefixes (prefix search)
 * ---------------------------------------------------------------------
 */

/* See types_internal.h */
void
wes_prefix_range(const text *prefix, size_t len, const char *typname,
				 uint8 *lo, uint8 *hi)
{
	size_t		n = VARSIZE_ANY_EXHDR(prefix);
	const char *hex = hex_skip_prefix(VARDATA_ANY(prefix), &n);
	char		padded[2 * WES_MAX_TYPE_LEN + 1];
	size_t		nbytes = (n + 1) / 2;
	size_t		got = 0;

	Assert(len <= WES_MAX_TYPE_LEN);
	/* an odd last digit is decoded as its high nibble: pad it with a 0 digit */
	if (n <= 2 * len)
	{
		memcpy(padded, hex, n);
		padded[n] = '0';
	}
	if (n > 2 * len ||
		sodium_hex2bin(lo, len, padded, 2 * nbytes, NULL, &got, NULL) != 0 ||
		got != nbytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for %s prefix: \"%s\"", typname, text_to_cstring(prefix)),
				 errdetail("A %s prefix is up to %zu hexadecimal digits, optionally after \"0x\" or \"\\x\".",
						   typname, 2 * len)));
	memcpy(hi, lo, nbytes);
	memset(lo + nbytes, 0x00, len - nbytes);
	memset(hi + nbytes, 0xff, len - nbytes);
	if (n % 2 == 1)
		hi[nbytes - 1] |= 0x0f;
}

/* See types_internal.h: a scan compares every row with the same prefix */
const WesPrefixBounds *
wes_prefix_bounds_cached(FmgrInfo *flinfo, const text *prefix, size_t len, const char *typname)
{
	WesPrefixBounds *c = flinfo->fn_extra;
	size_t		n = VARSIZE_ANY_EXHDR(prefix);
	uint8		lo[WES_MAX_TYPE_LEN];
	uint8		hi[WES_MAX_TYPE_LEN];

	if (c == NULL)
	{
		c = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(WesPrefixBounds));
		c->textlen = -1;
		flinfo->fn_extra = c;
	}
	if (c->textlen == (int) n && memcmp(c->text, VARDATA_ANY(prefix), n) == 0)
		return c;
	/* parse before touching the cache, which must not keep a half-parsed prefix */
	wes_prefix_range(prefix, len, typname, lo, hi);
	memcpy(c->lo, lo, len);
	memcpy(c->hi, hi, len);
	c->textlen = -1;
	if (n <= sizeof(c->text))
	{
		memcpy(c->text, VARDATA_ANY(prefix), n);
		c->textlen = (int) n;
	}
	return c;
}

/* The smallest and largest values of a hex type that start with a prefix */
#define WES_PREFIX_BOUNDS(prefix, Type, LEN) \
PG_FUNCTION_INFO_V1(prefix##_prefix_lower); \
Datum \
prefix##_prefix_lower(PG_FUNCTION_ARGS) \
{ \
	Type	   *lo = palloc(sizeof(Type)); \
	Type		hi; \
	wes_prefix_range(PG_GETARG_TEXT_PP(0), LEN, #prefix, lo->data, hi.data); \
	PG_RETURN_POINTER(lo); \
} \
PG_FUNCTION_INFO_V1(prefix##_prefix_upper); \
Datum \
prefix##_prefix_upper(PG_FUNCTION_ARGS) \
{ \
	Type		lo; \
	Type	   *hi = palloc(sizeof(Type)); \
	wes_prefix_range(PG_GETARG_TEXT_PP(0), LEN, #prefix, lo.data, hi->data); \
	PG_RETURN_POINTER(hi); \
}

WES_FOR_EACH_HEX_TYPE(WES_PREFIX_BOUNDS)
