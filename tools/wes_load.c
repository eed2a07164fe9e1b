/*
 * wes_load.c
 *	  wes-load: streams a block file (docs/block-file.md) into a database
 *	  through wes_write_blocks($1::bytea[]).
 *
 * Blocks go out as binary parameters of a prepared statement in libpq's
 * pipeline mode: several blocks are in flight while the server works, so the
 * round trip does not bound the rate.  Each run of --batch blocks is one call
 * of wes_write_blocks($1::bytea[]) (wes_write_block($1::bytea) when the batch
 * is one block), ends with a sync point and is one implicit transaction: an
 * output that a later block of the run spends goes into the table once, with
 * its spend mark.  A block counts as loaded when its sync point comes back
 * without an error.  On restart the loader waits for any wes-load session
 * still writing (one whose client was killed commits what it received), reads
 * the database's tip and skips the blocks of the file at or below it, each
 * once its hash is found equal to the database's block's at its height (a
 * file of another chain stops the run with status 1).  The first rejected
 * block stops the run: its SQLSTATE and message are printed and the exit
 * status is 1.  SIGINT or SIGTERM stop it cleanly: nothing more is sent, the
 * calls sent are waited for, and the exit status is 3.
 *
 * --check reads the file without a database and checks every rule the writer
 * checks (chain_check.c), for files made by other programs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "blockfile.h"
#include "chain_check.h"
#include "tool_util.h"
#include "wes_codec.h"

#define BYTEAOID	17
#define BYTEAARRAYOID 1001
#define STMT_ONE	"wes_load_write_block"
#define STMT_RUN	"wes_load_write_blocks"
#define ARRAY_HEADER 20			/* ndim, flags, element type, length, lower bound */
#define DEFAULT_BATCH_BYTES (256u << 20)
#define MAX_BATCH_BYTES 1000000000	/* PostgreSQL takes at most 1 GB - 1 in one parameter */
#define SKIP_RUN	1024		/* skipped blocks whose hashes one query compares */

typedef struct load_opts
{
	const char *conninfo;
	const char *file;
	uint32_t	batch;			/* blocks per transaction */
	uint32_t	depth;			/* blocks in flight */
	uint32_t	batch_bytes;	/* a call ends before its blocks pass this size */
	uint32_t	max_block;
	double		interval;		/* seconds between progress lines when not a tty */
	bool		check;
	bool		quiet;
} load_opts;

/* What the next results in the pipeline belong to */
typedef struct pending
{
	bool		sync;			/* a sync point: ends a transaction */
	int64_t		height;			/* call: its first block's height; sync: the last block's */
	uint32_t	blocks;			/* blocks in the call, or in the transaction */
	uint64_t	txs;			/* block: its n_tx; sync: the transaction's */
	uint64_t	bytes;			/* block: record size; sync: the transaction's */
} pending;

typedef struct loader
{
	load_opts	o;
	PGconn	   *conn;
	bf_reader	r;
	pending    *q;				/* ring of what is in flight */
	size_t		q_cap,
				q_head,
				q_len;
	uint32_t	in_flight;		/* blocks read whose result has not come back */
	pending		seg;			/* the open transaction: blocks read since the last sync */
	uint8_t    *run;			/* its blocks as a binary bytea[] (when --batch > 1) */
	size_t		run_len,
				run_cap;
	int64_t		tip;			/* database tip when the run started (-1: empty) */
	uint8_t		(*skip_hash)[WES_HASH_LEN];	/* skipped blocks not yet compared */
	int64_t		skip_first;		/* the height of skip_hash[0] */
	uint32_t	skip_n;
	bool		held;			/* the reader's buffer holds a record read but not yet sent */
	int64_t		done_height;	/* last height committed */
	uint64_t	skipped;
	uint64_t	blocks,
				txs,
				bytes;			/* committed in this run */
	uint64_t	total_bytes,
				base_offset;	/* file size; offset where loading began */
	bool		eof,
				failed,
				stopped,		/* SIGINT or SIGTERM: nothing more is sent */
				seg_failed,		/* the transaction whose results are arriving failed */
				tty;
	char		error[2048];
	double		t0,
				last_progress;
} loader;

