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
    assert.equal(book.get(j.id), j, 'still remembered');
    assert.equal(j.stale, true, `${j.id} stale after the new prev hash`);
  }
  assert.equal(book.get(first.id), undefined, 'the oldest were forgotten');
  assert.equal(next.stale, false);
  // A second block retires the jobs of the first one and forgets the tip before it.
  const later = book.add(makeJob({ job_id: 201 }), settings(false)).job;
  const third = book.add(makeJob({ job_id: 300 }), settings(true)).job;
  assert.equal(next.stale, true);
  assert.equal(later.stale, true);
  assert.equal(book.get(next.id), next, 'the previous tip is remembered, to answer "Stale"');
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
  assert.equal(job.seen, undefined, 'no memory before the first share');
  assert.equal(book.remember(job, 'aa'), 'new');
  assert.equal(book.remember(job, 'aa'), 'duplicate');
  const dropped = book.add(makeJob({ job_id: 8 }), settings(false)).job;
  book.drop(dropped.id);
  assert.equal(book.get(dropped.id), undefined);
  book.add(makeJob({ job_id: 9 }), settings(true));
  assert.equal(job.stale, true);
  assert.equal(job.seen, undefined);
  assert.equal(dropped.stale, false, 'a job never sent is not part of the retire');
  const small = new JobBook(1, 4, 2);
  const j = small.add(makeJob(), settings(true)).job;
  assert.equal(small.remember(j, 'a'), 'new');
  assert.equal(small.remember(j, 'b'), 'new');
  assert.equal(small.remember(j, 'c'), 'full');
});
