// Vardiff on its own, the sendable-difficulty rules, and a vardiff step in a
// session: shares for the job sent before the step keep the old difficulty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { difficultyToTarget } from '../../src/bitcoin/index.js';
import { CPU_PORT, passwordDifficulty, type Upstream } from '../../src/sv1/index.js';
import {
  vardiffRetarget,
  vardiffShare,
  vardiffSettings,
  vardiffWindow,
  type VardiffOptions,
} from '../../src/sv1/vardiff.js';
import { EXTRANONCE, findNonce, harness, minerHeader, parseNotify } from './fixture.js';

/** A vardiff window with its settings, as a miner's difficulty keeps them. */
function vardiff(options: Partial<VardiffOptions>, now: number) {
  const w = vardiffWindow(now);
  const o = vardiffSettings(options);
  return {
    share: (at: number) => vardiffShare(w, at),
    retarget: (current: number, at: number) => vardiffRetarget(w, o, current, at),
  };
}

test('vardiff: a burst raises, a quiet window lowers, a rate near target keeps', () => {
  const v = vardiff({ sharesPerMinute: 20, burst: 40 }, 0);
  for (let i = 0; i < 39; i++) v.share(i * 100);
  assert.equal(v.retarget(100, 4000), undefined, 'younger than the minimum window');
  v.share(9_000);
  // 40 shares in 10 s = 240/min, 12x the target.
  assert.equal(v.retarget(100, 10_000), 1200);
  assert.equal(v.retarget(1200, 30_000), undefined, 'no share yet, window not full');
  assert.equal(v.retarget(1200, 70_000), 300, 'a full minute without shares divides by 4');
  for (let i = 0; i < 25; i++) v.share(70_000 + i * 2000);
  assert.equal(v.retarget(300, 130_000), undefined, '25 per minute is within [½, 2]x of 20');
  const capped = vardiff({ sharesPerMinute: 1, burst: 1000, maxStep: 4 }, 0);
  for (let i = 0; i < 999; i++) capped.share(i);
  assert.equal(capped.retarget(10, 60_000), 40, 'one step moves at most maxStep');
  const back = vardiff({}, 50_000);
  assert.equal(back.retarget(1, 10_000), undefined, 'a clock going back re-anchors the window');
  assert.throws(() => vardiffSettings({ sharesPerMinute: 0 }), /sharesPerMinute must be positive/);
});

test('vardiff: before the first share, every 10 s without one divides the start by 4', () => {
  const v = vardiff({ sharesPerMinute: 6 }, 0);
  assert.equal(v.retarget(16384, 9_999), undefined);
  assert.equal(v.retarget(16384, 10_000), 4096);
  assert.equal(v.retarget(4096, 20_000), 1024);
  v.share(21_000);
  assert.equal(v.retarget(1024, 30_000), undefined, 'after a share only the regular window counts');
  // One share in 61 s against a target of 6 a minute: the regular step, by the observed ratio.
  assert.equal(v.retarget(1024, 81_000), (1024 * (1 / (61 / 60))) / 6);
});

test('password difficulties', () => {
  assert.equal(passwordDifficulty('d=512'), 512);
  assert.equal(passwordDifficulty('x,d=0.5'), 0.5);
  assert.equal(passwordDifficulty('x;d=1e-3'), 0.001);
  assert.equal(passwordDifficulty('x'), undefined);
  assert.equal(passwordDifficulty('d=0'), undefined);
});

test('a vardiff step sends set_difficulty and a fresh job; in-flight shares keep the old difficulty', async () => {
  const h = harness({ port: { ...CPU_PORT, start: 0.000001 }, vardiff: { sharesPerMinute: 20, burst: 8 } });
  const first = await h.feed([
    '{"id":1,"method":"mining.subscribe","params":[]}',
    '{"id":2,"method":"mining.authorize","params":["w",""]}',
  ]);
  const job = parseNotify(first.at(-1)!);
  const en1 = Buffer.from(EXTRANONCE.extranonce1).toString('hex');
  const header = minerHeader(job, en1, '00000000', 0x66000000, 0);
  const easy = difficultyToTarget(0.000001);
  let nonce = 0;
  let out: string[] = [];
  // Eight shares in eight seconds: 60 per minute, three times the target rate.
  for (let i = 0; i < 8; i++) {
    nonce = findNonce(header, easy, undefined, nonce + 1);
    const params = ['w', job.job_id, '00000000', job.ntime, nonce.toString(16)];
    out = await h.feed([JSON.stringify({ id: 10 + i, method: 'mining.submit', params })], 1000 * (i + 1));
  }
  assert.equal(out[0], '{"id":17,"result":true,"error":null}');
  assert.equal(out[1], '{"id":null,"method":"mining.set_difficulty","params":[0.000003]}');
  const next = parseNotify(out[2]!);
  assert.notEqual(next.job_id, job.job_id);
  // A share on the old job that meets 0.000001 but not 0.000003 is still accepted.
  const late = findNonce(header, easy, difficultyToTarget(0.000003), nonce + 1);
  const reply = await h.feed(
    [
      JSON.stringify({
        id: 30,
        method: 'mining.submit',
        params: ['w', job.job_id, '00000000', job.ntime, late.toString(16)],
      }),
    ],
    9000,
  );
  assert.deepEqual(reply, ['{"id":30,"result":true,"error":null}']);
  const accepted = h.events.filter((e) => e.type === 'share' && e.accepted);
  assert.equal(accepted.length, 9);
  assert.ok(accepted.every((e) => e.type === 'share' && e.accepted && e.difficulty === 0.000001));
});

test("the host's tick: an idle miner's difficulty falls at once; behind queued input it waits its turn", async () => {
  const h = harness({ port: { ...CPU_PORT, start: 0.001 } });
  await h.feed([
    '{"id":1,"method":"mining.subscribe","params":[]}',
    '{"id":2,"method":"mining.authorize","params":["w",""]}',
  ]);
  // Nothing queued: the tick is judged before it returns (no promise to wait for).
  h.session.tick(5_000);
  assert.deepEqual(h.take(), [], 'inside the first-share window: no change');
  h.session.tick(10_000);
  const lowered = h.take();
  assert.equal(lowered[0], '{"id":null,"method":"mining.set_difficulty","params":[0.00025]}');
  assert.equal((JSON.parse(lowered[1]!) as { method: string }).method, 'mining.notify');

  // A second name's authorize waiting for the upstream holds the queue: the tick comes after its reply.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  (h.upstream as Upstream).authorize = () => gate.then(() => ({ ok: true as const }));
  h.session.receive('{"id":3,"method":"mining.authorize","params":["w2",""]}\n', 20_000);
  h.session.tick(20_000);
  assert.deepEqual(h.take(), [], 'both wait for the upstream');
  release();
  await h.session.idle();
  const lines = h.take();
  assert.equal((JSON.parse(lines[0]!) as { id: number }).id, 3, 'the reply first');
  assert.equal(lines[1], '{"id":null,"method":"mining.set_difficulty","params":[0.0000625]}');
});
