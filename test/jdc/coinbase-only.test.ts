// Coinbase-only job declaration as processes: the JDC never declares its
// transactions; its tokens go straight into SetCustomMiningJob, the pool
// checks only the coinbase and the tip. An SV2 device on the JDC mines; the
// pool credits its shares; the block it finds is broadcast by the JDC alone
// (through its tp) and lands on the devnet's chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRole } from '../helpers/process.js';
import { queryDb } from '../pool/fixture.js';
import { ACCOUNT, startJdPool, startJdStack, startJdc, startJds } from './fixture.js';

test(
  'coinbase-only: custom jobs accepted without a declaration, shares credited, the block propagated by the JDC',
  { timeout: 180_000 },
  async (t) => {
    const s = await startJdStack(t);
    const pool = await startJdPool(t, s);
    const jds = await startJds(t, s);
    const jdc = await startJdc(t, s, { pool: pool.port, jds: jds.port }, ['--mode', 'coinbase-only']);
    await jdc.proc.waitFor(
      (r) => r.msg === 'mining on the pool with declared jobs' && r.mode === 'coinbase-only',
    );
    const miner = startRole([
      'miner',
      '--pool',
      `127.0.0.1:${jdc.port}`,
      '--authority-key',
      s.jdcKeys.publicPath,
      '--user',
      `${ACCOUNT}.sv2`,
      '--threads',
      '1',
      '--report-interval',
      '2',
    ]);
    t.after(() => miner.stop());

    await jdc.proc.waitFor((r) => r.msg === 'custom job acknowledged by the pool', 60_000);
    assert.equal(
      jds.proc.records.filter((r) => r.msg === 'job declared').length,
      0,
      'nothing was declared to the JDS',
    );
    const found = await jdc.proc.waitFor((r) => r.msg === 'block found' && r.solo === false, 120_000);
    const hash = String(found.hash);
    await s.jdcTp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === hash, 30_000);
    assert.equal(
      typeof (await s.devnet.rpc.call<{ height: number }>('getblockheader', [hash])).height,
      'number',
    );
    await pool.proc.waitFor(
      (r) => r.msg === 'block found' && r.hash === hash && r.custom_job === true,
      30_000,
    );
    // The pool credits the device's shares (named by the 0x0002 TLV) to its account.
    const end = Date.now() + 60_000;
    let n = 0;
    while ((n = credited(s.db)) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    assert.ok(n > 0, `shares credited\n${diagnose(s.db, pool.proc.records, jdc.proc.records)}`);
  },
);

/** What the store holds and what the pool and the JDC said about shares, for a failed run. */
function diagnose(db: string, pool: Record<string, unknown>[], jdc: Record<string, unknown>[]): string {
  const rows = queryDb<{ account: string; worker: string; n: number }>(
    db,
    `SELECT a.name AS account, w.name AS worker, COUNT(s.id) AS n FROM workers w
       JOIN accounts a ON a.id = w.account_id LEFT JOIN shares s ON s.worker_id = w.id GROUP BY w.id`,
  );
  const said = (records: Record<string, unknown>[]): string[] =>
    records
      .filter((r) => Number(r.level) >= 40 || /share|block|custom job|channel/.test(String(r.msg)))
      .slice(-40)
      .map((r) => JSON.stringify(r));
  return [`workers: ${JSON.stringify(rows)}`, 'pool:', ...said(pool), 'jdc:', ...said(jdc)].join('\n');
}

function credited(db: string): number {
  return queryDb<{ n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM shares s JOIN accounts a ON a.id = s.account_id
       JOIN workers w ON w.id = s.worker_id WHERE a.name = ? AND w.name = 'sv2'`,
    ACCOUNT,
  )[0]!.n;
}
