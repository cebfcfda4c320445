// The per-connection job book: which jobs a new prev hash turns stale, how
// many are remembered, and the duplicate memory of each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobBook } from '../../src/sv1/jobs.js';
import { EXTRANONCE, makeJob } from './fixture.js';

const settings = (retire: boolean) => ({
  difficulty: 1,
  versionMask: 0,
  extranonce: EXTRANONCE,
  clean_jobs: retire,
  retire,
});

test('a new prev hash makes every remembered job stale, however many were sent since the last one', () => {
  const book = new JobBook(1, 8);
  const first = book.add(makeJob(), settings(true)).job;
  // More jobs on one tip than the book remembers, then a block.
  const sent = [first];
  for (let i = 0; i < 30; i++) sent.push(book.add(makeJob({ job_id: 100 + i }), settings(false)).job);
  assert.equal(book.size, 8);
  assert.ok(sent.every((j) => !j.stale));
  const next = book.add(makeJob({ job_id: 200 }), settings(true)).job;
  for (const j of sent.slice(-7)) {
    assert.deepEqual(
      book.get(j.id),
      { ...j, stale: true },
      `${j.id} remembered, stale after the new prev hash`,
    );
  }
  assert.equal(book.get(first.id), undefined, 'the oldest were forgotten');
  assert.equal(book.get(next.id)!.stale, false);
  // A second block retires the jobs of the first one and forgets the tip before it.
  const later = book.add(makeJob({ job_id: 201 }), settings(false)).job;
  const third = book.add(makeJob({ job_id: 300 }), settings(true)).job;
  assert.equal(book.get(next.id)!.stale, true, 'the previous tip is remembered, to answer "Stale"');
  assert.equal(book.get(later.id)!.stale, true);
  assert.equal(book.get(third.id)!.stale, false);
  for (const j of sent) assert.equal(book.get(j.id), undefined, 'the tip before it is forgotten');
  assert.equal(book.size, 3);
  // However many blocks pass, the book holds two tips' jobs.
  for (let b = 0; b < 100; b++) {
    book.add(makeJob({ job_id: 400 + 2 * b }), settings(true));
    book.add(makeJob({ job_id: 401 + 2 * b }), settings(false));
  }
  assert.equal(book.size, 4);
  assert.equal(book.get(third.id), undefined);
});

test('duplicates per job; a stale job lets its memory go; a dropped job is not retired twice', () => {
  const book = new JobBook(1);
  const job = book.add(makeJob(), settings(true)).job;
  assert.equal(book.remembered(job.id), 0, 'no memory before the first share');
  assert.equal(book.remember(job, 'aa'), 'new');
  assert.equal(book.remember(job, 'aa'), 'duplicate');
  assert.equal(book.remembered(job.id), 1);
  const dropped = book.add(makeJob({ job_id: 8 }), settings(false)).job;
  book.drop(dropped.id);
  assert.equal(book.get(dropped.id), undefined);
  book.add(makeJob({ job_id: 9 }), settings(true));
  assert.equal(book.get(job.id)!.stale, true);
  assert.equal(book.remembered(job.id), 0, 'a stale job lets its memory go');
  assert.equal(book.size, 2, 'the dropped job is not part of the retire');
  // Dropping a job between two others keeps both, and their staleness.
  const x = book.add(makeJob({ job_id: 10 }), settings(false)).job;
  const y = book.add(makeJob({ job_id: 11 }), settings(false)).job;
  const z = book.add(makeJob({ job_id: 12 }), settings(false)).job;
  book.drop(y.id);
  assert.deepEqual(
    [x, y, z].map((j) => book.get(j.id)?.stale),
    [false, undefined, false],
  );
  assert.equal(book.get(job.id)!.stale, true);
  assert.equal(book.size, 4);
  // Ids are matched as sent: another prefix, leading zeros or other text find nothing.
  for (const id of ['0002' + job.id.slice(4), job.id.slice(0, 4) + '0' + job.id.slice(4), job.id + 'x', ''])
    assert.equal(book.get(id), undefined, id);
  const small = new JobBook(1, 4, 2);
  const j = small.add(makeJob(), settings(true)).job;
  assert.equal(small.remember(j, 'a'), 'new');
  assert.equal(small.remember(j, 'b'), 'new');
  assert.equal(small.remember(j, 'c'), 'full');
});

