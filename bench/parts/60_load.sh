#!/usr/bin/env bash
# Under load: wes_api readers (pgbench, WES_LOAD_CLIENTS clients, default 4) while
# wes-load ingests, against the same ingest with no readers.
#
# A chain of WES_LOAD_TXS transactions (default 3000000; 2 in / 2 out, 1000 per block) is
# kept in $WES_BENCH_WORK/load-<txs>.wes.  Its first WES_LOAD_BASE transactions (default
# 50000) are loaded into a fresh database wes_load so that readers find data.  Then,
# WES_LOAD_REPS times (default 2), two windows of WES_LOAD_SECONDS (default 15) each:
# wes-load alone, then wes-load with the readers; wes-load is stopped at the end of each
# window and restarted for the next (it resumes after the tip).  Ingest tx/s of a window
# is the transactions wes-load reported committed in it, over its length.  Should the
# loader reach the end of the chain inside a window, that window's rate is not a rate:
# the part fails and says to raise WES_LOAD_TXS (at 30k tx/s alone, the four windows
# take up to 1.8M transactions).
#
# Readers run as wes_reader (pgbench -M prepared, scripts of equal weight): the tip;
# a UTXO lookup; an address's balance; an address's UTXOs; a block by height (with its
# transactions).  Any error fails the part.
set -euo pipefail
cd "$WES_ROOT"
source bench/lib.sh
source scripts/lib.sh >/dev/null
cluster_env "$WES_BENCH_PORT"

TXS=${WES_LOAD_TXS:-3000000}
BASE=${WES_LOAD_BASE:-50000}
SECS=${WES_LOAD_SECONDS:-15}
REPS=${WES_LOAD_REPS:-2}
CLIENTS=${WES_LOAD_CLIENTS:-4}
WORK=$WES_BENCH_WORK
DB=wes_load

mean() { awk '{ s += $1 } END { printf "%.0f", s / NR }'; }

S=$(mktemp -d)
chmod 755 "$S"
LOADER=""
READERS=""
cleanup() {
	[ -n "$READERS" ] && kill "$READERS" 2>/dev/null
	[ -n "$LOADER" ] && kill "$LOADER" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$S"
}
trap cleanup EXIT

# ---- the chain: a base part and the rest ----
chain="$WORK/load-$TXS.wes"
if [ ! -s "$chain" ] || [ ! -s "$WORK/load-$TXS.base.wes" ]; then
	tools/wes-gen -q -b 1000 -i 2 -u 2 -t "$BASE" -s bench-load -o "$WORK/load-$TXS.base.wes.part" \
		--state-out "$WORK/load-$TXS.base.state"
	tools/wes-gen -q -b 1000 -i 2 -u 2 -t "$((TXS - BASE))" -s bench-load-rest \
		--state-in "$WORK/load-$TXS.base.state" -o "$chain.part"
	mv "$WORK/load-$TXS.base.wes.part" "$WORK/load-$TXS.base.wes"
	mv "$chain.part" "$chain"
fi
fresh_db "$DB"
tools/wes-load -q -d "dbname=$DB" "$WORK/load-$TXS.base.wes"

# ---- what readers look up: samples of outpoints and owners, readable by wes_reader ----
sql -d "$DB" <<'SQL'
CREATE TABLE reader_ops AS
	SELECT (row_number() OVER ())::integer AS id, outpoint AS op
	FROM (SELECT outpoint FROM wes.outputs ORDER BY random() LIMIT 20000) s;
ALTER TABLE reader_ops ADD PRIMARY KEY (id);
CREATE TABLE reader_addrs AS
	SELECT (row_number() OVER ())::integer AS id, owner
	FROM (SELECT DISTINCT owner FROM wes.outputs) s;
ALTER TABLE reader_addrs ADD PRIMARY KEY (id);
GRANT SELECT ON reader_ops, reader_addrs TO wes_reader;
ANALYZE reader_ops;
ANALYZE reader_addrs;
SQL
NOPS=$(sql -d "$DB" -c "SELECT count(*) FROM reader_ops")
NADDR=$(sql -d "$DB" -c "SELECT count(*) FROM reader_addrs")
MAXH=$(sql -d "$DB" -c "SELECT height FROM wes.chain_state")

cat >"$S/tip.sql" <<'EOS'
SELECT * FROM wes_api.chain_tip();
EOS
cat >"$S/utxo.sql" <<'EOS'
\set id random(1, :nops)
SELECT l.* FROM reader_ops o, wes_api.utxo_lookup(o.op) l WHERE o.id = :id;
EOS
cat >"$S/balance.sql" <<'EOS'
\set a random(1, :naddr)
SELECT wes_api.address_balance(a.owner) FROM reader_addrs a WHERE a.id = :a;
EOS
cat >"$S/addr_utxos.sql" <<'EOS'
\set a random(1, :naddr)
SELECT u.outpoint, u.amount FROM reader_addrs a, wes_api.address_utxos(a.owner) u WHERE a.id = :a;
EOS
cat >"$S/block.sql" <<'EOS'
\set h random(0, :maxh)
SELECT wes_api.block(:h);
EOS

