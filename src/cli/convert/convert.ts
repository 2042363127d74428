/**
 * Logstash configuration files → one sluice pipeline (the core of `sluice convert`).
 *
 * - inputs: kafka inputs become the pipeline's kafka input (several with the same
 *   connection merge their topics); their `type`/`tags`/`add_field` become a mutate at the
 *   head of the filters. Any other input is reported.
 * - filters: each plugin through its mapper (filters.ts), `if / else if / else` through
 *   conditional blocks; the common options through common.ts.
 * - outputs: elasticsearch outputs become the pipeline's output. When several of them (in
 *   different branches) differ in index, document id, routing or ingest pipeline, those are
 *   chosen per event by a routing block at the end of the filters that writes
 *   `@metadata.sluice.*`, and the output reads them from there; events that reach no
 *   elasticsearch output in Logstash are dropped. Any other output is reported.
 *
 * Nothing is left out silently: what has no equivalent is in the report with its position.
 * With `allowPartial`, an unconverted filter becomes a mutate that tags the event
 * `_sluice_unconverted_<plugin>` and still applies the filter's own add_tag/add_field/
 * remove_* options, so conditions further down that test those tags route the same way.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { compileCondition } from '../../core/condition.js';
import type { BranchNode, ConfigFile, PluginNode, Position, Statement } from './ast.js';
import { filtersProblem, inputProblem, outputProblem, pipelineProblem } from './check.js';
import { commonOptions, placeholderFor, withCommon, type CommonOptions } from './common.js';
import { convertCondition } from './condition.js';
import { firstUsesWithoutDefault, withEnvDefaults } from './env-defaults.js';
import { FILTER_MAPPERS, NO_EQUIVALENT, type EcsMode, type FilterConvertContext } from './filters.js';
import { convertKafkaInput, type Json, type KafkaConversion } from './input-kafka.js';
import { convertElasticsearchOutput, type EsConversion } from './output-elasticsearch.js';
import { LogstashSyntaxError, parseConfig } from './parser.js';
import { Report } from './report.js';
import { PluginOptions, Unconvertible } from './values.js';

export interface ConvertOptions {
  /** Pipeline id; default from the first file's name. */
  id?: string;
  /** For configs without a kafka input (conf.d fragments), or to override it. */
  brokers?: string;
  topics?: string[];
  groupId?: string;
  /** For configs without an elasticsearch output, or to override its hosts. */
  esUrl?: string;
  index?: string;
  /** Logstash's `pipeline.ecs_compatibility` the configs were written for. Default v8 (Logstash 8's default). */
  ecs?: EcsMode;
  /** Logstash's `config.support_escapes`. */
  supportEscapes?: boolean;
  /** Directory of the pipeline file to be written (relative paths in it resolve there). */
  baseDir?: string;
}

export interface ConvertResult {
  pipeline?: Json;
  report: Report;
  /** A problem that prevented writing any pipeline. */
  fatal?: string;
}

interface Parsed {
  file: string;
  config: ConfigFile;
}