/* The signal that asked for a stop (SIGINT or SIGTERM), 0 while none has */
static volatile sig_atomic_t stop_signal = 0;

static void
on_stop_signal(int signo)
{
	stop_signal = signo;
}

/*
 * SIGINT and SIGTERM stop the run cleanly: the blocks already sent are waited
 * for, so the tip is final when wes-load exits.  A second one ends wes-load
 * at once (SA_RESETHAND).  No SA_RESTART: a read of a stalled pipe returns.
 */
static void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- the database side ---- */

/*
 * The tip's height, -1 on an empty chain.  A database without the extension
 * is named as such: the tip query would only say that a relation is missing.
 */
static void
read_tip(loader *l)
{
	PGresult   *res = PQexec(l->conn, "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'wes_persist')");

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("cannot look for the extension: %s", PQresultErrorMessage(res));
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		die("the extension wes_persist is not installed in database \"%s\" (CREATE EXTENSION wes_persist)",
			PQdb(l->conn));
	PQclear(res);
	res = PQexec(l->conn, "SELECT height FROM wes_api.tip");	/* no row on an empty chain */
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("cannot read the chain tip: %s", PQresultErrorMessage(res));
	l->tip = PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -1;
	PQclear(res);
}

/*
 * Wait while another wes-load session of this database is still writing: a
 * loader killed with its transactions in flight leaves a backend that commits
 * them, and the tip is only known once it has.  Sessions of other roles show
 * no state to this one, so they are not waited for.
 */
static void
wait_for_other_loaders(PGconn *conn)
{
	bool		said = false;

	for (;;)
	{
		PGresult   *res = PQexec(conn,
								 "SELECT string_agg(pid::text, ', ' ORDER BY pid) FROM pg_stat_activity "
								 "WHERE datname = current_database() AND application_name = 'wes-load' "
								 "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction', "
								 "'idle in transaction (aborted)')");

		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die("cannot look for other wes-load sessions: %s", PQresultErrorMessage(res));
		if (PQgetisnull(res, 0, 0))
		{
			PQclear(res);
			return;
		}
		if (!said)
			fprintf(stderr, "wes-load: waiting for another wes-load session still writing to this "
					"database (backend %s): the tip is known when it ends\n", PQgetvalue(res, 0, 0));
		said = true;
		PQclear(res);
		if (stop_signal)
			exit(3);
		usleep(200000);
	}
}

/* Connect, wait for other loaders, read the tip */
static void
db_open(loader *l)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *vals[] = {l->o.conninfo, "wes-load", NULL};

	l->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(l->conn) != CONNECTION_OK)
		die("cannot connect: %s", PQerrorMessage(l->conn));
	wait_for_other_loaders(l->conn);
	read_tip(l);
}

/* Prepare the write statement and enter pipeline mode */
static void
db_start_pipeline(loader *l)
{
	Oid			one[1] = {BYTEAOID};
	Oid			run[1] = {BYTEAARRAYOID};
	PGresult   *res;

	res = l->o.batch == 1 ? PQprepare(l->conn, STMT_ONE, "SELECT wes_write_block($1::bytea)", 1, one)
		: PQprepare(l->conn, STMT_RUN, "SELECT wes_write_blocks($1::bytea[])", 1, run);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("cannot prepare the write statement: %s", PQresultErrorMessage(res));
	PQclear(res);
	if (!PQenterPipelineMode(l->conn) || PQsetnonblocking(l->conn, 1) != 0)
		die("cannot enter pipeline mode: %s", PQerrorMessage(l->conn));
}

static void
queue_push(loader *l, const pending *p)
{
	if (l->q_len == l->q_cap)
	{
		size_t		cap = l->q_cap ? 2 * l->q_cap : 64;
		pending    *nq = xmalloc(cap * sizeof(pending));

		for (size_t i = 0; i < l->q_len; i++)
			nq[i] = l->q[(l->q_head + i) % l->q_cap];
		free(l->q);
		l->q = nq;
		l->q_cap = cap;
		l->q_head = 0;
	}
	l->q[(l->q_head + l->q_len++) % l->q_cap] = *p;
}

