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
      // Enough to keep `concurrency` full bulk requests going with the next batch filling, no
      // more: a record's objects live until it settles, and the longer that takes, the more of
      // them the V8 collector copies and marks (20,000 cost more CPU and ~20 MiB more RSS for
      // no throughput; docs/performance.md).
      default: 8000,
      description: 'Records taken from Kafka and not yet settled. When reached, fetching pauses until space frees.',
    }),
    maxInFlightBytes: Type.Integer({
      minimum: 1024,
      default: 32 * 1024 * 1024,
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

const conditionText = 'Condition in the `when` language (docs/conditions.md), e.g. `[type] == "nginx" and "_grokparsefailure" not in [tags]`.';

/**
 * A conditional block (Logstash's `if … else if … else`): an event runs the filters of the
 * first branch whose condition holds, or those of `else`. The branch lists hold filter
 * entries (and further blocks); they are checked one by one like top-level entries.
 */
export const conditionalBlockSchema = Type.Object(
  {
    if: Type.String({ minLength: 1, description: conditionText }),
    then: Type.Array(Type.Unknown(), { description: 'Filters run for events where `if` holds.' }),
    elseIf: Type.Optional(
      Type.Array(
        Type.Object(
          {
            if: Type.String({ minLength: 1, description: conditionText }),
            then: Type.Array(Type.Unknown(), { description: 'Filters run for events where this condition is the first that holds.' }),
          },
          { additionalProperties: false },
        ),
        { description: 'Further branches, tried in order when `if` does not hold.' },
      ),
    ),
    else: Type.Optional(Type.Array(Type.Unknown(), { description: 'Filters run for events where no condition holds.' })),
    id: Type.Optional(Type.String({ minLength: 1, description: 'Name of the block; the default labels of the filters inside start with it.' })),
  },
  { additionalProperties: false },
);

/** Branch lists nested deeper than this are refused (a generated file gone wrong, not a real config). */
export const MAX_BLOCK_DEPTH = 32;

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
  // Blocks nest: the filter entry and the block refer to each other through `definitions`.
  const entryRef = Type.Unsafe({ $ref: '#/definitions/filterEntry' });
  const block = conditionalBlockSchema.properties;
  const conditional = Type.Object(
    {
      if: block.if,
      then: Type.Array(entryRef, { description: block.then.description }),
      elseIf: Type.Optional(
        Type.Array(
          Type.Object({ if: block.if, then: Type.Array(entryRef, { description: block.then.description }) }, { additionalProperties: false }),
          { description: block.elseIf.description },
        ),
      ),
      else: Type.Optional(Type.Array(entryRef, { description: block.else.description })),
      id: block.id,
    },
    { additionalProperties: false, title: 'if', description: 'Conditional block: the first branch whose condition holds runs, else `else`.' },
  );
  const filterEntry = Type.Union([...components.filters.map((s) => oneKey(s.name, describe(s, s.config), filterCommon)), Type.Unsafe({ $ref: '#/definitions/conditional' })]);
  const schema = Type.Object(
    {
      ...pipelineShellSchema.properties,
      input: Type.Union(components.inputs.map((s) => oneKey(s.name, describe(s, s.config))), { description: 'Exactly one input.' }),
      filters: Type.Array(entryRef, { default: [], description: 'Filters and conditional blocks, applied in order.' }),
      output: Type.Union(components.outputs.map((s) => oneKey(s.name, describe(s, s.config))), { description: 'Exactly one output.' }),
    },
    { additionalProperties: false, required: ['id', 'input', 'output'] },
  );
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://sluice.dev/schema/pipeline.schema.json',
    title: 'sluice pipeline',
    description: 'A sluice pipeline: one Kafka input, a chain of filters, one Elasticsearch output.',
    ...allowPlaceholders(optionalDefaults(JSON.parse(JSON.stringify(schema)))),
    definitions: allowPlaceholders(optionalDefaults(JSON.parse(JSON.stringify({ filterEntry, conditional })))),
  };
}

/** `${VAR}` / `${VAR:-default}` as a whole value: replaced before validation, so any scalar may be one. */
const PLACEHOLDER = { type: 'string', pattern: '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$' };

/**
 * Numbers and booleans may be written as a placeholder (`"maxWaitMs": "${WAIT_MS:-3000}"`):
 * sluice substitutes and converts them before validating, so editors must accept them too.
 */
function allowPlaceholders<T>(node: T): T {
  if (Array.isArray(node)) return node.map(allowPlaceholders) as T;
  if (!node || typeof node !== 'object') return node;
  const obj: Record<string, any> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) obj[k] = allowPlaceholders(v);
  if (obj.type === 'integer' || obj.type === 'number' || obj.type === 'boolean') {
    const { description, default: def, ...rest } = obj;
    return { ...(description !== undefined && { description }), ...(def !== undefined && { default: def }), anyOf: [rest, PLACEHOLDER] } as T;
  }
  return obj as T;
}

/**
 * TypeBox lists a property with a default among `required`; sluice fills the default in, so
 * for editors (which do not) such a property is optional.
 */
function optionalDefaults<T>(node: T): T {
  if (Array.isArray(node)) node.forEach(optionalDefaults);
  else if (node && typeof node === 'object') {
    const obj = node as Record<string, any>;
    if (Array.isArray(obj.required) && obj.properties) {
      obj.required = obj.required.filter((k: string) => obj.properties[k]?.default === undefined);
      if (obj.required.length === 0) delete obj.required;
    }
    for (const v of Object.values(obj)) optionalDefaults(v);
  }
  return node;
}
