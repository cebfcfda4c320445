// The job declarator client: a pool for its own downstreams (translators and
// SV2 devices; src/channels behind the shared mining session), whose jobs
// come from its own template provider and are declared upstream:
//
//   TP template → downstream jobs at once (optimistic mining)
//     → token from the JDS → (full-template) DeclareMiningJob, answering
//       ProvideMissingTransactions → SetCustomMiningJob on the pool
//     → the pool's job id: shares meeting the pool's target go upstream;
//       until then they are held (bounded).
//   A block: SubmitSolution to the TP, PushSolution to the JDS, the share to
//   the pool.
//
// Every template gets a local id for the chain, tied to the upstream in use
// when it was issued (an "epoch"): the coinbase pays that upstream's pool
// output, or the JDC's own address when mining solo. Moving to another
// upstream (or to solo) starts an epoch and re-issues the current template,
// so downstreams just get a new job and keep their connections.
//
// Fallback: a lost pool or JDS, a refused declaration or custom job (other
// than stale-chain-tip), a job not acknowledged in time, or shares of an
// acknowledged job refused — the JDC moves to the next upstream, and mines
// solo when none works. Upstreams earlier in the list are tried again every
// retry interval; the first that connects is taken back.
import {
  hashMeetsTarget,
  parseTransaction,
  toDisplayHex,
  wtxid,
  type TxOutput,
} from '../../bitcoin/index.js';
import {
  MiningChain,
  type BlockCandidate,
  type ChannelsConfig,
  type ChannelsOutMessage,
  type CoinbasePayout,
  type NewTemplateMessage,
  type ShareRecord,
  type ShareVerdict,
} from '../../channels/index.js';
import type { Logger } from '../../log.js';
import { listenFramed, type FramedServer } from '../../net/server.js';
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
import type { JdMode } from './config.js';
import { customJob, declaredCoinbase } from './custom-job.js';
import { UpstreamLink, type UpstreamTarget } from './upstream.js';

export interface JdcOptions {
  host: string;
  port: number;
  authoritySecretKey: Uint8Array;
  certValiditySec: number;
  /** Downstream channels (the full extranonce is upstreamExtranonceSize). */
  channels: Partial<ChannelsConfig>;
  vardiffIntervalMs: number;
  tdp: Omit<TdpClientOptions, 'constraints' | 'logger'>;
  mode: JdMode;
  upstreams: readonly UpstreamTarget[];
  user_identity: string;
  /** Extranonce bytes asked of the pool, shared out to the downstream channels. */
  upstreamExtranonceSize: number;
  /** Solo payout. */
  soloScript: Uint8Array;
  maxHeldShares: number;
  jobAckTimeoutMs: number;
  retryIntervalMs: number;
  logger: Logger;
}

/** Every downstream channel shares one payout: the coinbase is per template (and epoch). */
const PAYOUT_KEY = 'jdc';
/** Bytes the TP may add to the coinbase for the pool's outputs (value + script) and ours. */
const OUTPUT_ALLOWANCE = 200;
const ACK_FLUSH_MS = 250;
const MAX_HELD_FUTURE = 8;
/** Local templates remembered (for late shares and blocks). */
const MAX_LOCALS = 64;
const UPDATE_MS = 10_000;

interface Epoch {
  id: number;
  link: UpstreamLink | undefined;
}

interface LocalTemplate {
  tpId: bigint;
  epoch: Epoch;
  message: NewTemplateMsg;
  /** The pool's job id once SetCustomMiningJob succeeded. */
  poolJobId?: number;
  /** Shares waiting for that id. */
  held: ShareRecord[];
}

/** Pool error codes that do not question the job (the share itself was late, double or weak). */
const BENIGN_SHARE_ERRORS = new Set(['stale-share', 'duplicate-share', 'difficulty-too-low']);

export class JobDeclaratorClient implements SessionHost {
  readonly chain: MiningChain;
  readonly tdp: TdpClient;
  readonly shares: ShareSink;
  readonly #o: JdcOptions;
  readonly #log: Logger;
  readonly #sessions = new Set<MiningSession>();
  readonly #heldFuture = new Map<bigint, NewTemplateMsg>();
  readonly #locals = new Map<bigint, LocalTemplate>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #nextLocal = 1n;
  #epoch: Epoch = { id: 0, link: undefined };
  /** The newest template on the tip, in non-future form, for re-issuing. */
  #current: NewTemplateMsg | undefined;
  #server: FramedServer | undefined;
  #seeking = false;
  #stopped = false;
  #heldCount = 0;
  /** Counters for logs and tests. */
  readonly stats = { forwarded: 0, held: 0, dropped: 0, blocks: 0, fallbacks: 0, custom_jobs: 0 };