test("another upstream channel's job for the same template is the same work: a difficulty step across channels keeps only the send before it", () => {
  const book = new JobBook(1);
  // Band channels: their own job ids and extranonce_prefix (inside coinb1), one template.
  const onChannel = (n: number, work: string | undefined) =>
    makeJob({ job_id: n, coinbase_tx_prefix: Uint8Array.of(n), work });
  const at = (difficulty: number) => ({ ...settings(false), difficulty });
  const sends = [1024, 256, 64, 16].map(
    (d, i) => book.add(onChannel(i + 1, 'w1'), i === 0 ? settings(true) : at(d)).job,
  );
  assert.equal(book.size, 2);
  assert.deepEqual(
    sends.map((j) => book.get(j.id)?.difficulty),
    [undefined, undefined, 64, 16],
  );
  // A new template keeps the sends of the last one beside it.
  const next = book.add(onChannel(5, 'w2'), at(16)).job;
  assert.equal(book.size, 3);
  assert.ok([sends[2]!, sends[3]!, next].every((j) => book.get(j.id) !== undefined));
  // Jobs that do not name their template are the same work only as the same job.
  const plain = [6, 7].map((n) => book.add(onChannel(n, undefined), at(16)).job);
  assert.equal(book.size, 5);
  assert.ok(plain.every((j) => book.get(j.id) !== undefined));
});

test('sent again for the same upstream job, a job keeps only the send before it', () => {
  const book = new JobBook(1);
  const upstream = makeJob();
  const at = (difficulty: number) => ({ ...settings(false), difficulty });
  // A miner without a share yet: its difficulty falls step by step, a fresh job each time.
  const sends = [1024, 256, 64, 16, 4, 1].map(
    (d, i) => book.add(upstream, i === 0 ? settings(true) : at(d)).job,
  );
  assert.equal(book.size, 2);
  assert.deepEqual(book.get(sends[5]!.id), sends[5]);
  assert.deepEqual(book.get(sends[4]!.id), sends[4], 'the previous send still takes the shares on their way');
  assert.equal(book.get(sends[4]!.id)!.difficulty, 4, 'at the difficulty it was sent with');
  for (const j of sends.slice(0, 4)) assert.equal(book.get(j.id), undefined);
  // A new upstream job on the same tip: the sends of the last one stay valid beside it.
  const next = makeJob({ job_id: 2 });
  const a = book.add(next, at(1)).job;
  const b = book.add(next, at(2)).job;
  const c = book.add(next, at(4)).job;
  assert.deepEqual(
    [sends[4], sends[5], b, c].map((j) => book.get(j!.id)),
    [sends[4], sends[5], b, c],
  );
  assert.equal(book.get(a.id), undefined);
  assert.equal(book.size, 4);
  // Keepalives: the same work with ntime moved on (a spread copy) are sends of one job too.
  const k1 = book.add({ ...next, ntime: next.ntime + 30 }, at(4)).job;
  const k2 = book.add({ ...next, ntime: next.ntime + 60 }, at(4)).job;
  assert.equal(book.get(b.id), undefined);
  assert.equal(book.get(c.id), undefined);
  assert.equal(book.get(k1.id)!.upstream.ntime, next.ntime + 30);
  assert.equal(book.get(k2.id)!.upstream.ntime, next.ntime + 60);
  assert.equal(book.size, 4);
  // Another job with the same id but other work is not a send of this one.
  const other = book.add({ ...next, merkle_path: [...next.merkle_path] }, at(4)).job;
  assert.equal(book.size, 5);
  assert.ok([k1, k2, other].every((j) => book.get(j.id) !== undefined));
  // A new prev hash still retires every one of them.
  book.add(makeJob({ job_id: 3 }), settings(true));
  assert.ok([sends[4], sends[5], k1, k2, other].every((j) => book.get(j!.id)!.stale));
});
