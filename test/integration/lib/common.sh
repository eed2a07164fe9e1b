# shellcheck shell=bash disable=SC2034  # sourced: its variables are for the scripts that source it
# Helpers for the integration scripts (sourced): TAP output, psql against a port,
# block files, throwaway clusters on WES_TEST_PORT + n that are stopped on exit.

INTEG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
source "$INTEG_ROOT/scripts/lib.sh"

WES_TEST_PORT=${WES_TEST_PORT:-54329}
WES_GEN=$INTEG_ROOT/tools/wes-gen
WES_LOAD=$INTEG_ROOT/tools/wes-load

# ---- TAP ----

T_NUM=0
T_FAILED=0

plan() { echo "1..$1"; }

# ok STATUS NAME: STATUS 0 passes
ok() {
	local status=$1; shift
	T_NUM=$((T_NUM + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $T_NUM - $*"
	else
		echo "not ok $T_NUM - $*"
		T_FAILED=$((T_FAILED + 1))
	fi
	return "$status"
}

# is GOT EXPECTED NAME
is() {
	local got=$1 expected=$2; shift 2
	if [ "$got" == "$expected" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		printf '#   got:      %s\n#   expected: %s\n' "${got:0:300}" "${expected:0:300}"
		return 1
	fi
}

diag() { printf '# %s\n' "$@"; }

bail() {
	echo "Bail out! $*"
	exit 1
}

# ---- psql ----

# q PORT DB SQL...: run statements, print the last one's rows unaligned, fail on any error
q() {
	local port=$1 db=$2; shift 2
	local args=()
	for s in "$@"; do args+=(-c "$s"); done
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -h /tmp -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 "${args[@]}"
}

# sqlstate PORT DB SQL...: the SQLSTATE of the first error the statements raise ("" when none)
sqlstate() {
	local port=$1 db=$2; shift 2
	local args=()
	for s in "$@"; do args+=(-c "$s"); done
	psql -X -q -At -h /tmp -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate \
		"${args[@]}" 2>&1 >/dev/null | sed -n 's/^.*ERROR: *\([0-9A-Z]\{5\}\).*$/\1/p' | head -n 1
}

conninfo() { echo "host=/tmp port=$1 user=postgres dbname=$2"; }

# ---- clusters: started through scripts/lib.sh, stopped and removed on exit ----

INTEG_CLUSTERS=()

integ_cleanup() {
	local dir
	for dir in "${INTEG_CLUSTERS[@]}"; do
		cluster_stop "$dir"
		rm -rf "$dir" "$dir.initdb.log"
	done
	[ -n "${INTEG_WORK:-}" ] && rm -rf "$INTEG_WORK"
}
trap integ_cleanup EXIT

# integ_dir VAR NAME: set VAR to the folder of cluster NAME, registered for cleanup
integ_dir() {
	local d
	d=$(cluster_dir "integ-$2")
	INTEG_CLUSTERS+=("$d")
	printf -v "$1" '%s' "$d"
}

# integ_cluster VAR NAME PORT [settings...]: a fresh cluster in folder VAR, stopped on exit
integ_cluster() {
	local var=$1 name=$2 port=$3; shift 3
	integ_dir "$var" "$name"
	cluster_fresh "${!var}" "$port" "$@" >&2
}

# A scratch folder readable by the server user, removed on exit
integ_workdir() {
	INTEG_WORK=$(mktemp -d "${TMPDIR:-/tmp}/wes-integ.XXXXXX")
	chmod 755 "$INTEG_WORK"
}

# logical_converge PUB_PORT PUB_DB SUB_PORT SUB_DB: wait until the subscriber has
# synchronised every table and applied the publisher's WAL up to its position now; false
# after 60 s
logical_converge() {
	local pport=$1 pdb=$2 sport=$3 sdb=$4 lsn i
	lsn=$(q "$pport" "$pdb" "SELECT pg_current_wal_lsn()")
	for ((i = 0; i < 600; i++)); do
		[ "$(q "$sport" "$sdb" "SELECT (SELECT bool_and(srsubstate = 'r') FROM pg_subscription_rel)
			AND (SELECT bool_and(latest_end_lsn >= '$lsn'::pg_lsn) FROM pg_stat_subscription WHERE relid IS NULL)")" = t ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# wait_sql PORT DB SECONDS SQL: wait until SQL returns t; false after SECONDS
wait_sql() {
	local port=$1 db=$2 limit=$3 sql=$4 i
	for ((i = 0; i < limit * 10; i++)); do
		[ "$(q "$port" "$db" "$sql" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_replay STANDBY_PORT PRIMARY_PORT DB [SECONDS]: wait until the standby has replayed
# everything the primary has written so far
wait_replay() {
	local sport=$1 pport=$2 db=$3 limit=${4:-60} lsn
	lsn=$(q "$pport" "$db" "SELECT pg_current_wal_lsn()") || return 1
	wait_sql "$sport" "$db" "$limit" "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn"
}

# table_digest PORT DB TABLE: "rows:md5" of every row of wes.TABLE as text, in order
table_digest() {
	q "$1" "$2" "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM wes.$3 x"
}

# wes_tables_differ PORT_A DB_A PORT_B DB_B: the tables of schema wes (those A has, so that
# a table added later is compared too) whose rows differ in B, space-separated; nothing
# when all are equal.  A digest that cannot be computed counts as a difference.
wes_tables_differ() {
	local pa=$1 da=$2 pb=$3 db=$4 t d bad=""
	for t in $(q "$pa" "$da" "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
			WHERE relnamespace = 'wes'::regnamespace AND relkind = 'r'"); do
		d=$(table_digest "$pa" "$da" "$t" 2>/dev/null)
		[ -n "$d" ] && [ "$d" == "$(table_digest "$pb" "$db" "$t" 2>/dev/null)" ] || bad+=" $t"
	done
	echo "${bad# }"
}

# ---- block files (docs/block-file.md): 8-byte magic, then u32 LE length + block, u32 0 ----

bf_u32() { od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' \n'; }

# bf_offsets FILE: "offset length" of every record, in order
bf_offsets() {
	local file=$1 off=8 len
	while :; do
		len=$(bf_u32 "$file" "$off")
		[ -n "$len" ] && [ "$len" -gt 0 ] || break
		echo "$((off + 4)) $len"
		off=$((off + 4 + len))
	done
}

# bf_hex FILE RECORD [BYTES]: hex of record RECORD (from 0), or of its first BYTES bytes
# (FILE.idx, when present, holds FILE's bf_offsets)
bf_hex() {
	local file=$1 rec=$2 bytes=${3:-} off len
	if [ -s "$file.idx" ]; then
		read -r off len < <(sed -n "$((rec + 1))p" "$file.idx")
	else
		read -r off len < <(bf_offsets "$file" | sed -n "$((rec + 1))p")
	fi
	[ -n "$off" ] || return 1
	od -An -tx1 -v -j "$off" -N "${bytes:-$len}" "$file" | tr -d ' \n'
}

# stage_blocks PORT DB FILE FIRST: the blocks of block file FILE, read once by the server,
# into table staged (h, raw) of DB (created), one row each at h = FIRST, FIRST + 1, ...
stage_blocks() {
	q "$1" "$2" "CREATE TABLE staged (h int PRIMARY KEY, raw bytea NOT NULL)" "DO \$\$
		DECLARE
			f bytea := pg_read_binary_file('$3');
			off int := 8;
			len int;
			h int := $4;
		BEGIN
			LOOP
				len := get_byte(f, off) | (get_byte(f, off + 1) << 8) | (get_byte(f, off + 2) << 16)
					   | (get_byte(f, off + 3) << 24);
				EXIT WHEN len = 0;
				INSERT INTO staged VALUES (h, substring(f FROM off + 5 FOR len));
				off := off + 4 + len;
				h := h + 1;
			END LOOP;
		END \$\$"
}

# chain_tip PORT DB: "height|hash|state_root" of wes_chain_tip() read as wes_reader, the
# form tip_row gives a --tip-out file
chain_tip() { q "$1" "$2" "SET ROLE wes_reader" "SELECT height, hash, state_root FROM wes_chain_tip()"; }

# tip_field FILE NAME: a value of a --tip-out file
tip_field() { sed -n "s/^$2=//p" "$1"; }
# tip_row FILE: "height|hash|state_root" of a --tip-out file, as psql -At prints
# SELECT height, hash, state_root FROM wes_chain_tip()
tip_row() { echo "$(tip_field "$1" height)|$(tip_field "$1" hash)|$(tip_field "$1" state_root)"; }
