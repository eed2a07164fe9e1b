/*
 * wes_types.h
 *	  The fixed-size SQL types wes_hash (32 bytes), wes_address (20 bytes) and
 *	  wes_outpoint (36 bytes), shared by every PostgreSQL-facing file.
 *
 * All three are pass-by-reference, fixed length, char-aligned, like uuid.
 * An outpoint is stored as txid followed by the output index in big-endian
 * order, so that memcmp over the 36 bytes sorts by txid bytes, then index.
 * That same layout is the binary (send/recv) form and the bytea cast form.
 */
#ifndef WES_TYPES_H
#define WES_TYPES_H

#include "postgres.h"
#include "fmgr.h"

#include "wes_codec.h"

#define WES_OUTPOINT_LEN	(WES_HASH_LEN + 4)

typedef struct WesHash
{
	uint8		data[WES_HASH_LEN];
} WesHash;

typedef struct WesAddress
{
	uint8		data[WES_ADDR_LEN];
} WesAddress;

typedef struct WesOutpoint
{
	uint8		data[WES_OUTPOINT_LEN];	/* txid || u32 index big-endian */
} WesOutpoint;

#define DatumGetWesHashP(X)		((WesHash *) DatumGetPointer(X))
#define WesHashPGetDatum(X)		PointerGetDatum(X)
#define PG_GETARG_WESHASH_P(n)	DatumGetWesHashP(PG_GETARG_DATUM(n))
#define PG_RETURN_WESHASH_P(x)	return WesHashPGetDatum(x)

#define DatumGetWesAddressP(X)	((WesAddress *) DatumGetPointer(X))
#define WesAddressPGetDatum(X)	PointerGetDatum(X)
#define PG_GETARG_WESADDRESS_P(n) DatumGetWesAddressP(PG_GETARG_DATUM(n))
#define PG_RETURN_WESADDRESS_P(x) return WesAddressPGetDatum(x)

#define DatumGetWesOutpointP(X) ((WesOutpoint *) DatumGetPointer(X))
#define WesOutpointPGetDatum(X) PointerGetDatum(X)
#define PG_GETARG_WESOUTPOINT_P(n) DatumGetWesOutpointP(PG_GETARG_DATUM(n))
#define PG_RETURN_WESOUTPOINT_P(x) return WesOutpointPGetDatum(x)

/* Build an outpoint from a txid and an output index */
static inline void
wes_outpoint_set(WesOutpoint *op, const uint8 *txid, uint32 index)
{
	memcpy(op->data, txid, WES_HASH_LEN);
	op->data[WES_HASH_LEN] = (uint8) (index >> 24);
	op->data[WES_HASH_LEN + 1] = (uint8) (index >> 16);
	op->data[WES_HASH_LEN + 2] = (uint8) (index >> 8);
	op->data[WES_HASH_LEN + 3] = (uint8) index;
}

/* The output index of an outpoint */
static inline uint32
wes_outpoint_get_index(const WesOutpoint *op)
{
	const uint8 *p = op->data + WES_HASH_LEN;

	return ((uint32) p[0] << 24) | ((uint32) p[1] << 16) | ((uint32) p[2] << 8) | p[3];
}

/* The B-tree order of wes_outpoint (types_ops.c): memcmp order of the 36 bytes */
extern Datum wes_outpoint_cmp(PG_FUNCTION_ARGS);

/* Palloc'd copies, for building Datums */
extern WesHash *wes_hash_from_bytes(const uint8 *bytes);
extern WesAddress *wes_address_from_bytes(const uint8 *bytes);
extern WesOutpoint *wes_outpoint_make(const uint8 *txid, uint32 index);

/* Lower-case hex of n bytes into a palloc'd string, and back (libsodium) */
extern void wes_hex_write(char *out, const uint8 *bytes, size_t n);
extern char *wes_hex_encode(const uint8 *bytes, size_t n);
extern bool wes_hex_decode(const char *hex, size_t hexlen, uint8 *out, size_t len);

/* ERROR 22P03 (53200 when memory ran out) for a codec rejection of what ("block", "receipt") */
extern pg_attribute_noreturn() void wes_report_decode_error(const char *what, const wes_error *err);
extern pg_attribute_noreturn() void wes_report_chain_state_damaged(const char *what);

/* The palloc-backed allocator for the codec (allocations are MCXT_ALLOC_HUGE-capable) */
extern const wes_allocator wes_palloc_allocator;

/* SQLSTATEs of sql-api.md */
#define ERRCODE_WES_HEIGHT_ORDER	MAKE_SQLSTATE('W','E','0','0','1')
#define ERRCODE_WES_PREV_HASH		MAKE_SQLSTATE('W','E','0','0','2')
#define ERRCODE_WES_ROOT_MISMATCH	MAKE_SQLSTATE('W','E','0','0','3')
#define ERRCODE_WES_BAD_INPUT		MAKE_SQLSTATE('W','E','0','0','4')
#define ERRCODE_WES_DUPLICATE_TXID	MAKE_SQLSTATE('W','E','0','0','5')
#define ERRCODE_WES_UNSERVABLE		MAKE_SQLSTATE('W','E','0','0','6')

#endif							/* WES_TYPES_H */
