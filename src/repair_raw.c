/*
 * repair_raw.c
 *	  Raw headers and raw transactions restored from the copies the database
 *	  keeps of their contents, where the chain's hashes confirm the result.
 *
 * A block's header is stored twice: as its 156 raw bytes and as columns.
 * When one copy is damaged, the other is right if its hash is the one the
 * chain links to (the next block's prev_hash, or the chain state's tip hash).
 * A transaction's inputs and outputs are stored twice too (raw bytes and rows
 * of wes.inputs and wes.outputs); its payload only in the raw bytes.  Raw
 * bytes whose hash is not the txid are rebuilt from the rows and the payload
 * still in place, and kept only when they hash to the txid.
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "verify.h"
#include "wes_snapshot.h"

/* Column col of row 0 of the last statement as a palloc'd copy of bytes (NULL when null) */
static uint8 *
copy_col(int col, size_t *len)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	bytea	   *b;
	uint8	   *out;

	if (isnull)
		return NULL;
	b = DatumGetByteaPP(d);
	*len = VARSIZE_ANY_EXHDR(b);
	out = palloc(Max(*len, 1));
	memcpy(out, VARDATA_ANY(b), *len);
	return out;
}

/* The hash the chain links block h to: the next block's prev_hash, else the tip hash */
static bool
link_hash(int64 h, uint8 out[WES_HASH_LEN])
{
	int64		next = h < PG_INT64_MAX ? h + 1 : h;	/* the tip at 2^63-1 has no next block */
	size_t		len = 0;
	uint8	   *p = NULL;

	if (h < PG_INT64_MAX &&
		wes_spi_read("SELECT substr(header, 21, 32) FROM wes.blocks WHERE height = $1", 1, &next, NULL) == 1)
		p = copy_col(1, &len);
	else if (wes_spi_read("SELECT hash::bytea FROM wes.chain_state WHERE height = $1", 1, &h, NULL) == 1)
		p = copy_col(1, &len);
	if (p == NULL || len != WES_HASH_LEN)
		return false;
	memcpy(out, p, WES_HASH_LEN);
	return true;
}

/* The header block h's columns describe, encoded */
static void
header_from_columns(int64 h, HeapTuple row, TupleDesc desc, uint8 out[WES_HEADER_LEN])
{
	wes_header	hd;
	wes_buf		buf;
	bool		isnull;

	hd.version = 1;
	hd.height = (uint64) h;
	hd.prev_hash = (const uint8 *) VARDATA_ANY(DatumGetByteaPP(SPI_getbinval(row, desc, 2, &isnull)));
	hd.tx_root = (const uint8 *) VARDATA_ANY(DatumGetByteaPP(SPI_getbinval(row, desc, 3, &isnull)));
	hd.receipt_root = (const uint8 *) VARDATA_ANY(DatumGetByteaPP(SPI_getbinval(row, desc, 4, &isnull)));
	hd.state_root = (const uint8 *) VARDATA_ANY(DatumGetByteaPP(SPI_getbinval(row, desc, 5, &isnull)));
	hd.timestamp_ms = (uint64) DatumGetInt64(SPI_getbinval(row, desc, 6, &isnull));
	hd.nonce = (uint64) DatumGetInt64(SPI_getbinval(row, desc, 7, &isnull));
	wes_buf_init(&buf, &wes_palloc_allocator, WES_HEADER_LEN);
	wes_encode_header(&buf, &hd);
	Assert(buf.len == WES_HEADER_LEN);
	memcpy(out, buf.data, WES_HEADER_LEN);
}

