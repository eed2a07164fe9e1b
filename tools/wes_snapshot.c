/*
 * wes_snapshot.c
 *	  wes-snapshot: writes, reads and checks snapshot files (docs/snapshot-format.md).
 *
 *	  export  runs wes_snapshot_export() (any wes_reader may) and writes its
 *	          chunks, in order, to a file; the checksum is verified on the way
 *	  import  sends a file in chunks (wes_snapshot_import_begin, _append for
 *	          each chunk, _finish; role wes_writer) in one transaction: any size
 *	  check   verifies a file's header, record and id framing and checksum
 *	          offline and prints its header and txid_count as name=value lines
 *
 * The export streams: libpq's single-row mode hands over one chunk at a time,
 * and the file appears under its name only once complete: it is written as
 * FILE.part, which any failure removes.
 */
#include <errno.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool_util.h"
#include "wes_codec.h"

#define BYTEAOID	17
#define INT8OID		20
#define MAGIC		"WESSNAP1"
#define VERSION		2
#define HEADER_LEN	92

typedef struct snap_opts
{
	const char *command;
	const char *conninfo;
	const char *file;
	const char *height;			/* export: a retained snapshot's height, NULL for the tip */
	size_t		chunk;			/* import: bytes sent a call */
	int			quiet;
} snap_opts;

static void
usage(FILE *f)
{
	fprintf(f,
			"Usage: wes-snapshot export [-d CONNINFO] [-H HEIGHT] -o FILE\n"
			"       wes-snapshot import [-d CONNINFO] [-c BYTES] -i FILE\n"
			"       wes-snapshot check -i FILE\n"
			"Write, read and check snapshot files (docs/snapshot-format.md).\n\n"
			"  -d, --dbname CONNINFO   database name or connection string (default: libpq's PG* variables)\n"
			"  -H, --height H          export the retained snapshot at height H (default: the tip)\n"
			"  -o, --output FILE       file to write (export)\n"
			"  -i, --input FILE        file to read (import, check)\n"
			"  -c, --chunk BYTES       import: bytes sent a call (1 byte to 256 MiB, default 8 MiB)\n"
			"  -q, --quiet             no summary on stderr\n"
			"  -h, --help              this help\n");
}

static PGconn *
connect_db(const char *conninfo)
{
	const char *keys[] = {"dbname", NULL};
	const char *vals[] = {conninfo, NULL};
	PGconn	   *conn = PQconnectdbParams(keys, vals, 1);

	if (PQstatus(conn) != CONNECTION_OK)
		die("cannot connect: %s", PQerrorMessage(conn));
	return conn;
}

/* The header as name=value lines */
static void
print_header(FILE *f, const uint8_t *h)
{
	char		hex[2 * WES_HASH_LEN + 1];

	fprintf(f, "height=%llu\n", (unsigned long long) wes_get_u64(h + 12));
	sodium_bin2hex(hex, sizeof(hex), h + 20, WES_HASH_LEN);
	fprintf(f, "hash=%s\n", hex);
	sodium_bin2hex(hex, sizeof(hex), h + 20 + WES_HASH_LEN, WES_HASH_LEN);
	fprintf(f, "state_root=%s\n", hex);
	fprintf(f, "utxo_count=%llu\n", (unsigned long long) wes_get_u64(h + 20 + 2 * WES_HASH_LEN));
}

/*
 * The file as the export writes it.  The checksum covers every byte but the
 * last 32, which are the checksum itself, and the server cuts its chunks where
 * it likes (the one before the checksum may hold only txid_count, 8 bytes), so
 * the last 32 bytes seen so far wait in tail and go through the hash only when
 * later bytes push them out.
 */
typedef struct export_file
{
	FILE	   *f;
	crypto_generichash_state hs;
	uint8_t		tail[WES_HASH_LEN];
	size_t		tail_len;
	uint8_t		header[HEADER_LEN];
	size_t		total;
} export_file;

/* FILE.part while the export writes it, for remove_part; NULL once renamed */
static char *part_path;

/* At exit: a failed export leaves no FILE.part behind */
static void
remove_part(void)
{
	if (part_path != NULL)
		unlink(part_path);
}

/* SIGINT or SIGTERM: an interrupted export leaves none either, then the signal ends the process */
static void
remove_part_on_signal(int signo)
{
	remove_part();
	signal(signo, SIG_DFL);
	raise(signo);
}

