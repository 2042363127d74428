/** Conditional blocks in pipeline files: loading, positions of errors, labels, the published schema, and how events run through them. */
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadPipeline, isConditional, type PipelineDefinition } from './load.js';
import { SourceErrors, formatSourceError } from './source.js';
import { buildPipelineJsonSchema } from './pipeline-schema.js';
import { components } from '../registry.js';
import { buildFilters } from '../runtime/build.js';
import { RecordProcessor } from '../runtime/processor.js';

const shell = (filters: string) => `{
  "id": "p",
  "input": { "kafka": { "brokers": ["k:9092"], "topics": ["t"], "groupId": "g", "codec": "json" } },
  "filters": ${filters},
  "output": { "elasticsearch": { "nodes": ["http://es:9200"], "index": "i" } }
}`;

const load = (filters: string) => loadPipeline('p.json', components, {}, shell(filters));

function errorsOf(filters: string): string[] {
  try {
    load(filters);
  } catch (e) {
    if (e instanceof SourceErrors) return e.errors.map(formatSourceError);
    throw e;
  }
  return [];
}

async function run(def: PipelineDefinition, values: unknown[]) {
  const { steps } = await buildFilters(def, { pipelineId: def.id, baseDir: '.', logger: pino({ level: 'silent' }) });
  const p = new RecordProcessor(steps, { codec: 'json', maxRecordBytes: 1 << 20, filterTimeoutMs: 1000, onFilterTimeout: 'tag' });
  return values.map((v, i) => p.process({ topic: 't', partition: 0, offset: String(i), key: null, value: Buffer.from(JSON.stringify(v)), timestamp: '1700000000000', headers: {} }));
}

const routing = `[
  { "if": "[type] == \\"nginx\\"", "id": "route",
    "then": [ { "mutate": { "addTag": ["web"], "replace": { "type": "apache" } } } ],
    "elseIf": [
      { "if": "[type] == \\"apache\\"", "then": [ { "mutate": { "addTag": ["apache"] } } ] },
      { "if": "[level] in [\\"ERROR\\", \\"FATAL\\"]", "then": [
        { "if": "[code] >= 500", "then": [ { "mutate": { "addTag": ["server"] } } ], "else": [ { "drop": {} } ] }
      ] }
    ],
    "else": [ { "mutate": { "addTag": ["other"] } }, { "mutate": { "addTag": ["never"] }, "when": "[missing]" } ] },
  { "mutate": { "addField": { "after": "yes" } } }
]`;

