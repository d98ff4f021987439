#!/usr/bin/env bash
# Services the tests talk to, on 127.0.0.1 only, installed from package registries.
#
#   scripts/services.sh up           install what is missing, start, wait until ready, print the env
#   scripts/services.sh env          print the environment variables the tests read
#   scripts/services.sh down         stop everything started here
#   scripts/services.sh kafka-stop   stop only the Kafka broker, keeping its data (outage tests)
#   scripts/services.sh kafka-start  start it again and wait until it is ready
#   scripts/services.sh kafka-cluster-up    start the three-node Kafka cluster (only its tests use it)
#   scripts/services.sh kafka-cluster-down  stop it
#   scripts/services.sh kafka-node-kill N   SIGKILL node N (1-3) of the cluster
#   scripts/services.sh kafka-node-start N  start it again and wait until it answers
#   scripts/services.sh cassandra-stop   stop only the Cassandra node, keeping its data
#   scripts/services.sh cassandra-start  start it again and wait until it answers CQL
#   scripts/services.sh cassandra-cluster-up    start the three-node Cassandra cluster (only its tests use it)
#   scripts/services.sh cassandra-cluster-down  stop it
#   scripts/services.sh cassandra-node-kill N   SIGKILL node N (1-3) of the cluster
#   scripts/services.sh cassandra-node-start N  start it again and wait until it answers CQL
#
# Idempotent: `up` on a running setup only prints the env. State lives in
# $EVENTWRIGHT_SERVICES_DIR (default: target/services), so a clean checkout starts fresh.
# Downloads are kept in $EVENTWRIGHT_SERVICES_CACHE (default: ~/.cache/eventwright), so a fresh
# clone does not fetch them again.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${EVENTWRIGHT_SERVICES_DIR:-$root/target/services}"

# Every default port sits below 32768, outside Linux's ephemeral range: probing a closed port in
# that range can connect a socket to itself (same address at both ends), whose TIME_WAIT then
# keeps the server from binding the port for a minute.
pg_port="${EVENTWRIGHT_PG_PORT:-25432}"
pg_data="$state/postgres"
pg_user=eventwright
pg_password=eventwright
pg_database=eventwright

# One authority signs a certificate for 127.0.0.1 that every server presents on its TLS port, so
# the tests can check TLS the way a deployment does: against a CA file, by address.
tls_dir="$state/tls"

cache="${EVENTWRIGHT_SERVICES_CACHE:-$HOME/.cache/eventwright}"

kafka_port="${EVENTWRIGHT_KAFKA_PORT:-29092}"
kafka_controller_port="${EVENTWRIGHT_KAFKA_CONTROLLER_PORT:-29093}"
# A second listener with TLS and SASL/SCRAM, as a secured cluster has, and the user it knows.
kafka_secure_port="${EVENTWRIGHT_KAFKA_SECURE_PORT:-29094}"
kafka_scram_user=eventwright
kafka_scram_password=eventwright-scram
kafka_state="$state/kafka"
kafka_pom="$root/scripts/kafka/pom.xml"
# Named after the pom's contents, so a new Kafka version or an added jar gets a fresh directory.
kafka_libs="$cache/kafka-$(sha256sum "$kafka_pom" | cut -c 1-16)"

# CQL clients connect to the native transport port; the storage port is for gossip and messages
# between nodes, which a single node still opens and talks to itself over. Nothing else listens:
# JMX stays off (no nodetool), and the SSL storage port opens only with internode encryption.
cassandra_port="${EVENTWRIGHT_CASSANDRA_PORT:-29042}"
cassandra_storage_port="${EVENTWRIGHT_CASSANDRA_STORAGE_PORT:-29070}"
# Absolute, since Cassandra takes its configuration as a file:// URL.
cassandra_state="$(realpath -m "$state")/cassandra"
cassandra_conf="$root/scripts/cassandra"
cassandra_libs="$cache/cassandra-$(sha256sum "$cassandra_conf/pom.xml" | cut -c 1-16)"
cassandra_venv="$cache/cassandra-python-$(sha256sum "$cassandra_conf/requirements.txt" | cut -c 1-16)"

