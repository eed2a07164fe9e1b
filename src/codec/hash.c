/*
 * hash.c
 *	  H (BLAKE2b-256) and SHA-256 through libsodium, and the hashes of a
 *	  decoded block: block hash, txids, receipt hashes.
 */
#include <sodium.h>

#include "wes_codec.h"

/* H(x): BLAKE2b with a 32-byte digest, no key */
void
wes_hash(const uint8_t *data, size_t len, uint8_t out[WES_HASH_LEN])
{
	crypto_generichash(out, WES_HASH_LEN, data, len, NULL, 0);
}

/* SHA-256, for resource content */
void
wes_sha256(const uint8_t *data, size_t len, uint8_t out[WES_HASH_LEN])
{
	crypto_hash_sha256(out, data, len);
}

/* Block hash over the header, txid of every transaction, hash of every receipt */
void
wes_block_hash_all(wes_block *b)
{
	wes_hash(b->raw, WES_HEADER_LEN, b->hash);
	for (uint32_t i = 0; i < b->n_tx; i++)
	{
		wes_hash(b->txs[i].raw.ptr, b->txs[i].raw.len, b->txs[i].txid);
		wes_hash(b->receipts[i].raw.ptr, b->receipts[i].raw.len, b->receipts[i].hash);
	}
}
