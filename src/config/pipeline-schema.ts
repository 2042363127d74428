/**
 * The pipeline file's own settings (everything that is not a component's config) and the
 * assembly of the full pipeline JSON Schema from the components' schemas.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ComponentSpec, FilterSpec, InputSpec, OutputSpec } from '../core/component.js';

export const deadLetterSchema = Type.Object(
  {
    topic: Type.Optional(Type.String({ minLength: 1, description: 'Dead-letter topic. Default: `<pipeline id>.dlq`.' })),
    partitions: Type.Integer({ minimum: 1, default: 1, description: 'Partitions when sluice creates the topic.' }),
    replicationFactor: Type.Integer({
      minimum: -1,
      default: -1,
      description: "Replication factor when sluice creates the topic; -1 uses the broker's default.",
    }),
  },
  { additionalProperties: false, description: 'Where records that cannot be indexed go (design notes, "Dead-letter records").' },
);

export const limitsSchema = Type.Object(
  {
    maxInFlightEvents: Type.Integer({
      minimum: 1,
      default: 20000,
      description: 'Records taken from Kafka and not yet settled. When reached, fetching pauses until space frees.',
    }),
    maxInFlightBytes: Type.Integer({
      minimum: 1024,
      default: 64 * 1024 * 1024,
      description: 'Bytes of record values taken from Kafka and not yet settled. When reached, fetching pauses.',
    }),
    maxRecordBytes: Type.Integer({
      minimum: 1,
      default: 1024 * 1024,
      description: 'Records with a larger value are dead-lettered with reason `too_large` before decoding.',
    }),
    filterTimeoutMs: Type.Integer({
      minimum: 1,
      default: 250,
      description:
        'Time one event may spend in the filter chain. A step that runs longer (a regex backtracking catastrophically) is interrupted, so one nasty line never stalls its partition.',
    }),
    onFilterTimeout: Type.Union([Type.Literal('tag'), Type.Literal('dead_letter')], {
      default: 'tag',
      description:
        '`tag`: the event goes on without the interrupted step and is tagged (`_groktimeout` for grok, `_filtertimeout` otherwise). `dead_letter`: the record goes to the dead-letter topic with reason `filter_timeout`.',
    }),
  },
  { additionalProperties: false, description: 'Bounds that keep memory flat whatever the input does.' },
);

export const filterCommonSchema = {
  when: Type.String({ minLength: 1, description: 'Condition (the `when` language); the filter runs only for events where it is true.' }),
  id: Type.String({ minLength: 1, description: 'Name of this filter step in logs, metrics and dead-letter headers.' }),
};

export const pipelineShellSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Path or URL of schema/pipeline.schema.json, for editors.' })),
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 200, description: 'Pipeline id: names the consumer-facing logs, metrics and the default dead-letter topic.' }),
    description: Type.Optional(Type.String({ description: 'Free text.' })),
    input: Type.Unknown({ description: 'Exactly one input.' }),
    filters: Type.Array(Type.Unknown(), { default: [], description: 'Filters, applied in order.' }),
    output: Type.Unknown({ description: 'Exactly one output.' }),
    deadLetter: Type.Optional(deadLetterSchema),
    limits: Type.Optional(limitsSchema),
  },
  { additionalProperties: false },
);

export type DeadLetterSettings = Static<typeof deadLetterSchema>;
export type LimitsSettings = Static<typeof limitsSchema>;

const oneKey = (name: string, config: TSchema, extra: Record<string, TSchema> = {}) =>
  Type.Object({ [name]: config, ...extra }, { additionalProperties: false, required: [name], title: name });

/** The published JSON Schema: what editors use through `"$schema"`. */
export function buildPipelineJsonSchema(components: {
  inputs: InputSpec[];
  filters: FilterSpec[];
  outputs: OutputSpec[];
}): Record<string, unknown> {
  const describe = (spec: ComponentSpec, s: TSchema) => ({ ...s, description: spec.summary });
  const filterCommon = Object.fromEntries(Object.entries(filterCommonSchema).map(([k, v]) => [k, Type.Optional(v)]));
  const schema = Type.Object(
    {
      ...pipelineShellSchema.properties,
      input: Type.Union(components.inputs.map((s) => oneKey(s.name, describe(s, s.config))), { description: 'Exactly one input.' }),
      filters: Type.Array(
        Type.Union(components.filters.map((s) => oneKey(s.name, describe(s, s.config), filterCommon))),
        { default: [], description: 'Filters, applied in order.' },
      ),
      output: Type.Union(components.outputs.map((s) => oneKey(s.name, describe(s, s.config))), { description: 'Exactly one output.' }),
    },
    { additionalProperties: false, required: ['id', 'input', 'output'] },
  );
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://sluice.dev/schema/pipeline.schema.json',
    title: 'sluice pipeline',
    description: 'A sluice pipeline: one Kafka input, a chain of filters, one Elasticsearch output.',
    ...JSON.parse(JSON.stringify(schema)),
  };
}
