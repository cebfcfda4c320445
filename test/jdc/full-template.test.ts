// Full-template job declaration as processes on devnet: the JDS's mempool
// copy is read once and left stale, so the JDC's templates (from its own tp,
// with the devnet's synthetic transactions) hold transactions the JDS lacks
// and must ask for. A V1 miner behind translator → JDC mines; the pool
// credits its shares to its account; the block it finds is on the devnet's
// chain and holds exactly the transactions of one of the JDC's templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, parseBlock, parseTransaction, toDisplayHex, txid } from '../../src/bitcoin/index.js';
import { startRole } from '../helpers/process.js';
import { queryDb } from '../pool/fixture.js';
import { connectClient } from '../tp/fixture.js';
import {
  ACCOUNT,
  POOL_SCRIPT,
  startJdPool,
  startJdStack,
  startJdc,
  startJds,
  startTranslatorOnJdc,
} from './fixture.js';

test(
  'full-template: declared with transactions the JDS lacked; a V1 miner behind the JDC is credited and finds a block holding the JDC template transactions',
  { timeout: 240_000 },
  async (t) => {
    const s = await startJdStack(t);
    const pool = await startJdPool(t, s);
    // The mirror is read at start and then not for an hour: new transactions are unknown to the JDS.
    const jds = await startJds(t, s, ['--mempool-poll', '3600']);

    // What the JDC's tp offers: every template's transaction ids, asked as the templates come.
    const watcher = await connectClient(t, s.jdcTp.port, s.tpKeys);
    const templateTxids = new Map<bigint, string[]>();
    watcher.client.on('template', (m) => {
      void watcher.client.requestTransactionData(m.template_id).then((r) => {
        if (r.type === 'RequestTransactionDataSuccess') {
          const ids = r.transaction_list.map((raw) => toDisplayHex(txid(parseTransaction(raw))));
          templateTxids.set(m.template_id, ids);
        }
      });
    });

    const jdc = await startJdc(t, s, { pool: pool.port, jds: jds.port });
    await jdc.proc.waitFor((r) => r.msg === 'mining on the pool with declared jobs');
    const translator = await startTranslatorOnJdc(t, s, jdc.port);
    const miner = startRole([
      'miner',
      '--sv1',
      '--pool',
      `127.0.0.1:${translator.port}`,
      '--user',
      `${ACCOUNT}.rig`,
      '--threads',
      '1',
      '--report-interval',
      '2',
    ]);
    t.after(() => miner.stop());

    // The JDS asked for transactions it lacked, and accepted the job.
    const declared = await jds.proc.waitFor(
      (r) => r.msg === 'job declared' && Number(r.provided) > 0,
      60_000,
    );
    assert.ok(Number(declared.txs) > 0);
    await jdc.proc.waitFor((r) => r.msg === 'custom job acknowledged by the pool', 60_000);

    // A block: found through the JDC on a custom job, accepted by the devnet.
    const found = await pool.proc.waitFor((r) => r.msg === 'block found' && r.custom_job === true, 120_000);
    const hash = String(found.hash);
    const height = Number(found.height);
    await waitUntil(async () => (await s.devnet.rpc.call<string>('getblockhash', [height])) === hash, 30_000);
    const block = parseBlock(hexToBytes(await s.devnet.rpc.getblock(hash, 0)));
    const coinbase = block.transactions[0]!;
    assert.ok(
      coinbase.outputs.some((o) => Buffer.from(o.script).equals(Buffer.from(POOL_SCRIPT)) && o.value > 0n),
      'the coinbase pays the pool payout output',
    );
    const ids = block.transactions.slice(1).map((tx) => toDisplayHex(txid(tx)));
    assert.ok(ids.length > 0, 'the block carries transactions');
    const match = [...templateTxids.values()].some((list) => list.join() === ids.join());
    assert.ok(match, "the block's transactions are those of one of the JDC's templates, in order");

    // The miner's shares are credited to its own account through the translator and the JDC.
    await waitUntil(async () => credited(s.db, ACCOUNT, 'rig') > 0, 60_000);
    const blockRow = queryDb<{ status: string }>(s.db, 'SELECT status FROM blocks WHERE hash = ?', hash);
    assert.equal(blockRow.length, 1, 'the pool recorded the block');
  },
);

function credited(db: string, account: string, worker: string): number {
  const rows = queryDb<{ n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM shares s JOIN accounts a ON a.id = s.account_id
       JOIN workers w ON w.id = s.worker_id WHERE a.name = ? AND w.name = ?`,
    account,
    worker,
  );
  return rows[0]!.n;
}

async function waitUntil(pred: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 250));
  }
}