schemathesis_requirements="$root/scripts/schemathesis/requirements.txt"
schemathesis_venv="$cache/schemathesis-$(sha256sum "$schemathesis_requirements" | cut -c 1-16)"

log() { echo "services: $*" >&2; }

# A CA and a server certificate for 127.0.0.1, made once, in PEM; and the server's key and chain as
# PKCS#12, for the Java servers' keystores.
tls_material() {
    if [ -s "$tls_dir/server.p12" ]; then return; fi
    log "making a test CA and a certificate for 127.0.0.1 in $tls_dir"
    mkdir -p "$tls_dir"
    (
        cd "$tls_dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=eventwright test CA" \
            -keyout ca.key -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
        printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
            "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile server.ext -out server.pem 2>/dev/null
        openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -name server \
            -passout pass:eventwright -out server.p12.partial
        mv server.p12.partial server.p12
    )
}

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
        # The port given here wins over the one initdb wrote, so moving it needs no new cluster.
        # TLS on beside plain connections: the server's own copy of the key, as it insists on
        # owning a key only it can read.
        install -m 600 "$tls_dir/server.key" "$pg_data/server.key"
        install -m 644 "$tls_dir/server.pem" "$pg_data/server.pem"
        chown postgres: "$pg_data/server.key" "$pg_data/server.pem" 2>/dev/null || true
        as_postgres "$bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" \
            -o "-p $pg_port -c ssl=on -c ssl_cert_file=server.pem -c ssl_key_file=server.key" \
            -w -t 60 start >/dev/null
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

python_install() {
    if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        log "installing Python's venv from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3-venv >/dev/null
    fi
}

# What the two Java services share: fetching jars, starting, waiting, stopping.

# Fills directory $1 by running the command after $2 with a directory to fill as its last
# argument, unless $1 is there already; $2 is what failing to fill it is logged as. The
# directory is filled aside and renamed when complete, so an interrupted download is never
# taken for a finished one, nor are two checkouts fetching at once in each other's way.
fill_aside() {
    local dir="$1" failure="$2"
    shift 2
    [ -d "$dir" ] && return
    local partial="$dir.partial.$$"
    rm -rf "$partial"
    if ! "$@" "$partial"; then
        rm -rf "$partial"
        log "$failure"
        exit 1
    fi
    mv -T "$partial" "$dir" 2>/dev/null || rm -rf "$partial"
}

# The runtime jars pom $1 lists, copied from Maven Central into directory $2.
maven_copy() {
    mvn -q -B -f "$1" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$2" >&2
}

# A venv at $2 holding the packages of requirements file $1. A venv's python finds its packages
# from the pyvenv.cfg beside it, so it works after fill_aside moves it; its console scripts
# start with the python of the path they were installed at, so they are run here as
# `python -m`, never directly.
venv_create() {
    python3 -m venv "$2" && "$2/bin/python" -m pip install -q --no-input -r "$1" >&2
}

# The jars pom $1 lists, in directory $2 ($3 says what, for the log).
maven_fetch() {
    [ -d "$2" ] && return
    java_install
    log "fetching $3's jars from Maven Central into $2"
    fill_aside "$2" "Maven could not fetch $3" maven_copy "$1"
}

# A venv at $1 holding the packages of requirements file $2 ($3 says what, for the log).
venv_install() {
    [ -d "$1" ] && return
    python_install
    log "installing $3 from PyPI into $1"
    fill_aside "$1" "pip could not install $3" venv_create "$2"
}

# The pid in pid file $1, if that process is still ours: its command line holds $2. A stale file
# may name a pid reused by something else, which must not be signalled.
pid_of() {
    local pid
    pid="$(cat "$1" 2>/dev/null)" || return 1
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$2" && echo "$pid"
}

