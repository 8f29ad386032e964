#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 for the tests, as an unprivileged user (its binaries refuse root).
# Prints the connection URL on stdout. Usage: url=$(bash .ci/postgres.sh DATA_DIR PORT)
set -euo pipefail
data_dir=${1:?data directory}
port=${2:-54329}
bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin_dir" ]; then
  echo "PostgreSQL server binaries not found; installing them" >&2
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
  bin_dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
user=pgtest
id -u "$user" >/dev/null 2>&1 || useradd -m "$user"
rm -rf "$data_dir"
mkdir -p "$data_dir"
chown "$user" "$data_dir"
runuser -u "$user" -- "$bin_dir/initdb" -D "$data_dir" -U postgres -A trust --no-sync -E UTF8 >/dev/null
runuser -u "$user" -- "$bin_dir/pg_ctl" -D "$data_dir" -l "$data_dir/log" -w \
  -o "-p $port -k $data_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
echo "postgresql://postgres@127.0.0.1:$port/postgres"
