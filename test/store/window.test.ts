import { test as nodeTest, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RunningWindow, Store, type ShareInput } from '../../src/store/index.js';
import { ENGINES, storeLocation, type Engine } from './engines.js';
import { EXPECTED, HISTORY } from './pplns-history.js';

async function record(store: Store, history: readonly [string, number][]): Promise<void> {
  const p = history.map(([account, difficulty], i) => {
    const s: ShareInput = {
      account,
      worker: 'w',
      difficulty,
      share_difficulty: difficulty,
      channel_id: 1,
      job_id: i,
    };
    return store.enqueue(s);
  });
  await store.flush();
  await Promise.all(p);
}

/** The definition, straight from the shares table: walk back until the sum reaches n. */
async function bruteForce(store: Store, n: number): Promise<Map<string, number>> {
  const rows = await store.engine.all<{ name: string; difficulty: number }>(
    'SELECT a.name, s.difficulty FROM shares s JOIN accounts a ON a.id = s.account_id ORDER BY s.id DESC',
  );
  const out = new Map<string, number>();
  let sum = 0;
  for (const r of rows) {
    if (sum >= n) break;
    const take = Math.min(r.difficulty, n - sum);
    out.set(r.name, (out.get(r.name) ?? 0) + take);
    sum += take;
  }
  return out;
}

for (const engine of ENGINES) suite(engine);

function suite(engine: Engine): void {
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(`${engine}: ${name}`, fn);
  const where = (t: TestContext) => storeLocation(t, engine);

  test('RunningWindow counts the boundary share partially', async () => {
    const ids = new Map<string, number>([
      ['alice', 1],
      ['bob', 2],
      ['carol', 3],
      ['dave', 4],
    ]);
    const w = new RunningWindow(100);
    HISTORY.forEach(([a, d], i) => w.push({ id: i + 1, account_id: ids.get(a) as number, difficulty: d }));
    const snap = w.snapshot();
    assert.equal(snap.total, 100);
    assert.deepEqual(
      [...snap.accounts].sort((x, y) => x[0] - y[0]),
      [
        [1, 40],
        [2, 35],
        [4, 25],
      ],
    );
    assert.equal(w.size, 5, 'older shares were dropped');
    // A shorter history than N: everything counts.
    const short = new RunningWindow(1000);
    short.push({ id: 1, account_id: 1, difficulty: 5 });
    assert.deepEqual([...short.snapshot().accounts], [[1, 5]]);
    assert.equal(short.snapshot().total, 5);
  });

  test('the store window matches the hand-computed table and survives a reopen', async (t) => {
    const path = await where(t);
    const store = await Store.open(path, { pplns_window_factor: 2 });
    await record(store, HISTORY);
    const before = await store.pplnsWindow(50);
    assert.deepEqual(before.window, EXPECTED);
    assert.equal(before.total, 100);
    assert.equal(before.target, 100);
    await store.close();

    const again = await Store.open(path, { pplns_window_factor: 2 });
    t.after(() => again.close());
    assert.deepEqual(await again.pplnsWindow(50), before);
    // New shares after the reopen slide the window: alice +20 pushes out the rest of
    // bob's 28 (20) → alice 60, bob 15, dave 25.
    await record(again, [['alice', 20]]);
    assert.deepEqual((await again.pplnsWindow(50)).window, [
      { account: 'alice', difficulty: 60 },
      { account: 'bob', difficulty: 15 },
      { account: 'dave', difficulty: 25 },
    ]);
  });

  test('the window follows the definition when N grows, shrinks and shares keep coming', async (t) => {
    // Growing N after shrinking it makes the store read older shares back from the database;
    // 1e9 is more than the whole history.
    const store = await Store.open(await where(t), { pplns_window_factor: 1 });
    t.after(() => store.close());
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const history = (count: number) =>
      Array.from({ length: count }, (): [string, number] => [`acct${rand(9)}`, 1 + rand(64) / 4]);
    await record(store, history(3000));
    for (const n of [500, 50, 20_000, 5_000, 0, 123.5, 1e9]) {
      const got = await store.pplnsWindow(n);
      const want = await bruteForce(store, n);
      assert.equal(got.window.length, want.size, `accounts for N = ${n}`);
      for (const e of got.window)
        assert.ok(Math.abs(e.difficulty - (want.get(e.account) ?? NaN)) < 1e-6, `N = ${n}`);
      await record(store, history(200));
    }
    await store.pplnsWindow(2_000);
    const want = await bruteForce(store, 2_000);
    const got = new Map((await store.pplnsWindow(2_000)).window.map((e) => [e.account, e.difficulty]));
    for (const [a, d] of want) assert.ok(Math.abs((got.get(a) ?? NaN) - d) < 1e-6);
  });
}
