/**
 * Hostile records, end to end through `sluice process` (the same codec, limits and filter
 * chain as `sluice run`), plus the same chain in-process where the prototypes can be checked:
 *
 * - field names `__proto__`, `constructor`, `prototype` arriving through the json codec, the
 *   json, kv and dissect filters, mutate's templated field names and tags: they stay plain
 *   own properties (or are refused as references) and nothing reaches Object.prototype;
 * - invalid UTF-8: the plain codec keeps the line (U+FFFD) and tags it `_utf8error`; the json
 *   codec dead-letters it (`decode_failed`), or tags it `_decodefailure` with onDecodeError tag;
 * - size and nesting limits, enforced before parsing: a 20 MB line is `too_large` at once;
 *   JSON deeper than input.kafka.maxJsonDepth is `decode_failed` (also 1,000,000 levels deep).
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadPipeline } from '../../src/config/load.js';
import { components } from '../../src/registry.js';
import { buildFilters } from '../../src/runtime/build.js';
import { RecordProcessor } from '../../src/runtime/processor.js';
import { processorOptions } from '../../src/runtime/pipeline.js';
import { expectNoStackTrace, runCli, tempDir, writePipeline } from './helpers.js';

const dir = tempDir('hostile');
const input = (extra: object = {}) => ({ kafka: { brokers: ['localhost:9092'], topics: ['t'], groupId: 'g', ...extra } });
const output = { elasticsearch: { nodes: ['http://localhost:9200'] } };

const pollutionPipeline = writePipeline(dir, 'pollution', {
  id: 'pollution',
  input: input({ codec: 'json' }),
  filters: [
    { json: { field: 'inner' } },
    { json: { field: 'inner', target: 'parsed' } },
    { kv: { field: 'kvtext' } },
    { kv: { field: 'kvtext', target: 'kvout' } },
    { dissect: { mapping: { dtext: '%{?k}=%{&k}' } } },
    { mutate: { addField: { '%{name}': 'templated', 'copy.%{name}': 'templated' }, addTag: ['%{name}'] } },
    { mutate: { addTag: ['polluted'] }, when: 'polluted == "yes"' },
  ],
  output,
});

/** JSON texts written literally: `{ __proto__: ... }` in JavaScript would set a prototype, not a key. */
const INNER = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}';
const hostileRecords = [
  `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"name":"__proto__",` +
    `"inner":${JSON.stringify(INNER)},"kvtext":"__proto__=yes constructor=yes prototype=yes","dtext":"__proto__=yes"}`,
  JSON.stringify({ name: 'constructor', kvtext: 'a=1', dtext: 'constructor=yes', inner: '{"prototype":{"polluted":"yes"}}' }),
  JSON.stringify({ name: 'prototype.polluted', dtext: 'prototype=yes' }),
  '{"a":1}',
];

describe('hostile field names cannot pollute prototypes', () => {
  it('through `sluice process`: hostile keys stay own properties, clean events stay clean', async () => {
    const r = await runCli(['process', pollutionPipeline], { input: hostileRecords.join('\n') + '\n' });
    expect(r.code, r.output).toBe(0);
    expectNoStackTrace(r.output);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(4);
    const [first, , , clean] = events;
    // The hostile keys were kept as data (JSON.parse makes "__proto__" an own property).
    expect(Object.prototype.hasOwnProperty.call(first, '__proto__')).toBe(true);
    expect(first.kvout).toBeDefined();
    expect(Object.prototype.hasOwnProperty.call(first.kvout, '__proto__')).toBe(true);
    expect(first.parsed).toBeDefined();
    // Nothing leaked into later events, and `when` saw no inherited "polluted".
    expect(clean).not.toHaveProperty('polluted');
    expect(JSON.stringify(clean)).not.toMatch(/polluted/);
    for (const e of events) expect(e.tags ?? []).not.toContain('polluted');
  });

  it('in-process, the same chain leaves Object.prototype and Array.prototype untouched', async () => {
    const def = loadPipeline(pollutionPipeline, components);
    const { steps, close } = await buildFilters(def, { pipelineId: def.id, baseDir: def.baseDir, logger: pino({ level: 'silent' }) });
    const processor = new RecordProcessor(steps, processorOptions(def));
    const objectKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const arrayKeys = Object.getOwnPropertyNames(Array.prototype).sort();
    const records = hostileRecords.map((v, i) => {
      // Headers literally named "__proto__" and "constructor", as Kafka can deliver them.
      const headers: Record<string, Buffer> = { constructor: Buffer.from('y') };
      Object.defineProperty(headers, '__proto__', { value: Buffer.from('{"polluted":"yes"}'), enumerable: true });
      return { topic: 't', partition: 0, offset: String(i), key: null, value: Buffer.from(v), timestamp: '1700000000000', headers };
    });
    const outcomes = processor.processBatch(records);
    await close();
    expect(outcomes.every((o) => o.kind === 'events')).toBe(true);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(objectKeys);
    expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const o of outcomes) {
      if (o.kind !== 'events') continue;
      for (const e of o.events) {
        expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
        const headers = (e['@metadata'] as { kafka: { headers: object } }).kafka.headers;
        expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
        expect(Object.prototype.hasOwnProperty.call(headers, '__proto__')).toBe(true);
      }
    }
  });
});

