// Simulated miners of the kill loops, each with its own worker name so the
// pool's shares table can be counted per miner:
// - V1 miners speak Stratum V1 to the translator (subscribe, authorize with
//   d=1e-8 in the password, the lowest fractional difficulty, then
//   mining.submit every interval) from 127.0.x.y source addresses, 50 per
//   address (the translator allows 64); they count what they submitted and
//   every `true` answer, and reconnect after a lost connection.
// - SV2 miners open an extended channel on the pool over Noise and submit
//   SubmitSharesExtended every interval; they count what they sent, the
//   shares SubmitShares.Success acknowledged (new_submits_accepted_count)
//   and SubmitShares.Error, and reconnect after a lost connection.
// On devnet (regtest proof of work) every hash meeting a V1 target of
// difficulty 1e-8 is also a block: each accepted V1 share is a block. SV2
// miners pick hashes meeting their channel's target that are not blocks.
import { setTimeout as sleep } from 'node:timers/promises';
import { MiningClient, targetOf } from '../pool/fixture.js';
import type { Keys } from '../tp/fixture.js';
import { V1Client } from '../translator/v1-client.js';

export interface MinerCounts {
  worker: string;
  /** Shares sent (mining.submit or SubmitSharesExtended). */
  submitted: number;
  /** V1: `true` answers; SV2: the sum of new_submits_accepted_count. */
  acknowledged: number;
  /** V1: false or error answers; SV2: SubmitShares.Error messages. */
  refused: number;
  /** Connections made (1 + reconnects). */
  connections: number;
}

export interface FleetOptions {
  /** Mean milliseconds between one miner's shares (each wait is 0.5–1.5× this). */
  intervalMs: number;
  random: () => number;
}

const debug = process.env.STRATA_CHAOS_DEBUG === '1';
const note = (who: string, what: unknown) => {
  if (debug) console.error(`${who}: ${what instanceof Error ? what.message : JSON.stringify(what)}`);
};

const jitter = (o: FleetOptions) => o.intervalMs * (0.5 + o.random());

/** The n-th source address, 50 miners per address from 127.0.1.1. */
export function v1Source(i: number): string {
  const a = Math.floor(i / 50);
  return `127.0.${1 + Math.floor(a / 254)}.${1 + (a % 254)}`;
}

export class V1Miner {
  readonly counts: MinerCounts;
  client: V1Client | undefined;
  /** performance.now() of the newest mining.notify line received. */
  lastNotify = 0;
  /** A mining.submit whose answer has not arrived yet. */
  pending = false;
  private stopped = false;

  constructor(
    readonly index: number,
    readonly user: string,
    private readonly port: number,
    private readonly o: FleetOptions,
    readonly paused: { value: boolean },
  ) {
    this.counts = { worker: user, submitted: 0, acknowledged: 0, refused: 0, connections: 0 };
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
  }

