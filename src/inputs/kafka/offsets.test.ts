import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from './offsets.js';

describe('PartitionOffsets', () => {
  it('commits the first unsettled offset, never beyond', () => {
    const p = new PartitionOffsets();
    const s10 = p.accept(10n);
    const s11 = p.accept(11n);
    const s13 = p.accept(13n); // a gap (compaction, transaction marker)
    expect(p.committable()).toBe(10n);
    s11();
    expect(p.committable()).toBe(10n);
    s10();
    expect(p.committable()).toBe(13n);
    s13();
    expect(p.committable()).toBe(14n);
  });
  it('reports only moves since the last commit', () => {
    const p = new PartitionOffsets();
    p.accept(0n)();
    expect(p.takeCommit()).toBe(1n);
    p.markCommitted(1n);
    expect(p.takeCommit()).toBeUndefined();
    p.accept(1n);
    expect(p.takeCommit()).toBeUndefined();
  });
  it('commits an unchanged watermark again after resetCommitted (a new group generation)', () => {
    const p = new PartitionOffsets();
    p.accept(0n)();
    p.markCommitted(1n);
    expect(p.takeCommit()).toBeUndefined();
    p.resetCommitted();
    expect(p.takeCommit()).toBe(1n);
  });
  it('recognises re-fetched offsets as duplicates', () => {
    const p = new PartitionOffsets();
    p.accept(5n);
    p.accept(6n);
    expect(p.isDuplicate(5n)).toBe(true);
    expect(p.isDuplicate(7n)).toBe(false);
  });
  it('settling twice is harmless and the queue compacts', () => {
    const p = new PartitionOffsets();
    const settles = Array.from({ length: 5000 }, (_, i) => p.accept(BigInt(i)));
    settles.forEach((s) => {
      s();
      s();
    });
    expect(p.unsettled).toBe(0);
    expect(p.committable()).toBe(5000n);
  });
});
