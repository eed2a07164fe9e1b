#!/usr/bin/env bash
# Snapshot export and import between two databases: a generated chain (wes-gen),
# its first part loaded into one database, exported by a reader role (CLI and
# psql alone give the same bytes), imported by a writer role into a second,
# empty database; then the rest of the chain (wes-gen --state-in) loaded into
# both: same tip, same state root, same UTXO set.  Also: a tampered file, import
# into a chain that has blocks, rollback limits on the imported database, and
# the file at a retained snapshot's height rebuilt after later blocks.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
source scripts/lib.sh

PORT=$(( ${WES_TEST_PORT:-54340} + 3 ))
DIR=$(cluster_dir snapshot-it)
WORK=$(mktemp -d)
trap 'cluster_stop "$DIR"; rm -rf "$WORK"' EXIT
chmod 755 "$WORK"

n=0
check() {	# check NAME COMMAND...: one TAP line
	local name=$1; shift
	n=$((n + 1))
	if "$@" >"$WORK/out" 2>&1; then echo "ok $n - $name"; else echo "not ok $n - $name"; sed 's/^/# /' "$WORK/out"; fi
}
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose "$@"; }
tipval() { sed -n "s/^$2=//p" "$1"; }
export -f tipval
dbtip() { sql -d "$1" -c "SELECT height || ' ' || hash || ' ' || state_root FROM wes.chain_state"; }
same() { [ "$1" = "$2" ] || { echo "got '$1', expected '$2'"; return 1; }; }
fails_with() {	# fails_with SQLSTATE COMMAND...: the command fails and prints that SQLSTATE
	local state=$1; shift
	if "$@" >"$WORK/err" 2>&1; then echo "succeeded"; return 1; fi
	grep -q "$state" "$WORK/err" || { cat "$WORK/err"; return 1; }
}

echo "1..19"
GEN=(tools/wes-gen -q -b 40 -i 2 -u 2 --resource-share 0.1 --state-share 0.1 --reference-share 0.1
	 --inblock-share 0.1 --addresses 50 -s snapshot-it)
"${GEN[@]}" -n 30 -o "$WORK/a.wes" --state-out "$WORK/a.state" --tip-out "$WORK/a.tip"
"${GEN[@]}" -n 25 --state-in "$WORK/a.state" -o "$WORK/b.wes" --tip-out "$WORK/b.tip"
A_TIP="$(tipval "$WORK/a.tip" height) $(tipval "$WORK/a.tip" hash) $(tipval "$WORK/a.tip" state_root)"
B_TIP="$(tipval "$WORK/b.tip" height) $(tipval "$WORK/b.tip" hash) $(tipval "$WORK/b.tip" state_root)"

cluster_fresh "$DIR" "$PORT" >/dev/null || { echo "not ok 1 - cluster starts"; exit 1; }
for db in src dst other; do sql -d postgres -c "CREATE DATABASE $db"; sql -d $db -c "CREATE EXTENSION wes_persist"; done
sql -d postgres -c "DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'snap_reader') THEN CREATE ROLE snap_reader LOGIN IN ROLE wes_reader; END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'snap_writer') THEN CREATE ROLE snap_writer LOGIN IN ROLE wes_writer; END IF;
END \$\$"

check "the first part of the chain loads into src" tools/wes-load -q -d "dbname=src" "$WORK/a.wes"
check "a snapshot of src's tip is recorded" sql -d src -c "SELECT wes_snapshot_create()"
check "a reader role exports src's tip with wes-snapshot" \
	tools/wes-snapshot export -q -d "dbname=src user=snap_reader" -o "$WORK/a.wessnap"
check "psql alone produces the same bytes" bash -c "psql -X -At -d 'dbname=src user=snap_reader' \
	-c \"SELECT encode(c, 'hex') FROM wes_snapshot_export() c\" | xxd -r -p | cmp - '$WORK/a.wessnap'"
