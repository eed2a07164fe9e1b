#!/usr/bin/env bash
# TAP: a wes_write_blocks call cut short by a cancel or by the end of its backend.
#
# The call runs two threads beside the backend: one decodes and hashes the blocks ahead
# of the one being written, the other moves the LtHash accumulator of the block being
# written (src/writer.c, src/writer_lthash.c).  Both read the call's memory, so an error
# must stop or wait for them before it unwinds, and the LtHash thread, which a backend
# keeps for its life, must serve the next call as if nothing had happened.
#
# On a cluster on WES_TEST_PORT+10, with block 0 of a generated chain written and the rest
# of the blocks in a table: WES_CANCEL_ROUNDS rounds (default 8) in which one session's
# call of blocks 1..LAST is cancelled by statement_timeout at a random moment of it (5-65%
# of the time a whole call took), then in the same session nothing of it is left, the
# same call succeeds and ends on the generator's tip, and wes_rollback_to(0) takes it
# back.  Then WES_TERMINATE_ROUNDS rounds (default 8) in which another session ends the
# calling backend with pg_terminate_backend at a random moment: the backend leaves through
# proc_exit, past the writer's PG_TRY blocks, and must stop its threads before its
# transaction's memory goes (before the fix, about one such round in three crashed the
# backend, and the postmaster reinitialized the cluster).  Then WES_SHUTDOWN_ROUNDS
# (default 2) fast shutdowns of the server at a random moment of a call, which end its
# backend the same way, each followed by a start.  Throughout, the server log
# must show no backend killed by a signal, and at the end wes_verify() finds nothing.  A
# round whose timeout, termination or shutdown came after the call had returned (calls vary
# in length from run to run) is run again at another moment, up to three times; every
# round starts from block 0 alone, whatever the one before it left.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PORT=$((WES_TEST_PORT + 10))
DB=wes_cancel
ROUNDS=${WES_CANCEL_ROUNDS:-8}
TERMINATE=${WES_TERMINATE_ROUNDS:-8}
SHUTDOWNS=${WES_SHUTDOWN_ROUNDS:-2}
plan $((4 + 4 * ROUNDS + 2 * TERMINATE + SHUTDOWNS + 2))
integ_workdir
W=$INTEG_WORK
CHAIN=$W/chain.blk

"$WES_GEN" -q -n 40 -b 1000 --resource-share 0.05 --state-share 0.05 --reference-share 0.05 \
	--inblock-share 0.1 -s cancel -o "$CHAIN" --tip-out "$W/chain.tip"
ok $? "wes-gen writes a chain of 40 blocks of 1000 transactions" || bail "wes-gen failed"
LAST=$(tip_field "$W/chain.tip" height)
TIP=$(tip_row "$W/chain.tip")

integ_cluster DIR cancel "$PORT" || bail "the cluster did not start"
# The blocks of the file, one row each, and block 0 written
q "$PORT" postgres "CREATE DATABASE $DB" &&
	q "$PORT" "$DB" "CREATE EXTENSION amcheck" "CREATE EXTENSION wes_persist" &&
	stage_blocks "$PORT" "$DB" "$CHAIN" 0 &&
	q "$PORT" "$DB" "SELECT wes_write_block(raw) FROM staged WHERE h = 0" >/dev/null
ok $? "blocks 0..$LAST are in a table, block 0 is written" || bail "cannot stage the blocks"

CALL="SELECT wes_write_blocks(array_agg(raw ORDER BY h)) FROM staged WHERE h BETWEEN 1 AND $LAST"
TIP_SQL="SELECT height, hash, state_root FROM wes_chain_tip()"
# What a cut call may leave: "tip blocks journal-rows", "0 1 1" with block 0 alone
LEFT_SQL="SELECT coalesce(height, -1) || ' ' || (SELECT count(*) FROM wes.blocks) || ' ' || (SELECT count(*) FROM wes.journal) FROM wes.chain_state"