/* One chunk of the export, of any size: into the file, the header and the checksum */
static void
take_chunk(export_file *x, const uint8_t *p, size_t n)
{
	size_t		out = x->tail_len + n > WES_HASH_LEN ? x->tail_len + n - WES_HASH_LEN : 0;
	size_t		from_tail = out < x->tail_len ? out : x->tail_len;

	if (fwrite(p, 1, n, x->f) != n)
		die("cannot write %s: %s", part_path, strerror(errno));
	if (x->total < HEADER_LEN)
		memcpy(x->header + x->total, p, n < HEADER_LEN - x->total ? n : HEADER_LEN - x->total);
	x->total += n;
	/* the first out bytes of tail || p leave the window: hash them, keep the rest */
	crypto_generichash_update(&x->hs, x->tail, from_tail);
	crypto_generichash_update(&x->hs, p, out - from_tail);
	memmove(x->tail, x->tail + from_tail, x->tail_len - from_tail);
	x->tail_len -= from_tail;
	memcpy(x->tail + x->tail_len, p + (out - from_tail), n - (out - from_tail));
	x->tail_len += n - (out - from_tail);
}

/* export: the chunks of wes_snapshot_export, in order, into FILE.part, checked, then renamed */
static void
run_export(const snap_opts *o)
{
	PGconn	   *conn = connect_db(o->conninfo);
	const char *params[1] = {o->height};
	Oid			types[1] = {INT8OID};
	export_file x = {0};
	uint8_t		sum[WES_HASH_LEN];
	PGresult   *res;
	char	   *done;
	double		t0 = now_seconds();

	part_path = xmalloc(strlen(o->file) + 6);
	sprintf(part_path, "%s.part", o->file);
	if ((x.f = fopen(part_path, "wb")) == NULL)
		die("cannot create %s: %s", part_path, strerror(errno));
	atexit(remove_part);
	signal(SIGINT, remove_part_on_signal);
	signal(SIGTERM, remove_part_on_signal);
	if (!PQsendQueryParams(conn, "SELECT c FROM wes_snapshot_export($1) c", 1, types, params, NULL, NULL, 1)
		|| !PQsetSingleRowMode(conn))
		die("cannot start the export: %s", PQerrorMessage(conn));
	crypto_generichash_init(&x.hs, NULL, 0, WES_HASH_LEN);
	while ((res = PQgetResult(conn)) != NULL)
	{
		if (PQresultStatus(res) == PGRES_SINGLE_TUPLE)
			take_chunk(&x, (const uint8_t *) PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0));
		else if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die("export failed: %s %s", PQresultErrorField(res, PG_DIAG_SQLSTATE), PQresultErrorMessage(res));
		PQclear(res);
	}
	if (fclose(x.f) != 0)
		die("cannot write %s: %s", part_path, strerror(errno));
	crypto_generichash_final(&x.hs, sum, WES_HASH_LEN);
	if (x.total < HEADER_LEN + WES_HASH_LEN || memcmp(sum, x.tail, WES_HASH_LEN) != 0)
		die("the exported file does not match its checksum");
	if (rename(part_path, o->file) != 0)
		die("cannot rename %s: %s", part_path, strerror(errno));
	done = part_path;
	part_path = NULL;			/* the file is complete: nothing to remove, even on a signal now */
	free(done);
	if (!o->quiet)
	{
		print_header(stderr, x.header);
		fprintf(stderr, "bytes=%zu\nseconds=%.3f\n", x.total, now_seconds() - t0);
	}
	PQfinish(conn);
}