# Start wes-load in the background; its progress lines get a timestamp each
start_loader() {
	(tools/wes-load -d "dbname=$DB" --interval 1 "$chain" 2>&1 |
		while IFS= read -r line; do echo "$(now) $line"; done) >"$1" 2>&1 &
	LOADER=$!
}

# Transactions committed between T0 and T1 over T1 - T0, from a timestamped loader log
window_rate() {
	awk -v t0="$2" -v t1="$3" '
		/ txs, / && $1 <= t1 { for (i = 2; i <= NF; i++) if ($(i + 1) == "txs,") { last = $i; lt = $1 } }
		END { if (lt > t0) printf "%.0f", last / (lt - t0); else print 0 }' "$1"
}

# One window of SECS seconds: wes-load, with readers when $1 = readers; prints tx/s
window() {
	local mode=$1 log=$S/load-$2-$1.log t0 t1 rc=0
	start_loader "$log"
	t0=$(now)
	if [ "$mode" = readers ]; then
		PGOPTIONS="-c role=wes_reader" "$PGBENCH" -n -M prepared -c "$CLIENTS" -j 2 -T "$SECS" \
			-D nops="$NOPS" -D naddr="$NADDR" -D maxh="$MAXH" \
			-f "$S/tip.sql" -f "$S/utxo.sql" -f "$S/balance.sql" -f "$S/addr_utxos.sql" -f "$S/block.sql" \
			"$DB" >"$S/readers-$2.out" 2>&1 || rc=$?
		echo "$rc" >"$S/readers-$2.rc"
	else
		sleep "$SECS"
	fi
	t1=$(now)
	# TERM, not INT: a background job of a non-interactive shell starts with SIGINT
	# ignored, which under make left wes-load running to the end of the chain
	# wes-load waits for the calls it has sent, so the next window starts on a final tip
	kill -TERM $(pgrep -P "$LOADER" -x wes-load) 2>/dev/null || true
	wait "$LOADER" 2>/dev/null || true
	LOADER=""
	if grep -qE 'rejected|cannot|lost the connection' "$log"; then
		sed 's/^[0-9.]* /  wes-load: /' "$log" | grep -v ' txs, ' | tail -n 5 >&2
		touch "$S/loader-failed"
	fi
	window_rate "$log" "$t0" "$t1"
}

: >"$S/alone"; : >"$S/loaded"; : >"$S/readers"
errors=0
for rep in $(seq "$REPS"); do
	window alone "$rep" >>"$S/alone"; echo >>"$S/alone"
	window readers "$rep" >>"$S/loaded"; echo >>"$S/loaded"
	out="$S/readers-$rep.out"
	sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" >>"$S/readers"
	e=$(( $(cat "$S/readers-$rep.rc") != 0 ))
	e=$((e + $(grep -ciE 'error|aborted' "$out" || true)))
	f=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
	errors=$((errors + e + ${f:-0}))
	[ "$e" -eq 0 ] || sed 's/^/  readers: /' "$out" | head -n 20
done
alone=$(grep . "$S/alone" | mean)
loaded=$(grep . "$S/loaded" | mean)
readers=$(mean <"$S/readers")
echo "ingest alone: $alone tx/s; with $CLIENTS wes_api readers: $loaded tx/s; ratio $(awk -v a="$loaded" -v b="$alone" 'BEGIN { printf "%.2f", a / b }') (windows of $SECS s, mean of $REPS)"
echo "readers during ingest: $readers tps (tip, utxo lookup, address balance, address utxos, block by height; pgbench -M prepared -c $CLIENTS)"
# per-script figures of the last window: name, tps, average latency
awk '/^SQL script [0-9]+:/ { n = $NF; sub(/.*\//, "", n); sub(/\.sql$/, "", n) }
	/ transactions \(/ && n != "" { match($0, /tps = [0-9.]+/); t = substr($0, RSTART + 6, RLENGTH - 6) }
	/^ - latency average/ && n != "" { printf "  reader %s: %s tps, %s %s average\n", n, t, $(NF - 1), $NF; n = "" }' \
	"$S/readers-$REPS.out"
echo "reader errors: $errors (target 0)"
tip=$(sql -d "$DB" -c "SELECT height FROM wes.chain_state")
echo "tip after the windows: $tip (blocks of 1000 transactions)"
sql -d postgres -c "DROP DATABASE $DB"
[ "$tip" -lt $((TXS / 1000 - 1)) ] ||
	{ echo "wes-load reached the end of the chain inside a window, so the rates above are not rates; raise WES_LOAD_TXS" >&2; exit 1; }
[ ! -e "$S/loader-failed" ] || { echo "wes-load failed in a window (above): the rates are not rates" >&2; exit 1; }
[ "$errors" -eq 0 ]
