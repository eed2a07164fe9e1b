/*
 * snapshot_import.c
 *	  wes_snapshot_import(file bytea): start an empty database from a snapshot
 *	  file (docs/snapshot-format.md), as Bitcoin Core's assumeutxo does.
 *
 * Everything is checked before the first write: magic, version and lengths
 * (22P03 naming the byte offset), the checksum, outpoint order, every
 * output's encoding (through the codec's decoder), the count, and that the
 * LtHash of the records commits to the header's state root (WE003).  Then
 * wes.utxos and wes.outputs are filled the way the writer fills them (multi-
 * insert and index entries, writer_rel.c), the chain-state row moves to the snapshot's height with
 * base_height = height + 1, and a snapshot row records where the database
 * started.  The writer then takes block height + 1 on top of it.
 */
#include "postgres.h"

#include <sodium.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/memutils.h"

#include "wes_persist.h"
#include "wes_snapshot.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(wes_snapshot_import);

/* One record of the file, pointing into it */
typedef struct SnapRecord
{
	WesOutpoint op;
	int64		created;
	wes_output	out;			/* decoded; its pointers are into the file */
} SnapRecord;

/* The file, parsed */
typedef struct SnapFile
{
	const uint8 *buf;
	size_t		len;
	int64		height;
	const uint8 *hash;
	const uint8 *state_root;
	int64		count;
	SnapRecord *records;
} SnapFile;

/* A malformed file: 22P03 naming the byte offset */
static pg_attribute_noreturn() void
bad_file(size_t offset, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid snapshot file at byte offset %zu: %s", offset, what)));
}

/* Magic, version, lengths and checksum; the header's fields into f */
static void
parse_header(SnapFile *f)
{
	uint8		sum[WES_HASH_LEN];
	const uint8 *p = f->buf + WES_SNAP_MAGIC_LEN;
	uint64		count;

	if (f->len < WES_SNAP_HEADER_LEN + WES_HASH_LEN)
		bad_file(f->len, psprintf("%zu bytes are shorter than a header and a checksum", f->len));
	if (memcmp(f->buf, WES_SNAP_MAGIC, WES_SNAP_MAGIC_LEN) != 0)
		bad_file(0, "magic is not \"" WES_SNAP_MAGIC "\"");
	if (wes_get_u32(p) != WES_SNAP_VERSION)
		bad_file(WES_SNAP_MAGIC_LEN, psprintf("version %u is not %d", wes_get_u32(p), WES_SNAP_VERSION));
	wes_hash(f->buf, f->len - WES_HASH_LEN, sum);
	if (memcmp(sum, f->buf + f->len - WES_HASH_LEN, WES_HASH_LEN) != 0)
		bad_file(f->len - WES_HASH_LEN, "the checksum does not match the file");

	f->height = (int64) wes_get_u64(p + 4);
	f->hash = p + 12;
	f->state_root = p + 12 + WES_HASH_LEN;
	count = wes_get_u64(p + 12 + 2 * WES_HASH_LEN);
	if (f->height < 0)
		bad_file(WES_SNAP_MAGIC_LEN + 4, "height is above 2^63-1");
	if (count > (f->len - WES_SNAP_HEADER_LEN - WES_HASH_LEN) / WES_SNAP_RECORD_MIN)
		bad_file(WES_SNAP_HEADER_LEN - 8, psprintf("utxo_count %llu does not fit in the file",
												   (unsigned long long) count));
	f->count = (int64) count;
}

/* Every record: in outpoint order, each output decoding exactly; their LtHash into acc */
static void
parse_records(SnapFile *f, wes_lthash *acc)
{
	size_t		pos = WES_SNAP_HEADER_LEN;
	size_t		end = f->len - WES_HASH_LEN;

	f->records = palloc_extended(Max(f->count, 1) * sizeof(SnapRecord), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < f->count; i++)
	{
		SnapRecord *r = &f->records[i];
		uint32		len;
		wes_error	err;

		if (end - pos < WES_SNAP_RECORD_MIN)
			bad_file(pos, psprintf("record " INT64_FORMAT " is cut short", i));
		wes_outpoint_set(&r->op, f->buf + pos, wes_get_u32(f->buf + pos + WES_HASH_LEN));
		r->created = (int64) wes_get_u64(f->buf + pos + WES_HASH_LEN + 4);
		len = wes_get_u32(f->buf + pos + WES_HASH_LEN + 12);
		if (i > 0 && memcmp(r[-1].op.data, r->op.data, WES_OUTPOINT_LEN) >= 0)
			bad_file(pos, psprintf("record " INT64_FORMAT " (%s) is not above the one before it",
								   i, wes_outpoint_text(&r->op)));
		if (r->created < 0 || r->created > f->height)
			bad_file(pos + WES_HASH_LEN + 4, psprintf("record " INT64_FORMAT " was created above the snapshot's height", i));
		pos += WES_SNAP_RECORD_MIN;
		if (len > end - pos)
			bad_file(pos - 4, psprintf("the output of record " INT64_FORMAT " runs past the records", i));
		if (wes_output_decode(f->buf + pos, len, &r->out, &err) != WES_OK)
			bad_file(pos + err.offset, psprintf("output of record " INT64_FORMAT ", %s: %s", i, err.field, err.message));
		wes_lthash_add(acc, r->op.data, wes_outpoint_get_index(&r->op), f->buf + pos, len);
		pos += len;
	}
	if (pos != end)
		bad_file(pos, psprintf("%zu bytes follow the last record", end - pos));
}