/* A big-endian u32 at p (the binary array format's integers) */
static void
put_be32(uint8_t *p, uint32_t v)
{
	uint32_t	be = htonl(v);

	memcpy(p, &be, 4);
}

/* Send the run's blocks as one wes_write_blocks call: a one-dimensional bytea[] in binary */
static void
send_run(loader *l)
{
	const char *values[1] = {(const char *) l->run};
	int			lengths[1] = {(int) l->run_len};	/* below 2 GB: see send_block */
	int			formats[1] = {1};
	pending		p = {false, l->seg.height - l->seg.blocks + 1, l->seg.blocks, l->seg.txs, l->seg.bytes};

	put_be32(l->run, 1);		/* one dimension */
	put_be32(l->run + 4, 0);	/* no nulls */
	put_be32(l->run + 8, BYTEAOID); /* element type */
	put_be32(l->run + 12, l->seg.blocks);
	put_be32(l->run + 16, 1);	/* lower bound */
	if (!PQsendQueryPrepared(l->conn, STMT_RUN, 1, values, lengths, formats, 0))
		die("cannot send the blocks up to height %lld: %s", (long long) l->seg.height,
			PQerrorMessage(l->conn));
	queue_push(l, &p);
}

/* End the open transaction: send its run when blocks wait in it, then a sync point */
static void
send_sync(loader *l)
{
	if (l->seg.blocks == 0)
		return;
	if (l->o.batch > 1)
		send_run(l);
	if (!PQpipelineSync(l->conn))
		die("cannot send a sync point: %s", PQerrorMessage(l->conn));
	l->seg.sync = true;
	queue_push(l, &l->seg);
	memset(&l->seg, 0, sizeof(l->seg));
	l->run_len = ARRAY_HEADER;
}

/*
 * Add the block in the reader's buffer to the run, or send it alone when the
 * batch is one block.  A run ends at --batch blocks, or before the block that
 * would take it past --batch-bytes: a run is then at most 1 GB, or one block
 * (at most --max-block) alone.
 */
static void
send_block(loader *l, int64_t height, uint32_t n_tx)
{
	if (l->o.batch == 1)
	{
		const char *values[1] = {(const char *) l->r.buf};
		int			lengths[1] = {(int) l->r.len};
		int			formats[1] = {1};
		pending		p = {false, height, 1, n_tx, l->r.len};

		if (!PQsendQueryPrepared(l->conn, STMT_ONE, 1, values, lengths, formats, 0))
			die("cannot send the block at height %lld: %s", (long long) height, PQerrorMessage(l->conn));
		queue_push(l, &p);
	}
	else
	{
		if (l->seg.blocks > 0 && l->run_len + 4 + l->r.len > l->o.batch_bytes)
			send_sync(l);
		if (l->run_len + 4 + l->r.len > l->run_cap)
		{
			l->run_cap = 2 * (l->run_len + 4 + l->r.len);
			l->run = xrealloc(l->run, l->run_cap);
		}
		put_be32(l->run + l->run_len, (uint32_t) l->r.len);
		l->run_len += 4;
		memcpy(l->run + l->run_len, l->r.buf, l->r.len);
		l->run_len += l->r.len;
	}
	l->in_flight++;
	l->seg.height = height;
	l->seg.blocks++;
	l->seg.txs += n_tx;
	l->seg.bytes += l->r.len;
	if (l->seg.blocks >= l->o.batch)
		send_sync(l);
}

/*
 * The height of the block an error belongs to: the call's first block, or the
 * one the error's context names ("block N of M in the array")
 */
static int64_t
error_height(const pending *p, const PGresult *res)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	int			pos,
				count;

	for (const char *c = ctx; c != NULL && (c = strstr(c, "block ")) != NULL; c++)
		if (sscanf(c, "block %d of %d in the array", &pos, &count) == 2 && pos >= 1 && (uint32_t) pos <= p->blocks)
			return p->height + pos - 1;
	return p->height;
}

