#!/usr/bin/env bash
# A logical replica subscribed to wes_publication converges on the publisher's chain.
#
# Publisher on WES_TEST_PORT+3, subscriber (a second cluster) on WES_TEST_PORT+4.  The
# subscriber creates the extension and subscribes; the publisher's chain-state row, which
# arrives with the initial copy, replaces the empty-chain row CREATE EXTENSION made there
# (the trigger wes.chain_state_replace, which fires in replication workers too).  Blocks written before the subscription arrive
# through the initial copy, blocks written after it through the change stream; then the
# subscriber's tip and state root are the generator's and every table of wes holds the
# publisher's rows.  Then a reorganisation on the publisher (wes_rollback_to, and another
# branch written from there) reaches the subscriber as deletes, updates and inserts, and
# leaves it with the branch's tip and the publisher's rows again.  Last, a selective
# replica: a second subscriber database takes a publication of every table but
# wes.resource_content, and serves the chain without the content.
set -uo pipefail
source "$(dirname "$0")/lib/common.sh"

PUB=$((WES_TEST_PORT + 3))
SUB=$((WES_TEST_PORT + 4))
DB=wes

plan 21
integ_workdir
W=$INTEG_WORK

"$WES_GEN" -q -n 10 -b 40 --resource-share 0.1 --state-share 0.1 --reference-share 0.1 \
	--inblock-share 0.1 --addresses 50 -s logical -o "$W/a.blk" --state-out "$W/a.state" --tip-out "$W/a.tip" &&
	"$WES_GEN" -q -n 10 -b 40 --reference-share 0.1 --inblock-share 0.1 --addresses 50 -s logical-b \
		--state-in "$W/a.state" -o "$W/b.blk" --tip-out "$W/b.tip" &&
	"$WES_GEN" -q -n 6 -b 40 --resource-share 0.1 --inblock-share 0.1 --addresses 50 -s logical-fork \
		--state-in "$W/a.state" -o "$W/f.blk" --tip-out "$W/f.tip" ||
	bail "wes-gen failed"

integ_cluster PDIR logical-publisher "$PUB" || bail "publisher did not start"
integ_cluster SDIR logical-subscriber "$SUB" || bail "subscriber did not start"
for port in "$PUB" "$SUB"; do
	q "$port" postgres "CREATE DATABASE $DB" && q "$port" "$DB" "CREATE EXTENSION wes_persist" ||
		bail "cannot create the extension on port $port"
done
is "$(q "$PUB" "$DB" "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'wes_publication'")" \
	"$(q "$PUB" "$DB" "SELECT count(*) FROM pg_tables WHERE schemaname = 'wes'")" \
	"wes_publication publishes every table of schema wes"

"$WES_LOAD" -q -d "$(conninfo "$PUB" $DB)" "$W/a.blk"
ok $? "wes-load writes 10 blocks on the publisher before the subscription"
q "$PUB" "$DB" "SELECT wes_write_resource('\\x68656c6c6f'::bytea, 'text/plain')" >/dev/null

q "$SUB" "$DB" "CREATE SUBSCRIPTION wes_sub CONNECTION 'host=127.0.0.1 port=$PUB user=postgres dbname=$DB' PUBLICATION wes_publication" \
	>"$W/sub.log" 2>&1
ok $? "the subscriber, fresh from CREATE EXTENSION, subscribes to wes_publication" || sed 's/^/# /' "$W/sub.log"

"$WES_LOAD" -q -d "$(conninfo "$PUB" $DB)" "$W/b.blk"
ok $? "wes-load writes 10 more blocks on the publisher while the subscription runs"

converge() { logical_converge "$PUB" "$DB" "$SUB" "$DB"; }
converge
ok $? "the subscriber synchronises every table and applies the publisher's WAL within 60 s"

EXPECT="$(tip_row "$W/b.tip")"
is "$(chain_tip "$SUB" "$DB")" "$EXPECT" \
	"subscriber: wes_chain_tip() is the generator's tip height, hash and state root"
is "$(q "$SUB" "$DB" "SELECT utxo_count FROM wes_api.tip") $(q "$SUB" "$DB" "SELECT count(*) FROM wes_api.utxos")" \
	"$(tip_field "$W/b.tip" utxo_count) $(tip_field "$W/b.tip" utxo_count)" \
	"subscriber: the UTXO count and the UTXO table hold the generator's number of outputs"

counts() {
	q "$1" "$DB" "SELECT string_agg(t, ' ' ORDER BY t) FROM (
		SELECT c.relname || '=' || (xpath('/row/n/text()',
			query_to_xml(format('SELECT count(*) AS n FROM wes.%I', c.relname), false, true, '')))[1]::text AS t
		FROM pg_class c WHERE c.relnamespace = 'wes'::regnamespace AND c.relkind = 'r') x"
}
PCOUNTS=$(counts "$PUB")
is "$(counts "$SUB")" "$PCOUNTS" "subscriber: every table of wes has the publisher's row count"
diag "$PCOUNTS"

