#!/usr/bin/env bash
# A streaming hot standby serves the whole read API.
#
# A primary on WES_TEST_PORT+1 and a standby made from it with pg_basebackup -R on
# WES_TEST_PORT+2.  Blocks are written on the primary before the base backup and after
# it (streamed); once the standby has replayed the primary's WAL, every wes_api view and
# function and the wes_* read functions, as wes_reader, return on the standby what they
# return on the primary, the tip and state root are the generator's, and a write on the
# standby fails with 25006 (read-only transaction).
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PPORT=$((WES_TEST_PORT + 1))
SPORT=$((WES_TEST_PORT + 2))
DB=wes
ZERO=0000000000000000000000000000000000000000000000000000000000000000

plan 70
integ_workdir
W=$INTEG_WORK

# ---- a chain in four files: before the base backup, streamed after it, two more blocks ----
"$WES_GEN" -q -n 15 -b 40 --resource-share 0.1 --state-share 0.1 --reference-share 0.1 \
	--inblock-share 0.1 --addresses 50 -s replica -o "$W/a.blk" --state-out "$W/a.state" --tip-out "$W/a.tip" &&
	"$WES_GEN" -q -n 10 -b 40 --reference-share 0.1 --inblock-share 0.1 --addresses 50 -s replica-b \
		--state-in "$W/a.state" -o "$W/b.blk" --state-out "$W/b.state" --tip-out "$W/b.tip" &&
	"$WES_GEN" -q -n 1 -b 40 --addresses 50 -s replica-c --state-in "$W/b.state" -o "$W/c.blk" --tip-out "$W/c.tip" \
		--state-out "$W/c.state" &&
	"$WES_GEN" -q -n 1 -b 40 --addresses 50 -s replica-d --state-in "$W/c.state" -o "$W/d.blk" --tip-out "$W/d.tip" ||
	bail "wes-gen failed"

# ---- primary ----
integ_cluster PDIR replica-primary "$PPORT" || bail "primary did not start"
if ! grep -qE '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$PDIR/pg_hba.conf"; then
	echo "host replication all 127.0.0.1/32 trust" >>"$PDIR/pg_hba.conf"
	q "$PPORT" postgres "SELECT pg_reload_conf()" >/dev/null
fi
is "$(q "$PPORT" postgres "SELECT count(*) > 0 FROM pg_hba_file_rules WHERE 'replication' = ANY (database)
	AND address = '127.0.0.1' AND auth_method = 'trust' AND error IS NULL")" t \
	"the primary's pg_hba.conf lets replication connections in on loopback"
is "$(q "$PPORT" postgres "SHOW wal_level")" logical "the primary writes logical WAL (enough for a hot standby)"

q "$PPORT" postgres "CREATE DATABASE $DB" && q "$PPORT" "$DB" "CREATE EXTENSION wes_persist" "CREATE EXTENSION amcheck" ||
	bail "cannot create the extensions on the primary"
"$WES_LOAD" -q -d "$(conninfo "$PPORT" $DB)" "$W/a.blk"
ok $? "wes-load writes the first 15 blocks on the primary"

# ---- standby: base backup with -R (standby.signal + primary_conninfo), its own port ----
integ_dir SDIR replica-standby
cluster_stop "$SDIR"
rm -rf "$SDIR"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PPORT" -U postgres -D "$SDIR" -R -X stream -c fast \
	>"$W/basebackup.log" 2>&1
ok $? "pg_basebackup -R copies the primary over a loopback replication connection" || cat "$W/basebackup.log"
printf '\nport = %s\nhot_standby = on\n' "$SPORT" >>"$SDIR/postgresql.conf"
cluster_start "$SDIR" "$SPORT"
ok $? "the standby starts on its own port" || bail "standby did not start"
is "$(q "$SPORT" postgres "SELECT pg_is_in_recovery()")" t "the standby is in recovery (a hot standby)"
is "$(q "$PPORT" postgres "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" 1 \
	"the primary streams to one standby"

# ---- more blocks on the primary, streamed; resource content too ----
"$WES_LOAD" -q -d "$(conninfo "$PPORT" $DB)" "$W/b.blk"
ok $? "wes-load writes 10 more blocks on the primary while the standby streams"
CONTENT=$(q "$PPORT" "$DB" "SELECT wes_write_resource('\\x00010203040506070809'::bytea, 'application/octet-stream')")
is "$CONTENT" "$(printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09' | sha256sum | cut -c1-64)" \
	"resource content is written on the primary under its SHA-256"
