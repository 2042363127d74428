/**
 * The index template sluice manages for the indices (or data streams) an output writes to,
 * as Logstash's `manage_template` does: a composable index template for the output's index
 * pattern, installed before the first bulk request, with ECS field types for what the
 * pipelines produce, and the user's own mappings and settings merged on top.
 *
 * Why: without a template the first document decides each field's type (an IP address
 * becomes text, a geo location two floats, a status code text when the first one was a
 * string), Kibana's maps and CIDR queries do not work, and later documents of another type
 * are rejected.
 *
 * An installed template that differs from ours is left alone unless `overwrite` is set: it
 * may be an operator's deliberate change. The warning names each differing setting.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { compileTemplate } from '../../core/template.js';
import type { ClusterInfo, EsConnection, EsResponse } from './client.js';

const jsonObjectOrFile = (what: string) =>
  Type.Union([Type.Object({}, { additionalProperties: true }), Type.String({ minLength: 1 })], {
    description: `${what}: a JSON object, or the path of a JSON file holding one (relative to the pipeline file). Merged on top of sluice's own (objects key by key; a \`dynamic_templates\` entry replaces sluice's entry of the same name and goes first).`,
  });

export const indexTemplateSchema = Type.Object(
  {
    manage: Type.Boolean({
      default: true,
      description: 'Install an index template for the index pattern this output writes to, before the first bulk request. `false`: leave templates to the operator.',
    }),
    name: Type.Optional(Type.String({ minLength: 1, pattern: '^[a-z0-9][a-z0-9._-]*$', description: 'Template name. Default: `sluice-` and the index pattern without `*`.' })),
    pattern: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Index pattern of the template. Default: the constant start of `index` followed by `*` (`logs-%{service}-%{+yyyy.MM.dd}` → `logs-*`), or `index` itself when it is constant.',
      }),
    ),
    priority: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Priority among composable templates. Default: 100 plus the length of the pattern\'s constant start, so a more specific pattern wins and two of ours never tie.' }),
    ),
    overwrite: Type.Boolean({
      default: false,
      description: 'Replace an installed template of that name that differs from sluice\'s. Default: leave it alone and log a warning saying what differs.',
    }),
    ecs: Type.Boolean({
      default: true,
      description: 'ECS field types: `ip` for `*.ip`, `geo_point` for `*.geo.location`, `long` for status codes, ports and byte counts, `date` for `@timestamp`, `match_only_text` (or `text` where the cluster lacks it) for `message`, `keyword` for other strings.',
    }),
    shards: Type.Optional(Type.Integer({ minimum: 1, description: '`index.number_of_shards` of new indices.' })),
    replicas: Type.Optional(Type.Integer({ minimum: 0, description: '`index.number_of_replicas` (0 on a single-node cluster keeps it green).' })),
    refreshInterval: Type.Optional(Type.String({ pattern: '^(-1|[0-9]+(ms|s|m|h))$', description: '`index.refresh_interval`, e.g. `30s` (fewer refreshes index faster), `-1` to disable.' })),
    mappings: Type.Optional(jsonObjectOrFile('Extra mappings')),
    settings: Type.Optional(jsonObjectOrFile('Extra index settings (e.g. `{"index.codec": "best_compression"}`)')),
    lifecycle: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Name of an existing lifecycle policy the template attaches to new indices: an ILM policy on Elasticsearch (`index.lifecycle.name`), an ISM policy on OpenSearch (`plugins.index_state_management.policy_id`). sluice attaches it; it does not create it.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The index template sluice manages (see docs/index-templates.md).' },
);

export type IndexTemplateConfig = Static<typeof indexTemplateSchema>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `index` setting's constant start and the pattern/template name derived from it. */
export function templateTarget(index: string, config: Pick<IndexTemplateConfig, 'name' | 'pattern'>): { pattern: string; name: string; prefix: string } | undefined {
  const compiled = compileTemplate(index);
  const prefix = compiled.constant ? index : index.split('%{')[0];
  const pattern = config.pattern ?? (compiled.constant ? index : prefix === '' ? undefined : `${prefix}*`);
  if (!pattern) return undefined;
  const base = pattern.replace(/\*/g, '').replace(/[^a-z0-9._-]+/g, '-').replace(/^[-_.]+|[-_.]+$/g, '');
  return { pattern, prefix: pattern.split('*')[0], name: config.name ?? `sluice-${base || 'all'}` };
}

