#!/usr/bin/env bash
# A chain database through pg_dump and back: the backup an operator makes with
# PostgreSQL's own tools (docs/backup.md).
#
# On a cluster on WES_TEST_PORT+9: a generated chain (resources, state outputs,
# references) is loaded into one database, with a resource's content and a snapshot.
# Its dump, custom format through pg_restore --single-transaction --exit-on-error and
# plain format through psql -v ON_ERROR_STOP=1, must restore into empty databases
# without an error; each copy must hold the same rows in every table of schema wes, the
# same tip, and let wes_verify() find nothing.  Then the rest of the chain is loaded into
# the original and into a copy, and both must end on the generator's tip with the same
# rows.  A dump made without --no-publications restores too: its only errors are that
# wes_publication, which CREATE EXTENSION makes, exists already.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PORT=$((WES_TEST_PORT + 9))
plan 14
integ_workdir
W=$INTEG_WORK

GEN=("$WES_GEN" -q -b 40 --resource-share 0.1 --state-share 0.1 --reference-share 0.1
	 --inblock-share 0.1 --addresses 50)
"${GEN[@]}" -n 20 -s dump -o "$W/a.blk" --state-out "$W/a.state" --tip-out "$W/a.tip" &&
	"${GEN[@]}" -n 10 -s dump-b --state-in "$W/a.state" -o "$W/b.blk" --tip-out "$W/b.tip" ||
	bail "wes-gen failed"

integ_cluster DIR dump "$PORT" || bail "the cluster did not start"
for db in src custom plain public; do
	q "$PORT" postgres "CREATE DATABASE $db" || bail "cannot create database $db"
done
q "$PORT" src "CREATE EXTENSION amcheck" "CREATE EXTENSION wes_persist" &&
	"$WES_LOAD" -q -d "$(conninfo "$PORT" src)" "$W/a.blk" &&
	q "$PORT" src "SELECT wes_write_resource('\\x68656c6c6f'::bytea, 'text/plain')" \
		"SELECT wes_snapshot_create()" >/dev/null
ok $? "src holds 20 blocks, a resource's content and a snapshot"

dump() { pg_dump -h /tmp -p "$PORT" -U postgres -d src "$@"; }

dump -Fc --no-publications -f "$W/src.dump" 2>"$W/dump.err" && dump -Fc -f "$W/pub.dump" 2>>"$W/dump.err"
ok $? "pg_dump -Fc, with --no-publications and without" || sed 's/^/# /' "$W/dump.err"

pg_restore -h /tmp -p "$PORT" -U postgres -d custom --single-transaction --exit-on-error \
	"$W/src.dump" >"$W/restore.err" 2>&1
ok $? "pg_restore --single-transaction --exit-on-error into an empty database: no error" ||
	sed 's/^/# /' "$W/restore.err"

dump -Fp --no-publications 2>"$W/dump.err" |
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -h /tmp -p "$PORT" -U postgres -d plain \
		-v ON_ERROR_STOP=1 --single-transaction >/dev/null 2>"$W/psql.err"
ok $? "a plain dump through psql -v ON_ERROR_STOP=1 into an empty database: no error" ||
	sed 's/^/# /' "$W/dump.err" "$W/psql.err"

TIP_A=$(tip_row "$W/a.tip")
for db in custom plain; do
	tip=$(chain_tip "$PORT" "$db")
	bad=$(wes_tables_differ "$PORT" src "$PORT" "$db")
	[ "$tip" == "$TIP_A" ] && [ -z "$bad" ]
	ok $? "$db: wes_chain_tip() (as wes_reader) is the generator's, and every table of wes holds src's rows" ||
		diag "tip: $tip, expected $TIP_A" "tables that differ: $bad"
done

findings=$(q "$PORT" custom "SELECT count(*) FROM wes_verify()" 2>&1)
is "$findings" 0 "custom: wes_verify() finds nothing" ||
	q "$PORT" custom "SELECT * FROM wes_verify() LIMIT 5" 2>&1 | sed 's/^/# /'

"$WES_LOAD" -q -d "$(conninfo "$PORT" src)" "$W/b.blk" && "$WES_LOAD" -q -d "$(conninfo "$PORT" custom)" "$W/b.blk"
ok $? "wes-load continues the chain on src and on the restored copy"
TIP_B=$(tip_row "$W/b.tip")
is "$(chain_tip "$PORT" custom)" "$TIP_B" \
	"custom: the tip is then the generator's tip and state root"
bad=$(wes_tables_differ "$PORT" src "$PORT" custom)
ok "$([ -z "$bad" ] && echo 0 || echo 1)" "custom: every table of wes still holds src's rows${bad:+ (differ: $bad)}"
is "$(q "$PORT" custom "SELECT count(*) FROM wes_verify()" 2>&1)" 0 "custom: wes_verify() still finds nothing"

# Without --no-publications the dump carries wes_publication, which the restore's CREATE
# EXTENSION has already made: pg_restore goes on past the two statements and says so
pg_restore -h /tmp -p "$PORT" -U postgres -d public "$W/pub.dump" >"$W/pub.err" 2>&1
rc=$?
others=$(grep -c '^pg_restore: error:' "$W/pub.err")
publication=$(grep -c '^pg_restore: error: could not execute query: ERROR:  .*wes_publication' "$W/pub.err")
is "$rc:$others:$publication" "1:2:2" \
	"a dump with the publication: pg_restore's only errors are the two statements of wes_publication" ||
	sed 's/^/# /' "$W/pub.err"
tip=$(chain_tip "$PORT" public)
findings=$(q "$PORT" public "SELECT count(*) FROM wes_verify()" 2>&1)
[ "$tip" == "$TIP_A" ] && [ "$findings" == 0 ]
ok $? "that restore holds the chain all the same: the dump's tip, and wes_verify() finds nothing" ||
	diag "tip: $tip" "findings: $findings"
is "$(q "$PORT" public "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'wes_publication'")" \
	"$(q "$PORT" public "SELECT count(*) FROM pg_tables WHERE schemaname = 'wes'")" \
	"and its wes_publication publishes every table of wes, as after CREATE EXTENSION"

exit $((T_FAILED > 0))
