// The figures behind the pages and the JSON API, gathered per request from
// the store (what survives a restart; pool-wide figures through the shared
// snapshot) and `live` (what the running pool knows now). Pages render these;
// the API serialises them.
import { foldName, type Block, type ChartPoint, type Store, type WorkerStats } from '../store/index.js';
import type { WebConfig } from './config.js';
import type { PoolLive } from './live.js';
import type { AccountBlock, AccountPayout, AccountRecord, DeviceFamily, WebQueries } from './queries.js';
import { readPoolAggregates, type PublicSnapshot } from './snapshot.js';

const HASHES_PER_DIFFICULTY = 2 ** 32;

export interface WebContext {
  store: Store;
  live: PoolLive;
  config: WebConfig;
  queries: WebQueries;
  /** Shared, briefly reused pool-wide figures; without it every view reads the store. */
  snapshot?: PublicSnapshot;
}

export interface ConnectInfo {
  host: string;
  translator_url: string;
  translator_user: string;
  sv2_url: string;
  authority_public_key: string;
}

export interface NetworkView {
  height: number;
  difficulty: number;
  nbits: string;
  template_age_seconds: number;
}

export interface BestShareView {
  account: string;
  worker: string;
  difficulty: number;
  /** difficulty / network difficulty (1 or more = a block). */
  of_network: number | null;
}

export interface PoolView {
  time: number;
  hashrate_10m: number;
  hashrate_1h: number;
  hashrate_24h: number;
  accounts: number;
  workers: number;
  workers_online: number;
  connections: number;
  channels: number;
  shares: { accepted: number; rejected: number; stale: number; rejected_by_reason: Record<string, number> };
  best_share: BestShareView | null;
  /** Blocks the chain kept (pending and confirmed). */
  blocks_found: number;
  /** Candidates off the chain: valid but not on the best chain, and refused as invalid. */
  blocks_orphaned: number;
  blocks_rejected: number;
  /** The newest blocks the chain kept. */
  blocks: Block[];
  network: NetworkView | null;
  network_name: string;
  /** Expected seconds between blocks at the pool's 1 h hashrate (null when not mining). */
  expected_block_seconds: number | null;
  payout_mode: string;
  pool_fee_percent: number;
  connect: ConnectInfo;
  devices: DeviceFamily[];
  chart: ChartPoint[];
  chart_shares_24h: number;
}

export interface WorkerView extends WorkerStats {
  /** Open channels of this worker right now. */
  channels: number;
  /** Best share since the worker's current channels opened (max over them); null when not connected. */
  best_share_session: number | null;
  /** Rejected / (accepted + rejected), all time. */
  reject_rate: number;
}

export interface PplnsView {
  /** The account's difficulty inside the PPLNS window. */
  window_difficulty: number;
  window_total: number;
  window_target: number;
  /** window_difficulty / window_total. */
  share: number;
  /** What the account would get if the next block were found now: (reward − fee) × share, sats. */
  next_block_estimate_sats: bigint | null;
  /** Credit carried from earlier blocks (paid with a later block), sats. */
  credit_sats: bigint;
}

export interface AccountView {
  account: string;
  payout_address: string | null;
  created_at: number;
  hashrate_10m: number;
  hashrate_1h: number;
  hashrate_24h: number;
  workers_online: number;
  totals: { accepted: number; rejected: number; stale: number };
  reject_rate: number;
  rejected_by_reason: Record<string, number>;
  best_share_difficulty: number;
  best_share_of_network: number | null;
  chart: ChartPoint[];
  chart_shares_24h: number;
  workers: WorkerView[];
  payout_mode: string;
  pplns: PplnsView | null;
  blocks: AccountBlock[];
  payouts: AccountPayout[];
}

const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]{2,45}\])$/;

/** The host shown in connection URLs: the configured one, else the request's Host if it looks like a host. */
export function publicHost(config: WebConfig, requestHost: string | undefined): string {
  if (config.public_host !== '') return config.public_host;
  const h = (requestHost ?? '').trim();
  return HOST_RE.test(h) && h.length <= 253 ? h : 'pool.example';
}

export function connectInfo(ctx: WebContext, host: string): ConnectInfo {
  const port = ctx.config.sv2_port !== 0 ? ctx.config.sv2_port : ctx.live.sv2_port;
  const key = ctx.live.authority_public_key;
  return {
    host,
    translator_url: `stratum+tcp://${host}:${ctx.config.translator_port}`,
    translator_user: ctx.live.payout_mode === 'solo' ? 'your_address.worker' : 'account.worker',
    sv2_url: `stratum2+tcp://${host}:${port}/${key}`,
    authority_public_key: key,
  };
}

function networkView(ctx: WebContext, now: number): NetworkView | null {
  const c = ctx.live.chain();
  if (!c) return null;
  return {
    height: c.height,
    difficulty: c.difficulty,
    nbits: c.nbits.toString(16).padStart(8, '0'),
    template_age_seconds: Math.max(0, (now - c.template_time) / 1000),
  };
}

function ofNetwork(d: number, network: NetworkView | null): number | null {
  return network && network.difficulty > 0 ? d / network.difficulty : null;
}

export function expectedBlockSeconds(networkDifficulty: number, hashrate: number): number | null {
  if (!(hashrate > 0) || !(networkDifficulty > 0)) return null;
  return (networkDifficulty * HASHES_PER_DIFFICULTY) / hashrate;
}

