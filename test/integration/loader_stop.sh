#!/usr/bin/env bash
# TAP: stopping wes-load, and starting it again.  A session holding the chain-state
# row lock makes wes-load's calls wait, so that they are in flight when it is stopped.
# - SIGTERM with calls in flight: wes-load sends nothing more, waits for the calls it
#   sent and exits 3 with the tip at the last height it sent; run again, it resumes and
#   ends on the generator's tip and state root.
# - SIGTERM while it waits on a stalled pipe: it exits 3 at once; the blocks it had
#   read but not sent are not written.
# - SIGKILL with calls in flight: the backend left behind still commits them; a new
#   wes-load waits for that backend before it reads the tip, then ends on the
#   generator's tip (without the wait it would send heights already written: WE001).
# Cluster on WES_TEST_PORT+7.
set -uo pipefail

source "$(dirname "$0")/lib/common.sh"
cd "$INTEG_ROOT" || exit 1
PORT=$((WES_TEST_PORT + 7))
integ_workdir
W=$INTEG_WORK

plan 15

# a chain of 50 blocks of 100 transactions: wes-load sends calls of 16, 32 blocks in flight
"$WES_GEN" -q -t 5000 -b 100 -i 2 -u 2 -s loader-stop -o "$W/chain.blk" --tip-out "$W/chain.tip" ||
	bail "wes-gen failed"
integ_cluster DIR loaderstop "$PORT" 2>/dev/null || bail "cluster did not start"

new_db() { q "$PORT" postgres "CREATE DATABASE $1" && q "$PORT" "$1" "CREATE EXTENSION wes_persist"; }
tip_of() { q "$PORT" "$1" "SELECT coalesce(height, -1) FROM wes.chain_state"; }
want_tip="$(tip_field "$W/chain.tip" height) $(tip_field "$W/chain.tip" state_root)"
got_tip() { q "$PORT" "$1" "SELECT height || ' ' || state_root FROM wes.chain_state"; }

# A session that holds the chain-state row lock until it is cancelled
LOCKER=""
lock_tip() {
	PGAPPNAME=locker psql -X -q -h /tmp -p "$PORT" -U postgres -d "$1" -c "BEGIN" \
		-c "SELECT 1 FROM wes.chain_state FOR UPDATE" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
	LOCKER=$!
	wait_sql "$PORT" "$1" 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'locker' AND query LIKE '%pg_sleep%'"
}
unlock_tip() {
	q "$PORT" "$1" "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
	wait "$LOCKER" 2>/dev/null
}
loader_waits() {
	wait_sql "$PORT" "$1" 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'wes-load' AND wait_event_type = 'Lock'"
}

# ---- SIGTERM with two calls in flight ----
new_db stop1 >/dev/null || bail "CREATE EXTENSION failed"
lock_tip stop1 || bail "the locking session did not start"
"$WES_LOAD" -q -d "$(conninfo "$PORT" stop1)" "$W/chain.blk" 2>"$W/stop1.err" &
LOADER=$!
loader_waits stop1
ok $? "wes-load's first call waits on the chain-state row lock"
kill -TERM "$LOADER"
sleep 1
kill -0 "$LOADER" 2>/dev/null
ok $? "after SIGTERM, wes-load keeps waiting for the calls it sent"
unlock_tip stop1
wait "$LOADER"
is "$?" 3 "then it exits with status 3"
is "$(tip_of stop1) $(q "$PORT" stop1 'SELECT count(*) FROM wes.blocks')" "31 32" \
	"the two calls it had sent (heights 0..31) are committed, nothing after them"
grep -q 'stopped by signal 15 with the tip at height 31; run it again to resume' "$W/stop1.err"
ok $? "it says which signal stopped it and the tip it left" || sed 's/^/# /' "$W/stop1.err"
"$WES_LOAD" -q -d "$(conninfo "$PORT" stop1)" "$W/chain.blk"
ok $? "run again, wes-load resumes after height 31"
is "$(got_tip stop1)" "$want_tip" "and ends on the generator's tip and state root"

# ---- SIGTERM while wes-load waits for more of a pipe ----
new_db stop2 >/dev/null || bail "CREATE EXTENSION failed"
mkfifo "$W/pipe"
# the first 40 records: two calls of 16 go out, 8 blocks wait in the open call
end40=$(bf_offsets "$W/chain.blk" | sed -n '40p' | awk '{ print $1 + $2 }')
{ head -c "$end40" "$W/chain.blk"; exec sleep 60; } >"$W/pipe" 2>/dev/null &
FEEDER=$!
"$WES_LOAD" -q -d "$(conninfo "$PORT" stop2)" - <"$W/pipe" 2>"$W/stop2.err" &
LOADER=$!
wait_sql "$PORT" stop2 30 "SELECT height = 31 FROM wes.chain_state"
ok $? "wes-load fed 40 blocks through a pipe commits heights 0..31" || diag "tip $(tip_of stop2)" "$(cat "$W/stop2.err")"
sleep 1
kill -TERM "$LOADER"
t0=$(date +%s)
wait "$LOADER"
rc=$?
is "$rc $(( $(date +%s) - t0 < 10 ))" "3 1" "SIGTERM while it reads the stalled pipe: it exits 3 at once"
is "$(tip_of stop2)" 31 "the 8 blocks it had read but not sent are not written"
kill "$FEEDER" 2>/dev/null
wait "$FEEDER" 2>/dev/null

# ---- SIGKILL with calls in flight, then a new wes-load ----
new_db stop3 >/dev/null && q "$PORT" stop3 "CREATE EXTENSION amcheck" || bail "CREATE EXTENSION failed"
lock_tip stop3 || bail "the locking session did not start"
"$WES_LOAD" -q -d "$(conninfo "$PORT" stop3)" "$W/chain.blk" 2>/dev/null &
LOADER=$!
loader_waits stop3
ok $? "a wes-load's first call waits on the chain-state row lock"
kill -KILL "$LOADER"
wait "$LOADER" 2>/dev/null
"$WES_LOAD" -q -d "$(conninfo "$PORT" stop3)" "$W/chain.blk" 2>"$W/stop3.err" &
LOADER=$!
sleep 2
grep -q 'waiting for another wes-load session still writing to this database' "$W/stop3.err" && kill -0 "$LOADER" 2>/dev/null
ok $? "after SIGKILL of that wes-load, a new one waits for the backend it left" || sed 's/^/# /' "$W/stop3.err"
unlock_tip stop3
wait "$LOADER"
ok $? "once that backend ends, the new wes-load resumes after the tip it left and exits 0" || sed 's/^/# /' "$W/stop3.err"
is "$(got_tip stop3)" "$want_tip" "and ends on the generator's tip and state root"
is "$(q "$PORT" stop3 "SELECT string_agg(check_name || ' ' || detail, '; ') FROM wes_verify()")" "" "wes_verify() finds nothing"

exit $((T_FAILED > 0))
