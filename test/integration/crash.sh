#!/usr/bin/env bash
# Crash safety: SIGKILL the postmaster in the middle of a wes-load run, restart, check.
#
# WES_CRASH_ROUNDS rounds (default 5), each on a fresh database of one cluster on
# WES_TEST_PORT+5: wes-load streams a generated chain; once wes-load reports a random
# height committed, the postmaster and its backends get SIGKILL at a random moment of
# the rest of the run, and wes-load must have been cut off by it (exit 1);
# after crash recovery the tip must be a block that was committed (at or above the
# height wes-load saw committed, no higher than the file's last block, with the file's header
# at that height), the chain state must agree with that block, wes_verify() (when
# installed) must find nothing, and wes-load restarted must skip exactly the blocks up
# to the tip and finish on the generator's tip and state root.
#
# The test clusters run with fsync = off.  That is still a valid crash test here: only
# the server's processes are killed, not the operating system, so every WAL record the
# server wrote before a commit returned is in the OS page cache and is read back by
# crash recovery; fsync matters only when the machine itself loses power or crashes.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PORT=$((WES_TEST_PORT + 5))
ROUNDS=${WES_CRASH_ROUNDS:-5}
BLOCKS=${WES_CRASH_BLOCKS:-100}
TXS_PER_BLOCK=${WES_CRASH_TXS_PER_BLOCK:-250}
DB=wes_crash

plan $((3 + 6 * ROUNDS))
integ_workdir
W=$INTEG_WORK
CHAIN=$W/chain.blk

"$WES_GEN" -q -n "$BLOCKS" -b "$TXS_PER_BLOCK" --resource-share 0.05 --state-share 0.05 \
	--reference-share 0.05 --inblock-share 0.1 -s crash -o "$CHAIN" --tip-out "$W/chain.tip"
ok $? "wes-gen writes a chain of $BLOCKS blocks of $TXS_PER_BLOCK transactions" || bail "wes-gen failed"
bf_offsets "$CHAIN" >"$CHAIN.idx"
LAST=$(tip_field "$W/chain.tip" height)
FINAL="$LAST|$(tip_field "$W/chain.tip" hash)|$(tip_field "$W/chain.tip" state_root)"

integ_cluster DIR crash "$PORT" &&
	q "$PORT" postgres "CREATE DATABASE ${DB}_template" && q "$PORT" "${DB}_template" "CREATE EXTENSION wes_persist"
ok $? "a cluster starts on port $PORT, with a template database holding the extension" || bail "cluster did not start"
if [ "$(q "$PORT" "${DB}_template" "SELECT count(*) FROM pg_proc WHERE proname = 'wes_verify'")" -gt 0 ]; then
	q "$PORT" "${DB}_template" "CREATE EXTENSION IF NOT EXISTS amcheck" || bail "amcheck (for wes_verify) is missing"
	HAVE_VERIFY=1
else
	HAVE_VERIFY=0
fi

# SIGKILL to the postmaster (its pid from postmaster.pid) and, in the same kill command, to
# every process it forked: SIGKILL of the postmaster alone lets a backend that is busy
# with a pipeline finish it (a backend looks for the postmaster's death only when it
# waits for input), and each child leads its own process group, so killing the
# postmaster's group reaches no backend.  Then wait until every child is gone: a new
# postmaster refuses to start while they still hold the shared memory.
kill_postmaster() {
	local pm kids i pid alive lock
	pm=$(head -n 1 "$DIR/postmaster.pid")
	kids=$(ps -o pid= --ppid "$pm")
	# shellcheck disable=SC2086
	kill -KILL "$pm" $kids
	for ((i = 0; i < 300; i++)); do
		alive=0
		for pid in $pm $kids; do
			case "$(ps -o stat= -p "$pid" 2>/dev/null)" in
				"" | Z*) ;;
				*) alive=1 ;;
			esac
		done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	[ $alive -eq 0 ] || return 1
	# A killed postmaster stays a zombie until init reaps it, and its lock files name
	# it: a new postmaster would take it for a running one.  It holds nothing any more.
	for ((i = 0; i < 20; i++)); do
		[ -z "$(ps -o stat= -p "$pm" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	for lock in "$DIR/postmaster.pid" "/tmp/.s.PGSQL.$PORT.lock"; do
		[ "$(head -n 1 "$lock" 2>/dev/null)" = "$pm" ] && rm -f "$lock"
	done
	return 0
}

# The last height wes-load reported as committed (its progress lines), -1 before any
committed_height() {
	local h
	h=$(tail -n 2 "$1" 2>/dev/null | sed -n 's/.*, height \(-\{0,1\}[0-9]*\), ETA.*/\1/p' | tail -n 1)
	echo "${h:--1}"
}

# How long a whole load of the chain takes here: the kills below wait a random part of it
q "$PORT" postgres "CREATE DATABASE $DB TEMPLATE ${DB}_template" || bail "cannot create the database"
t0=$(date +%s%N)
"$WES_LOAD" -d "$(conninfo "$PORT" $DB)" --interval 60 "$CHAIN" >"$W/load0.log" 2>&1
rc=$?
LOAD_MS=$((($(date +%s%N) - t0) / 1000000))
is "$rc:$(q "$PORT" $DB "SELECT height FROM wes.chain_state")" "0:$LAST" \
	"wes-load loads the whole chain uninterrupted, in $LOAD_MS ms" || bail "wes-load failed: $(tail -n 1 "$W/load0.log")"

