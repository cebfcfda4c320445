// SV1: the bounded line splitter with the JSON-RPC envelope parser, and the
// whole miner session state machine driven by sequences of lines. Neither
// API throws; every line the session writes must be JSON, and the session
// must never report an internal error.
import {
  ASIC_PORT,
  CPU_PORT,
  errorLine,
  LineSplitter,
  parseInbound,
  rejectLine,
  resultLine,
  ResumeRegistry,
  Sv1Session,
  type AuthorizeAnswer,
  type MinerExtranonce,
  type SubmitAnswer,
  type SubscribeRequest,
} from '../../../src/sv1/index.js';
import { FakeUpstream, makeJob } from '../../sv1/fixture.js';
import { rawJson, stringifyRaw, utf8, type FuzzTarget, type Rng } from '../core.js';

const METHODS = [
  'mining.subscribe',
  'mining.authorize',
  'mining.configure',
  'mining.submit',
  'mining.suggest_difficulty',
  'mining.suggest_target',
  'mining.extranonce.subscribe',
  'mining.get_transactions',
  'mining.multi_version',
  'pong',
];

const AGENTS = [
  'cgminer/4.11.1',
  'bmminer/2.0.0',
  'bitaxe/BM1370/v2.9.0',
  'NerdMinerV2',
  'cpuminer/2.5.1',
  '',
];

function hexOf(rng: Rng, bytes: number): string {
  return Buffer.from(rng.bytes(bytes)).toString('hex');
}

function randomId(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => rng.int(100),
    () => String(rng.int(100)),
    () => null,
    () => 1e300,
    () => -1,
    () => rawJson('12345678901234567890'),
    () => rawJson('1e400'),
    () => rawJson('-0.0e-7'),
    () => 1.5,
    () => [1],
    () => ({ a: 1 }),
    () => true,
  ])();
}

function randomParam(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => hexOf(rng, rng.pick([1, 2, 4, 8])),
    () => rng.int(1 << 30),
    () => -rng.int(1000),
    () => rawJson('1e308'),
    () => 0.001,
    () => null,
    () => '',
    () => 'x'.repeat(rng.size(600)),
    () => [],
    () => ({}),
    () => true,
    () => 'bc1qminer.rig' + rng.int(5),
  ])();
}

/** One request line in the shape firmware sends, with fields varied. */
export function sv1Request(rng: Rng, n: number, wanted?: string): string {
  const method = wanted ?? (rng.chance(0.9) ? rng.pick(METHODS) : 'mining.' + hexOf(rng, 2));
  const id = rng.chance(0.8) ? n : randomId(rng);
  let params: unknown;
  switch (method) {
    case 'mining.subscribe':
      params = rng.chance(0.7) ? [rng.pick(AGENTS)] : [rng.pick(AGENTS), hexOf(rng, 4)];
      break;
    case 'mining.authorize':
      params = [
        rng.chance(0.8) ? 'bc1qminer.rig' + rng.int(3) : String(randomParam(rng)),
        rng.pick(['x', 'd=1024', 'd=0', 'd=1e400', 'd=-5', 'sd=2']),
      ];
      break;
    case 'mining.configure':
      params = [
        ['version-rolling', 'minimum-difficulty', 'subscribe-extranonce', 'info'].filter(() =>
          rng.chance(0.5),
        ),
        {
          'version-rolling.mask': rng.pick(['1fffe000', 'ffffffff', '0', 'zz', '1fffe0000']),
          'version-rolling.min-bit-count': rng.int(20),
          'minimum-difficulty.value': rng.pick([1, 0, -1, 1e300, 'x']),
        },
      ];
      break;
    case 'mining.submit':
      params = [
        rng.chance(0.8) ? 'bc1qminer.rig1' : 'bc1qminer.rig' + rng.int(3),
        rng.chance(0.5)
          ? '12341'
          : rng.chance(0.8)
            ? '1234' + (1 + rng.int(6)).toString(16)
            : hexOf(rng, rng.int(5)),
        hexOf(rng, rng.chance(0.8) ? 4 : rng.int(9)),
        rng.chance(0.8) ? '66000000' : hexOf(rng, rng.int(5)),
        hexOf(rng, 4),
        ...(rng.chance(0.5) ? [hexOf(rng, rng.chance(0.8) ? 4 : rng.int(6))] : []),
      ];
      break;
    case 'mining.suggest_difficulty':
      params = [rng.pick([1, 1024, 0, -1, 1e300, 0.0001, '512', null])];
      break;
    case 'mining.suggest_target':
      params = [rng.chance(0.7) ? hexOf(rng, 32) : randomParam(rng)];
      break;
    default:
      params = Array.from({ length: rng.int(4) }, () => randomParam(rng));
  }
  if (rng.chance(0.05)) params = randomParam(rng);
  const msg: Record<string, unknown> = { id, method, params };
  if (rng.chance(0.05)) delete msg.method;
  if (rng.chance(0.03)) msg.result = true;
  return stringifyRaw(msg);
}

