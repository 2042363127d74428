/**
 * Data stream mode: documents go to `<type>-<dataset>-<namespace>` with `op_type: create`
 * (the only one data streams accept; a 409 for an id already there counts as indexed, so
 * redelivery stays idempotent), carry the ECS `data_stream.*` fields, and the managed index
 * template declares `data_stream: {}` for `<type>-<dataset>-*`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { parsePath, setField, type Event } from '../../core/event.js';
import { compileTemplate, type Template } from '../../core/template.js';

const part = (what: string, dflt: string) =>
  Type.String({
    minLength: 1,
    default: dflt,
    description: `${what} (a template: \`%{field}\` allowed); lower case, no \`-\`, as the data stream naming scheme requires.`,
  });

export const dataStreamSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('logs'), Type.Literal('metrics'), Type.Literal('traces')], { default: 'logs', description: 'Data stream type.' }),
    dataset: part('Dataset, e.g. `web.access`', 'generic'),
    namespace: part('Namespace, e.g. `production`', 'default'),
  },
  {
    additionalProperties: false,
    description:
      'Write to the data stream `<type>-<dataset>-<namespace>` instead of `index`: `op_type` create, the ECS `data_stream.*` fields set on each event, and the managed template made a data stream template for `<type>-<dataset>-*`.',
  },
);

export type DataStreamConfig = Static<typeof dataStreamSchema>;

/** The target name as an index template string, e.g. `logs-web.access-%{env}`. */
export function dataStreamIndex(config: DataStreamConfig): string {
  return `${config.type}-${config.dataset}-${config.namespace}`;
}

/** The template pattern: every namespace of the dataset (or every dataset when it is a field reference). */
export function dataStreamPattern(config: DataStreamConfig): string {
  return compileTemplate(config.dataset).constant ? `${config.type}-${config.dataset}-*` : `${config.type}-*-*`;
}

const NAME_RULE = /^[a-z0-9_.]+$/;

/** Sets `data_stream.*` on an event and returns the data stream name, or an error for an invalid name. */
export class DataStreamNaming {
  private readonly dataset: Template;
  private readonly namespace: Template;
  constructor(private readonly config: DataStreamConfig) {
    this.dataset = compileTemplate(config.dataset);
    this.namespace = compileTemplate(config.namespace);
  }

  apply(event: Event): { name: string } | { error: string } {
    const dataset = this.dataset.render(event).toLowerCase();
    const namespace = this.namespace.render(event).toLowerCase();
    if (!NAME_RULE.test(dataset) || !NAME_RULE.test(namespace)) {
      return { error: `data stream name parts must be lower case letters, digits, "_" or "." (dataset "${dataset}", namespace "${namespace}")` };
    }
    setField(event, parsePath('data_stream.type'), this.config.type);
    setField(event, parsePath('data_stream.dataset'), dataset);
    setField(event, parsePath('data_stream.namespace'), namespace);
    return { name: `${this.config.type}-${dataset}-${namespace}` };
  }
}