for ((round = 1; round <= ROUNDS; round++)); do
	q "$PORT" postgres "DROP DATABASE IF EXISTS $DB" "CREATE DATABASE $DB TEMPLATE ${DB}_template" ||
		bail "round $round: cannot create the database"

	# ---- load, and kill the postmaster once wes-load reports a random height committed ----
	# (--interval 0: a progress line, with the last committed height, after every result),
	# after a random delay of up to 30% of a whole load: the kill lands anywhere in the
	# calls that follow (sending, writing, committing), and the target, in the first
	# quarter of the chain, leaves more than half of the load to interrupt
	target=$((3 + RANDOM % (BLOCKS / 4)))
	# The log of the round before is removed first: the redirection below empties it only
	# once the background shell runs, and a poll before that would read the last round's
	# heights and kill the server before this round's wes-load has committed anything
	rm -f "$W/load1.log"
	"$WES_LOAD" -d "$(conninfo "$PORT" $DB)" --interval 0 "$CHAIN" >"$W/load1.log" 2>&1 &
	loader=$!
	seen=-1
	for ((i = 0; i < 6000; i++)); do
		seen=$(committed_height "$W/load1.log")
		[ "$seen" -ge "$target" ] && break
		kill -0 "$loader" 2>/dev/null || break
		sleep 0.01
	done
	delay=$((RANDOM % (LOAD_MS * 3 / 10 + 1)))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill_postmaster
	killed=$?
	wait "$loader"
	loader_rc=$?
	cluster_start "$DIR" "$PORT" >/dev/null 2>&1
	started=$?
	ok $((killed + started)) "round $round: SIGKILL of the postmaster and its backends $delay ms after wes-load saw height $seen committed (target $target, wes-load exit $loader_rc); crash recovery restarts it" ||
		{ diag "kill: $killed, start: $started"; tail -n 20 "$DIR/server.log" | sed 's/^/# /'; bail "round $round: the cluster does not restart"; }
	is "$loader_rc" 1 "round $round: the kill came in the middle of the run: wes-load loses its server and exits 1" ||
		{ diag "the kill came after wes-load had finished: the chain is too short for this machine (WES_CRASH_TXS_PER_BLOCK)"; tail -n 3 "$W/load1.log" | sed 's/^/# /'; }

	# ---- the tip is a committed block of the file ----
	tip=$(q "$PORT" "$DB" "SELECT coalesce(height, -1) FROM wes.chain_state")
	header=""
	[ "$tip" -ge 0 ] && header=$(q "$PORT" "$DB" "SELECT encode(header, 'hex') FROM wes.blocks WHERE height = $tip")
	file_header=""
	[ "$tip" -ge 0 ] && file_header=$(bf_hex "$CHAIN" "$tip" 156)
	{ [ "$tip" -ge "$seen" ] && [ "$tip" -le "$LAST" ] && [ -n "$header" ] && [ "$header" == "$file_header" ]; }
	ok $? "round $round: tip $tip is a committed block: >= $seen seen committed, <= $LAST, its header is the file's block at that height" ||
		diag "db header:   ${header:0:80}" "file header: ${file_header:0:80}"

	# ---- the state agrees with that block: heights 0..tip, hash, state root, UTXO count ----
	state=$(q "$PORT" "$DB" "SELECT (SELECT count(*) FROM wes.blocks) = $tip + 1
		AND (SELECT max(height) FROM wes.blocks) = $tip
		AND s.hash = b.hash AND s.state_root = b.state_root
		AND s.utxo_count = (SELECT count(*) FROM wes_api.utxos)
		AND (SELECT count(*) FROM wes.journal) = $tip + 1
		AND (SELECT count(*) FROM wes.transactions) = (SELECT sum(tx_count) FROM wes.blocks)
		FROM wes.chain_state s JOIN wes.blocks b ON b.height = s.height")
	is "$state" t "round $round: blocks 0..$tip, journal, transactions, tip hash, state root and UTXO count agree"

	if [ $HAVE_VERIFY -eq 1 ]; then
		findings=$(q "$PORT" "$DB" "SELECT count(*) FROM wes_verify()" 2>&1)
		is "$findings" 0 "round $round: wes_verify() finds nothing after crash recovery" ||
			q "$PORT" "$DB" "SELECT * FROM wes_verify() LIMIT 5" 2>&1 | sed 's/^/# /'
	else
		ok 0 "# SKIP round $round: wes_verify() is not installed"
	fi

	# ---- wes-load resumes after the tip and ends on the generator's tip ----
	"$WES_LOAD" -d "$(conninfo "$PORT" $DB)" --interval 60 "$CHAIN" >"$W/load2.log" 2>&1
	rc=$?
	skipped=$(sed -n 's/.*skipped \([0-9]*\) at or below the tip.*/\1/p' "$W/load2.log")
	got=$(q "$PORT" "$DB" "SELECT height || '|' || hash || '|' || state_root FROM wes.chain_state")
	is "$rc:$skipped:$got" "0:$((tip + 1)):$FINAL" \
		"round $round: wes-load resumes after tip $tip (skips $((tip + 1)) blocks) and ends on the generator's tip and state root" ||
		sed 's/^/# /' "$W/load2.log"
done

exit $((T_FAILED > 0))
