#!/usr/bin/env bash
# TAP: a generated chain of a few thousand transactions (in-block spends, reference
# inputs, resource and state outputs) loaded through wes-load, checked against what
# the generator computed on its own: the final UTXO set (every outpoint and its exact
# encoding) and accumulator from its --state-out file, the tip and state root from its
# --tip-out file; `wes-load --check` on the file agrees offline.  Then the chain is
# continued from the state file and loaded again, and a second run of the loader
# resumes from the tip and writes nothing; wes_verify() finds nothing.  The loader
# sends 16 blocks a call (wes_write_blocks, whose window writes an output spent later
# in the call once, with its mark): loaded one block a call instead, every table holds
# the same rows; a bad block in the middle of a call is reported at its own height, and
# the calls before it stay.  Cluster on WES_TEST_PORT+4.
set -uo pipefail

source "$(dirname "$0")/lib/common.sh"
cd "$INTEG_ROOT" || exit 1
PORT=$((WES_TEST_PORT + 4))
DB=wes_gen
GEN=$WES_GEN
LOAD=$WES_LOAD
integ_workdir
W=$INTEG_WORK

# psql on the test database (the cluster's PG* variables are exported)
sq() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# The generator's state file (docs/block-file.md), read here on its own: header lines
# next_height, tip_hash, accumulator, utxo_count, then one "<txid>:<index> <encoding hex>"
# line per UTXO, sorted
read_state() {
	perl -e '
		open(my $f, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!";
		local $/; my $d = <$f>;
		substr($d, 0, 8) eq "WESGST1\n" or die "not a state file";
		my $n = unpack("Q<", substr($d, 2096, 8));
		printf "next_height=%d\ntip_hash=%s\naccumulator=%s\nutxo_count=%d\n",
			unpack("Q<", substr($d, 8, 8)), unpack("H*", substr($d, 16, 32)), unpack("H*", substr($d, 48, 2048)), $n;
		my ($p, @u) = (2104);
		for (1 .. $n) {
			my ($idx, $len) = unpack("V V", substr($d, $p + 32, 8));
			push @u, sprintf("%s:%d %s", unpack("H*", substr($d, $p, 32)), $idx, unpack("H*", substr($d, $p + 40, $len)));
			$p += 40 + $len;
		}
		$p == length($d) or die "bytes after the last UTXO";
		print "$_\n" for sort @u;' "$1"
}

# Compare the database with a --tip-out file and a --state-out file; $1 names the step
check_against() {
	local what=$1 tip=$2 state=$3
	read_state "$state" >"$W/state.txt" || { ok 1 "$what: the state file reads"; return; }
	is "$(sq -c "SELECT height || ' ' || hash || ' ' || state_root || ' ' || utxo_count FROM wes.chain_state")" \
		"$(tip_field "$tip" height) $(tip_field "$tip" hash) $(tip_field "$tip" state_root) $(tip_field "$tip" utxo_count)" \
		"$what: tip height, hash, state root and UTXO count are the generator's"
	is "$(sq -c 'SELECT height + 1, hash FROM wes.chain_state' -F ' ')" \
		"$(tip_field "$W/state.txt" next_height) $(tip_field "$W/state.txt" tip_hash)" \
		"$what: the tip is the one in the generator's state file"
	is "$(sq -c "SELECT encode(accumulator, 'hex') FROM wes.chain_state")" "$(tip_field "$W/state.txt" accumulator)" \
		"$what: the accumulator's 2048 bytes are the generator's"
	is "$(sq -c "SELECT wes_digest(decode('$(tip_field "$W/state.txt" accumulator)', 'hex'))::text")" \
		"$(sq -c 'SELECT state_root FROM wes.chain_state')" \
		"$what: the state root is H of the generator's accumulator"
	grep ':' "$W/state.txt" >"$W/want.txt"
	sq -c "SELECT outpoint::text || ' ' || encode(wes.output_encoding(kind, owner, amount, ref, lock, data), 'hex')
		   FROM wes.outputs WHERE spent_height IS NULL" | LC_ALL=C sort >"$W/got.txt"
	LC_ALL=C sort -o "$W/want.txt" "$W/want.txt"
	diff -q "$W/got.txt" "$W/want.txt" >/dev/null
	ok $? "$what: the UTXO set ($(wc -l <"$W/want.txt") outputs) has the generator's outpoints and encodings" ||
		diff "$W/got.txt" "$W/want.txt" | head -n 10 | sed 's/^/# /'
	is "$(sq -c 'SELECT count(*) FROM wes.outputs o LEFT JOIN wes.inputs i ON i.outpoint = o.outpoint AND NOT i.reference
				 WHERE (o.spent_by, o.spent_height) IS DISTINCT FROM (i.txid, i.height)')" 0 \
		"$what: every spend mark in wes.outputs is its spend input's txid and height"
	is "$(sq -f "$W/index_check.sql" -c 'SELECT string_agg(d, E'"'"'\n'"'"') FROM pg_temp.index_disagreements() d')" "" \
		"$what: every index of wes returns the rows a sequential scan returns (amcheck, through wes_verify, checks the keys)"
	is "$(sq -c "SELECT string_agg(check_name || ' ' || coalesce(height::text, '') || ' ' || detail, '; ') FROM wes_verify()" 2>&1)" "" \
		"$what: wes_verify() (chain, roots, state commitment by a full scan, amcheck) finds nothing"
}

plan 39

# Every index of schema wes, with its first column and predicate, counted through the
# index (enable_seqscan off; the plan must use it) and by a sequential scan
cat >"$W/index_check.sql" <<'SQL'
CREATE FUNCTION pg_temp.index_disagreements() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	r record;
	q text;
	plan text;
	line text;
	n_idx bigint;
	n_seq bigint;
BEGIN
	FOR r IN SELECT i.indexrelid::regclass::text AS idx, c.relname AS idxname, i.indrelid::regclass::text AS tbl,
					a.attname, pg_get_expr(i.indpred, i.indrelid) AS pred
			 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			 WHERE c.relnamespace = 'wes'::regnamespace ORDER BY 1 LOOP
		q := format('SELECT count(*) FROM %s WHERE %I IS NOT NULL%s', r.tbl, r.attname, coalesce(' AND ' || r.pred, ''));
		PERFORM set_config('enable_seqscan', 'off', true);
		PERFORM set_config('enable_indexscan', 'on', true);
		PERFORM set_config('enable_indexonlyscan', 'on', true);
		PERFORM set_config('enable_bitmapscan', 'on', true);
		plan := '';
		FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
			plan := plan || line || ' ';
		END LOOP;
		EXECUTE q INTO n_idx;
		PERFORM set_config('enable_seqscan', 'on', true);
		PERFORM set_config('enable_indexscan', 'off', true);
		PERFORM set_config('enable_indexonlyscan', 'off', true);
		PERFORM set_config('enable_bitmapscan', 'off', true);
		EXECUTE q INTO n_seq;
		IF plan !~ ('\m' || r.idxname || '\M') THEN
			RETURN NEXT format('%s: not used by %s (%s)', r.idx, q, plan);
		ELSIF n_idx <> n_seq THEN
			RETURN NEXT format('%s: %s rows through the index, %s by a sequential scan', r.idx, n_idx, n_seq);
		END IF;
	END LOOP;
END
$$;
SQL


OPTS=(-b 100 -i 2 -u 2 --resource-share 0.1 --state-share 0.1 --reference-share 0.1 --inblock-share 0.2 --addresses 200)
"$GEN" -q -t 5000 "${OPTS[@]}" -s generated-chain -o "$W/chain.blk" --state-out "$W/chain.state" --tip-out "$W/chain.tip"
ok $? "wes-gen writes 5000 transactions in blocks of 100" || bail "wes-gen failed"

"$LOAD" --check "$W/chain.blk" >"$W/check.tip" 2>"$W/check.log"
ok $? "wes-load --check accepts the file"
diff -q "$W/check.tip" "$W/chain.tip" >/dev/null
ok $? "wes-load --check prints the generator's tip, state root and counts" || diff "$W/check.tip" "$W/chain.tip" | sed 's/^/# /'
# --max-block lowers the file format's bound on a record (256 MiB), never raises it
"$LOAD" --check --max-block 268435457 "$W/chain.blk" >/dev/null 2>"$W/maxblock.log"
is "$? $(grep -c -- '--max-block must be an integer between 160 and 268435456' "$W/maxblock.log")" "2 1" \
	"wes-load refuses a --max-block above 256 MiB, as a usage error (status 2, as --help says)"
"$LOAD" --check --batch 0 "$W/chain.blk" >/dev/null 2>"$W/usage.log"
is "$? $(grep -c -- '--batch must be at least 1' "$W/usage.log")" "2 1" "wes-load --batch 0 is a usage error"
"$GEN" -q -t 12x -o "$W/never.blk" 2>"$W/usage.log"
is "$? $(grep -c -- '--txs must be an integer' "$W/usage.log") $([ -e "$W/never.blk" ]; echo $?)" "2 1 1" \
	"wes-gen -t 12x is a usage error, and writes nothing"
len0=$(bf_offsets "$W/chain.blk" | awk 'NR == 1 { print $2 }')
"$LOAD" --check --max-block $((len0 - 1)) "$W/chain.blk" >/dev/null 2>"$W/maxblock.log"
is "$? $(grep -c "record 0 at byte offset 8 has length $len0, outside 160..$((len0 - 1))" "$W/maxblock.log")" "1 1" \
	"with --max-block one byte short of the first block, wes-load names its record, offset and length"
# A damaged length in a short file is reported as a truncated record before a buffer of
# that length is allocated: under a 200 MB address-space limit, a claim of 250 MB
{ head -c 8 "$W/chain.blk"; printf '\x80\xb2\xe6\x0e'; tail -c +13 "$W/chain.blk" | head -c 1000; } >"$W/damaged.blk"
(ulimit -v 200000 && exec "$LOAD" --check "$W/damaged.blk") >/dev/null 2>"$W/damaged.log"
is "$? $(grep -c "record 0 at byte offset 8 is truncated: length 250000000, 1000 bytes present" "$W/damaged.log")" "1 1" \
	"a length of 250 MB in a 1 KB file: wes-load reports the record truncated, with no allocation of that size" ||
	sed 's/^/# /' "$W/damaged.log"

integ_cluster DIR genchain "$PORT" 2>/dev/null || bail "cluster did not start"
psql -X -q -d postgres -c "CREATE DATABASE $DB" >/dev/null && sq -c 'CREATE EXTENSION wes_persist' -c 'CREATE EXTENSION amcheck' ||
	bail "CREATE EXTENSION failed"

"$LOAD" -q -d "$DB" "$W/chain.blk"
ok $? "wes-load loads the file"
is "$(sq -c 'SELECT count(*) FROM wes.transactions') $(sq -c 'SELECT count(*) FROM wes.blocks')" \
	"$(tip_field "$W/chain.tip" txs) $(tip_field "$W/chain.tip" blocks)" "every block and transaction is written"
is "$(sq -F ' ' -c "SELECT count(*) FILTER (WHERE i.reference) > 0, count(*) FILTER (WHERE NOT i.reference AND o.height = i.height) > 0,
						  (SELECT count(*) FROM wes.outputs WHERE kind = 1) > 0, (SELECT count(*) FROM wes.outputs WHERE kind = 2) > 0
				   FROM wes.inputs i JOIN wes.outputs o USING (outpoint)")" "t t t t" \
	"the chain has reference inputs, in-block spends, resource and state outputs"
check_against "after 5000 transactions" "$W/chain.tip" "$W/chain.state"

# The same file one block a call: the window changes no row of any table
DIGEST="SELECT string_agg(t || ' ' || d, ' ' ORDER BY t) FROM (
	SELECT 'blocks' t, md5(string_agg(x::text, '|' ORDER BY x::text)) d FROM wes.blocks x UNION ALL
	SELECT 'transactions', md5(string_agg(x::text, '|' ORDER BY x::text)) FROM wes.transactions x UNION ALL
	SELECT 'inputs', md5(string_agg(x::text, '|' ORDER BY x::text)) FROM wes.inputs x UNION ALL
	SELECT 'outputs', md5(string_agg(x::text, '|' ORDER BY x::text)) FROM wes.outputs x UNION ALL
	SELECT 'journal', md5(string_agg(x::text, '|' ORDER BY x::text)) FROM wes.journal x UNION ALL
	SELECT 'chain_state', md5(string_agg(x::text, '|')) FROM wes.chain_state x) s"