/** ECS types for the fields sluice's filters and the shipped pipelines produce. */
export function ecsMappings(messageType: 'match_only_text' | 'text'): Json {
  const geo = { properties: { location: { type: 'geo_point' } } };
  return {
    dynamic_templates: [
      { ecs_ip: { path_match: '*.ip', match_mapping_type: 'string', mapping: { type: 'ip' } } },
      { ecs_geo_location: { path_match: '*.geo.location', mapping: { type: 'geo_point' } } },
      { ecs_status_code: { path_match: '*.status_code', mapping: { type: 'long' } } },
      { ecs_port: { path_match: '*.port', mapping: { type: 'long' } } },
      { ecs_bytes: { path_match: '*.bytes', mapping: { type: 'long' } } },
      { strings_as_keyword: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } },
    ],
    properties: {
      '@timestamp': { type: 'date' },
      message: { type: messageType },
      tags: { type: 'keyword', ignore_above: 1024 },
      // Explicit too: a dynamic template cannot turn an object ({lat, lon}) into a geo_point on every version.
      source: { properties: { ip: { type: 'ip' }, geo } },
      destination: { properties: { ip: { type: 'ip' }, geo } },
      client: { properties: { ip: { type: 'ip' }, geo } },
      server: { properties: { ip: { type: 'ip' }, geo } },
      host: { properties: { ip: { type: 'ip' }, geo } },
      http: { properties: { response: { properties: { status_code: { type: 'long' }, body: { properties: { bytes: { type: 'long' } } } } } } },
      event: { properties: { duration: { type: 'long' }, created: { type: 'date' }, ingested: { type: 'date' } } },
    },
  };
}

/** Objects merge key by key (arrays and scalars of `over` replace); dynamic templates merge by name, `over`'s first. */
export function mergeJson(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === 'dynamic_templates' && Array.isArray(v) && Array.isArray(base[k])) {
      const names = new Set(v.flatMap((e) => (isObject(e) ? Object.keys(e) : [])));
      out[k] = [...v, ...(base[k] as unknown[]).filter((e) => !(isObject(e) && Object.keys(e).some((n) => names.has(n))))];
    } else out[k] = isObject(v) && isObject(base[k]) ? mergeJson(base[k] as Json, v) : v;
  }
  return out;
}

/** Reads an inline object or a JSON file (relative to the pipeline file). */
export function readJsonOption(value: Json | string | undefined, what: string, baseDir: string): Json {
  if (value === undefined) return {};
  if (typeof value !== 'string') return value;
  const file = isAbsolute(value) ? value : resolve(baseDir, value);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${what}: cannot read JSON from ${file}: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new Error(`${what}: ${file} must hold a JSON object`);
  return parsed;
}

/** Dotted keys → values, the form Elasticsearch answers settings in (`index.` prefix, strings). */
export function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    // By position (dynamic templates are ordered), each entry key by key (the server may reorder keys).
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else out[prefix] = JSON.stringify(String(value));
  return out;
}

const normalSettings = (settings: unknown) =>
  Object.fromEntries(Object.entries(flatten(settings)).map(([k, v]) => [k.startsWith('index.') ? k : `index.${k}`, v]));

export interface TemplateBody {
  index_patterns: string[];
  priority: number;
  template: { settings: Json; mappings: Json };
  data_stream?: Json;
  _meta: Json;
}

/** What differs between the template we want and the installed one, one line per setting (at most `max`). */
export function templateDifferences(wanted: TemplateBody, installed: Partial<TemplateBody>, max = 8): string[] {
  const a: Record<string, string> = {
    index_patterns: JSON.stringify(wanted.index_patterns),
    priority: String(wanted.priority),
    data_stream: String(wanted.data_stream !== undefined),
    ...Object.fromEntries(Object.entries(normalSettings(wanted.template.settings)).map(([k, v]) => [`settings.${k}`, v])),
    ...Object.fromEntries(Object.entries(flatten(wanted.template.mappings)).map(([k, v]) => [`mappings.${k}`, v])),
  };
  const b: Record<string, string> = {
    index_patterns: JSON.stringify(installed.index_patterns ?? []),
    priority: String(installed.priority ?? 0),
    data_stream: String(installed.data_stream !== undefined),
    ...Object.fromEntries(Object.entries(normalSettings(installed.template?.settings ?? {})).map(([k, v]) => [`settings.${k}`, v])),
    ...Object.fromEntries(Object.entries(flatten(installed.template?.mappings ?? {})).map(([k, v]) => [`mappings.${k}`, v])),
  };
  const short = (v: string | undefined) => (v === undefined ? '(none)' : v.length > 60 ? `${v.slice(0, 57)}...` : v);
  const changed: string[] = [];
  const oneSided: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[k] === b[k]) continue;
    // Values set on both sides but different matter most; then what only one side has.
    (a[k] !== undefined && b[k] !== undefined ? changed : oneSided).push(`${k}: installed ${short(b[k])}, sluice's ${short(a[k])}`);
  }
  const diffs = [...changed, ...oneSided];
  return diffs.length > max ? [...diffs.slice(0, max), `... and ${diffs.length - max} more`] : diffs;
}

