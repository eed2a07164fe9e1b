# Helpers the bench parts share (sourced by bench/parts/NN_*.sh after cd "$WES_ROOT").

# The generator's shape for every bench chain: 1000 transactions a block, 2 in, 2 out
GEN=(tools/wes-gen -q -b 1000 -i 2 -u 2)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# A fresh database with the extension (created quietly: under wal_level = replica
# its CREATE PUBLICATION warns that subscribers would need logical)
fresh_db() {
	sql -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
	sql -d "$1" -c "SET client_min_messages = error" -c "CREATE EXTENSION wes_persist CASCADE"
}

# gen_file OUT wes-gen-options...: written only when missing, through a temporary
# name so that an interrupted run leaves none behind
gen_file() {
	local out=$1; shift
	[ -s "$out" ] && return 0
	"${GEN[@]}" "$@" -o "$out.part"
	mv "$out.part" "$out"
}
