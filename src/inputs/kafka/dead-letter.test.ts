import { describe, expect, it } from 'vitest';
import { deadLetterHeaders, truncateUtf8 } from './dead-letter.js';

const record = {
  topic: 'web',
  partition: 2,
  offset: '41',
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  timestamp: '1700000000000',
  headers: { trace: Buffer.from('abc'), 'sluice.dlq.reason': Buffer.from('old'), 'sluice.dlq.attempt': Buffer.from('2') },
};

describe('dead-letter headers', () => {
  it('keeps the source headers and adds every sluice.dlq header', () => {
    const h = deadLetterHeaders(
      { record, reason: 'es_rejected', error: 'mapper_parsing_exception: x', stage: 'output', extra: { 'es.status': '400', 'es.type': 'mapper_parsing_exception', 'es.index': 'logs' } },
      'web-access',
      new Date('2026-01-02T03:04:05.000Z'),
    )!;
    expect(h.trace).toEqual(Buffer.from('abc'));
    expect(h).toMatchObject({
      'sluice.dlq.reason': 'es_rejected',
      'sluice.dlq.error': 'mapper_parsing_exception: x',
      'sluice.dlq.stage': 'output',
      'sluice.dlq.pipeline': 'web-access',
      'sluice.dlq.source.topic': 'web',
      'sluice.dlq.source.partition': '2',
      'sluice.dlq.source.offset': '41',
      'sluice.dlq.source.timestamp': '2023-11-14T22:13:20.000Z',
      'sluice.dlq.failed_at': '2026-01-02T03:04:05.000Z',
      'sluice.dlq.attempt': '3',
      'sluice.dlq.es.status': '400',
      'sluice.dlq.es.type': 'mapper_parsing_exception',
      'sluice.dlq.es.index': 'logs',
    });
  });
  it('starts attempts at 1 and caps the error at 2 KiB on a character boundary', () => {
    const h = deadLetterHeaders({ record: { ...record, headers: {} }, reason: 'filter_error', error: 'é'.repeat(5000), stage: 'filter:0:grok' }, 'p')!;
    expect(h['sluice.dlq.attempt']).toBe('1');
    const err = h['sluice.dlq.error'] as string;
    expect(Buffer.byteLength(err)).toBeLessThanOrEqual(2048);
    expect(err).not.toContain('\uFFFD');
    expect(truncateUtf8('short', 2048)).toBe('short');
  });
});