# a full snapshot too, when the extension has them (wes_api.snapshots then has a row)
if [ "$(q "$PPORT" "$DB" "SELECT count(*) FROM pg_proc WHERE proname = 'wes_snapshot_create'")" -gt 0 ]; then
	q "$PPORT" "$DB" "SELECT wes_snapshot_create()" >/dev/null
fi
wait_replay "$SPORT" "$PPORT" "$DB"
ok $? "the standby replays up to the primary's current WAL position" || bail "no replay"

# ---- the tip on the standby: the generator's, read as wes_reader ----
reader() { q "$1" "$DB" "SET ROLE wes_reader" "$2"; }
# the standby's tip as wes_reader: "height|hash|state_root" (tip_row's form)
standby_tip() { chain_tip "$SPORT" "$DB"; }
EXPECT_TIP="$(tip_row "$W/b.tip")"
is "$(standby_tip)" "$EXPECT_TIP" \
	"standby: wes_chain_tip() is the generator's tip height, hash and state root"
is "$(reader "$SPORT" "SELECT height, hash, state_root FROM wes_api.tip")" "$EXPECT_TIP" \
	"standby: wes_api.tip is the generator's tip"
is "$(reader "$SPORT" "SELECT utxo_count FROM wes_api.tip")" "$(tip_field "$W/b.tip" utxo_count)" \
	"standby: the UTXO count is the generator's"
is "$(reader "$SPORT" "SELECT count(*) FROM wes_api.utxos")" "$(tip_field "$W/b.tip" utxo_count)" \
	"standby: wes_api.utxos holds as many rows as the generator's UTXO set"

