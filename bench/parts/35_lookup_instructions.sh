#!/usr/bin/env bash
# Single lookups counted in instructions: what one lookup costs the server, from
# callgrind, the same on every run where part 30's latencies move with the machine.
#
# A cluster of its own (port WES_BENCH_PORT + 1, autovacuum off, so no backend but the
# measured ones runs) holds the chain of part 30 ($WES_BENCH_WORK/chain-<WES_LOOKUP_TXS>.wes,
# default 100000 transactions) and the floors of bench/lib.sh's lookup_tables.  Its
# server then runs under valgrind --tool=callgrind, and each script of lookup_scripts
# (wes, plain, plain_full, wes_raw) runs in two backends of its own, pgbench -M prepared
# -c 1, of FEW and 3 x FEW lookups (WES_LOOKUP_CALLS, default 1000): the difference of
# the two backends' counts over 2 x FEW is one lookup, without the backend's start,
# the loading of libraries and the first plans.  Counted: the server's own instructions,
# not the client's nor the kernel's (the socket, the waits), so a ratio here is one of
# CPU work on the server, not of latency.  Skipped when valgrind is missing.
set -euo pipefail
cd "$WES_ROOT"
source bench/lib.sh
source scripts/lib.sh >/dev/null

command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed"; exit 0; }
TXS=${WES_LOOKUP_TXS:-100000}
FEW=${WES_LOOKUP_CALLS:-1000}
PORT=$((WES_BENCH_PORT + 1))
DIR=$(cluster_dir bench-callgrind)
CG=$WES_BENCH_WORK/callgrind
SCRIPTS=(wes plain plain_full wes_raw)

# ---- the cluster, started plainly to load the chain and build the floors ----
gen_file "$WES_BENCH_WORK/chain-$TXS.wes" -t "$TXS" -s bench --tip-out "$WES_BENCH_WORK/chain-$TXS.tip"
cluster_fresh "$DIR" "$PORT" "shared_buffers = 256MB" "autovacuum = off" >/dev/null
trap 'cluster_stop "$DIR"; rm -rf "$DIR"' EXIT
fresh_db wes_lookup
tools/wes-load -q -d "dbname=wes_lookup" "$WES_BENCH_WORK/chain-$TXS.wes"
lookup_tables wes_lookup 10000
N=$(sql -d wes_lookup -c "SELECT count(*) FROM lookup_ops")
rm -rf "$CG" && mkdir -p "$CG/scripts"
[ "$(id -u)" -eq 0 ] && chown postgres "$CG"
lookup_scripts "$CG/scripts"
cluster_stop "$DIR"

# ---- the same cluster under callgrind ----
as_pg bash -c "exec valgrind -q --tool=callgrind --callgrind-out-file='$CG/cg.%p' \
	'$PGBIN/postgres' -D '$DIR' >'$CG/server.log' 2>&1" &
for _ in $(seq 600); do
	"$PGBIN/pg_isready" -q -d wes_lookup && break
	sleep 0.5
done
"$PGBIN/pg_isready" -q -d wes_lookup || { tail "$CG/server.log" >&2; exit 1; }

# instructions NAME CALLS: the instruction count of one backend running CALLS lookups
# of script NAME: the profile it writes when it exits, the new one that ran a portal
# (PortalRun; pg_isready's backend and the postmaster's helpers ran none)
instructions() {
	local name=$1 calls=$2 before f
	before=$(ls "$CG")
	"$PGBENCH" -n -M prepared -c 1 -t "$calls" -D n="$N" -f "$CG/scripts/$name.sql" wes_lookup >"$CG/pgbench.out" 2>&1 ||
		{ cat "$CG/pgbench.out" >&2; return 1; }
	for _ in $(seq 100); do
		for f in $(comm -13 <(echo "$before") <(ls "$CG") | grep '^cg\.'); do
			if grep -q '^c\?fn=.*PortalRun$' "$CG/$f" && grep -q '^summary:' "$CG/$f"; then
				sed -n 's/^summary: //p' "$CG/$f"
				rm -f "$CG/$f"
				return 0
			fi
		done
		sleep 0.2
	done
	echo "no profile of the backend of $name" >&2
	return 1
}

declare -A per
for name in "${SCRIPTS[@]}"; do
	a=$(instructions "$name" "$FEW")
	b=$(instructions "$name" $((3 * FEW)))
	per[$name]=$(((b - a) / (2 * FEW)))
done
cluster_stop "$DIR"
kilo() { awk -v n="$1" 'BEGIN { printf "%.1fk", n / 1000 }'; }
echo "instructions a single lookup (callgrind, the server's own, $((2 * FEW)) lookups): wes_utxo_lookup(op) $(kilo "${per[wes]}"); plain bytea primary key (wes.outputs' columns) $(kilo "${per[plain]}"), ratio $(ratio "${per[plain]}" "${per[wes]}"); a plain table holding the same answer $(kilo "${per[plain_full]}"), ratio $(ratio "${per[plain_full]}" "${per[wes]}"); wes.outputs by its key, its own ten columns $(kilo "${per[wes_raw]}"), ratio to plain $(ratio "${per[plain]}" "${per[wes_raw]}")"
