#!/bin/sh
# kafka-run-class.sh <main class> [args]: runs a Kafka class on the image's jars. The broker
# (kafka.Kafka) logs INFO to stdout with KAFKA_HEAP_OPTS (default 1 GiB, as in the official
# image); the tools log warnings to stderr with a small heap.
set -eu
class=$1
shift
if [ "$class" = kafka.Kafka ]; then
  heap=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
  log4j=/opt/kafka/config/log4j.properties
else
  heap=-Xmx256M
  log4j=/opt/kafka/config/tools-log4j.properties
fi
# shellcheck disable=SC2086 # the option variables hold several JVM options each
exec java $heap ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true} \
  "-Dlog4j.configuration=file:$log4j" ${KAFKA_OPTS:-} -cp '/opt/kafka/libs/*' "$class" "$@"
