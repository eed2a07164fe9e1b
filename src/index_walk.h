/*
 * index_walk.h
 *	  Delete the rows of many wes_hash keys at once through their B-tree
 *	  (index_walk.c).
 */
#ifndef INDEX_WALK_H
#define INDEX_WALK_H

#include "postgres.h"

#include "utils/relcache.h"

#include "wes_types.h"

/* Delete the rows whose key (index's first column) is one of keys[0..n-1], sorted; returns how many */
extern uint64 wes_index_walk_delete(Relation heap, Relation index, const WesHash *keys, int n);

#endif							/* INDEX_WALK_H */
