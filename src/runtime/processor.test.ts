import { describe, expect, it } from 'vitest';
import { compileCondition } from '../core/condition.js';
import { AwaitBeforeRetry, FilterError, type Filter } from '../core/component.js';
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
  it('sets a record aside while a filter waits, re-runs it once the answer is there, and gives up after MAX_WAITS', async () => {
    let answer: string | undefined;
    let asked = 0;
    const waiting = step('lookup', {
      process: (e) => {
        if (answer === undefined) {
          asked++;
          throw new AwaitBeforeRetry(Promise.resolve().then(() => void (answer = 'known')));
        }
        e.answer = answer;
      },
    });
    const p = new RecordProcessor([step('before', { process: (e) => void (e.before = ((e.before as number) ?? 0) + 1) }), waiting], opts('plain'));
    const [first, second] = p.processBatch([record('a'), record('b')]);
    expect(first).toMatchObject({ kind: 'wait', stage: 'filter:lookup' });
    expect(second).toMatchObject({ kind: 'wait' });
    // The re-run starts from the raw record: earlier steps run once on the final event.
    expect(await p.afterWait(record('a'), first)).toMatchObject({ kind: 'events', events: [{ message: 'a', before: 1, answer: 'known' }] });
    expect(asked).toBe(2);

    const never = new RecordProcessor([step('never', { process: () => { throw new AwaitBeforeRetry(Promise.reject(new Error('no answer'))); } })], opts('plain'));
    const r = record('x');
    expect(await never.afterWait(r, never.processBatch([r])[0])).toMatchObject({ kind: 'dead', reason: 'filter_timeout', stage: 'filter:never', error: expect.stringMatching(/after 16 re-runs/) });
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

    it('interrupts a step inside a conditional block and re-runs the record without it', () => {
      const block: ChainStep = {
        label: 'route',
        branches: [{ when: compileCondition('message =~ /^a/'), steps: [step('route.then.0:slow', catastrophic), step('route.then.1:after', { process: (e) => void (e.after = true) })] }],
        otherwise: [step('route.else.0:boom', { process: () => { throw new FilterError('no'); } })],
      };
      // A longer limit than the other cases: on a loaded machine a normal record must not hit it.
      const p = new RecordProcessor([block, step('last', { process: (e) => void (e.last = true) })], { ...opts('plain'), filterTimeoutMs: 600 });
      const [first, second, third] = p.processBatch([record(evil), record('aaaa'), record('zzz')]);
      expect(first).toMatchObject({ kind: 'events', events: [{ message: evil, after: true, last: true, tags: ['_filtertimeout'] }] });
      expect(second).toMatchObject({ kind: 'events', events: [{ matched: true, after: true, last: true }] });
      expect(third).toEqual({ kind: 'dead', reason: 'filter_error', error: 'no', stage: 'filter:route.else.0:boom' });
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

    it('runs a record again, untagged, when the limit passed while the process was starved rather than busy', () => {
      // Atomics.wait blocks the thread without using CPU: what a process descheduled by a
      // loaded host or a container's CPU quota looks like from inside. The first call sleeps
      // past the limit, later calls are quick.
      const cell = new Int32Array(new SharedArrayBuffer(4));
      let calls = 0;
      const descheduled = { process: (e: Record<string, unknown>) => { if (calls++ === 0) Atomics.wait(cell, 0, 0, 300); e.ok = true; } };
      for (const onFilterTimeout of ['tag', 'dead_letter'] as const) {
        calls = 0;
        const p = new RecordProcessor([step('descheduled', descheduled)], { ...opts('plain'), onFilterTimeout });
        const [first, second] = p.processBatch([record('a'), record('b')]);
        expect(calls).toBe(3);
        expect(first).toMatchObject({ kind: 'events', events: [{ message: 'a', ok: true }] });
        expect(first.kind === 'events' && first.events[0].tags).toBeUndefined();
        expect(second).toMatchObject({ kind: 'events', events: [{ message: 'b', ok: true }] });
      }
    });

    it('still times out a record that keeps the CPU busy past the limit', () => {
      const spin = { process: (e: Record<string, unknown>) => { const until = performance.now() + 400; while (performance.now() < until); e.ok = true; } };
      const p = new RecordProcessor([step('spin', spin)], { ...opts('plain'), onFilterTimeout: 'dead_letter' });
      expect(p.processBatch([record('a')])[0]).toMatchObject({ kind: 'dead', reason: 'filter_timeout', stage: 'filter:spin' });
    });

    it('never times out a batch of normal records that together take longer than the limit', () => {
      const busy = { process: (e: Record<string, unknown>) => { const until = performance.now() + 2; while (performance.now() < until); e.ok = true; } };
      const p = new RecordProcessor([step('busy', busy)], opts('plain'));
      const outcomes = p.processBatch(Array.from({ length: 100 }, (_, i) => record(`r${i}`)));
      expect(outcomes.every((o) => o.kind === 'events' && o.events[0].ok === true && o.events[0].tags === undefined)).toBe(true);
    });
  });
});

