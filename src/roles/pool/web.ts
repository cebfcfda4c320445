// The pool's web page: what the running pool tells it (PoolLive), and
// starting/stopping the web server with the pool.
import { bitsToTarget, decodeBip34Height, targetToDifficulty, type Network } from '../../bitcoin/index.js';
import type { Logger } from '../../log.js';
import {
  createWebServer,
  secretFileNear,
  type LiveChain,
  type LiveChannel,
  type PoolLive,
  type WebServer,
} from '../../web/index.js';
import type { PoolConfig } from './config.js';
import { parseIdentity } from './identity.js';
import type { Pool } from './pool.js';
import type { Store } from '../../store/index.js';

export class PoolLiveView implements PoolLive {
  readonly counters;
  #templateTime = Date.now();

  constructor(
    private readonly pool: Pool,
    readonly authority_public_key: string,
    readonly sv2_port: number,
    readonly payout_mode: PoolConfig['payout_mode'],
    readonly pool_fee_percent: number,
    readonly network_name: string,
    readonly network: Network,
  ) {
    this.counters = pool.counters;
    const touch = () => (this.#templateTime = Date.now());
    pool.tdp.on('template', touch);
    pool.tdp.on('prevhash', touch);
  }

  connections(): number {
    return this.pool.sessions.size;
  }

  channels(): LiveChannel[] {
    const now = Date.now();
    const out: LiveChannel[] = [];
    for (const s of this.pool.sessions) {
      const c = s.channels;
      if (!c) continue;
      for (const id of c.channelIds()) {
        const info = c.channelInfo(id, now);
        if (!info) continue;
        const who = s.who(id) ?? parseIdentity(info.user_identity);
        out.push({
          account: who.account,
          worker: who.worker,
          channel_id: id,
          user_agent: s.device,
          difficulty: targetToDifficulty(info.target),
          best_share_difficulty: s.bestShare(id),
        });
      }
    }
    return out;
  }

  chain(): LiveChain | null {
    const tip = this.pool.chain.tip;
    const template = this.pool.chain.currentTemplate();
    if (!tip || !template) return null;
    let height = -1;
    try {
      height = decodeBip34Height(template.message.coinbase_prefix).height;
    } catch {
      // No BIP34 height in the template: shown as unknown.
    }
    return {
      height,
      nbits: tip.nbits,
      difficulty: targetToDifficulty(bitsToTarget(tip.nbits)),
      coinbase_value_sats: template.message.coinbase_tx_value_remaining,
      template_time: this.#templateTime,
    };
  }
}

/** Starts the web server when `[web] enabled`; resolves with it (null when disabled). */
export async function startPoolWeb(
  cfg: PoolConfig,
  store: Store,
  live: PoolLive,
  logger: Logger,
): Promise<WebServer | null> {
  if (!cfg.web.enabled) return null;
  const config = {
    ...cfg.web,
    session_secret_file: cfg.web.session_secret_file ?? secretFileNear(cfg.database.path),
  };
  const web = await createWebServer({ store, live, config, logger });
  try {
    const { host, port } = await web.listen(cfg.web.listen_address.host, cfg.web.listen_address.port);
    logger.info({ host, port }, 'web ready');
    return web;
  } catch (err) {
    // Mining goes on without the page: a busy web port must not stop the pool.
    logger.error(
      { err: (err as Error).message, listen_address: cfg.web.listen_address },
      'web page not started',
    );
    await web.close();
    return null;
  }
}
