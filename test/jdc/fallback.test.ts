// JDC fallback as processes: the pool stops; the JDC mines solo at once,
// its downstream device keeps its connection, and a block it finds then pays
// the JDC's own address; the pool comes back on the same port; the JDC
// returns to it and the device's shares are credited again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, parseBlock } from '../../src/bitcoin/index.js';
import { startRole } from '../helpers/process.js';
import { queryDb } from '../pool/fixture.js';
import { ACCOUNT, JDC_SCRIPT, startJdPool, startJdStack, startJdc, startJds } from './fixture.js';

test(
  'fallback: the pool stops, the JDC mines solo within seconds with its miner still connected, then returns when the pool is back',
  { timeout: 480_000 },
  async (t) => {
    const s = await startJdStack(t);
    let pool = await startJdPool(t, s);
    const poolPort = pool.port;
    const jds = await startJds(t, s);
    const jdc = await startJdc(t, s, { pool: poolPort, jds: jds.port });
    const miner = startRole([
      'miner',
      '--pool',
      `127.0.0.1:${jdc.port}`,
      '--authority-key',
      s.jdcKeys.publicPath,
      '--user',
      `${ACCOUNT}.dev`,
      '--threads',
      '1',
      '--report-interval',
      '2',
    ]);
    t.after(() => miner.stop());
    await miner.waitFor((r) => r.msg === 'connected');
    await waitUntil(() => credited(s.db) > 0, 90_000);

    // The pool goes away while the JDC mines on it.
    const modes = new Set(['mining on the pool with declared jobs', 'mining solo']);
    await waitUntil(
      () =>
        jdc.proc.records.filter((r) => modes.has(String(r.msg))).pop()?.msg ===
        'mining on the pool with declared jobs',
      90_000,
    );
    // A fallback before the stop is reported with its reason; the records
    // that count are the ones after the stop.
    for (const r of jdc.proc.records.filter((r) => r.msg === 'upstream failed: falling back'))
      console.log(`fallback before the pool stopped: ${String(r.reason)}`);
    const stoppedAt = Date.now();
    await pool.proc.stop();
    const solo = await jdc.proc.waitFor(
      (r) => r.msg === 'mining solo' && Number(r.time) >= stoppedAt,
      30_000,
    );
    // The switch follows the pool link's end itself (no timer in between); the
    // delay is reported, not asserted (the machines running this are shared).
    const failed = jdc.proc.records.find(
      (r) => r.msg === 'upstream failed: falling back' && Number(r.time) >= stoppedAt,
    );
    assert.ok(failed !== undefined && Number(failed.time) <= Number(solo.time), 'solo after the link failed');
    assert.equal(solo.why, failed.reason, 'solo because of that failure');
    console.log(`mining solo ${String(Number(solo.time) - stoppedAt)} ms after the pool was told to stop`);
    const soloBlock = await jdc.proc.waitFor(
      (r) => r.msg === 'block found' && r.solo === true && Number(r.time) > Number(solo.time),
      120_000,
    );
    const hash = String(soloBlock.hash);
    await s.jdcTp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === hash, 30_000);
    const coinbase = parseBlock(hexToBytes(await s.devnet.rpc.getblock(hash, 0))).transactions[0]!;
    assert.ok(
      coinbase.outputs.some((o) => Buffer.from(o.script).equals(Buffer.from(JDC_SCRIPT)) && o.value > 0n),
      "the solo block pays the JDC's address",
    );

    // The pool is back on its port: the JDC returns and the shares are credited again.
    const before = credited(s.db);
    pool = await startJdPool(t, s, poolPort);
    const back = await jdc.proc.waitFor(
      (r) => r.msg === 'mining on the pool with declared jobs' && Number(r.time) > Number(solo.time),
      60_000,
    );
    assert.equal(back.index, 0);
    await waitUntil(() => credited(s.db) > before, 180_000);
    console.log(
      `credited again ${String(Date.now() - Number(back.time))} ms after the JDC was back on the pool`,
    );

    // The device never lost its connection.
    assert.equal(miner.records.filter((r) => r.msg === 'connected').length, 1);
    assert.equal(miner.records.filter((r) => r.msg === 'disconnected').length, 0);
  },
);

function credited(db: string): number {
  return queryDb<{ n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM shares s JOIN accounts a ON a.id = s.account_id
       JOIN workers w ON w.id = s.worker_id WHERE a.name = ? AND w.name = 'dev'`,
    ACCOUNT,
  )[0]!.n;
}

async function waitUntil(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 250));
  }
}
