import { describe, expect, it } from 'vitest';
import { compileCondition } from '../core/condition.js';
import { FilterError, type Filter } from '../core/component.js';
import { RecordProcessor, type ChainStep } from './processor.js';

const record = (value: string) => ({ topic: 't', partition: 1, offset: '7', key: Buffer.from('k'), value: Buffer.from(value), timestamp: '1700000000000', headers: { h: Buffer.from('v') } });
const step = (label: string, filter: Filter, when?: string): ChainStep => ({ label, filter, when: when ? compileCondition(when) : undefined });

describe('RecordProcessor', () => {
  it('decodes, adds @metadata.kafka and @timestamp from the record', () => {
    const p = new RecordProcessor('plain', [], 1024);
    const out = p.process(record('hello'));
    expect(out).toEqual({
      kind: 'events',
      events: [{ message: 'hello', '@timestamp': '2023-11-14T22:13:20.000Z', '@metadata': { kafka: { topic: 't', partition: 1, offset: '7', key: 'k', timestamp: '2023-11-14T22:13:20.000Z', headers: { h: 'v' } } } }],
    });
  });
  it('keeps an @timestamp the record brings', () => {
    const p = new RecordProcessor('json', [], 1024);
    const out = p.process(record('{"@timestamp":"2020-01-01T00:00:00.000Z"}'));
    expect(out.kind === 'events' && out.events[0]['@timestamp']).toBe('2020-01-01T00:00:00.000Z');
  });
  it('runs filters only where `when` holds, drops and splits', () => {
    const steps = [
      step('tag', { process: (e) => void (e.tagged = true) }, 'message =~ /^a/'),
      step('split', { process: (e) => [{ ...e, n: 1 }, { ...e, n: 2 }] }),
      step('drop', { process: () => null }, 'n == 1'),
    ];
    const p = new RecordProcessor('plain', steps, 1024);
    const a = p.process(record('abc'));
    expect(a.kind === 'events' && a.events.map((e) => [e.tagged, e.n])).toEqual([[true, 2]]);
    const b = p.process(record('xyz'));
    expect(b.kind === 'events' && b.events.map((e) => [e.tagged, e.n])).toEqual([[undefined, 2]]);
  });
  it('turns a filter exception into a dead letter naming the stage', () => {
    const p = new RecordProcessor('plain', [step('boom', { process: () => { throw new FilterError('bad field'); } })], 1024);
    expect(p.process(record('x'))).toEqual({ kind: 'dead', reason: 'filter_error', error: 'bad field', stage: 'filter:boom' });
  });
  it('dead-letters oversized records before decoding and undecodable ones', () => {
    expect(new RecordProcessor('plain', [], 3).process(record('four'))).toMatchObject({ kind: 'dead', reason: 'too_large', stage: 'input' });
    expect(new RecordProcessor('json', [], 1024).process(record('{nope'))).toMatchObject({ kind: 'dead', reason: 'decode_failed', stage: 'input' });
  });
});
