#!/usr/bin/env bash
# ALTER EXTENSION wes_persist UPDATE from 0.1.0, the oldest version with an update path
# (docs/operations.md, "Upgrading").
#
# On a cluster on WES_TEST_PORT+15: a database created at 0.1.0 is refused writes by
# the current library (55000, naming both versions) and left as it was; updated, it
# writes a generated chain and lets wes_verify() find nothing.  Its objects are then
# those of a fresh install, object for object: pg_dump --binary-upgrade --schema-only,
# which dumps every member of the extension with its definition, comment and
# privileges, gives the same text for both once the lines that carry OIDs, xids and
# LSNs are left out (and differs when one comment is missing).  A snapshot of the
# updated chain imports into the fresh install with the ids rule 4 needs, and both go
# on with the same blocks to the generator's tip.  An update of a chain that 0.1.0
# started from a snapshot warns that its wes.prior_txids is empty.  A logical replica
# (another database of the cluster, subscribed to wes_publication at 0.1.0) goes
# through the update in the order docs/operations.md gives, and then receives a
# snapshot's import, wes.prior_txids included, and the blocks after it.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PORT=$((WES_TEST_PORT + 15))
plan 16
integ_workdir
W=$INTEG_WORK

GEN=("$WES_GEN" -q -b 30 --reference-share 0.1 --inblock-share 0.1 --addresses 40)
"${GEN[@]}" -n 20 -s upgrade -o "$W/a.blk" --state-out "$W/a.state" --tip-out "$W/a.tip" &&
	"${GEN[@]}" -n 10 -s upgrade-b --state-in "$W/a.state" -o "$W/b.blk" --tip-out "$W/b.tip" ||
	bail "wes-gen failed"

integ_cluster DIR upgrade "$PORT" || bail "the cluster did not start"
for db in old fresh probe snap lpub lsub; do
	q "$PORT" postgres "CREATE DATABASE $db" || bail "cannot create database $db"
done
extversion() { q "$PORT" "$1" "SELECT extversion FROM pg_extension WHERE extname = 'wes_persist'"; }
DEFAULT=$(q "$PORT" old "SELECT default_version FROM pg_available_extensions WHERE name = 'wes_persist'")

