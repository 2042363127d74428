import { describe, expect, it } from 'vitest';
import { makeFilter } from '../../testing/context.js';
import type { Event } from '../../core/event.js';
import type { Joiner } from '../../core/component.js';
import { multiline } from './index.js';

const T0 = Date.parse('2024-05-01T12:00:00.000Z');

/** An event as the processor makes it: the line, the stream fields, and @metadata.kafka. */
function ev(message: string, opts: { host?: string; partition?: number; at?: number; key?: string } = {}): Event {
  const e: Event = {
    message,
    '@metadata': { kafka: { topic: 't', partition: opts.partition ?? 0, offset: '0', key: opts.key ?? null, timestamp: new Date(opts.at ?? T0).toISOString(), headers: {} } },
  };
  if (opts.host) e.host = { name: opts.host };
  return e;
}

async function joiner(config: Record<string, unknown> = {}): Promise<Joiner<number>> {
  const filter = await makeFilter(multiline, config);
  return filter.joiner as Joiner<number>;
}

/** Offers lines (member = index) and returns what came out as [message, members, tags]. */
function feed(j: Joiner<number>, events: Event[], now = 0) {
  const out = events.flatMap((e, i) => j.offer(e, i, now));
  return out.map((g) => [g.event.message, g.members, g.event.tags ?? []]);
}

const trace = ['2024-05-01 ERROR boom', 'java.lang.IllegalStateException: x', '\tat a.B.c(B.java:1)', 'Caused by: java.io.IOException: y', '\tat d.E.f(E.java:2)', '\t... 3 more', '\t... 4 common frames omitted'];

describe('multiline', () => {
  it('joins Java continuation lines into the line before them (defaults); the next start line ends the group', async () => {
    const j = await joiner();
    const out = feed(j, [...trace, '2024-05-01 INFO next'].map((l) => ev(l)));
    expect(out).toEqual([[trace.join('\n'), [0, 1, 2, 3, 4, 5, 6], ['multiline']]]);
    expect(feed(j, [], 0)).toEqual([]);
    const rest = j.flush();
    expect(rest.map((g) => [g.event.message, g.members, g.event.tags])).toEqual([['2024-05-01 INFO next', [7], undefined]]);
  });

  it('keeps streams apart: lines of other hosts in the same partition do not end or join a group', async () => {
    const j = await joiner();
    const events = [ev('A start', { host: 'a' }), ev('B start', { host: 'b' }), ev('\tat a', { host: 'a' }), ev('B next', { host: 'b' }), ev('\tat a2', { host: 'a' })];
    const out = feed(j, events);
    expect(out).toEqual([['B start', [1], []]]);
    const flushed = j.flush().map((g) => [g.event.message, g.members]);
    expect(flushed).toEqual([
      ['A start\n\tat a\n\tat a2', [0, 2, 4]],
      ['B next', [3]],
    ]);
  });

  it('never joins across partitions, and can group by the Kafka key instead of the default fields', async () => {
    const j = await joiner({ streamBy: ['@metadata.kafka.key'] });
    feed(j, [ev('start', { key: 'k1', partition: 0 }), ev('\tat x', { key: 'k1', partition: 1 }), ev('\tat y', { key: 'k1', partition: 0 }), ev('\tat z', { key: 'k2', partition: 0 })]);
    const groups = j.flush().map((g) => [g.event.message, g.members, g.event.tags]);
    expect(groups).toEqual([
      ['start\n\tat y', [0, 2], ['multiline']],
      ['\tat x', [1], ['_multiline_orphan']],
      ['\tat z', [3], ['_multiline_orphan']],
    ]);
  });

  it('user patterns with negate (a line that does not start with a date continues the previous one)', async () => {
    const j = await joiner({ patterns: ['^\\d{4}-\\d{2}-\\d{2}'], negate: true });
    const out = feed(j, [ev('2024-05-01 one'), ev('  two'), ev('three'), ev('2024-05-01 four')]);
    expect(out).toEqual([['2024-05-01 one\n  two\nthree', [0, 1, 2], ['multiline']]]);
  });

  it('what: next joins a line ending in a backslash to the line after it', async () => {
    const j = await joiner({ patterns: ['\\\\$'], what: 'next' });
    const out = feed(j, [ev('a \\'), ev('b \\'), ev('c'), ev('d')]);
    expect(out).toEqual([
      ['a \\\nb \\\nc', [0, 1, 2], ['multiline']],
      ['d', [3], []],
    ]);
  });

  it('cuts a group at maxLines and at maxBytes, tags it, and the rest starts a new (orphan) group', async () => {
    const j = await joiner({ maxLines: 3 });
    const out = feed(j, ['start', '\ta', '\tb', '\tc', '\td'].map((l) => ev(l)));
    expect(out).toEqual([['start\n\ta\n\tb', [0, 1, 2], ['multiline', '_multiline_truncated']]]);
    expect(j.flush().map((g) => [g.event.message, g.event.tags])).toEqual([['\tc\n\td', ['multiline', '_multiline_orphan']]]);
    const k = await joiner({ maxBytes: 12 });
    const cut = feed(k, ['start', '\tabc', '\tdefg'].map((l) => ev(l)));
    expect(cut).toEqual([['start\n\tabc', [0, 1], ['multiline', '_multiline_truncated']]]);
  });

  it('sends a group when no line came for maxWaitMs; a later continuation starts an orphan group', async () => {
    const j = await joiner({ maxWaitMs: 1000 });
    feed(j, [ev('start'), ev('\tat a')], 0);
    expect(j.expire(999)).toEqual([]);
    const expired = j.expire(1000);
    expect(expired.map((g) => [g.event.message, g.members])).toEqual([['start\n\tat a', [0, 1]]]);
    feed(j, [ev('\tat late')], 2000);
    expect(j.flush().map((g) => [g.event.message, g.event.tags])).toEqual([['\tat late', ['_multiline_orphan']]]);
  });

  it('decides by Kafka record time too: a continuation produced more than maxWaitMs after the line before does not join (same result on a re-read)', async () => {
    const j = await joiner({ maxWaitMs: 1000 });
    const out = feed(j, [ev('start', { at: T0 }), ev('\tat a', { at: T0 + 500 }), ev('\tat b', { at: T0 + 2000 })], 0);
    expect(out).toEqual([['start\n\tat a', [0, 1], ['multiline']]]);
    expect(j.flush().map((g) => [g.event.message, g.event.tags])).toEqual([['\tat b', ['_multiline_orphan']]]);
  });

  it('discards the open groups whose first member matches, and tags everything with cutTag on a forced flush', async () => {
    const j = await joiner();
    feed(j, [ev('a', { partition: 0 }), ev('b', { partition: 1 }), ev('\tat b', { partition: 1 })]);
    expect(j.discard((m) => m === 1)).toEqual([[1, 2]]);
    expect(j.flush(true).map((g) => [g.event.message, g.event.tags])).toEqual([['a', ['_multiline_truncated']]]);
  });

  it('rejects an invalid pattern with a clear message', async () => {
    await expect(joiner({ patterns: ['(unclosed'] })).rejects.toThrow(/invalid pattern "\(unclosed"/);
  });
});