/* The whole file in memory */
static uint8_t *
read_file(const char *name, size_t *len)
{
	FILE	   *f = fopen(name, "rb");
	uint8_t    *buf = NULL;
	size_t		cap = 0,
				n;

	if (f == NULL)
		die("cannot open %s: %s", name, strerror(errno));
	*len = 0;
	do
	{
		if (*len == cap)
			buf = xrealloc(buf, cap = cap ? 2 * cap : 1 << 20);
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	if (ferror(f))
		die("cannot read %s: %s", name, strerror(errno));
	fclose(f);
	return buf;
}

/* check: magic, version, record and id framing, checksum; prints the header and txid_count */
static void
run_check(const snap_opts *o)
{
	size_t		len,
				pos = HEADER_LEN;
	uint8_t    *buf = read_file(o->file, &len);
	uint8_t		sum[WES_HASH_LEN];
	uint64_t	count,
				txids;

	if (len < HEADER_LEN + 8 + WES_HASH_LEN || memcmp(buf, MAGIC, 8) != 0 || wes_get_u32(buf + 8) != VERSION)
		die("%s is not a version %d snapshot file", o->file, VERSION);
	wes_hash(buf, len - WES_HASH_LEN, sum);
	if (memcmp(sum, buf + len - WES_HASH_LEN, WES_HASH_LEN) != 0)
		die("%s does not match its checksum", o->file);
	count = wes_get_u64(buf + 20 + 2 * WES_HASH_LEN);
	for (uint64_t i = 0; i < count; i++)
	{
		if (len - WES_HASH_LEN - pos < 48)
			die("%s: record %llu is cut short", o->file, (unsigned long long) i);
		pos += 48 + (size_t) wes_get_u32(buf + pos + 44);
		if (pos > len - WES_HASH_LEN)
			die("%s: record %llu runs past the records", o->file, (unsigned long long) i);
	}
	if (len - WES_HASH_LEN - pos < 8)
		die("%s: txid_count is cut short", o->file);
	txids = wes_get_u64(buf + pos);
	pos += 8;
	if (txids > (len - WES_HASH_LEN - pos) / WES_HASH_LEN)
		die("%s: %llu transaction ids run past the file", o->file, (unsigned long long) txids);
	pos += txids * WES_HASH_LEN;
	if (pos != len - WES_HASH_LEN)
		die("%s: %zu bytes follow the last transaction id", o->file, len - WES_HASH_LEN - pos);
	print_header(stdout, buf);
	printf("txid_count=%llu\n", (unsigned long long) txids);
	free(buf);
}

/* One statement of the import; its result, which must be status want */
static PGresult *
import_step(PGconn *conn, const char *sql, const uint8_t *chunk, size_t len, ExecStatusType want)
{
	const char *params[1] = {(const char *) chunk};
	int			lengths[1] = {(int) len};
	int			formats[1] = {1};
	Oid			types[1] = {BYTEAOID};
	PGresult   *res = PQexecParams(conn, sql, chunk ? 1 : 0, types, params, lengths, formats, 0);

	if (PQresultStatus(res) != want)
		die("import failed: %s %s", PQresultErrorField(res, PG_DIAG_SQLSTATE), PQresultErrorMessage(res));
	return res;
}

/*
 * import: the file in chunks of o->chunk bytes, in one transaction:
 * wes_snapshot_import_begin, wes_snapshot_import_append for each, then
 * wes_snapshot_import_finish; a file of any size
 */
static void
run_import(const snap_opts *o)
{
	FILE	   *f = fopen(o->file, "rb");
	uint8_t    *chunk = xmalloc(o->chunk);
	PGconn	   *conn = connect_db(o->conninfo);
	double		t0 = now_seconds();
	size_t		n,
				chunks = 0;
	PGresult   *res;

	if (f == NULL)
		die("cannot open %s: %s", o->file, strerror(errno));
	PQclear(import_step(conn, "BEGIN", NULL, 0, PGRES_COMMAND_OK));
	PQclear(import_step(conn, "SELECT wes_snapshot_import_begin()", NULL, 0, PGRES_TUPLES_OK));
	while ((n = fread(chunk, 1, o->chunk, f)) > 0)
	{
		PQclear(import_step(conn, "SELECT wes_snapshot_import_append($1)", chunk, n, PGRES_TUPLES_OK));
		chunks++;
	}
	if (ferror(f))
		die("cannot read %s: %s", o->file, strerror(errno));
	fclose(f);
	res = import_step(conn, "SELECT height, block_hash, state_root, utxo_count FROM wes_snapshot_import_finish()",
					  NULL, 0, PGRES_TUPLES_OK);
	PQclear(import_step(conn, "COMMIT", NULL, 0, PGRES_COMMAND_OK));
	if (!o->quiet)
		fprintf(stderr, "height=%s\nhash=%s\nstate_root=%s\nutxo_count=%s\nchunks=%zu\nseconds=%.3f\n",
				PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
				PQgetvalue(res, 0, 3), chunks, now_seconds() - t0);
	PQclear(res);
	PQfinish(conn);
	free(chunk);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dbname", required_argument, NULL, 'd'}, {"height", required_argument, NULL, 'H'},
		{"output", required_argument, NULL, 'o'}, {"input", required_argument, NULL, 'i'},
		{"chunk", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	snap_opts	o = {.chunk = 8 << 20};
	int			c;

	while ((c = getopt_long(argc, argv, "d:H:o:i:c:qh", longopts, NULL)) != -1)
		switch (c)
		{
			case 'd': o.conninfo = optarg; break;
			case 'H': parse_u64("height", optarg, INT64_MAX); o.height = optarg; break;
			case 'o': o.file = optarg; break;
			case 'i': o.file = optarg; break;
			case 'c': o.chunk = parse_u64_range("chunk", optarg, 1, 256 << 20); break;
			case 'q': o.quiet = 1; break;
			case 'h': usage(stdout); return 0;
			default: usage(stderr); return 2;
		}
	if (optind != argc - 1)
		die_usage("give one command: export, import or check (see --help)");
	o.command = argv[optind];
	if (strcmp(o.command, "export") != 0 && strcmp(o.command, "import") != 0 && strcmp(o.command, "check") != 0)
		die_usage("unknown command \"%s\": export, import or check (see --help)", o.command);
	if (o.file == NULL)
		die_usage("%s needs %s FILE (see --help)", o.command, strcmp(o.command, "export") == 0 ? "-o" : "-i");
	if (wes_codec_init() < 0)
		die("cannot initialise libsodium");
	if (strcmp(o.command, "export") == 0)
		run_export(&o);
	else if (strcmp(o.command, "import") == 0)
		run_import(&o);
	else
		run_check(&o);
	return 0;
}
