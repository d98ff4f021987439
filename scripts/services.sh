#!/usr/bin/env bash
# Services the tests talk to, on 127.0.0.1 only, installed from package registries.
#
#   scripts/services.sh up     install what is missing, start, wait until ready, print the env
#   scripts/services.sh env    print the environment variables the tests read
#   scripts/services.sh down   stop everything started here
#
# Idempotent: `up` on a running setup only prints the env. State lives in
# $EVENTWRIGHT_SERVICES_DIR (default: target/services), so a clean checkout starts fresh.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${EVENTWRIGHT_SERVICES_DIR:-$root/target/services}"

pg_port="${EVENTWRIGHT_PG_PORT:-55432}"
pg_data="$state/postgres"
pg_user=eventwright
pg_password=eventwright
pg_database=eventwright

log() { echo "services: $*" >&2; }

as_postgres() {
    # initdb and the server refuse to run as root; Debian's package creates this user.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$bin" ] && echo "$bin"
}

postgres_install() {
    if [ -z "$(pg_bin)" ]; then
        log "installing PostgreSQL from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
    fi
}

postgres_up() {
    postgres_install
    local bin
    bin="$(pg_bin)"
    mkdir -p "$state"
    if [ ! -s "$pg_data/PG_VERSION" ]; then
        log "creating a PostgreSQL cluster in $pg_data"
        mkdir -p "$pg_data"
        chown postgres: "$pg_data" 2>/dev/null || true
        local pwfile
        pwfile="$(mktemp)"
        echo "$pg_password" >"$pwfile"
        chmod 644 "$pwfile"
        as_postgres "$bin/initdb" -D "$pg_data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --pwfile="$pwfile" >/dev/null
        rm -f "$pwfile"
        # Durability stays on (fsync, synchronous_commit): benchmarks measure the real thing.
        cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_data'
max_connections = 200
shared_buffers = 256MB
CONF
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
        log "starting PostgreSQL on 127.0.0.1:$pg_port"
        as_postgres "$bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start >/dev/null
    fi
    for _ in $(seq 1 60); do
        if "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then break; fi
        sleep 1
    done
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { log "PostgreSQL did not become ready"; exit 1; }
    local psql=("$bin/psql" -q -h "$pg_data" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1)
    if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$pg_user'")" != 1 ]; then
        "${psql[@]}" -c "CREATE ROLE $pg_user LOGIN CREATEDB PASSWORD '$pg_password'"
    fi
    if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$pg_database'")" != 1 ]; then
        "${psql[@]}" -c "CREATE DATABASE $pg_database OWNER $pg_user"
    fi
}

postgres_down() {
    local bin
    bin="$(pg_bin || true)"
    if [ -n "$bin" ] && [ -s "$pg_data/PG_VERSION" ]; then
        as_postgres "$bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
    fi
}

print_env() {
    echo "export EVENTWRIGHT_POSTGRES_URL=postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$pg_database"
}

case "${1:-}" in
    up)
        postgres_up
        print_env
        ;;
    env) print_env ;;
    down) postgres_down ;;
    *)
        echo "usage: $0 up|env|down" >&2
        exit 2
        ;;
esac
