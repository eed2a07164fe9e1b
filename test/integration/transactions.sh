#!/usr/bin/env bash
# TAP: what needs a cluster setting or a database of its own: two-phase commit, and
# databases whose encoding is not UTF8.
#
# On a cluster on WES_TEST_PORT+14 with max_prepared_transactions = 2:
#   1. wes_write_blocks in a transaction that is prepared (PREPARE TRANSACTION): other
#      sessions still see the tip before it, and a writer of the next height waits on the
#      prepared transaction's lock (lock_timeout: 55P03); ROLLBACK PREPARED leaves nothing;
#      prepared again and COMMIT PREPARED, the tip is its last block and later blocks
#      follow to the generator's tip and state root.
#   2. A snapshot import that is not finished cannot be prepared (55000), as it cannot be
#      committed, and the transaction rolls back.
#   3. Databases in SQL_ASCII and LATIN1: the chain loads, a block's JSON form converts
#      back to its bytes and the block is written from it, a resource with a non-ASCII
#      media type is written and read back, and wes_verify() finds nothing.  A resource
#      output's name that LATIN1 lacks (日本.txt) reads as NULL there, and that block has
#      no JSON form (22P05 naming the field); SQL_ASCII passes the name through.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PORT=$((WES_TEST_PORT + 14))
DB=wes
plan 18
integ_workdir
W=$INTEG_WORK

"$WES_GEN" -q -n 12 -b 30 --resource-share 0.1 --state-share 0.1 --inblock-share 0.1 --addresses 40 -s two-phase \
	-o "$W/a.blk" --state-out "$W/a.state" --tip-out "$W/a.tip" &&
	"$WES_GEN" -q -n 4 -b 30 --addresses 40 -s two-phase-b --state-in "$W/a.state" -o "$W/b.blk" \
		--state-out "$W/b.state" --tip-out "$W/b.tip" &&
	"$WES_GEN" -q -n 2 -b 30 --addresses 40 -s two-phase-c --state-in "$W/b.state" -o "$W/c.blk" --tip-out "$W/c.tip" ||
	bail "wes-gen failed"
integ_cluster DIR transactions "$PORT" "max_prepared_transactions = 2" || bail "the cluster did not start"
q "$PORT" postgres "CREATE DATABASE $DB" && q "$PORT" "$DB" "CREATE EXTENSION wes_persist" "CREATE EXTENSION amcheck" ||
	bail "cannot create the database"
"$WES_LOAD" -q -d "$(conninfo "$PORT" $DB)" "$W/a.blk" || bail "wes-load failed"
stage_blocks "$PORT" "$DB" "$W/b.blk" 12 || bail "cannot stage b.blk"
PREPARE_SQL=("BEGIN" "SELECT wes_write_blocks(array_agg(raw ORDER BY h)) FROM staged" "PREPARE TRANSACTION 'blocks'")

# ---- 1. two-phase commit ----
q "$PORT" "$DB" "${PREPARE_SQL[@]}" >/dev/null
is "$?|$(q "$PORT" postgres "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'blocks'")|$(chain_tip "$PORT" "$DB")" \
	"0|1|$(tip_row "$W/a.tip")" "blocks 12-15 written in a prepared transaction: the others still see block 11 as the tip"
is "$(sqlstate "$PORT" "$DB" "SET lock_timeout = '300ms'" "SELECT wes_write_block(raw) FROM staged WHERE h = 12")" 55P03 \
	"a writer of block 12 waits on the prepared transaction's lock (lock_timeout: 55P03)"
q "$PORT" "$DB" "ROLLBACK PREPARED 'blocks'"
is "$?|$(chain_tip "$PORT" "$DB")|$(q "$PORT" "$DB" "SELECT count(*) FROM wes.blocks WHERE height >= 12")" \
	"0|$(tip_row "$W/a.tip")|0" "ROLLBACK PREPARED leaves nothing of blocks 12-15"
q "$PORT" "$DB" "${PREPARE_SQL[@]}" >/dev/null && q "$PORT" "$DB" "COMMIT PREPARED 'blocks'"
is "$?|$(chain_tip "$PORT" "$DB")" "0|$(tip_row "$W/b.tip")" \
	"prepared again, COMMIT PREPARED: the tip is block 15, at the generator's state root"
"$WES_LOAD" -q -d "$(conninfo "$PORT" $DB)" "$W/c.blk"
is "$?|$(chain_tip "$PORT" "$DB")|$(q "$PORT" "$DB" "SELECT count(*) FROM wes_verify()")" "0|$(tip_row "$W/c.tip")|0" \
	"later blocks follow to the generator's tip, and wes_verify() finds nothing"

# ---- 2. an unfinished snapshot import cannot be prepared ----
# the first 2000 bytes of the tip's snapshot file, as hex
HEAD_HEX=$(q "$PORT" "$DB" "SELECT encode(substr(string_agg(c, ''::bytea), 1, 2000), 'hex') FROM wes_snapshot_export() c") &&
	q "$PORT" postgres "CREATE DATABASE fresh" && q "$PORT" fresh "CREATE EXTENSION wes_persist" ||
	bail "cannot export the snapshot"