/* Stop the run, keeping the message to print once the results sent are in */
static bool __attribute__((format(printf, 2, 3)))
fail_run(loader *l, const char *fmt,...)
{
	va_list		ap;

	l->failed = true;
	va_start(ap, fmt);
	vsnprintf(l->error, sizeof(l->error), fmt, ap);
	va_end(ap);
	return false;
}

/* Remember the first rejection: height, SQLSTATE, message and detail */
static void
note_error(loader *l, int64_t height, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

	if (!l->failed)
		fail_run(l, "block at height %lld rejected: SQLSTATE %s: %s%s%s", (long long) height,
				 state ? state : "?????", msg ? msg : PQresultErrorMessage(res),
				 detail ? "\nDETAIL: " : "", detail ? detail : "");
}

/* A block's results are in: count it; a sync point's: commit its transaction unless it failed */
static void
take_result(loader *l, pending *p, PGresult *res, bool *seg_failed)
{
	if (p->sync)
	{
		if (res == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC)
			die("unexpected result at a sync point: %s", res ? PQresStatus(PQresultStatus(res)) : "none");
		if (!*seg_failed)
		{
			l->blocks += p->blocks;
			l->txs += p->txs;
			l->bytes += p->bytes;
			l->done_height = p->height;
		}
		*seg_failed = false;
		return;
	}
	switch (PQresultStatus(res))
	{
		case PGRES_TUPLES_OK:
			break;
		case PGRES_FATAL_ERROR:
			note_error(l, error_height(p, res), res);
			*seg_failed = true;
			break;
		case PGRES_PIPELINE_ABORTED:
			*seg_failed = true;
			break;
		default:
			die("unexpected result for the blocks from height %lld: %s", (long long) p->height,
				PQresStatus(PQresultStatus(res)));
	}
}

/* Handle every result that is ready without blocking */
static void
drain_results(loader *l)
{
	if (!PQconsumeInput(l->conn))
		die("lost the connection after height %lld: %s", (long long) l->done_height,
			PQerrorMessage(l->conn));
	while (l->q_len > 0 && !PQisBusy(l->conn))
	{
		pending    *p = &l->q[l->q_head];
		PGresult   *res = PQgetResult(l->conn);
		bool		finished = p->sync || res == NULL;	/* a block's results end with NULL */

		if (res != NULL || p->sync)
			take_result(l, p, res, &l->seg_failed);
		PQclear(res);
		if (finished)
		{
			l->in_flight -= p->sync ? 0 : p->blocks;
			l->q_head = (l->q_head + 1) % l->q_cap;
			l->q_len--;
		}
	}
}

/* Wait until the socket is readable (or writable, when output is pending), at most a moment */
static void
wait_socket(loader *l, bool want_write)
{
	int			sock = PQsocket(l->conn);
	fd_set		rd,
				wr;
	struct timeval tv = {0, 200000};

	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(sock, &rd);
	if (want_write)
		FD_SET(sock, &wr);
	if (select(sock + 1, &rd, &wr, NULL, &tv) < 0 && errno != EINTR)
		die("select: %s", strerror(errno));
}

/* Send what libpq holds, as far as the socket takes it; true when some is left */
static bool
send_pending(loader *l)
{
	int			r = PQflush(l->conn);

	if (r < 0)
		die("cannot send: %s", PQerrorMessage(l->conn));
	return r == 1;
}

/*
 * Send everything libpq holds, reading results meanwhile so that the server
 * never waits on us.  Needed before a read that can block (a pipe), lest
 * calls already made sit unsent while wes-load waits for input.
 */
static void
flush_all(loader *l)
{
	while (send_pending(l) && !stop_signal)
	{
		wait_socket(l, true);
		if (!PQconsumeInput(l->conn))
			die("lost the connection after height %lld: %s", (long long) l->done_height,
				PQerrorMessage(l->conn));
	}
}