  /** Connects, mines and reconnects until stop(). */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.session();
      } catch (err) {
        note(this.user, err);
      }
      if (!this.stopped) await sleep(500 + this.o.random() * 500, undefined, { ref: false });
    }
  }

  private async session(): Promise<void> {
    const c = await V1Client.connect(this.port, v1Source(this.index));
    this.client = c;
    if (this.stopped) c.close();
    try {
      await this.mine(c);
    } finally {
      c.close();
    }
  }

  private async mine(c: V1Client): Promise<void> {
    this.counts.connections++;
    c.socket.on('data', (d: string) => {
      if (d.includes('"mining.notify"')) this.lastNotify = performance.now();
      // The client keeps every line; a long run keeps only the newest replies
      // (a reply still awaited is among them) and the newest job.
      if (c.lines.length > 50) {
        const replies = c.lines.filter((l) => l.method === undefined).slice(-10);
        c.lines.length = 0;
        c.lines.push(...replies);
      }
      if (c.notifies.length > 4) c.notifies.splice(0, c.notifies.length - 1);
    });
    const sub = await c.request('mining.subscribe', ['chaos-miner/1.0']);
    const res = sub.result as [unknown, string, number] | null;
    if (!Array.isArray(res)) throw new Error('subscribe refused');
    c.extranonce1 = res[1];
    c.extranonce2Size = res[2];
    const auth = await c.request('mining.authorize', [this.user, 'd=0.00000001']);
    if (auth.result !== true) throw new Error('authorize refused');
    await Promise.race([
      c.until(() => c.notify !== undefined || c.closed),
      sleep(30_000, undefined, { ref: false }),
    ]);
    if (c.notify === undefined) throw new Error('no work');
    // A lost connection ends the wait at once: the miner reconnects like a device does.
    const lost = new AbortController();
    c.socket.once('close', () => lost.abort());
    while (!c.closed && !this.stopped) {
      await sleep(jitter(this.o), undefined, { signal: lost.signal });
      if (c.closed || this.stopped || this.paused.value || c.notify === undefined) continue;
      const params = c.findShare(this.user, 100_000);
      if (!params) continue;
      this.counts.submitted++;
      this.pending = true;
      try {
        const reply = await c.request('mining.submit', params);
        if (reply.result === true) this.counts.acknowledged++;
        else {
          this.counts.refused++;
          note(this.user, reply);
        }
      } finally {
        this.pending = false;
      }
    }
  }
}

export class Sv2Miner {
  readonly counts: MinerCounts;
  client: MiningClient | undefined;
  /** Acknowledged and refused counts of the connections before the current one. */
  private doneAcknowledged = 0;
  private doneRefused = 0;
  /** Shares sent on the current connection. */
  private sentHere = 0;
  private stopped = false;

  constructor(
    readonly user: string,
    private readonly port: () => number,
    private readonly keys: Keys,
    private readonly o: FleetOptions,
    readonly paused: { value: boolean },
  ) {
    this.counts = { worker: user, submitted: 0, acknowledged: 0, refused: 0, connections: 0 };
  }

  /** Counts including the current connection's. */
  snapshot(): MinerCounts {
    const c = this.client;
    return {
      ...this.counts,
      acknowledged: this.doneAcknowledged + (c?.acknowledged ?? 0),
      refused: this.doneRefused + (c?.refused ?? 0),
    };
  }

  /** Shares sent on the current connection and neither acknowledged nor refused yet. */
  get inFlight(): number {
    const c = this.client;
    if (!c || c.conn.isClosed) return 0;
    return this.sentHere - c.acknowledged - c.refused;
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.session();
      } catch (err) {
        note(this.user, err);
      }
      const c = this.client;
      if (c) {
        this.doneAcknowledged += c.acknowledged;
        this.doneRefused += c.refused;
        this.client = undefined;
        c.close();
      }
      if (!this.stopped) await sleep(500 + this.o.random() * 500, undefined, { ref: false });
    }
  }

  private async session(): Promise<void> {
    const c = await MiningClient.connect(undefined, this.port(), this.keys);
    this.sentHere = 0;
    this.client = c;
    if (this.stopped) c.close();
    this.counts.connections++;
    if ((await c.setup()).type !== 'SetupConnectionSuccess') throw new Error('setup refused');
    // A hashrate this low gets the easiest target: most hashes are shares that are not blocks.
    const open = await c.openExtended(this.user, 0.01);
    if (open.type !== 'OpenExtendedMiningChannelSuccess') throw new Error('channel refused');
    const lost = new AbortController();
    void c.conn.closed.then(() => lost.abort());
    while (!c.conn.isClosed && !this.stopped) {
      await sleep(jitter(this.o), undefined, { signal: lost.signal });
      if (c.conn.isClosed || this.stopped || this.paused.value) continue;
      const work = await c.activeWork(5_000);
      const target = targetOf(c.target ?? open.target);
      const share = c.mine(open, work, target, 'share');
      this.sentHere++;
      this.counts.submitted++;
      await c.send(share);
      c.forget();
    }
  }
}
