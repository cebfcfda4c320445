// Recorded handshakes of real firmware, one per behaviour, replayed against a
// scripted upstream. Every line the session sends is asserted, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { difficultyToTarget } from '../../src/bitcoin/index.js';
import { CPU_PORT, RESUME_TTL_MS, ResumeRegistry, type MinerExtranonce } from '../../src/sv1/index.js';
import {
  EXTRANONCE,
  FakeUpstream,
  findNonce,
  harness,
  makeJob,
  minerHeader,
  notifyLine,
  ok,
  parseNotify,
  setDifficulty,
  subscribeResult,
} from './fixture.js';

const SID = '00001234'; // session id without a registry: the epoch
const ROLL = 0x1fffe000;
const rolling = { 'version-rolling': true, 'version-rolling.mask': '1fffe000' };
const req = (id: unknown, method: string, params: unknown[]): string =>
  JSON.stringify({ id, method, params });
const configureEsp = (id: number): string =>
  req(id, 'mining.configure', [['version-rolling'], { 'version-rolling.mask': 'ffffffff' }]);
const reject = (id: number, code: number, msg: string): string =>
  JSON.stringify({ id, result: false, error: [code, msg, null], 'reject-reason': msg });

test('cgminer: blocking configure, each reply is the very next line', async () => {
  const h = harness();
  const job = h.upstream.job!;
  assert.deepEqual(
    await h.feed([
      req(1, 'mining.configure', [
        ['version-rolling'],
        { 'version-rolling.mask': 'ffffffff', 'version-rolling.min-bit-count': 2 },
      ]),
    ]),
    [ok(1, rolling)],
  );
  assert.deepEqual(await h.feed([req(2, 'mining.subscribe', ['cgminer/4.11.1'])]), [subscribeResult(2, SID)]);
  assert.deepEqual(await h.feed([req(3, 'mining.authorize', ['bc1qminer.rig1', 'x'])]), [
    ok(3),
    setDifficulty(8192),
    notifyLine('12341', job, true, ROLL),
  ]);
  // At cgminer's start difficulty (8192) an arbitrary nonce is a low-difficulty share.
  assert.deepEqual(
    await h.feed([
      req(4, 'mining.submit', ['bc1qminer.rig1', '12341', '00000000', '66000000', '00000000', '00002000']),
    ]),
    [reject(4, 23, 'Low difficulty share')],
  );
  // Version bits outside the granted mask.
  assert.deepEqual(
    await h.feed([
      req(5, 'mining.submit', ['bc1qminer.rig1', '12341', '00000000', '66000000', '00000000', '00000020']),
    ]),
    [reject(5, 20, 'Invalid version mask')],
  );
  // An integer suggestion after work started: set_difficulty then a fresh job.
  assert.deepEqual(await h.feed([req(6, 'mining.suggest_difficulty', [2048])]), [
    ok(6),
    setDifficulty(2048),
    notifyLine('12342', job, true, ROLL),
  ]);
  assert.deepEqual(h.closed, []);
});

test('ESP-Miner (current): configure/subscribe/authorize pipelined, suggest and extranonce.subscribe after auth', async () => {
  const h = harness();
  const job = h.upstream.job!;
  assert.deepEqual(
    await h.feed([
      configureEsp(1),
      req(2, 'mining.subscribe', ['bitaxe/BM1370/v2.9.0']),
      req(3, 'mining.authorize', ['bc1q.axe', 'x']),
    ]),
    [
      ok(1, rolling),
      subscribeResult(2, SID),
      ok(3),
      setDifficulty(512),
      notifyLine('12341', job, true, ROLL),
    ],
  );
  assert.deepEqual(
    await h.feed([req(4, 'mining.suggest_difficulty', [1000]), req(5, 'mining.extranonce.subscribe', [])]),
    [ok(4), setDifficulty(1000), notifyLine('12342', job, true, ROLL), ok(5)],
  );
});

test('ESP-Miner (2024 and early 2025): three pipelined orders, replies matched by ids 1–4', async () => {
  const job = makeJob();
  const orders: [string[], string[]][] = [
    [
      [
        req(1, 'mining.subscribe', ['bitaxe/BM1366/v2.1.0']),
        configureEsp(2),
        req(3, 'mining.suggest_difficulty', [1000]),
        req(4, 'mining.authorize', ['bc1q.axe', 'x']),
      ],
      [subscribeResult(1, SID), ok(2, rolling), ok(3), ok(4)],
    ],
    [
      [
        req(1, 'mining.subscribe', ['bitaxe/BM1366/v2.1.0']),
        configureEsp(2),
        req(3, 'mining.authorize', ['bc1q.axe', 'x']),
        req(4, 'mining.suggest_difficulty', [1000]),
      ],
      [subscribeResult(1, SID), ok(2, rolling), ok(3), ok(4)],
    ],
    [
      [
        configureEsp(1),
        req(2, 'mining.subscribe', ['bitaxe/BM1368/v2.5.0']),
        req(3, 'mining.authorize', ['bc1q.axe', 'x']),
        req(4, 'mining.suggest_difficulty', [1000]),
      ],
      [ok(1, rolling), subscribeResult(2, SID), ok(3), ok(4)],
    ],
  ];
  for (const [lines, replies] of orders) {
    const h = harness();
    // The whole pipeline arrives in one read, so the suggestion is the starting difficulty.
    assert.deepEqual(await h.feed(lines), [
      ...replies,
      setDifficulty(1000),
      notifyLine('12341', job, true, ROLL),
    ]);
  }
});