/** The pool page's figures: store aggregates (from the shared snapshot, when there is one) plus `live` now. */
export async function poolView(ctx: WebContext, host: string, now = Date.now()): Promise<PoolView> {
  const agg = ctx.snapshot
    ? await ctx.snapshot.pool(now)
    : await readPoolAggregates(ctx.store, ctx.queries, now);
  const stats = agg.stats;
  const network = networkView(ctx, now);
  const best = stats.best_share;
  return {
    time: agg.time,
    hashrate_10m: stats.hashrate_10m,
    hashrate_1h: stats.hashrate_1h,
    hashrate_24h: stats.hashrate_24h,
    accounts: stats.accounts,
    workers: stats.workers,
    workers_online: stats.workers_online,
    connections: ctx.live.connections(),
    channels: ctx.live.channels().length,
    shares: { ...stats.totals, rejected_by_reason: agg.rejected_by_reason },
    best_share: best ? { ...best, of_network: ofNetwork(best.difficulty, network) } : null,
    blocks_found: stats.blocks_found,
    blocks_orphaned: stats.blocks_orphaned,
    blocks_rejected: stats.blocks_rejected,
    blocks: agg.blocks,
    network,
    network_name: ctx.live.network_name,
    expected_block_seconds: network
      ? expectedBlockSeconds(network.difficulty, stats.hashrate_1h || stats.hashrate_10m)
      : null,
    payout_mode: ctx.live.payout_mode,
    pool_fee_percent: ctx.live.pool_fee_percent,
    connect: connectInfo(ctx, host),
    devices: agg.devices,
    chart: agg.chart,
    chart_shares_24h: agg.chart_shares_24h,
  };
}

function rejectRate(accepted: number, rejected: number): number {
  return accepted + rejected > 0 ? rejected / (accepted + rejected) : 0;
}

async function pplnsView(ctx: WebContext, account: string): Promise<PplnsView | null> {
  const chain = ctx.live.chain();
  if (ctx.live.payout_mode !== 'pplns' || !chain) return null;
  const w = await ctx.store.pplnsWindow(chain.difficulty);
  const mine = w.window.find((e) => foldName(e.account) === foldName(account))?.difficulty ?? 0;
  const share = w.total > 0 ? mine / w.total : 0;
  let estimate: bigint | null = null;
  if (chain.coinbase_value_sats !== null) {
    const reward = chain.coinbase_value_sats;
    const fee = (reward * BigInt(Math.round(ctx.live.pool_fee_percent * 10_000))) / 1_000_000n;
    // Parts per billion keep the estimate in integer sats.
    estimate = ((reward - fee) * BigInt(Math.floor(share * 1e9))) / 1_000_000_000n;
  }
  const id = (await ctx.queries.accountByName(account))?.id;
  return {
    window_difficulty: mine,
    window_total: w.total,
    window_target: w.target,
    share,
    next_block_estimate_sats: estimate,
    credit_sats: id === undefined ? 0n : await ctx.queries.credit(id),
  };
}

/** Everything the account page shows; undefined when the account does not exist. */
export async function accountView(
  ctx: WebContext,
  account: AccountRecord,
  now = Date.now(),
): Promise<AccountView | undefined> {
  const [stats, workers, chart, rejected_by_reason, chart_shares_24h, pplns, blocks, payouts] =
    await Promise.all([
      ctx.store.stats.accountStats(account.name, now),
      ctx.store.stats.accountWorkers(account.name, now),
      ctx.store.stats.accountChart(account.name, now),
      ctx.queries.rejectsByReason(account.id),
      ctx.queries.sharesLast24h(account.id, now),
      pplnsView(ctx, account.name),
      ctx.queries.accountBlocks(account.id),
      ctx.queries.accountPayouts(account.id),
    ]);
  if (!stats || !workers || !chart) return undefined;
  const network = networkView(ctx, now);
  const live = ctx.live.channels().filter((c) => foldName(c.account) === foldName(account.name));
  const workerViews: WorkerView[] = workers.map((w) => {
    const mine = live.filter((c) => c.worker === w.name);
    return {
      ...w,
      // The channel's target now, when connected; otherwise the last one a share was credited at.
      current_difficulty: mine.length > 0 ? Math.max(...mine.map((c) => c.difficulty)) : w.current_difficulty,
      channels: mine.length,
      best_share_session: mine.length > 0 ? Math.max(...mine.map((c) => c.best_share_difficulty)) : null,
      reject_rate: rejectRate(w.accepted, w.rejected),
    };
  });
  return {
    account: account.name,
    payout_address: account.payout_address,
    created_at: account.created_at,
    hashrate_10m: stats.hashrate_10m,
    hashrate_1h: stats.hashrate_1h,
    hashrate_24h: stats.hashrate_24h,
    workers_online: stats.workers_online,
    totals: stats.totals,
    reject_rate: rejectRate(stats.totals.accepted, stats.totals.rejected),
    rejected_by_reason,
    best_share_difficulty: stats.best_share_difficulty,
    best_share_of_network: ofNetwork(stats.best_share_difficulty, network),
    chart,
    chart_shares_24h,
    workers: workerViews,
    payout_mode: ctx.live.payout_mode,
    pplns,
    blocks,
    payouts,
  };
}
