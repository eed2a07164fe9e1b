# wes_persist: PGXS build.  `make test` runs every test layer; `make demo` starts a
# throwaway cluster with a sample chain; `make bench` runs the benchmarks.

EXTENSION    = wes_persist
EXTVERSION   = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big   = wes_persist

CODEC_SRCS   = $(sort $(wildcard src/codec/*.c))
PG_SRCS      = $(sort $(wildcard src/*.c))
OBJS         = $(PG_SRCS:.c=.o) $(CODEC_SRCS:.c=.o)

SHLIB_LINK   = -lsodium
# The library refuses a database whose extension is another version (src/writer_plans.c)
PG_CPPFLAGS  = -Isrc -Isrc/codec -DWES_EXTVERSION='"$(EXTVERSION)"'
PG_CFLAGS    = -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

# The install script is assembled from sql/NN_*.sql, in order.  Beside it: 0.1.0's install
# script as released, and one update script per release (docs/operations.md, "Upgrading")
SQL_PARTS    = $(sort $(wildcard sql/[0-9][0-9]_*.sql))
DATA_built   = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA         = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress: test/sql/*.sql against expected/*.out
REGRESS      = $(sort $(patsubst test/sql/%.sql,%,$(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

TOOLS        = $(patsubst tools/wes_%.c,tools/wes-%,$(wildcard tools/wes_*.c))
EXTRA_CLEAN  = $(TOOLS) test/unit/codec_test test/unit/codec_test_asan $(FUZZERS) results regression.diffs regression.out

PG_CONFIG   ?= pg_config
PGXS        := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
all: $(TOOLS)
else
all:
	@echo "PostgreSQL server headers are missing: run 'make test' or 'bash scripts/setup.sh' first" >&2; exit 1
endif

# PGXS tracks no header dependencies: rebuild every object when a header changes (a
# struct that changes under a stale object crashes the backend)
HEADERS      = $(wildcard src/*.h src/codec/*.h)
$(OBJS) $(OBJS:.o=.bc): $(HEADERS)
src/writer_plans.o src/writer_plans.bc: $(EXTENSION).control

$(DATA_built): $(SQL_PARTS) $(EXTENSION).control
	cat $(SQL_PARTS) > $@

# ---- standalone C: codec unit tests, tools (no PostgreSQL headers in the codec) ----

HOST_CC     ?= cc
HOST_CFLAGS  = -O2 -g -Wall -Wextra -Wno-unused-parameter -std=gnu11 -Isrc/codec
PQ_INCLUDE   = $(shell $(PG_CONFIG) --includedir 2>/dev/null)
PQ_LIBDIR    = $(shell $(PG_CONFIG) --libdir 2>/dev/null)
TOOL_COMMON  = $(wildcard tools/common/*.c)

UNIT_SRCS    = $(wildcard test/unit/codec_test*.c)

test/unit/codec_test: $(UNIT_SRCS) test/unit/codec_test.h $(CODEC_SRCS) src/codec/wes_codec.h
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(UNIT_SRCS) $(CODEC_SRCS) -lsodium -ljansson

test/unit/codec_test_asan: $(UNIT_SRCS) test/unit/codec_test.h $(CODEC_SRCS) src/codec/wes_codec.h
	$(HOST_CC) $(HOST_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=all -o $@ $(UNIT_SRCS) $(CODEC_SRCS) -lsodium -ljansson

tools/wes-gen: tools/wes_gen.c $(TOOL_COMMON) $(CODEC_SRCS) src/codec/wes_codec.h
	$(HOST_CC) $(HOST_CFLAGS) -Itools/common -o $@ tools/wes_gen.c $(TOOL_COMMON) $(CODEC_SRCS) -lsodium

tools/wes-load: tools/wes_load.c $(TOOL_COMMON) $(CODEC_SRCS) src/codec/wes_codec.h
	$(HOST_CC) $(HOST_CFLAGS) -Itools/common -I$(PQ_INCLUDE) -o $@ tools/wes_load.c $(TOOL_COMMON) $(CODEC_SRCS) \
		-L$(PQ_LIBDIR) -lpq -lsodium

tools/wes-snapshot: tools/wes_snapshot.c $(TOOL_COMMON) $(CODEC_SRCS) src/codec/wes_codec.h
	$(HOST_CC) $(HOST_CFLAGS) -Itools/common -I$(PQ_INCLUDE) -o $@ tools/wes_snapshot.c $(TOOL_COMMON) $(CODEC_SRCS) \
		-L$(PQ_LIBDIR) -lpq -lsodium

unit: test/unit/codec_test test/unit/codec_test_asan

# libFuzzer targets (clang): test/fuzz/NAME_fuzzer.c -> test/fuzz/NAME_fuzzer
FUZZ_CC     ?= clang
FUZZERS      = $(patsubst %.c,%,$(wildcard test/fuzz/*_fuzzer.c))

fuzz: $(FUZZERS)

test/fuzz/%_fuzzer: test/fuzz/%_fuzzer.c test/fuzz/fuzz_die.h $(CODEC_SRCS) src/codec/wes_codec.h
	$(FUZZ_CC) -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Isrc/codec -o $@ $< $(CODEC_SRCS) -lsodium

# ---- the commands of the README ----

.PHONY: test demo demo-stop bench setup unit fuzz
setup:
	@bash scripts/setup.sh

test:
	@bash test/run-all.sh

demo:
	@bash scripts/demo.sh

bench:
	@bash bench/run.sh

demo-stop:
	@bash scripts/demo.sh stop
