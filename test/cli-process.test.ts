/** `sluice process`: the pipeline's codec and filters on raw lines, no Kafka, no Elasticsearch. */
import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSluice } from './helpers/sluice.js';

const pipeline = 'test/fixtures/pipelines/json-events.json';

describe('sluice process', () => {
  it('prints one JSON event per record on stdout and one dead letter per bad record on stderr, exit 0', () => {
    const input = ['{"msg":"ok","level":"info"}', 'not json', '{"msg":"boom","level":"error"}', '[1,2]'].join('\n');
    const r = runSluice(['process', pipeline], { input });
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ message: 'ok', level: 'info', tags: ['seen'] });
    expect(events[0]).not.toHaveProperty('severity');
    expect(events[1]).toMatchObject({ message: 'boom', severity: 'high' });
    expect(events[0]).not.toHaveProperty('@metadata');
    const dead = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(dead).toEqual([
      { reason: 'decode_failed', error: expect.stringMatching(/invalid JSON/), stage: 'input', record: 'not json' },
      { reason: 'decode_failed', error: 'expected a JSON object, found an array', stage: 'input', record: '[1,2]' },
    ]);
  });

  it('reads --input files and shows @metadata with --metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-process-'));
    const file = join(dir, 'in.log');
    writeFileSync(file, '{"msg":"a"}\n{"msg":"b"}\n');
    const r = runSluice(['process', pipeline, '--input', file, '--metadata']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.message, e['@metadata'].kafka.offset])).toEqual([
      ['a', '0'],
      ['b', '1'],
    ]);
  });

  it('--discard prints no events and no dead letters, only one summary line with the counts on stderr', () => {
    const input = ['{"msg":"ok","level":"info"}', 'not json', '{"msg":"boom","level":"error"}', '[1,2]', '{"msg":"c"}'].join('\n');
    const r = runSluice(['process', pipeline, '--discard'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = Object.fromEntries(lines[0].split(' ').map((kv) => kv.split('=')));
    expect(Object.keys(summary)).toEqual(['events', 'dead_letters', 'cpu_s', 'wall_s', 'events_per_s', 'events_per_cpu_s', 'peak_rss_mib']);
    expect(summary.events).toBe('3');
    expect(summary.dead_letters).toBe('2');
    for (const k of ['cpu_s', 'wall_s', 'events_per_s', 'events_per_cpu_s', 'peak_rss_mib']) expect(Number(summary[k])).toBeGreaterThan(0);
  });

  it('exits 1 with a clear message for an invalid pipeline', () => {
    const r = runSluice(['process', 'test/fixtures/invalid/misspelt-key.json'], { input: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did you mean "groupId"/);
  });
});
