import { describe, expect, it } from 'vitest';
import { compileCondition } from '../core/condition.js';
import { FilterError, type Filter } from '../core/component.js';
import { RecordProcessor, type ChainStep } from './processor.js';

const record = (value: string) => ({ topic: 't', partition: 1, offset: '7', key: Buffer.from('k'), value: Buffer.from(value), timestamp: '1700000000000', headers: { h: Buffer.from('v') } });
const opts = (codec: string, maxRecordBytes = 1024) => ({ codec, maxRecordBytes, filterTimeoutMs: 100, onFilterTimeout: 'tag' as const });
const step = (label: string, filter: Filter, when?: string): ChainStep => ({ label, filter, when: when ? compileCondition(when) : undefined });

describe('RecordProcessor', () => {
  it('decodes, adds @metadata.kafka and @timestamp from the record', () => {
    const p = new RecordProcessor([], opts('plain', 1024));
    const out = p.process(record('hello'));
    expect(out).toEqual({
      kind: 'events',
      events: [{ message: 'hello', '@timestamp': '2023-11-14T22:13:20.000Z', '@metadata': { kafka: { topic: 't', partition: 1, offset: '7', key: 'k', timestamp: '2023-11-14T22:13:20.000Z', headers: { h: 'v' } } } }],
    });
  });
  it('keeps an @timestamp the record brings', () => {
    const p = new RecordProcessor([], opts('json', 1024));
    const out = p.process(record('{"@timestamp":"2020-01-01T00:00:00.000Z"}'));
    expect(out.kind === 'events' && out.events[0]['@timestamp']).toBe('2020-01-01T00:00:00.000Z');
  });
  it('runs filters only where `when` holds, drops and splits', () => {
    const steps = [
      step('tag', { process: (e) => void (e.tagged = true) }, 'message =~ /^a/'),
      step('split', { process: (e) => [{ ...e, n: 1 }, { ...e, n: 2 }] }),
      step('drop', { process: () => null }, 'n == 1'),
    ];
    const p = new RecordProcessor(steps, opts('plain', 1024));
    const a = p.process(record('abc'));
    expect(a.kind === 'events' && a.events.map((e) => [e.tagged, e.n])).toEqual([[true, 2]]);
    const b = p.process(record('xyz'));
    expect(b.kind === 'events' && b.events.map((e) => [e.tagged, e.n])).toEqual([[undefined, 2]]);
  });
  it('with a time budget, returns the outcomes of a prefix and does the rest on the next call', () => {
    let calls = 0;
    const slow = step('slow', { process: () => { calls++; const end = performance.now() + 5; while (performance.now() < end); } });
    const p = new RecordProcessor([slow], { ...opts('plain', 1024), filterTimeoutMs: 1000 });
    const records = Array.from({ length: 20 }, (_, i) => record(`r${i}`));
    const first = p.processBatch(records, 12);
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(first.length).toBeLessThan(20);
    expect(calls).toBe(first.length);
    const rest = p.processBatch(records.slice(first.length));
    expect(first.length + rest.length).toBe(20);
    expect([...first, ...rest].every((o) => o.kind === 'events')).toBe(true);
  });
  it('turns a filter exception into a dead letter naming the stage', () => {
    const p = new RecordProcessor([step('boom', { process: () => { throw new FilterError('bad field'); } })], opts('plain', 1024));
    expect(p.process(record('x'))).toEqual({ kind: 'dead', reason: 'filter_error', error: 'bad field', stage: 'filter:boom' });
  });
  it('dead-letters oversized records before decoding and undecodable ones', () => {
    expect(new RecordProcessor([], opts('plain', 3)).process(record('four'))).toMatchObject({ kind: 'dead', reason: 'too_large', stage: 'input' });
    expect(new RecordProcessor([], opts('json', 1024)).process(record('{nope'))).toMatchObject({ kind: 'dead', reason: 'decode_failed', stage: 'input' });
  });
  it('tags undecodable records instead when so configured', () => {
    const p = new RecordProcessor([], { ...opts('json', 1024), onError: 'tag' });
    expect(p.process(record('{nope'))).toMatchObject({ kind: 'events', events: [{ message: '{nope', tags: ['_decodefailure'] }] });
  });

  describe('bounded time', () => {
    // (a+)+$ on 'aaaa…b' backtracks exponentially: minutes of CPU without the limit.
    const catastrophic = { process: (e: Record<string, unknown>) => void (e.matched = /^(a+)+$/.test(String(e.message))) };
    const evil = 'a'.repeat(40) + 'b';

    it('tags an event whose step exceeds the limit and processes the next record normally', () => {
      const p = new RecordProcessor([step('slow', catastrophic), step('after', { process: (e) => void (e.after = true) })], opts('plain'));
      const started = performance.now();
      const [first, second] = p.processBatch([record(evil), record('aaaa')]);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(1000);
      expect(first).toMatchObject({ kind: 'events', events: [{ message: evil, after: true, tags: ['_filtertimeout'] }] });
      expect(first.kind === 'events' && first.events[0].matched).toBeUndefined();
      expect(second).toMatchObject({ kind: 'events', events: [{ message: 'aaaa', matched: true, after: true }] });
    });

    it("uses the step's own timeout tag", () => {
      const p = new RecordProcessor([{ ...step('grok', catastrophic), timeoutTag: '_groktimeout' }], opts('plain'));
      expect(p.processBatch([record(evil)])[0]).toMatchObject({ kind: 'events', events: [{ tags: ['_groktimeout'] }] });
    });

    it('dead-letters with filter_timeout when so configured', () => {
      const p = new RecordProcessor([step('slow', catastrophic)], { ...opts('plain'), onFilterTimeout: 'dead_letter' });
      const [out, next] = p.processBatch([record(evil), record('aa')]);
      expect(out).toMatchObject({ kind: 'dead', reason: 'filter_timeout', stage: 'filter:slow' });
      expect(next).toMatchObject({ kind: 'events', events: [{ matched: true }] });
    });

    it('gives exactly one outcome per record when an interrupt lands between two records', () => {
      // A 1 ms limit: slices can overrun the whole limit (a busy machine), and the interrupt can
      // land after the last record of the batch. It used to add an outcome past the end (which
      // crashed the caller) or dead-letter the next record, never slow, as timed out.
      const light = { process: (e: Record<string, unknown>) => void (e.ok = String(e.message).length > 0) };
      const p = new RecordProcessor([step('light', light)], { ...opts('plain'), filterTimeoutMs: 1, onFilterTimeout: 'dead_letter' });
      for (let round = 0; round < 20; round++) {
        const outcomes = p.processBatch(Array.from({ length: 2000 }, (_, i) => record(`r${i}`)));
        expect(outcomes).toHaveLength(2000);
        expect(outcomes.every((o) => o !== undefined)).toBe(true);
      }
    });

    it('never times out a batch of normal records that together take longer than the limit', () => {
      const busy = { process: (e: Record<string, unknown>) => { const until = performance.now() + 2; while (performance.now() < until); e.ok = true; } };
      const p = new RecordProcessor([step('busy', busy)], opts('plain'));
      const outcomes = p.processBatch(Array.from({ length: 100 }, (_, i) => record(`r${i}`)));
      expect(outcomes.every((o) => o.kind === 'events' && o.events[0].ok === true && o.events[0].tags === undefined)).toBe(true);
    });
  });
});
