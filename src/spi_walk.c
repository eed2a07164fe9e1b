/*
 * spi_walk.c
 *	  The walk over a cursor that reads a whole table or range: fetch a batch,
 *	  call back for each row in a memory context of its own that is reset after
 *	  the row (so memory does not grow with the table), free the batch, let the
 *	  user cancel between batches.  The caller opened the cursor and closes it.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "spi_walk.h"

/* Call fn for every row the cursor still holds, batch rows at a time; returns how many */
uint64
wes_spi_walk(Portal portal, long batch, WesRowFn fn, void *arg)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "wes cursor row",
												 ALLOCSET_DEFAULT_SIZES);
	uint64		total = 0;

	for (;;)
	{
		SPITupleTable *rows;
		uint64		n;

		SPI_cursor_fetch(portal, true, batch);
		rows = SPI_tuptable;
		n = SPI_processed;
		if (n == 0)
			break;
		for (uint64 i = 0; i < n; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);

			fn(rows->vals[i], rows->tupdesc, arg);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		total += n;
		SPI_freetuptable(rows);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(rowcxt);
	return total;
}
