/**
 * Kafka connection settings shared by everything that talks to Kafka for a pipeline: the
 * input's consumer, the dead-letter producer, `replay` and `doctor`.
 */
import { Type, type Static } from '@sinclair/typebox';
import kafkajs, { type KafkaConfig, type logLevel as LogLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { registerCompressionCodecs } from './compression.js';

const { Kafka, logLevel } = kafkajs;

export const connectionProperties = {
  brokers: Type.Array(Type.String({ minLength: 1 }), {
    minItems: 1,
    description: 'Bootstrap brokers as host:port. An entry may hold a comma-separated list, so one `${KAFKA_BROKERS}` can carry several.',
  }),
  clientId: Type.String({ default: 'sluice', description: 'Client id sent to the brokers (shows in broker logs and quotas).' }),
  connectionTimeoutMs: Type.Integer({ minimum: 100, default: 10000, description: 'Time to establish a connection to a broker.' }),
  requestTimeoutMs: Type.Integer({ minimum: 100, default: 30000, description: 'Time to wait for a broker to answer a request.' }),
};

export const connectionSchema = Type.Object(connectionProperties);
export type ConnectionSettings = Static<typeof connectionSchema>;

export function brokerList(brokers: readonly string[]): string[] {
  return brokers.flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean);
}

/** Routes kafkajs's own logging into pino at a level that does not drown the operator. */
function kafkajsLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: { namespace: string; level: LogLevel; label: string; log: { message: string; [k: string]: unknown } }) => {
      const { message, ...rest } = log;
      const fields = { component: 'kafkajs', ...rest };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.debug(fields, message);
      else logger.trace(fields, message);
    };
}

export function createKafka(settings: ConnectionSettings, logger: Logger, clientSuffix = ''): InstanceType<typeof Kafka> {
  registerCompressionCodecs();
  const config: KafkaConfig = {
    clientId: `${settings.clientId}${clientSuffix}`,
    brokers: brokerList(settings.brokers),
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: logLevel.INFO,
    logCreator: kafkajsLogCreator(logger),
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  };
  return new Kafka(config);
}