/* Rewrite block h's columns from its raw header, whose hash the chain confirms */
static void
restore_columns(const WesVerifyRange *r, int64 h, const uint8 *raw, const uint8 hash[WES_HASH_LEN],
				WesActions *a)
{
	wes_header	hd;
	Oid			types[4] = {INT8OID, BYTEAOID, INT8OID, INT8OID};
	Datum		values[4];
	char	   *sql;

	wes_header_parse(raw, &hd);
	values[0] = Int64GetDatum(h);
	values[1] = PointerGetDatum(wes_bytes_to_bytea(raw, WES_HEADER_LEN));
	values[2] = Int64GetDatum((int64) hd.timestamp_ms);
	values[3] = Int64GetDatum((int64) hd.nonce);
	sql = psprintf("UPDATE wes.blocks SET hash = CAST(pg_catalog.decode('%2$s', 'hex') AS %1$s.wes_hash), "
				   "prev_hash = CAST(pg_catalog.substr($2, 21, 32) AS %1$s.wes_hash), "
				   "tx_root = CAST(pg_catalog.substr($2, 53, 32) AS %1$s.wes_hash), "
				   "receipt_root = CAST(pg_catalog.substr($2, 85, 32) AS %1$s.wes_hash), "
				   "state_root = CAST(pg_catalog.substr($2, 117, 32) AS %1$s.wes_hash), "
				   "timestamp_ms = $3, nonce = $4 WHERE height = $1",
				   r->schema, wes_hex_encode(hash, WES_HASH_LEN));
	wes_spi_run(sql, NULL, 4, types, values, NULL, false);
	wes_action(a, "restore_header_columns", "block " INT64_FORMAT ": columns rewritten from its raw header, "
			   "whose hash %s the chain links to", h, wes_hex_encode(hash, WES_HASH_LEN));
}

/* Restore block h: its columns from the raw header, or the raw header from its columns */
static void
repair_header(const WesVerifyRange *r, int64 h, WesActions *a)
{
	uint8		anchor[WES_HASH_LEN];
	uint8		from_cols[WES_HEADER_LEN];
	uint8		hash[WES_HASH_LEN];
	uint8	   *raw;
	size_t		raw_len = 0;
	Oid			types[2] = {INT8OID, BYTEAOID};
	Datum		values[2];

	if (!link_hash(h, anchor) ||
		wes_spi_read("SELECT hash::bytea, prev_hash::bytea, tx_root::bytea, receipt_root::bytea, "
					 "state_root::bytea, timestamp_ms, nonce, header FROM wes.blocks WHERE height = $1",
					 1, &h, NULL) != 1)
		return;
	header_from_columns(h, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, from_cols);
	raw = copy_col(8, &raw_len);
	values[0] = Int64GetDatum(h);
	if (raw_len == WES_HEADER_LEN)
	{
		size_t		hash_len = 0;
		uint8	   *hash_col = copy_col(1, &hash_len);

		wes_hash(raw, WES_HEADER_LEN, hash);
		if (memcmp(hash, anchor, WES_HASH_LEN) == 0)
		{
			/* both copies and the hash column agree: this block is not the damaged one */
			if (memcmp(raw, from_cols, WES_HEADER_LEN) != 0 || memcmp(hash_col, hash, WES_HASH_LEN) != 0)
				restore_columns(r, h, raw, hash, a);
			return;
		}
	}
	wes_hash(from_cols, WES_HEADER_LEN, hash);
	if (memcmp(hash, anchor, WES_HASH_LEN) != 0)
		return;
	values[1] = PointerGetDatum(wes_bytes_to_bytea(from_cols, WES_HEADER_LEN));
	wes_spi_run(psprintf("UPDATE wes.blocks SET header = $2, hash = CAST(pg_catalog.decode('%s', 'hex') AS %s.wes_hash) "
						 "WHERE height = $1", wes_hex_encode(hash, WES_HASH_LEN), r->schema),
				NULL, 2, types, values, NULL, false);
	wes_action(a, "restore_raw_header", "block " INT64_FORMAT ": raw header rebuilt from its columns, "
			   "whose hash %s the chain links to", h, wes_hex_encode(hash, WES_HASH_LEN));
}

static int
height_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The heights named by findings of these checks (and the block below a broken
 * link), ascending, once each; *count of them.  Heights are int64 all the way
 * (a chain imported from a snapshot may sit above 2^31).
 */
static int64 *
finding_heights(const WesFindings *f, const char *const *checks, bool below_links, int *count)
{
	int64	   *heights = palloc((2 * list_length(f->kept) + 1) * sizeof(int64));
	int			n = 0;
	int			kept = 0;
	ListCell   *lc;

	foreach(lc, f->kept)
	{
		WesFinding *k = lfirst(lc);

		for (const char *const *c = checks; *c != NULL; c++)
			if (strcmp(k->check, *c) == 0 && k->height >= 0)
			{
				if (below_links && strcmp(*c, "prev_hash") == 0 && k->height > 0)
					heights[n++] = k->height - 1;
				heights[n++] = k->height;
			}
	}
	qsort(heights, n, sizeof(int64), height_cmp);
	for (int i = 0; i < n; i++)
		if (kept == 0 || heights[i] != heights[kept - 1])
			heights[kept++] = heights[i];
	*count = kept;
	return heights;
}

