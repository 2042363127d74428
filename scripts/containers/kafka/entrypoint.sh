#!/bin/sh
# Entrypoint of the local apache/kafka stand-in, with the official image's conventions:
# every KAFKA_<NAME> environment variable is the broker setting <name> (lower case, `_` -> `.`,
# `__` -> `_`, `___` -> `-`), except the JVM option variables; CLUSTER_ID formats the log
# directories on the first start (KRaft). Without any setting variable, a single-node
# broker+controller on localhost:9092 starts.
set -eu
props=/etc/kafka/docker/server.properties
: > "$props"
env | while IFS= read -r line; do
  name=${line%%=*}
  value=${line#*=}
  case $name in
    KAFKA_HEAP_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_OPTS | KAFKA_LOG4J_OPTS | KAFKA_JMX_OPTS | KAFKA_GC_LOG_OPTS) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key=$(printf '%s' "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
  printf '%s=%s\n' "$key" "$value" >> "$props"
done
if [ ! -s "$props" ]; then
  cat > "$props" <<'DEFAULTS'
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=/tmp/kraft-combined-logs
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
DEFAULTS
fi
cluster_id=${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}
# --ignore-formatted: a restart on the same volume keeps its data and broker identity.
/opt/kafka/bin/kafka-storage.sh format --cluster-id "$cluster_id" --config "$props" --ignore-formatted
exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$props"
