/*
 * spi_walk.h
 *	  Every row of an open SPI cursor through a callback (spi_walk.c).
 */
#ifndef SPI_WALK_H
#define SPI_WALK_H

#include "postgres.h"

#include "executor/spi.h"

/* Called once per row, in a memory context reset after each row */
typedef void (*WesRowFn) (HeapTuple row, TupleDesc desc, void *arg);

extern uint64 wes_spi_walk(Portal portal, long batch, WesRowFn fn, void *arg);

#endif							/* SPI_WALK_H */
