/*
 * snapshot_import_parse.c
 *	  A snapshot file (docs/snapshot-format.md) read as a stream of chunks cut
 *	  anywhere: the header once its 92 bytes are in, then every whole record as
 *	  it arrives, checked (outpoint order, height, the output decoding exactly
 *	  through the codec), added to the LtHash and handed to the store; the bytes
 *	  of a record cut by the end of a chunk wait for the next one.  At the end,
 *	  the last 32 bytes must be the checksum of all before them, and the records
 *	  must commit to the header's state root (WE003).  Between the records and
 *	  the checksum, the transaction ids rule 4 needs (wes.prior_txids), in
 *	  ascending order.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "snapshot_import.h"
#include "wes_persist.h"

/* How many transaction ids go into wes.prior_txids a statement */
#define TXID_BATCH		65536

/* A malformed file: 22P03 naming the byte offset */
void
wes_snap_bad_file(uint64 offset, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid snapshot file at byte offset " UINT64_FORMAT ": %s", offset, what)));
}

/* The magic and the version, the file's first 12 bytes */
void
wes_snap_check_magic(const uint8 *buf)
{
	uint32		version = wes_get_u32(buf + WES_SNAP_MAGIC_LEN);

	if (memcmp(buf, WES_SNAP_MAGIC, WES_SNAP_MAGIC_LEN) != 0)
		wes_snap_bad_file(0, "magic is not \"" WES_SNAP_MAGIC "\"");
	if (version == 1)
		wes_snap_bad_file(WES_SNAP_MAGIC_LEN,
						  "version 1 is not 2: a version 1 file lacks the transaction ids rule 4 needs; "
						  "export the snapshot again with this version of wes_persist");
	if (version != WES_SNAP_VERSION)
		wes_snap_bad_file(WES_SNAP_MAGIC_LEN, psprintf("version %u is not %d", version, WES_SNAP_VERSION));
}

/* Magic, version, height and count: into s */
void
wes_snap_read_header(WesSnapImport *s, const uint8 *buf)
{
	const uint8 *p = buf + WES_SNAP_MAGIC_LEN;

	wes_snap_check_magic(buf);
	s->height = (int64) wes_get_u64(p + 4);
	memcpy(s->hash, p + 12, WES_HASH_LEN);
	memcpy(s->state_root, p + 12 + WES_HASH_LEN, WES_HASH_LEN);
	s->count = (int64) wes_get_u64(p + 12 + 2 * WES_HASH_LEN);
	if (s->height < 0)
		wes_snap_bad_file(WES_SNAP_MAGIC_LEN + 4, "height is above 2^63-1");
	/* the chain would start at height + 1, which must be a height too (base_height) */
	if (s->height == PG_INT64_MAX)
		wes_snap_bad_file(WES_SNAP_MAGIC_LEN + 4, "height 2^63-1 leaves no height for the next block");
	if (s->count < 0)
		wes_snap_bad_file(WES_SNAP_HEADER_LEN - 8, "utxo_count is above 2^63-1");
	s->have_header = true;
}

/* One whole record at file offset at: checked, added to the accumulator, stored */
static void
read_record(WesSnapImport *s, WesWriterRels *rels, const uint8 *rec, uint32 len, uint64 at)
{
	const uint8 *enc = rec + WES_SNAP_RECORD_MIN;
	int64		i = s->done;
	WesOutpoint op;
	int64		created;
	wes_output	out;
	wes_error	err;

	wes_outpoint_set(&op, rec, wes_get_u32(rec + WES_HASH_LEN));
	created = (int64) wes_get_u64(rec + WES_HASH_LEN + 4);
	if (i > 0 && memcmp(s->last.data, op.data, WES_OUTPOINT_LEN) >= 0)
		wes_snap_bad_file(at, psprintf("record " INT64_FORMAT " (%s) is not above the one before it",
									   i, wes_outpoint_text(&op)));
	if (created < 0 || created > s->height)
		wes_snap_bad_file(at + WES_HASH_LEN + 4,
						  psprintf("record " INT64_FORMAT " was created above the snapshot's height", i));
	if (wes_output_decode(enc, len, &out, &err) != WES_OK)
		wes_snap_bad_file(at + WES_SNAP_RECORD_MIN + err.offset,
						  psprintf("output of record " INT64_FORMAT ", %s: %s", i, err.field, err.message));
	wes_lthash_add(&s->acc, op.data, wes_outpoint_get_index(&op), enc, len);
	wes_snap_store_record(rels, &op, created, &out);
	s->last = op;
	s->done++;
}

/*
 * After the records: txid_count once its 8 bytes are in, then every whole id
 * buf holds, each above the one before it, stored a statement per
 * TXID_BATCH; returns
 * the bytes consumed.  at is buf's file offset; whole_file: buf ends with the
 * file's checksum, so the count can be checked against what is left.
 */
static size_t
consume_txids(WesSnapImport *s, const uint8 *buf, size_t len, uint64 at, bool whole_file)
{
	size_t		pos = 0;
	int64		n;

	if (!s->have_txid_count)
	{
		if (len < 8)
			return 0;
		s->txid_count = (int64) wes_get_u64(buf);
		if (s->txid_count < 0
			|| (whole_file && (len < 8 + WES_HASH_LEN
							   || (uint64) s->txid_count > (len - 8 - WES_HASH_LEN) / WES_HASH_LEN)))
			wes_snap_bad_file(at, psprintf("txid_count " UINT64_FORMAT " does not fit in the file",
										   wes_get_u64(buf)));
		s->have_txid_count = true;
		pos = 8;
	}
	n = Min(s->txid_count - s->txids_done, (int64) ((len - pos) / WES_HASH_LEN));
	for (int64 i = 0; i < n; i++)
	{
		const uint8 *id = buf + pos + i * WES_HASH_LEN;

		if (s->txids_done + i > 0 && memcmp(s->last_txid, id, WES_HASH_LEN) >= 0)
			wes_snap_bad_file(at + pos + i * WES_HASH_LEN,
							  psprintf("transaction id " INT64_FORMAT " is not above the one before it",
									   s->txids_done + i));
		memcpy(s->last_txid, id, WES_HASH_LEN);
	}
	for (int64 i = 0; i < n; i += TXID_BATCH)
		wes_snap_store_prior_txids(buf + pos + i * WES_HASH_LEN, (int) Min(n - i, TXID_BATCH));
	s->txids_done += n;
	return pos + n * WES_HASH_LEN;
}