missing=$(q "$PORT" old "SELECT string_agg(source, ', ') FROM pg_extension_update_paths('wes_persist')
						  WHERE target = '$DEFAULT' AND source <> target AND path IS NULL")
is "$missing" "" "every installable version of wes_persist has an update path to $DEFAULT"

q "$PORT" old "CREATE EXTENSION amcheck" "CREATE EXTENSION wes_persist VERSION '0.1.0'" >/dev/null
is "$(extversion old)" 0.1.0 \
	"CREATE EXTENSION wes_persist VERSION '0.1.0' installs 0.1.0"

"$WES_LOAD" -q -d "$(conninfo "$PORT" old)" "$W/a.blk" >"$W/refused.out" 2>&1
rc=$?
grep -q "SQLSTATE 55000: extension wes_persist is version 0.1.0 in this database, but its library is version $DEFAULT" \
	"$W/refused.out" && [ "$rc" -ne 0 ] &&
	[ "$(q "$PORT" old "SELECT count(*) FROM wes.blocks")" == 0 ] &&
	[ "$(sqlstate "$PORT" old "SELECT count(*) FROM wes_snapshot_export()")" == 55000 ] &&
	[ "$(q "$PORT" old "SET ROLE wes_reader" "SELECT count(*) FROM wes_chain_tip(), wes_utxo_lookup(ARRAY[repeat('ab', 32) || ':0']::wes_outpoint[])")" == 0 ]
ok $? "at 0.1.0, the library refuses the first block with 55000 naming both versions, writes nothing, exports nothing, and reads" ||
	sed 's/^/# /' "$W/refused.out"

q "$PORT" old "ALTER EXTENSION wes_persist UPDATE" >"$W/update.out" 2>&1 && [ ! -s "$W/update.out" ] &&
	[ "$(extversion old)" == "$DEFAULT" ]
ok $? "ALTER EXTENSION wes_persist UPDATE takes 0.1.0 to $DEFAULT, without a warning on a whole chain" ||
	sed 's/^/# /' "$W/update.out"

"$WES_LOAD" -q -d "$(conninfo "$PORT" old)" "$W/a.blk"
is "$(chain_tip "$PORT" old)" "$(tip_row "$W/a.tip")" "updated, it writes the chain to the generator's tip and state root"
is "$(q "$PORT" old "SELECT count(*) FROM wes_verify()" 2>&1)" 0 "wes_verify() finds nothing in the updated database"

# Every member of the extension as pg_dump --binary-upgrade writes it, without the lines
# that hold OIDs, xids or LSNs of this database
members() {
	pg_dump -h /tmp -p "$PORT" -U postgres --binary-upgrade --schema-only -d "$1" |
		grep -vE "binary_upgrade_|relfrozenxid|^WHERE oid = |^\\\\(un)?restrict "
}
q "$PORT" fresh "CREATE EXTENSION amcheck" "CREATE EXTENSION wes_persist" >/dev/null
members old >"$W/old.sql" && members fresh >"$W/fresh.sql" && [ "$(grep -c 'wes.prior_txids' "$W/fresh.sql")" -gt 0 ]
ok $? "pg_dump --binary-upgrade of both databases"
diff "$W/old.sql" "$W/fresh.sql" >"$W/members.diff"
ok $? "0.1.0 updated to $DEFAULT has the objects of a fresh install: definitions, comments, privileges" ||
	head -n 40 "$W/members.diff" | sed 's/^/# /'

# The comparison sees what an update script forgets: here, one comment
q "$PORT" probe "CREATE EXTENSION amcheck" "CREATE EXTENSION wes_persist VERSION '0.1.0'" \
	"ALTER EXTENSION wes_persist UPDATE" "COMMENT ON TABLE wes.prior_txids IS NULL" >/dev/null
members probe >"$W/probe.sql"
diff "$W/probe.sql" "$W/fresh.sql" >"$W/probe.diff"
grep -q "^> COMMENT ON TABLE wes.prior_txids IS" "$W/probe.diff"
ok $? "and differs where a comment of the update is missing" || head -n 20 "$W/probe.diff" | sed 's/^/# /'

# A snapshot of the updated chain carries the ids rule 4 needs into the fresh install
tools/wes-snapshot export -q -d "$(conninfo "$PORT" old)" -o "$W/a.wessnap" &&
	tools/wes-snapshot import -q -d "$(conninfo "$PORT" fresh)" -i "$W/a.wessnap"
ok $? "a snapshot of the updated chain exports, and imports into the fresh install"
mints=$(q "$PORT" old "SELECT count(*) FROM wes_api.transactions t
					   WHERE NOT EXISTS (SELECT FROM wes_api.inputs i WHERE i.txid = t.txid AND NOT i.reference)")
ids=$(q "$PORT" fresh "SELECT count(*) FROM wes.prior_txids")
[ "$mints" -gt 0 ] && [ "$ids" == "$mints" ]
ok $? "the fresh install holds the ids of the $mints transactions that spent nothing (got $ids)"

"$WES_LOAD" -q -d "$(conninfo "$PORT" old)" "$W/b.blk" && "$WES_LOAD" -q -d "$(conninfo "$PORT" fresh)" "$W/b.blk" &&
	[ "$(chain_tip "$PORT" old)" == "$(tip_row "$W/b.tip")" ] && [ "$(chain_tip "$PORT" fresh)" == "$(tip_row "$W/b.tip")" ]
ok $? "both go on with the same 10 blocks to the generator's tip and state root"

# A chain that 0.1.0 started from a snapshot (its file, of version 1, listed no ids):
# the chain state says so, and the update warns
q "$PORT" snap "CREATE EXTENSION wes_persist VERSION '0.1.0'" "UPDATE wes.chain_state SET base_height = 7" >/dev/null &&
	q "$PORT" snap "ALTER EXTENSION wes_persist UPDATE" >"$W/snap.out" 2>&1 &&
	grep -q "WARNING:  this chain starts from a snapshot at height 7, and wes.prior_txids is empty" "$W/snap.out"
ok $? "the update of a chain started from a version 1 snapshot warns that wes.prior_txids is empty" ||
	sed 's/^/# /' "$W/snap.out"

# A logical replica through the update: subscriber first, then the publisher, then the
# subscription learns the new table (wes_publication covers schema wes, so it has it)
q "$PORT" lpub "CREATE EXTENSION wes_persist VERSION '0.1.0'" \
	"SELECT pg_create_logical_replication_slot('upgrade_sub', 'pgoutput')" >/dev/null &&
	q "$PORT" lsub "CREATE EXTENSION wes_persist VERSION '0.1.0'" \
		"CREATE SUBSCRIPTION upgrade_sub CONNECTION '$(conninfo "$PORT" lpub)' PUBLICATION wes_publication
		 WITH (create_slot = false, slot_name = 'upgrade_sub')" >"$W/lsub.out" 2>&1 &&
	logical_converge "$PORT" lpub "$PORT" lsub &&
	q "$PORT" lsub "ALTER EXTENSION wes_persist UPDATE" && q "$PORT" lpub "ALTER EXTENSION wes_persist UPDATE" &&
	q "$PORT" lsub "ALTER SUBSCRIPTION upgrade_sub REFRESH PUBLICATION" && logical_converge "$PORT" lpub "$PORT" lsub &&
	[ "$(q "$PORT" lsub "SELECT count(*) FROM pg_subscription_rel WHERE srrelid = 'wes.prior_txids'::regclass")" == 1 ]
ok $? "a subscriber at 0.1.0, updated before its publisher, replicates wes.prior_txids after REFRESH PUBLICATION" ||
	sed 's/^/# /' "$W/lsub.out"

tools/wes-snapshot import -q -d "$(conninfo "$PORT" lpub)" -i "$W/a.wessnap" &&
	"$WES_LOAD" -q -d "$(conninfo "$PORT" lpub)" "$W/b.blk" && logical_converge "$PORT" lpub "$PORT" lsub
ok $? "the publisher imports the snapshot and writes the 10 blocks after it; the subscriber applies them within 60 s"
bad=$(wes_tables_differ "$PORT" lpub "$PORT" lsub)
[ "$(chain_tip "$PORT" lsub)" == "$(tip_row "$W/b.tip")" ] && [ -z "$bad" ] &&
	[ "$(q "$PORT" lsub "SELECT count(*) FROM wes.prior_txids")" == "$mints" ]
ok $? "the subscriber has the generator's tip, the $mints ids and every row of the publisher${bad:+ (differ: $bad)}"
