// The soak run's simulated miners, in a process of their own so the roles'
// figures are theirs alone: V1 miners on the translator (the test suite's V1
// client) and SV2 miners on the pool over Noise (the pool tests' mining
// client), each submitting a share every --share-secs seconds (with jitter)
// and counting what it was told: V1 accepted/rejected replies, SV2
// new_submits_accepted_count of SubmitShares.Success and SubmitShares.Error.
// Prints JSON lines: 'miners ready', 'counts' every --report-secs, and on
// SIGTERM (it stops submitting, waits for the answers still due) 'final'.
//   node miners.js --translator-port P --pool-port P --pool-key FILE
//     [--v1 N] [--sv2 N] [--v1-account A] [--sv2-account A] [--share-secs S] [--report-secs S]
import { MiningClient, targetOf } from '../pool/fixture.js';
import { V1Client } from '../translator/v1-client.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`miners: --${name} is required`);
  return v;
}

const V1_COUNT = Number(arg('v1', '2000'));
const SV2_COUNT = Number(arg('sv2', '200'));
const TRANSLATOR_PORT = Number(arg('translator-port'));
const POOL_PORT = Number(arg('pool-port'));
const POOL_KEY = arg('pool-key');
const V1_ACCOUNT = arg('v1-account', 'soakv1');
const SV2_ACCOUNT = arg('sv2-account', 'soaksv2');
const SHARE_MS = Number(arg('share-secs', '10')) * 1000;
const REPORT_MS = Number(arg('report-secs', '60')) * 1000;
/** V1 connections per loopback source address (the translator allows 64 per address by default). */
const V1_PER_SOURCE = 50;
const BATCH = 100;

const print = (rec: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ t: Date.now(), ...rec }) + '\n');
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The next submit in SHARE_MS ± 50 %, so the miners do not submit in lockstep. */
const nextDelay = (): number => SHARE_MS * (0.5 + Math.random());

let stopping = false;
let pending = 0;
const v1 = {
  connected: 0,
  submitted: 0,
  accepted: 0,
  rejected: 0,
  errors: {} as Record<string, number>,
  lost: 0,
};
const sv2 = { connected: 0, submitted: 0, lost: 0 };
const v1Clients: V1Client[] = [];
const sv2Clients: MiningClient[] = [];
const timers = new Set<NodeJS.Timeout>();

function later(fn: () => void): void {
  if (stopping) return;
  const timer = setTimeout(() => {
    timers.delete(timer);
    if (!stopping) fn();
  }, nextDelay());
  timers.add(timer);
}

async function v1Submit(c: V1Client, worker: string): Promise<void> {
  if (c.closed) {
    v1.lost++;
    return;
  }
  const params = c.findShare(worker, 1_000_000, true);
  if (params !== undefined) {
    v1.submitted++;
    pending++;
    try {
      const reply = await c.request('mining.submit', params);
      if (reply.result === true) v1.accepted++;
      else {
        v1.rejected++;
        const reason = JSON.stringify(reply.error ?? reply.result);
        v1.errors[reason] = (v1.errors[reason] ?? 0) + 1;
      }
    } catch {
      v1.lost++;
    } finally {
      pending--;
    }
    // The client keeps every line; a long run only needs the recent ones.
    if (c.lines.length > 200) c.lines.splice(0, c.lines.length - 50);
    if (c.notifies.length > 20) c.notifies.splice(0, c.notifies.length - 5);
  }
  later(() => void v1Submit(c, worker));
}

async function startV1(): Promise<void> {
  for (let start = 0; start < V1_COUNT; start += BATCH) {
    const n = Math.min(BATCH, V1_COUNT - start);
    await Promise.all(
      Array.from({ length: n }, async (_, k) => {
        const i = start + k;
        const c = await V1Client.connect(TRANSLATOR_PORT, `127.0.0.${2 + Math.floor(i / V1_PER_SOURCE)}`);
        v1Clients.push(c);
        const worker = `${V1_ACCOUNT}.m${i}`;
        await c.handshake(worker);
        if (c.closed) throw new Error(`V1 miner ${worker} was disconnected during its handshake`);
        v1.connected++;
        if (i === 0) print({ msg: 'v1 difficulty', difficulty: c.difficulty, nbits: c.notify?.nbits });
        later(() => void v1Submit(c, worker));
      }),
    );
  }
}

