#!/usr/bin/env bash
# TAP: the command-line tools at their edges: wes-load, wes-gen and wes-snapshot on
# inputs that once gave a wrong result, a wrong status or a misleading message.
# - wes-load compares the blocks it skips (at or below the tip) with the database's:
#   a file of another chain is refused with both hashes and status 1, past one
#   query's run of heights too; on a chain from a snapshot, heights below its base
#   are skipped unchecked and the snapshot's own height is compared with the tip.
# - wes-load reads heights as the u64s they are: one above 2^63 - 1 is refused,
#   never skipped as a negative height.
# - wes-snapshot export takes the server's chunks whatever their size, and leaves
#   no FILE.part behind when it fails.
# - wes-load --check takes transactions of any number of inputs, and still finds an
#   outpoint named twice.
# - wes-gen names an oversize block, uses every byte of a seed, and writes nothing
#   for -t 0.
# - option and message details of the three tools.
# - wes-load as a login role that holds only wes_writer (it reads the tip first).
# Cluster on WES_TEST_PORT+16.
set -uo pipefail

source "$(dirname "$0")/lib/common.sh"
cd "$INTEG_ROOT" || exit 1
PORT=$((WES_TEST_PORT + 16))
WES_SNAPSHOT=$INTEG_ROOT/tools/wes-snapshot
integ_workdir
W=$INTEG_WORK

plan 35

# Chain a: heights 0..29; a2 and a3 continue it to 39, each its own way; b is another chain
GEN=("$WES_GEN" -q -b 20 --addresses 50)
"${GEN[@]}" -n 30 -s cli-a -o "$W/a.blk" --state-out "$W/a.state" &&
	"${GEN[@]}" -n 10 -s cli-a2 --state-in "$W/a.state" -o "$W/a2.blk" &&
	"${GEN[@]}" -n 10 -s cli-a3 --state-in "$W/a.state" -o "$W/a3.blk" &&
	"${GEN[@]}" -n 20 -s cli-b -o "$W/b.blk" || bail "wes-gen failed"