describe('RecordProcessor with a joining filter (multiline)', () => {
  const rec = (offset: number, value: string) => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: Buffer.from(value), timestamp: '1700000000000', headers: {} });
  async function joining(after: Filter[] = []) {
    const { multiline } = await import('../filters/multiline/index.js');
    const { makeFilter } = await import('../testing/context.js');
    const ml = await makeFilter(multiline, {});
    return new RecordProcessor([step('ml', ml), ...after.map((f, i) => step(`after${i}`, f))], opts('plain', 1024));
  }

  it('holds records in their group and hands the joined event out with all its records, through the rest of the chain', async () => {
    const p = await joining([{ process: (e) => void (e.seen = true) }]);
    const outcomes = p.processBatch([rec(0, 'start'), rec(1, '\tat a'), rec(2, 'next')]);
    expect(outcomes.map((o) => o.kind === 'events' && [o.events.length, o.held])).toEqual([
      [0, true],
      [0, true],
      [0, true],
    ]);
    const joined = p.takeJoined();
    expect(joined.map((j) => [j.members.map((r) => r.offset), j.outcome.kind === 'events' && j.outcome.events.map((e) => [e.message, e.seen])])).toEqual([[['0', '1'], [['start\n\tat a', true]]]]);
    expect(p.takeJoined()).toEqual([]);
    const flushed = p.flushJoined();
    expect(flushed.map((j) => j.members.map((r) => r.offset))).toEqual([['2']]);
  });

  it('a filter error after the join dead-letters the joined event (all its records)', async () => {
    const p = await joining([{ process: () => { throw new FilterError('bad'); } }]);
    p.processBatch([rec(0, 'start'), rec(1, '\tat a')]);
    const [j] = p.flushJoined();
    expect(j.members.map((r) => r.offset)).toEqual(['0', '1']);
    expect(j.outcome).toMatchObject({ kind: 'dead', reason: 'filter_error', stage: 'filter:after0' });
  });

  it('only one joining filter per chain', async () => {
    const { multiline } = await import('../filters/multiline/index.js');
    const { makeFilter } = await import('../testing/context.js');
    const a = await makeFilter(multiline, {});
    const b = await makeFilter(multiline, {});
    expect(() => new RecordProcessor([step('a', a), step('b', b)], opts('plain'))).toThrow(/only one joining filter/);
  });
});

describe('RecordProcessor: a time-limit interrupt in the joining step', () => {
  it('tries the line once more instead of leaving it out of its group', async () => {
    const { multiline } = await import('../filters/multiline/index.js');
    const { makeFilter } = await import('../testing/context.js');
    const ml = await makeFilter(multiline, {});
    const joiner = ml.joiner!;
    const real = joiner.continues.bind(joiner);
    let stalls = 1;
    // The first test of the second line stalls past the limit (an overloaded machine), then all is normal.
    joiner.continues = (e) => {
      if (e.message === '\tat a' && stalls-- > 0) {
        const until = performance.now() + 300;
        while (performance.now() < until);
      }
      return real(e);
    };
    const p = new RecordProcessor([step('ml', ml)], opts('plain', 1024));
    const rec = (offset: number, value: string) => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: Buffer.from(value), timestamp: '1700000000000', headers: {} });
    const outcomes = p.processBatch([rec(0, 'start'), rec(1, '\tat a'), rec(2, '\tat b')]);
    expect(outcomes.every((o) => o.kind === 'events' && o.held && o.events.length === 0)).toBe(true);
    const [j] = p.flushJoined();
    expect(j.members.map((r) => r.offset)).toEqual(['0', '1', '2']);
    expect(j.outcome.kind === 'events' && j.outcome.events[0]).toMatchObject({ message: 'start\n\tat a\n\tat b', tags: ['multiline'] });
  });
});