is "$(sqlstate "$PORT" fresh "BEGIN" "SELECT wes_snapshot_import_begin()" \
	"SELECT wes_snapshot_import_append(decode('$HEAD_HEX', 'hex'))" "PREPARE TRANSACTION 'import'")|$(q "$PORT" postgres "SELECT count(*) FROM pg_prepared_xacts")|$(q "$PORT" fresh "SELECT count(*) FROM wes.outputs")" \
	"55000|0|0" "PREPARE TRANSACTION of an unfinished snapshot import fails (55000) and rolls back: no prepared transaction, no row"

# ---- 3. databases that are not UTF8 ----
BLOCK_HEX=$(q "$PORT" "$DB" "SELECT encode(raw, 'hex') FROM staged WHERE h = 12")
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
lp() { echo "$(le32 $((${#1} / 2)))$1"; }
# resource metadata (wasm, size 10, text/plain) named by the UTF-8 hex $1, and a block at
# height 0 holding one output with it (hand-built: its roots do not matter to these reads)
resource_meta_hex() { echo "010a00000000000000$(lp 746578742f706c61696e)$(lp "$1")"; }
META_JA=$(resource_meta_hex e697a5e69cac2e747874)
META_CAFE=$(resource_meta_hex 636166c3a92e747874)
# transaction: version 1, no input, one output (kind 1, owner 01.., amount 1, ref 22.., no
# lock, that metadata), no payload; the block: header (version 1, the rest zero), then it
# and one success receipt with no fee, return data or logs
OUTPUT_HEX="01$(printf '01%.0s' {1..20})0100000000000000$(printf '22%.0s' {1..32})00000000$(lp "$META_JA")"
TX_HEX="$(le32 1)$(le32 0)$(le32 1)${OUTPUT_HEX}00000000"
JA_BLOCK_HEX="$(le32 1)$(printf '00%.0s' {1..152})$(le32 1)$(lp "$TX_HEX")$(lp "00$(printf '00%.0s' {1..8})$(le32 0)$(le32 0)")"
for enc in SQL_ASCII LATIN1; do
	edb=wes_$(echo "$enc" | tr 'A-Z_' 'a-z_')
	q "$PORT" postgres "CREATE DATABASE $edb ENCODING '$enc' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" &&
		q "$PORT" "$edb" "CREATE EXTENSION wes_persist" "CREATE EXTENSION amcheck" &&
		"$WES_LOAD" -q -d "$(conninfo "$PORT" "$edb")" "$W/a.blk"
	is "$?|$(chain_tip "$PORT" "$edb")" "0|$(tip_row "$W/a.tip")" "$enc database: the chain loads to the generator's tip"
	is "$(psql -X -q -At -h /tmp -p "$PORT" -U postgres -d "$edb" -v ON_ERROR_STOP=1 -v hex="$BLOCK_HEX" 2>&1 <<'EOF'
SELECT wes_block_from_jsonb(wes_block_to_jsonb(decode(:'hex', 'hex'))) = decode(:'hex', 'hex');
SELECT wes_write_block(wes_block_to_jsonb(decode(:'hex', 'hex'))) IS NOT NULL;
SELECT height FROM wes_chain_tip();
EOF
)" "t"$'\n'"t"$'\n'"12" "$enc database: a block's JSON form converts back to its bytes, and block 12 is written from it"
	is "$(PGCLIENTENCODING=UTF8 q "$PORT" "$edb" \
		"SELECT wes_write_resource(convert_to('café', 'UTF8'), 'text/plain; name=café') IS NOT NULL" \
		"SELECT media_type || ' ' || convert_from(wes_resource_read(content_hash), 'UTF8') FROM wes_api.resource_content")" \
		"t"$'\n'"text/plain; name=café café" "$enc database: a resource with a non-ASCII media type is written and read back"
	is "$(q "$PORT" "$edb" "SELECT count(*) FROM wes_verify()")" 0 "$enc database: wes_verify() finds nothing"
	case $enc in
	LATIN1) names="NULL text/plain"$'\n'"café.txt text/plain"
		json="ERROR:  the block has no JSON form in this database: \$.transactions[0].outputs[0].data.name holds a character that encoding LATIN1 lacks" ;;
	*) names="日本.txt text/plain"$'\n'"café.txt text/plain"; json="日本.txt" ;;
	esac
	is "$(PGCLIENTENCODING=UTF8 q "$PORT" "$edb" "SELECT coalesce(m.name, 'NULL') || ' ' || m.media_type
		FROM unnest(ARRAY['$META_JA', '$META_CAFE']) WITH ORDINALITY d(h, n), wes.resource_meta(decode(d.h, 'hex')) m ORDER BY d.n")" \
		"$names" "$enc database: resource names 日本.txt and café.txt read as ${names//$'\n'/, }"
	is "$(PGCLIENTENCODING=UTF8 q "$PORT" "$edb" \
		"SELECT wes_block_to_jsonb(decode('$JA_BLOCK_HEX', 'hex')) #>> '{transactions,0,outputs,0,data,name}'" 2>&1 | head -n 1)" \
		"$json" "$enc database: the JSON form of a block naming 日本.txt: ${json#ERROR:  }"
done

exit $((T_FAILED > 0))
