// JSON shapes of the API (documented in API.md). Amounts are integer sats as
// JSON numbers (every bitcoin amount fits in 2^53); times are Unix ms.
import type { Block } from '../store/index.js';
import type { MinerSummary } from './queries.js';
import type { AccountView, PoolView, WorkerView } from './view.js';

function block(b: Block) {
  return {
    height: b.height,
    hash: b.hash,
    account: b.account,
    worker: b.worker,
    reward_sats: Number(b.reward_sats),
    coinbase_value_sats: Number(b.coinbase_value),
    status: b.status,
    time: b.time,
  };
}

export function statsJson(v: PoolView) {
  return {
    time: v.time,
    hashrate: { '10m': v.hashrate_10m, '1h': v.hashrate_1h, '24h': v.hashrate_24h },
    accounts: v.accounts,
    workers: v.workers,
    workers_online: v.workers_online,
    connections: v.connections,
    channels: v.channels,
    shares: v.shares,
    best_share: v.best_share,
    blocks_found: v.blocks_found,
    blocks_orphaned: v.blocks_orphaned,
    blocks_rejected: v.blocks_rejected,
    last_block: v.blocks[0] ? block(v.blocks[0]) : null,
    network: {
      name: v.network_name,
      height: v.network?.height ?? null,
      difficulty: v.network?.difficulty ?? null,
      nbits: v.network?.nbits ?? null,
      template_age_seconds: v.network?.template_age_seconds ?? null,
    },
    expected_block_seconds: v.expected_block_seconds,
    payout_mode: v.payout_mode,
    pool_fee_percent: v.pool_fee_percent,
    connect: v.connect,
    devices: v.devices,
    chart: v.chart,
  };
}

export function minersJson(miners: MinerSummary[]) {
  return {
    miners: miners.map((m) => ({
      account: m.account,
      workers_online: m.workers_online,
      hashrate: { '10m': m.hashrate_10m, '1h': m.hashrate_1h, '24h': m.hashrate_24h },
    })),
  };
}

export function blocksJson(blocks: Block[]) {
  return { blocks: blocks.map(block) };
}

function worker(w: WorkerView, full: boolean) {
  const base = {
    name: w.name,
    online: w.online,
    hashrate: { '10m': w.hashrate_10m, '1h': w.hashrate_1h, '24h': w.hashrate_24h },
    last_share_at: w.last_share_at,
    accepted: w.accepted,
    rejected: w.rejected,
    best_share_difficulty: w.best_share_difficulty,
  };
  if (!full) return base;
  return {
    ...base,
    user_agent: w.user_agent,
    first_seen: w.first_seen,
    current_difficulty: w.current_difficulty,
    channels: w.channels,
    best_share_session: w.best_share_session,
    reject_rate: w.reject_rate,
    rejects_24h: w.rejects_24h,
  };
}

/** The public view of one miner: hashrates and worker activity, no payout details. */
export function minerJson(v: AccountView) {
  return {
    account: v.account,
    hashrate: { '10m': v.hashrate_10m, '1h': v.hashrate_1h, '24h': v.hashrate_24h },
    workers_online: v.workers_online,
    totals: v.totals,
    best_share_difficulty: v.best_share_difficulty,
    workers: v.workers.map((w) => worker(w, false)),
  };
}

/** The signed-in account: everything the account page shows. */
export function accountJson(v: AccountView) {
  return {
    ...minerJson(v),
    payout_address: v.payout_address,
    created_at: v.created_at,
    reject_rate: v.reject_rate,
    rejected_by_reason: v.rejected_by_reason,
    best_share_of_network: v.best_share_of_network,
    chart: v.chart,
    chart_shares_24h: v.chart_shares_24h,
    workers: v.workers.map((w) => worker(w, true)),
    payout_mode: v.payout_mode,
    pplns: v.pplns
      ? {
          ...v.pplns,
          next_block_estimate_sats:
            v.pplns.next_block_estimate_sats === null ? null : Number(v.pplns.next_block_estimate_sats),
          credit_sats: Number(v.pplns.credit_sats),
        }
      : null,
    blocks: v.blocks.map((b) => ({ ...b, reward_sats: Number(b.reward_sats) })),
    payouts: v.payouts.map((p) => ({ ...p, amount_sats: Number(p.amount_sats) })),
  };
}
