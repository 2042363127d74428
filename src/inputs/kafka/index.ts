/** The `kafka` input: a consumer group over a list of topics or a topic pattern. */
import { Type, type Static } from '@sinclair/typebox';
import type { InputSpec } from '../../core/component.js';
import { connectionProperties } from './connection.js';
import { KafkaInput } from './consumer.js';
import { KafkaDeadLetterSink } from './dead-letter.js';
import { kafkaDiagnostics } from './diagnostics.js';

export const kafkaInputConfig = Type.Object(
  {
    ...connectionProperties,
    topics: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Topics to consume.' })),
    topicPattern: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Regular expression of topics to consume. Topics created later are picked up within `topicRefreshMs` (the member then rejoins its group) and read from their start.',
      }),
    ),
    topicRefreshMs: Type.Integer({ minimum: 1000, default: 30000, description: 'With `topicPattern`: how often to look for new matching topics.' }),
    groupId: Type.String({ minLength: 1, description: 'Consumer group id; replicas of one pipeline share it and split the partitions.' }),
    startFrom: Type.Union([Type.Literal('earliest'), Type.Literal('latest')], {
      default: 'earliest',
      description: 'Where a new consumer group starts. `earliest` (the default) indexes what is already in the topic; an existing group always resumes from its committed offsets.',
    }),
    codec: Type.Union([Type.Literal('plain'), Type.Literal('json')], {
      default: 'plain',
      description: '`plain`: the record value (UTF-8) becomes `message`. `json`: the value is a JSON object that becomes the event.',
    }),
    onDecodeError: Type.Union([Type.Literal('dead_letter'), Type.Literal('tag')], {
      default: 'dead_letter',
      description:
        'A record the codec cannot decode (invalid JSON, invalid UTF-8 for `json`, nesting deeper than `maxJsonDepth`): `dead_letter` sends it to the dead-letter topic with reason `decode_failed`; `tag` indexes its text as `message` tagged `_decodefailure` (invalid UTF-8 replaced by U+FFFD).',
    }),
    maxJsonDepth: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 64,
      description:
        'For the `json` codec: deepest nesting of objects and arrays accepted. Checked by a scan of the raw text before parsing, so a hostile record cannot make the parser (or later filters) recurse deeply; deeper records are decode failures.',
    }),
    sessionTimeoutMs: Type.Integer({ minimum: 6000, default: 30000, description: 'Group session timeout.' }),
    heartbeatIntervalMs: Type.Integer({ minimum: 100, default: 3000, description: 'Heartbeat interval; well under the session timeout.' }),
    commitIntervalMs: Type.Integer({ minimum: 100, default: 1000, description: 'How often settled offsets are committed (also on revoke and on shutdown).' }),
    // Small on purpose: kafkajs decodes a whole fetch response into objects at once, and
    // compressed batches expand several times (gzip'd access logs ~6x): 1 MiB per partition
    // held ~90,000 decoded records on the heap, more than the in-flight limits themselves
    // (docs/performance.md). A larger first batch is still returned whole (Kafka's fetch rules).
    maxBytesPerPartition: Type.Integer({
      minimum: 1024,
      default: 262144,
      description:
        'Fetch size per partition (compressed bytes). Decoded records of a whole fetch are held in memory at once; larger values cost memory, not throughput, on a nearby broker.',
    }),
    maxBytes: Type.Integer({ minimum: 1024, default: 2097152, description: 'Fetch size per request, over all partitions (compressed bytes).' }),
    maxWaitMs: Type.Integer({ minimum: 0, default: 500, description: 'How long a fetch waits for data on the broker.' }),
    partitionsConsumedConcurrently: Type.Integer({ minimum: 1, default: 4, description: 'Partitions whose batches are handed over concurrently.' }),
  },
  { additionalProperties: false },
);

export type KafkaInputConfig = Static<typeof kafkaInputConfig>;

export const kafka: InputSpec<typeof kafkaInputConfig> = {
  kind: 'input',
  name: 'kafka',
  summary: 'Consume records from Kafka topics in a consumer group, committing only settled offsets.',
  config: kafkaInputConfig,
  create(config, ctx) {
    if (!config.topics && !config.topicPattern) throw new Error('the kafka input needs "topics" or "topicPattern"');
    return new KafkaInput(config, ctx.logger.child({ component: 'kafka' }), ctx.metrics, ctx.pipelineFile);
  },
  createDeadLetterSink(config, deadLetter, ctx) {
    return new KafkaDeadLetterSink(config, deadLetter, ctx.pipelineId, ctx.logger.child({ component: 'dead-letter' }), ctx.metrics, ctx.pipelineFile);
  },
  decoding(config) {
    return { codec: config.codec, onError: config.onDecodeError, maxJsonDepth: config.maxJsonDepth };
  },
  diagnose: kafkaDiagnostics,
};
