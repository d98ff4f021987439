# A three-node Cassandra cluster on loopback, for the tests of node failures; sourced by
# scripts/services.sh, whose helpers and Cassandra jars it uses.
#
# Node N listens on 127.0.0.(N+1), each on the same ports, as drivers expect of a cluster (they
# learn the other nodes' addresses from the one they reach, not their ports). Linux routes all of
# 127.0.0.0/8 to the loopback interface, so nothing needs configuring and nothing leaves the
# machine. Each node owns one third of the ring (one token each, spaced evenly) and starts as a
# seed, so the three start together instead of one after the other. Logins are required
# (PasswordAuthenticator), with the user below, hints are kept for a node that is down, and
# lightweight transactions take Paxos v2's fewer round trips, as in production; heaps are small.

cassandra_cluster_dir="$(realpath -m "$state")/cassandra-cluster"
cassandra_cluster_port="${EVENTWRIGHT_CASSANDRA_CLUSTER_PORT:-29142}"
cassandra_cluster_storage_port="${EVENTWRIGHT_CASSANDRA_CLUSTER_STORAGE_PORT:-29170}"
cassandra_cluster_nodes=(1 2 3)
cassandra_cluster_tokens=(-9223372036854775808 -3074457345618258603 3074457345618258602)
cassandra_cluster_user=eventwright
cassandra_cluster_password=eventwright-cql

cassandra_node_address() { echo "127.0.0.$(($1 + 1))"; }
cassandra_node_dir() { echo "$cassandra_cluster_dir/node$1"; }

cassandra_cluster_nodes_list() {
    local node list=()
    for node in "${cassandra_cluster_nodes[@]}"; do
        list+=("$(cassandra_node_address "$node"):$1")
    done
    (IFS=,; echo "${list[*]}")
}

cassandra_node_pid() {
    local dir
    dir="$(cassandra_node_dir "$1")"
    pid_of "$dir/cassandra.pid" "-Dcassandra.config=file://$dir/cassandra.yaml "
}

cassandra_node_configure() {
    local node="$1" dir
    dir="$(cassandra_node_dir "$node")"
    mkdir -p "$dir"
    {
        cassandra_yaml "$dir" "$(cassandra_node_address "$node")" \
            "$(cassandra_cluster_nodes_list "$cassandra_cluster_storage_port")" \
            "$cassandra_cluster_port" "$cassandra_cluster_storage_port"
        cat <<CONF
num_tokens: 1
initial_token: ${cassandra_cluster_tokens[$((node - 1))]}
auto_bootstrap: false
authenticator: PasswordAuthenticator
hinted_handoff_enabled: true
paxos_variant: v2
memtable_heap_space: 64MiB
CONF
    } >"$dir/cassandra.yaml"
}

cassandra_node_start() {
    local node="$1" address
    address="$(cassandra_node_address "$node")"
    if [ -n "$(cassandra_node_pid "$node")" ]; then return; fi
    if port_open "$cassandra_cluster_port" "$address"; then
        log "$address:$cassandra_cluster_port is taken by another process; set EVENTWRIGHT_CASSANDRA_CLUSTER_PORT"
        exit 1
    fi
    cassandra_node_configure "$node"
    # The default superuser is made as soon as a node can, not after the usual 10 s.
    cassandra_launch "$(cassandra_node_dir "$node")" 512m "Cassandra node $node on $address:$cassandra_cluster_port" \
        -Dcassandra.superuser_setup_delay_ms=0
}

# Waits up to 180 s for node $1 to answer a CQL query as the cluster's user, or, before that user
# exists, for its CQL port to open.
cassandra_node_wait() {
    local node="$1" dir address pid deadline
    dir="$(cassandra_node_dir "$node")"
    address="$(cassandra_node_address "$node")"
    pid="$(cat "$dir/cassandra.pid")"
    deadline=$((SECONDS + 180))
    while [ "$SECONDS" -lt "$deadline" ]; do
        kill -0 "$pid" 2>/dev/null || start_failed "$dir/server.log" "Cassandra node $node exited while starting"
        if [ "${2:-}" = port-only ]; then
            port_open "$cassandra_cluster_port" "$address" && return
        elif cql_answers "$address" "$cassandra_cluster_port" "$cassandra_cluster_user" "$cassandra_cluster_password"; then
            return
        fi
        sleep 1
    done
    start_failed "$dir/server.log" "Cassandra node $node did not become ready within 180 s"
}

# Logged in as the default superuser: the roles keyspace gets a replica on every node, so a login
# works with any one of them down, and the cluster's user is made. Retried while the nodes are
# still agreeing on the ring and the default superuser.
cassandra_cluster_users() {
    local deadline=$((SECONDS + 120))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if timeout 60 "$cassandra_venv/bin/python" - "$(cassandra_node_address 1)" "$cassandra_cluster_port" \
            "$cassandra_cluster_user" "$cassandra_cluster_password" >>"$cassandra_cluster_dir/setup.log" 2>&1 <<'PY'; then
import sys
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
cluster = Cluster([host], port=port, connect_timeout=5,
                  auth_provider=PlainTextAuthProvider("cassandra", "cassandra"))
session = cluster.connect()
session.execute("ALTER KEYSPACE system_auth WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 3}")
session.execute("CREATE ROLE IF NOT EXISTS %s WITH PASSWORD = '%s' AND LOGIN = true AND SUPERUSER = true"
                % (user, password))
cluster.shutdown()
PY
            return
        fi
        sleep 2
    done
    start_failed "$cassandra_cluster_dir/setup.log" "could not make the Cassandra cluster's user within 120 s"
}

cassandra_cluster_up() {
    cassandra_install
    mkdir -p "$cassandra_cluster_dir"
    local node fresh=
    [ -s "$cassandra_cluster_dir/users-made" ] || fresh=yes
    for node in "${cassandra_cluster_nodes[@]}"; do cassandra_node_start "$node"; done
    if [ -n "$fresh" ]; then
        for node in "${cassandra_cluster_nodes[@]}"; do cassandra_node_wait "$node" port-only; done
        cassandra_cluster_users
        date >"$cassandra_cluster_dir/users-made"
    fi
    for node in "${cassandra_cluster_nodes[@]}"; do cassandra_node_wait "$node"; done
}

cassandra_cluster_down() {
    local node
    for node in "${cassandra_cluster_nodes[@]}"; do
        stop_service "Cassandra node $node" "cassandra_node_pid $node" "$(cassandra_node_dir "$node")/cassandra.pid"
    done
}

cassandra_node_kill() {
    crash "Cassandra node $1" "cassandra_node_pid $1"
}

cassandra_node_restart() {
    cassandra_node_start "$1"
    cassandra_node_wait "$1"
}
