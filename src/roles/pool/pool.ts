// The pool: one MiningChain fed by the template provider, one MiningSession
// per downstream connection, the store behind every accepted share, and the
// found-block keeper.
//
// Templates: a future NewTemplate is held until its SetNewPrevHash (the TP
// sends the two back to back). On a new tip both go to the chain and every
// channel gets the future job and SetNewPrevHash. When the TP comes back
// (reconnect or restart) it opens with a future template for the tip the
// pool already mines on: that template is applied as a plain template of the
// current tip instead, so the jobs already out stay valid and the new ones
// simply join them.
//
// Job declaration (optional, see jd.ts): connections with
// REQUIRES_WORK_SELECTION declare their own jobs; the pool checks the token
// and the coinbase, credits their shares like any other, and records a
// block on such a job without submitting it.
import type { Socket } from 'node:net';
import { bitsToTarget, decodeBip34Height, equalBytes, toDisplayHex } from '../../bitcoin/index.js';
import {
  MiningChain,
  type ChannelsConfig,
  type ChannelsOutMessage,
  type CustomJobVerdict,
  type ServerConnectionChannels,
} from '../../channels/index.js';
import type { MessageByName } from '../../messages/index.js';
import type { Logger } from '../../log.js';
import { listenFramed, type FramedServer } from '../../net/server.js';
import { ConnectionGuard, type AdmissionOptions } from '../../net/guard.js';
import { SerialLock, type Store } from '../../store/index.js';
import {
  MiningSession,
  type Authorization,
  type SessionHost,
  type ShareSink,
  type Who,
} from '../common/mining-session.js';
import {
  TdpClient,
  type NewTemplateMsg,
  type SetNewPrevHashTdpMsg,
  type TdpClientOptions,
} from '../common/tdp-client.js';
import type { BitcoinRpc } from '../../rpc/index.js';
import { Blocks } from './blocks.js';
import { parseIdentity, scriptOfAddress } from './identity.js';
import { paidTo, type JobDeclaration } from './jd.js';
import type { Payouts } from './payouts.js';
import type { Network } from '../../bitcoin/index.js';
import type { PayoutMode } from './config.js';
import { LiveCounters } from '../../web/live.js';

export interface PoolOptions {
  host: string;
  port: number;
  authoritySecretKey: Uint8Array;
  certValiditySec: number;
  /** Connection limits on the mining port (total, per address); none when omitted. */
  limits?: AdmissionOptions;
  channels: Partial<ChannelsConfig>;
  /** Milliseconds between vardiff evaluations; 0 = vardiff off. */
  vardiffIntervalMs: number;
  tdp: Omit<TdpClientOptions, 'constraints' | 'logger'>;
  store: Store;
  payouts: Payouts;
  mode: PayoutMode;
  network: Network;
  autoCreateAccounts: boolean;
  rpc: BitcoinRpc | null;
  blockConfirmations: number;
  blockCheckIntervalMs: number;
  /**
   * A pool worker: no listening socket of its own; the primary process,
   * which owns the port and the limits, hands connections in (adopt).
   */
  handedSockets?: boolean;
  /** Custom jobs from job declarator clients; null: REQUIRES_WORK_SELECTION is refused. */
  jobDeclaration?: JobDeclaration | null;
  logger: Logger;
}

/** Confirmed shares not yet batched are acknowledged at least this often (a V1 miner behind a translator waits for it). */
const ACK_FLUSH_MS = 250;
/** Future templates held while their SetNewPrevHash is awaited. */
const MAX_HELD_FUTURE = 8;

export class Pool implements SessionHost {
  readonly chain: MiningChain;
  readonly store: Store;
  readonly tdp: TdpClient;
  readonly blocks: Blocks;
  readonly counters = new LiveCounters();
  readonly #o: PoolOptions;
  readonly #log: Logger;
  readonly #sessions = new Set<MiningSession>();
  readonly #heldFuture = new Map<bigint, NewTemplateMsg>();
  readonly #templates = new SerialLock();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  /** Proxied identities already resolved to a known account (see resolveProxied). */
  readonly #proxied = new Map<string, { channel: string; who: Who }>();
  #server: FramedServer | undefined;
  readonly #jd: JobDeclaration | null;
  /** SessionHost.setCustomJob: present only with job declaration enabled. */
  readonly setCustomJob?: SessionHost['setCustomJob'];