test('NerdMiner: one-line subscribe read, float suggest every 30 s, unpadded nonce, 5-param submit', async () => {
  const h = harness({ port: CPU_PORT });
  const job = h.upstream.job!;
  assert.deepEqual(await h.feed([req(1, 'mining.subscribe', ['NerdMinerV2/1.8.3'])]), [
    subscribeResult(1, SID),
  ]);
  const work = await h.feed(
    [req(2, 'mining.authorize', ['bc1q.nerd', 'x']), req(3, 'mining.suggest_difficulty', [0.00015])],
    200,
  );
  assert.deepEqual(work, [ok(2), ok(3), setDifficulty(0.00015), notifyLine('12341', job, true)]);

  const notify = parseNotify(work[3]!);
  const header = minerHeader(
    notify,
    Buffer.from(EXTRANONCE.extranonce1).toString('hex'),
    '00000001',
    job.ntime,
    0,
  );
  const nonce = findNonce(header, difficultyToTarget(0.00015));
  const nonceHex = nonce.toString(16); // Arduino String(n, HEX) without padding
  assert.ok(nonceHex.length < 8, 'the found nonce exercises left-padding');
  assert.deepEqual(
    await h.feed([req(4, 'mining.submit', ['bc1q.nerd', '12341', '00000001', notify.ntime, nonceHex])], 1000),
    [ok(4)],
  );
  const share = h.upstream.shares[0]!;
  assert.equal(share.nonce, nonce);
  assert.equal(share.version, job.version);
  assert.equal(Buffer.from(share.extranonce).toString('hex'), '010200000001');
  // The keep-alive repeat of the same suggestion changes nothing.
  assert.deepEqual(await h.feed([req(5, 'mining.suggest_difficulty', [0.00015])], 30_200), [ok(5)]);
});

test('WhatsMiner: large ids, ttl key, empty password, session id resume within 10 minutes', async () => {
  let n = 0;
  const registry = new ResumeRegistry(
    RESUME_TTL_MS,
    1000,
    () => `5e55${(++n).toString(16).padStart(4, '0')}`,
  );
  const first = harness({ resume: registry });
  const job = first.upstream.job!;
  assert.deepEqual(await first.feed([req(3587155, 'mining.subscribe', ['whatsminer/v1.0'])]), [
    subscribeResult(3587155, '5e550001'),
  ]);
  const auth = JSON.stringify({ id: 3587156, method: 'mining.authorize', params: ['acct.ws1', ''], ttl: 2 });
  assert.deepEqual(await first.feed([auth]), [
    ok(3587156),
    setDifficulty(16384),
    notifyLine('12341', job, true),
  ]);
  assert.deepEqual(first.upstream.authorizes, [['acct.ws1', '']]);
  first.session.end(60_000);

  // Reconnect 5 minutes later with the session id and an id beyond 2^53: same extranonce1, id echoed digit for digit.
  const other: MinerExtranonce = { ...EXTRANONCE, extranonce1: Uint8Array.from([9, 9, 9, 9, 9, 9]) };
  const second = harness({ resume: registry });
  second.upstream.extranonce = other;
  const big = '12345678901234567890123';
  const lines = await second.feed(
    [`{"id":${big},"method":"mining.subscribe","params":["whatsminer/v1.0","5e550001"]}`],
    360_000,
  );
  assert.deepEqual(lines, [subscribeResult(0, '5e550001').replace('{"id":0,', `{"id":${big},`)]);
  assert.deepEqual(second.upstream.subscribes[0]!.resume, EXTRANONCE);
  second.session.end(400_000);

  // After more than 10 minutes the id is forgotten: a new extranonce and a new id.
  const third = harness({ resume: registry });
  third.upstream.extranonce = other;
  assert.deepEqual(
    await third.feed(
      [req('w-1', 'mining.subscribe', ['whatsminer/v1.0', '5e550001'])],
      400_000 + RESUME_TTL_MS + 1,
    ),
    [subscribeResult('w-1', '5e550002', other)],
  );
});

test('proxies: authorize before subscribe, in one read and in two', async () => {
  const job = makeJob();
  const a = harness();
  assert.deepEqual(
    await a.feed([req(1, 'mining.authorize', ['acct.proxy', 'x']), req(2, 'mining.subscribe', [])]),
    [ok(1), subscribeResult(2, SID), setDifficulty(1024), notifyLine('12341', job, true)],
  );
  const b = harness();
  assert.deepEqual(await b.feed([req(1, 'mining.authorize', ['acct.proxy', 'x'])]), [ok(1)]);
  assert.deepEqual(await b.feed([req(2, 'mining.subscribe', ['stratum-proxy/0.1'])]), [
    subscribeResult(2, SID),
    setDifficulty(1024),
    notifyLine('12341', job, true),
  ]);
});

