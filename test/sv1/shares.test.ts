// Share judgement through a session: difficulty per job, duplicates on the
// canonical header, stale and unknown jobs, field syntax and the ntime window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { difficultyToTarget } from '../../src/bitcoin/index.js';
import { CPU_PORT } from '../../src/sv1/index.js';
import {
  EXTRANONCE,
  findNonce,
  harness,
  makeJob,
  minerHeader,
  parseNotify,
  type Harness,
} from './fixture.js';

const EN1 = Buffer.from(EXTRANONCE.extranonce1).toString('hex');
const submit = (id: number, params: unknown[]): string =>
  JSON.stringify({ id, method: 'mining.submit', params });
const errorOf = (line: string): unknown => (JSON.parse(line) as { error: unknown }).error;

async function cpuSession(start: number): Promise<{ h: Harness; jobLine: string }> {
  const h = harness({ port: { ...CPU_PORT, start } });
  const lines = await h.feed([
    JSON.stringify({ id: 1, method: 'mining.subscribe', params: [] }),
    JSON.stringify({ id: 2, method: 'mining.authorize', params: ['w', ''] }),
  ]);
  return { h, jobLine: lines.at(-1)! };
}

test("a share for a job sent before a difficulty change is judged at that job's difficulty", async () => {
  const { h, jobLine } = await cpuSession(0.00001);
  const oldJob = parseNotify(jobLine);
  // Raise the difficulty 16x: a new job goes out, the old one stays valid at its own difficulty.
  const after = await h.feed([
    JSON.stringify({ id: 3, method: 'mining.suggest_difficulty', params: [0.00016] }),
  ]);
  assert.equal(after.length, 3);
  const newJob = parseNotify(after[2]!);
  const easy = difficultyToTarget(0.00001);
  const hard = difficultyToTarget(0.00016);
  const oldHeader = minerHeader(oldJob, EN1, '00000000', 0x66000000, 0);
  const nonce = findNonce(oldHeader, easy, hard);
  const n = nonce.toString(16).padStart(8, '0');
  assert.deepEqual(
    JSON.parse((await h.feed([submit(4, ['w', oldJob.job_id, '00000000', '66000000', n])]))[0]!),
    {
      id: 4,
      result: true,
      error: null,
    },
  );
  // The same kind of share on the new job is below the new difficulty.
  const newHeader = minerHeader(newJob, EN1, '00000000', 0x66000000, 0);
  const n2 = findNonce(newHeader, easy, hard).toString(16).padStart(8, '0');
  assert.deepEqual(
    errorOf((await h.feed([submit(5, ['w', newJob.job_id, '00000000', '66000000', n2])]))[0]!),
    [23, 'Low difficulty share', null],
  );
});

test('duplicates are caught on the header: hex case, nonce padding and job id case do not make a new share', async () => {
  const { h, jobLine } = await cpuSession(0.00001);
  const job = parseNotify(jobLine);
  const nonce = findNonce(minerHeader(job, EN1, 'abcdef01', 0x66000000, 0), difficultyToTarget(0.00001));
  const n = nonce.toString(16);
  assert.equal(
    (
      JSON.parse((await h.feed([submit(3, ['w', job.job_id, 'abcdef01', '66000000', n])]))[0]!) as {
        result: boolean;
      }
    ).result,
    true,
  );
  for (const [i, variant] of [
    ['w', job.job_id, 'ABCDEF01', '66000000', n.toUpperCase()],
    ['w', job.job_id.toUpperCase(), 'abcdef01', '66000000', n.padStart(8, '0')],
    ['w', job.job_id, 'AbCdEf01', '66000000', n, '00000000'],
  ].entries()) {
    const line = (await h.feed([submit(10 + i, variant)]))[0]!;
    assert.deepEqual(JSON.parse(line), {
      id: 10 + i,
      result: false,
      error: [22, 'Duplicate share', null],
      'reject-reason': 'Duplicate share',
    });
  }
  assert.equal(h.upstream.shares.length, 1);
});

