// Aggregated channels, one per difficulty band. The pool credits each share
// of a channel at the channel's target, so a channel may only carry miners
// whose own difficulty is at most the channel's (a harder miner would be
// under-credited); miners far easier than the channel are sampled (only
// shares meeting the channel target go upstream) and show up at the pool
// with too few shares to be seen. A channel per band of 4× — miners of
// difficulty [4^b, 4^(b+1)) share the channel whose maximum target is
// 4^(b+1)'s — keeps every miner's forwarded fraction at ¼ or more, so a
// NerdMiner beside an S19 is credited and shown as exactly as the S19.
import { difficultyToTarget } from '../../bitcoin/index.js';
import type { UpstreamChannel } from './channel.js';
import type { OpenRequest, UpstreamConnection } from './upstream.js';

/** The band of a difficulty: difficulties [4^b, 4^(b+1)) are band b. */
export function bandOf(difficulty: number): number {
  return Math.floor(Math.log2(difficulty) / 2);
}

/** The maximum target of band b's channel: the difficulty 4^(b+1), the band's top. */
export function bandMaxTarget(band: number): bigint {
  return difficultyToTarget(4 ** (band + 1));
}

/** The shared channels of one upstream connection, by band, opened on first need. */
export class SharedChannels {
  private readonly channels = new Map<number, UpstreamChannel>();
  private readonly bands = new Map<UpstreamChannel, number>();
  private readonly opening = new Map<number, Promise<UpstreamChannel>>();

  constructor(
    readonly conn: UpstreamConnection,
    private readonly request: (band: number) => OpenRequest,
  ) {}

  get(band: number): UpstreamChannel | undefined {
    const c = this.channels.get(band);
    return c?.alive ? c : undefined;
  }

  /** The band a channel of this set serves, or undefined when it is not one of them. */
  bandOf(channel: UpstreamChannel): number | undefined {
    return this.bands.get(channel);
  }

  get size(): number {
    return this.channels.size;
  }

  all(): UpstreamChannel[] {
    return [...this.channels.values()].filter((c) => c.alive);
  }

  /** Some channel has a job to hand out. */
  get hasWork(): boolean {
    return this.all().some((c) => c.current !== undefined);
  }

  /** A channel miners can roll in (they all have the same room on one pool). */
  get usable(): UpstreamChannel | undefined {
    return this.all().find((c) => c.usable);
  }

  /** The band's channel, opened when missing (one request at a time per band). */
  open(band: number): Promise<UpstreamChannel> {
    const have = this.get(band);
    if (have !== undefined) return Promise.resolve(have);
    let pending = this.opening.get(band);
    if (pending === undefined) {
      pending = this.conn.openChannel(this.request(band)).then(
        (channel) => {
          this.opening.delete(band);
          this.channels.set(band, channel);
          this.bands.set(channel, band);
          return channel;
        },
        (err: unknown) => {
          this.opening.delete(band);
          throw err;
        },
      );
      this.opening.set(band, pending);
    }
    return pending;
  }

  /** Forgets a channel (closed by the pool, or released here). */
  drop(channel: UpstreamChannel): void {
    const band = this.bands.get(channel);
    if (band === undefined) return;
    this.bands.delete(channel);
    if (this.channels.get(band) === channel) this.channels.delete(band);
  }

  /** CloseChannel for a band nobody mines in any more. */
  release(band: number, reason: string): void {
    const channel = this.channels.get(band);
    if (channel === undefined) return;
    this.drop(channel);
    channel.release(reason);
  }
}
