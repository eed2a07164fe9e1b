/*
 * chain_check.h
 *	  An offline check of a chain of blocks against every rule of
 *	  wire-format.md: decoding, heights and prev hashes, roots, unique txids,
 *	  inputs that name unspent outputs, the LtHash state root.  It keeps the
 *	  UTXO set and every txid in memory, so it suits test and benchmark files,
 *	  not whole production chains.
 */
#ifndef WES_CHAIN_CHECK_H
#define WES_CHAIN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "blockfile.h"

typedef struct chain_check chain_check;

/* A checker whose chain is empty: the first block must be genesis */
extern chain_check *cc_new(void);
/* Check and apply the next block; false with err set at the first broken rule */
extern bool cc_block(chain_check *c, const uint8_t *block, size_t len, char *err, size_t errlen);
/* Print height, hash, state_root, utxo_count, blocks, txs as name=value lines */
extern void cc_report(const chain_check *c, FILE *f, double seconds);
extern void cc_free(chain_check *c);
/* wes-load --check: every record of r; 0 when all pass, else 1 with the first problem on stderr */
extern int	cc_check_file(bf_reader *r, bool quiet);

#endif							/* WES_CHAIN_CHECK_H */