  constructor(opts: JdcOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.chain = new MiningChain(
      { ...opts.channels, vardiff: opts.vardiffIntervalMs > 0 },
      (_key, template) => this.#payout(template),
    );
    this.tdp = new TdpClient({
      ...opts.tdp,
      constraints: {
        coinbase_output_max_additional_size: OUTPUT_ALLOWANCE,
        coinbase_output_max_additional_sigops: 8,
      },
      logger: opts.logger,
    });
    this.tdp.on('template', (m) => this.#onTemplate(m));
    this.tdp.on('prevhash', (m) => this.#onPrevHash(m));
    // Nothing is stored here: a share is acknowledged at once (the pool keeps the accounts).
    this.shares = { enqueue: () => Promise.resolve(), reject: () => Promise.resolve() };
  }

  /** The upstream in use: its list index, or -1 when mining solo. */
  get upstreamIndex(): number {
    return this.#epoch.link?.index ?? -1;
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
      onConnection: (conn) => this.#sessions.add(new MiningSession(conn, this, this.#log)),
    });
    this.tdp.start();
    this.#every(ACK_FLUSH_MS, () => this.#broadcast((c) => c.flush()));
    if (this.#o.vardiffIntervalMs > 0) {
      this.#every(this.#o.vardiffIntervalMs, () => {
        const now = Date.now();
        this.#broadcast((c) => c.evaluateVardiff(now));
      });
    }
    this.#every(UPDATE_MS, () => this.#updateUpstream());
    this.#every(this.#o.retryIntervalMs, () => void this.#seek());
    void this.#seek();
    return { host: this.#server.host, port: this.#server.port };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#epoch.link?.close('jdc stopping');
    await this.#server?.close();
    await this.tdp.close();
  }

  // ---- SessionHost -------------------------------------------------------------------------

  authorize(user_identity: string): Authorization {
    // The JDC's miners are its operator's: every name mines, shares name their worker upstream.
    const dot = user_identity.indexOf('.');
    const account = dot < 0 ? user_identity : user_identity.slice(0, dot);
    const worker = dot < 0 ? 'default' : user_identity.slice(dot + 1) || 'default';
    return { ok: true, payout_key: PAYOUT_KEY, account, worker };
  }

  resolveProxied(tlv_identity: string): Who {
    const dot = tlv_identity.indexOf('.');
    return dot < 0
      ? { account: tlv_identity, worker: 'default' }
      : { account: tlv_identity.slice(0, dot), worker: tlv_identity.slice(dot + 1) || 'default' };
  }

  onBlock(): void {
    // Blocks are handled with their share (onShare), which comes right after.
  }

  onShare(_session: MiningSession, v: Extract<ShareVerdict, { accepted: true }>, who: Who): void {
    this.#onShare(v.share, v.block, `${who.account}.${who.worker}`);
  }

  onClose(session: MiningSession): void {
    this.#sessions.delete(session);
  }

  // ---- templates ---------------------------------------------------------------------------

  #onTemplate(m: NewTemplateMsg): void {
    if (m.future_template) {
      this.#heldFuture.set(m.template_id, m);
      while (this.#heldFuture.size > MAX_HELD_FUTURE)
        this.#heldFuture.delete(this.#heldFuture.keys().next().value!);
      return;
    }
    const local = this.#issue(m);
    if (local !== undefined) {
      this.#current = m;
      this.#declare(local);
    }
  }

  #onPrevHash(p: SetNewPrevHashTdpMsg): void {
    const future = this.#heldFuture.get(p.template_id);
    if (!future) {
      this.#log.warn(
        { template_id: String(p.template_id) },
        'SetNewPrevHash for an unknown template ignored',
      );
      return;
    }
    this.#heldFuture.delete(p.template_id);
    const local = this.#issue(future);
    if (local === undefined) return;
    if (!this.chain.setNewPrevHash({ ...p, template_id: local }, Date.now())) return;
    this.#broadcast((c) => c.onSetNewPrevHash());
    this.#heldFuture.clear();
    this.#current = { ...future, future_template: false };
    this.#log.info({ prev_hash: toDisplayHex(p.prev_hash), template_id: String(p.template_id) }, 'new tip');
    this.#declare(local);
  }

  /** Gives a TP template a local id of the current epoch, stores it in the chain and sends its jobs. */
  #issue(m: NewTemplateMsg): bigint | undefined {
    const local = this.#nextLocal++;
    this.#locals.set(local, { tpId: m.template_id, epoch: this.#epoch, message: m, held: [] });
    while (this.#locals.size > MAX_LOCALS) this.#dropLocal(this.#locals.keys().next().value!);
    let stored: boolean;
    try {
      stored = this.chain.newTemplate({ ...m, template_id: local });
    } catch (err) {
      this.#log.error(
        { template_id: String(m.template_id), err: (err as Error).message },
        'unusable template',
      );
      return undefined;
    }
    if (!stored) return undefined;
    this.#broadcast((c) => c.onNewTemplate(local));
    return local;
  }

  #dropLocal(local: bigint): void {
    const t = this.#locals.get(local);
    if (t === undefined) return;
    this.#heldCount -= t.held.length;
    this.#locals.delete(local);
  }

  /** The coinbase payout of a local template: its epoch's pool output, or the solo address. */
  #payout(template: NewTemplateMessage): CoinbasePayout {
    const t = this.#locals.get(template.template_id);
    const link = t?.epoch.link;
    const value = template.coinbase_tx_value_remaining;
    if (link === undefined) return { outputs: [{ script: this.#o.soloScript, value }] };
    // The pool payout output takes the revenue; the JDS's other outputs stay at 0.
    const outputs: TxOutput[] = link.poolOutputs.map((o, i) => ({
      script: o.script,
      value: i === 0 ? value : 0n,
    }));
    return { outputs, extranonce_fixed: link.fixed };
  }

  // ---- declaration -------------------------------------------------------------------------

  #declare(local: bigint): void {
    const t = this.#locals.get(local);
    const link = t?.epoch.link;
    if (t === undefined || link === undefined || t.epoch !== this.#epoch) return;
    const timer = setTimeout(() => {
      if (t.poolJobId === undefined && t.epoch === this.#epoch && this.#onTip(local)) {
        this.#fallBack(link, `custom job not acknowledged within ${this.#o.jobAckTimeoutMs} ms`);
      }
    }, this.#o.jobAckTimeoutMs);
    timer.unref();
    void this.#declareJob(local, t, link)
      .catch((err: unknown) => {
        if (t.epoch === this.#epoch) this.#fallBack(link, (err as Error).message);
      })
      .finally(() => clearTimeout(timer));
  }

  async #declareJob(local: bigint, t: LocalTemplate, link: UpstreamLink): Promise<void> {
    const parts = this.chain.coinbase(local, PAYOUT_KEY, this.#o.upstreamExtranonceSize).parts;
    let token = (await link.token()).token;
    if (this.#o.mode === 'full-template') {
      const data = await this.tdp.requestTransactionData(t.tpId);
      if (data.type !== 'RequestTransactionDataSuccess') {
        // The TP moved on from this template: a newer one is on its way.
        this.#log.info(
          { template_id: String(t.tpId), error_code: data.error_code },
          'transaction data refused',
        );
        return;
      }
      const txs = data.transaction_list;
      const wtxids = txs.map((raw) => wtxid(parseTransaction(raw)));
      const { coinbase_tx_prefix, coinbase_tx_suffix } = declaredCoinbase(parts, link.fixed.length);
      const declared = await link.jds.declare({
        mining_job_token: token,
        version: t.message.version,
        coinbase_tx_prefix,
        coinbase_tx_suffix,
        wtxid_list: wtxids,
        excess_data: data.excess_data,
        transactions: (positions) =>
          positions.map((p) => {
            const raw = txs[p];
            if (raw === undefined) throw new RangeError(`no transaction at position ${p}`);
            return raw;
          }),
      });
      if (!declared.ok) throw new Error(`DeclareMiningJob.Error ${declared.error_code}: ${declared.details}`);
      token = declared.token;
      this.#log.info({ template_id: String(t.tpId), transactions: txs.length }, 'job declared');
    }
    const tip = this.chain.tip;
    if (tip === null || t.epoch !== this.#epoch || !this.#onTip(local)) return;
    const r = await link.pool.setCustomJob(customJob(t.message, parts, link.fixed.length, tip, token));
    if (!r.ok) {
      // A race with a new block: the next template follows.
      if (r.error_code === 'stale-chain-tip') return;
      throw new Error(`SetCustomMiningJob.Error ${r.error_code}`);
    }
    t.poolJobId = r.job_id;
    this.stats.custom_jobs++;
    this.#log.info({ template_id: String(t.tpId), job_id: r.job_id }, 'custom job acknowledged by the pool');
    const held = t.held.splice(0);
    this.#heldCount -= held.length;
    for (const share of held) this.#forward(link, t, share);
  }

  /** Whether a local template is on the chain tip (its jobs can still win). */
  #onTip(local: bigint): boolean {
    const stored = this.chain.template(local);
    return stored !== undefined && stored.epoch !== null && stored.epoch === this.chain.tip?.epoch;
  }

  // ---- shares and blocks -------------------------------------------------------------------

  #onShare(share: ShareRecord, block: BlockCandidate | null, worker: string): void {
    const t = share.template_id === null ? undefined : this.#locals.get(share.template_id);
    if (t === undefined) return;
    if (block !== null) this.#onBlockFound(t, share, block);
    const link = t.epoch.link;
    // Work of another epoch pays another upstream (or nobody upstream): it is not shared.
    if (link === undefined || t.epoch !== this.#epoch) return;
    if (!share.block && !hashMeetsTarget(share.hash, link.pool.channel.target)) return;
    const named = { ...share, worker: share.worker ?? worker };
    if (t.poolJobId !== undefined) return this.#forward(link, t, named);
    // Optimistic mining: kept until the pool acknowledges the job.
    if (this.#heldCount >= this.#o.maxHeldShares) {
      this.#dropOldestHeld();
      this.stats.dropped++;
    }
    t.held.push(named);
    this.#heldCount++;
    this.stats.held++;
  }

  #dropOldestHeld(): void {
    for (const t of this.#locals.values()) {
      if (t.held.length > 0) {
        t.held.shift();
        this.#heldCount--;
        return;
      }
    }
  }

  #forward(link: UpstreamLink, t: LocalTemplate, share: ShareRecord): void {
    if (link.pool.isClosed || t.poolJobId === undefined) return;
    link.pool.submit({
      job_id: t.poolJobId,
      nonce: share.nonce,
      ntime: share.ntime,
      version: share.version,
      // The pool's extranonce after its prefix: the padding it granted beyond ours, then the downstream's.
      extranonce: concat(link.fixed.subarray(link.pool.channel.extranonce_prefix.length), share.extranonce),
      ...(share.worker !== null && utf8Length(share.worker) <= 32 ? { worker: share.worker } : {}),
    });
    this.stats.forwarded++;
  }

  #onBlockFound(t: LocalTemplate, share: ShareRecord, block: BlockCandidate): void {
    this.stats.blocks++;
    const hash = toDisplayHex(block.hash);
    const link = t.epoch.link;
    this.#log.info(
      { hash, template_id: String(t.tpId), solo: link === undefined, upstream: link?.target.name },
      'block found',
    );
    // The TP knows the template by its own id.
    if (block.submit_solution !== null) {
      this.tdp
        .sendSubmitSolution({ ...block.submit_solution, template_id: t.tpId })
        .catch((err: unknown) =>
          this.#log.error({ hash, err: (err as Error).message }, 'SubmitSolution failed'),
        );
    }
    if (link !== undefined && this.#o.mode === 'full-template' && !link.jds.isClosed) {
      const tip = this.chain.tip;
      link.jds.pushSolution({
        extranonce: concat(link.fixed, share.extranonce),
        prev_hash: tip?.prev_hash ?? new Uint8Array(32),
        nonce: share.nonce,
        ntime: share.ntime,
        nbits: tip?.nbits ?? 0,
        version: share.version,
      });
    }
  }

  // ---- upstreams ---------------------------------------------------------------------------

  /**
   * Tries the upstreams ahead of the one in use (all of them when solo), in
   * order; the first that connects is switched to.
   */
  async #seek(): Promise<void> {
    if (this.#seeking || this.#stopped) return;
    this.#seeking = true;
    try {
      const limit = this.#epoch.link?.index ?? this.#o.upstreams.length;
      for (let i = 0; i < limit && !this.#stopped; i++) {
        const target = this.#o.upstreams[i]!;
        let link: UpstreamLink;
        try {
          link = await UpstreamLink.connect(i, target, {
            mode: this.#o.mode,
            user_identity: this.#o.user_identity,
            extranonceSize: this.#o.upstreamExtranonceSize,
            nominalHashrate: Math.max(1, this.#downstreamHashrate()),
            timeoutMs: 10_000,
            logger: this.#log,
          });
        } catch (err) {
          this.#log.warn({ upstream: target.name, err: (err as Error).message }, 'upstream unavailable');
          continue;
        }
        if (this.#stopped || (this.#epoch.link !== undefined && this.#epoch.link.index <= i)) {
          link.close('not needed');
          return;
        }
        this.#switchTo(link, `upstream ${target.name} is up`);
        return;
      }
    } finally {
      this.#seeking = false;
    }
  }

  #switchTo(link: UpstreamLink | undefined, why: string): void {
    const old = this.#epoch.link;
    this.#epoch = { id: this.#epoch.id + 1, link };
    if (old !== undefined && old !== link) old.close(why);
    if (link !== undefined) {
      const e = this.#epoch;
      void link.ended.then((reason) => {
        if (this.#epoch === e) this.#fallBack(link, reason);
      });
      link.pool.on('share-error', (code, job_id) => {
        if (this.#epoch !== e || BENIGN_SHARE_ERRORS.has(code)) return;
        const acked = [...this.#locals.values()].some((t) => t.epoch === e && t.poolJobId === job_id);
        if (acked) this.#fallBack(link, `pool refused a share of an acknowledged job: ${code}`);
      });
      link.pool.on('target', () => this.#updateUpstream());
    }
    this.#log.info(
      link === undefined
        ? { mode: 'solo', why }
        : { mode: this.#o.mode, upstream: link.target.name, index: link.index, why },
      link === undefined ? 'mining solo' : 'mining on the pool with declared jobs',
    );
    // The current template again, under the new epoch's coinbase: downstreams get a new job.
    const m = this.#current;
    if (m !== undefined && this.chain.tip !== null) {
      const local = this.#issue(m);
      if (local !== undefined) this.#declare(local);
    }
  }

  #fallBack(link: UpstreamLink, reason: string): void {
    if (this.#epoch.link !== link) return;
    this.stats.fallbacks++;
    this.#log.warn({ upstream: link.target.name, reason }, 'upstream failed: falling back');
    link.close(`falling back: ${reason}`);
    this.#switchTo(undefined, reason);
    // The next upstreams right away; earlier ones (and this one) at the next retry.
    void this.#seekFrom(link.index + 1);
  }

  async #seekFrom(start: number): Promise<void> {
    for (
      let i = start;
      i < this.#o.upstreams.length && !this.#stopped && this.#epoch.link === undefined;
      i++
    ) {
      const target = this.#o.upstreams[i]!;
      try {
        const link = await UpstreamLink.connect(i, target, {
          mode: this.#o.mode,
          user_identity: this.#o.user_identity,
          extranonceSize: this.#o.upstreamExtranonceSize,
          nominalHashrate: Math.max(1, this.#downstreamHashrate()),
          timeoutMs: 10_000,
          logger: this.#log,
        });
        if (this.#epoch.link !== undefined || this.#stopped) {
          link.close('not needed');
          return;
        }
        this.#switchTo(link, `upstream ${target.name} is up`);
        return;
      } catch (err) {
        this.#log.warn({ upstream: target.name, err: (err as Error).message }, 'upstream unavailable');
      }
    }
  }

  #downstreamHashrate(): number {
    const now = Date.now();
    let sum = 0;
    for (const s of this.#sessions) {
      const c = s.channels;
      if (!c) continue;
      for (const id of c.channelIds()) sum += c.channelInfo(id, now)?.hashrate ?? 0;
    }
    return sum;
  }

  #updateUpstream(): void {
    const link = this.#epoch.link;
    if (link === undefined || link.pool.isClosed) return;
    const rate = this.#downstreamHashrate();
    if (rate > 0) link.pool.updateChannel(rate, (1n << 256n) - 1n);
  }

  // ---- plumbing ----------------------------------------------------------------------------

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

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.push(t);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
