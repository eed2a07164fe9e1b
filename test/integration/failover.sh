#!/usr/bin/env bash
# TAP: failover.  A streaming standby is promoted after its primary dies, the node goes on
# writing to it, and the old primary comes back as its standby through pg_rewind.
#
# A primary A on WES_TEST_PORT+11 and a standby B made from it with pg_basebackup -R on
# WES_TEST_PORT+12.  A has what pg_rewind needs: wal_log_hints = on, and wal_keep_size so
# that it keeps its WAL from before the point where the two part.  Blocks 0-19 reach both.
# Then B is stopped, A commits blocks 20-29 that B never receives (an asynchronous standby
# that lags), and A dies (pg_ctl stop -m immediate).  B starts with A gone, is promoted,
# and holds the chain up to block 19: the commits A made alone are lost, the tip is still
# consistent, and wes_verify() finds nothing.  The node writes a different branch from
# block 20 on B (a fork, so that what pg_rewind undoes is visible), then A is rewound to
# B's timeline and follows it as a hot standby: its rows equal B's, its tip is the
# branch's, and blocks B writes later stream to it.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

APORT=$((WES_TEST_PORT + 11))
BPORT=$((WES_TEST_PORT + 12))
DB=wes

plan 19
integ_workdir
W=$INTEG_WORK

# ---- the chain: a.blk on both; b.blk on A alone; the branch f.blk then g.blk on B ----
"$WES_GEN" -q -n 20 -b 40 --resource-share 0.1 --state-share 0.1 --reference-share 0.1 \
	--inblock-share 0.1 --addresses 50 -s failover -o "$W/a.blk" --state-out "$W/a.state" --tip-out "$W/a.tip" &&
	"$WES_GEN" -q -n 10 -b 40 --inblock-share 0.1 --addresses 50 -s failover-lost --state-in "$W/a.state" \
		-o "$W/b.blk" --tip-out "$W/b.tip" &&
	"$WES_GEN" -q -n 12 -b 40 --resource-share 0.1 --inblock-share 0.1 --addresses 50 -s failover-branch \
		--state-in "$W/a.state" -o "$W/f.blk" --state-out "$W/f.state" --tip-out "$W/f.tip" &&
	"$WES_GEN" -q -n 3 -b 40 --addresses 50 -s failover-after --state-in "$W/f.state" -o "$W/g.blk" \
		--tip-out "$W/g.tip" ||
	bail "wes-gen failed"

findings() { q "$1" "$DB" "SELECT count(*) FROM wes_verify()" 2>&1; }
load() { "$WES_LOAD" -q -d "$(conninfo "$1" $DB)" "$2"; }

# ---- A, the primary, and B, its standby ----
integ_cluster ADIR failover-a "$APORT" "wal_log_hints = on" "wal_keep_size = 256MB" || bail "A did not start"
echo "host replication all 127.0.0.1/32 trust" >>"$ADIR/pg_hba.conf"
q "$APORT" postgres "SELECT pg_reload_conf()" >/dev/null
q "$APORT" postgres "CREATE DATABASE $DB" && q "$APORT" "$DB" "CREATE EXTENSION wes_persist" "CREATE EXTENSION amcheck" ||
	bail "cannot create the extensions on A"
load "$APORT" "$W/a.blk"
ok $? "A: wes-load writes blocks 0-19"

integ_dir BDIR failover-b
cluster_stop "$BDIR"
rm -rf "$BDIR"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$APORT" -U postgres -D "$BDIR" -R -X stream -c fast \
	>"$W/basebackup.log" 2>&1 || { sed 's/^/# /' "$W/basebackup.log"; bail "pg_basebackup failed"; }
printf '\nport = %s\n' "$BPORT" >>"$BDIR/postgresql.conf"
cluster_start "$BDIR" "$BPORT" || bail "B did not start"
wait_replay "$BPORT" "$APORT" "$DB"
is "$(chain_tip "$BPORT" "$DB")" "$(tip_row "$W/a.tip")" "B, a hot standby of A, has replayed blocks 0-19"