test('stale, unknown and malformed submits get their codes', async () => {
  const { h, jobLine } = await cpuSession(0.00001);
  const job = parseNotify(jobLine);
  const cases: [unknown[], unknown][] = [
    [
      ['w', 'ffff', '00000000', '66000000', '00000000'],
      [21, 'Job not found', null],
    ],
    [
      ['w', job.job_id, '000000', '66000000', '00000000'],
      [20, 'Invalid extranonce2 length', null],
    ],
    [
      ['w', job.job_id, '0000000000', '66000000', '00000000'],
      [20, 'Invalid extranonce2 length', null],
    ],
    [
      ['w', job.job_id, '0000000g', '66000000', '00000000'],
      [20, 'Invalid extranonce2 length', null],
    ],
    [
      ['w', job.job_id, '00000000', '65ffffff', '00000000'],
      [20, 'Ntime out of range', null],
    ],
    [
      ['w', job.job_id, '00000000', (0x66000000 + 7001).toString(16), '00000000'],
      [20, 'Ntime out of range', null],
    ],
    [
      ['w', job.job_id, '00000000', '66000000', '123456789'],
      [20, 'Invalid nonce', null],
    ],
    [
      ['w', job.job_id, '00000000', '66000000', '-1'],
      [20, 'Invalid nonce', null],
    ],
    [
      ['other', job.job_id, '00000000', '66000000', '00000000'],
      [24, 'Unauthorized worker', null],
    ],
    [
      ['w', job.job_id, '00000000', '66000000'],
      [20, 'Invalid params', null],
    ],
    [
      ['w', 5, '00000000', '66000000', '00000000'],
      [20, 'Invalid params', null],
    ],
  ];
  for (const [i, [params, error]] of cases.entries()) {
    const line = (await h.feed([submit(100 + i, params)]))[0]!;
    assert.deepEqual(errorOf(line), error, JSON.stringify(params));
  }
  // A new prev hash makes every earlier job stale.
  h.session.pushJob(makeJob({ job_id: 8, prev_hash: new Uint8Array(32).fill(7) }), 1);
  await h.session.idle();
  h.take();
  const stale = (await h.feed([submit(200, ['w', job.job_id, '00000000', '66000000', '00000000'])]))[0]!;
  assert.deepEqual(JSON.parse(stale), {
    id: 200,
    result: false,
    error: [21, 'Stale', null],
    'reject-reason': 'Stale',
  });
  assert.deepEqual(h.closed, []);
});

test('submit before subscribe or authorize', async () => {
  const h = harness();
  const params = ['w', '12341', '00000000', '66000000', '00000000'];
  assert.deepEqual(errorOf((await h.feed([submit(1, params)]))[0]!), [25, 'Not subscribed', null]);
  await h.feed([JSON.stringify({ id: 2, method: 'mining.subscribe', params: [] })]);
  assert.deepEqual(errorOf((await h.feed([submit(3, params)]))[0]!), [24, 'Unauthorized worker', null]);
});

test('an upstream refusal is passed to the miner; a share below the upstream target is not forwarded', async () => {
  const { h, jobLine } = await cpuSession(0.00001);
  const job = parseNotify(jobLine);
  const header = minerHeader(job, EN1, '00000000', 0x66000000, 0);
  const a = findNonce(header, difficultyToTarget(0.00001));
  h.upstream.submitAnswer = { accepted: false, code: 21, message: 'Stale upstream' };
  const refused = (await h.feed([submit(3, ['w', job.job_id, '00000000', '66000000', a.toString(16)])]))[0]!;
  assert.deepEqual(errorOf(refused), [21, 'Stale upstream', null]);
  // Next job asks the upstream for a far harder target: locally valid shares stay local.
  h.upstream.submitAnswer = undefined;
  h.session.pushJob(makeJob({ job_id: 9, clean_jobs: false, upstream_target: 1n }), 2);
  await h.session.idle();
  const next = parseNotify(h.take().at(-1)!);
  const b = findNonce(minerHeader(next, EN1, '00000000', 0x66000000, 0), difficultyToTarget(0.00001));
  const accepted = (
    await h.feed([submit(4, ['w', next.job_id, '00000000', '66000000', b.toString(16)])])
  )[0]!;
  assert.deepEqual(JSON.parse(accepted), { id: 4, result: true, error: null });
  assert.equal(h.upstream.shares.length, 1);
});

