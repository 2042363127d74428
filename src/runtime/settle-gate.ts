/**
 * Holds back the settlement of the first record of a joined (multiline) event until every
 * record of its partition after it, up to the group's last record, is settled.
 *
 * Why: groups of different streams interleave in one partition. With stream A = offsets 1, 3
 * and stream B = 2, 4, once A is indexed, settling offset 1 would let the input commit 2; a
 * crash then re-reads from 2, and offset 3 (already inside A's document) would come back
 * alone, as a second document for the same line. Settling a group's first record only once
 * every record after it up to its last one is settled (not merely done: such a record may
 * itself be a held-back first record) keeps the committed offset at or before the start of
 * every group that still has records at or after it, so a re-read always starts at the
 * beginning of a group and re-joins it whole under the same id.
 *
 * Records are tracked in the order the input hands them over, which is offset order per
 * partition. The wait never deadlocks: a held record waits only on records after it.
 */
import type { SourceRecord } from '../core/component.js';

interface Slot {
  offset: bigint;
  /** Settled in the input (its offset may be committed past). */
  settled: boolean;
}

/** A group's first record, done but held back until the records after it up to `until` are settled. */
interface Held {
  slot: Slot;
  until: bigint;
  settle: () => void;
  /** Records in (slot.offset, until] not settled yet. */
  unsettled: number;
}

class PartitionGate {
  /** Tracked records in offset order, from `head` on (those before are settled). */
  private slots: Slot[] = [];
  private head = 0;
  private held = new Set<Held>();

  track(offset: bigint): Slot {
    const slot = { offset, settled: false };
    this.slots.push(slot);
    return slot;
  }

  done(slot: Slot, settle: () => void, until: bigint | undefined): void {
    let unsettled = 0;
    if (until !== undefined && until > slot.offset) {
      for (let i = this.indexOf(slot) + 1; i < this.slots.length && this.slots[i].offset <= until; i++) if (!this.slots[i].settled) unsettled++;
    }
    if (unsettled === 0) this.settle(slot, settle);
    else this.held.add({ slot, until: until!, settle, unsettled });
  }

  /**
   * Settles a record, then every held first record whose range it completes. Held records
   * wait only on records after them, so the chain always ends (no cycle is possible).
   */
  private settle(slot: Slot, settle: () => void): void {
    slot.settled = true;
    settle();
    for (const h of this.held) {
      if (slot.offset > h.slot.offset && slot.offset <= h.until && --h.unsettled === 0) {
        this.held.delete(h);
        this.settle(h.slot, h.settle);
      }
    }
    while (this.head < this.slots.length && this.slots[this.head].settled) this.head++;
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }

  /** Index of an unsettled slot (binary search: offsets increase). */
  private indexOf(slot: Slot): number {
    let lo = this.head;
    let hi = this.slots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.slots[mid].offset < slot.offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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
