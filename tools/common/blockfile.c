/*
 * blockfile.c
 *	  Reading and writing files of length-prefixed blocks (docs/block-file.md).
 */
#include "blockfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wes_codec.h"

/* Read exactly n bytes; returns how many were read before EOF or an error */
static size_t
read_full(FILE *f, void *p, size_t n)
{
	size_t		got = 0;

	while (got < n)
	{
		size_t		k = fread((uint8_t *) p + got, 1, n - got, f);

		if (k == 0)
			break;
		got += k;
	}
	return got;
}

/* Open name ("-" is stdin) and check the magic */
bool
bf_open(bf_reader *r, const char *name, uint32_t max_block)
{
	uint8_t		magic[WES_BLOCKFILE_MAGIC_LEN];
	size_t		got;
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->name = name;
	r->max_block = max_block ? max_block : WES_BLOCKFILE_MAX_BLOCK;
	r->f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	if (r->f == NULL)
	{
		snprintf(r->error, sizeof(r->error), "%s: %s", name, strerror(errno));
		return false;
	}
	/* fopen opens a directory for reading; only the first read fails */
	if (fstat(fileno(r->f), &st) == 0 && S_ISDIR(st.st_mode))
	{
		snprintf(r->error, sizeof(r->error), "%s: is a directory, not a block file", name);
		return false;
	}
	got = read_full(r->f, magic, sizeof(magic));
	if (got != sizeof(magic) || memcmp(magic, WES_BLOCKFILE_MAGIC, sizeof(magic)) != 0)
	{
		snprintf(r->error, sizeof(r->error),
				 "%s: not a block file (the first 8 bytes are not \"WESBLK1\\n\")", name);
		return false;
	}
	r->offset = sizeof(magic);
	return true;
}

/*
 * Room in r->buf for a record of len bytes.  In a regular file, a length the rest of the
 * file cannot hold is reported as a truncated record before anything of that size is
 * allocated (a damaged length may claim up to max_block).
 */
static bool
reserve(bf_reader *r, uint32_t len)
{
	uint8_t    *nb;
	uint64_t	size = bf_size(r);
	uint64_t	present = size > r->offset + 4 ? size - (r->offset + 4) : 0;

	if (size > 0 && len > present)
	{
		snprintf(r->error, sizeof(r->error),
				 "%s: record %llu at byte offset %llu is truncated: length %u, %llu bytes present",
				 r->name, (unsigned long long) r->index, (unsigned long long) r->offset, len,
				 (unsigned long long) present);
		return false;
	}
	nb = realloc(r->buf, len);
	if (nb == NULL)
	{
		snprintf(r->error, sizeof(r->error), "out of memory for a block of %u bytes", len);
		return false;
	}
	r->buf = nb;
	r->cap = len;
	return true;
}

/*
 * The height of the record just read: one above the previous record's, as the
 * format requires, compared as the u64 it is (no height follows 2^64 - 1)
 */
static bool
next_height(bf_reader *r)
{
	uint64_t	h = wes_get_u64(r->buf + WES_OFF_HEIGHT);

	if (r->index > 0 && (r->height == UINT64_MAX || h != r->height + 1))
	{
		snprintf(r->error, sizeof(r->error),
				 "%s: record %llu at byte offset %llu has height %llu, expected %llu",
				 r->name, (unsigned long long) r->index, (unsigned long long) r->offset,
				 (unsigned long long) h, (unsigned long long) r->height + 1);
		return false;
	}
	r->height = h;
	return true;
}

