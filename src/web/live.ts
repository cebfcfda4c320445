// What the web page needs from the running pool that the store does not
// keep: connected channels, the current template, the pool's identity and
// settings, and counters the pool increments as things happen.
import type { Network } from '../bitcoin/index.js';

/** One open channel as the pool sees it now. */
export interface LiveChannel {
  account: string;
  worker: string;
  channel_id: number;
  /** Vendor/hardware/firmware from SetupConnection (or the SV1 user agent via the translator). */
  user_agent: string;
  /** Difficulty of the channel's current target. */
  difficulty: number;
  /** Best share difficulty since the channel opened (0 if none). */
  best_share_difficulty: number;
}

/** The chain as the current template sees it. */
export interface LiveChain {
  /** Height of the block being mined. */
  height: number;
  nbits: number;
  /** Network difficulty (diff-1 = 1). */
  difficulty: number;
  /** coinbase_tx_value_remaining of the current template, sats (null when unknown). */
  coinbase_value_sats: bigint | null;
  /** When the current template arrived (ms). */
  template_time: number;
}

/** Counters the pool increments; /metrics exports them. */
export class LiveCounters {
  /** SV2 connections accepted since start. */
  connections_total = 0;
  /** SetTarget messages sent by vardiff since start. */
  vardiff_adjustments = 0;
  /** Blocks submitted since start. */
  blocks_submitted = 0;
  /** Shares judged since start, by result: 'accepted' or a SubmitShares.Error code. */
  readonly shares = new Map<string, number>();

  share(result: string): void {
    this.shares.set(result, (this.shares.get(result) ?? 0) + 1);
  }
}

export type PayoutModeName = 'pplns' | 'solo';

export interface PoolLive {
  /** The authority public key string miners pin (base58check, spec 4.7). */
  readonly authority_public_key: string;
  /** The pool's SV2 port (shown when `[web] sv2_port` is 0). */
  readonly sv2_port: number;
  readonly payout_mode: PayoutModeName;
  readonly pool_fee_percent: number;
  /** Network name as configured (devnet, regtest, mainnet, ...). */
  readonly network_name: string;
  /** Address rules for payout addresses. */
  readonly network: Network;
  readonly counters: LiveCounters;
  /** Open SV2 connections. */
  connections(): number;
  /** Open channels. */
  channels(): LiveChannel[];
  /** The current template's chain facts, or null before the first template. */
  chain(): LiveChain | null;
}