/*
 * A stop was asked for: send nothing more.  The open transaction's blocks
 * have not been sent (a batch of one is sent as it is read), so they are
 * dropped; what was sent is waited for.
 */
static void
stop_sending(loader *l)
{
	l->stopped = true;
	l->in_flight -= l->seg.blocks;
	memset(&l->seg, 0, sizeof(l->seg));
	l->run_len = ARRAY_HEADER;
}

/*
 * The next record (the one held back, if any) and its height, which the reader
 * found one above the last.  Heights are u64 in the file, bigint in the
 * database: one above INT64_MAX is refused, not cast to a negative height that
 * would pass for one at or below the tip.  False at the end (l->eof), on a
 * damaged file (l->failed), and on a read a signal interrupted.
 */
static bool
next_record(loader *l, int64_t *height)
{
	bf_result	rr = l->held ? BF_BLOCK : bf_next(&l->r);

	l->held = false;
	if (rr == BF_END)
		l->eof = true;
	else if (rr == BF_ERROR && !stop_signal)	/* else a read the signal interrupted */
		fail_run(l, "%s", l->r.error);
	if (rr != BF_BLOCK)
		return false;
	if (l->r.height > (uint64_t) INT64_MAX)
		return fail_run(l, "%s: record %llu has height %llu, above %lld, the largest height a database holds",
						l->o.file, (unsigned long long) l->r.index - 1, (unsigned long long) l->r.height,
						(long long) INT64_MAX);
	*height = (int64_t) l->r.height;
	return true;
}

/*
 * Compare the skipped blocks of skip_hash with the database's at their heights,
 * in one query: a file of another chain would otherwise load "successfully",
 * writing nothing.  A chain started from a snapshot holds no block below its
 * base (wes_api.tip.base_height): those are skipped unchecked, but for base - 1,
 * the snapshot's height, whose hash is the tip's until a block is written on
 * it.  The block at the base has a row; when it is the next to write, the
 * server checks its prev_hash against the snapshot's hash.
 */
static void
compare_skipped(loader *l)
{
	char		lo[24],
				hi[24],
				hex[2 * WES_HASH_LEN + 1];
	const char *params[2] = {lo, hi};
	PGresult   *res;

	snprintf(lo, sizeof(lo), "%lld", (long long) l->skip_first);
	snprintf(hi, sizeof(hi), "%lld", (long long) l->skip_first + l->skip_n - 1);
	res = PQexecParams(l->conn, "SELECT height, hash FROM wes_api.blocks WHERE height BETWEEN $1 AND $2 "
					   "UNION SELECT height, hash FROM wes_api.tip WHERE height BETWEEN $1 AND $2 ORDER BY 1",
					   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("cannot read the hashes of the database's blocks %s..%s: %s", lo, hi, PQresultErrorMessage(res));
	for (int i = 0; i < PQntuples(res) && !l->failed; i++)
	{
		int64_t		height = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		sodium_bin2hex(hex, sizeof(hex), l->skip_hash[height - l->skip_first], WES_HASH_LEN);
		if (strcmp(hex, PQgetvalue(res, i, 1)) != 0)
			fail_run(l, "%s: the block at height %lld has hash %s, but the database's block at that height "
					 "has hash %s: the file is not of this database's chain", l->o.file, (long long) height,
					 hex, PQgetvalue(res, i, 1));
	}
	PQclear(res);
	l->skip_n = 0;
}

/*
 * Skip the records at or below the database's tip, comparing their hashes
 * with the database's SKIP_RUN at a time.  Runs before pipeline mode, so that
 * a query can wait for its result; the first record above the tip is held in
 * the reader's buffer for fill() to send.
 */
static void
skip_loaded(loader *l)
{
	int64_t		height;

	l->skip_hash = xmalloc(SKIP_RUN * WES_HASH_LEN);
	while (!stop_signal && !l->failed && next_record(l, &height))
	{
		if (height > l->tip)
		{
			l->held = true;
			break;
		}
		if (l->skip_n == 0)
			l->skip_first = height;
		wes_hash(l->r.buf, WES_HEADER_LEN, l->skip_hash[l->skip_n++]);
		l->skipped++;
		l->base_offset = l->r.offset;
		if (l->skip_n == SKIP_RUN)
			compare_skipped(l);
	}
	if (l->skip_n > 0 && !l->failed)
		compare_skipped(l);
}

/* Read and send blocks until depth blocks are in flight (read, not yet answered) */
static void
fill(loader *l)
{
	int64_t		height;

	while (!l->eof && !l->failed && !stop_signal && l->in_flight < l->o.depth)
	{
		if (l->total_bytes == 0)	/* not a regular file: the read may wait */
			flush_all(l);
		if (!next_record(l, &height))
			break;
		send_block(l, height, wes_get_u32(l->r.buf + WES_HEADER_LEN));
	}
	/* Nothing more comes: close the open transaction so that its results arrive */
	if (l->eof || l->failed)
		send_sync(l);
}

/* The progress line: in place on a terminal, one line every few seconds otherwise */
static void
progress(loader *l, bool final)
{
	double		now = now_seconds(),
				el = now - l->t0;
	char		eta[32] = "?";
	char		line[256];

	if (l->o.quiet || (!final && now - l->last_progress < (l->tty ? 0.5 : l->o.interval)))
		return;
	if (final && !l->tty)
		return;
	l->last_progress = now;
	if (l->total_bytes > 0 && l->bytes > 0 && el > 0)
	{
		double		left = (double) l->total_bytes - l->base_offset - l->bytes;

		fmt_duration(eta, sizeof(eta), left > 0 ? left / (l->bytes / el) : 0);
	}
	snprintf(line, sizeof(line), "%llu blocks, %llu txs, %.1f blocks/s, %.0f tx/s, height %lld, ETA %s",
			 (unsigned long long) l->blocks, (unsigned long long) l->txs,
			 el > 0 ? l->blocks / el : 0.0, el > 0 ? l->txs / el : 0.0,
			 (long long) l->done_height, eta);
	if (l->tty)
		fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "wes-load: %s\n", line);
}

