/*
 * snapshot_import_parse.c
 *	  A snapshot file (docs/snapshot-format.md) read as a stream of chunks cut
 *	  anywhere: the header once its 92 bytes are in, then every whole record as
 *	  it arrives, checked (outpoint order, height, the output decoding exactly
 *	  through the codec), added to the LtHash and handed to the store; the bytes
 *	  of a record cut by the end of a chunk wait for the next one.  At the end,
 *	  the last 32 bytes must be the checksum of all before them, and the records
 *	  must commit to the header's state root (WE003).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "snapshot_import.h"
#include "wes_persist.h"

/* A malformed file: 22P03 naming the byte offset */
void
wes_snap_bad_file(uint64 offset, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid snapshot file at byte offset " UINT64_FORMAT ": %s", offset, what)));
}

/* Magic, version, height and count: into s */
void
wes_snap_read_header(WesSnapImport *s, const uint8 *buf)
{
	const uint8 *p = buf + WES_SNAP_MAGIC_LEN;

	if (memcmp(buf, WES_SNAP_MAGIC, WES_SNAP_MAGIC_LEN) != 0)
		wes_snap_bad_file(0, "magic is not \"" WES_SNAP_MAGIC "\"");
	if (wes_get_u32(p) != WES_SNAP_VERSION)
		wes_snap_bad_file(WES_SNAP_MAGIC_LEN, psprintf("version %u is not %d", wes_get_u32(p), WES_SNAP_VERSION));
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

/* The header if not read yet, then every whole record buf holds; returns the bytes consumed */
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
	if (s->have_header && s->done == s->count && len - pos > WES_HASH_LEN)
		wes_snap_bad_file(s->offset + pos, psprintf("%zu bytes follow the last record", len - pos - WES_HASH_LEN));
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