/** Does the cluster know `match_only_text`? Elasticsearch 7.14+ and OpenSearch 2.12+ (unless the module is missing: then the install falls back). */
function messageTypeFor(info: ClusterInfo): 'match_only_text' | 'text' {
  const [major, minor] = info.version.split('.').map(Number);
  if (info.assumed) return 'match_only_text';
  if (info.distribution === 'opensearch') return major > 2 || (major === 2 && minor >= 12) ? 'match_only_text' : 'text';
  return major > 7 || (major === 7 && minor >= 14) ? 'match_only_text' : 'text';
}

export interface TemplateOptions {
  index: string;
  dataStream: boolean;
  config: IndexTemplateConfig;
  baseDir: string;
}

/** The template body for this output and cluster. */
export function buildTemplate(opts: TemplateOptions, info: ClusterInfo, messageType = messageTypeFor(info)): { name: string; body: TemplateBody } | undefined {
  const { config } = opts;
  const target = templateTarget(opts.index, config);
  if (!target) return undefined;
  const settings: Json = {};
  if (config.shards !== undefined) settings['index.number_of_shards'] = config.shards;
  if (config.replicas !== undefined) settings['index.number_of_replicas'] = config.replicas;
  if (config.refreshInterval !== undefined) settings['index.refresh_interval'] = config.refreshInterval;
  if (config.lifecycle) {
    if (info.distribution === 'opensearch') settings['plugins.index_state_management.policy_id'] = config.lifecycle;
    else settings['index.lifecycle.name'] = config.lifecycle;
  }
  const mappings = mergeJson(config.ecs ? ecsMappings(messageType) : {}, readJsonOption(config.mappings, 'output.elasticsearch.template.mappings', opts.baseDir));
  const body: TemplateBody = {
    index_patterns: [target.pattern],
    priority: config.priority ?? 100 + target.prefix.length,
    template: { settings: mergeJson(settings, readJsonOption(config.settings, 'output.elasticsearch.template.settings', opts.baseDir)), mappings },
    _meta: { managed_by: 'sluice', description: `written by sluice for index ${opts.index}` },
  };
  if (opts.dataStream) body.data_stream = {};
  return { name: target.name, body };
}

type Request = (method: string, path: string, body?: unknown) => Promise<EsResponse>;

const errorText = (r: EsResponse) => {
  const e = r.json?.error;
  return isObject(e) ? `HTTP ${r.status} ${String(e.type)}: ${String(e.reason)}` : `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
};

export type InstallOutcome = 'installed' | 'overwritten' | 'unchanged' | 'left-alone' | 'skipped' | 'failed';

/**
 * Installs (or, with `overwrite`, replaces) the template. Never throws for what the cluster
 * answers: a user without the privilege to manage templates can still index, so failures
 * are warnings.
 */
export async function installTemplate(conn: Pick<EsConnection, 'request'>, info: ClusterInfo, opts: TemplateOptions, logger: Logger): Promise<InstallOutcome> {
  if (!opts.config.manage) return 'skipped';
  const built = buildTemplate(opts, info);
  if (!built) {
    logger.warn({ index: opts.index }, 'no index template installed: the index name starts with a field reference, so there is no pattern to install it for; set output.elasticsearch.template.pattern');
    return 'skipped';
  }
  const request: Request = (method, path, body) => conn.request(method, path, body);
  const path = `/_index_template/${encodeURIComponent(built.name)}`;
  const existing = await request('GET', path);
  let outcome: InstallOutcome = 'installed';
  if (existing.status === 200) {
    const installed = existing.json?.index_templates?.[0]?.index_template as Partial<TemplateBody> | undefined;
    const diffs = installed ? templateDifferences(built.body, installed) : ['(unreadable)'];
    // A fallback to `text` for `message` is not a difference worth a warning.
    const relevant = diffs.filter((d) => !/^mappings\.properties\.message\.type: installed "text", sluice's "match_only_text"$/.test(d));
    if (relevant.length === 0) return 'unchanged';
    if (!opts.config.overwrite) {
      logger.warn(
        { template: built.name, differences: relevant },
        `index template ${built.name} exists and differs from sluice's; left alone (set output.elasticsearch.template.overwrite to replace it): ${relevant.join('; ')}`,
      );
      return 'left-alone';
    }
    outcome = 'overwritten';
  } else if (existing.status !== 404) {
    logger.warn({ template: built.name, error: errorText(existing) }, `cannot read index template ${built.name}; not installing it (grant the "manage_index_templates" cluster privilege)`);
    return 'failed';
  }
  let put = await request('PUT', path, built.body);
  if (put.status === 400 && /match_only_text/.test(put.text)) {
    // A cluster without the mapper-extras module: plain text for `message`.
    const fallback = buildTemplate(opts, info, 'text')!;
    put = await request('PUT', path, fallback.body);
  }
  if (put.status !== 200) {
    logger.warn({ template: built.name, error: errorText(put) }, `index template ${built.name} could not be installed: ${errorText(put)}`);
    return 'failed';
  }
  logger.info({ template: built.name, pattern: built.body.index_patterns[0], priority: built.body.priority }, `index template ${built.name} ${outcome}`);
  return outcome;
}