/* Restore the headers the findings name */
void
wes_repair_headers(const WesVerifyRange *r, const WesFindings *f, WesActions *a)
{
	static const char *const checks[] = {"block_hash", "header_columns", "prev_hash", NULL};
	int			n;
	int64	   *heights = finding_heights(f, checks, true, &n);

	for (int i = 0; i < n; i++)
		repair_header(r, heights[i], a);
}

/* The inputs (rows of wes.inputs) of the transaction at (height, tx_index), in order, into tx; false when none is usable */
static bool
load_inputs(const WesVerifyRange *r, int64 height, int32 tx_index, wes_tx *tx)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		v[2] = {Int64GetDatum(height), Int32GetDatum(tx_index)};
	uint64		n = wes_spi_run("SELECT i.outpoint::bytea, i.reference, i.unlock, i.input_index FROM wes.inputs i "
								"WHERE i.height = $1 AND i.tx_index = $2 ORDER BY i.input_index",
								r->schema, 2, types, v, NULL, false);

	tx->n_inputs = (uint32) n;
	tx->inputs = palloc0(Max(n, 1) * sizeof(wes_input));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		bytea	   *op = DatumGetByteaPCopy(SPI_getbinval(row, desc, 1, &isnull));
		bytea	   *unlock = DatumGetByteaPCopy(SPI_getbinval(row, desc, 3, &isnull));

		if (DatumGetInt32(SPI_getbinval(row, desc, 4, &isnull)) != (int32) i)
			return false;
		tx->inputs[i].txid = (const uint8 *) VARDATA(op);
		tx->inputs[i].index = wes_outpoint_get_index((const WesOutpoint *) VARDATA(op));
		tx->inputs[i].flags = DatumGetBool(SPI_getbinval(row, desc, 2, &isnull)) ? WES_INPUT_REFERENCE : WES_INPUT_SPEND;
		tx->inputs[i].unlock.ptr = (const uint8 *) VARDATA(unlock);
		tx->inputs[i].unlock.len = VARSIZE(unlock) - VARHDRSZ;
	}
	return true;
}

/* The outputs (rows of wes.outputs) of transaction txid, in order, into tx; false when none or a gap */
static bool
load_outputs(const WesVerifyRange *r, const uint8 *txid, wes_tx *tx)
{
	Oid			type = BYTEAOID;
	Datum		v = PointerGetDatum(wes_bytes_to_bytea(txid, WES_HASH_LEN));
	uint64		n = wes_spi_run("SELECT o.kind, o.owner::bytea, o.amount, o.ref::bytea, o.lock, o.data, o.outpoint::bytea "
								"FROM wes.outputs o WHERE o.outpoint OPERATOR(%1$s.>=) %1$s.wes_outpoint(CAST($1 AS %1$s.wes_hash), 0) "
								"AND o.outpoint OPERATOR(%1$s.<=) %1$s.wes_outpoint(CAST($1 AS %1$s.wes_hash), 4294967295) "
								"ORDER BY o.outpoint", r->schema, 1, &type, &v, NULL, false);

	tx->n_outputs = (uint32) n;
	tx->outputs = palloc0(Max(n, 1) * sizeof(wes_output));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		wes_output *o = &tx->outputs[i];
		bytea	   *owner = DatumGetByteaPCopy(SPI_getbinval(row, desc, 2, &isnull));
		bytea	   *ref = DatumGetByteaPCopy(SPI_getbinval(row, desc, 4, &isnull));
		bytea	   *lock = DatumGetByteaPCopy(SPI_getbinval(row, desc, 5, &isnull));
		bytea	   *data = DatumGetByteaPCopy(SPI_getbinval(row, desc, 6, &isnull));
		bytea	   *op = DatumGetByteaPP(SPI_getbinval(row, desc, 7, &isnull));

		if (wes_outpoint_get_index((const WesOutpoint *) VARDATA_ANY(op)) != i)
			return false;
		o->kind = (uint8) DatumGetInt16(SPI_getbinval(row, desc, 1, &isnull));
		o->owner = (const uint8 *) VARDATA(owner);
		o->amount = (uint64) DatumGetInt64(SPI_getbinval(row, desc, 3, &isnull));
		o->ref = (const uint8 *) VARDATA(ref);
		o->lock.ptr = (const uint8 *) VARDATA(lock);
		o->lock.len = VARSIZE(lock) - VARHDRSZ;
		o->data.ptr = (const uint8 *) VARDATA(data);
		o->data.len = VARSIZE(data) - VARHDRSZ;
	}
	return n > 0;
}

