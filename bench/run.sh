#!/usr/bin/env bash
# `make bench`: the benchmarks (not part of `make test`).  Sets up, builds, installs,
# starts a throwaway cluster on WES_BENCH_PORT (default 54331; shared_buffers
# WES_BENCH_SHARED_BUFFERS, default 4GB; more settings in WES_BENCH_SETTINGS), runs every
# bench/parts/NN_*.sh in order, and writes what they print to
# bench/results/<date>-<host>.txt.  WES_BENCH_ONLY="NN ..." picks parts by number.
#
# Each part is sourced-free: it runs as its own bash process with the cluster's
# libpq variables set, WES_BENCH_WORK (a scratch folder kept between parts, for
# generated chains) and WES_ROOT; it prints result lines "name: value [unit] (ratio ...)".
# Figures are ratios against PostgreSQL's own floor measured in the same run,
# because the machines these run on are shared and noisy.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
source scripts/lib.sh

export WES_ROOT=$ROOT
export WES_BENCH_PORT=${WES_BENCH_PORT:-54331}
export WES_BENCH_WORK=${WES_BENCH_WORK:-$(cluster_dir bench-work)}
ONLY=${WES_BENCH_ONLY:-}

bash scripts/setup.sh || exit 1
wes_build_install || { echo "build or install failed" >&2; exit 1; }
mkdir -p "$WES_BENCH_WORK" bench/results
[ "$(id -u)" -eq 0 ] && chown postgres "$WES_BENCH_WORK"

DIR=$(cluster_dir bench)
# Indexes keyed by hashes take random inserts: at 10M outputs they outgrow the
# test clusters' 512MB of shared buffers, so the bench gives its cluster the
# usual share of this machine's memory (WES_BENCH_SHARED_BUFFERS overrides).
# Durable, as a node runs: fsync on (the test clusters turn it off).  WAL at
# PostgreSQL's default level, replica (enough for hot standbys), where the test
# clusters write logical WAL for the logical-replication test: with wal_level =
# logical every spend mark's HOT update logs its whole new row instead of the bytes
# that changed (docs/storage.md).  WES_BENCH_WAL_LEVEL=logical measures a publisher.
# WAL buffers of 256MB and a WAL writer that wakes every 10ms, as docs/storage.md
# recommends for a node that ingests: the WAL is then written and flushed on the other
# core instead of by the writing backend when its buffers are full.
# WES_BENCH_SETTINGS="name = value; ..." adds settings of an operator's own, after these
# (so it may undo them); the results header names them.  The floor runs in the same
# cluster, so the ratios stay fair.
IFS=';' read -ra EXTRA_SETTINGS <<<"${WES_BENCH_SETTINGS:-}"
cluster_fresh "$DIR" "$WES_BENCH_PORT" "shared_buffers = ${WES_BENCH_SHARED_BUFFERS:-4GB}" "fsync = on" \
	"wal_level = ${WES_BENCH_WAL_LEVEL:-replica}" "wal_buffers = 256MB" "wal_writer_delay = 10ms" \
	"${EXTRA_SETTINGS[@]}" || exit 1
trap 'cluster_stop "$DIR"' EXIT

# Huge pages for the shared buffers, as docs/storage.md recommends for a node: at 10M
# outputs every index insert and input probe lands on a random page of them, and with
# 4kB pages each costs a TLB miss.  As root, the pages the cluster needs (PostgreSQL's
# shared_memory_size_in_huge_pages) are reserved on top of those reserved already and
# given back at exit; the cluster takes them (huge_pages = try, so a restart after a
# crash still starts).  WES_BENCH_HUGEPAGES=0, or not root: none reserved.
HUGE_BEFORE=
if [ "${WES_BENCH_HUGEPAGES:-1}" != 0 ] && [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
	cluster_stop "$DIR"
	need=$(as_pg "$PGBIN/postgres" -D "$DIR" -C shared_memory_size_in_huge_pages 2>/dev/null || echo 0)
	HUGE_BEFORE=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$need" -gt 0 ] 2>/dev/null; then
		echo $((HUGE_BEFORE + need)) >/proc/sys/vm/nr_hugepages
		trap 'cluster_stop "$DIR"; echo "$HUGE_BEFORE" >/proc/sys/vm/nr_hugepages' EXIT
	fi
	cluster_start "$DIR" "$WES_BENCH_PORT" || exit 1
fi
export WES_BENCH_CLUSTER=$DIR

OUT="bench/results/$(date -u +%Y-%m-%dT%H%M)-$(hostname -s).txt"
{
	echo "# wes_persist bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname -s)"
	echo "# $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(psql -X -At -d postgres -c 'SHOW server_version'), $(psql -X -At -d postgres -c "SELECT string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'max_wal_size', 'checkpoint_timeout', 'wal_compression', 'wal_level', 'wal_buffers', 'wal_writer_delay')")"
	echo "# huge pages: $(awk '/^HugePages_(Total|Free|Rsvd):/ { v[$1] = $2 } END { printf "%d of %d in use or reserved", v["HugePages_Total:"] - v["HugePages_Free:"] + v["HugePages_Rsvd:"], v["HugePages_Total:"] }' /proc/meminfo) (WES_BENCH_HUGEPAGES=0: none)"
	echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "# PGOPTIONS: ${PGOPTIONS:-none}; WES_BENCH_LOAD_OPTS: ${WES_BENCH_LOAD_OPTS:-none}; WES_BENCH_SETTINGS: ${WES_BENCH_SETTINGS:-none}"
} | tee "$OUT"

status=0
for part in bench/parts/[0-9][0-9]_*.sh; do
	[ -e "$part" ] || continue
	num=$(basename "$part" | cut -c1-2)
	[ -n "$ONLY" ] && [[ " $ONLY " != *" $num "* ]] && continue
	echo "## $(basename "$part" .sh)" | tee -a "$OUT"
	bash "$part" 2>&1 | tee -a "$OUT"
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "part $part failed" | tee -a "$OUT"; status=1; }
done
echo "results: $OUT"
exit $status
