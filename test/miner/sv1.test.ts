// `strata miner --sv1` against a scripted V1 server: handshake order, shares
// whose rebuilt header meets the difficulty, BIP310 version bits, ping,
// set_extranonce, accepted/rejected counting, and standing in for home miners
// (user agent, suggest_difficulty, hashrate cap, time to the first share).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, difficultyToTarget, hashMeetsTarget, headerHash } from '../../src/bitcoin/index.js';
import { createLogger } from '../../src/log.js';
import { startMiner } from '../../src/roles/miner/index.js';
import { ROOT } from '../helpers/paths.js';
import { FakeSv1Server, type Sv1Msg } from './fake-sv1-server.js';
import { launchMiner, type MinerRun } from './launch.js';

// Difficulty 2^-19: about one hash in 2^13 meets it.
const DIFFICULTY = 2 ** -19;
const MASK = 0x1fffe000;

function checkSubmit(server: FakeSv1Server, s: Sv1Msg, mask: number): void {
  const p = s.params as string[];
  assert.equal(p[0], 'acct.sv1');
  assert.match(p[2]!, /^[0-9a-f]{8}$/, 'extranonce2 is 4 bytes of hex');
  assert.match(p[3]!, /^[0-9a-f]{8}$/);
  assert.match(p[4]!, /^[0-9a-f]{8}$/);
  const job = server.jobs.get(p[1]!)!;
  const ntime = parseInt(p[3]!, 16);
  assert.ok(ntime >= job.ntime && ntime <= job.ntime + Math.ceil((Date.now() - job.sentAt) / 1000) + 1);
  const hash = headerHash(server.rebuildHeader(s, mask));
  assert.ok(
    hashMeetsTarget(hash, difficultyToTarget(DIFFICULTY)),
    `submit ${String(s.id)} misses the target`,
  );
}

/** `strata miner --sv1` on one thread against `server` as acct.sv1, stopped when `t` ends. */
async function launchSv1Miner(
  t: TestContext,
  server: FakeSv1Server,
  extra: string[] = [],
): Promise<MinerRun> {
  const miner = await launchMiner([
    '--sv1',
    '--pool',
    `127.0.0.1:${server.port}`,
    '--user',
    'acct.sv1',
    '--threads',
    '1',
    ...extra,
  ]);
  t.after(() => miner.stop());
  return miner;
}

test(
  'SV1 miner: configure/subscribe/authorize in order, valid rolled shares, ping, counts',
  { timeout: 90_000 },
  async (t) => {
    const server = await FakeSv1Server.start({
      difficulty: DIFFICULTY,
      reply: (n) =>
        n % 2 === 1
          ? { result: false, error: [23, 'Low difficulty share', null] }
          : { result: true, error: null },
    });
    t.after(() => server.close());
    const miner = await launchSv1Miner(t, server, [
      '--password',
      'secret',
      '--version-rolling',
      '--report-interval',
      '0.5',
      '--log-level',
      'debug',
    ]);

    await miner.waitFor((r) => r.msg === 'connected' && r.connections === 1);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const first = server.lines.slice(0, 3);
    assert.deepEqual(
      first.map((l) => l.method),
      ['mining.configure', 'mining.subscribe', 'mining.authorize'],
    );
    assert.deepEqual((first[0]!.params as unknown[])[0], ['version-rolling']);
    assert.deepEqual(first[1]!.params, [`strata-miner/${pkg.version}`]);
    assert.deepEqual(first[2]!.params, ['acct.sv1', 'secret']);

    await server.until(() => server.lines.some((l) => l.id === 99 && l.result === 'pong'));
    await server.until(() => server.submits.length >= 4);
    for (const s of server.submits.slice(0, 4)) {
      assert.equal(s.params!.length, 6, 'version bits sent when rolling is negotiated');
      checkSubmit(server, s, MASK);
    }
    await miner.waitFor(
      (r) =>
        r.msg === 'report' &&
        (r.accepted as number) >= 1 &&
        ((r.rejected_by_reason as Record<string, number>)['Low difficulty share'] ?? 0) >= 1,
    );
    assert.ok(miner.records.some((r) => r.msg === 'share rejected' && r.reason === 'Low difficulty share'));
  },
);

test(
  'SV1 miner without rolling: no configure, 5-param submits, set_extranonce applies at the next job',
  { timeout: 90_000 },
  async (t) => {
    const server = await FakeSv1Server.start({ difficulty: DIFFICULTY });
    t.after(() => server.close());
    const miner = await launchSv1Miner(t, server);
    await miner.waitFor((r) => r.msg === 'connected');
    assert.equal(server.lines[0]!.method, 'mining.subscribe');
    await server.until(() => server.submits.length >= 2);
    for (const s of server.submits) {
      assert.equal(s.params!.length, 5);
      checkSubmit(server, s, 0);
    }

    const newExtranonce1 = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    server.send({ id: null, method: 'mining.set_extranonce', params: [bytesToHex(newExtranonce1), 4] });
    server.extranonce1 = newExtranonce1;
    const job = server.notify();
    await server.until(() => server.submits.some((s) => s.params![1] === job.job_id));
    for (const s of server.submits.filter((s) => s.params![1] === job.job_id)) checkSubmit(server, s, 0);
  },
);