is "$(sq -c "SELECT count(*) > 0 FROM wes.inputs i JOIN wes.outputs o USING (outpoint)
			 WHERE NOT i.reference AND o.height < i.height AND o.height / 16 = i.height / 16")" t \
	"some spends name outputs of an earlier block of the same 16-block call"
# Rows the window writes with their spend mark never get a heap-only update, so they
# go in on full pages: a page holds about twice the rows that fill half of it
# (fillfactor 50, a row being its size and a 4-byte line pointer)
is "$(sq -c "SELECT count(*)::numeric / count(DISTINCT (ctid::text::point)[0]) > 1.5 * 4096 / (avg(pg_column_size(o.*)) + 4)
			 FROM wes.outputs o WHERE spent_height / 16 = height / 16")" t \
	"outputs spent inside their call are packed: more than 1.5 times the rows half a page holds"
psql -X -q -d postgres -c "CREATE DATABASE ${DB}_one" >/dev/null && psql -X -q -d "${DB}_one" -c 'CREATE EXTENSION wes_persist' >/dev/null
"$LOAD" -q --batch 1 -d "${DB}_one" "$W/chain.blk"
ok $? "wes-load --batch 1 loads the file one block a call"
is "$(psql -X -At -d "${DB}_one" -c "$DIGEST")" "$(sq -c "$DIGEST")" \
	"every table holds the same rows as with 16 blocks a call (spend marks, journal, tip)"

