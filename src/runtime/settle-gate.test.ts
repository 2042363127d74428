import { describe, expect, it } from 'vitest';
import { SettleGate } from './settle-gate.js';

const rec = (offset: number, partition = 0) => ({ topic: 't', partition, offset: String(offset), key: null, value: null, timestamp: '0', headers: {} });

describe('SettleGate', () => {
  it("holds a group's first record until every record after it up to the group's last one is settled (interleaved groups)", () => {
    const gate = new SettleGate();
    const settled: number[] = [];
    const tickets = [0, 1, 2, 3, 4].map((o) => gate.track(rec(o)));
    // Record 0 alone; group A = 1, 3; group B = 2, 4.
    gate.done(tickets[0], () => settled.push(0));
    gate.done(tickets[3], () => settled.push(3));
    gate.done(tickets[1], () => settled.push(1), 3n);
    expect(settled).toEqual([0, 3]); // 2 is not done: settling 1 would let the commit reach 2, then 3 would be re-read alone
    gate.done(tickets[4], () => settled.push(4));
    gate.done(tickets[2], () => settled.push(2), 4n);
    expect(settled).toEqual([0, 3, 4, 2, 1]);
  });

  it('keeps partitions apart, and a forgotten partition starts afresh', () => {
    const gate = new SettleGate();
    const settled: string[] = [];
    const a0 = gate.track(rec(0, 0));
    const b0 = gate.track(rec(0, 1));
    const b1 = gate.track(rec(1, 1));
    gate.done(b0, () => settled.push('b0'), 1n);
    gate.done(a0, () => settled.push('a0'));
    expect(settled).toEqual(['a0']);
    gate.done(b1, () => settled.push('b1'));
    expect(settled).toEqual(['a0', 'b1', 'b0']);
    const p0 = gate.track(rec(5, 2));
    gate.forget(['t:2']);
    const q0 = gate.track(rec(5, 2));
    gate.done(q0, () => settled.push('q0'));
    expect(settled).toContain('q0');
    gate.done(p0, () => settled.push('p0'));
    expect(settled).toContain('p0');
  });
});

describe('SettleGate, chained groups', () => {
  it('waits for a held-back first record inside the range, not just for it to be done', () => {
    const gate = new SettleGate();
    const settled: number[] = [];
    const t = [0, 1, 2, 3, 4].map((o) => gate.track(rec(o)));
    // G = 0, 2; G2 = 1, 4. G2 is done but its first (1) waits for 4; G's first (0) must wait for 1.
    gate.done(t[2], () => settled.push(2));
    gate.done(t[1], () => settled.push(1), 4n);
    gate.done(t[3], () => settled.push(3));
    gate.done(t[0], () => settled.push(0), 2n);
    expect(settled).toEqual([2, 3]); // settling 0 would let the commit reach 1: a re-read from 1 would see 2 alone
    gate.done(t[4], () => settled.push(4));
    expect(settled).toEqual([2, 3, 4, 1, 0]);
  });
});