# Timed the second time, as the rounds find the blocks: in the table's cached pages
for _ in 1 2; do
	t0=$(date +%s%N)
	out=$(q "$PORT" "$DB" "$CALL" "$TIP_SQL" 2>&1)
	CALL_MS=$((($(date +%s%N) - t0) / 1000000))
	q "$PORT" "$DB" "SELECT wes_rollback_to(0)" >/dev/null
	[ "$out" == "$LAST"$'\n'"$TIP" ] || break
done
is "$out" "$LAST"$'\n'"$TIP" "a whole call writes blocks 1..$LAST in $CALL_MS ms and ends on the generator's tip"
is "$(q "$PORT" "$DB" "SELECT coalesce(height, -1) FROM wes.chain_state")" 0 "wes_rollback_to(0) takes it back"

# A random moment of a whole call, in ms: 5-65% of CALL_MS (the last third of a call is
# mostly its write window going out, "block $LAST of $LAST")
random_ms() { echo $((CALL_MS * (5 + RANDOM % 61) / 100)); }

# late TRY WHAT MS CUT: did the signal of try TRY come after the call had returned?  CUT is
# "0:0" when nothing cut it (a call takes a little more or less time from one run to the
# next).  Then the round is run again at another moment, at most three times: a missed
# moment is not a fault of the writer.  Returns 0 (true) when the round must run again.
late() {
	[ "$4" = "0:0" ] && [ "$1" -lt 3 ] || return 1
	diag "$2: the call had ended before ${3} ms; again at another moment"
	reset_chain
}

# Back to block 0 alone, whatever a round left (a failed check has said what), so that
# one failure does not fail every round after it
reset_chain() {
	[ "$(q "$PORT" "$DB" "SELECT coalesce(height, -1) FROM wes.chain_state" 2>/dev/null)" = 0 ] ||
		q "$PORT" "$DB" "SELECT wes_rollback_to(0)" >/dev/null 2>&1
}

# ---- cancelled by statement_timeout, then the same session goes on ----
where=""
for ((round = 1; round <= ROUNDS; round++)); do
	for try in 1 2 3; do
		ms=$(random_ms)
		PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -h /tmp -p "$PORT" -U postgres -d "$DB" >"$W/round.out" 2>&1 <<-EOF
			SET statement_timeout = '${ms}ms';
			$CALL;
			RESET statement_timeout;
			SELECT 'left: ' || ($LEFT_SQL);
			$CALL;
			$TIP_SQL;
			SELECT 'rolled back ' || wes_rollback_to(0);
		EOF
		late "$try" "round $round" "$ms" "$(grep -c 'canceling statement due to statement timeout' "$W/round.out"):$(grep -cx 'left: 0 1 1' "$W/round.out")" || break
	done
	# the block is the context's first line, or a later one when the cancel came inside a
	# statement the writer runs (the chain-state row's UPDATE)
	cut=$(sed -n 's/^\(CONTEXT:  \)\{0,1\}block \([0-9]*\) of [0-9]* in the array$/\2/p' "$W/round.out" | head -n 1)
	grep -q 'ERROR:  canceling statement due to statement timeout' "$W/round.out" && [ -n "$cut" ]
	ok $? "round $round: statement_timeout ${ms} ms cancels the call inside it (at block ${cut:-?} of $LAST)" ||
		sed 's/^/# /' "$W/round.out"
	where+="${where:+ }${cut:-?}"
	grep -qx 'left: 0 1 1' "$W/round.out"
	ok $? "round $round: the same session then sees nothing of the call: tip 0, one block, one journal row"
	grep -qx -- "$LAST" "$W/round.out" && grep -qx -- "$TIP" "$W/round.out"
	ok $? "round $round: the same call in the same session writes all $LAST blocks and ends on the generator's tip" ||
		sed 's/^/# /' "$W/round.out"
	grep -q '^rolled back' "$W/round.out" && [ "$(q "$PORT" "$DB" "SELECT height FROM wes.chain_state")" = 0 ]
	ok $? "round $round: wes_rollback_to(0) takes it back"
	reset_chain
