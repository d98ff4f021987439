# A three-node Kafka cluster on 127.0.0.1, for the tests of broker failures; sourced by
# scripts/services.sh, whose helpers and Kafka jars it uses.
#
# Each node is broker and controller (KRaft), with a heap of its own kept small. Topics get
# three replicas and need two in sync to take a write: one node may die without losing an
# acknowledged record or stopping writes. Node N listens on $cluster_port + (N-1)*100, and its
# controller one port above.

cluster_dir="$state/kafka-cluster"
cluster_port="${EVENTWRIGHT_KAFKA_CLUSTER_PORT:-29192}"
cluster_nodes=(1 2 3)

node_port() { echo $((cluster_port + ($1 - 1) * 100)); }
node_dir() { echo "$cluster_dir/node$1"; }

cluster_brokers() {
    local node list=()
    for node in "${cluster_nodes[@]}"; do list+=("127.0.0.1:$(node_port "$node")"); done
    (IFS=,; echo "${list[*]}")
}

cluster_voters() {
    local node list=()
    for node in "${cluster_nodes[@]}"; do list+=("$node@127.0.0.1:$(($(node_port "$node") + 1))"); done
    (IFS=,; echo "${list[*]}")
}

node_pid() {
    pid_of "$(node_dir "$1")/kafka.pid" "kafka.Kafka $(node_dir "$1")/server.properties"
}

node_configure() {
    local node="$1" dir port
    dir="$(node_dir "$node")"
    port="$(node_port "$node")"
    mkdir -p "$dir/data"
    cat >"$dir/server.properties" <<CONF
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$(cluster_voters)
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$((port + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$dir/data
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
auto.create.topics.enable=false
offsets.topic.replication.factor=3
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
# How soon a dead node stops holding writes up. The controller fences a node (and moves its
# leaderships) once its heartbeats stop for this long; Kafka's default is 9 s.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500
# A follower that stopped fetching leaves the in-sync replicas after this long; until then a
# write with acks=all waits for it. Kafka's default, 30 s, held the relay's batches for as long.
replica.lag.time.max.ms=3000
CONF
    if [ ! -s "$dir/data/meta.properties" ]; then
        java -cp "$kafka_libs/*" kafka.tools.StorageTool format --config "$dir/server.properties" \
            --cluster-id="$(cat "$cluster_dir/cluster-id")" --ignore-formatted >&2
    fi
}

node_start() {
    local node="$1" dir
    dir="$(node_dir "$node")"
    if [ -n "$(node_pid "$node")" ]; then return; fi
    ports_free "EVENTWRIGHT_KAFKA_CLUSTER_PORT" "$(node_port "$node")" "$(($(node_port "$node") + 1))"
    node_configure "$node"
    log "starting Kafka node $node on 127.0.0.1:$(node_port "$node")"
    setsid java -Xms128m -Xmx384m -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.xml" \
        -cp "$kafka_libs/*" kafka.Kafka "$dir/server.properties" \
        >>"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/kafka.pid"
}

# Ready means the node answers a metadata request on its own port.
node_wait() {
    local node="$1" dir pid deadline
    dir="$(node_dir "$node")"
    pid="$(cat "$dir/kafka.pid")"
    deadline=$((SECONDS + 120))
    while [ "$SECONDS" -lt "$deadline" ]; do
        kill -0 "$pid" 2>/dev/null || start_failed "$dir/server.log" "Kafka node $node exited while starting"
        if port_open "$(node_port "$node")" && timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 \
            -cp "$kafka_libs/*" org.apache.kafka.tools.TopicCommand \
            --bootstrap-server "127.0.0.1:$(node_port "$node")" --list >/dev/null 2>&1; then
            return
        fi
        sleep 1
    done
    start_failed "$dir/server.log" "Kafka node $node did not become ready within 120 s"
}

kafka_cluster_up() {
    maven_fetch "$kafka_pom" "$kafka_libs" Kafka
    mkdir -p "$cluster_dir"
    if [ ! -s "$cluster_dir/cluster-id" ]; then
        head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' >"$cluster_dir/cluster-id"
    fi
    local node
    # Together: a controller quorum needs two of its three voters before any node is ready.
    for node in "${cluster_nodes[@]}"; do node_start "$node"; done
    for node in "${cluster_nodes[@]}"; do node_wait "$node"; done
}

kafka_cluster_down() {
    local node pid
    # All at once: a node stopping alone waits for a controller quorum the others have left.
    for node in "${cluster_nodes[@]}"; do
        pid="$(node_pid "$node")" || true
        if [ -n "$pid" ]; then
            log "stopping Kafka node $node"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    # The last node up can wait minutes for that quorum; its data is a test's scratch, which a
    # start recovers after a kill anyway.
    for node in "${cluster_nodes[@]}"; do
        if ! gone_within "node_pid $node" 15; then
            kill -KILL "$(node_pid "$node")" 2>/dev/null || true
            gone_within "node_pid $node" 10 || true
        fi
        rm -f "$(node_dir "$node")/kafka.pid"
    done
}

kafka_node_kill() {
    crash "Kafka node $1" "node_pid $1"
}

kafka_node_restart() {
    node_start "$1"
    node_wait "$1"
}
