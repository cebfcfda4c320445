// The pool's answers to the shares one upstream connection sent. A pool
// acknowledges shares after it stored them: SubmitShares.Success covers every
// sequence number up to `last_sequence_number` (batched, spec 5.3.13), and
// SubmitShares.Error refuses one share at once. The miner behind a share is
// answered from here, so a V1 miner sees `true` only for a share the pool
// confirmed. A pool that batches acknowledgements without a time limit may
// leave the last shares of a quiet channel unanswered: after `timeoutMs` such
// a share is answered as accepted but counted as unconfirmed. When the
// connection ends first, the pool may or may not have stored the share, and
// the miner is told it was not confirmed.
import { ERR_DUPLICATE, ERR_LOW_DIFFICULTY, ERR_OTHER, ERR_STALE } from '../../sv1/index.js';

export type ShareVerdict =
  { accepted: true; confirmed: boolean } | { accepted: false; code: number; message: string };

interface Pending {
  channel_id: number;
  sequence_number: number;
  deadline: number;
  resolve: (v: ShareVerdict) => void;
  settled: boolean;
}

/** Entries in the order they were added, consumed from the front; settled ones are skipped. */
class Lane {
  items: Pending[] = [];
  head = 0;

  push(p: Pending): void {
    this.items.push(p);
  }

  /** The first entry not settled yet, dropping settled ones from the front. */
  first(): Pending | undefined {
    while (this.head < this.items.length && this.items[this.head]!.settled) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
}

/** V1 reject for an SV2 SubmitShares.Error code (spec 5.3.14's codes, and anything else a pool sends). */
export function rejectOfErrorCode(error_code: string): { code: number; message: string } {
  switch (error_code) {
    case 'stale-share':
    case 'invalid-job-id':
      return { code: ERR_STALE, message: `Stale share (pool: ${error_code})` };
    case 'difficulty-too-low':
      return { code: ERR_LOW_DIFFICULTY, message: `Low difficulty share (pool: ${error_code})` };
    case 'duplicate-share':
      return { code: ERR_DUPLICATE, message: `Duplicate share (pool: ${error_code})` };
    default:
      return { code: ERR_OTHER, message: `Rejected by pool: ${error_code}`.slice(0, 200) };
  }
}

/** a comes at or before b in u32 sequence order (serial number arithmetic: differences under 2^31). */
function atOrBefore(a: number, b: number): boolean {
  return (b - a) >>> 0 < 0x8000_0000;
}

export class ShareAcks {
  /** Every waiting share, in the order sent (so in deadline order). */
  private readonly all = new Lane();
  /** Per channel: a Success covers the sequence numbers of its own channel only. */
  private readonly lanes = new Map<number, Lane>();
  private readonly bySequence = new Map<number, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private ended: string | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shares waiting for the pool's answer. */
  get size(): number {
    return this.bySequence.size;
  }

  /** Registers a share just sent on a channel; resolves with the pool's verdict. */
  add(channel_id: number, sequence_number: number): Promise<ShareVerdict> {
    return new Promise<ShareVerdict>((resolve) => {
      if (this.ended !== undefined) {
        resolve(LOST);
        return;
      }
      const p: Pending = {
        channel_id,
        sequence_number,
        deadline: this.now() + this.timeoutMs,
        resolve,
        settled: false,
      };
      this.all.push(p);
      let lane = this.lanes.get(channel_id);
      if (lane === undefined) this.lanes.set(channel_id, (lane = new Lane()));
      lane.push(p);
      this.bySequence.set(sequence_number, p);
      this.arm();
    });
  }

  /**
   * SubmitShares.Success on a channel: every share of that channel up to
   * last_sequence_number that the pool did not refuse is stored.
   */
  success(channel_id: number, last_sequence_number: number): void {
    const lane = this.lanes.get(channel_id);
    if (lane === undefined) return;
    for (let p = lane.first(); p !== undefined; p = lane.first()) {
      if (!atOrBefore(p.sequence_number, last_sequence_number)) break;
      this.settle(p, { accepted: true, confirmed: true });
    }
    this.arm();
  }

  /** SubmitShares.Error for one share. */
  error(sequence_number: number, error_code: string): void {
    const p = this.bySequence.get(sequence_number);
    if (p !== undefined) this.settle(p, { accepted: false, ...rejectOfErrorCode(error_code) });
    this.arm();
  }

  /** The connection ended: every share still waiting is answered as not confirmed; returns how many. */
  end(reason: string): number {
    this.ended ??= reason;
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = [...this.bySequence.values()];
    for (const p of waiting) this.settle(p, LOST);
    this.lanes.clear();
    return waiting.length;
  }

  private settle(p: Pending, v: ShareVerdict): void {
    if (p.settled) return;
    p.settled = true;
    this.bySequence.delete(p.sequence_number);
    // Settled entries leave their channel's lane from the front; an empty lane goes.
    const lane = this.lanes.get(p.channel_id);
    if (lane !== undefined && lane.first() === undefined) this.lanes.delete(p.channel_id);
    p.resolve(v);
  }

  /** One timer, for the oldest waiting share; none while nothing waits. */
  private arm(): void {
    if (this.ended !== undefined) return;
    const first = this.all.first();
    if (first === undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.expire(), Math.max(0, first.deadline - this.now()));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const t = this.now();
    for (let p = this.all.first(); p !== undefined && p.deadline <= t; p = this.all.first()) {
      this.settle(p, { accepted: true, confirmed: false });
    }
    this.arm();
  }
}

// One fixed text, so rejects counted by message stay a short list; the
// connection's end is logged with its reason.
const LOST: ShareVerdict = {
  accepted: false,
  code: ERR_OTHER,
  message: 'Pool connection lost before the share was confirmed',
};