function checkJson(line: string, what: string): void {
  try {
    JSON.parse(line);
  } catch {
    throw new Error(`${what} is not JSON: ${line.slice(0, 200)}`);
  }
}

export const sv1Lines: FuzzTarget = {
  name: 'sv1-lines',
  description:
    'LineSplitter (fed in read-sized chunks) + parseInbound on every line; never throws, replies built from parsed ids are JSON',
  maxLength: 20_000,
  dictionary: [
    '\n',
    '\r\n',
    '"id":',
    '"method":',
    '"params":',
    'null',
    '1e400',
    '[',
    '{',
    '"',
    '\\u0000',
    '\u00ff',
  ],
  seeds: () => [
    utf8('{"id":1,"method":"mining.subscribe","params":["cgminer/4.11.1"]}\n'),
    utf8('{"id": 12345678901234567890123, "method":"mining.authorize","params":["a.b","x"]}\r\n\n'),
    Uint8Array.from([0xc3, 0x28, 0x0a, 0x7b, 0x7d, 0x0a]),
  ],
  generate(rng) {
    const lines: string[] = [];
    for (let n = 1 + rng.int(5); n > 0; n--) lines.push(sv1Request(rng, n));
    return utf8(lines.join(rng.chance(0.8) ? '\n' : '\r\n') + (rng.chance(0.8) ? '\n' : ''));
  },
  run(input) {
    const step = 1 + (input[0] ?? 0) * 31;
    const splitter = new LineSplitter(4096);
    for (let off = 0; off < input.length; off += step) {
      const { lines } = splitter.push(input.subarray(off, off + step));
      if (splitter.buffered > 4096) throw new Error(`splitter holds ${splitter.buffered} bytes`);
      for (const line of lines) {
        const m = parseInbound(line);
        if (m.kind === 'invalid') checkJson(errorLine(m.id, m.reject), 'errorLine');
        else {
          checkJson(resultLine(m.id, true), 'resultLine');
          checkJson(rejectLine(m.id, { code: 23, message: 'x' }), 'rejectLine');
        }
      }
    }
  },
};

/** An upstream whose answers the input's control lines change. */
class ScriptedUpstream extends FakeUpstream {
  refuseSubscribe = false;
  override subscribe(request: SubscribeRequest): MinerExtranonce | Promise<MinerExtranonce> {
    if (this.refuseSubscribe) throw new Error('upstream refused');
    return super.subscribe(request);
  }
  override authorize(user: string, password: string): AuthorizeAnswer {
    return super.authorize(user, password);
  }
}

const CONTROL = 0x01;

/** Share verdicts over a run, by reject reason ('accepted' for good ones): shows how deep the inputs get. */
export const shareOutcomes: Record<string, number> = {};

/**
 * Input: lines; a line starting with byte 0x01 is a harness action instead of
 * miner input (the next byte picks it: new job, clean job, tick, ping, upstream
 * difficulty, new extranonce, refuse authorize/subscribe, reject shares,
 * reconnect; `s` only waits for the replies; `p` first also selects a CPU port). Runs of miner lines are fed
 * in one read each.
 */