test("a share waiting for the upstream's verdict holds later replies, not later requests", async () => {
  const { h, jobLine } = await cpuSession(0.00001);
  const job = parseNotify(jobLine);
  const nonce = findNonce(minerHeader(job, EN1, '00000000', 0x66000000, 0), difficultyToTarget(0.00001));
  const params = ['w', job.job_id, '00000000', '66000000', nonce.toString(16)];
  let verdict!: (a: { accepted: true } | { accepted: false; code: number; message: string }) => void;
  h.upstream.submitAnswer = new Promise((resolve) => (verdict = resolve));
  // The share, the same share again (a local duplicate) and another request:
  // all three are handled, none is answered before the first one's verdict.
  const before = await h.feed([
    submit(3, params),
    submit(4, params),
    JSON.stringify({ id: 5, method: 'mining.extranonce.subscribe', params: [] }),
  ]);
  assert.deepEqual(before, []);
  assert.equal(h.upstream.shares.length, 1);
  verdict({ accepted: true });
  await new Promise((r) => setImmediate(r));
  const after = h.take().map((l) => JSON.parse(l) as { id: number; result: unknown; error: unknown });
  assert.deepEqual(
    after.map((r) => [r.id, r.result, r.error]),
    [
      [3, true, null],
      [4, false, [22, 'Duplicate share', null]],
      [5, true, null],
    ],
  );
  const shares = h.events.filter((e) => e.type === 'share');
  assert.deepEqual(
    shares.map((e) => e.accepted),
    [false, true],
    'the duplicate was judged at once, the share once the upstream answered',
  );

  // A refusal that comes later reaches the miner with the upstream's reason.
  const second = findNonce(minerHeader(job, EN1, '00000001', 0x66000000, 0), difficultyToTarget(0.00001));
  h.upstream.submitAnswer = Promise.resolve({
    accepted: false,
    code: 21,
    message: 'Stale share (pool: stale-share)',
  });
  const lines = await h.feed([submit(6, ['w', job.job_id, '00000001', '66000000', second.toString(16)])]);
  await new Promise((r) => setImmediate(r));
  lines.push(...h.take());
  assert.deepEqual(errorOf(lines.at(-1)!), [21, 'Stale share (pool: stale-share)', null]);
});

test('job ids are short lowercase hex, carry the epoch and are never reused', async () => {
  const h = harness({ epoch: 0xbeef });
  await h.feed([
    JSON.stringify({ id: 1, method: 'mining.subscribe', params: [] }),
    JSON.stringify({ id: 2, method: 'mining.authorize', params: ['w', ''] }),
  ]);
  const ids = new Set<string>();
  for (let i = 0; i < 300; i++) {
    h.session.pushJob(makeJob({ job_id: i, clean_jobs: i % 7 === 0 }), i);
  }
  await h.session.idle();
  for (const line of h.take()) {
    const msg = JSON.parse(line) as { method: string; params: unknown[] };
    if (msg.method !== 'mining.notify') continue;
    const id = msg.params[0] as string;
    assert.match(id, /^beef[0-9a-f]{1,4}$/);
    assert.ok(!ids.has(id));
    ids.add(id);
  }
  assert.equal(ids.size, 300);
});

test('a mining.notify over the size limit is not sent', async () => {
  const big = makeJob({ coinbase_tx_suffix: new Uint8Array(2000) });
  const h = harness({ maxNotifyBytes: 3584 });
  h.upstream.job = big;
  const lines = await h.feed([
    JSON.stringify({ id: 1, method: 'mining.subscribe', params: [] }),
    JSON.stringify({ id: 2, method: 'mining.authorize', params: ['w', ''] }),
  ]);
  assert.equal(lines.length, 2);
  assert.ok(h.events.some((e) => e.type === 'warning' && /exceeds/.test(e.message)));
});