  constructor(opts: PoolOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.store = opts.store;
    this.#jd = opts.jobDeclaration ?? null;
    if (this.#jd !== null && opts.mode !== 'pplns') {
      throw new Error('[job_declaration] needs payout_mode = "pplns": custom jobs pay the pool\'s output');
    }
    if (this.#jd !== null) this.setCustomJob = (_s, channels, m, now) => this.#customJob(channels, m, now);
    this.chain = new MiningChain({ ...opts.channels, vardiff: opts.vardiffIntervalMs > 0 }, (key, template) =>
      opts.payouts.resolve(key, template),
    );
    this.tdp = new TdpClient({
      ...opts.tdp,
      constraints: opts.payouts.constraints(),
      logger: opts.logger,
    });
    this.blocks = new Blocks({
      store: opts.store,
      tdp: this.tdp,
      rpc: opts.rpc,
      confirmations: opts.blockConfirmations,
      logger: opts.logger,
    });
    // Template messages are handled one at a time, in order: each may wait on the store.
    this.tdp.on('template', (m) => void this.#templates.run(() => this.#onTemplate(m)));
    this.tdp.on('prevhash', (m) => void this.#templates.run(() => this.#onPrevHash(m)));
  }

  get sessions(): ReadonlySet<MiningSession> {
    return this.#sessions;
  }

  async start(): Promise<{ host: string; port: number }> {
    this.#server = await listenFramed({
      host: this.#o.host,
      port: this.#o.port,
      security: {
        kind: 'noise',
        authoritySecretKey: this.#o.authoritySecretKey,
        certValiditySec: this.#o.certValiditySec,
      },
      logger: this.#log,
      guard: this.#o.limits ? new ConnectionGuard(this.#o.limits) : undefined,
      listen: this.#o.handedSockets !== true,
      onConnection: (conn) => {
        this.counters.connections_total++;
        this.#sessions.add(new MiningSession(conn, this, this.#log));
      },
    });
    this.tdp.start();
    this.#every(ACK_FLUSH_MS, () => this.#broadcast((c) => c.flush()));
    if (this.#o.vardiffIntervalMs > 0) {
      this.#every(this.#o.vardiffIntervalMs, () => {
        const now = Date.now();
        this.#broadcast((c) => {
          const out = c.evaluateVardiff(now);
          this.counters.vardiff_adjustments += out.length;
          return out;
        });
      });
    }
    this.#every(this.#o.blockCheckIntervalMs, () => void this.blocks.check());
    return { host: this.#server.host, port: this.#server.port };
  }

  /** A connection the primary process accepted (pool workers): Noise handshake, then a session like any other. */
  adopt(socket: Socket): void {
    if (!this.#server) throw new Error('pool not started');
    this.#server.adopt(socket);
  }

  /** Commits queued shares (acknowledging them), then closes connections, the TP link and the store. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await this.store.flush();
    this.#broadcast((c) => c.flush());
    await new Promise((resolve) => setImmediate(resolve));
    await this.#server?.close();
    await this.tdp.close();
    await this.blocks.settled();
    await this.store.close();
  }

  // SessionHost

  get shares(): ShareSink {
    return this.store;
  }

  async authorize(user_identity: string, device: string): Promise<Authorization> {
    const { account, worker } = parseIdentity(user_identity);
    const store = this.store;
    try {
      if (this.#o.mode === 'solo') {
        if (scriptOfAddress(account, this.#o.network) === null) {
          return {
            ok: false,
            error_code: 'invalid-user-identity',
            reason: `solo mining needs an address of ${this.#o.network.name} as user identity`,
          };
        }
        await store.ensureWorker(account, worker, { solo: true, user_agent: device });
      } else {
        const known = await store.getAccount(account);
        if (!known && !this.#o.autoCreateAccounts) {
          return { ok: false, error_code: 'unknown-user', reason: `no account named ${account}` };
        }
        const ids = await store.ensureWorker(known?.name ?? account, worker, { user_agent: device });
        return { ok: true, payout_key: this.#o.payouts.keyFor(ids.account), account: ids.account, worker };
      }
    } catch (err) {
      return { ok: false, error_code: 'invalid-user-identity', reason: (err as Error).message };
    }
    return { ok: true, payout_key: this.#o.payouts.keyFor(account), account, worker };
  }

  resolveProxied(tlv_identity: string, channel: Who): Who | Promise<Who> {
    const cached = this.#proxied.get(tlv_identity);
    if (cached && cached.channel === channel.account) return cached.who;
    return this.#lookUpProxied(tlv_identity, channel);
  }

  async #lookUpProxied(tlv_identity: string, channel: Who): Promise<Who> {
    // In PPLNS mode every channel shares one coinbase, so work a proxy relays
    // for a known account is credited to that account: attributing work to
    // someone else only gives it away. Solo coinbases pay the channel's own
    // address, so there the TLV only names the worker. Unknown accounts are
    // looked up again on every share, so a sign-up takes effect at once.
    if (this.#o.mode === 'pplns') {
      const { account, worker } = parseIdentity(tlv_identity);
      const known = await this.store.getAccount(account);
      if (known) {
        await this.store.ensureWorker(known.name, worker, { user_agent: `via ${channel.account}` });
        const who = { account: known.name, worker };
        if (this.#proxied.size >= 10_000) this.#proxied.clear();
        this.#proxied.set(tlv_identity, { channel: channel.account, who });
        return who;
      }
    }
    return { account: channel.account, worker: tlv_identity };
  }

  onBlock(_session: MiningSession, verdict: Parameters<SessionHost['onBlock']>[1], who: Who): void {
    const { share, block } = verdict;
    if (!block) return;
    if (share.template_id === null || block.custom !== null) {
      // A custom job's block: the declarer submits it; the pool records it.
      const custom = block.custom!;
      const reward = this.#jd === null ? 0n : paidTo(custom.outputs, this.#jd.poolScript);
      const plan = this.#o.payouts.customPlan(reward).catch((err: unknown) => {
        this.#log.error({ err: (err as Error).message }, 'PPLNS split of a custom block failed');
        return undefined;
      });
      this.blocks.found({
        candidate: block,
        share,
        template: null,
        custom: { height: custom.height, reward, coinbase_value: custom.value },
        account: who.account,
        worker: who.worker,
        plan,
      });
      return;
    }
    const template = this.chain.template(share.template_id);
    this.counters.blocks_submitted++;
    if (!template) {
      // The template left the chain's memory; the TP may still know it.
      this.tdp.sendSubmitSolution(block.submit_solution!).catch(() => {});
      this.#log.warn(
        { template_id: String(share.template_id) },
        'block on a forgotten template submitted to the TP only',
      );
      return;
    }
    this.blocks.found({
      candidate: block,
      share,
      template,
      account: who.account,
      worker: who.worker,
      plan: this.#o.payouts.planFor(share.payout_key, share.template_id),
    });
  }

  onClose(session: MiningSession): void {
    this.#sessions.delete(session);
  }

  #customJob(
    channels: ServerConnectionChannels,
    m: MessageByName<'SetCustomMiningJob'>,
    now: number,
  ): CustomJobVerdict {
    const jd = this.#jd!;
    const { check, token } = jd.check(m, now);
    const v = channels.setCustomJob(m, check, now);
    if (v.accepted && token !== null) jd.consume(token, now);
    return v;
  }

  // Templates

  async #onTemplate(m: NewTemplateMsg): Promise<void> {
    if (m.future_template) {
      this.#heldFuture.set(m.template_id, m);
      while (this.#heldFuture.size > MAX_HELD_FUTURE)
        this.#heldFuture.delete(this.#heldFuture.keys().next().value!);
      return;
    }
    if (!(await this.#apply(m))) return;
    this.#log.info(
      { template_id: String(m.template_id), value: String(m.coinbase_tx_value_remaining) },
      'new template on the current tip',
    );
  }

  async #onPrevHash(p: SetNewPrevHashTdpMsg): Promise<void> {
    const future = this.#heldFuture.get(p.template_id);
    if (!future) {
      this.#log.warn(
        { template_id: String(p.template_id) },
        'SetNewPrevHash for an unknown template ignored',
      );
      return;
    }
    this.#heldFuture.delete(p.template_id);
    this.#o.payouts.nbits = p.nBits;
    const tip = this.chain.tip;
    if (tip && equalBytes(tip.prev_hash, p.prev_hash)) {
      await this.#apply({ ...future, future_template: false });
      this.#log.info(
        { template_id: String(p.template_id) },
        'template provider resumed on the same tip; jobs stay valid',
      );
      return;
    }
    const hash = toDisplayHex(p.prev_hash);
    let height = -1;
    try {
      height = decodeBip34Height(future.coinbase_prefix).height - 1;
    } catch {
      // No BIP34 height: the block keeper cannot place this tip.
    }
    // Block statuses (and the credits they move) first: the new template's
    // PPLNS plan is computed when its jobs are built.
    await this.blocks.onTip(height, hash);
    if (!(await this.#apply(future))) return;
    if (!this.chain.setNewPrevHash(p, Date.now())) return;
    this.#broadcast((c) => c.onSetNewPrevHash());
    this.#heldFuture.clear();
    this.#log.info(
      { height, prev_hash: hash, target: bitsToTarget(p.nBits).toString(16), channels: this.#channelCount() },
      'new tip',
    );
  }

  /** Reads the template's payouts, stores it in the chain and sends its jobs to every channel. */
  async #apply(m: NewTemplateMsg): Promise<boolean> {
    let stored: boolean;
    try {
      await this.#o.payouts.prepare(m);
      stored = this.chain.newTemplate(m);
    } catch (err) {
      this.#log.error(
        { template_id: String(m.template_id), err: (err as Error).message },
        'unusable template',
      );
      return false;
    }
    if (stored) this.#broadcast((c) => c.onNewTemplate(m.template_id));
    return stored;
  }

  #broadcast(make: (channels: NonNullable<MiningSession['channels']>) => ChannelsOutMessage[]): void {
    for (const s of this.#sessions) {
      const c = s.channels;
      if (!c) continue;
      try {
        s.send(make(c));
      } catch (err) {
        this.#log.error({ peer: s.peer, err: (err as Error).message }, 'building messages failed; closing');
        s.close('internal error');
      }
    }
  }

  #channelCount(): number {
    let n = 0;
    for (const s of this.#sessions) n += s.channels?.channelCount ?? 0;
    return n;
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.push(t);
  }
}
