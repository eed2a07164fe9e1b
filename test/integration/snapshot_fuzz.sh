#!/usr/bin/env bash
# TAP: fuzz the snapshot file's import inside a real server.  A snapshot file may come
# from anyone (a node starting from another's UTXO set), and its records are checked as
# they arrive, before the checksum at the end can be.  On a cluster on WES_TEST_PORT+13, a
# chain with assets, resources and states is loaded into one database and its tip
# exported (wes_snapshot_export); snapshot_fuzz.sql then feeds WES_SNAP_FUZZ_N mutants of
# that file (default 5000; seed WES_SNAP_FUZZ_SEED) to wes_snapshot_import in a second,
# empty database, each undone after.  Mutants: bytes changed, u32s set to edge values,
# cuts, insertions, deletions, records swapped, repeated or left out (with the count as
# it was or made to match), created heights and output lengths out of range, the
# header's height and count, an output's bytes, the transaction ids' count, ids swapped or
# repeated, cuts in the checksum; 60% of them with the checksum made
# right again, so that the record checks, not the checksum, must catch them; half of
# them imported in chunks of random sizes (1 to 4000 bytes, most small).
#
# Every mutant must be imported or fail with 22P03 naming the byte offset, or WE003.
# One imported must hold the original's UTXO set and state root: the format commits to
# nothing else, so only the header's height and block hash, the records' created heights
# and the transaction ids may differ, and then only when the checksum was made right.  The server stays
# up, the errors reach every record check, and the database is empty after.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PORT=$((WES_TEST_PORT + 13))
N=${WES_SNAP_FUZZ_N:-5000}
SEED=${WES_SNAP_FUZZ_SEED:-0.17}

plan 12
integ_workdir
W=$INTEG_WORK

"$WES_GEN" -q -n 20 -b 50 --resource-share 0.1 --state-share 0.1 --addresses 40 -s snapfuzz \
	-o "$W/chain.blk" --tip-out "$W/chain.tip" || bail "wes-gen failed"
integ_cluster DIR snapshot-fuzz "$PORT" || bail "the cluster did not start"
q "$PORT" postgres "CREATE DATABASE src" "CREATE DATABASE fz" &&
	q "$PORT" src "CREATE EXTENSION wes_persist" &&
	q "$PORT" fz "CREATE EXTENSION wes_persist" "CREATE EXTENSION amcheck" "CREATE TABLE public.snap (f bytea)" ||
	bail "cannot create the databases"
"$WES_LOAD" -q -d "$(conninfo "$PORT" src)" "$W/chain.blk"
ok $? "wes-load writes a chain of 20 blocks with assets, resources and states"
q "$PORT" src "SELECT encode(string_agg(c, ''::bytea), 'hex') FROM wes_snapshot_export() c" >"$W/snap.hex" &&
	psql -X -q -h /tmp -p "$PORT" -U postgres -d fz -v ON_ERROR_STOP=1 -v hex="$(cat "$W/snap.hex")" \
		<<<"INSERT INTO snap SELECT decode(:'hex', 'hex')"
is "$?|$(q "$PORT" fz "SELECT length(f) > 92 + 32 FROM snap")" "0|t" \
	"its tip is exported as a snapshot file ($(($(wc -c <"$W/snap.hex") / 2)) bytes)"

start=$(date +%s)
psql -X -q -h /tmp -p "$PORT" -U postgres -d fz -v n="$N" -v seed="$SEED" \
	-f "$INTEG_ROOT/test/integration/snapshot_fuzz.sql" >"$W/fuzz.log" 2>&1
is "$?|$(q "$PORT" fz "SELECT count(*) FROM fuzz_results")" "0|$N" \
	"$N mutants were fed to wes_snapshot_import, whole or in chunks, and the server stayed up ($(($(date +%s) - start)) s)" ||
	tail -n 20 "$W/fuzz.log" | sed 's/^/# /'

diag "outcomes: $(q "$PORT" fz "SELECT string_agg(o || ' ' || n, ', ' ORDER BY n DESC) FROM (
	SELECT coalesce(sqlstate, outcome) || CASE WHEN fixed THEN ' (checksum made right)' ELSE '' END AS o, count(*) AS n
	FROM fuzz_results GROUP BY 1) x")"

# none QUERY DESCRIPTION: ok when QUERY returns no row; else the first rows
none() {
	local out
	out=$(q "$PORT" fz "$1" 2>&1)
	is "$out" "" "$2" || true
}
none "SELECT id, kind, chunked, fixed, sqlstate, message FROM fuzz_results
	WHERE outcome = 'error' AND sqlstate NOT IN ('22P03', 'WE003') LIMIT 5" \
	"every mutant refused fails with 22P03 or WE003"
none "SELECT id, kind, message FROM fuzz_results
	WHERE sqlstate = '22P03' AND message !~ '^invalid snapshot file at byte offset [0-9]+: ' LIMIT 5" \
	"every 22P03 names the byte offset where the file goes wrong"
none "SELECT id, kind, chunked, fixed FROM fuzz_results
	WHERE outcome = 'imported' AND NOT (as_original AND tip_as_file) LIMIT 5" \
	"every mutant imported holds the original's UTXO set and state root, created at or below the tip its header names"
none "SELECT id, kind, chunked FROM fuzz_results WHERE outcome = 'imported' AND NOT fixed AND NOT unchanged LIMIT 5" \
	"no altered file is imported without its checksum made right"
is "$(q "$PORT" fz "SELECT count(*) FILTER (WHERE outcome = 'error') > count(*) * 0.8,
		count(DISTINCT kind) FILTER (WHERE outcome = 'error') FROM fuzz_results")" "t|13" \
	"most mutants are refused, of every kind of mutation"

# Each check of the import reached by some mutant; those of the records, the count and the
# state root by one whose checksum was made right (the checksum, checked last, cannot hide them)
missing=""
for pat in "is not above the one before it" "was created above the snapshot's height" \
	"^invalid snapshot file at byte offset [0-9]+: output of record" "is longer than 1 GB" \
	"is cut short" "runs past the records" "follow the last transaction id" "utxo_count is above" \
	"transaction id [0-9]+ is not above" "txid_count [0-9]+ does not fit" "transaction id [0-9]+ of [0-9]+ is cut short" \
	"leaves no height for the next block" "do not commit to its state_root" "!into its 32-byte checksum" "!the checksum does not match"; do
	cond="fixed AND"
	[ "${pat:0:1}" = "!" ] && { cond=""; pat=${pat:1}; }
	[ "$(q "$PORT" fz "SELECT count(*) > 0 FROM fuzz_results WHERE $cond message ~ \$re\$$pat\$re\$")" = t ] ||
		missing+=" [$pat]"
done
is "$missing" "" "mutants reach every check of the import; the checks of the records, the count and the state root with the checksum made right"

is "$(q "$PORT" fz "SELECT (SELECT count(*) FROM wes.outputs) + (SELECT count(*) FROM wes.blocks) + (SELECT count(*) FROM wes.prior_txids)
	+ (SELECT count(*) FROM wes.snapshots) || '|' || coalesce((SELECT height::text FROM wes_chain_tip()), 'empty')")" \
	"0|empty" "after the run the database is still empty"
q "$PORT" fz "SELECT count(*) FROM wes_snapshot_import((SELECT f FROM snap))" >/dev/null
is "$?|$(chain_tip "$PORT" fz)" "0|$(tip_row "$W/chain.tip")" \
	"the original file then imports, at the generator's tip"
is "$(q "$PORT" fz "SELECT count(*) FROM wes_verify()")" 0 "and wes_verify() finds nothing"

exit $((T_FAILED > 0))
