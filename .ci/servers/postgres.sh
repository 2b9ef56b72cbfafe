#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster (Debian's server, .ci/setup installs it) on 127.0.0.1
# for the shared-journal sweep tests: trust authentication on loopback, a database named citycert.
#   .ci/servers/postgres.sh start DIR PORT   # initdb into DIR/data; prints the URL
#   .ci/servers/postgres.sh stop DIR
# PostgreSQL refuses to run as root: as root, the cluster is run by the `postgres` user the package creates.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?folder}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "no PostgreSQL server under /usr/lib/postgresql (.ci/setup installs postgresql)" >&2; exit 1; }
# initdb and pg_ctl look for themselves from the working directory: run them from one the postgres user
# can enter (the checkout may be under /root).
cd "$dir"
as=()
if [ "$(id -u)" -eq 0 ]; then
  as=(runuser -u postgres --)
  chown postgres "$dir"
fi
case "$cmd" in
start)
  port=${3:?port}
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U citycert >"$dir/initdb.log" 2>&1
  fi
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
    -o "-p $port -k $dir/data -c listen_addresses=127.0.0.1" start >"$dir/pg_ctl.log" 2>&1
  "${as[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U citycert -d postgres -q -c "CREATE DATABASE citycert" >>"$dir/pg_ctl.log" 2>&1 || true
  echo "postgres://citycert@127.0.0.1:$port/citycert"
  ;;
stop)
  [ -f "$dir/data/postmaster.pid" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
