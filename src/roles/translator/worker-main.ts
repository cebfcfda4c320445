// One translator worker process (see workers.ts): a whole translator, its
// own upstream connection and channels, serving the V1 connections the
// primary hands over. It ends when the primary stops it or goes away.
import type { Socket } from 'node:net';
import { createLogger } from '../../log.js';
import { runUntilSignal } from '../common/shutdown.js';
import { translatorOptions } from './index.js';
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
});

const cfg = start.config;
const logger = createLogger({ role: 'translator', level: cfg.log_level }).child({ worker: start.index });
const translator = new Translator({
  ...translatorOptions(cfg, logger),
  handedSockets: true,
  // The primary counts and limits connections, and prints the summary.
  maxConnections: Infinity,
  maxPerIp: Infinity,
  summaryMs: 0,
  onHandedClose: (id) => send({ t: 'closed', id }),
});

process.on('message', (msg: ToWorker, handle: unknown) => {
  if (msg.t === 'conn') {
    const socket = handle as Socket | undefined;
    if (socket === undefined) return send({ t: 'closed', id: msg.id });
    translator.acceptHanded(socket, msg.port, msg.id);
    socket.resume();
  } else if (msg.t === 'summary') {
    send({ t: 'summary', seq: msg.seq, summary: translator.summary() });
  }
});
// The primary is gone (killed): stop like on SIGTERM.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));

await translator.start();
let refusing = false;
setInterval(() => {
  if (translator.refusing === refusing) return;
  refusing = translator.refusing;
  send({ t: 'refusing', refusing });
}, 1000).unref();
runUntilSignal(() => translator.stop(), { logger });
send({ t: 'ready' });
