// Solo mining through the translator, as real processes: devnet + tp + a
// pool in solo mode + translator + `strata miner --sv1` authorizing as
// <address>.<worker>. The pool refuses the translator's shared channel (its
// name is no address), so every miner gets a channel of its own name; the
// block the V1 miner finds pays its address, read back from the devnet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NETWORKS, addressToScript, bytesToHex, hexToBytes, parseBlock } from '../../src/bitcoin/index.js';
import { startRole } from '../helpers/process.js';
import { POOL_ADDRESS, regtestAddress, startPool, startStack } from '../pool/fixture.js';
import { V1Client } from './v1-client.js';
import { startTranslatorProcess } from './fixture.js';

test(
  'solo pool: a V1 miner authorizing as <address>.<worker> mines on its own channel; its block pays its address',
  { timeout: 180_000 },
  async (t) => {
    const s = await startStack(t);
    const pool = await startPool(t, s, ['--payout-mode', 'solo', '--web', 'false']);
    const { proc: translator, port } = await startTranslatorProcess(t, pool.port, s.poolKeys.publicPath);
    const refusedShared = await translator.waitFor(
      (r) => r.msg === 'pool refused the shared channel: every miner mines on a channel of its own name',
    );
    assert.equal(refusedShared.error_code, 'invalid-user-identity');

    // A name that is no address cannot mine on a solo pool: the pool's reason reaches the miner.
    const stranger = await V1Client.connect(port);
    t.after(() => stranger.close());
    await stranger.request('mining.subscribe', ['cgminer/4.11.1']);
    const refused = await stranger.request('mining.authorize', ['alice.rig1', 'x']);
    assert.equal(refused.result, false);
    assert.deepEqual(refused.error, [24, 'Unauthorized worker: invalid-user-identity', null]);

    const address = regtestAddress(0x21);
    const miner = startRole([
      'miner',
      '--sv1',
      '--pool',
      `127.0.0.1:${String(port)}`,
      '--user',
      `${address}.nerd`,
      '--threads',
      '1',
      '--report-interval',
      '1',
    ]);
    t.after(() => miner.stop());
    const opened = await pool.proc.waitFor((r) => r.msg === 'channel opened' && r.user === `${address}.nerd`);
    assert.equal(opened.kind, 'extended');
    const paid = await translator.waitFor(
      (r) => r.msg === "solo miner: the pool's coinbase pays the miner's address",
    );
    assert.equal(paid.paid_percent, 100);

    const found = await pool.proc.waitFor((r) => r.msg === 'block found' && r.account === address, 90_000);
    assert.equal(found.worker, 'nerd');
    await s.tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === found.hash, 30_000);
    const block = parseBlock(hexToBytes(await s.devnet.rpc.getblock(String(found.hash), 0)));
    const outputs = block.transactions[0]!.outputs.filter((o) => o.value > 0n);
    assert.equal(outputs.length, 1, 'no fee configured: one paying output');
    assert.equal(bytesToHex(outputs[0]!.script), bytesToHex(addressToScript(address, NETWORKS.regtest)));
    assert.notEqual(address, POOL_ADDRESS);
    await miner.waitFor((r) => r.msg === 'report' && Number(r.accepted) >= 1, 30_000);
  },
);
