/*
 * writer_roots.c
 *	  The roots a header commits to: tx_root and receipt_root (rule 3, RFC 6962
 *	  Merkle over the txids and receipt hashes) and state_root (rule 6, the
 *	  LtHash of the UTXO set after the block).  A mismatch is WE003 naming the
 *	  root, the value the contents give and the value the header gives.
 */
#include "postgres.h"

#include "writer.h"

/* Report a root that does not match */
static pg_attribute_noreturn() void
report_root(const WesBlockWork *w, const char *root, const uint8 *expected, const uint8 *given)
{
	ereport(ERROR,
			(errcode(ERRCODE_WES_ROOT_MISMATCH),
			 errmsg("%s of block %llu does not match its contents", root,
					(unsigned long long) w->block.header.height),
			 errdetail("Expected %s, given %s.",
					   wes_hex_encode(expected, WES_HASH_LEN),
					   wes_hex_encode(given, WES_HASH_LEN))));
}

/* Rule 3: tx_root, then receipt_root, against the roots the contents give (decode_block) */
void
wes_writer_check_merkle_roots(const WesBlockWork *w)
{
	const wes_header *h = &w->block.header;

	if (memcmp(w->tx_root, h->tx_root, WES_HASH_LEN) != 0)
		report_root(w, "tx_root", w->tx_root, h->tx_root);
	if (memcmp(w->receipt_root, h->receipt_root, WES_HASH_LEN) != 0)
		report_root(w, "receipt_root", w->receipt_root, h->receipt_root);
}

/*
 * Rule 6: the accumulator after the block commits to header.state_root.
 * Checked once the block's rows are in, so the primary keys have checked
 * rule 4 against the chain by then.
 */
void
wes_writer_check_state_root(const WesBlockWork *w)
{
	uint8		root[WES_HASH_LEN];

	wes_lthash_root(&w->acc, root);
	if (memcmp(root, w->block.header.state_root, WES_HASH_LEN) != 0)
		report_root(w, "state_root", root, w->block.header.state_root);
}
