// 10,000 seeded malformed lines: the session never throws, answers each line
// or decides to close, and a well-behaved session next to it is untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, notifyLine, ok, setDifficulty, subscribeResult, type Harness } from './fixture.js';
import { Rng } from '../messages/random-values.js';

function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.u32() / 0x100000000;
}

const METHODS = [
  'mining.submit',
  'mining.subscribe',
  'mining.authorize',
  'mining.configure',
  'mining.suggest_difficulty',
  'mining.suggest_target',
  'mining.extranonce.subscribe',
  'mining.get_transactions',
  '',
];

function line(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const junk = (n: number): string =>
    Array.from({ length: n }, () => String.fromCharCode(0x20 + Math.floor(rand() * 0x5f))).join('');
  const huge = '9'.repeat(1 + Math.floor(rand() * 400));
  const values = [
    null,
    true,
    -1,
    0,
    1e308,
    huge,
    '"x"',
    '"ffffffff"',
    '[]',
    '{}',
    '[[[[1]]]]',
    `"${'f'.repeat(300)}"`,
  ];
  const value = (): string => String(pick(values));
  const params = (): string => {
    switch (Math.floor(rand() * 6)) {
      case 0:
        return 'null';
      case 1:
        return value();
      case 2:
        return '['.repeat(1 + Math.floor(rand() * 2000)) + ']'.repeat(1 + Math.floor(rand() * 2000));
      default:
        return '[' + Array.from({ length: Math.floor(rand() * 8) }, value).join(',') + ']';
    }
  };
  switch (Math.floor(rand() * 8)) {
    case 0:
      return junk(1 + Math.floor(rand() * 200));
    case 1: {
      const good = `{"id":1,"method":"${pick(METHODS)}","params":["a","b"]}`;
      return good.slice(0, Math.floor(rand() * good.length)) || '{';
    }
    case 2:
      return `{"id":${huge},"method":"${pick(METHODS)}","params":${params()}}`;
    case 3:
      return `{"id":${value()},"method":${pick(['5', 'null', '[]', '{}', '"m"'])},"params":${params()}}`;
    case 4:
      return `{"id":${Math.floor(rand() * 1e6)},"method":"mining.submit","params":["w","${junk(4)}","zz","66000000",${value()}]}`;
    case 5:
      return pick(['[1,2,3]', '"text"', '42', 'null', 'true', '[{"id":1,"method":"mining.subscribe"}]']);
    default:
      return `{"id":${Math.floor(rand() * 1e9)},"method":"${pick(METHODS)}","params":${params()},"ttl":${value()}}`;
  }
}

test('10,000 seeded hostile lines: an answer or a close for each, never a throw; a neighbour is undisturbed', async () => {
  const rand = prng(0x5eed5);
  let h: Harness = harness();
  const good = harness();
  await good.feed(['{"id":1,"method":"mining.subscribe","params":["cgminer/4.11.1"]}']);
  let sessions = 1;
  let replies = 0;
  for (let i = 0; i < 10_000; i++) {
    if (h.session.closed) {
      h = harness();
      sessions++;
    }
    const before = h.out.length;
    if (i % 2000 === 1999) {
      // A 1 MiB line in 64 KiB reads.
      const chunk = 'A'.repeat(65536);
      for (let j = 0; j < 16 && !h.session.closed; j++) h.session.receive(chunk, i);
      h.session.receive('\n', i);
    } else {
      h.session.receive(line(rand) + '\n', i);
    }
    await h.session.idle();
    if (h.out.length > before) replies++;
    assert.ok(h.out.length > before || h.session.closed, `line ${i} got neither an answer nor a close`);
    for (const l of h.out.slice(before)) assert.doesNotThrow(() => JSON.parse(l), l);
    // Warnings only come from internal errors here (the upstream is well-behaved).
    assert.deepEqual(
      h.events.filter((e) => e.type === 'warning'),
      [],
      `line ${i}`,
    );
  }
  assert.ok(sessions > 1 && replies > 5000, `${sessions} sessions, ${replies} answered lines`);

  assert.deepEqual(await good.feed(['{"id":2,"method":"mining.authorize","params":["w","x"]}']), [
    ok(2),
    setDifficulty(8192),
    notifyLine('12341', good.upstream.job!, true),
  ]);
  assert.deepEqual(good.out[0], subscribeResult(1, '00001234'));
  assert.deepEqual(good.closed, []);
});
