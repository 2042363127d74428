/** The `elasticsearch` output: bulk indexing with per-item results, retries and dead letters. */
import { Type, type Static } from '@sinclair/typebox';
import type { OutputSpec } from '../../core/component.js';
import { compileTemplate } from '../../core/template.js';
import { ElasticsearchOutput } from './output.js';
import { esAuthSchema, esTlsSchema } from './client.js';
import { indexTemplateSchema } from './template.js';
import { elasticsearchDiagnostics } from './diagnostics.js';
import { dataStreamSchema } from './data-stream.js';

export const elasticsearchOutputConfig = Type.Object(
  {
    nodes: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description:
        'Elasticsearch URLs (`https://host:9200`). An entry may hold a comma-separated list, so one `${ES_URL}` can carry several. The start uses the first node that answers; bulk requests go to the nodes in turn, and a node whose connection fails or times out is left out for 1 s, doubling up to 60 s, while another answers. Credentials in a URL (`https://user:password@host`) work as basic auth, but `auth` with a secret is better.',
    }),
    distribution: Type.Union([Type.Literal('auto'), Type.Literal('elasticsearch'), Type.Literal('opensearch')], {
      default: 'auto',
      description:
        'Which search engine the nodes run: `auto` (the default) reads it from `GET /` (`version.distribution`); `elasticsearch` or `opensearch` make the start fail when the cluster turns out to be the other one. Both are written through the same bulk API with the same semantics; the index template follows the engine (see docs/opensearch.md).',
    }),
    auth: Type.Optional(esAuthSchema),
    tls: Type.Optional(esTlsSchema),
    index: Type.String({
      minLength: 1,
      default: 'logs-%{+yyyy.MM.dd}',
      description: 'Target index: a template with `%{field}` and `%{+yyyy.MM.dd}` (the date of the event\'s `@timestamp`, UTC).',
    }),
    dataStream: Type.Optional(dataStreamSchema),
    template: Type.Optional(indexTemplateSchema),
    documentId: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Template of the document `_id`, e.g. `%{@metadata.fingerprint}`. Default: `<topic>-<partition>-<offset>` (plus `-<n>` when a record yields several events), so a redelivered record overwrites itself.',
      }),
    ),
    autoId: Type.Boolean({
      default: false,
      description: 'Let Elasticsearch generate ids. Faster to index, but a crash or retry can then index a record twice.',
    }),
    opType: Type.Union([Type.Literal('index'), Type.Literal('create')], {
      default: 'index',
      description: '`index` overwrites a document with the same id; `create` keeps the first (a 409 then counts as indexed). Data streams need `create`.',
    }),
    routing: Type.Optional(Type.String({ minLength: 1, description: 'Template of the routing value.' })),
    ingestPipeline: Type.Optional(Type.String({ minLength: 1, description: 'Ingest pipeline to run on each document (template).' })),
    batchMaxDocs: Type.Integer({ minimum: 1, default: 2000, description: 'A bulk request is sent when it holds this many documents...' }),
    batchMaxBytes: Type.Integer({ minimum: 1024, default: 5 * 1024 * 1024, description: '...or this many bytes of NDJSON...' }),
    batchMaxWaitMs: Type.Integer({ minimum: 0, default: 50, description: '...or when its first document has waited this long (latency bound).' }),
    concurrency: Type.Integer({ minimum: 1, default: 2, description: 'Bulk requests in flight at once.' }),
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 60000, description: 'Time a bulk request may take before it is retried.' }),
    retryInitialMs: Type.Integer({ minimum: 1, default: 100, description: 'First retry backoff cap; doubles per attempt (full jitter).' }),
    retryMaxMs: Type.Integer({ minimum: 1, default: 30000, description: 'Largest retry backoff cap.' }),
    maxRetries: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Retries per document before it is dead-lettered with `retries_exhausted`. Unset (the default): retry without limit, as Logstash does.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type ElasticsearchOutputConfig = Static<typeof elasticsearchOutputConfig>;

export const elasticsearch: OutputSpec<typeof elasticsearchOutputConfig> = {
  kind: 'output',
  name: 'elasticsearch',
  summary: 'Bulk-index events into Elasticsearch or OpenSearch, retrying what can be retried and dead-lettering rejections.',
  config: elasticsearchOutputConfig,
  create(config, ctx) {
    for (const t of [config.index, config.documentId, config.routing, config.ingestPipeline]) if (t) compileTemplate(t);
    if (config.autoId && config.documentId) throw new Error('"autoId" and "documentId" exclude each other');
    return new ElasticsearchOutput(config, ctx.logger.child({ component: 'elasticsearch' }), ctx.metrics, ctx.baseDir, ctx.pipelineFile);
  },
  diagnose: elasticsearchDiagnostics,
};