test('cpuminer-opt: a third authorize param is ignored; d= in the password sets the difficulty', async () => {
  const h = harness();
  const job = h.upstream.job!;
  assert.deepEqual(
    await h.feed([
      req(1, 'mining.subscribe', ['cpuminer-opt/23.5']),
      req(2, 'mining.authorize', ['acct.cpu', 'x,d=4096', 's2']),
    ]),
    [subscribeResult(1, SID), ok(2), setDifficulty(4096), notifyLine('12341', job, true)],
  );
  // d= is a floor: a lower suggestion is clamped up to it and so changes nothing on the wire.
  assert.deepEqual(await h.feed([req(3, 'mining.suggest_difficulty', [8])]), [ok(3)]);
});

test('extranonce.subscribe then set_extranonce, followed by a clean job', async () => {
  const h = harness();
  const job = h.upstream.job!;
  await h.feed([
    req(1, 'mining.subscribe', []),
    req(2, 'mining.authorize', ['acct.x', '']),
    req(3, 'mining.extranonce.subscribe', []),
  ]);
  const next: MinerExtranonce = {
    extranonce1: Uint8Array.from([0, 0, 0xbe, 0xef, 0, 7]),
    extranonce2_size: 8,
    upstream_prefix_length: 4,
  };
  assert.equal(h.session.setExtranonce(next, 10), true);
  await h.session.idle();
  assert.deepEqual(h.take(), [
    JSON.stringify({ id: null, method: 'mining.set_extranonce', params: ['0000beef0007', 8] }),
    notifyLine('12342', job, true),
  ]);
  // Without the subscription the translator must reconnect the miner instead.
  const plain = harness();
  await plain.feed([req(1, 'mining.subscribe', []), req(2, 'mining.authorize', ['acct.x', ''])]);
  assert.equal(plain.session.setExtranonce(next, 10), false);
  plain.session.reconnect(11);
  await plain.session.idle();
  assert.deepEqual(plain.take(), [JSON.stringify({ id: null, method: 'client.reconnect', params: [] })]);
  assert.deepEqual(plain.closed, ['reconnect requested']);
});

test('a slow upstream keeps replies in arrival order and holds jobs back until the handshake is answered', async () => {
  const upstream = new FakeUpstream();
  let release!: () => void;
  upstream.gate = new Promise((r) => (release = r));
  const h = harness({}, upstream);
  h.session.receive(
    [configureEsp(1), req(2, 'mining.subscribe', []), req(3, 'mining.authorize', ['a.b', ''])].join('\n') +
      '\n',
    0,
  );
  const pushed = makeJob({ job_id: 8, ntime: 0x66000010 });
  h.session.pushJob(pushed, 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.take(), [ok(1, rolling)]);
  release();
  await h.session.idle();
  assert.deepEqual(h.take(), [
    subscribeResult(2, SID),
    ok(3),
    setDifficulty(1024),
    notifyLine('12341', pushed, true, ROLL),
  ]);
});

test('upstream forbids version rolling: configure answers false, rolled shares are refused', async () => {
  const upstream = new FakeUpstream();
  upstream.mask = 0;
  const h = harness({}, upstream);
  const job = upstream.job!;
  assert.deepEqual(
    await h.feed([configureEsp(1), req(2, 'mining.subscribe', []), req(3, 'mining.authorize', ['a.b', ''])]),
    [
      ok(1, { 'version-rolling': false }),
      subscribeResult(2, SID),
      ok(3),
      setDifficulty(1024),
      notifyLine('12341', job, true),
    ],
  );
  assert.deepEqual(
    await h.feed([req(4, 'mining.submit', ['a.b', '12341', '00000000', '66000000', '00000000', '00002000'])]),
    [reject(4, 20, 'Invalid version mask')],
  );
});

test('a job that forbids rolling after the mask was granted sends set_version_mask first', async () => {
  const h = harness();
  await h.feed([configureEsp(1), req(2, 'mining.subscribe', []), req(3, 'mining.authorize', ['a.b', ''])]);
  const fixed = makeJob({ job_id: 9, version_rolling_allowed: false, clean_jobs: false });
  h.session.pushJob(fixed, 5);
  await h.session.idle();
  assert.deepEqual(h.take(), [
    JSON.stringify({ id: null, method: 'mining.set_version_mask', params: ['00000000'] }),
    notifyLine('12342', fixed, false),
  ]);
  const rollable = makeJob({ job_id: 10, clean_jobs: false });
  h.session.pushJob(rollable, 6);
  await h.session.idle();
  assert.deepEqual(h.take(), [
    JSON.stringify({ id: null, method: 'mining.set_version_mask', params: ['1fffe000'] }),
    notifyLine('12343', rollable, false, ROLL),
  ]);
});