const NERDMINER_UA = 'NerdMinerV2/1.8.3';
// Well below one thread of any machine this runs on (about 1 MH/s per thread).
const MAX_HASHRATE = 20_000;

test(
  'SV1 miner as a NerdMiner: its user agent, float suggest_difficulty after the authorize reply, ' +
    'get_version, --max-hashrate caps the reported hashrate, first share accepted logged once',
  { timeout: 90_000 },
  async (t) => {
    const server = await FakeSv1Server.start({ difficulty: DIFFICULTY, pingBeforeAuthorizeReply: true });
    t.after(() => server.close());
    const miner = await launchSv1Miner(t, server, [
      '--user-agent',
      NERDMINER_UA,
      '--suggest-difficulty',
      '0.00015',
      '--max-hashrate',
      String(MAX_HASHRATE),
      '--threads',
      '2',
      // Long enough that the threads' quarter-second hash reports hardly shift a window.
      '--report-interval',
      '3',
    ]);
    await miner.waitFor((r) => r.msg === 'connected');
    assert.deepEqual(server.lines[0], { id: 1, method: 'mining.subscribe', params: [NERDMINER_UA] });

    await server.until(() => server.lines.some((l) => l.method === 'mining.suggest_difficulty'));
    const at = server.lines.findIndex((l) => l.method === 'mining.suggest_difficulty');
    assert.ok(
      at >= server.authorizeReplyAt.get(0)!,
      'suggest_difficulty is sent only after the authorize reply',
    );
    assert.deepEqual(server.lines[at]!.params, [0.00015]);
    assert.match(server.rawLines[at]!, /"params":\[0\.00015\]/, 'sent as the float it was given');

    server.send({ id: 77, method: 'client.get_version', params: [] });
    await server.until(() => server.lines.some((l) => l.id === 77));
    assert.deepEqual(
      server.lines.find((l) => l.id === 77),
      { id: 77, result: NERDMINER_UA, error: null },
    );

    // Reports after the first (which covers the start-up): throttled, not stopped.
    const reports: Record<string, unknown>[] = [];
    await miner.waitFor((r) => r.msg === 'report' && reports.push(r) >= 3 && (r.accepted as number) >= 2);
    for (const r of reports.slice(1)) {
      const rate = r.hashrate as number;
      assert.ok(rate > 0, `report ${JSON.stringify(r)}: hashing`);
      assert.ok(rate <= MAX_HASHRATE * 1.2, `report ${JSON.stringify(r)}: over the ${MAX_HASHRATE} H/s cap`);
    }

    const first = miner.records.filter((r) => r.msg === 'first share accepted');
    assert.equal(first.length, 1, 'logged once per connection');
    assert.equal(typeof first[0]!.seconds, 'number');
    assert.ok((first[0]!.seconds as number) >= 0);
    assert.equal(first[0]!.difficulty, DIFFICULTY);
  },
);

test(
  'SV1 miner as an ESP-Miner: integer suggest_difficulty stays an integer',
  { timeout: 60_000 },
  async (t) => {
    const server = await FakeSv1Server.start({ difficulty: DIFFICULTY });
    t.after(() => server.close());
    const ua = 'bitaxe/BM1370/v2.9.0';
    const miner = await launchSv1Miner(t, server, ['--user-agent', ua, '--suggest-difficulty', '1000']);
    await miner.waitFor((r) => r.msg === 'connected');
    assert.deepEqual(server.lines[0]!.params, [ua]);
    await server.until(() => server.lines.some((l) => l.method === 'mining.suggest_difficulty'));
    const at = server.lines.findIndex((l) => l.method === 'mining.suggest_difficulty');
    const [value] = server.lines[at]!.params as number[];
    assert.ok(Number.isInteger(value) && value === 1000);
    assert.match(server.rawLines[at]!, /"params":\[1000\]/, 'no fraction, no exponent');
  },
);

test(
  'SV1 miner repeats mining.suggest_difficulty every interval on the same connection',
  { timeout: 60_000 },
  async (t) => {
    // The 30 s interval is an option of startMiner only; run in this process with a short one.
    const server = await FakeSv1Server.start({ difficulty: DIFFICULTY });
    t.after(() => server.close());
    const log = createLogger({ role: 'miner', level: 'silent' });
    const miner = await startMiner(
      {
        mode: 'sv1',
        pool: { host: '127.0.0.1', port: server.port },
        user: 'acct.sv1',
        threads: 1,
        versionRolling: false,
        suggestDifficulty: 0.0001,
        suggestDifficultyIntervalMs: 200,
      },
      log,
    );
    t.after(() => miner.stop());
    const suggests = () => server.lines.filter((l) => l.method === 'mining.suggest_difficulty');
    await server.until(() => suggests().length >= 3);
    assert.equal(server.sockets.length, 1, 'one connection');
    const ids = suggests().map((l) => l.id);
    assert.equal(new Set(ids).size, ids.length, 'each suggestion has its own id');
    for (const l of suggests()) assert.deepEqual(l.params, [0.0001]);
  },
);