# ---- every wes_api view: same rows on both sides ----
# digest of a query's rows, independent of their order
digest() { echo "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM ($1) x"; }
# digests PORT: for each "name|query" line of stdin, "name|rows:any-non-null:md5 of the rows",
# all in one session as wes_reader
digests() {
	local port=$1 name sql parts=()
	while IFS='|' read -r name sql; do
		[ -n "$name" ] || continue
		parts+=("SELECT \$n\$$name\$n\$, (SELECT count(*) || ':' || (count(*) FILTER (WHERE NOT (x IS NULL)) > 0)
			|| ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM ($sql) x)")
	done
	reader "$port" "$(printf '%s\nUNION ALL\n' "${parts[@]}" | sed '$d')" 2>&1
}
VIEWS=$(q "$PPORT" "$DB" "SELECT string_agg(viewname || '|SELECT * FROM wes_api.' || quote_ident(viewname), E'\n' ORDER BY viewname)
	FROM pg_views WHERE schemaname = 'wes_api'")
PV=$(digests "$PPORT" <<<"$VIEWS")
SV=$(digests "$SPORT" <<<"$VIEWS")
nviews=$(grep -c . <<<"$VIEWS")
bad_views=$(grep -vE '\|[1-9][0-9]*:true:' <<<"$PV" | cut -d'|' -f1 | paste -sd' ')
[ "$PV" == "$SV" ] || bad_views+=" (standby differs)"
ok "$([ -z "$bad_views" ] && [ "$nviews" -ge 8 ] && echo 0 || echo 1)" \
	"standby: all $nviews wes_api views return the primary's rows (non-empty) as wes_reader${bad_views:+ (bad: $bad_views)}" ||
	diag "primary:" "$PV" "standby:" "$SV"

# ---- every read function: values taken from the primary, same answer on both sides ----
SPENT=$(q "$PPORT" "$DB" "SELECT outpoint FROM wes_api.outputs WHERE spent_by IS NOT NULL ORDER BY outpoint LIMIT 1")
SPENT_H=$(q "$PPORT" "$DB" "SELECT spent_height FROM wes_api.outputs WHERE outpoint = '$SPENT'")
UNSPENT=$(q "$PPORT" "$DB" "SELECT outpoint FROM wes_api.utxos WHERE kind = 'asset' ORDER BY outpoint LIMIT 1")
OWNER=$(q "$PPORT" "$DB" "SELECT owner FROM wes_api.address_balances ORDER BY utxo_count DESC, owner LIMIT 1")
OWNER2=$(q "$PPORT" "$DB" "SELECT owner FROM wes_api.address_balances ORDER BY utxo_count DESC, owner OFFSET 1 LIMIT 1")
TXID=$(q "$PPORT" "$DB" "SELECT txid FROM wes_api.transactions WHERE block_height = 7 AND tx_index = 5")
BHASH=$(q "$PPORT" "$DB" "SELECT hash FROM wes_api.blocks WHERE height = 12")
[ -n "$SPENT" ] && [ -n "$UNSPENT" ] && [ -n "$OWNER2" ] && [ -n "$TXID" ] && [ -n "$BHASH" ] ||
	bail "the chain lacks the rows the checks need"
MID=$((SPENT_H - 1))

# name|query: each must return at least one non-NULL value
CALLS=$(
	cat <<SQL
wes_api.chain_tip|SELECT * FROM wes_api.chain_tip()
wes_api.utxo_lookup|SELECT * FROM wes_api.utxo_lookup('$SPENT')
wes_api.utxo_lookup as of height|SELECT * FROM wes_api.utxo_lookup('$SPENT', $MID)
wes_api.utxo_lookup_many|SELECT * FROM wes_api.utxo_lookup_many(ARRAY['$SPENT', '$UNSPENT']::wes_outpoint[])
wes_api.addresses_utxos|SELECT * FROM wes_api.addresses_utxos(ARRAY['$OWNER', '$OWNER2']::wes_address[])
wes_api.addresses_utxos as of height|SELECT * FROM wes_api.addresses_utxos(ARRAY['$OWNER', '$OWNER2']::wes_address[], 12)
wes_api.address_utxos|SELECT * FROM wes_api.address_utxos('$OWNER')
wes_api.address_utxos as of height|SELECT * FROM wes_api.address_utxos('$OWNER', 12)
wes_api.address_balance|SELECT wes_api.address_balance('$OWNER')
wes_api.address_balance as of height|SELECT wes_api.address_balance('$OWNER', '$ZERO', 12)
wes_api.block by height|SELECT wes_api.block(12)
wes_api.block by hash|SELECT wes_api.block(block_hash => '$BHASH')
wes_api.address_transactions|SELECT * FROM wes_api.address_transactions('$OWNER', page_size => 20)
wes_api.address_transactions next page|SELECT * FROM wes_api.address_transactions('$OWNER', 12, 3, 20)
wes_api.search|SELECT * FROM wes_api.search('${BHASH:0:6}')
wes_api.tx_proof|SELECT * FROM wes_api.tx_proof('$TXID')
wes_api.transaction|SELECT wes_api.transaction('$TXID')
wes_api.verify_tx_proof|SELECT wes_api.verify_tx_proof(p.txid, p.tx_index, p.tx_count, p.path, p.tx_root) FROM wes_api.tx_proof('$TXID') p
wes_api.resource_read|SELECT wes_api.resource_read('$CONTENT', 2, 5)
wes_api.outputs by txid|SELECT * FROM wes_api.outputs WHERE txid = '$TXID'
wes_api.inputs by outpoint|SELECT * FROM wes_api.inputs WHERE outpoint = '$SPENT'
wes_api.blocks by prev_hash|SELECT * FROM wes_api.blocks WHERE prev_hash = '$BHASH'
wes_chain_tip|SELECT * FROM wes_chain_tip()
wes_utxo_lookup(op)|SELECT * FROM wes_utxo_lookup('$SPENT'::wes_outpoint)
wes_utxo_lookup(op, h)|SELECT * FROM wes_utxo_lookup('$SPENT'::wes_outpoint, $MID)
wes_utxo_lookup(ops)|SELECT * FROM wes_utxo_lookup(ARRAY['$SPENT', '$UNSPENT']::wes_outpoint[])
wes_address_balance|SELECT wes_address_balance('$OWNER')
wes_address_balance as of height|SELECT wes_address_balance('$OWNER', '$ZERO', 12)
wes_resource_read|SELECT wes_resource_read('$CONTENT')
wes_tx_proof|SELECT * FROM wes_tx_proof('$TXID')
wes_verify_tx_proof|SELECT wes_verify_tx_proof(p.txid, p.tx_index, p.tx_count, p.path, p.tx_root) FROM wes_tx_proof('$TXID') p
SQL
)
PD=$(digests "$PPORT" <<<"$CALLS")
SD=$(digests "$SPORT" <<<"$CALLS")
while IFS='|' read -r name sql; do
	p=$(awk -F'|' -v n="$name" '$1 == n' <<<"$PD" | head -n 1)
	s=$(awk -F'|' -v n="$name" '$1 == n' <<<"$SD" | head -n 1)
	{ [ -n "$p" ] && [ "$p" == "$s" ] && [[ "$s" == "$name|"[1-9]*:true:* ]]; }
	ok $? "standby: $name returns the primary's answer as wes_reader" ||
		diag "primary: ${p:-$(head -n 3 <<<"$PD")}" "standby: ${s:-$(head -n 3 <<<"$SD")}"
done <<<"$CALLS"

# Values the functions must return, recomputed from other views
is "$(reader "$SPORT" "SELECT spent_height FROM wes_utxo_lookup('$SPENT'::wes_outpoint)")" "$SPENT_H" \
	"standby: wes_utxo_lookup of a spent outpoint names the spending height"
is "$(reader "$SPORT" "SELECT count(*) FROM wes_utxo_lookup('$SPENT'::wes_outpoint, $SPENT_H)")" 0 \
	"standby: as of the spending height the outpoint is no longer unspent"
is "$(reader "$SPORT" "SELECT wes_address_balance('$OWNER')")" \
	"$(reader "$SPORT" "SELECT balance FROM wes_api.address_balances WHERE owner = '$OWNER' AND asset = '$ZERO'")" \
	"standby: wes_address_balance equals the address_balances view"
is "$(reader "$SPORT" "SELECT bool_and(v) FROM (SELECT wes_verify_tx_proof(p.txid, p.tx_index, p.tx_count, p.path, p.tx_root) v FROM wes_tx_proof('$TXID') p) x")" t \
	"standby: the inclusion proof built on the standby verifies"
is "$(reader "$SPORT" "SELECT encode(wes_resource_read('$CONTENT'), 'hex') || ' ' || encode(wes_resource_read('$CONTENT', 2, 5), 'hex')")" \
	"00010203040506070809 0203040506" "standby: whole and ranged resource reads return the stored bytes"

# Functions the list above does not call (added later): with NULL arguments they must not
# need a write or a privilege wes_reader lacks
UNCALLED=$(q "$PPORT" "$DB" "SELECT p.oid::regprocedure || '|' || 'SELECT ' || p.oid::regproc || '(' ||
	coalesce((SELECT string_agg('NULL::' || format_type(t, NULL), ', ') FROM unnest(p.proargtypes) t), '') || ')'
	FROM pg_proc p WHERE p.pronamespace = 'wes_api'::regnamespace
	AND p.proname NOT IN ($(sed -n 's/^wes_api\.\([a-z_]*\).*/'"'"'\1'"'"'/p' <<<"$CALLS" | sort -u | paste -sd,))")
bad=""
while IFS='|' read -r fn sql; do
	[ -n "$fn" ] || continue
	st=$(q "$SPORT" "$DB" "SET ROLE wes_reader" "SET statement_timeout = '10s'" "$sql" 2>&1 >/dev/null | grep -oE '(25006|42501|read-only|permission denied).*' | head -n 1)
	[ -z "$st" ] || { bad+=" $fn"; diag "$fn: $st"; }
done <<<"$UNCALLED"
ok "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"standby: the $(grep -c . <<<"$UNCALLED") other wes_api function(s) run as wes_reader without a write or a missing privilege${bad:+ (failed:$bad)}"

if [ "$(q "$SPORT" "$DB" "SELECT count(*) FROM pg_proc WHERE proname = 'wes_verify'")" -gt 0 ]; then
	findings=$(q "$SPORT" "$DB" "SET ROLE wes_writer" "SELECT count(*) FROM wes_verify()" 2>&1)
	is "$findings" 0 "standby: wes_verify() (amcheck included) runs and finds nothing" ||
		q "$SPORT" "$DB" "SELECT * FROM wes_verify() LIMIT 5" 2>&1 | sed 's/^/# /'
else
	ok 0 "# SKIP wes_verify() is not installed"
fi

# ---- writes on the standby fail cleanly with 25006 and change nothing ----
NEXT=$(bf_hex "$W/c.blk" 0) || bail "cannot read c.blk"
is "$(sqlstate "$SPORT" "$DB" "SET ROLE wes_writer" "SELECT wes_write_block('\\x$NEXT'::bytea)")" 25006 \
	"standby: wes_write_block of the valid next block fails with 25006 (read-only transaction)"
is "$(sqlstate "$SPORT" "$DB" "SET ROLE wes_writer" "SELECT wes_write_blocks(ARRAY['\\x$NEXT'::bytea])")" 25006 \
	"standby: wes_write_blocks fails with 25006"
is "$(sqlstate "$SPORT" "$DB" "SET ROLE wes_writer" "SELECT wes_write_resource('\\x0badc0de'::bytea)")" 25006 \
	"standby: wes_write_resource fails with 25006"
is "$(sqlstate "$SPORT" "$DB" "UPDATE wes.outputs SET spent_by = NULL")" 25006 \
	"standby: even the superuser's DML on wes.* fails with 25006"
is "$(standby_tip)" "$EXPECT_TIP" \
	"standby: the failed writes left the tip as it was"
"$WES_LOAD" -q -d "$(conninfo "$SPORT" $DB)" "$W/c.blk" >"$W/load-standby.log" 2>&1
is "$?:$(grep -c 25006 "$W/load-standby.log")" "1:1" "standby: wes-load exits 1 and reports 25006" ||
	sed 's/^/# /' "$W/load-standby.log"

# ---- the same block is accepted by the primary and streamed ----
"$WES_LOAD" -q -d "$(conninfo "$PPORT" $DB)" "$W/c.blk"
ok $? "the primary accepts the block the standby refused"
wait_replay "$SPORT" "$PPORT" "$DB"
ok $? "the standby replays it"
is "$(standby_tip)" "$(tip_row "$W/c.tip")" \
	"standby: the tip moves to the new block's height, hash and state root"
is "$(reader "$SPORT" "$(digest "SELECT * FROM wes_api.utxos")")" "$(reader "$PPORT" "$(digest "SELECT * FROM wes_api.utxos")")" \
	"standby: the UTXO set equals the primary's after the new block"

# ---- reading one's own writes: a synchronous standby and remote_apply ----
# With the standby in synchronous_standby_names and synchronous_commit = remote_apply, a
# commit returns once the standby has replayed it.  Replay paused, the load must wait;
# resumed, it returns, and the standby shows the new tip with no wait of the reader's.
q "$PPORT" postgres "ALTER SYSTEM SET synchronous_standby_names = '*'" "SELECT pg_reload_conf()" >/dev/null
wait_sql "$PPORT" postgres 30 "SELECT count(*) = 1 FROM pg_stat_replication WHERE sync_state = 'sync'"
ok $? "the standby becomes synchronous (synchronous_standby_names = '*')"
q "$SPORT" postgres "SELECT pg_wal_replay_pause()" >/dev/null
wait_sql "$SPORT" postgres 30 "SELECT pg_get_wal_replay_pause_state() = 'paused'"
ok $? "standby: replay paused"
"$WES_LOAD" -q -d "$(conninfo "$PPORT" $DB) options='-c synchronous_commit=remote_apply'" "$W/d.blk" \
	>"$W/load-apply.log" 2>&1 &
loader=$!
wait_sql "$PPORT" postgres 30 "SELECT count(*) = 1 FROM pg_stat_activity
	WHERE application_name = 'wes-load' AND wait_event = 'SyncRep'"
ok $? "with remote_apply, wes-load's commit waits (SyncRep) while the standby's replay is paused"
sleep 1
is "$(kill -0 "$loader" 2>/dev/null && echo waiting)|$(standby_tip)" \
	"waiting|$(tip_row "$W/c.tip")" \
	"a second later wes-load still waits, and the standby still shows the tip before the block"
next_height=$(tip_field "$W/d.tip" height)
is "$(sqlstate "$SPORT" "$DB" "SET ROLE wes_reader" \
	"SELECT wes_address_balance(owner, at_height => $next_height) FROM wes_api.outputs LIMIT 1")" WE006 \
	"standby: a balance as of the block it has not replayed is WE006, not the state at its tip"
q "$SPORT" postgres "SELECT pg_wal_replay_resume()" >/dev/null
wait "$loader"
ok $? "replay resumed, the commit returns and wes-load ends with status 0" || sed 's/^/# /' "$W/load-apply.log"
is "$(standby_tip)" "$(tip_row "$W/d.tip")" \
	"standby: right after wes-load returns, wes_chain_tip() is the new block's"
q "$PPORT" postgres "ALTER SYSTEM RESET synchronous_standby_names" "SELECT pg_reload_conf()" >/dev/null

exit $((T_FAILED > 0))