# ---- B lags: it is stopped while A commits blocks 20-29; then A dies ----
cluster_stop "$BDIR"
load "$APORT" "$W/b.blk"
is "$?|$(chain_tip "$APORT" "$DB")" "0|$(tip_row "$W/b.tip")" "A: wes-load commits blocks 20-29 while B is down"
as_pg "$PGBIN/pg_ctl" -D "$ADIR" -m immediate -w stop >/dev/null 2>&1
ok $? "A dies (pg_ctl stop -m immediate)"

# ---- B is promoted with what it has ----
cluster_start "$BDIR" "$BPORT" || bail "B did not start again"
as_pg "$PGBIN/pg_ctl" -D "$BDIR" -w promote >/dev/null 2>&1
is "$?|$(q "$BPORT" postgres "SELECT pg_is_in_recovery()")" "0|f" "B is promoted (pg_ctl promote) and takes writes"
is "$(chain_tip "$BPORT" "$DB")" "$(tip_row "$W/a.tip")" \
	"B's tip is block 19, the last block it received: what A committed alone is not there"
is "$(findings "$BPORT")" 0 "B: wes_verify() (amcheck included) finds nothing after the promotion"

# ---- the node writes on: a branch from block 20 ----
load "$BPORT" "$W/f.blk"
is "$?|$(chain_tip "$BPORT" "$DB")" "0|$(tip_row "$W/f.tip")" \
	"B: wes-load resumes after the tip and writes the branch, blocks 20-31, to the generator's tip and state root"
is "$(findings "$BPORT")" 0 "B: wes_verify() finds nothing on the branch"

# ---- A comes back as B's standby: pg_rewind, then streaming ----
as_pg "$PGBIN/pg_rewind" -D "$ADIR" -R --source-server="$(conninfo "$BPORT" postgres)" >"$W/rewind.log" 2>&1
ok $? "pg_rewind takes A back to where B's timeline left it, and writes its recovery settings" ||
	sed 's/^/# /' "$W/rewind.log"
# pg_rewind copies B's configuration, port included: A keeps its own
printf '\nport = %s\n' "$APORT" >>"$ADIR/postgresql.conf"
cluster_start "$ADIR" "$APORT" || bail "A did not start as a standby"
is "$(q "$APORT" postgres "SELECT pg_is_in_recovery()")" t "A starts as a hot standby"
wait_sql "$BPORT" postgres 30 "SELECT count(*) = 1 FROM pg_stat_replication WHERE state = 'streaming'"
ok $? "B, the new primary, streams to A"
wait_replay "$APORT" "$BPORT" "$DB"
is "$(chain_tip "$APORT" "$DB")" "$(tip_row "$W/f.tip")" "A: the tip is the branch's, not the block 29 it had committed"
A20=$(q "$APORT" "$DB" "SELECT hash FROM wes_api.blocks WHERE height = 20")
is "$A20" "$(q "$BPORT" "$DB" "SELECT hash FROM wes_api.blocks WHERE height = 20")" "A: block 20 is the branch's"
is "$(q "$APORT" "$DB" "SELECT count(*) FROM wes_api.blocks WHERE height > 31")" 0 "A holds no block above the branch's tip"
is "$(wes_tables_differ "$BPORT" "$DB" "$APORT" "$DB")" "" "A: every table of schema wes has B's rows"
is "$(findings "$APORT")" 0 "A: wes_verify() finds nothing on the rewound standby"

# ---- and keeps following ----
load "$BPORT" "$W/g.blk"
ok $? "B: wes-load writes 3 more blocks"
wait_replay "$APORT" "$BPORT" "$DB"
is "$(chain_tip "$APORT" "$DB")" "$(tip_row "$W/g.tip")" "A: replays them, to the generator's tip and state root"

exit $((T_FAILED > 0))
