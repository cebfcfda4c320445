// Prometheus metrics on the web server's own Registry. Values are read when
// scraped: persistent totals from the store (they survive restarts) through
// the shared pool snapshot when there is one, the present from `live`.
import { Counter, Gauge, Registry } from 'prom-client';
import { readPoolAggregates, type PoolAggregates } from './snapshot.js';
import type { WebContext } from './view.js';

export interface Metrics {
  contentType: string;
  /** The exposition text; the store's figures are read once per scrape. */
  metrics(): Promise<string>;
}

export function createMetrics(ctx: WebContext): Metrics {
  const registry = new Registry();
  const { store, live, queries, snapshot } = ctx;
  let scraped: Promise<PoolAggregates> | undefined;
  const read = (): Promise<PoolAggregates> =>
    snapshot ? snapshot.pool() : readPoolAggregates(store, queries, Date.now());
  const pool = (): Promise<PoolAggregates> => (scraped ??= read());

  new Counter({
    name: 'strata_shares_total',
    help: 'Shares stored since the database was created, by result (accepted, or the rejection reason)',
    labelNames: ['result'],
    registers: [registry],
    async collect() {
      const p = await pool();
      this.reset();
      this.inc({ result: 'accepted' }, p.stats.totals.accepted);
      for (const [reason, n] of Object.entries(p.rejected_by_reason)) this.inc({ result: reason }, n);
    },
  });
  new Counter({
    name: 'strata_shares_judged_total',
    help: 'Shares judged since the pool started, by result',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [result, n] of live.counters.shares) this.inc({ result }, n);
    },
  });
  new Gauge({
    name: 'strata_blocks',
    help: 'Block candidates by status: pending and confirmed are on the chain, orphaned and rejected are not',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = (await pool()).block_counts;
      this.reset();
      for (const status of ['pending', 'confirmed', 'orphaned', 'rejected'])
        this.set({ status }, counts[status] ?? 0);
    },
  });
  new Counter({
    name: 'strata_blocks_submitted_total',
    help: 'Blocks submitted since the pool started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(live.counters.blocks_submitted);
    },
  });
  new Gauge({
    name: 'strata_channels',
    help: 'Open mining channels',
    registers: [registry],
    collect() {
      this.set(live.channels().length);
    },
  });
  new Gauge({
    name: 'strata_connections',
    help: 'Open SV2 connections',
    registers: [registry],
    collect() {
      this.set(live.connections());
    },
  });
  new Counter({
    name: 'strata_connections_total',
    help: 'SV2 connections accepted since the pool started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(live.counters.connections_total);
    },
  });
  new Gauge({
    name: 'strata_hashrate_hashes_per_second',
    help: 'Pool hashrate from accepted shares, by averaging window',
    labelNames: ['window'],
    registers: [registry],
    async collect() {
      const h = (await pool()).stats;
      this.set({ window: '10m' }, h.hashrate_10m);
      this.set({ window: '1h' }, h.hashrate_1h);
      this.set({ window: '24h' }, h.hashrate_24h);
    },
  });
  new Gauge({
    name: 'strata_workers_online',
    help: 'Workers with a share in the last 10 minutes',
    registers: [registry],
    async collect() {
      this.set((await pool()).stats.workers_online);
    },
  });
  new Gauge({
    name: 'strata_template_age_seconds',
    help: 'Seconds since the current template arrived (NaN before the first)',
    registers: [registry],
    collect() {
      const c = live.chain();
      this.set(c ? Math.max(0, (Date.now() - c.template_time) / 1000) : NaN);
    },
  });
  new Gauge({
    name: 'strata_network_difficulty',
    help: 'Network difficulty of the current template',
    registers: [registry],
    collect() {
      this.set(live.chain()?.difficulty ?? NaN);
    },
  });
  new Gauge({
    name: 'strata_block_height',
    help: 'Height of the block being mined',
    registers: [registry],
    collect() {
      this.set(live.chain()?.height ?? NaN);
    },
  });
  new Counter({
    name: 'strata_vardiff_adjustments_total',
    help: 'Channel targets changed by vardiff since the pool started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(live.counters.vardiff_adjustments);
    },
  });
  return {
    contentType: registry.contentType,
    async metrics() {
      scraped = read();
      // A failed reading fails the scrape (below), not the process.
      scraped.catch(() => {});
      try {
        return await registry.metrics();
      } finally {
        scraped = undefined;
      }
    },
  };
}