export async function convertConfigs(files: string[], opts: ConvertOptions = {}): Promise<ConvertResult> {
  const report = new Report();
  const parsed: Parsed[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return { report, fatal: `${file}: ${(err as Error).message}` };
    }
    try {
      parsed.push({ file, config: parseConfig(text, file, { supportEscapes: opts.supportEscapes }) });
    } catch (err) {
      if (!(err instanceof LogstashSyntaxError)) throw err;
      report.unconverted(err.pos, 'syntax error', `${err.reason}; this file was not converted`);
    }
  }
  let counter = 0;
  const ctx: FilterConvertContext = {
    report,
    ecs: opts.ecs ?? 'v8',
    baseDir: opts.baseDir ?? process.cwd(),
    fresh: (prefix) => `${prefix}${++counter}`,
  };
  const id = sanitizeId(opts.id ?? (files.length ? basename(files[0], extname(files[0])) : 'converted'));
  const sections = parsed.flatMap((p) => p.config.sections);
  const firstPos: Position = { file: files[0] ?? '<none>', line: 1, column: 1 };

  const input = convertInputs(sections.filter((s) => s.type === 'input').flatMap((s) => s.body), ctx, opts, id, firstPos);
  const inputRefused = await inputProblem(input.config, input.head, ctx.baseDir);
  if (inputRefused) {
    report.unconverted(input.pos ?? firstPos, 'input kafka', `sluice refuses the converted input: ${inputRefused}; the input comes from \${KAFKA_BROKERS}, \${KAFKA_TOPIC}, \${KAFKA_GROUP_ID} instead`);
    input.config = placeholderInput(opts, id);
    input.head = [];
  }
  const filterConverter = new FilterConverter(ctx);
  const filters: Json[] = [...input.head];
  for (const s of sections.filter((x) => x.type === 'filter')) filters.push(...(await filterConverter.statements(s.body)));
  const outputSections = sections.filter((s) => s.type === 'output');
  const output = await convertOutputs(outputSections.flatMap((s) => s.body), ctx, opts, id, outputSections.length > 0, firstPos);
  const outputRefused = await outputProblem(output.config, output.tail, ctx.baseDir);
  if (outputRefused) {
    report.unconverted(output.pos ?? firstPos, 'output elasticsearch', `sluice refuses the converted output: ${outputRefused}; the output comes from \${ES_URL}, \${ES_INDEX} instead`);
    output.config = placeholderOutput(opts, id);
    output.tail = [];
  }
  filters.push(...output.tail);

  const pipeline: Json = withEnvDefaults({
    id,
    description: `Converted by sluice convert from ${files.length <= 5 ? files.map((f) => basename(f)).join(', ') : `${files.length} files (${basename(files[0])} … ${basename(files[files.length - 1])})`}`,
    input: { kafka: input.config },
    filters,
    output: { elasticsearch: output.config },
  }, firstUsesWithoutDefault(sections), firstPos, report);
  const problem = await pipelineProblem(pipeline, ctx.baseDir);
  if (problem) return { report, fatal: `the converted pipeline does not validate (a bug in convert; please report it with the config): ${problem}` };
  return { pipeline, report };
}

function sanitizeId(raw: string): string {
  const id = raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return id || 'converted';
}

// ---------------------------------------------------------------- inputs

function placeholderInput(opts: ConvertOptions, id: string): Json {
  return {
    brokers: [opts.brokers ?? '${KAFKA_BROKERS:-localhost:9092}'],
    topics: opts.topics ?? [`\${KAFKA_TOPIC:-${id}}`],
    groupId: opts.groupId ?? `\${KAFKA_GROUP_ID:-sluice-${id}}`,
    codec: 'plain',
  };
}

function placeholderOutput(opts: ConvertOptions, id: string): Json {
  return { nodes: [opts.esUrl ?? '${ES_URL:-http://localhost:9200}'], index: opts.index ?? `\${ES_INDEX:-${id}-%{+yyyy.MM.dd}}` };
}