# A bad state root in block 37: calls of blocks 0..15 and 16..31 stay, 32..47 is refused
perl -e '
	open(my $f, "<:raw", $ARGV[0]) or die; local $/; my $d = <$f>;
	my $p = 8;
	for my $h (0 .. 36) { $p += 4 + unpack("V", substr($d, $p, 4)); }
	substr($d, $p + 4 + 116, 1) = chr(ord(substr($d, $p + 4 + 116, 1)) ^ 1);
	open(my $o, ">:raw", $ARGV[1]) or die; print $o $d;' "$W/chain.blk" "$W/bad.blk"
psql -X -q -d postgres -c "CREATE DATABASE ${DB}_bad" >/dev/null && psql -X -q -d "${DB}_bad" -c 'CREATE EXTENSION wes_persist' >/dev/null
"$LOAD" -q -d "${DB}_bad" "$W/bad.blk" >/dev/null 2>"$W/bad.log"
is "$? $(grep -o 'block at height [0-9]* rejected: SQLSTATE [A-Z0-9]*' "$W/bad.log")" \
	"1 block at height 37 rejected: SQLSTATE WE003" "a bad block in the middle of a call is reported at its height, with its SQLSTATE"
is "$(psql -X -At -d "${DB}_bad" -c 'SELECT height FROM wes.chain_state')" 31 \
	"the calls before it are committed, the one holding it is not"

