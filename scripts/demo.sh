#!/usr/bin/env bash
# `make demo`: set up, build, install, start a throwaway cluster (data under .cluster/,
# loopback, port 54330), generate and load a sample chain, and show it.
# `make demo-stop` (this script with "stop") stops the cluster and removes its data.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source scripts/lib.sh

PORT=${WES_DEMO_PORT:-54330}
DIR=$(cluster_dir demo)

if [ "${1:-}" = stop ]; then
	cluster_stop "$DIR"
	rm -rf "$DIR" "$DIR.initdb.log"
	echo "demo cluster stopped"
	exit 0
fi

bash scripts/setup.sh
echo "== building and installing"
wes_build_install
echo "== starting a throwaway cluster on port $PORT"
cluster_fresh "$DIR" "$PORT"
psql -q -X -d postgres -c 'CREATE DATABASE wes_demo' >/dev/null
psql -q -X -d wes_demo -c 'CREATE EXTENSION amcheck' -c 'CREATE EXTENSION wes_persist' >/dev/null

SAMPLE="$ROOT/.cluster/sample.wesblk"
echo "== generating a sample chain (200 blocks, 100 transactions each)"
tools/wes-gen --blocks 200 --txs-per-block 100 --seed 42 -o "$SAMPLE" >/dev/null
echo "== loading it through wes_write_block"
tools/wes-load -d wes_demo "$SAMPLE"

show() {
	printf '\n-- %s\n' "$1"
	psql -X -d wes_demo -c "$1"
}
show "SELECT * FROM wes_chain_tip();"
show "SELECT height, hash, tx_count, size, timestamp FROM wes_api.blocks ORDER BY height DESC LIMIT 3;"
show "SELECT owner, asset, balance, utxo_count FROM wes_api.address_balances ORDER BY utxo_count DESC, owner LIMIT 3;"
owner=$(psql -X -At -d wes_demo -c "SELECT owner FROM wes_api.address_balances ORDER BY utxo_count DESC, owner LIMIT 1")
show "SELECT outpoint, kind, amount, created_height FROM wes_api.utxos WHERE owner = '$owner' ORDER BY created_height DESC LIMIT 5;"
show "SELECT wes_address_balance('$owner');"
# a transaction's outputs (one range of the outputs' primary key), and who spent one of them
txid=$(psql -X -At -d wes_demo -c "SELECT txid FROM wes_api.outputs WHERE spent_by IS NOT NULL ORDER BY created_height DESC, outpoint LIMIT 1")
show "SELECT output_index, kind, owner, amount, spent_by FROM wes_api.outputs WHERE txid = '$txid' ORDER BY output_index;"
spent=$(psql -X -At -d wes_demo -c "SELECT outpoint FROM wes_api.outputs WHERE txid = '$txid' AND spent_by IS NOT NULL ORDER BY outpoint LIMIT 1")
if [ -n "$spent" ]; then
	show "SELECT txid, input_index, block_height FROM wes_api.inputs WHERE outpoint = '$spent';"
fi

cat <<EOT

The cluster keeps running:  psql -h /tmp -p $PORT -U postgres wes_demo
Stop it and remove its data: make demo-stop
EOT