/* Stream the file into the database */
static int
load(loader *l)
{
	double		secs;

	db_open(l);
	l->done_height = l->tip;
	l->tty = isatty(STDERR_FILENO);
	l->total_bytes = bf_size(&l->r);
	l->base_offset = l->r.offset;
	l->t0 = l->last_progress = now_seconds();
	skip_loaded(l);
	db_start_pipeline(l);
	for (;;)
	{
		if (stop_signal && !l->stopped)
			stop_sending(l);
		drain_results(l);
		fill(l);
		if (l->q_len == 0 && (l->eof || l->failed || l->stopped))
			break;
		wait_socket(l, send_pending(l));
		progress(l, false);
	}
	secs = now_seconds() - l->t0;
	progress(l, true);
	PQfinish(l->conn);
	if (!l->o.quiet || l->failed)
		printf("wes-load: %llu blocks, %llu txs in %.2f s: %.0f tx/s, %.1f blocks/s; "
			   "skipped %llu at or below the tip (%lld); tip height %lld\n",
			   (unsigned long long) l->blocks, (unsigned long long) l->txs, secs,
			   secs > 0 ? l->txs / secs : 0.0, secs > 0 ? l->blocks / secs : 0.0,
			   (unsigned long long) l->skipped, (long long) l->tip, (long long) l->done_height);
	fflush(stdout);
	if (l->failed)
	{
		fprintf(stderr, "wes-load: %s\n", l->error);
		return 1;
	}
	if (l->stopped)
	{
		fprintf(stderr, "wes-load: stopped by signal %d with the tip at height %lld; run it again to resume\n",
				(int) stop_signal, (long long) l->done_height);
		return 3;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
			"Usage: wes-load [OPTION]... FILE\n"
			"Load a block file (docs/block-file.md; \"-\" reads stdin) into a database through\n"
			"wes_write_blocks, resuming after the database's tip.  A block of the file at or below the\n"
			"tip is skipped when its hash is that of the database's block at its height, and stops the\n"
			"run otherwise (a chain started from a snapshot has no block below it to compare).\n\n"
			"  -d, --dbname CONNINFO   database name or connection string (default: libpq's PG* variables)\n"
			"  -b, --batch N           blocks per transaction, sent in one wes_write_blocks call (default 16)\n"
			"      --batch-bytes BYTES end a transaction early rather than let its blocks pass this size\n"
			"                          (default 268435456, at most 1000000000)\n"
			"  -p, --depth N           blocks in flight in the pipeline, at least --batch (default: twice --batch)\n"
			"      --max-block BYTES   refuse records longer than this (160, the smallest block, to 268435456,\n"
			"                          the default)\n"
			"      --interval SECS     seconds between progress lines when stderr is not a terminal (default 5)\n"
			"      --check             no database: check every rule of the wire format on the file\n"
			"                          (the file must start at genesis) and print its tip and state root\n"
			"  -q, --quiet             no progress, no summary\n"
			"  -h, --help              this help\n\n"
			"Exit status: 0 when every block was loaded, 1 when a block was rejected (its SQLSTATE\n"
			"and message are printed), the file is damaged or is not of the database's chain, 2 on a\n"
			"usage error, 3 when stopped by SIGINT or SIGTERM (the blocks already sent are committed\n"
			"first; a second signal ends it at once).\n");
}

