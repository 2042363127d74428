/**
 * The Kafka versions the local stack runs: 4.x (what users run today, the default) and 3.9
 * (the last 3.x) on request. They differ in the Maven pom, the logging backend (log4j 2 in
 * 4.x, log4j 1 via reload4j in 3.x) and the class names of some command-line tools; the
 * broker, its KRaft configuration and the storage tool are the same.
 */
import path from 'node:path';
import { STACK_SRC } from './paths.js';
import { readState } from './state.js';
import type { Component } from './toolchain.js';

export type KafkaVersion = '3' | '4';
export const KAFKA_VERSIONS: readonly KafkaVersion[] = ['3', '4'];
export const DEFAULT_KAFKA_VERSION: KafkaVersion = '4';

/** The pom under scripts/stack/ that resolves this version. */
export function kafkaComponent(version: KafkaVersion): Component {
  return version === '3' ? 'kafka' : 'kafka4';
}

/** Command-line tool classes; the console producer moved from Scala (core) to Java in 4.0. */
export function kafkaToolClasses(version: KafkaVersion) {
  return {
    consoleProducer: version === '3' ? 'kafka.tools.ConsoleProducer' : 'org.apache.kafka.tools.ConsoleProducer',
    consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
    topicCommand: 'org.apache.kafka.tools.TopicCommand',
    consumerGroupCommand: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    dumpLogSegments: version === '3' ? 'kafka.tools.DumpLogSegments' : 'org.apache.kafka.tools.DumpLogSegments',
    storageTool: 'kafka.tools.StorageTool',
  };
}

/** The JVM flag that points Kafka's logging at our config: the broker's or the tools' one. */
export function kafkaLogConfigArg(version: KafkaVersion, what: 'broker' | 'tools'): string {
  if (version === '3') return `-Dlog4j.configuration=file:${path.join(STACK_SRC, 'kafka', what === 'broker' ? 'log4j.properties' : 'tools-log4j.properties')}`;
  return `-Dlog4j2.configurationFile=${path.join(STACK_SRC, 'kafka4', what === 'broker' ? 'log4j2.properties' : 'tools-log4j2.properties')}`;
}

export function parseKafkaVersion(value: string | undefined, what: string): KafkaVersion | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const major = v.split('.')[0];
  if (!KAFKA_VERSIONS.includes(major as KafkaVersion)) throw new Error(`${what}: Kafka version must be 3 (3.9) or 4 (4.x), got ${v}`);
  return major as KafkaVersion;
}

/**
 * The Kafka the stack runs or will run: SLUICE_STACK_KAFKA, else the one the stack was
 * created with, else 4. Tools follow it (both tool generations talk to both brokers).
 */
export function currentKafkaVersion(): KafkaVersion {
  return parseKafkaVersion(process.env.SLUICE_STACK_KAFKA, 'SLUICE_STACK_KAFKA') ?? readState().kafka?.version ?? DEFAULT_KAFKA_VERSION;
}