bad=$(wes_tables_differ "$PUB" "$DB" "$SUB" "$DB")
ok "$([ -z "$bad" ] && echo 0 || echo 1)" "subscriber: the rows of every table equal the publisher's${bad:+ (differ: $bad)}"

OWNER=$(q "$PUB" "$DB" "SELECT owner FROM wes_api.address_balances ORDER BY utxo_count DESC, owner LIMIT 1")
is "$(q "$SUB" "$DB" "SET ROLE wes_reader" "SELECT wes_address_balance('$OWNER')")" \
	"$(q "$PUB" "$DB" "SELECT wes_address_balance('$OWNER')")" \
	"subscriber: wes_address_balance as wes_reader equals the publisher's"
HELLO=$(printf hello | sha256sum | cut -c1-64)
is "$(q "$SUB" "$DB" "SET ROLE wes_reader" "SELECT encode(wes_resource_read('$HELLO'), 'escape')")" \
	hello "subscriber: resource content arrives too"

if [ "$(q "$SUB" "$DB" "SELECT count(*) FROM pg_proc WHERE proname = 'wes_verify'")" -gt 0 ]; then
	findings=$(q "$SUB" "$DB" "CREATE EXTENSION IF NOT EXISTS amcheck" "SELECT count(*) FROM wes_verify()" 2>&1)
	is "$findings" 0 "subscriber: wes_verify() finds nothing" ||
		q "$SUB" "$DB" "SELECT * FROM wes_verify() LIMIT 5" 2>&1 | sed 's/^/# /'
else
	ok 0 "# SKIP wes_verify() is not installed"
fi

# ---- a reorganisation on the publisher: blocks 10-19 undone, another branch written ----
is "$(q "$PUB" "$DB" "SELECT wes_rollback_to(9)")" 10 "publisher: wes_rollback_to(9) undoes blocks 10-19"
"$WES_LOAD" -q -d "$(conninfo "$PUB" $DB)" "$W/f.blk"
ok $? "publisher: wes-load writes another branch, blocks 10-15"
converge
ok $? "the subscriber applies the rollback and the branch within 60 s"
is "$(chain_tip "$SUB" "$DB")" "$(tip_row "$W/f.tip")" \
	"subscriber: the tip is the branch's, at the generator's state root"
bad=$(wes_tables_differ "$PUB" "$DB" "$SUB" "$DB")
ok "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"subscriber: after the reorganisation the rows of every table equal the publisher's${bad:+ (differ: $bad)}"
is "$(q "$SUB" "$DB" "SELECT count(*) FROM wes_verify()" 2>&1)" 0 "subscriber: wes_verify() finds nothing after it"

# ---- a selective replica: the chain without resource content ----
TABLES=$(q "$PUB" "$DB" "SELECT string_agg(format('wes.%I', relname), ', ' ORDER BY relname) FROM pg_class
						  WHERE relnamespace = 'wes'::regnamespace AND relkind = 'r' AND relname <> 'resource_content'")
q "$PUB" "$DB" "CREATE PUBLICATION wes_chain FOR TABLE $TABLES" &&
	q "$SUB" postgres "CREATE DATABASE chain" && q "$SUB" chain "CREATE EXTENSION amcheck" "CREATE EXTENSION wes_persist" &&
	q "$SUB" chain "CREATE SUBSCRIPTION wes_chain_sub CONNECTION 'host=127.0.0.1 port=$PUB user=postgres dbname=$DB'
					PUBLICATION wes_chain" >"$W/chain.log" 2>&1 && logical_converge "$PUB" "$DB" "$SUB" chain
ok $? "a subscriber of a publication of every table but wes.resource_content synchronises within 60 s" ||
	sed 's/^/# /' "$W/chain.log"
is "$(chain_tip "$SUB" chain)|$(wes_tables_differ "$PUB" "$DB" "$SUB" chain)" "$(tip_row "$W/f.tip")|resource_content" \
	"it has the publisher's tip and the rows of every table but wes.resource_content"
is "$(q "$SUB" chain "SET ROLE wes_reader" "SELECT count(*) FILTER (WHERE NOT available) || ' ' ||
		(wes_resource_read('$HELLO') IS NULL) FROM wes_api.resources")|$(q "$SUB" chain "SELECT count(*) FROM wes_verify()" 2>&1)" \
	"$(q "$PUB" "$DB" "SELECT count(*) FROM wes_api.resources") true|0" \
	"there every resource reads as not available, its content as NULL, and wes_verify() finds nothing"

exit $((T_FAILED > 0))
