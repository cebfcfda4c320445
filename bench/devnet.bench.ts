// Devnet getblocktemplate: time to build a template (fee-rate selection,
// witness commitment, the JSON fields) from a 5,000-transaction mempool of
// synthetic transactions, in process and without the RPC server. Each run
// uses a fresh builder, so nothing comes from the template cache.
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { emit, percentiles } from './harness.js';
import { createLogger } from '../src/log.js';
import { Devnet } from '../src/roles/devnet/index.js';
import { TemplateBuilder } from '../src/roles/devnet/template.js';

const MEMPOOL_TXS = 5000;
const RUNS = 7;

export default async function (): Promise<void> {
  // Never started: no port, no files (the data directory is not touched).
  const node = new Devnet({
    rpcBind: '127.0.0.1',
    rpcPort: 0,
    dataDir: join(tmpdir(), 'strata-devnet-bench-unused'),
    txPerMinute: 0,
    maxMempoolTxs: MEMPOOL_TXS,
    longpollMaxWaitSecs: 60,
    logger: createLogger({ role: 'devnet', level: 'silent' }),
  });
  const added = node.injectSynthetic(MEMPOOL_TXS);
  const now = node.clock();
  let selected = 0;
  new TemplateBuilder(node.chain).template(now); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const template = new TemplateBuilder(node.chain).template(now);
    samples.push(performance.now() - start);
    selected = template.transactions.length;
  }
  emit({
    bench: 'devnet.getblocktemplate.build',
    value: Number(percentiles(samples).median.toFixed(2)),
    unit: 'ms',
    mempool: added,
    selected,
    runs: RUNS,
  });
}
