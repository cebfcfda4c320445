// One pool worker process (see workers.ts): a whole pool (template provider
// connection, chain, channels, vardiff, share validation, block submission)
// on the shared store, serving the connections the primary hands over and
// reporting its live figures to it. It ends when the primary stops it or
// goes away.
import type { Socket } from 'node:net';
import { createLogger } from '../../log.js';
import { runUntilSignal } from '../common/shutdown.js';
import { buildPool } from './index.js';
import { PoolLiveView } from './web.js';
import { LIVE_REPORT_MS, liveReport, type FromPoolWorker, type ToPoolWorker } from './workers.js';

function send(msg: FromPoolWorker): void {
  if (process.connected) process.send!(msg, undefined, {}, () => {});
}

const start = await new Promise<Extract<ToPoolWorker, { t: 'start' }>>((resolve, reject) => {
  if (process.send === undefined) return reject(new Error('a pool worker is started by the pool'));
  process.once('message', (msg: ToPoolWorker) => {
    if (msg.t === 'start') resolve(msg);
    else reject(new Error('a pool worker expects its settings first'));
  });
});

const cfg = start.config;
const logger = createLogger({ role: 'pool', level: cfg.log_level }).child({
  worker: start.index,
  pid: process.pid,
});
const { pool, authority, network } = await buildPool(cfg, logger, { index: start.index, count: start.count });
// Connections that arrive before the pool is started wait, paused, in order.
const early: Socket[] = [];
let started = false;

process.on('message', (msg: ToPoolWorker, handle: unknown) => {
  if (msg.t !== 'conn') return;
  const socket = handle as Socket | undefined;
  if (socket === undefined) return send({ t: 'closed', ip: msg.ip });
  socket.once('close', () => send({ t: 'closed', ip: msg.ip }));
  if (!started) return void early.push(socket);
  pool.adopt(socket);
  socket.resume();
});
// The primary is gone (killed): stop like on SIGTERM.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));

const { port } = await pool.start();
started = true;
for (const s of early.splice(0)) {
  pool.adopt(s);
  s.resume();
}
const live = new PoolLiveView(
  pool,
  authority.publicKeyText,
  port,
  cfg.payout_mode,
  cfg.pool_fee_percent,
  cfg.network,
  network,
);
const report = setInterval(() => send({ t: 'live', live: liveReport(live) }), LIVE_REPORT_MS);
report.unref();
runUntilSignal(
  async () => {
    clearInterval(report);
    await pool.stop();
  },
  { logger },
);
logger.info({ worker: start.index, workers: start.count }, 'pool worker ready');
send({ t: 'ready', pid: process.pid });
