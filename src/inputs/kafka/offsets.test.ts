import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../core/component.js';
import { PartitionOffsets } from './offsets.js';

const record = (offset: bigint): SourceRecord => ({ topic: 't', partition: 0, offset: String(offset), key: null, value: null, timestamp: '0', headers: {} });

describe('PartitionOffsets', () => {
  it('commits the first unsettled offset, never beyond', () => {
    const p = new PartitionOffsets();
    const s10 = p.accept(record(10n), 10n);
    const s11 = p.accept(record(11n), 11n);
    const s13 = p.accept(record(13n), 13n); // a gap (compaction, transaction marker)
    expect(p.committable()).toBe(10n);
    s11.settle();
    expect(p.committable()).toBe(10n);
    s10.settle();
    expect(p.committable()).toBe(13n);
    s13.settle();
    expect(p.committable()).toBe(14n);
  });
  it('reports only moves since the last commit', () => {
    const p = new PartitionOffsets();
    p.accept(record(0n), 0n).settle();
    expect(p.takeCommit()).toBe(1n);
    p.markCommitted(1n);
    expect(p.takeCommit()).toBeUndefined();
    p.accept(record(1n), 1n);
    expect(p.takeCommit()).toBeUndefined();
  });
  it('commits an unchanged watermark again after resetCommitted (a new group generation)', () => {
    const p = new PartitionOffsets();
    p.accept(record(0n), 0n).settle();
    p.markCommitted(1n);
    expect(p.takeCommit()).toBeUndefined();
    p.resetCommitted();
    expect(p.takeCommit()).toBe(1n);
  });
  it('recognises re-fetched offsets as duplicates', () => {
    const p = new PartitionOffsets();
    p.accept(record(5n), 5n);
    p.accept(record(6n), 6n);
    expect(p.isDuplicate(5n)).toBe(true);
    expect(p.isDuplicate(7n)).toBe(false);
  });
  it('settling twice is harmless and the queue compacts', () => {
    const p = new PartitionOffsets();
    const settles = Array.from({ length: 5000 }, (_, i) => p.accept(record(BigInt(i)), BigInt(i)));
    settles.forEach((s) => {
      s.settle();
      s.settle();
    });
    expect(p.unsettled).toBe(0);
    expect(p.committable()).toBe(5000n);
  });
});
