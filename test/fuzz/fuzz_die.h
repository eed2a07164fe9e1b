/*
 * fuzz_die.h
 *	  What the fuzz targets share: stopping the run on a broken invariant, so that
 *	  libFuzzer saves the input that got there.
 */
#ifndef FUZZ_DIE_H
#define FUZZ_DIE_H

#include <stdio.h>
#include <stdlib.h>

#include "wes_codec.h"

/* Report what broke (and the codec's error, when there is one) and abort */
static inline void
die(const char *what, const wes_error *err)
{
	fprintf(stderr, "invariant broken: %s (%s at %zu: %s)\n", what,
			err ? err->field : "", err ? err->offset : 0, err ? err->message : "");
	abort();
}

#endif							/* FUZZ_DIE_H */
