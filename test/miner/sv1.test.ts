// `strata miner --sv1` against a scripted V1 server: handshake order, shares
// whose rebuilt header meets the difficulty, BIP310 version bits, ping,
// set_extranonce, accepted/rejected counting.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, difficultyToTarget, hashMeetsTarget, headerHash } from '../../src/bitcoin/index.js';
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