# Whether port $1 on $2 (default 127.0.0.1) accepts a connection.
port_open() {
    (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# Exits unless every port after $1 is free; $1 names the variables that move them.
ports_free() {
    local variables="$1" port
    shift
    for port in "$@"; do
        if port_open "$port"; then
            log "127.0.0.1:$port is taken by another process; set $variables"
            exit 1
        fi
    done
}

# Exits with message $2 and the end of server log $1.
start_failed() {
    log "$2; the end of $1:"
    tail -n 40 "$1" >&2 || true
    exit 1
}

# Waits up to $4 seconds for the service started with pid file $2 to pass probe $5 (a
# function); $1 names it and $3 is its log, shown if it does not.
wait_ready() {
    local what="$1" pid_file="$2" server_log="$3" seconds="$4" probe="$5" pid deadline
    deadline=$((SECONDS + seconds))
    # Only whether it lives: a process just started may not have become java yet.
    pid="$(cat "$pid_file")"
    while [ "$SECONDS" -lt "$deadline" ]; do
        kill -0 "$pid" 2>/dev/null || start_failed "$server_log" "$what exited while starting"
        "$probe" && return
        sleep 1
    done
    start_failed "$server_log" "$what did not become ready within $seconds s"
}

# Whether the process pid function $1 finds is gone within $2 seconds. A zombie has an empty
# command line, so this also holds for a process nobody has reaped yet.
gone_within() {
    for _ in $(seq 1 "$2"); do
        # Unquoted: a function and its arguments, e.g. `node_pid 2`.
        # shellcheck disable=SC2086
        [ -n "$($1)" ] || return 0
        sleep 1
    done
    return 1
}

# Kills the process pid function $2 finds ($1 names it) with SIGKILL, as a crashed machine:
# nothing flushed, no controlled shutdown, no goodbye to the other nodes.
crash() {
    local pid
    # shellcheck disable=SC2086
    pid="$($2)" || true
    if [ -n "$pid" ]; then
        log "killing $1 (SIGKILL)"
        kill -KILL "$pid"
        gone_within "$2" 10 || true
    fi
}

# Stops the process pid function $2 finds ($1 names it), then removes its pid file $3. SIGTERM
# asks for a clean shutdown, which spares the next start a log replay and takes a few seconds.
stop_service() {
    local what="$1" pid_fn="$2" pid_file="$3" pid
    # shellcheck disable=SC2086
    pid="$($pid_fn)" || true
    if [ -n "$pid" ]; then
        log "stopping $what"
        kill -TERM "$pid" 2>/dev/null || true
        if ! gone_within "$pid_fn" 60; then
            log "$what did not stop within 60 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            gone_within "$pid_fn" 10 || true
        fi
    fi
    rm -f "$pid_file"
}

# Kafka: one process that is both broker and controller (KRaft), no ZooKeeper.

kafka_pid() {
    pid_of "$kafka_state/kafka.pid" "kafka.Kafka $kafka_state/server.properties"
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
listeners=PLAINTEXT://127.0.0.1:$kafka_port,SASL_SSL://127.0.0.1:$kafka_secure_port,CONTROLLER://127.0.0.1:$kafka_controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port,SASL_SSL://127.0.0.1:$kafka_secure_port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls_dir/server.p12
ssl.keystore.password=eventwright
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
            --cluster-id="$cluster_id" --ignore-formatted >&2
    fi
}

# Ready means it answers a metadata request, not only that its port accepts connections.
kafka_answers() {
    port_open "$kafka_port" && timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$kafka_libs/*" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$kafka_port" --list >/dev/null 2>&1
}

kafka_up() {
    maven_fetch "$kafka_pom" "$kafka_libs" Kafka
    if [ -z "$(kafka_pid)" ]; then
        ports_free "EVENTWRIGHT_KAFKA_PORT / EVENTWRIGHT_KAFKA_SECURE_PORT / EVENTWRIGHT_KAFKA_CONTROLLER_PORT" \
            "$kafka_port" "$kafka_secure_port" "$kafka_controller_port"
        kafka_configure
        log "starting Kafka on 127.0.0.1:$kafka_port"
        # A session of its own, so a Ctrl-C in the shell that ran `up` does not reach it.
        setsid java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
            -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.xml" \
            -cp "$kafka_libs/*" kafka.Kafka "$kafka_state/server.properties" \
            >>"$kafka_state/server.log" 2>&1 </dev/null &
        echo $! >"$kafka_state/kafka.pid"
    fi
    wait_ready Kafka "$kafka_state/kafka.pid" "$kafka_state/server.log" 90 kafka_answers
    kafka_scram_user_add
}

# The SCRAM user lives in the cluster's metadata: added once, through the plain listener.
kafka_scram_user_add() {
    local marker="$kafka_state/data/.scram-user-$kafka_scram_user"
    if [ -e "$marker" ]; then return; fi
    log "adding Kafka's SCRAM user $kafka_scram_user"
    # One mechanism per request: Kafka refuses to alter a user's credentials twice in one.
    local mechanism
    for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
        java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$kafka_libs/*" kafka.admin.ConfigCommand \
            --bootstrap-server "127.0.0.1:$kafka_port" --alter --entity-type users \
            --entity-name "$kafka_scram_user" \
            --add-config "$mechanism=[password=$kafka_scram_password]" >&2
    done
    touch "$marker"
}

kafka_down() {
    stop_service Kafka kafka_pid "$kafka_state/kafka.pid"
}

# Cassandra: one node, and a Python driver for the readiness probe and the tests' second client.
# What it shares with the nodes of the cluster (scripts/cassandra/cluster.sh) is written once here.

cassandra_pid() {
    pid_of "$cassandra_state/cassandra.pid" "-Dcassandra.config=file://$cassandra_state/cassandra.yaml "
}

# The settings every node here has, for a node keeping its state in $1 and listening on $2, with
# seeds $3 (address:port, comma-separated), CQL port $4 and storage port $5. The callers append
# what differs between the lone node and the cluster's.
# Cassandra 5.0 names: sizes and durations carry their unit. What is not here has Cassandra's
# default, which is also what the Maven jar holds: it has no cassandra.yaml of its own (see
# org.apache.cassandra.config.Config for every key).
# - storage_compatibility_mode NONE: these nodes never meet a 4.x one, so 5.0's formats and
#   limits apply from the start rather than after an upgrade step.
# - No snapshots before DROP/TRUNCATE (tests drop a lot).
# - Caches and thread pools sized for a small heap on 2 cores; the defaults assume a server.
# Batch size limits, timeouts and the commit log stay at their defaults: tests should meet what a
# real cluster would do.
cassandra_yaml() {
    local dir="$1" address="$2" seeds="$3" native_port="$4" storage_port="$5"
    cat <<CONF
cluster_name: eventwright
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$seeds"
listen_address: $address
rpc_address: $address
storage_port: $storage_port
native_transport_port: $native_port
endpoint_snitch: SimpleSnitch
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
storage_compatibility_mode: NONE
data_file_directories:
  - $dir/data
commitlog_directory: $dir/commitlog
saved_caches_directory: $dir/saved_caches
hints_directory: $dir/hints
cdc_raw_directory: $dir/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
authorizer: AllowAllAuthorizer
auto_snapshot: false
key_cache_size: 16MiB
counter_cache_size: 8MiB
file_cache_size: 32MiB
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 4
concurrent_materialized_view_writes: 4
concurrent_compactors: 1
memtable_flush_writers: 1
CONF
}

# Starts the node whose state is in $1 (its cassandra.yaml written) with a heap of at most $2,
# logging to $1/server.log; $3 names it in messages, and the arguments after it go to the JVM.
cassandra_launch() {
    local dir="$1" heap="$2" what="$3" jvm_options nolock=()
    shift 3
    mkdir -p "$dir/data" "$dir/triggers"
    mapfile -t jvm_options < <(grep -E '^-' "$cassandra_conf/jvm.options")
    # As root Cassandra's mlockall succeeds and pins everything mapped at start, the whole
    # initial heap included: about 1 GB resident instead of 0.7. A test node has nothing to fear
    # from swap, so the right to lock memory is dropped; it then logs a warning instead.
    if [ "$(id -u)" = 0 ]; then nolock=(setpriv --bounding-set=-ipc_lock); fi
    log "starting $what"
    # In the foreground as far as Cassandra knows, or it would close stdout, which is its log
    # here; setsid keeps it out of reach of the shell's Ctrl-C all the same. storagedir and
    # triggers_dir keep its remaining defaults in the state directory too. Gossip has no other
    # node to settle with on the lone node, and the cluster's nodes all start as seeds.
    setsid "${nolock[@]}" java -Xms256m "-Xmx$heap" -XX:+UseG1GC -Djava.awt.headless=true "${jvm_options[@]}" \
        -Dcassandra.config="file://$dir/cassandra.yaml" \
        -Dcassandra.storagedir="$dir" -Dcassandra.triggers_dir="$dir/triggers" \
        -Dcassandra.skip_wait_for_gossip_to_settle=0 "$@" \
        -Dcassandra-foreground=yes -Dlogback.configurationFile="$cassandra_conf/logback.xml" \
        -cp "$cassandra_libs/*" org.apache.cassandra.service.CassandraDaemon \
        >>"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/cassandra.pid"
}

# Whether the node at $1:$2 answers a CQL query, logged in as $3 with password $4 when given;
# not only whether the port accepts connections: the node opens it at the end of its start-up,
# but a query is what the tests need.
cql_answers() {
    port_open "$2" "$1" && timeout 30 "$cassandra_venv/bin/python" - "$@" >/dev/null 2>&1 <<'PY'
import sys
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster
from cassandra.policies import WhiteListRoundRobinPolicy
host, port = sys.argv[1], int(sys.argv[2])
auth = PlainTextAuthProvider(sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else None
cluster = Cluster([host], port=port, auth_provider=auth, connect_timeout=5,
                  load_balancing_policy=WhiteListRoundRobinPolicy([host]))
cluster.connect().execute("SELECT release_version FROM system.local")
cluster.shutdown()
PY
}

cassandra_answers() { cql_answers 127.0.0.1 "$cassandra_port"; }

# The lone node: one token (vnodes would only split every range scan into more pieces), TLS
# optional on the CQL port (the tests of TLS use it, the rest connect in the clear), no
# authentication, and no hints (no other node to keep them for).
cassandra_configure() {
    {
        cassandra_yaml "$cassandra_state" 127.0.0.1 "127.0.0.1:$cassandra_storage_port" \
            "$cassandra_port" "$cassandra_storage_port"
        cat <<CONF
num_tokens: 1
authenticator: AllowAllAuthenticator
client_encryption_options:
  enabled: true
  optional: true
  keystore: $tls_dir/server.p12
  keystore_password: eventwright
  store_type: PKCS12
hinted_handoff_enabled: false
memtable_heap_space: 128MiB
CONF
    } >"$cassandra_state/cassandra.yaml"
}

cassandra_install() {
    maven_fetch "$cassandra_conf/pom.xml" "$cassandra_libs" Cassandra
    venv_install "$cassandra_venv" "$cassandra_conf/requirements.txt" "the Python Cassandra driver"
}

cassandra_up() {
    cassandra_install
    if [ -z "$(cassandra_pid)" ]; then
        ports_free "EVENTWRIGHT_CASSANDRA_PORT / EVENTWRIGHT_CASSANDRA_STORAGE_PORT" \
            "$cassandra_port" "$cassandra_storage_port"
        mkdir -p "$cassandra_state"
        cassandra_configure
        cassandra_launch "$cassandra_state" 1g "Cassandra on 127.0.0.1:$cassandra_port"
    fi
    wait_ready Cassandra "$cassandra_state/cassandra.pid" "$cassandra_state/server.log" 180 cassandra_answers
}

cassandra_down() {
    stop_service Cassandra cassandra_pid "$cassandra_state/cassandra.pid"
}

# shellcheck source=kafka/cluster.sh
source "$root/scripts/kafka/cluster.sh"
# shellcheck source=cassandra/cluster.sh
source "$root/scripts/cassandra/cluster.sh"

print_env() {
    echo "export EVENTWRIGHT_POSTGRES_URL=postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$pg_database"
    echo "export EVENTWRIGHT_KAFKA_BROKERS=127.0.0.1:$kafka_port"
    echo "export EVENTWRIGHT_KAFKA_SECURE_BROKERS=127.0.0.1:$kafka_secure_port"
    # The three-node cluster, once `kafka-cluster-up` started it; node N's broker id is N.
    echo "export EVENTWRIGHT_KAFKA_CLUSTER=$(cluster_brokers)"
    echo "export EVENTWRIGHT_KAFKA_SCRAM_USER=$kafka_scram_user"
    echo "export EVENTWRIGHT_KAFKA_SCRAM_PASSWORD=$kafka_scram_password"
    # The authority that signed every server's certificate for 127.0.0.1.
    echo "export EVENTWRIGHT_TLS_CA=$tls_dir/ca.pem"
    # For `java -cp` to run Kafka's own tools, e.g. org.apache.kafka.tools.consumer.ConsoleConsumer.
    echo "export EVENTWRIGHT_KAFKA_CLASSPATH='$kafka_libs/*'"
    echo "export EVENTWRIGHT_CASSANDRA_NODES=127.0.0.1:$cassandra_port"
    # The three-node cluster, once `cassandra-cluster-up` started it, and the user it requires.
    echo "export EVENTWRIGHT_CASSANDRA_CLUSTER=$(cassandra_cluster_nodes_list "$cassandra_cluster_port")"
    echo "export EVENTWRIGHT_CASSANDRA_CLUSTER_USER=$cassandra_cluster_user"
    echo "export EVENTWRIGHT_CASSANDRA_CLUSTER_PASSWORD=$cassandra_cluster_password"
    # A Python with the cassandra-driver package, for tests that read tables with a second client.
    echo "export EVENTWRIGHT_CASSANDRA_PYTHON=$cassandra_venv/bin/python"
    # Run as `$EVENTWRIGHT_SCHEMATHESIS_PYTHON -m schemathesis.cli run ...`.
    echo "export EVENTWRIGHT_SCHEMATHESIS_PYTHON=$schemathesis_venv/bin/python"
}

case "${1:-}" in
    up)
        tls_material
        postgres_up
        kafka_up
        cassandra_up
        venv_install "$schemathesis_venv" "$schemathesis_requirements" "schemathesis"
        print_env
        ;;
    env) print_env ;;
    down)
        cassandra_cluster_down
        cassandra_down
        kafka_cluster_down
        kafka_down
        postgres_down
        ;;
    kafka-stop) kafka_down ;;
    kafka-start) tls_material; kafka_up ;;
    kafka-cluster-up) kafka_cluster_up ;;
    kafka-cluster-down) kafka_cluster_down ;;
    kafka-node-kill) kafka_node_kill "${2:?which node: 1, 2 or 3}" ;;
    kafka-node-start) kafka_node_restart "${2:?which node: 1, 2 or 3}" ;;
    cassandra-stop) cassandra_down ;;
    cassandra-start) tls_material; cassandra_up ;;
    cassandra-cluster-up) cassandra_cluster_up ;;
    cassandra-cluster-down) cassandra_cluster_down ;;
    cassandra-node-kill) cassandra_node_kill "${2:?which node: 1, 2 or 3}" ;;
    cassandra-node-start) cassandra_node_restart "${2:?which node: 1, 2 or 3}" ;;
    *)
        echo "usage: $0 up|env|down|kafka-stop|kafka-start|kafka-cluster-up|kafka-cluster-down|kafka-node-kill N|kafka-node-start N|cassandra-stop|cassandra-start|cassandra-cluster-up|cassandra-cluster-down|cassandra-node-kill N|cassandra-node-start N" >&2
        exit 2
        ;;
esac
