import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { BatchWriter, Store, type ShareInput } from '../../src/store/index.js';
import { tempDbPath } from './tmp.js';

const T0 = 1_700_000_000_000;

function share(i: number, over: Partial<ShareInput> = {}): ShareInput {
  return {
    account: 'alice',
    worker: 'rig1',
    difficulty: 8,
    share_difficulty: 8 + i,
    channel_id: 1,
    job_id: i,
    time: T0 + i,
    ...over,
  };
}

/** Lets pending promise callbacks run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a share resolves only once its batch is committed (visible to another connection)', async (t) => {
  const path = tempDbPath(t);
  // A flush interval far beyond the test: only flush() commits.
  const store = await Store.open(path, { flush_interval_ms: 3_600_000, max_batch: 1000 });
  t.after(() => store.close());
  const reader = new Database(path, { readonly: true });
  t.after(() => reader.close());
  const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM shares').get() as { n: number }).n;

  let resolved = 0;
  let seenAtResolve = -1;
  const promises = [0, 1, 2].map((i) =>
    store.enqueue(share(i)).then((id) => {
      resolved++;
      seenAtResolve = count();
      return id;
    }),
  );
  await tick();
  await tick();
  assert.equal(resolved, 0, 'nothing resolves before the batch commits');
  assert.equal(count(), 0);
  assert.equal(store.pending, 3);

  assert.equal(await store.flush(), 3);
  const ids = await Promise.all(promises);
  assert.equal(resolved, 3);
  assert.equal(seenAtResolve, 3, 'another connection sees the rows when the promise resolves');
  const rows = reader.prepare('SELECT id, job_id FROM shares ORDER BY id').all() as {
    id: number;
    job_id: number;
  }[];
  assert.deepEqual(
    rows.map((r) => r.id),
    ids,
  );
  assert.deepEqual(
    rows.map((r) => r.job_id),
    [0, 1, 2],
  );
});

test('max_batch queued shares commit at once; the timer commits the rest', async (t) => {
  const store = await Store.open(tempDbPath(t), { flush_interval_ms: 1, max_batch: 4 });
  t.after(() => store.close());
  // A new worker's first share waits for its ids; a known worker's is queued at once.
  await store.ensureWorker('alice', 'rig1');
  const promises = [0, 1, 2, 3].map((i) => store.enqueue(share(i)));
  assert.equal(store.pending, 0, 'the fourth share triggered the commit');
  await Promise.all(promises);
  const late = store.enqueue(share(4));
  assert.equal(store.pending, 1);
  await late; // the 1 ms timer commits it
  assert.equal(store.pending, 0);
});

test('a failing transaction rejects every promise of its batch and changes nothing', async (t) => {
  const store = await Store.open(tempDbPath(t), { flush_interval_ms: 3_600_000 });
  t.after(() => store.close());
  const first = [
    store.enqueue(share(0)),
    store.reject({ account: 'alice', worker: 'rig1', reason: 'stale-share' }),
  ];
  await store.flush();
  await Promise.all(first);
  // Worker rows are created when a miner shows up, outside share batches.
  await store.ensureWorker('alice', 'rig2');
  const snapshot = async () => ({
    shares: store.sqlite!.prepare('SELECT COUNT(*) AS n FROM shares').get(),
    workers: store.sqlite!.prepare('SELECT accepted, rejected, best_share_difficulty FROM workers').all(),
    buckets: store.sqlite!.prepare('SELECT * FROM stats_pool_1m').all(),
    rejects: store.sqlite!.prepare('SELECT * FROM rejects').all(),
    window: await store.pplnsWindow(100),
  });
  const before = await snapshot();

  // The fourth share of the batch makes the INSERT abort.
  store.sqlite!.exec(
    `CREATE TEMP TRIGGER fail_share BEFORE INSERT ON shares WHEN NEW.job_id = 666
     BEGIN SELECT RAISE(ABORT, 'disk says no'); END`,
  );
  const batch = [
    store.enqueue(share(1)),
    store.reject({ account: 'alice', worker: 'rig1', reason: 'difficulty-too-low' }),
    store.enqueue(share(2, { worker: 'rig2', share_difficulty: 1e9 })),
    store.enqueue(share(3, { job_id: 666 })),
  ];
  await store.flush();
  const results = await Promise.allSettled(batch);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected', 'rejected', 'rejected'],
  );
  for (const r of results) assert.match(String((r as PromiseRejectedResult).reason), /disk says no/);
  assert.deepEqual(await snapshot(), before);

  // The store keeps working once the cause is gone.
  store.sqlite!.exec('DROP TRIGGER fail_share');
  const next = store.enqueue(share(4));
  await store.flush();
  assert.equal(typeof (await next), 'number');
});

test('invalid shares are refused with a clear error before they are queued', async (t) => {
  const store = await Store.open(tempDbPath(t));
  t.after(() => store.close());
  await assert.rejects(store.enqueue(share(0, { difficulty: -1 })), /difficulty/);
  await assert.rejects(store.enqueue(share(0, { job_id: 2 ** 32 })), /job_id/);
  await assert.rejects(store.enqueue(share(0, { account: '' })), /account name/);
  await assert.rejects(store.reject({ account: 'a', worker: 'w', reason: '' }), /reason/);
  assert.equal(store.pending, 0);
});

test('BatchWriter: close() commits what is queued and refuses new items', async () => {
  const committed: number[][] = [];
  const w = new BatchWriter<number, number>(
    (items) => {
      committed.push([...items]);
      return Promise.resolve(items.map((x) => x * 2));
    },
    { flush_interval_ms: 3_600_000, max_batch: 2 },
  );
  const p = [1, 2, 3].map((x) => w.enqueue(x));
  await w.close();
  assert.deepEqual(await Promise.all(p), [2, 4, 6]);
  assert.deepEqual(committed, [[1, 2], [3]]);
  await assert.rejects(w.enqueue(4), /closed/);
});

test('workers are keyed by account and worker name; accounts are case-insensitive', async (t) => {
  const path = tempDbPath(t);
  const store = await Store.open(path, { flush_interval_ms: 3_600_000 });
  const a = await store.ensureWorker('Alice', 'rig1', { user_agent: 'bitaxe/2.0' });
  const b = await store.ensureWorker('ALICE', 'rig1');
  const c = await store.ensureWorker('alice', 'rig2');
  assert.equal(a.worker_id, b.worker_id);
  assert.equal(a.account_id, c.account_id);
  assert.equal(b.account, 'Alice', 'the first spelling is kept');
  const p = [
    store.enqueue(share(0, { account: 'alice', time: T0 + 5, difficulty: 16, share_difficulty: 40 })),
    store.enqueue(share(1, { account: 'ALICE', time: T0 + 9, difficulty: 32, share_difficulty: 33 })),
    store.enqueue(share(2, { account: 'Alice', time: T0 + 7, difficulty: 64, share_difficulty: 64 })),
    store.reject({ account: 'alice', worker: 'rig1', reason: 'stale-share', time: T0 + 20 }),
  ];
  await store.flush();
  await Promise.all(p);
  await store.close();

  // A new process (reconnecting miner) finds the same rows.
  const again = await Store.open(path);
  t.after(() => again.close());
  assert.equal((await again.ensureWorker('alice', 'rig1')).worker_id, a.worker_id);
  const w = again.sqlite!.prepare('SELECT * FROM workers WHERE id = ?').get(a.worker_id) as Record<
    string,
    unknown
  >;
  assert.equal(w.user_agent, 'bitaxe/2.0');
  assert.equal(w.accepted, 3);
  assert.equal(w.rejected, 1);
  assert.equal(w.best_share_difficulty, 64);
  assert.equal(w.last_share_at, T0 + 9, 'a reject is not a share');
  assert.equal(w.current_difficulty, 32, 'difficulty of the newest share');
});

test('solo identities: the account is the address and becomes its payout address', async (t) => {
  const store = await Store.open(tempDbPath(t));
  t.after(() => store.close());
  const address = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
  await store.ensureWorker(address, 'bitaxe', { solo: true });
  assert.equal((await store.getAccount(address))?.payout_address, address);
  // A pool account keeps no payout address until the web layer sets one.
  await store.ensureWorker('bob', 'rig');
  assert.equal((await store.getAccount('bob'))?.payout_address, null);
  await store.setPayoutAddress('bob', address);
  await store.setPasswordHash('bob', 'scrypt$x');
  assert.deepEqual(
    [...(await store.payoutAddresses([address, 'bob', 'nobody']))],
    [
      [address, address],
      ['bob', address],
    ],
  );
  assert.equal((await store.getAccount('BOB'))?.password_hash, 'scrypt$x');
});
