/*
 * blockfile.h
 *	  Files of length-prefixed blocks (docs/block-file.md): an 8-byte magic,
 *	  then per block a u32le length and the block's bytes, then a zero length
 *	  that marks the end.  The reader streams: it holds one block at a time and
 *	  checks every length before reading, so a damaged file is an error, never
 *	  an oversized allocation.
 */
#ifndef WES_BLOCKFILE_H
#define WES_BLOCKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WES_BLOCKFILE_MAGIC		"WESBLK1\n"
#define WES_BLOCKFILE_MAGIC_LEN 8
/* Smallest record: a header and n_tx */
#define WES_BLOCKFILE_MIN_BLOCK (156 + 4)
/* Largest record the reader accepts by default (a bytea parameter is at most 1 GB) */
#define WES_BLOCKFILE_MAX_BLOCK (256u * 1024 * 1024)

typedef enum bf_result
{
	BF_BLOCK = 0,				/* a block was read */
	BF_END,						/* the end marker was read */
	BF_ERROR					/* see the reader's error text */
} bf_result;

typedef struct bf_reader
{
	FILE	   *f;
	const char *name;			/* for messages */
	uint8_t    *buf;			/* the current block */
	size_t		cap;
	size_t		len;
	uint32_t	max_block;
	uint64_t	offset;			/* bytes consumed so far */
	uint64_t	index;			/* records read so far */
	uint64_t	height;			/* the current block's height */
	bool		ended;
	char		error[256];
} bf_reader;

/* Open name ("-" is stdin) and check the magic; false with r->error set on failure */
extern bool bf_open(bf_reader *r, const char *name, uint32_t max_block);
/* Read the next record into r->buf/r->len; from the second on, its height must be one above the last */
extern bf_result bf_next(bf_reader *r);
/* Total size of the file when it is a regular file, else 0 */
extern uint64_t bf_size(const bf_reader *r);
extern void bf_close(bf_reader *r);

typedef struct bf_writer
{
	FILE	   *f;
	const char *name;
	uint64_t	bytes;
} bf_writer;

/* Create name ("-" is stdout) and write the magic */
extern bool bf_create(bf_writer *w, const char *name);
/* Append one block given as parts (header, body...) whose lengths add up to the record */
extern bool bf_write_parts(bf_writer *w, const void *const *parts, const size_t *lens, int n);
/* Write the end marker and close; false if any write failed */
extern bool bf_finish(bf_writer *w);

#endif							/* WES_BLOCKFILE_H */