/* The header if not read yet, then every whole record and id buf holds; returns the bytes consumed */
static size_t
consume(WesSnapImport *s, const uint8 *buf, size_t len)
{
	WesWriterRels *rels;
	size_t		pos = 0;

	if (!s->have_header)
	{
		if (len < WES_SNAP_HEADER_LEN)
			return 0;
		wes_snap_read_header(s, buf);
		pos = WES_SNAP_HEADER_LEN;
	}
	rels = wes_writer_rels_open();
	rels->heap_only = true;		/* the tables were empty: their indexes are built at the end */
	while (s->done < s->count && len - pos >= WES_SNAP_RECORD_MIN)
	{
		uint32		olen = wes_get_u32(buf + pos + WES_SNAP_RECORD_MIN - 4);

		if (olen > MaxAllocSize)
			wes_snap_bad_file(s->offset + pos + WES_SNAP_RECORD_MIN - 4,
							  psprintf("the output of record " INT64_FORMAT " is longer than 1 GB", s->done));
		if (olen > len - pos - WES_SNAP_RECORD_MIN)
			break;				/* the rest of the record is in the next chunk */
		read_record(s, rels, buf + pos, olen, s->offset + pos);
		pos += WES_SNAP_RECORD_MIN + olen;
	}
	wes_writer_rels_close(rels);
	if (s->done == s->count)
		pos += consume_txids(s, buf + pos, len - pos, s->offset + pos, s->sum_checked);
	if (!s->sum_checked)
		crypto_generichash_update(s->sum, buf, pos);
	return pos;
}

/* The next n bytes of the file */
void
wes_snap_feed(WesSnapImport *s, const uint8 *p, size_t n)
{
	const uint8 *buf = p;
	size_t		len = n,
				pos;
	uint8	   *joined = NULL;

	if (s->carry_len > 0)
	{
		joined = palloc_extended(s->carry_len + n, MCXT_ALLOC_HUGE);
		memcpy(joined, s->carry, s->carry_len);
		memcpy(joined + s->carry_len, p, n);
		buf = joined;
		len = s->carry_len + n;
	}
	pos = consume(s, buf, len);
	if (s->have_txid_count && s->txids_done == s->txid_count && len - pos > WES_HASH_LEN)
		wes_snap_bad_file(s->offset + pos, psprintf("%zu bytes follow the last transaction id",
													len - pos - WES_HASH_LEN));
	s->offset += pos;
	if (s->carry != NULL)
		pfree(s->carry);
	s->carry = len > pos ? MemoryContextAllocExtended(s->cxt, len - pos, MCXT_ALLOC_HUGE) : NULL;
	s->carry_len = len - pos;
	if (s->carry_len > 0)
		memcpy(s->carry, buf + pos, s->carry_len);
	if (joined != NULL)
		pfree(joined);
}

/* The file is complete: what is left must be its checksum, and the records commit to the state root */
void
wes_snap_end(WesSnapImport *s)
{
	uint8		sum[WES_HASH_LEN];
	uint8		root[WES_HASH_LEN];
	size_t		left = s->carry_len > WES_HASH_LEN ? s->carry_len - WES_HASH_LEN : 0;

	if (!s->have_header)
		wes_snap_bad_file(s->carry_len, psprintf("%zu bytes are shorter than a header and a checksum", s->carry_len));
	if (s->done < s->count)
		wes_snap_bad_file(left < WES_SNAP_RECORD_MIN ? s->offset : s->offset + WES_SNAP_RECORD_MIN - 4,
						  psprintf(left < WES_SNAP_RECORD_MIN ? "record " INT64_FORMAT " is cut short"
								   : "the output of record " INT64_FORMAT " runs past the records", s->done));
	if (!s->have_txid_count || s->txids_done < s->txid_count)
		wes_snap_bad_file(s->offset, !s->have_txid_count ? pstrdup("txid_count is cut short")
						  : psprintf("transaction id " INT64_FORMAT " of " INT64_FORMAT " is cut short",
									 s->txids_done, s->txid_count));
	if (s->carry_len != WES_HASH_LEN)
		wes_snap_bad_file(s->offset, psprintf("the file ends %zu bytes into its %d-byte checksum",
											  s->carry_len, WES_HASH_LEN));
	if (!s->sum_checked)
	{
		crypto_generichash_final(s->sum, sum, WES_HASH_LEN);
		if (memcmp(sum, s->carry, WES_HASH_LEN) != 0)
			wes_snap_bad_file(s->offset, "the checksum does not match the file");
	}
	wes_lthash_root(&s->acc, root);
	if (memcmp(root, s->state_root, WES_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WES_ROOT_MISMATCH),
				 errmsg("the outputs of the snapshot file do not commit to its state_root"),
				 errdetail("Expected %s, given %s.", wes_hex_encode(root, WES_HASH_LEN),
						   wes_hex_encode(s->state_root, WES_HASH_LEN))));
}
