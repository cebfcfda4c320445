// Long upstream outages, end to end (devnet, tp, pool and translator
// processes, a V1 miner on the translator and an SV2 miner on the pool):
// - the template provider is away for 60 s while the chain moves on without
//   it: both miners keep their connections and keep getting shares accepted
//   on the jobs they have; when the tp returns, the new tip reaches both
//   within the wait below, so stale work ends with the outage;
// - the pool is away for 60 s: the V1 miner keeps its socket (the
//   translator's no_work_timeout_secs is 90) and answers its pings; when the
//   pool returns on the same port, the V1 miner gets a clean job and its
//   shares are accepted again, and the SV2 miner reconnects and mines.
// STRATA_OUTAGE_SECS shortens or lengthens both outages (default 60).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageByName } from '../../src/messages/index.js';
import { startTp } from '../tp/fixture.js';
import { startTranslatorProcess } from '../translator/fixture.js';
import { V1Client } from '../translator/v1-client.js';
import { MiningClient, POOL_ADDRESS, poolAccountCli, startPool, startStack, targetOf } from './fixture.js';

const OUTAGE_MS = Number(process.env.STRATA_OUTAGE_SECS ?? 60) * 1000;
/** Shares submitted during an outage, spread over it. */
const SHARES_DURING = 3;
// As in the soak: every channel gets the easiest target, and the V1 miner's
// difficulty follows it (CPU port, vardiff off), so shares can be found that
// are not blocks, on a chain where half of all hashes are.
const POOL_FLAGS = ['--shares-per-minute', '1e20', '--vardiff-interval', '0', '--share-batch-size', '1'];
const TRANSLATOR_FLAGS = ['--downstream-port-kind', 'cpu', '--enable-vardiff', 'false'];

/** A V1 share that is not a block, submitted; resolves with the reply. */
async function v1Share(miner: V1Client, worker: string) {
  const params = miner.findShare(worker, 1_000_000, true);
  if (!params) throw new Error('no share found');
  return miner.request('mining.submit', params);
}

/** SV1 prints the previous block hash as 32-bit words swapped from the internal order. */
const sv1PrevHash = (displayHex: string): string =>
  Buffer.from(displayHex, 'hex').reverse().swap32().toString('hex');

test(
  'the tp and then the pool are away for a minute each: no miner is dropped, work and shares resume',
  { timeout: 120_000 + 3 * OUTAGE_MS },
  async (t) => {
    const t0 = Date.now();
    const phase = (what: string) => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    const s = await startStack(t);
    poolAccountCli(['add', 'olga', '--database', s.db]);
    let pool = await startPool(t, s, POOL_FLAGS);
    const poolPort = pool.port;
    const tr = await startTranslatorProcess(t, poolPort, s.poolKeys.publicPath, TRANSLATOR_FLAGS);

    const v1 = await V1Client.connect(tr.port);
    t.after(() => v1.close());
    await v1.handshake('olga.v1');
    await v1.until(() => v1.difficulty < 1e-8);
    assert.equal((await v1Share(v1, 'olga.v1')).result, true);

    let sv2 = await MiningClient.connect(t, poolPort, s.poolKeys);
    assert.equal((await sv2.setup()).type, 'SetupConnectionSuccess');
    let open = await sv2.openExtended('olga.sv2');
    if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail(`open failed: ${JSON.stringify(open)}`);
    const work = await sv2.activeWork();
    await sv2.send(sv2.mine(open, work, targetOf(open.target), 'share'));
    assert.equal((await sv2.nextOf('SubmitSharesSuccess')).new_submits_accepted_count, 1);

    phase('both miners mining');
    // ---- the template provider goes away; the chain moves on without it ----
    const tpPort = s.tp.port;
    await s.tp.proc.kill();
    await pool.proc.waitFor((r) => r.msg === 'template provider unreachable; retrying with backoff');
    const [tip] = await s.devnet.rpc.generatetoaddress(1, POOL_ADDRESS);
    for (let i = 0; i < SHARES_DURING; i++) {
      await sleep(OUTAGE_MS / SHARES_DURING);
      // The jobs the miners hold stay the pool's current work while it cannot learn of the block.
      assert.equal((await v1Share(v1, 'olga.v1')).result, true, `V1 share ${i} during the tp outage`);
      await sv2.send(sv2.mine(open, work, targetOf(open.target), 'share'));
      assert.equal((await sv2.nextOf('SubmitSharesSuccess')).new_submits_accepted_count, 1);
    }
    assert.equal(v1.closed, false, 'the V1 miner kept its connection through the tp outage');
    assert.equal(sv2.conn.isClosed, false, 'the SV2 miner kept its connection through the tp outage');

    phase('tp outage over');
    const tp = await startTp(s.devnet, s.tpKeys, ['--listen', `127.0.0.1:${tpPort}`]);
    phase('tp back');
    t.after(() => tp.proc.stop());
    // The tip mined meanwhile reaches both miners once the tp is back (bounded waits).
    const newPrev = Buffer.from(tip!, 'hex').reverse();
    await sv2.tipWhere((m) => Buffer.from(m.prev_hash).equals(newPrev), 60_000);
    phase('SV2 miner on the new tip');
    await Promise.race([
      v1.until(() => v1.notify!.prevhash === sv1PrevHash(tip!) && v1.notify!.clean),
      sleep(60_000).then(() => assert.fail('no clean V1 job for the new tip within 60 s of the tp return')),
    ]);
    phase('V1 miner on the new tip');
    assert.equal((await v1Share(v1, 'olga.v1')).result, true, 'V1 share on the new tip');

    // ---- the pool goes away (killed) and comes back on the same port ----
    await pool.proc.kill();
    await sv2.conn.closed;
    phase('pool killed');
    await sleep(OUTAGE_MS);
    assert.equal(v1.closed, false, 'the V1 miner kept its socket through the pool outage');
    assert.ok(
      !v1.lines.some((l) => l.method === 'client.reconnect'),
      'the translator did not ask the miner to reconnect',
    );
    const clean = v1.lines.length;
    pool = await startPool(t, s, [...POOL_FLAGS, '--listen', `127.0.0.1:${poolPort}`]);
    phase('pool back');
    await Promise.race([
      v1.until(() => v1.lines.slice(clean).some((l) => l.method === 'mining.notify')),
      sleep(60_000).then(() => assert.fail('no V1 job within 60 s of the pool return')),
    ]);
    phase('V1 miner has a job from the returned pool');
    assert.equal(v1.notify!.clean, true, 'the first job from the returned pool is clean');
    assert.equal((await v1Share(v1, 'olga.v1')).result, true, 'V1 share after the pool returned');
    assert.equal(v1.closed, false);

    sv2 = await MiningClient.connect(t, poolPort, s.poolKeys);
    assert.equal((await sv2.setup()).type, 'SetupConnectionSuccess');
    open = await sv2.openExtended('olga.sv2');
    if (open.type !== 'OpenExtendedMiningChannelSuccess')
      assert.fail(`reopen failed: ${JSON.stringify(open)}`);
    const again = await sv2.activeWork();
    await sv2.send(sv2.mine(open, again, targetOf(open.target), 'share'));
    const ack: MessageByName<'SubmitSharesSuccess'> = await sv2.nextOf('SubmitSharesSuccess');
    assert.equal(ack.new_submits_accepted_count, 1);
    phase('SV2 miner mining on the returned pool');
  },
);