/* --max-block: at most the file format's bound, and at least the smallest block, lest every record be refused */
static uint32_t
parse_max_block(const char *s)
{
	return (uint32_t) parse_u64_range("max-block", s, WES_BLOCKFILE_MIN_BLOCK, WES_BLOCKFILE_MAX_BLOCK);
}

/* Parse the command line into o */
static void
parse_options(load_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"batch", required_argument, NULL, 'b'},
		{"depth", required_argument, NULL, 'p'},
		{"batch-bytes", required_argument, NULL, 'B'},
		{"max-block", required_argument, NULL, 'M'},
		{"interval", required_argument, NULL, 'I'},
		{"check", no_argument, NULL, 'C'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	memset(o, 0, sizeof(*o));
	o->conninfo = "";
	o->batch = 16;
	o->depth = 0;
	o->batch_bytes = DEFAULT_BATCH_BYTES;
	o->max_block = WES_BLOCKFILE_MAX_BLOCK;
	o->interval = 5;
	while ((c = getopt_long(argc, argv, "d:b:p:qh", longs, NULL)) != -1)
	{
		switch (c)
		{
			case 'd': o->conninfo = optarg; break;
			case 'b': o->batch = (uint32_t) parse_u64("batch", optarg, 1000000); break;
			case 'p': o->depth = (uint32_t) parse_u64("depth", optarg, 100000); break;
			case 'B': o->batch_bytes = (uint32_t) parse_u64("batch-bytes", optarg, MAX_BATCH_BYTES); break;
			case 'M': o->max_block = parse_max_block(optarg); break;
			case 'I': o->interval = (double) parse_u64("interval", optarg, 86400); break;
			case 'C': o->check = true; break;
			case 'q': o->quiet = true; break;
			case 'h': usage(stdout); exit(0);
			default: usage(stderr); exit(2);
		}
	}
	if (optind != argc - 1)
	{
		usage(stderr);
		exit(2);
	}
	o->file = argv[optind];
	if (o->batch == 0)
		die_usage("--batch must be at least 1");
	if (o->depth == 0)
		o->depth = 2 * o->batch;
	if (o->depth < o->batch)
		die_usage("--depth must be at least --batch: a transaction's blocks are sent together");
}

int
main(int argc, char **argv)
{
	loader	   *l = xmalloc(sizeof(loader));

	memset(l, 0, sizeof(*l));
	l->run_len = ARRAY_HEADER;
	if (wes_codec_init() != 0)
		die("libsodium failed to initialise");
	parse_options(&l->o, argc, argv);
	catch_stop_signals();
	if (!bf_open(&l->r, l->o.file, l->o.max_block))
		die("%s", l->r.error);
	return l->o.check ? cc_check_file(&l->r, l->o.quiet) : load(l);
}
