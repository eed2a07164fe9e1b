/*
 * util.c
 *	  Codec start-up.
 */
#include <sodium.h>

#include "wes_codec.h"

/* libsodium must be initialised once per process before hashing */
int
wes_codec_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}