done
diag "cancelled at blocks: $where"

# ---- the backend ended by another session, or by a fast shutdown ----

# victim_call MS: start the call in the background as application "victim" (its pid in
# $victim, its output in victim.out), and return MS after it began, by the server's clock
victim_call() {
	PGAPPNAME=victim psql -X -q -At -h /tmp -p "$PORT" -U postgres -d "$DB" \
		-c "$CALL" >"$W/victim.out" 2>&1 &
	victim=$!
	wait_sql "$PORT" "$DB" 30 "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'victim' AND query LIKE '%wes_write_blocks%'" ||
		diag "the call was not seen running"
	q "$PORT" "$DB" "SELECT pg_sleep(greatest(0, extract(epoch FROM a.query_start + interval '$1 milliseconds' - clock_timestamp())))
		FROM pg_stat_activity a WHERE a.application_name = 'victim'" >/dev/null
}

# cut_call WHAT ROUND CUT: start the call, run CUT at a random moment of it, and collect
# the call's exit status in rc and the moment in ms; again at another moment (late) when
# the call had returned before the cut
cut_call() {
	local try
	for try in 1 2 3; do
		ms=$(random_ms)
		victim_call "$ms"
		"$3"
		wait "$victim"
		rc=$?
		late "$try" "$1 round $2" "$ms" "$([ "$rc" = 0 ] && echo 0):$rc" || break
	done
}
# The two cuts: another session ends the backend (how many it ended, in killed); a fast
# shutdown ends it with the server, which is then started again (pg_ctl's status in started)
# shellcheck disable=SC2317  # called through cut_call
terminate_victim() {
	killed=$(q "$PORT" "$DB" "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 30000)) FROM pg_stat_activity WHERE application_name = 'victim'")
}
# shellcheck disable=SC2317  # called through cut_call
restart_server() {
	cluster_stop "$DIR"
	cluster_start "$DIR" "$PORT" >/dev/null 2>&1
	started=$?
}

for ((round = 1; round <= TERMINATE; round++)); do
	cut_call terminate "$round" terminate_victim
	is "$killed:$rc:$(q "$PORT" "$DB" "$LEFT_SQL")" "1:2:0 1 1" \
		"terminate round $round: the backend ends ${ms} ms into the call, and nothing of the call is left" ||
		sed 's/^/# /' "$W/victim.out"
	q "$PORT" "$DB" "$CALL" >/dev/null && [ "$(chain_tip "$PORT" "$DB")" = "$TIP" ] &&
		q "$PORT" "$DB" "SELECT wes_rollback_to(0)" >/dev/null
	ok $? "terminate round $round: a new session writes the same blocks to the generator's tip, and they are rolled back"
	reset_chain
done

for ((round = 1; round <= SHUTDOWNS; round++)); do
	cut_call shutdown "$round" restart_server
	is "$started:$rc:$(q "$PORT" "$DB" "$LEFT_SQL")" "0:2:0 1 1" \
		"shutdown round $round: a fast shutdown ${ms} ms into the call, the server starts again, and nothing of the call is left" ||
		sed 's/^/# /' "$W/victim.out"
	reset_chain
done

crashes=$(grep -E 'terminated by signal|reinitializing' "$DIR/server.log")
is "${crashes:-none}" none "no backend crashed: the server never reinitialized" ||
	grep -B2 -A8 'terminated by signal' "$DIR/server.log" | head -n 30 | sed 's/^/# /'
findings=$(q "$PORT" "$DB" "$CALL" "SELECT count(*) FROM wes_verify()" 2>&1)
is "$findings" "$LAST"$'\n'0 "the chain written once more, wes_verify() finds nothing"

exit $((T_FAILED > 0))