/* The records commit to the header's state root (WE003) */
static void
check_state_root(const SnapFile *f, const wes_lthash *acc)
{
	uint8		root[WES_HASH_LEN];

	wes_lthash_root(acc, root);
	if (memcmp(root, f->state_root, WES_HASH_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WES_ROOT_MISMATCH),
				 errmsg("the outputs of the snapshot file do not commit to its state_root"),
				 errdetail("Expected %s, given %s.", wes_hex_encode(root, WES_HASH_LEN),
						   wes_hex_encode(f->state_root, WES_HASH_LEN))));
}

/* Only an empty database takes a snapshot (WE006) */
static void
check_empty(const WesBlockWork *w)
{
	bool		isnull;

	wes_spi_run("SELECT EXISTS (SELECT FROM wes.blocks) OR EXISTS (SELECT FROM wes.outputs) "
				"OR EXISTS (SELECT FROM wes.utxos) OR EXISTS (SELECT FROM wes.transactions)",
				NULL, 0, NULL, NULL, NULL, true);
	if (w->has_tip || w->base_height != 0
		|| DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_WES_UNSERVABLE),
				 errmsg("a snapshot can be imported only into an empty chain"),
				 w->has_tip ? errdetail("The tip is at height " INT64_FORMAT ".", w->tip_height) : 0,
				 errhint("Import into a database where wes_persist was just created.")));
}

/* wes.outputs and wes.utxos get every record, written as the writer writes a block's rows */
static void
store_records(const SnapFile *f)
{
	WesWriterRels *rels = wes_writer_rels_open();
	WesRel	   *outputs = &rels->rel[WES_TABLE_OUTPUTS];
	WesRel	   *utxos = &rels->rel[WES_TABLE_UTXOS];

	for (int64 i = 0; i < f->count; i++)
	{
		const SnapRecord *r = &f->records[i];
		Datum	   *v = wes_writer_row(outputs)->tts_values;

		v[0] = PointerGetDatum(&r->op);
		v[1] = Int64GetDatum(r->created);
		v[2] = Int16GetDatum((int16) r->out.kind);
		v[3] = PointerGetDatum(r->out.owner);
		v[4] = Int64GetDatum((int64) r->out.amount);
		v[5] = PointerGetDatum(r->out.ref);
		v[6] = wes_writer_bytea(outputs, r->out.lock.ptr, r->out.lock.len);
		v[7] = wes_writer_bytea(outputs, r->out.data.ptr, r->out.data.len);
		wes_writer_row_done(outputs);

		v = wes_writer_row(utxos)->tts_values;
		v[0] = PointerGetDatum(&r->op);
		v[1] = PointerGetDatum(r->out.owner);
		v[2] = Int16GetDatum((int16) r->out.kind);
		v[3] = PointerGetDatum(r->out.ref);
		v[4] = Int64GetDatum((int64) r->out.amount);
		v[5] = Int64GetDatum(r->created);
		v[6] = wes_writer_bytea(utxos, r->out.encoding.ptr, r->out.encoding.len);
		wes_writer_row_done(utxos);
	}
	wes_writer_rels_close(rels);
}

/* The tip moves to the snapshot; a snapshot row records where the database started */
static void
store_tip(const SnapFile *f, const wes_lthash *acc)
{
	const WesWriterTypes *t = wes_writer_types();
	bytea	   *bytes = palloc(VARHDRSZ + WES_LTHASH_BYTES);
	Oid			types[5] = {INT8OID, t->hash, t->hash, BYTEAOID, INT8OID};
	Datum		v[5];

	SET_VARSIZE(bytes, VARHDRSZ + WES_LTHASH_BYTES);
	wes_lthash_to_bytes(acc, (uint8 *) VARDATA(bytes));
	v[0] = Int64GetDatum(f->height);
	v[1] = PointerGetDatum(f->hash);
	v[2] = PointerGetDatum(f->state_root);
	v[3] = PointerGetDatum(bytes);
	v[4] = Int64GetDatum(f->count);
	if (wes_spi_run("UPDATE wes.chain_state SET height = $1, hash = $2, state_root = $3, accumulator = $4, "
					"utxo_count = $5, base_height = $1 + 1", NULL, 5, types, v, NULL, false) != 1)
		elog(ERROR, "wes.chain_state must hold exactly one row");
	wes_spi_run("INSERT INTO wes.snapshots (height, block_hash, state_root, utxo_count, accumulator, automatic) "
				"VALUES ($1, $2, $3, $5, $4, false)", NULL, 5, types, v, NULL, false);
}

/*
 * wes_snapshot_import(file bytea) RETURNS TABLE (height, block_hash, state_root,
 * utxo_count): the chain now starts at the snapshot
 */
Datum
wes_snapshot_import(PG_FUNCTION_ARGS)
{
	bytea	   *file = PG_GETARG_BYTEA_PP(0);
	WesBlockWork *w = palloc0(sizeof(WesBlockWork));
	SnapFile	f = {(const uint8 *) VARDATA_ANY(file), VARSIZE_ANY_EXHDR(file)};
	wes_lthash	acc;
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "wes_snapshot_import must return a row");
	parse_header(&f);
	wes_lthash_init(&acc);
	parse_records(&f, &acc);
	check_state_root(&f, &acc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	wes_writer_lock_tip(w);
	check_empty(w);
	store_records(&f);
	store_tip(&f, &acc);
	SPI_finish();

	values[0] = Int64GetDatum(f.height);
	values[1] = PointerGetDatum(wes_hash_from_bytes(f.hash));
	values[2] = PointerGetDatum(wes_hash_from_bytes(f.state_root));
	values[3] = Int64GetDatum(f.count);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
