// One translator worker process (see workers.ts): a whole translator, its
// own upstream connection and channels, listening on the V1 ports it shares
// with the other workers and serving the connections the primary admits.
// It ends when the primary stops it or goes away.
import type { AdmitReply } from '../common/worker-processes.js';
import { createLogger } from '../../log.js';
import { runUntilSignal } from '../common/shutdown.js';
import { translatorOptions } from './run.js';
import { Translator } from './translator.js';
import type { FromWorker, ToWorker } from './workers.js';

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg, undefined, {}, () => {});
}

const start = await new Promise<Extract<ToWorker, { t: 'start' }>>((resolve, reject) => {
  if (process.send === undefined)
    return reject(new Error('a translator worker is started by the translator'));
  process.once('message', (msg: ToWorker) => {
    if (msg.t === 'start') resolve(msg);
    else reject(new Error('a translator worker expects its settings first'));
  });
  send({ t: 'waiting' });
});

/** Connections waiting for the primary's answer, by the key they were asked under. */
const admissions = new Map<number, (admitted: boolean) => void>();
let nextKey = 1;

const cfg = start.config;
const logger = createLogger({ role: 'translator', level: cfg.log_level }).child({ worker: start.index });
const translator = new Translator({
  ...translatorOptions(cfg, logger),
  // The primary counts and limits connections, and prints the summary.
  maxConnections: Infinity,
  maxPerIp: Infinity,
  summaryMs: 0,
  admit: (ip, remotePort) =>
    new Promise((resolve) => {
      const key = nextKey++;
      admissions.set(key, resolve);
      send({ t: 'admit', key, ip, remotePort });
    }),
  onAdmittedClose: (ip) => send({ t: 'closed', ip }),
});

process.on('message', (msg: ToWorker | AdmitReply) => {
  if (msg.t === 'admitted' || msg.t === 'refused') {
    const answer = admissions.get(msg.key);
    admissions.delete(msg.key);
    answer?.(msg.t === 'admitted');
  } else if (msg.t === 'summary') {
    send({ t: 'summary', seq: msg.seq, summary: translator.summary() });
  }
});
// A worker whose primary is gone (killed) is ended by node:cluster itself.

const ports = await translator.start();
runUntilSignal(() => translator.stop(), { logger });
send({ t: 'listening', ports });
send({ t: 'ready' });
