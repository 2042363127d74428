/**
 * Holds back the settlement of the first record of a joined (multiline) event until every
 * record of its partition up to the group's last record is done.
 *
 * Why: groups of different streams interleave in one partition. With stream A = offsets 1, 3
 * and stream B = 2, 4, once A is indexed, settling offset 1 would let the input commit 2; a
 * crash then re-reads from 2, and offset 3 (already inside A's document) would come back
 * alone, as a second document for the same line. Settling a group's first record only once
 * everything up to its last record is done keeps the committed offset at or before the
 * start of every group that still has records at or after it, so a re-read always starts
 * at the beginning of a group and re-joins it whole under the same id.
 *
 * Records are tracked in the order the input hands them over, which is offset order per
 * partition. The wait never deadlocks: it depends only on records being done, and being
 * done never depends on a held-back settlement.
 */
import type { SourceRecord } from '../core/component.js';

interface Slot {
  offset: bigint;
  done: boolean;
}

class PartitionGate {
  private slots: Slot[] = [];
  private head = 0;
  private held: { until: bigint; settle: () => void }[] = [];

  track(offset: bigint): Slot {
    const slot = { offset, done: false };
    this.slots.push(slot);
    return slot;
  }

  done(slot: Slot, settle: () => void, until: bigint | undefined): void {
    slot.done = true;
    if (until !== undefined && until > slot.offset) this.held.push({ until, settle });
    else settle();
    this.advance();
  }

  private advance(): void {
    while (this.head < this.slots.length && this.slots[this.head].done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    if (this.held.length === 0) return;
    const firstNotDone = this.head < this.slots.length ? this.slots[this.head].offset : undefined;
    const ready = this.held.filter((h) => firstNotDone === undefined || h.until < firstNotDone);
    if (ready.length === 0) return;
    this.held = this.held.filter((h) => !ready.includes(h));
    for (const h of ready) h.settle();
  }
}

export interface GateTicket {
  gate: PartitionGate;
  slot: Slot;
}

export class SettleGate {
  private partitions = new Map<string, PartitionGate>();

  /** Registers a record as the input hands it over. */
  track(record: SourceRecord): GateTicket {
    const key = `${record.topic}:${record.partition}`;
    let gate = this.partitions.get(key);
    if (!gate) {
      gate = new PartitionGate();
      this.partitions.set(key, gate);
    }
    return { gate, slot: gate.track(BigInt(record.offset)) };
  }

  /**
   * The record is done: `settle` is called now, or (with `until`, the offset of the last
   * record of the group this record starts) once every record up to `until` is done.
   */
  done(ticket: GateTicket, settle: () => void, until?: bigint): void {
    ticket.gate.done(ticket.slot, settle, until);
  }

  /** Partitions revoked: their records are re-read by the next owner; a re-assignment starts afresh. */
  forget(keys: Iterable<string>): void {
    for (const key of keys) this.partitions.delete(key);
  }
}