/* Read the next record: a u32le length, then that many bytes, bounded by max_block */
bf_result
bf_next(bf_reader *r)
{
	uint8_t		lenbuf[4];
	size_t		got;
	uint32_t	len;

	if (r->ended)
		return BF_END;
	got = read_full(r->f, lenbuf, 4);
	if (got != 4)
	{
		snprintf(r->error, sizeof(r->error),
				 "%s: truncated at byte offset %llu (record %llu): %s", r->name,
				 (unsigned long long) (r->offset + got), (unsigned long long) r->index,
				 ferror(r->f) ? strerror(errno) : "no end marker");
		return BF_ERROR;
	}
	len = wes_get_u32(lenbuf);
	if (len == 0)
	{
		r->ended = true;
		r->offset += 4;
		if (fgetc(r->f) != EOF)
		{
			snprintf(r->error, sizeof(r->error), "%s: bytes after the end marker at byte offset %llu",
					 r->name, (unsigned long long) r->offset);
			return BF_ERROR;
		}
		return BF_END;
	}
	if (len < WES_BLOCKFILE_MIN_BLOCK || len > r->max_block)
	{
		snprintf(r->error, sizeof(r->error),
				 "%s: record %llu at byte offset %llu has length %u, outside %u..%u",
				 r->name, (unsigned long long) r->index, (unsigned long long) r->offset,
				 len, WES_BLOCKFILE_MIN_BLOCK, r->max_block);
		return BF_ERROR;
	}
	if (len > r->cap && !reserve(r, len))
		return BF_ERROR;
	got = read_full(r->f, r->buf, len);
	if (got != len)
	{
		snprintf(r->error, sizeof(r->error),
				 "%s: record %llu at byte offset %llu is truncated: length %u, %zu bytes present",
				 r->name, (unsigned long long) r->index, (unsigned long long) r->offset, len, got);
		return BF_ERROR;
	}
	if (!next_height(r))
		return BF_ERROR;
	r->len = len;
	r->offset += 4 + (uint64_t) len;
	r->index++;
	return BF_BLOCK;
}

/* Total size of the file when it is a regular file, else 0 (for progress estimates) */
uint64_t
bf_size(const bf_reader *r)
{
	struct stat st;

	if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t) st.st_size;
}

void
bf_close(bf_reader *r)
{
	if (r->f != NULL && r->f != stdin)
		fclose(r->f);
	free(r->buf);
	r->f = NULL;
	r->buf = NULL;
}

/* Create name ("-" is stdout) and write the magic */
bool
bf_create(bf_writer *w, const char *name)
{
	w->name = name;
	w->bytes = 0;
	w->f = strcmp(name, "-") == 0 ? stdout : fopen(name, "wb");
	if (w->f == NULL)
		return false;
	if (fwrite(WES_BLOCKFILE_MAGIC, 1, WES_BLOCKFILE_MAGIC_LEN, w->f) != WES_BLOCKFILE_MAGIC_LEN)
		return false;
	w->bytes = WES_BLOCKFILE_MAGIC_LEN;
	return true;
}

/* Append one block given as consecutive parts */
bool
bf_write_parts(bf_writer *w, const void *const *parts, const size_t *lens, int n)
{
	uint8_t		lenbuf[4];
	uint64_t	total = 0;

	for (int i = 0; i < n; i++)
		total += lens[i];
	if (total < WES_BLOCKFILE_MIN_BLOCK || total > WES_BLOCKFILE_MAX_BLOCK)
		return false;
	wes_put_u32(lenbuf, (uint32_t) total);
	if (fwrite(lenbuf, 1, 4, w->f) != 4)
		return false;
	for (int i = 0; i < n; i++)
		if (lens[i] > 0 && fwrite(parts[i], 1, lens[i], w->f) != lens[i])
			return false;
	w->bytes += 4 + total;
	return true;
}

/* Write the end marker and close */
bool
bf_finish(bf_writer *w)
{
	static const uint8_t zero[4] = {0, 0, 0, 0};
	bool		ok = fwrite(zero, 1, 4, w->f) == 4;

	w->bytes += 4;
	ok = (fflush(w->f) == 0) && ok && !ferror(w->f);
	if (w->f != stdout)
		ok = (fclose(w->f) == 0) && ok;
	w->f = NULL;
	return ok;
}