integ_cluster DIR toolscli "$PORT" 2>/dev/null || bail "cluster did not start"
new_db() { q "$PORT" postgres "CREATE DATABASE $1" && q "$PORT" "$1" "CREATE EXTENSION wes_persist"; }
# load DB FILE...: wes-load -q into DB; its stderr in $W/load.err (and a failure's summary in load.out)
load() { local db=$1; shift; "$WES_LOAD" -q -d "$(conninfo "$PORT" "$db")" "$@" >"$W/load.out" 2>"$W/load.err"; }
tip_of() { q "$PORT" "$1" "SELECT coalesce(max(height), -1) FROM wes_api.tip"; }
db_hash() { q "$PORT" "$1" "SELECT hash FROM wes_api.tip WHERE height = $2 UNION SELECT hash FROM wes_api.blocks WHERE height = $2"; }
# refused DB FILE TEXT TIP NAME: wes-load of FILE into DB exits 1 with TEXT in its error and
# leaves the tip at TIP ("" skips the tip); on a failure the error goes to the TAP output
refused() {
	local db=$1 file=$2 text=$3 tip=$4 rc named; shift 4
	load "$db" "$file"
	rc=$?
	grep -qF "$text" "$W/load.err"
	named=$?
	if [ -n "$tip" ]; then
		is "$rc $named $(tip_of "$db")" "1 0 $tip" "$@"
	else
		is "$rc $named" "1 0" "$@"
	fi || sed 's/^/# /' "$W/load.err"
}
# file_hash FILE RECORD: the hash of a record's block, BLAKE2b-256 of its 156-byte header
file_hash() { bf_hex "$1" "$2" 156 | xxd -r -p | b2sum -l 256 | cut -d ' ' -f 1; }
# records FILE FIRST LAST: the records FIRST..LAST of a block file, without magic or end marker
records() {
	local from to
	from=$(bf_offsets "$1" | awk -v r="$2" 'NR == r + 1 { print $1 - 4 }')
	to=$(bf_offsets "$1" | awk -v r="$3" 'NR == r + 1 { print $1 + $2 }')
	tail -c "+$((from + 1))" "$1" | head -c "$((to - from))"
}
magic() { printf 'WESBLK1\n'; }
end_marker() { printf '\0\0\0\0'; }
# poke FILE OFFSET HEX: overwrite the bytes at OFFSET
poke() { printf '%s' "$3" | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# usage_error WANT COMMAND...: the command exits 2 and its stderr holds WANT
usage_error() {
	local want=$1; shift
	"$@" >/dev/null 2>"$W/usage.err"
	[ $? -eq 2 ] && grep -qF -- "$want" "$W/usage.err" || { sed 's/^/# /' "$W/usage.err"; return 1; }
}

# ---- 1: the blocks wes-load skips are the database's ----
new_db one >/dev/null || bail "CREATE EXTENSION failed"
load one "$W/a.blk" && load one "$W/a2.blk" || bail "chain a did not load"
refused one "$W/b.blk" "b.blk: the block at height 0 has hash $(file_hash "$W/b.blk" 0), but the database's block at that height has hash $(db_hash one 0)" "39" \
	"a file of another chain, all at or below the tip: status 1, naming height 0 and both hashes"
refused one "$W/a3.blk" "the block at height 30 has hash $(file_hash "$W/a3.blk" 0), but the database's block at that height has hash $(db_hash one 30)" "39" \
	"a file that leaves the database's chain at height 30, below the tip: status 1 at height 30"
load one "$W/a.blk" && load one "$W/a2.blk"
is "$? $(tip_of one)" "0 39" "the database's own blocks are skipped: status 0, the tip unchanged"

# 1100 blocks: the hashes go in two queries (1024 heights, then 76); the last one differs
LONG=("$WES_GEN" -q -b 1 -i 1 -u 1 -s cli-long)
"${LONG[@]}" -n 1100 -o "$W/long.blk" &&
	"${LONG[@]}" -n 1099 -o "$W/long1099.blk" --state-out "$W/long.state" &&
	"$WES_GEN" -q -b 1 -i 1 -u 1 -s cli-long-other -n 1 --state-in "$W/long.state" -o "$W/other1.blk" ||
	bail "wes-gen failed"
{ head -c -4 "$W/long1099.blk"; tail -c +9 "$W/other1.blk"; } >"$W/longother.blk"
new_db long >/dev/null && load long "$W/long.blk" || bail "the long chain did not load"
load long "$W/long.blk"
is "$? $(tip_of long)" "0 1099" "1100 blocks skipped, compared in two queries: status 0"
refused long "$W/longother.blk" "the block at height 1099 has hash $(file_hash "$W/other1.blk" 0)" "" \
	"1100 blocks of which the last is another chain's: status 1, naming height 1099"

# A chain from a snapshot of one (tip 39): no block below 40, the tip's hash at 39
"$WES_SNAPSHOT" export -q -d "$(conninfo "$PORT" one)" -o "$W/one.snap" && new_db fromsnap >/dev/null &&
	"$WES_SNAPSHOT" import -q -d "$(conninfo "$PORT" fromsnap)" -i "$W/one.snap" || bail "the snapshot did not import"
refused fromsnap "$W/a3.blk" "the block at height 39 has hash $(file_hash "$W/a3.blk" 9), but the database's block at that height has hash $(db_hash one 39)" "39" \
	"on a chain from a snapshot at 39, a file of another block 39 is refused (compared with the tip's hash)"
load fromsnap "$W/a.blk" && load fromsnap "$W/a2.blk" && load fromsnap "$W/b.blk"
is "$? $(tip_of fromsnap)" "0 39" \
	"... its own block 39 is skipped, and heights below the snapshot's have no block to compare: skipped unchecked"

# ---- 2: heights are u64 in the file ----
new_db two >/dev/null && load two "$W/a.blk" || bail "chain a did not load"
{ magic; records "$W/a.blk" 5 5; records "$W/a2.blk" 0 9; end_marker; } >"$W/h63.blk"
poke "$W/h63.blk" 16 0000000000000080
refused two "$W/h63.blk" "h63.blk: record 0 has height 9223372036854775808, above 9223372036854775807, the largest height a database holds" "29" \
	"a record of height 2^63 is refused, naming the record and height; the blocks after it are not written"
{ magic; records "$W/a.blk" 5 5; end_marker; } >"$W/hmax.blk"
poke "$W/hmax.blk" 16 ffffffffffffffff
refused two "$W/hmax.blk" "record 0 has height 18446744073709551615, above 9223372036854775807" "" \
	"a record of height 2^64 - 1 is refused, not skipped"
{ magic; records "$W/a2.blk" 0 0; records "$W/a2.blk" 2 2; end_marker; } >"$W/gap.blk"
new_db gap >/dev/null && load gap "$W/a.blk" || bail "chain a did not load"
refused gap "$W/gap.blk" "has height 32, expected 31" "30" \
	"heights still go up by one from record to record: the block before a gap is written, none from it"

# ---- 3 and 4: wes-snapshot export ----
# A snapshot whose records end where the server cuts a chunk, with no transaction
# id: the chunk before the checksum holds only txid_count, 8 bytes.  The records
# are those of a chain of 8816 one-output blocks, in outpoint order, created at 0.
"$WES_GEN" -q -n 8816 -b 1 -i 0 -u 1 -s z -o /dev/null --state-out "$W/z.state" --tip-out "$W/z.tip" ||
	bail "wes-gen failed"
python3 - "$W/z.state" "$(tip_field "$W/z.tip" state_root)" "$W/z.snap" <<'PY' || bail "cannot build the snapshot"
import hashlib, struct, sys
d = open(sys.argv[1], 'rb').read()
nxt, tip = struct.unpack_from('<Q', d, 8)[0], d[16:48]
n, p, recs = struct.unpack_from('<Q', d, 2096)[0], 2104, []
for _ in range(n):
    idx, ln = struct.unpack_from('<II', d, p + 32)
    recs.append((d[p:p + 32], idx, d[p + 40:p + 40 + ln]))
    p += 40 + ln
recs.sort(key=lambda r: (r[0], r[1]))
out = [b'WESSNAP1', struct.pack('<IQ', 2, nxt - 1), tip, bytes.fromhex(sys.argv[2]), struct.pack('<Q', n)]
out += [t + struct.pack('<IQI', i, 0, len(e)) + e for t, i, e in recs]
out.append(struct.pack('<Q', 0))
b = b''.join(out)
open(sys.argv[3], 'wb').write(b + hashlib.blake2b(b, digest_size=32).digest())
PY
new_db zz >/dev/null && "$WES_SNAPSHOT" import -q -d "$(conninfo "$PORT" zz)" -i "$W/z.snap" ||
	bail "the crafted snapshot did not import"
is "$(q "$PORT" zz "SELECT min(length(c)) < 32 FROM wes_snapshot_export() c")" t \
	"the server cuts that export with a chunk shorter than 32 bytes"
"$WES_SNAPSHOT" export -q -d "$(conninfo "$PORT" zz)" -o "$W/z.out" 2>"$W/export.err" && cmp -s "$W/z.out" "$W/z.snap"
ok $? "wes-snapshot export takes it: the file is the import's, byte for byte" || sed 's/^/# /' "$W/export.err"
"$WES_SNAPSHOT" export -q -d "$(conninfo "$PORT" one)" -H 5 -o "$W/h5.snap" 2>"$W/export.err"
rc=$?
left=$(find "$W" -maxdepth 1 -name 'h5.snap*' | wc -l)
is "$rc $(grep -c WE006 "$W/export.err") $left" "1 1 0" \
	"an export that fails (no snapshot retained at height 5: WE006) leaves neither FILE nor FILE.part"

# ---- 5: wes-load --check takes any number of inputs ----
"$WES_GEN" -q -n 2 -b 2 -i 5000 -u 5000 --utxo-target 0 -s cli-inputs -o "$W/inputs.blk" --tip-out "$W/inputs.tip" ||
	bail "wes-gen failed"
"$WES_LOAD" --check "$W/inputs.blk" >"$W/inputs.check" 2>"$W/check.err" && diff -q "$W/inputs.check" "$W/inputs.tip" >/dev/null
ok $? "wes-load --check accepts transactions of 5000 inputs and prints the generator's tip" ||
	sed 's/^/# /' "$W/check.err"
# Block 1's one transaction spends the two outputs of block 0's: its second input is
# made to name the first's outpoint, with txid and tx_root made right again
"$WES_GEN" -q -n 2 -b 1 -i 2 -u 2 --utxo-target 2 -s cli-twice -o "$W/twice.blk" || bail "wes-gen failed"
python3 - "$W/twice.blk" <<'PY' || bail "cannot build the block"
import hashlib, struct, sys
H = lambda b: hashlib.blake2b(b, digest_size=32).digest()
d = bytearray(open(sys.argv[1], 'rb').read())
blk = 8 + 4 + struct.unpack_from('<I', d, 8)[0] + 4       # block 1
tx = blk + 160 + 4                                        # its one transaction
tx_len = struct.unpack_from('<I', d, tx - 4)[0]
in1 = tx + 8 + 41 + struct.unpack_from('<I', d, tx + 8 + 37)[0]
d[in1:in1 + 36] = d[tx + 8:tx + 8 + 36]
d[blk + 52:blk + 84] = H(b'\0' + H(bytes(d[tx:tx + tx_len])))
open(sys.argv[1], 'wb').write(d)
PY
"$WES_LOAD" --check "$W/twice.blk" >/dev/null 2>"$W/check.err"
rc=$?
grep -qE "record 1: transactions\[0\]\.inputs\[1\]: outpoint [0-9a-f]{64}:[0-9]+ is named twice" "$W/check.err"
is "$rc $?" "1 0" "wes-load --check still finds an outpoint named twice in a transaction" || sed 's/^/# /' "$W/check.err"

# ---- 6, 7, 8: wes-gen ----
"$WES_GEN" -q -n 1 -b 8 -i 10000 -u 10000 --unlock-bytes 4096 --utxo-target 0 -o "$W/huge.blk" 2>"$W/gen.err"
rc=$?
grep -qE "the block at height 0 is [0-9]+ bytes, over the limit of 268435456 .* fewer transactions per block" "$W/gen.err" &&
	! grep -q Success "$W/gen.err"
is "$rc $?" "1 0" "wes-gen names a block over the record limit, its size and the way out" || sed 's/^/# /' "$W/gen.err"
SEED=$(printf 'a%.0s' $(seq 550))
"$WES_GEN" -q -n 2 -b 5 -s "${SEED}X" -o "$W/seedx.blk" && "$WES_GEN" -q -n 2 -b 5 -s "${SEED}Y" -o "$W/seedy.blk" &&
	! cmp -s "$W/seedx.blk" "$W/seedy.blk"
ok $? "two 551-character seeds that differ in their last character give different chains"
"$WES_GEN" -q -n 2 -b 5 -s "${SEED}X" -o "$W/seedx2.blk" && cmp -s "$W/seedx.blk" "$W/seedx2.blk"
ok $? "... and the same long seed gives the same bytes"
"$WES_GEN" -q -t 0 -o "$W/t0.blk" && "$WES_GEN" -q -n 0 -o "$W/n0.blk" && cmp -s "$W/t0.blk" "$W/n0.blk"
is "$? $(stat -c %s "$W/t0.blk")" "0 12" "wes-gen -t 0 writes no block, as -n 0 does"

# ---- 10: options and messages ----
usage_error 'wes-snapshot: --height must be an integer between 0 and 9223372036854775807, not "x"' \
	"$WES_SNAPSHOT" export -H x -o "$W/x.snap"
ok $? "wes-snapshot -H x names --height once, with its bounds"
usage_error 'wes-snapshot: --chunk must be an integer between 1 and 268435456, not "0"' \
	"$WES_SNAPSHOT" import -c 0 -i "$W/one.snap"
ok $? "wes-snapshot -c 0 says why it is refused"
usage_error 'wes-snapshot: --chunk must be an integer between 1 and 268435456, not "268435457"' \
	"$WES_SNAPSHOT" import -c 268435457 -i "$W/one.snap"
ok $? "wes-snapshot -c above 256 MiB names --chunk once, with its bounds"
usage_error 'wes-snapshot: import needs -i FILE' "$WES_SNAPSHOT" import
ok $? "wes-snapshot import without -i says what is missing"
usage_error 'wes-load: --max-block must be an integer between 160 and 268435456, not' "$WES_LOAD" --check --max-block 0 "$W/a.blk"
ok $? "wes-load --max-block 0 is a usage error"
usage_error 'wes-load: --max-block must be an integer between 160 and 268435456, not' "$WES_LOAD" --check --max-block 100 "$W/a.blk"
ok $? "wes-load --max-block 100, below the smallest block, is a usage error"
"$WES_LOAD" --check --max-block 160 "$W/a.blk" >/dev/null 2>"$W/check.err"
is "$? $(grep -c 'has length [0-9]*, outside 160..160' "$W/check.err")" "1 1" "wes-load --max-block 160 is taken"
q "$PORT" postgres "CREATE DATABASE noext" || bail "cannot create database noext"
load noext "$W/a.blk"
rc=$?
grep -qF 'wes-load: the extension wes_persist is not installed in database "noext"' "$W/load.err"
is "$rc $?" "1 0" "wes-load on a database without the extension says so" || sed 's/^/# /' "$W/load.err"
usage_error '--state-in already gives the start: drop --start-height, --prev-hash and --accumulator' \
	"$WES_GEN" -q -n 1 --state-in "$W/a.state" --prev-hash "$(printf '%064d' 0)" -o "$W/never.blk"
ok $? "wes-gen --state-in with --prev-hash is a usage error"
usage_error '--state-in already gives the start' "$WES_GEN" -q -n 1 --state-in "$W/a.state" --start-height 0 -o "$W/never.blk"
ok $? "wes-gen --state-in with --start-height 0 is a usage error too"
mkdir "$W/adir"
"$WES_LOAD" --check "$W/adir" >/dev/null 2>"$W/check.err"
is "$? $(grep -c 'adir: is a directory' "$W/check.err")" "1 1" "wes-load on a directory says it is one"
load one "$W/adir"
is "$? $(grep -c 'adir: is a directory' "$W/load.err")" "1 1" "... with a database too"

# ---- what the fixes must not change ----
"$WES_LOAD" --check "$W/a.blk" >/dev/null 2>&1
ok $? "wes-load --check accepts a generated chain"
new_db pipe >/dev/null || bail "CREATE EXTENSION failed"
# shellcheck disable=SC2002  # a pipe, not a file, on wes-load's stdin
cat "$W/a.blk" | "$WES_LOAD" -q -d "$(conninfo "$PORT" pipe)" - && cat "$W/a.blk" | "$WES_LOAD" -q -d "$(conninfo "$PORT" pipe)" -
is "$? $(tip_of pipe)" "0 29" "through a pipe, a chain loads, and loads again with every block skipped"
new_db writer >/dev/null || bail "CREATE EXTENSION failed"
q "$PORT" writer "DROP ROLE IF EXISTS wes_test_loader" "CREATE ROLE wes_test_loader LOGIN IN ROLE wes_writer" >/dev/null
"$WES_LOAD" -q -d "host=/tmp port=$PORT user=wes_test_loader dbname=writer" "$W/a.blk" 2>"$W/load.err"
is "$? $(tip_of writer)" "0 29" "a login role with only wes_writer loads a chain (a writer reads the tip)" || sed 's/^/# /' "$W/load.err"
q "$PORT" writer "DROP ROLE wes_test_loader" >/dev/null
is "$(q "$PORT" one "CREATE EXTENSION amcheck" "SELECT count(*) FROM wes_verify()")" 0 \
	"wes_verify() finds nothing in the database the refused files met"

exit $((T_FAILED > 0))
