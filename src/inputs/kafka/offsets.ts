/**
 * Per-partition settlement tracking (design notes, "Delivery contract"): the offset to
 * commit is always the first unsettled one, never beyond a record that is not settled.
 *
 * Records arrive in offset order per partition. Each accepted record gets a slot in a
 * queue; settling marks the slot, and the head of the queue advances over settled slots.
 * Settling is O(1) amortised and needs no search.
 */

import type { AcceptedRecord, SourceRecord } from '../../core/component.js';

/**
 * An accepted record and its place in its partition's queue, in one object: it is what the
 * runtime holds until the record settles (milliseconds to minutes, so these outlive V8's
 * young generation). A record, a closure, its scope and a queue slot apiece cost four objects.
 */
class Slot implements AcceptedRecord {
  settled = false;
  constructor(
    readonly record: SourceRecord,
    readonly offset: bigint,
    private readonly tracker: PartitionOffsets,
  ) {}

  /** Idempotent. Called as a method (`accepted.settle()`). */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.tracker.advance();
  }
}

export class PartitionOffsets {
  private slots: Slot[] = [];
  private head = 0;
  /** Next offset to commit when every accepted record is settled. */
  private nextAfterAccepted: bigint | undefined;
  /** Last offset handed to Kafka in a commit, to skip redundant commits. */
  private lastCommitted: bigint | undefined;

  /** Offsets below this were already accepted (a re-fetch after a rebalance repeats them). */
  isDuplicate(offset: bigint): boolean {
    return this.nextAfterAccepted !== undefined && offset < this.nextAfterAccepted;
  }

  /** Registers a record at `offset`; the returned record's `settle()` settles it (idempotent). */
  accept(record: SourceRecord, offset: bigint): AcceptedRecord {
    const slot = new Slot(record, offset, this);
    this.slots.push(slot);
    this.nextAfterAccepted = offset + 1n;
    return slot;
  }

  /** Moves the head over settled slots (Slot.settle). */
  advance(): void {
    while (this.head < this.slots.length && this.slots[this.head].settled) this.head++;
    // Compact now and then so the queue does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }

  /** The offset to commit (first unsettled, or one past the last accepted), if any progress. */
  committable(): bigint | undefined {
    if (this.head < this.slots.length) return this.slots[this.head].offset;
    return this.nextAfterAccepted;
  }

  /** The committable offset if it moved since the last commit. */
  takeCommit(): bigint | undefined {
    const c = this.committable();
    if (c === undefined || c === this.lastCommitted) return undefined;
    return c;
  }

  markCommitted(offset: bigint): void {
    if (this.lastCommitted === undefined || offset > this.lastCommitted) this.lastCommitted = offset;
  }

  /** Forget what was committed, so the next takeCommit returns the watermark even if unchanged. */
  resetCommitted(): void {
    this.lastCommitted = undefined;
  }

  get unsettled(): number {
    return this.slots.length - this.head;
  }
}