async function sv2Submit(
  c: MiningClient,
  channel: Parameters<MiningClient['mine']>[0],
  target: { value: bigint },
): Promise<void> {
  if (c.conn.isClosed) {
    sv2.lost++;
    return;
  }
  const work = await c.activeWork();
  // The pool may move the target (SetTarget): the miner follows the newest.
  const received = c.received;
  for (let i = received.length - 1; i >= 0; i--) {
    const m = received[i]!;
    if (m.type === 'SetTarget') {
      target.value = targetOf(m.maximum_target);
      break;
    }
  }
  await c.send(c.mine(channel, work, target.value, 'share'));
  sv2.submitted++;
  later(() => void sv2Submit(c, channel, target).catch(() => sv2.lost++));
}

async function startSv2(): Promise<void> {
  // Beyond 127.0.0.1 + the V1 miners' addresses.
  const firstSource = 3 + Math.ceil(V1_COUNT / V1_PER_SOURCE);
  for (let start = 0; start < SV2_COUNT; start += BATCH) {
    const n = Math.min(BATCH, SV2_COUNT - start);
    await Promise.all(
      Array.from({ length: n }, async (_, k) => {
        const i = start + k;
        const c = await MiningClient.connect(
          undefined,
          POOL_PORT,
          { publicPath: POOL_KEY },
          `127.0.0.${firstSource + Math.floor(i / V1_PER_SOURCE)}`,
        );
        sv2Clients.push(c);
        const setup = await c.setup();
        if (setup.type !== 'SetupConnectionSuccess') throw new Error(`SV2 miner ${i}: ${setup.type}`);
        const open = await c.openExtended(`${SV2_ACCOUNT}.w${i}`);
        if (open.type !== 'OpenExtendedMiningChannelSuccess') throw new Error(`SV2 miner ${i}: ${open.type}`);
        const target = { value: targetOf(open.target) };
        if (i === 0) print({ msg: 'sv2 target', target: target.value.toString(16) });
        sv2.connected++;
        later(() => void sv2Submit(c, open, target).catch(() => sv2.lost++));
      }),
    );
  }
}

function counts(): Record<string, unknown> {
  let acknowledged = 0;
  let refused = 0;
  const reasons: Record<string, number> = {};
  for (const c of sv2Clients) {
    acknowledged += c.acknowledged;
    refused += c.refused;
    for (const m of c.received) {
      if (m.type === 'SubmitSharesError') reasons[m.error_code] = (reasons[m.error_code] ?? 0) + 1;
    }
  }
  return {
    v1: { ...v1, errors: { ...v1.errors }, open: v1Clients.filter((c) => !c.closed).length },
    sv2: {
      ...sv2,
      acknowledged,
      refused,
      errors: reasons,
      open: sv2Clients.filter((c) => !c.conn.isClosed).length,
    },
  };
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearTimeout(t);
  // V1 replies come at once, SV2 acknowledgements within a second of batching.
  const end = Date.now() + 5000;
  while (pending > 0 && Date.now() < end) await sleep(50);
  await sleep(3000);
  print({ msg: 'final', ...counts() });
  for (const c of v1Clients) c.close();
  for (const c of sv2Clients) c.close();
  process.exit(0);
}

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

try {
  await Promise.all([startV1(), startSv2()]);
} catch (err) {
  print({ msg: 'miners failed', error: String(err), ...counts() });
  process.exit(1);
}
print({ msg: 'miners ready', ...counts() });
setInterval(() => print({ msg: 'counts', ...counts() }), REPORT_MS).unref();
// Keeps the process up while only unref'd timers and sockets remain.
setInterval(() => {}, 1 << 30);