function convertInputs(statements: Statement[], ctx: FilterConvertContext, opts: ConvertOptions, id: string, firstPos: Position): { config: Json; head: Json[]; pos?: Position } {
  const kafka: Array<{ conv: KafkaConversion; pos: Position }> = [];
  const visit = (stmts: Statement[]) => {
    for (const s of stmts) {
      if (s.kind === 'branch') {
        ctx.report.unconverted(s.pos, 'conditional in the input section', 'no equivalent; move the condition to the filters');
        for (const c of s.clauses) visit(c.body);
        continue;
      }
      if (s.name !== 'kafka') {
        ctx.report.unconverted(s.pos, `input ${s.name}`, `sluice reads Kafka only: have ${s.name}'s source write to a Kafka topic (Filebeat, Fluent Bit, rsyslog and Vector all have Kafka outputs) and consume that`);
        continue;
      }
      try {
        kafka.push({ conv: convertKafkaInput(s, ctx), pos: s.pos });
      } catch (e) {
        if (!(e instanceof Unconvertible)) throw e;
        ctx.report.unconverted(e.pos, 'input kafka', e.reason);
      }
    }
  };
  visit(statements);
  let config: Json;
  if (kafka.length === 0) {
    if (statements.length === 0) ctx.report.note(firstPos, 'input', 'no input section (a configuration fragment): the kafka input comes from --brokers/--topics/--group-id or ${KAFKA_BROKERS}, ${KAFKA_TOPIC}, ${KAFKA_GROUP_ID}');
    config = placeholderInput(opts, id);
  } else {
    config = { ...kafka[0].conv.config };
    const connectionOf = (c: Json) => JSON.stringify({ ...c, topics: undefined, topicPattern: undefined });
    for (const other of kafka.slice(1)) {
      if (connectionOf(other.conv.config) !== connectionOf(config) || other.conv.topicPattern !== undefined || config.topicPattern !== undefined) {
        ctx.report.unconverted(other.pos, 'input kafka', 'a second kafka input with other settings (brokers, group, codec, security or a topic pattern): sluice has one input per pipeline; convert it into a second pipeline');
        continue;
      }
      config.topics = [...new Set([...(config.topics as string[]), ...(other.conv.topics ?? [])])];
    }
    if (opts.brokers) config.brokers = [opts.brokers];
    if (opts.topics) config.topics = opts.topics;
    if (opts.groupId) config.groupId = opts.groupId;
  }
  const head: Json[] = [];
  const decorated = kafka.filter((k) => k.conv.decorate);
  for (const k of decorated) {
    const entry: Json = { mutate: k.conv.decorate };
    if (kafka.length > 1 && k.conv.topics) entry.when = `[@metadata][kafka][topic] in [${k.conv.topics.map((t) => JSON.stringify(t)).join(', ')}]`;
    head.push(entry);
  }
  return { config, head, pos: kafka[0]?.pos };
}

// ---------------------------------------------------------------- filters

class FilterConverter {
  constructor(private readonly ctx: FilterConvertContext) {}

  async statements(stmts: Statement[]): Promise<Json[]> {
    const out: Json[] = [];
    for (const s of stmts) out.push(...(s.kind === 'branch' ? await this.branch(s, (b) => this.statements(b)) : await this.plugin(s)));
    return out;
  }

  async plugin(p: PluginNode): Promise<Json[]> {
    const { report } = this.ctx;
    report.filtersSeen++;
    const before = report.unconvertedCount;
    const o = new PluginOptions(p, this.ctx, `filter ${p.name}`);
    let common: CommonOptions = {};
    try {
      common = commonOptions(o);
      const mapper = FILTER_MAPPERS[p.name];
      if (!mapper) throw new Unconvertible(p.pos, NO_EQUIVALENT[p.name] ?? `the filter ${p.name} has no equivalent in sluice`);
      const legacy = legacyCondition(o);
      const mapped = mapper(o, this.ctx);
      o.finish();
      let entries = withCommon(mapped, common, this.ctx);
      if (legacy) entries = entries.length === 1 && entries[0].when === undefined ? [{ ...entries[0], when: legacy }] : [{ if: legacy, then: entries }];
      const problem = await filtersProblem(entries, this.ctx.baseDir);
      if (problem) throw new Unconvertible(p.pos, `sluice refuses the converted filter: ${problem}`);
      if (report.unconvertedCount === before) report.filtersConverted++;
      return entries;
    } catch (e) {
      if (!(e instanceof Unconvertible)) throw e;
      report.unconverted(e.pos, `filter ${p.name}`, e.reason);
      const placeholder = placeholderFor(p.name, common);
      return (await filtersProblem([placeholder], this.ctx.baseDir)) ? [placeholderFor(p.name, {})] : [placeholder];
    }
  }

  /** `if / else if / else` → a conditional block (or a `when` on a lone filter). */
  async branch(b: BranchNode, body: (stmts: Statement[]) => Promise<Json[]>): Promise<Json[]> {
    const clauses: Array<{ condition?: string; body: Json[] }> = [];
    for (const c of b.clauses) {
      let condition: string | undefined;
      if (c.condition) {
        try {
          condition = convertCondition(c.condition);
          compileCondition(condition);
        } catch (e) {
          const pos = e instanceof Unconvertible ? e.pos : c.pos;
          this.ctx.report.unconverted(pos, 'condition', `${(e as Error).message}; the branch is never taken in the converted pipeline`);
          condition = 'false';
        }
      }
      clauses.push({ condition, body: await body(c.body) });
    }
    if (clauses.every((c) => c.body.length === 0)) return [];
    const [first, ...rest] = clauses;
    if (rest.length === 0 && first.body.length === 1 && isPlainFilter(first.body[0]) && first.body[0].when === undefined) {
      return [{ ...first.body[0], when: first.condition }];
    }
    const block: Json = { if: first.condition, then: first.body };
    const elseIfs = rest.filter((c) => c.condition !== undefined).map((c) => ({ if: c.condition, then: c.body }));
    if (elseIfs.length) block.elseIf = elseIfs;
    const last = rest[rest.length - 1];
    if (last && last.condition === undefined) block.else = last.body;
    return [block];
  }
}