describe('conditional blocks', () => {
  it('load into nested steps with labels that say where each filter stands', () => {
    const def = load(routing);
    expect(def.filters).toHaveLength(2);
    const block = def.filters[0];
    expect(isConditional(block)).toBe(true);
    if (!isConditional(block)) return;
    expect(block.label).toBe('route');
    expect(block.branches).toHaveLength(3);
    const inner = block.branches[2].steps[0];
    expect(isConditional(inner) && inner.label).toBe('route.elseIf.1.then.0:if');
    expect(isConditional(inner) && inner.otherwise.map((s) => s.label)).toEqual(['route.elseIf.1.then.0.else.0:drop']);
    expect(block.otherwise.map((s) => s.label)).toEqual(['route.else.0:mutate', 'route.else.1:mutate']);
    expect(def.filters[1].label).toBe('1:mutate');
    expect(load('[{ "if": "[a]", "then": [{ "drop": {} }] }]').filters[0].label).toBe('0:if');
  });

  it('send each event through the first branch that holds, decided before the branch runs', async () => {
    const out = await run(load(routing), [
      { type: 'nginx' },
      { type: 'apache' },
      { level: 'ERROR', code: 503 },
      { level: 'ERROR', code: 404 },
      { level: 'INFO' },
    ]);
    const view = out.map((o) => (o.kind === 'events' ? o.events.map((e) => ({ tags: e.tags, type: e.type, after: e.after })) : o));
    expect(view).toEqual([
      // became "apache" inside the first branch, yet does not also take the second
      [{ tags: ['web'], type: 'apache', after: 'yes' }],
      [{ tags: ['apache'], type: 'apache', after: 'yes' }],
      [{ tags: ['server'], type: undefined, after: 'yes' }],
      [], // dropped inside the nested else
      [{ tags: ['other'], type: undefined, after: 'yes' }],
    ]);
  });

  it('carry the several events a split in a branch makes through the rest of the chain', async () => {
    const def = load(`[
      { "if": "[items]", "then": [ { "split": { "field": "items" } }, { "if": "[items] == 2", "then": [ { "drop": {} } ] } ],
        "else": [ { "mutate": { "addTag": ["none"] } } ] },
      { "mutate": { "addTag": ["seen"] } }
    ]`);
    const [split, none] = await run(def, [{ items: [1, 2, 3] }, { x: 1 }]);
    expect(split.kind === 'events' && split.events.map((e) => [e.items, e.tags])).toEqual([[1, ['seen']], [3, ['seen']]]);
    expect(none.kind === 'events' && none.events.map((e) => e.tags)).toEqual([['none', 'seen']]);
  });

  it('report errors inside blocks with file:line:col and JSON path', () => {
    const errs = errorsOf(`[
  { "if": "[a] == 1", "then": [ { "mutat": {} } ],
    "elseIf": [ { "if": "[a] == (2 or", "then": [] } ],
    "els": [] },
  { "if": "[b]", "then": [ { "grok": { "field": "message", "patern": ["x"] } } ], "elseIf": [ { "then": [] } ] }
]`);
    expect(errs).toEqual([
      expect.stringMatching(/^p\.json:5:35: \$\.filters\[0\]\.then\[0\]\.mutat: unknown filter "mutat"; did you mean "mutate"\?/),
      expect.stringMatching(/^p\.json:6:34: \$\.filters\[0\]\.elseIf\[0\]\.if: invalid condition: /),
      expect.stringMatching(/^p\.json:7:5: \$\.filters\[0\]\.els: unknown key "els" in the conditional block; did you mean "else"\?/),
      expect.stringMatching(/^p\.json:8:60: \$\.filters\[1\]\.then\[0\]\.grok\.patern: unknown key "patern" in the grok filter; did you mean "patterns"\?/),
      expect.stringMatching(/^p\.json:8:95: \$\.filters\[1\]\.elseIf\[0\]: missing required key "if" in the conditional block/),
    ]);
    expect(errorsOf('[{ "then": [] }]')).toEqual([expect.stringMatching(/missing required key "if"/)]);
    expect(errorsOf('[{ "if": "[a]", "then": [], "when": "[b]" }]')).toEqual([expect.stringMatching(/unknown key "when" in the conditional block/)]);
  });

  it('refuse hostile nesting with an error, not a stack overflow', () => {
    let filters = '[]';
    for (let i = 0; i < 40; i++) filters = `[{ "if": "[a]", "then": ${filters} }]`;
    expect(errorsOf(filters)).toEqual([expect.stringMatching(/nested deeper than 32 levels/)]);
  });

  it('are described by the published JSON Schema, recursively', () => {
    const ajv = new Ajv({ strict: false, useDefaults: true });
    const validate = ajv.compile(buildPipelineJsonSchema(components));
    const good = JSON.parse(shell(routing));
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    const bad = JSON.parse(shell('[{ "if": "[a]", "then": [{ "if": "[b]", "then": [{ "mutat": {} }] }] }]'));
    expect(validate(bad)).toBe(false);
    const badKey = JSON.parse(shell('[{ "if": "[a]", "then": [], "els": [] }]'));
    expect(validate(badKey)).toBe(false);
  });

  it('the published schema file accepts every example pipeline as written (what editors check)', () => {
    const published = JSON.parse(readFileSync('schema/pipeline.schema.json', 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(buildPipelineJsonSchema(components)))); // not stale
    // No defaults filled in: an editor validates the file as it is.
    const validate = new Ajv({ strict: false }).compile(published);
    const files = readdirSync('pipelines').filter((f) => f.endsWith('.json') && !f.endsWith('.test.json'));
    expect(files).toContain('syslog-routing.json');
    for (const f of files) {
      const ok = validate(JSON.parse(readFileSync(join('pipelines', f), 'utf8')));
      expect(ok, `${f}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
    }
  });
});