# --batch-bytes ends a call before the block that would take it past the bound: with
# 3 blocks' worth of bytes, the call holding block 37 starts where that rule says
BB=$(bf_offsets "$W/chain.blk" | awk '{ s += $2 } END { printf "%d", 3 * s / NR }')
first=$(bf_offsets "$W/chain.blk" | awk -v bb="$BB" '
	{ if (n > 0 && (n == 16 || len + 4 + $2 > bb)) { n = 0; len = 20 }
	  if (n == 0) { first = NR - 1; len = 20 }
	  n++; len += 4 + $2
	  if (NR - 1 == 37) { print first; exit } }')
psql -X -q -d postgres -c "CREATE DATABASE ${DB}_bytes" >/dev/null && psql -X -q -d "${DB}_bytes" -c 'CREATE EXTENSION wes_persist' >/dev/null
"$LOAD" -q --batch-bytes "$BB" -d "${DB}_bytes" "$W/bad.blk" >/dev/null 2>"$W/bytes.log"
is "$? $(psql -X -At -d "${DB}_bytes" -c 'SELECT height FROM wes.chain_state')" "1 $((first - 1))" \
	"with --batch-bytes $BB the call holding block 37 starts at height $first: the tip is $((first - 1)), not 31"
"$LOAD" -q --batch-bytes "$BB" -d "${DB}_bytes" "$W/chain.blk" 2>/dev/null &&
	[ "$(psql -X -At -d "${DB}_bytes" -c "$DIGEST")" = "$(sq -c "$DIGEST")" ]
ok $? "resumed on the good file with --batch-bytes, every table holds the same rows as with 16 blocks a call"

"$LOAD" -q -d "$DB" "$W/chain.blk"
ok $? "wes-load run again on the same file exits 0"
is "$(sq -c 'SELECT count(*) FROM wes.blocks')" "$(tip_field "$W/chain.tip" blocks)" "and writes nothing (it resumes after the tip)"

"$GEN" -q -t 1000 "${OPTS[@]}" -s generated-chain-2 --state-in "$W/chain.state" -o "$W/more.blk" \
	--state-out "$W/more.state" --tip-out "$W/more.tip"
ok $? "wes-gen continues the chain from its state file for 1000 more transactions"
"$LOAD" -q -d "$DB" "$W/more.blk"
ok $? "wes-load loads the continuation"
check_against "after 6000 transactions" "$W/more.tip" "$W/more.state"

exit $((T_FAILED > 0))