/**
 * Logstash 1.x filters took `type`, `tags` and `exclude_tags` to choose their events (the
 * filter ran only for events of that type, with all those tags and none of the excluded
 * ones); configs of that age still use them. They become a condition.
 */
function legacyCondition(o: PluginOptions): string | undefined {
  const parts: string[] = [];
  const quote = (t: string) => JSON.stringify(t);
  const type = o.has('type') ? o.str('type') : undefined;
  if (type !== undefined) parts.push(`[type] == ${quote(type)}`);
  for (const t of (o.has('tags') ? o.list('tags') : undefined) ?? []) parts.push(`${quote(t)} in [tags]`);
  for (const t of (o.has('exclude_tags') ? o.list('exclude_tags') : undefined) ?? []) parts.push(`${quote(t)} not in [tags]`);
  return parts.length ? parts.join(' and ') : undefined;
}

function isPlainFilter(entry: Json): boolean {
  return !('if' in entry);
}

// ---------------------------------------------------------------- outputs

const DESTINATION_KEYS = ['index', 'documentId', 'routing', 'ingestPipeline'] as const;
type Reach = 0 | 1 | 2;
type Destination = EsConversion['destination'];

async function convertOutputs(
  statements: Statement[],
  ctx: FilterConvertContext,
  opts: ConvertOptions,
  id: string,
  hasSection: boolean,
  firstPos: Position,
): Promise<{ config: Json; tail: Json[]; pos?: Position }> {
  const leaves: Array<{ conv: EsConversion; pos: Position }> = [];
  let conditional = false;
  const defaults = { index: opts.index, esUrl: opts.esUrl };
  const filterConverter = new FilterConverter(ctx);

  /**
   * Walks the output statements; returns the routing filters and whether an elasticsearch
   * output has been reached on the way: 0 on no path, 1 on some paths, 2 on every path.
   */
  const walk = async (stmts: Statement[], reachedBefore: Reach, depth: number): Promise<{ entries: Json[]; reached: Reach }> => {
    let reached = reachedBefore;
    const entries: Json[] = [];
    for (const s of stmts) {
      if (s.kind === 'branch') {
        conditional = true;
        const clauseReach: Reach[] = [];
        const result = await filterConverter.branch(s, async (body) => {
          const r = await walk(body, reached, depth + 1);
          clauseReach.push(r.reached);
          return r.entries;
        });
        entries.push(...result);
        const hasElse = s.clauses[s.clauses.length - 1].condition === undefined;
        const every = hasElse && clauseReach.every((r) => r === 2);
        reached = reached === 2 || every ? 2 : reached === 1 || clauseReach.some((r) => r > 0) ? 1 : 0;
        continue;
      }
      if (s.name !== 'elasticsearch') {
        ctx.report.unconverted(s.pos, `output ${s.name}`, s.name === 'stdout' ? 'no equivalent; to see events, run the pipeline with sluice process' : `sluice writes to Elasticsearch only (dead letters go to Kafka); an event for ${s.name} needs another consumer of the Kafka topic`);
        continue;
      }
      if (reached === 2) {
        ctx.report.unconverted(s.pos, 'output elasticsearch', 'a second elasticsearch output for the same events: sluice has one output per pipeline; convert it into a second pipeline reading the same topics with its own group id');
        continue;
      }
      try {
        const conv = convertElasticsearchOutput(s, ctx, defaults);
        if (leaves.length && JSON.stringify(conv.connection) !== JSON.stringify(leaves[0].conv.connection)) {
          throw new Unconvertible(s.pos, 'another elasticsearch cluster or other credentials than the first elasticsearch output: sluice has one output per pipeline; convert it into a second pipeline');
        }
        leaves.push({ conv, pos: s.pos });
        if (depth > 0) conditional = true;
        const leaf: Json = { mutate: { replace: { '@metadata.sluice.leaf': String(leaves.length - 1) } } };
        if (reached === 1) {
          ctx.report.note(s.pos, 'output elasticsearch', 'an event that also reached an earlier elasticsearch output is indexed there only (sluice has one output per pipeline)');
          leaf.when = 'not [@metadata][sluice][output]';
        }
        entries.push(leaf);
        reached = 2;
      } catch (e) {
        if (!(e instanceof Unconvertible)) throw e;
        ctx.report.unconverted(e.pos, 'output elasticsearch', e.reason);
      }
    }
    return { entries, reached };
  };
  const { entries } = await walk(statements, 0, 0);

  if (leaves.length === 0) {
    if (!hasSection) ctx.report.note(firstPos, 'output', 'no output section (a configuration fragment): the elasticsearch output comes from --es-url/--index or ${ES_URL}, ${ES_INDEX}');
    return { config: placeholderOutput(opts, id), tail: [] };
  }
  const config: Json = { ...leaves[0].conv.connection };
  if (opts.esUrl) config.nodes = [opts.esUrl];
  const opTypes = new Set(leaves.map((l) => l.conv.destination.opType ?? 'index'));
  if (opTypes.size > 1) ctx.report.unconverted(leaves[1].pos, 'output elasticsearch option action', 'the outputs use different actions (index, create): sluice uses one for the pipeline; the first one is kept');
  const opType = leaves[0].conv.destination.opType;
  if (opType && opType !== 'index') config.opType = opType;

  if (!conditional && leaves.length === 1) {
    const d = leaves[0].conv.destination;
    for (const k of DESTINATION_KEYS) if (d[k] !== undefined) config[k] = d[k];
    return { config, tail: [], pos: leaves[0].pos };
  }

  // Several outputs, or one behind a condition: route per event through @metadata.sluice.
  ctx.report.note(leaves[0].pos, 'output elasticsearch', 'outputs behind conditions: the last filters choose the destination per event (@metadata.sluice.*); events that reach no elasticsearch output in Logstash are dropped');
  const varying = DESTINATION_KEYS.filter((k) => new Set(leaves.map((l) => l.conv.destination[k])).size > 1);
  for (const k of DESTINATION_KEYS) {
    if (varying.includes(k)) config[k] = `%{@metadata.sluice.${k}}`;
    else if (leaves[0].conv.destination[k] !== undefined) config[k] = leaves[0].conv.destination[k];
  }
  const defaultId = '%{@metadata.kafka.topic}-%{@metadata.kafka.partition}-%{@metadata.kafka.offset}';
  const leafValues = (d: Destination): Json => {
    const replace: Json = { '@metadata.sluice.output': 'yes' };
    for (const k of varying) replace[`@metadata.sluice.${k}`] = d[k] ?? (k === 'documentId' ? defaultId : '');
    return replace;
  };
  // The walk numbered the leaves; now that the varying keys are known, fill each leaf's mutate in.
  const fill = (list: Json[]) => {
    for (const e of list) {
      const leaf = (e.mutate as Json | undefined)?.replace as Json | undefined;
      if (leaf && typeof leaf['@metadata.sluice.leaf'] === 'string') {
        (e.mutate as Json).replace = leafValues(leaves[Number(leaf['@metadata.sluice.leaf'])].conv.destination);
      }
      for (const key of ['then', 'else'] as const) if (Array.isArray(e[key])) fill(e[key] as Json[]);
      if (Array.isArray(e.elseIf)) for (const c of e.elseIf as Json[]) fill(c.then as Json[]);
    }
  };
  fill(entries);
  for (const k of varying) {
    if (k === 'routing' || k === 'ingestPipeline') {
      ctx.report.note(leaves[0].pos, `output elasticsearch ${k}`, `differs between the outputs; for events of an output without it the ${k} is empty, which sluice sends as none`);
    }
  }
  return { config, tail: [...entries, { drop: {}, when: 'not [@metadata][sluice][output]', id: 'no-elasticsearch-output' }], pos: leaves[0].pos };
}
