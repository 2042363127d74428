#!/bin/sh
# Entrypoint of the local Elasticsearch stand-in. Like the official image: every environment
# variable whose name contains a dot (discovery.type, cluster.name, ...) is a node setting,
# ES_JAVA_OPTS adds JVM options (heap: -Xms1g -Xmx1g unless it sets -Xms/-Xmx), data lives in
# /usr/share/elasticsearch/data, HTTP listens on all interfaces.
# The server is assembled from Maven Central, which has no x-pack: xpack.*.enabled=false is
# what this node is anyway and is accepted; asking for any other xpack.* setting is an error.
set -eu
home=/usr/share/elasticsearch
set -- "path.home=$home" "path.data=$home/data" "path.logs=$home/logs" \
  network.host=0.0.0.0 cluster.name=docker-cluster "node.name=$(hostname)"
settings=$(env | grep -E '^[a-z0-9_]+\.[a-z0-9_.]+=' || true)
old_ifs=$IFS
IFS='
'
for setting in $settings; do
  case $setting in
    xpack.*.enabled=false) echo "sluice-es: ignoring $setting (this node has no x-pack)" >&2 ;;
    xpack.*) echo "sluice-es: $setting is not available: this Elasticsearch is assembled from Maven Central without x-pack" >&2; exit 1 ;;
    *) set -- "$@" "$setting" ;;
  esac
done
IFS=$old_ifs
heap="-Xms1g -Xmx1g"
case " ${ES_JAVA_OPTS:-} " in *" -Xm"[sx]*) heap= ;; esac
modules=$(printf '%s:' "$home"/lib/*.jar)
netty4=$(printf '%s:' "$home"/netty4/*.jar)
# shellcheck disable=SC2086 # heap and ES_JAVA_OPTS hold several JVM options
exec java $heap ${ES_JAVA_OPTS:-} -XX:+UseG1GC -Xss1m -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
  -Djna.nosys=true -Djava.io.tmpdir=/tmp -Dlog4j2.formatMsgNoLookups=true -Dlog4j.shutdownHookEnabled=false \
  -Dlog4j2.disable.jmx=true -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
  -Dio.netty.recycler.maxCapacityPerThread=0 "-Des.path.home=$home" \
  --module-path "${modules%:}" --add-modules ALL-MODULE-PATH -cp "$home/launcher" dev.sluice.stack.es8.Es8Launcher \
  --module "transport-netty4=${netty4%:}" --module "sluice-root=$home/sluice-root.jar" "$@"
