// Bound `IN (?, …)` lists: chunks of at most IN_LIST_MAX ids, padded to a few
// statement texts, every row of every chunk returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { IN_LIST_MAX, placeholderList, readByIds } from '../../src/store/in-list.js';
import { SqliteEngine } from '../../src/store/sql.js';

test('placeholder lists', () => {
  assert.equal(placeholderList(1), '(?)');
  assert.equal(placeholderList(3), '(?, ?, ?)');
});

test('no ids, no query', async () => {
  let calls = 0;
  const rows = await readByIds([], async () => {
    calls++;
    return [1];
  });
  assert.deepEqual(rows, []);
  assert.equal(calls, 0);
});

test('chunks of at most IN_LIST_MAX ids, padded to powers of two with the last id', async () => {
  const seen: { list: string; ids: number[] }[] = [];
  const ids = Array.from({ length: 2 * IN_LIST_MAX + 3 }, (_, i) => i + 1);
  await readByIds(ids, async (list, chunk) => {
    seen.push({ list, ids: chunk });
    return [];
  });
  assert.deepEqual(
    seen.map((s) => s.ids.length),
    [IN_LIST_MAX, IN_LIST_MAX, 4],
  );
  for (const s of seen) assert.equal(s.list.split('?').length - 1, s.ids.length);
  assert.deepEqual(seen[2]!.ids, [
    2 * IN_LIST_MAX + 1,
    2 * IN_LIST_MAX + 2,
    2 * IN_LIST_MAX + 3,
    2 * IN_LIST_MAX + 3,
  ]);
  assert.deepEqual([...new Set(seen.flatMap((s) => s.ids))], ids);
});

test('on SQLite: every matching row of 12,345 ids, each once, from a handful of statement texts', async (t) => {
  const db = new Database(':memory:');
  t.after(() => db.close());
  const engine = new SqliteEngine(db);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= 20_000; i++) insert.run(i, i * 2);
  })();
  const ids = Array.from({ length: 12_345 }, (_, i) => 3 * i + 1).filter(
    (id) => id <= 20_000 || id % 2 === 0,
  );
  const texts = new Set<string>();
  const rows = await readByIds(ids, (list, chunk) => {
    const sql = `SELECT id, v FROM t WHERE id IN ${list}`;
    texts.add(sql);
    return engine.all<{ id: number; v: number }>(sql, chunk);
  });
  const expected = ids.filter((id) => id <= 20_000);
  assert.deepEqual(
    rows.map((r) => r.id).sort((a, b) => a - b),
    expected,
  );
  for (const r of rows) assert.equal(r.v, r.id * 2);
  assert.ok(texts.size <= 2, `${texts.size} statement texts`);
});
