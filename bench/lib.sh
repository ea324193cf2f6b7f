# Sourced by the scripts in bench/: helpers and a private PostgreSQL from the machine's binaries
# (fsync on, trust on 127.0.0.1 only, no Unix socket), as the `postgres` account when root.

pg_bin=""
for dir in "$(dirname "$(readlink -f "$(command -v pg_ctl || echo /nonexistent)")")" /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/pg_ctl" ]; then pg_bin=$dir; fi
done
[ -n "$pg_bin" ] || { echo "PostgreSQL server binaries are needed (Debian: apt-get install postgresql)" >&2; exit 1; }

log() { printf '== %s\n' "$*" >&2; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_postgres DATA PORT: a new cluster in DATA serving a database `ticketing` on PORT.
start_postgres() {
  as_postgres "$pg_bin/initdb" -D "$1" -U postgres -A trust -E UTF8 --locale=C --no-instructions >/dev/null
  printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\nshared_buffers = 256MB\n" >>"$1/postgresql.conf"
  as_postgres "$pg_bin/pg_ctl" -D "$1" -l "$1/server.log" -o "-p $2" -w start >/dev/null
  as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$2" -U postgres ticketing
}

# stop_postgres DATA: stops the cluster in DATA, if it runs.
stop_postgres() { as_postgres "$pg_bin/pg_ctl" -D "$1" stop -m fast >/dev/null 2>&1 || true; }
