#!/usr/bin/env bash
# Services the tests talk to, on 127.0.0.1 only, installed from package registries.
#
#   scripts/services.sh up           install what is missing, start, wait until ready, print the env
#   scripts/services.sh env          print the environment variables the tests read
#   scripts/services.sh down         stop everything started here
#   scripts/services.sh kafka-stop   stop only the Kafka broker, keeping its data (outage tests)
#   scripts/services.sh kafka-start  start it again and wait until it is ready
#
# Idempotent: `up` on a running setup only prints the env. State lives in
# $EVENTWRIGHT_SERVICES_DIR (default: target/services), so a clean checkout starts fresh.
# Downloads are kept in $EVENTWRIGHT_SERVICES_CACHE (default: ~/.cache/eventwright), so a fresh
# clone does not fetch them again.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${EVENTWRIGHT_SERVICES_DIR:-$root/target/services}"

pg_port="${EVENTWRIGHT_PG_PORT:-55432}"
pg_data="$state/postgres"
pg_user=eventwright
pg_password=eventwright
pg_database=eventwright

kafka_port="${EVENTWRIGHT_KAFKA_PORT:-59092}"
kafka_controller_port="${EVENTWRIGHT_KAFKA_CONTROLLER_PORT:-59093}"
kafka_state="$state/kafka"
kafka_pom="$root/scripts/kafka/pom.xml"
# Named after the pom's contents, so a new Kafka version or an added jar gets a fresh directory.
kafka_libs="${EVENTWRIGHT_SERVICES_CACHE:-$HOME/.cache/eventwright}/kafka-$(sha256sum "$kafka_pom" | cut -c 1-16)"

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

java_install() {
    if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
        log "installing Java and Maven from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
    fi
}

kafka_install() {
    java_install
    [ -d "$kafka_libs" ] && return
    log "fetching Kafka's jars from Maven Central into $kafka_libs"
    # Copied aside and renamed when complete, so an interrupted download is never taken for a
    # finished one, nor are two checkouts fetching at once in each other's way.
    local partial="$kafka_libs.partial.$$"
    rm -rf "$partial"
    if ! mvn -q -B -f "$kafka_pom" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$partial" >&2; then
        rm -rf "$partial"
        log "Maven could not fetch Kafka"
        exit 1
    fi
    mv -T "$partial" "$kafka_libs" 2>/dev/null || rm -rf "$partial"
}

# The broker's pid, if the process in the pid file is still our broker: a stale file may name a
# pid reused by something else, which must not be signalled.
kafka_pid() {
    local pid
    pid="$(cat "$kafka_state/kafka.pid" 2>/dev/null)" || return 1
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $kafka_state/server.properties" \
        && echo "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

kafka_configure() {
    mkdir -p "$kafka_state/data"
    # Written on every start, so a changed port takes effect; the data directory keeps the rest.
    # A static voter set: a single controller never changes, so the dynamic quorum buys nothing.
    # Internal topics get few partitions: on a single broker more only slow their creation.
    cat >"$kafka_state/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$kafka_controller_port
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$kafka_controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$kafka_state/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
CONF
    if [ ! -s "$kafka_state/data/meta.properties" ]; then
        log "formatting Kafka's storage in $kafka_state/data"
        # A cluster id is 16 random bytes in unpadded base64url.
        local cluster_id
        cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
        java -cp "$kafka_libs/*" kafka.tools.StorageTool format --config "$kafka_state/server.properties" \
            --cluster-id "$cluster_id" --ignore-formatted >&2
    fi
}

kafka_fail() {
    log "$1; the end of $kafka_state/server.log:"
    tail -n 40 "$kafka_state/server.log" >&2 || true
    exit 1
}

# Ready means it answers a metadata request, not only that its port accepts connections.
kafka_wait() {
    # Only whether it lives: a process just started may not have become java yet.
    local pid deadline=$((SECONDS + 90))
    pid="$(cat "$kafka_state/kafka.pid")"
    while [ "$SECONDS" -lt "$deadline" ]; do
        kill -0 "$pid" 2>/dev/null || kafka_fail "Kafka exited while starting"
        if port_open "$kafka_port" && timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$kafka_libs/*" \
            org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$kafka_port" --list >/dev/null 2>&1; then
            return
        fi
        sleep 1
    done
    kafka_fail "Kafka did not become ready within 90 s"
}

kafka_up() {
    kafka_install
    if [ -z "$(kafka_pid)" ]; then
        local port
        for port in "$kafka_port" "$kafka_controller_port"; do
            if port_open "$port"; then
                log "127.0.0.1:$port is taken by another process; set EVENTWRIGHT_KAFKA_PORT / EVENTWRIGHT_KAFKA_CONTROLLER_PORT"
                exit 1
            fi
        done
        kafka_configure
        log "starting Kafka on 127.0.0.1:$kafka_port"
        # A session of its own, so a Ctrl-C in the shell that ran `up` does not reach it.
        setsid java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
            -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.xml" \
            -cp "$kafka_libs/*" kafka.Kafka "$kafka_state/server.properties" \
            >>"$kafka_state/server.log" 2>&1 </dev/null &
        echo $! >"$kafka_state/kafka.pid"
    fi
    kafka_wait
}

# A zombie has an empty command line, so this also holds for a broker nobody has reaped yet.
kafka_gone_within() {
    for _ in $(seq 1 "$1"); do
        [ -n "$(kafka_pid)" ] || return 0
        sleep 1
    done
    return 1
}

kafka_down() {
    local pid
    pid="$(kafka_pid)" || true
    if [ -n "$pid" ]; then
        log "stopping Kafka"
        # A clean shutdown spares the next start a log recovery; it takes a few seconds.
        kill -TERM "$pid" 2>/dev/null || true
        if ! kafka_gone_within 60; then
            log "Kafka did not stop within 60 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            kafka_gone_within 10 || true
        fi
    fi
    rm -f "$kafka_state/kafka.pid"
}

print_env() {
    echo "export EVENTWRIGHT_POSTGRES_URL=postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$pg_database"
    echo "export EVENTWRIGHT_KAFKA_BROKERS=127.0.0.1:$kafka_port"
    # For `java -cp` to run Kafka's own tools, e.g. org.apache.kafka.tools.consumer.ConsoleConsumer.
    echo "export EVENTWRIGHT_KAFKA_CLASSPATH='$kafka_libs/*'"
}

case "${1:-}" in
    up)
        postgres_up
        kafka_up
        print_env
        ;;
    env) print_env ;;
    down)
        kafka_down
        postgres_down
        ;;
    kafka-stop) kafka_down ;;
    kafka-start) kafka_up ;;
    *)
        echo "usage: $0 up|env|down|kafka-stop|kafka-start" >&2
        exit 2
        ;;
esac
