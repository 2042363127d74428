/**
 * Local real-services stack for tests, the demo and developers: real Apache Kafka (KRaft)
 * and a real Elasticsearch node, downloaded from Maven Central and run on the local JDK.
 *
 *   const { kafkaBrokers, esUrl, started } = await ensureStack();
 *   ...
 *   if (started) await stopStack();
 *
 * CLI: `npm run stack:up [-- --brokers 3] [--clean]`, `npm run stack:down`, `npm run stack:status`.
 */
export {
  ensureStack,
  fetchStack,
  stopStack,
  stopElasticsearch,
  startElasticsearch,
  killBroker,
  startBroker,
  stackStatus,
  registerStackUser,
  otherStackUsers,
  type EnsureStackOptions,
  type StackInfo,
  type StackStatus,
} from './stack.js';
export {
  kafkaTool,
  consoleProduce,
  consoleConsume,
  CONSOLE_PRODUCER,
  CONSOLE_CONSUMER,
  TOPIC_COMMAND,
  CONSUMER_GROUP_COMMAND,
  DUMP_LOG_SEGMENTS,
  type ToolResult,
  type CompressionCodec,
  type ConsoleProduceOptions,
  type ConsoleConsumeOptions,
} from './kafka.js';
export { StackError } from './toolchain.js';
export { paths as stackPaths, type EsFlavor } from './paths.js';
export { currentKafkaVersion, type KafkaVersion } from './kafka-versions.js';
export {
  makeCertificates,
  startSecureKafka,
  startTlsProxy,
  newInstanceDir,
  removeInstanceDir,
  SECURE_ROOT,
  type Certificates,
  type SecureKafka,
  type TlsProxy,
} from './secure.js';
export { pruneRunLeftovers, RUN_MADE, type Pruned } from './prune.js';