check "the file's header is the generator's tip" bash -c "tools/wes-snapshot check -i '$WORK/a.wessnap' > '$WORK/a.check' &&
	[ \"\$(grep -E '^(height|hash|state_root)=' '$WORK/a.check')\" = \"\$(grep -E '^(height|hash|state_root)=' '$WORK/a.tip')\" ] &&
	grep -qx \"utxo_count=\$(tipval '$WORK/a.tip' utxo_count)\" '$WORK/a.check'"

# A record changed and the checksum made right again: only the state root can tell
python3 - "$WORK/a.wessnap" "$WORK/bad.wessnap" <<'PY'
import hashlib, sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[92 + 48 + 1] ^= 1          # the first record's output: a byte of its owner
b[-32:] = hashlib.blake2b(bytes(b[:-32]), digest_size=32).digest()
open(sys.argv[2], 'wb').write(b)
PY
check "a tampered record with a valid checksum is refused (WE003)" \
	fails_with WE003 tools/wes-snapshot import -q -d "dbname=other user=snap_writer" -i "$WORK/bad.wessnap"
check "import into a chain that has blocks is refused (WE006)" \
	fails_with WE006 tools/wes-snapshot import -q -d "dbname=src user=snap_writer" -i "$WORK/a.wessnap"
check "outside a transaction block, an import in chunks cannot begin (25P01)" \
	fails_with 25P01 sql -d other -c "SELECT wes_snapshot_import_begin()"
check "a transaction cannot commit an unfinished import (55000)" \
	fails_with 55000 sql -d other -c "BEGIN" -c "SELECT wes_snapshot_import_begin()" \
	-c "SELECT wes_snapshot_import_append(pg_read_binary_file('$WORK/a.wessnap'))" -c "COMMIT"
check "... and leaves nothing behind" same "$(sql -d other -c "SELECT (SELECT count(*) FROM wes.outputs) || ' ' || coalesce(height, -1) FROM wes.chain_state")" "0 -1"
check "a writer role imports the file into the empty dst, in chunks of 4 KiB" bash -c "
	tools/wes-snapshot import -c 4096 -d 'dbname=dst user=snap_writer' -i '$WORK/a.wessnap' 2>'$WORK/imp.out' &&
	[ \$(sed -n 's/^chunks=//p' '$WORK/imp.out') -gt 10 ]"
check "dst's tip is the first part's tip" same "$(dbtip dst)" "$A_TIP"

check "the rest of the chain loads into src" tools/wes-load -q -d "dbname=src" "$WORK/b.wes"
check "the rest of the chain loads into dst, on top of the snapshot" tools/wes-load -q -d "dbname=dst" "$WORK/b.wes"
check "src and dst have the generator's final tip and state root" \
	bash -c "[ \"\$(psql -X -At -d src -c 'SELECT height||chr(32)||hash||chr(32)||state_root FROM wes.chain_state')\" = '$B_TIP' ] &&
			 [ \"\$(psql -X -At -d dst -c 'SELECT height||chr(32)||hash||chr(32)||state_root FROM wes.chain_state')\" = '$B_TIP' ]"
check "src and dst export the same UTXO set, byte for byte" bash -c "
	tools/wes-snapshot export -q -d dbname=src -o '$WORK/src.wessnap' &&
	tools/wes-snapshot export -q -d dbname=dst -o '$WORK/dst.wessnap' && cmp '$WORK/src.wessnap' '$WORK/dst.wessnap'"
check "src rebuilds the file of its retained snapshot after later blocks" bash -c "
	tools/wes-snapshot export -q -d dbname=src -H $(tipval "$WORK/a.tip" height) -o '$WORK/again.wessnap' &&
	cmp '$WORK/again.wessnap' '$WORK/a.wessnap'"
check "dst rolls back to the imported height" same \
	"$(sql -d dst -c "SELECT wes_rollback_to($(tipval "$WORK/a.tip" height))" && dbtip dst)" \
	"$(( $(tipval "$WORK/b.tip" height) - $(tipval "$WORK/a.tip" height) ))
$A_TIP"
check "and no further (WE006)" fails_with WE006 sql -d dst -c "SELECT wes_rollback_to($(tipval "$WORK/a.tip" height) - 1)"
