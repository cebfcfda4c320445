// A bench-only prototype of share validation off the main thread: the
// channel state lives in a worker_threads thread (its jobs arrive there as a
// structured clone of the template and prev hash, as a pool would have to
// send every new job), and the main thread posts shares to it in batches and
// reads the verdicts back. Compared with the same shares validated inline.
// The figures that matter for the pool: shares per second through the
// pipeline, and the main thread's CPU per share (what the pool's event loop,
// which also runs Noise, decoding and the store, would get back).
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { ServerConnectionChannels, type NewTemplateMessage } from '../src/channels/index.js';
import type { MessageByName } from '../src/messages/index.js';
import { NOW, first, makeChain, openExtendedMsg, prevHash, template } from '../test/channels/fixture.js';

type Submit = MessageByName<'SubmitSharesExtended'>;

interface Channel {
  conn: ServerConnectionChannels;
  channel_id: number;
  job_id: number;
  extranonce_size: number;
  ntime: number;
}

/** A chain with one template on one tip and one extended channel: the same in every thread. */
function openChannel(t: NewTemplateMessage, p: ReturnType<typeof prevHash>): Channel {
  const chain = makeChain({ min_hashrate: 1e-9, duplicate_memory: 1 << 20 });
  chain.newTemplate(t);
  chain.setNewPrevHash(p, NOW);
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const out = conn.openExtended(openExtendedMsg(1, 0), { ok: true, payout_key: 'pool' }, NOW);
  const ext = first(out, 'OpenExtendedMiningChannelSuccess');
  const job = first(out, 'NewExtendedMiningJob');
  return {
    conn,
    channel_id: ext.channel_id,
    job_id: job.job_id,
    extranonce_size: ext.extranonce_size,
    ntime: p.header_timestamp,
  };
}

function share(c: Channel, nonce: number): Submit {
  return {
    type: 'SubmitSharesExtended',
    channel_id: c.channel_id,
    sequence_number: nonce,
    job_id: c.job_id,
    nonce,
    ntime: c.ntime,
    version: 0x20000000,
    extranonce: new Uint8Array(c.extranonce_size),
  };
}

/** Microseconds per structured clone of a 12-step template and its prev hash (1,000 clones). */
function cloneCost(t: NewTemplateMessage, p: ReturnType<typeof prevHash>): number {
  const n = 1000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) structuredClone({ t: 'job', template: t, prev: p });
  return Number((((performance.now() - t0) * 1000) / n).toFixed(1));
}

export interface ThreadFigures {
  /** Shares validated per second of wall time. */
  perSecond: number;
  /** Shares per CPU-second of the main thread (what it spends posting and reading verdicts). */
  perMainCpuSecond: number;
  /** Microseconds from posting the template and prev hash (structured clone) to a new thread until its channel is ready, thread start included. */
  threadStartUs: number;
  /** Microseconds to structured-clone one template and prev hash (what every new job costs the main thread to send). */
  jobCloneUs: number;
}

/** Inline: the main thread validates every share itself. */
export function measureInline(total: number): ThreadFigures {
  const c = openChannel(template(1n, true, 12), prevHash(1n));
  let accepted = 0;
  for (let i = 1; i <= 2000; i++) if (c.conn.submitExtended(share(c, i), NOW + 1000).accepted) accepted++;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 2001; i <= total + 2000; i++)
    if (c.conn.submitExtended(share(c, i), NOW + 1000).accepted) accepted++;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (accepted < total) throw new Error('validate bench: shares refused inline');
  return {
    perSecond: Math.round((total * 1000) / wall),
    perMainCpuSecond: Math.round(total / ((cpu.user + cpu.system) / 1e6)),
    threadStartUs: 0,
    jobCloneUs: 0,
  };
}

/**
 * `threads` validation threads, `batch` shares per message, `inFlight`
 * batches outstanding per thread. Each share goes to the thread that holds
 * its channel (here: one channel per thread).
 */
export async function measureThreads(
  threads: number,
  batch: number,
  total: number,
  inFlight = 4,
): Promise<ThreadFigures> {
  const t = template(1n, true, 12);
  const p = prevHash(1n);
  const workers = Array.from({ length: threads }, () => new Worker(fileURLToPath(import.meta.url)));
  try {
    const channels: Channel[] = [];
    let jobCloneMs = 0;
    for (const w of workers) {
      const started = performance.now();
      w.postMessage({ t: 'job', template: t, prev: p });
      await new Promise((r) => w.once('message', r));
      jobCloneMs += performance.now() - started;
      // The main thread's own copy names the same channel and job (the setup is deterministic).
      channels.push(openChannel(t, p));
    }
    const run = async (count: number): Promise<number> => {
      let nonce = 0;
      let accepted = 0;
      await Promise.all(
        workers.map(async (w, i) => {
          const c = channels[i]!;
          let sent = 0;
          let pending = 0;
          await new Promise<void>((done) => {
            const post = () => {
              while (pending < inFlight && sent < count / threads) {
                const shares: Submit[] = [];
                for (let k = 0; k < batch; k++) shares.push(share(c, ++nonce));
                w.postMessage({ t: 'shares', shares });
                sent += batch;
                pending++;
              }
              if (pending === 0) done();
            };
            const onVerdicts = (v: Uint8Array) => {
              pending--;
              for (const x of v) accepted += x;
              post();
            };
            w.on('message', onVerdicts);
            post();
          });
          w.removeAllListeners('message');
        }),
      );
      return accepted;
    };
    await run(Math.max(batch * threads * inFlight, 4096));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const accepted = await run(total);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (accepted === 0) throw new Error('validate bench: no share accepted by the threads');
    return {
      perSecond: Math.round((accepted * 1000) / wall),
      perMainCpuSecond: Math.round(accepted / ((cpu.user + cpu.system) / 1e6)),
      threadStartUs: Math.round((jobCloneMs * 1000) / threads),
      jobCloneUs: cloneCost(t, p),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ---- the validation thread ---------------------------------------------------------------------

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  let c: Channel | undefined;
  port.on(
    'message',
    (
      m:
        | { t: 'job'; template: NewTemplateMessage; prev: ReturnType<typeof prevHash> }
        | { t: 'shares'; shares: Submit[] },
    ) => {
      if (m.t === 'job') {
        c = openChannel(m.template, m.prev);
        port.postMessage(null);
        return;
      }
      const out = new Uint8Array(m.shares.length);
      for (let i = 0; i < m.shares.length; i++)
        out[i] = c!.conn.submitExtended(m.shares[i]!, NOW + 1000).accepted ? 1 : 0;
      port.postMessage(out, [out.buffer]);
    },
  );
}
