// Batched SubmitShares.Success for one channel. The pool feeds it shares once
// they are durably stored, so an acknowledged share is never lost; the counters
// reset with every batch sent (spec 5.3.13).
import type { MessageByName } from '../messages/index.js';

export type SubmitSharesSuccessMessage = MessageByName<'SubmitSharesSuccess'>;

export class AckBatch {
  private count = 0;
  private sum = 0;
  private last = 0;

  constructor(
    readonly channel_id: number,
    private readonly batch_size: number,
  ) {}

  get pending(): number {
    return this.count;
  }

  /** Adds a confirmed share; returns the Success to send when the batch is full or the share is a block. */
  add(sequence_number: number, difficulty: number, block: boolean): SubmitSharesSuccessMessage | null {
    this.count++;
    this.sum += difficulty;
    this.last = sequence_number;
    return this.count >= this.batch_size || block ? this.take() : null;
  }

  /** The Success for whatever is pending, or null. */
  take(): SubmitSharesSuccessMessage | null {
    if (this.count === 0) return null;
    const message: SubmitSharesSuccessMessage = {
      type: 'SubmitSharesSuccess',
      channel_id: this.channel_id,
      last_sequence_number: this.last,
      new_submits_accepted_count: this.count,
      // Difficulty sums are fractional for small miners: U64 carries the integer part.
      new_shares_sum: BigInt(Math.min(Math.floor(this.sum), Number.MAX_SAFE_INTEGER)),
    };
    this.count = 0;
    this.sum = 0;
    return message;
  }
}