/*
 * Rebuild the raw bytes of transaction txid from its rows and the payload the
 * damaged bytes still hold (the size of a transaction does not change when a
 * byte is altered: the payload is what follows what the rows encode).
 * Returns the bytes when they hash to txid, else NULL.
 */
static bytea *
rebuild_tx(const WesVerifyRange *r, int64 height, int32 tx_index, const uint8 *txid,
		   const uint8 *raw, size_t raw_len)
{
	wes_tx		tx = {0};
	wes_buf		buf;
	uint8		hash[WES_HASH_LEN];
	size_t		head;

	tx.version = 1;
	if (!load_inputs(r, height, tx_index, &tx) || !load_outputs(r, txid, &tx))
		return NULL;
	wes_buf_init(&buf, &wes_palloc_allocator, raw_len + 64);
	wes_encode_tx(&buf, &tx);		/* with an empty payload: its length is the last 4 bytes */
	head = buf.len;
	if (buf.failed || head > raw_len)
		return NULL;
	tx.payload.ptr = raw + head;
	tx.payload.len = (uint32) (raw_len - head);
	wes_buf_init(&buf, &wes_palloc_allocator, raw_len + 64);
	wes_encode_tx(&buf, &tx);
	if (buf.failed || buf.len != raw_len)
		return NULL;
	wes_hash(buf.data, buf.len, hash);
	return memcmp(hash, txid, WES_HASH_LEN) == 0 ? wes_bytes_to_bytea(buf.data, buf.len) : NULL;
}

/* Restore the raw transactions of the heights the findings name whose bytes do not hash to their txid */
void
wes_repair_raw_transactions(const WesVerifyRange *r, const WesFindings *f, WesActions *a)
{
	static const char *const checks[] = {"txid", "tx_decode", NULL};
	int			n_heights;
	int64	   *heights = finding_heights(f, checks, false, &n_heights);

	for (int k = 0; k < n_heights; k++)
	{
		int64		h = heights[k];
		uint64		n = wes_spi_read("SELECT txid::bytea, raw, tx_index FROM wes.transactions WHERE block_height = $1 "
									 "ORDER BY tx_index", 1, &h, NULL);
		SPITupleTable *rows = SPI_tuptable;

		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;
			bytea	   *txid = DatumGetByteaPCopy(SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &isnull));
			bytea	   *raw = DatumGetByteaPCopy(SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &isnull));
			uint8		hash[WES_HASH_LEN];
			bytea	   *fixed;
			Oid			types[2] = {BYTEAOID, BYTEAOID};
			Datum		values[2];

			wes_hash((const uint8 *) VARDATA(raw), VARSIZE(raw) - VARHDRSZ, hash);
			if (memcmp(hash, VARDATA(txid), WES_HASH_LEN) == 0)
				continue;
			fixed = rebuild_tx(r, h, DatumGetInt32(SPI_getbinval(rows->vals[i], rows->tupdesc, 3, &isnull)),
							   (const uint8 *) VARDATA(txid), (const uint8 *) VARDATA(raw), VARSIZE(raw) - VARHDRSZ);
			if (fixed == NULL)
				continue;
			values[0] = PointerGetDatum(txid);
			values[1] = PointerGetDatum(fixed);
			wes_spi_run("UPDATE wes.transactions SET raw = $2 WHERE txid OPERATOR(%1$s.=) CAST($1 AS %1$s.wes_hash)",
						r->schema, 2, types, values, NULL, false);
			wes_action(a, "restore_raw_transaction", "transaction %s at height " INT64_FORMAT
					   ": raw bytes rebuilt from its inputs and outputs rows and its payload",
					   wes_hex_encode((const uint8 *) VARDATA(txid), WES_HASH_LEN), h);
		}
	}
}