export const sv1Session: FuzzTarget = {
  name: 'sv1-session',
  description:
    "Sv1Session (the translator's miner state machine) on sequences of lines and upstream events; lines out must be JSON, no internal-error warnings",
  maxLength: 16_384,
  dictionary: [
    '\n',
    '\x01',
    '"mining.submit"',
    '"mining.subscribe"',
    '"mining.authorize"',
    '"mining.configure"',
    '1e400',
    'null',
    '12341',
  ],
  seeds: () => [
    utf8(
      [
        '{"id":1,"method":"mining.configure","params":[["version-rolling"],{"version-rolling.mask":"1fffe000"}]}',
        '{"id":2,"method":"mining.subscribe","params":["cgminer/4.11.1"]}',
        '{"id":3,"method":"mining.authorize","params":["bc1qminer.rig1","x"]}',
        '{"id":4,"method":"mining.submit","params":["bc1qminer.rig1","12341","00000000","66000000","00000000","00002000"]}',
        '\x01j',
        '{"id":5,"method":"mining.submit","params":["bc1qminer.rig1","12342","00000001","66000000","00000001"]}',
        '',
      ].join('\n'),
    ),
  ],
  generate(rng) {
    const lines: string[] = [];
    let n = 1;
    if (rng.chance(0.5)) lines.push('\x01p');
    if (rng.chance(0.8)) {
      // The handshake firmware sends, so that most sequences reach jobs and shares.
      if (rng.chance(0.5)) lines.push(sv1Request(rng, n++, 'mining.configure'));
      lines.push(sv1Request(rng, n++, 'mining.subscribe'));
      if (rng.chance(0.3)) lines.push(sv1Request(rng, n++, 'mining.extranonce.subscribe'));
      lines.push(`{"id":${n++},"method":"mining.authorize","params":["bc1qminer.rig1","x"]}`);
      if (rng.chance(0.5)) lines.push(`{"id":${n++},"method":"mining.suggest_difficulty","params":[1e-8]}`);
      lines.push('\x01s');
    }
    for (const end = n + 1 + rng.int(14); n < end; n++) {
      if (rng.chance(0.15)) lines.push('\x01' + String.fromCharCode(97 + rng.int(10)));
      else lines.push(sv1Request(rng, n, rng.chance(0.6) ? 'mining.submit' : undefined));
    }
    return utf8(lines.join('\n') + '\n');
  },
  async run(input) {
    const upstream = new ScriptedUpstream();
    const bad: string[] = [];
    let jobId = 7;
    let now = 1_000_000;
    const session = new Sv1Session(
      {
        upstream,
        send: (text) => {
          for (const l of text.split('\n')) {
            try {
              JSON.parse(l);
            } catch {
              bad.push(`line out is not JSON: ${l.slice(0, 200)}`);
            }
          }
        },
        close: () => undefined,
        onEvent: (e) => {
          if (e.type === 'share') {
            const k = e.accepted ? 'accepted' : e.reject.message;
            shareOutcomes[k] = (shareOutcomes[k] ?? 0) + 1;
          }
          if (
            e.type === 'warning' &&
            /^(internal error|mining\.[a-z_.]+):/.test(e.message) &&
            !e.message.includes('upstream refused')
          ) {
            bad.push(e.message);
          }
        },
        resume: new ResumeRegistry(),
        epoch: 0x1234,
        vardiff: {},
        // A leading control line `p` puts the miner on a CPU port (fractional difficulty), where random nonces make shares.
        port: input[0] === CONTROL && input[1] === 0x70 ? CPU_PORT : ASIC_PORT,
        maxQueued: 256,
      },
      now,
    );
    let pending: Uint8Array[] = [];
    const flush = (): void => {
      if (pending.length === 0) return;
      session.receive(Buffer.concat(pending), now);
      pending = [];
    };
    let start = 0;
    while (start < input.length) {
      let nl = input.indexOf(0x0a, start);
      if (nl < 0) nl = input.length;
      const line = input.subarray(start, Math.min(input.length, nl + 1));
      start = nl + 1;
      if (line[0] !== CONTROL) {
        pending.push(line);
        continue;
      }
      flush();
      await session.idle();
      // `s`: only wait for the replies (a miner waits for mining.notify before it submits).
      if (line[1] === 0x73) continue;
      switch ((line[1] ?? 0) % 10) {
        case 0:
          session.pushJob(makeJob({ job_id: ++jobId, clean_jobs: false }), now);
          break;
        case 1:
          session.pushJob(makeJob({ job_id: ++jobId, ntime: 0x66000000 + jobId, clean_jobs: true }), now);
          break;
        case 2:
          now += 60_000;
          session.tick(now);
          break;
        case 3:
          session.ping(now);
          break;
        case 4:
          session.setUpstreamDifficulty([0.5, 1, 1e6, 0, 1e300][jobId % 5]!, now);
          break;
        case 5:
          session.setExtranonce(
            {
              extranonce1: Uint8Array.of(0, 0, 0xab, jobId & 0xff),
              extranonce2_size: 1 + (jobId % 8),
              upstream_prefix_length: 2,
            },
            now,
          );
          break;
        case 6:
          upstream.authorizeAnswer = upstream.authorizeAnswer.ok
            ? { ok: false, reason: 'unknown account' }
            : { ok: true };
          break;
        case 7:
          upstream.refuseSubscribe = !upstream.refuseSubscribe;
          break;
        case 8:
          upstream.submitAnswer = (
            upstream.submitAnswer === undefined ? { accepted: false, code: 21, message: 'stale' } : undefined
          ) as SubmitAnswer;
          break;
        default:
          session.reconnect(now);
      }
    }
    flush();
    await session.idle();
    session.end(now);
    if (bad.length > 0) throw new Error(bad[0]);
  },
};