describe('invalid UTF-8 is handled explicitly', () => {
  const bytes = Buffer.concat([Buffer.from('valid line\n'), Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x21, 0x0a]), Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
  const file = join(dir, 'invalid-utf8.bin');
  writeFileSync(file, bytes);

  it('plain codec: the line is kept with U+FFFD and tagged _utf8error', async () => {
    const r = await runCli(['process', writePipeline(dir, 'utf8-plain', { id: 'utf8-plain', input: input(), output }), '--input', file]);
    expect(r.code, r.output).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(3);
    expect(events[0].tags).toBeUndefined();
    expect(events[1]).toMatchObject({ message: 'bad\uFFFD\uFFFD!', tags: ['_utf8error'] });
    expect(events[2].tags).toEqual(['_utf8error']);
  });

  it('json codec: dead-lettered as decode_failed, or tagged _decodefailure with onDecodeError "tag"', async () => {
    const dead = await runCli(['process', writePipeline(dir, 'utf8-json', { id: 'utf8-json', input: input({ codec: 'json' }), output }), '--input', file]);
    expect(dead.code, dead.output).toBe(0);
    const letters = dead.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(letters.map((l) => [l.reason, l.stage])).toEqual([
      ['decode_failed', 'input'],
      ['decode_failed', 'input'],
      ['decode_failed', 'input'],
    ]);
    expect(letters[1].error).toBe('record value is not valid UTF-8');
    expect(letters[2].error).toBe('record value is not valid UTF-8');
    const tagged = await runCli(['process', writePipeline(dir, 'utf8-json-tag', { id: 'utf8-json-tag', input: input({ codec: 'json', onDecodeError: 'tag' }), output }), '--input', file]);
    const events = tagged.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.tags)).toEqual([['_decodefailure'], ['_decodefailure'], ['_decodefailure']]);
    expect(events[1].message).toBe('bad\uFFFD\uFFFD!');
  });
});

describe('size and nesting limits are enforced before parsing', () => {
  it('a record over limits.maxRecordBytes is too_large, even a 20 MB one, at once', async () => {
    const pipeline = writePipeline(dir, 'size', { id: 'size', input: input({ codec: 'json' }), output, limits: { maxRecordBytes: 100 } });
    const ok = JSON.stringify({ m: 'x'.repeat(92) }); // 100 bytes
    const over = JSON.stringify({ m: 'x'.repeat(93) }); // 101 bytes
    const huge = `{"m":"${'y'.repeat(20 * 1024 * 1024)}"}`;
    const r = await runCli(['process', pipeline], { input: `${ok}\n${over}\n${huge}\n`, timeoutMs: 30_000 });
    expect(r.code, r.stderr.slice(0, 2000)).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const letters = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(letters.map((l) => l.reason)).toEqual(['too_large', 'too_large']);
    expect(letters[0].error).toBe('record value is 101 bytes, more than limits.maxRecordBytes (100)');
    expect(r.ms).toBeLessThan(20_000);
  });

  it('JSON deeper than input.kafka.maxJsonDepth is decode_failed, even 1,000,000 levels deep', async () => {
    const pipeline = writePipeline(dir, 'depth', { id: 'depth', input: input({ codec: 'json', maxJsonDepth: 5 }), output, limits: { maxRecordBytes: 4 * 1024 * 1024 } });
    const nest = (d: number) => `${'{"a":'.repeat(d - 1)}{"a":1}${'}'.repeat(d - 1)}`;
    const deep = `{"a":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    // Brackets inside strings are text, not nesting.
    const quoted = JSON.stringify({ a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' });
    const r = await runCli(['process', pipeline], { input: [nest(5), nest(6), deep, quoted].join('\n') + '\n', timeoutMs: 30_000 });
    expect(r.code, r.stderr.slice(0, 2000)).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(2);
    const letters = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(letters.map((l) => [l.reason, l.error])).toEqual([
      ['decode_failed', 'JSON nested deeper than 5 levels (input.kafka.maxJsonDepth)'],
      ['decode_failed', 'JSON nested deeper than 5 levels (input.kafka.maxJsonDepth)'],
    ]);
  });

  it('the json filter bounds nesting too: a 100,000-deep field is tagged, not parsed', async () => {
    const pipeline = writePipeline(dir, 'json-filter-depth', { id: 'json-filter-depth', input: input(), filters: [{ json: { field: 'message', target: 'doc' } }], output, limits: { maxRecordBytes: 1024 * 1024 } });
    const r = await runCli(['process', pipeline], { input: `${'['.repeat(100_000)}${']'.repeat(100_000)}\n` });
    expect(r.code, r.stderr.slice(0, 2000)).toBe(0);
    const [event] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(event.tags).toEqual(['_jsonparsefailure']);
    expect(event.doc).toBeUndefined();
  });
});
