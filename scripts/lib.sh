# shellcheck shell=bash
# Shell helpers for throwaway PostgreSQL clusters (sourced by the demo, tests and benchmarks).
#
# PostgreSQL refuses to run as root: as root the server runs as the `postgres`
# OS user; otherwise as the current user.  Clusters listen on 127.0.0.1 and on
# a socket in /tmp, on the port they are given, with trust authentication.

# The checkout this file is in, whatever the environment says: a WES_ROOT left
# exported by another checkout's shell would build, install and test that one
WES_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# WES_PG_PREFIX=/some/dir: a private copy of the PostgreSQL server that loads the
# extension from that prefix (make install DESTDIR=...), for installing without
# root or for keeping several checkouts apart.  Unset: the system installation.
wes_private_pg() {
	local p=$1 bindir sharedir pkglibdir
	bindir=$(pg_config --bindir) sharedir=$(pg_config --sharedir) pkglibdir=$(pg_config --pkglibdir)
	[ -x "$p$bindir/postgres" ] && return 0
	mkdir -p "$p$(dirname "$bindir")" "$p$(dirname "$sharedir")" "$p$(dirname "$pkglibdir")"
	cp -a "$bindir" "$p$bindir"				# a real copy: the server finds its share dir next to itself
	cp -rs "$pkglibdir" "$p$pkglibdir"
	cp -rs "$sharedir" "$p$sharedir"
}
if [ -n "${WES_PG_PREFIX:-}" ]; then
	wes_private_pg "$WES_PG_PREFIX"
	PGBIN=$WES_PG_PREFIX$(pg_config --bindir)
fi
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$PGBIN/initdb" ] || PGBIN=/usr/lib/postgresql/15/bin
# pgbench of the same server (bench parts, integration tests), else the one on PATH
PGBENCH=$PGBIN/pgbench
[ -x "$PGBENCH" ] || PGBENCH=pgbench

# Run a command as the cluster's OS user
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# A data directory for cluster NAME: in the project's .cluster/ when the server
# user can reach it, else under /tmp (a root checkout in /root is not readable by postgres)
cluster_dir() {
	local name=$1 base="$WES_ROOT/.cluster"
	mkdir -p "$base"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$base" 2>/dev/null || true
		if ! runuser -u postgres -- test -w "$base" 2>/dev/null; then
			base="/tmp/wes_persist-$(printf '%s' "$WES_ROOT" | md5sum | cut -c1-8)"
			mkdir -p "$base" && chown postgres "$base"
		fi
	fi
	echo "$base/$name"
}

# Export libpq variables for the cluster on PORT
cluster_env() {
	export PGHOST=/tmp PGPORT=$1 PGUSER=postgres
	unset PGPASSWORD PGSERVICE
}

# Create a fresh cluster in DIR (removing an old one) and start it on PORT; extra args are -c settings
cluster_fresh() {
	local dir=$1 port=$2; shift 2
	cluster_stop "$dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	chmod 700 "$dir"
	as_pg "$PGBIN/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$dir.initdb.log" 2>&1 ||
		{ cat "$dir.initdb.log" >&2; return 1; }
	cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '/tmp'
fsync = off
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 30min
log_min_messages = warning
log_line_prefix = '%m [%p] '
CONF
	for setting in "$@"; do echo "$setting" >>"$dir/postgresql.conf"; done
	cluster_start "$dir" "$port"
}

cluster_start() {
	local dir=$1 port=$2
	as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 30 "$dir/server.log" >&2; return 1; }
	cluster_env "$port"
}

cluster_stop() {
	local dir=$1
	[ -f "$dir/postmaster.pid" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# Build and install the extension (into WES_PG_PREFIX when set; else sudo when not root)
wes_build_install() {
	make -C "$WES_ROOT" -s -j2 all >/dev/null || return 1
	wes_install "$WES_ROOT"
}

# wes_install DIR [make arguments...]: install the extension built in DIR, as this user can
wes_install() {
	local dir=$1
	shift
	if [ -n "${WES_PG_PREFIX:-}" ]; then
		make -C "$dir" -s install DESTDIR="$WES_PG_PREFIX" "$@" >/dev/null
	elif [ "$(id -u)" -eq 0 ]; then
		make -C "$dir" -s install "$@" >/dev/null
	else
		sudo make -C "$dir" -s install "$@" >/dev/null
	fi
}

# wes_build_install_ubsan DIR: the extension (not the tools) built in DIR, a copy of its
# sources, with UBSan, and installed in place of the plain build.  PGXS compiles with
# -fwrapv, under which UBSan cannot see a signed overflow: -fno-wrapv gives it back.
# Reports go to the server's stderr ("runtime error:"), and the backend goes on.
wes_build_install_ubsan() {
	local b=$1
	local flags=(TOOLS= "PG_CFLAGS=-O1 -g -fno-omit-frame-pointer -fno-wrapv -fsanitize=undefined"
		"SHLIB_LINK=-lsodium -fsanitize=undefined")
	rm -rf "$b" && mkdir -p "$b/src/codec" "$b/sql" || return 1
	cp "$WES_ROOT/Makefile" "$WES_ROOT/wes_persist.control" "$b/" &&
		cp "$WES_ROOT"/src/*.[ch] "$b/src/" && cp "$WES_ROOT"/src/codec/*.[ch] "$b/src/codec/" &&
		cp "$WES_ROOT"/sql/*.sql "$b/sql/" || return 1
	make -C "$b" -s -j2 all "${flags[@]}" >/dev/null || return 1
	wes_install "$b" "${flags[@]}"
}
