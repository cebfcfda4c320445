// Real processes: devnet + tp + pool + translator + `strata miner --sv1`.
// The V1 miner negotiates version rolling through the translator, and its
// shares — every one a block at regtest difficulty — reach the pool, which
// submits a block the devnet accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, ROOT } from '../helpers/paths.js';
import { startRole } from '../helpers/process.js';
import { poolAccountCli, spawnNode, startPool, startStack } from '../pool/fixture.js';

/** `strata translator ...args`, or the stand-alone entry until the CLI lists it. */
function translatorCommand(args: string[]): string[] {
  const inCli = /^\s+translator\b/m.test(
    execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }),
  );
  return inCli
    ? [CLI, 'translator', ...args]
    : [join(ROOT, 'dist', 'src', 'roles', 'translator', 'main.js'), ...args];
}

test(
  'devnet + tp + pool + translator + strata miner --sv1: a block the devnet accepts',
  { timeout: 150_000 },
  async (t) => {
    const s = await startStack(t);
    poolAccountCli(['add', 'alice', '--database', s.db]);
    const pool = await startPool(t, s);
    const height = await s.devnet.rpc.getblockcount();

    const translator = spawnNode(
      translatorCommand([
        '--upstream',
        `127.0.0.1:${pool.port}`,
        '--upstream-authority-pubkey',
        s.poolKeys.publicPath,
        '--user-identity',
        'alice.tproxy',
        '--downstream-address',
        '127.0.0.1',
        '--downstream-port',
        '0',
        '--downstream-port-kind',
        'cpu',
      ]),
    );
    t.after(() => translator.stop());
    const listening = await translator.waitFor((r) => r.msg === 'listening');
    await translator.waitFor((r) => r.msg === 'upstream channel open');
    const opened = await pool.proc.waitFor((r) => r.msg === 'channel opened');
    assert.equal(opened.kind, 'extended');

    const miner = startRole([
      'miner',
      '--sv1',
      '--pool',
      `127.0.0.1:${String(listening.port)}`,
      '--user',
      'alice.rig1',
      '--password',
      'd=0.00001',
      '--threads',
      '1',
      '--version-rolling',
      '--report-interval',
      '1',
    ]);
    t.after(() => miner.stop());
    const connected = await miner.waitFor((r) => r.msg === 'connected');
    assert.equal(connected.version_mask, '1fffe000', 'version rolling granted through the translator');
    assert.equal(
      String(connected.extranonce1).length,
      8,
      "the translator's own 4 bytes (the pool's prefix is in coinb1)",
    );

    const found = await pool.proc.waitFor((r) => r.msg === 'block found', 90_000);
    assert.equal(found.account, 'alice');
    assert.equal(found.height, height + 1);
    await s.tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === found.hash, 30_000);
    assert.equal(await s.devnet.rpc.call('getblockhash', [height + 1]), found.hash);
    await miner.waitFor((r) => r.msg === 'report' && Number(r.accepted) >= 1, 30_000);

    assert.equal(await translator.stop(), 0, 'clean exit on SIGTERM');
  },
);
